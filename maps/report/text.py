"""Plain-text tables for a terminal, with columns aligned for Chinese text (a CJK character takes two
columns).

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


def text_width(text: str) -> int:
    """Display width in a terminal: wide and full-width (CJK) characters take two columns.

    >>> text_width("红线A1")
    6
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(header: list[str], rows: list[list], right: set[int] | None = None, indent: str = "  ") -> list[str]:
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
    """
    right = right or set()
    cells = [[("" if c is None else str(c)) for c in row] for row in [header, *rows]]
    widths = [max(text_width(r[i]) for r in cells) for i in range(len(header))]

    def fmt(row):
        out = []
        for i, c in enumerate(row):
            fill = " " * (widths[i] - text_width(c))
            out.append(fill + c if i in right else c + fill)
        return indent + "  ".join(out).rstrip()

    return [fmt(cells[0]), indent + "  ".join("-" * w for w in widths), *(fmt(r) for r in cells[1:])]
