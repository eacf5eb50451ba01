"""Plain-text tables for a terminal, with columns aligned for Chinese text (a CJK character takes two
columns). What a terminal shows is cleaned and bounded: control and bidirectional-override characters are
dropped, line breaks become spaces, and a cell wider than :data:`MAX_CELL` columns is cut with "…" (a 1 MB
attribute value prints as one short cell; the files keep every value whole).

Example
-------
>>> print("\\n".join(text_table(["图层", "面积"], [["红线", "1.50"], ["永久基本农田", "12.25"]], right={1})))
  图层           面积
  ------------  -----
  红线           1.50
  永久基本农田  12.25
"""

from __future__ import annotations

import unicodedata

from redline.spatial.check_tables import printable

MAX_CELL = 40   # display columns of one cell


def display_text(value, width: int = MAX_CELL) -> str:
    """A value as a terminal cell: :func:`~redline.spatial.check_tables.printable`, whitespace runs (line
    breaks too) as one space, cut to ``width`` display columns with "…".

    >>> display_text("汾河\\n生态\\u202e带" * 20, 12)
    '汾河 生态带…'
    """
    text = " ".join(printable("" if value is None else str(value)).split())
    if text_width(text) <= width:
        return text
    return _cut(text, width)


def display_line(line: str, width: int) -> str:
    """One line of a text report for a terminal: :func:`~redline.spatial.check_tables.printable` (spacing kept,
    a carriage return dropped), cut to ``width`` display columns with "…".

    >>> display_line("图层  红线\\r", 80), display_line("红" * 10, 9)
    ('图层  红线', '红红红红…')
    """
    text = printable(line).replace("\r", "")
    if len(text) * 2 <= width or text_width(text) <= width:
        return text
    return _cut(text, width)


def _cut(text: str, width: int) -> str:
    """The text cut to ``width - 1`` display columns, with "…" after it."""
    out, used = [], 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def text_width(text: str) -> int:
    """Display width in a terminal: wide and full-width (CJK) characters take two columns.

    >>> text_width("红线A1")
    6
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(header: list[str], rows: list[list], right: set[int] | None = None, indent: str = "  ",
               max_width: int = MAX_CELL) -> list[str]:
    """Lines of a plain-text table with columns aligned for CJK text.

    Parameters
    ----------
    header : list of str
        Column titles.
    rows : list of list
        Cell values (None shows as empty; anything else as ``str``).
    right : set of int, optional
        Right-aligned columns (numbers).
    indent : str
        Put before every line.
    max_width : int
        Display columns of a cell at most (:func:`display_text`).
    """
    right = right or set()
    cells = [[display_text(c, max_width) for c in row] for row in [header, *rows]]
    widths = [max(text_width(r[i]) for r in cells) for i in range(len(header))]

    def fmt(row):
        out = []
        for i, c in enumerate(row):
            fill = " " * (widths[i] - text_width(c))
            out.append(fill + c if i in right else c + fill)
        return indent + "  ".join(out).rstrip()

    return [fmt(cells[0]), indent + "  ".join("-" * w for w in widths), *(fmt(r) for r in cells[1:])]
