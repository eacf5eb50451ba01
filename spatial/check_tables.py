"""Text from users' data made safe for a table cell (:func:`safe_cell`) or a printed page (:func:`printable`).

Text that may come from users' data passes through :func:`printable` on the way out: control characters
(XML cannot hold them, terminals show them as garbage) and the bidirectional-override characters
(U+202A–U+202E, U+2066–U+2069, which can make text read in another order than it is stored) are dropped.
Values are never rewritten otherwise: a CSV cell that starts with ``= + - @`` (or a tab or CR) is written in
double quotes, as OWASP advises against CSV injection, so that ``--type`` or ``+86 351`` stay what they are;
in XLSX such text is a string cell, never a formula. The check's tables apply the same rule a column at a
time (:func:`redline.spatial.check.frames.safe_text`, :func:`redline.spatial.check.frames.csv_bytes`).

Example
-------
>>> safe_cell("=1+1"), printable("红线\x01\u202e")
('=1+1', '红线')
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """The text without C0 control characters other than tab, newline and carriage return (which XML,
    and so XLSX and DOCX, cannot hold, and which HTML would show as garbage), and without bidirectional
    embedding, override and isolate characters (U+202A–U+202E, U+2066–U+2069).

    >>> printable("红线\x01\x1b[31m甲"), printable("图斑\u202e甲乙\u202c")
    ('红线[31m甲', '图斑甲乙')
    """
    return CONTROL_CHARACTERS.sub("", text)


def safe_cell(value):
    """A cell value as written to a table: text without control characters (:func:`printable`); numbers pass
    through. The writers keep it text (quoted in CSV when it starts like a formula, a string cell in XLSX).

    >>> safe_cell("=HYPERLINK(1)"), safe_cell(-1.5), safe_cell("\x01+86")
    ('=HYPERLINK(1)', -1.5, '+86')
    """
    if isinstance(value, str):
        return printable(value)
    return value
