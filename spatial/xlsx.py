"""Excel tables that are safe with untrusted text: a cell starting with = + - @ never becomes a formula.

Example
-------
>>> safe_cell("=HYPERLINK(1)"), safe_cell(12.5), safe_cell("红线")
("'=HYPERLINK(1)", 12.5, '红线')
"""

from __future__ import annotations

import os
import re

from redline.layers.outputs import atomic_path

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """The text without C0 control characters other than tab, newline and carriage return (which XML,
    and so XLSX and DOCX, cannot hold, and which HTML would show as garbage).

    >>> printable("红线\x01\x1b[31m甲")
    '红线[31m甲'
    """
    return _CONTROL.sub("", text)


def printable_copy(obj):
    """A copy of a JSON-like structure with :func:`printable` applied to every string in it."""
    if isinstance(obj, str):
        return printable(obj)
    if isinstance(obj, dict):
        return {k: printable_copy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [printable_copy(v) for v in obj]
    return obj


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


def write_table_xlsx(path: str | os.PathLike, title: str, header: list, rows: list[list],
                     notes: list[str] | None = None, sheets: dict | None = None) -> None:
    """Write one table (and optional extra sheets ``{name: (header, rows)}``) whole or not at all."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    for name, (h, r) in [(title, (header, rows))] + list((sheets or {}).items()):
        if name != title:
            ws = wb.create_sheet(name[:31])
        ws.append([safe_cell(c) for c in h])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in r:
            ws.append([safe_cell(c) for c in row])
        if name == title:
            for note in notes or []:
                ws.append([safe_cell(note)])
    with atomic_path(path) as tmp:
        wb.save(tmp)
