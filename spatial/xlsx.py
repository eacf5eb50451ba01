"""Excel tables that are safe with untrusted text: a cell starting with = + - @ never becomes a formula.

Example
-------
>>> safe_cell("=HYPERLINK(1)"), safe_cell(12.5), safe_cell("红线")
("'=HYPERLINK(1)", 12.5, '红线')
"""

from __future__ import annotations

import os
import re

from layers.outputs import atomic_path

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value):
    """A cell value that Excel shows as text: formula prefixes quoted, control characters removed."""
    if isinstance(value, str):
        value = _CONTROL.sub("", value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
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
