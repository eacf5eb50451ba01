"""Text from users' data made safe for a table cell (:func:`safe_cell`) or a printed page (:func:`printable`).

Control characters are dropped (XML cannot hold them, terminals show them as garbage) and a cell starting
with ``= + - @`` gets a leading apostrophe, so that a spreadsheet never runs it as a formula. The check's
tables apply the same rule a column at a time (:func:`redline.spatial.check.frames.safe_text`).

Example
-------
>>> safe_cell("=1+1"), printable("红线\x01")
("'=1+1", '红线')
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """The text without C0 control characters other than tab, newline and carriage return (which XML,
    and so XLSX and DOCX, cannot hold, and which HTML would show as garbage).

    >>> printable("红线\x01\x1b[31m甲")
    '红线[31m甲'
    """
    return CONTROL_CHARACTERS.sub("", text)


def safe_cell(value):
    """A cell value that a spreadsheet shows as text: control characters removed, then text starting with
    ``= + - @`` (or a tab/CR) gets a leading apostrophe so it never runs as a formula; numbers pass through.

    >>> safe_cell("=HYPERLINK(1)"), safe_cell(-1.5), safe_cell("\x01+86")
    ("'=HYPERLINK(1)", -1.5, "'+86")
    """
    if isinstance(value, str):
        value = printable(value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value
