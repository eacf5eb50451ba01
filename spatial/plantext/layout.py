"""Paragraphs and table rows of a plan text, with the line of every character; sentences and clauses.

Example
-------
>>> [type(x).__name__ for x in _layout(["生态保护红线面积47.89", "平方千米。", "", "指标\\t单位\\t现状"])]
['_Segment', '_Row']
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from redline.spatial.plantext.decoding import clean_line
from redline.spatial.plantext.grammar import _CLAUSE_RE, _SENTENCE_END


@dataclass
class _Segment:
    """A run of cleaned text and the 1-based line of each character."""

    text: str
    lines: list[int] = field(default_factory=list)

    def line_at(self, pos: int) -> int:
        return self.lines[min(max(pos, 0), len(self.lines) - 1)] if self.lines else 0


@dataclass
class _Row:
    cells: list[_Segment]


_SPACE_RUN_RE = re.compile(r"\s{2,}")


def _is_space_row(body: str) -> bool:
    """A table row flattened with runs of spaces between its cells: three or more short cells."""
    cells = _SPACE_RUN_RE.split(body.strip())
    return len(cells) >= 3 and all(len(c) <= 30 for c in cells) and len(body) < 300


def _layout(lines: list[str]) -> list[_Segment | _Row]:
    """Paragraph segments and table rows, in document order."""
    out: list[_Segment | _Row] = []
    n = len(lines)
    kind = []
    for raw in lines:
        body = raw.strip(" \r")
        if body == "\t":  # an empty cell of a one-cell-per-line table
            kind.append("cell")
        elif not body.strip():
            kind.append("blank")
        elif body.lstrip().startswith("|") or body.count("|") >= 2:
            kind.append("pipe")
        elif body.strip("\t").count("\t") >= 1 and body.count("\t") >= 2:
            kind.append("tabrow")
        elif _is_space_row(body):
            kind.append("spacerow")
        elif raw.startswith("\t"):
            kind.append("cell")
        elif body.lstrip().startswith("#"):
            kind.append("heading")
        else:
            kind.append("prose")
    i = 0
    while i < n:
        k = kind[i]
        if k == "blank":
            i += 1
        elif k == "pipe":
            cells = [c for c in clean_line(lines[i]).strip().strip("|").split("|")]
            if not all(re.fullmatch(r"\s*:?-{2,}:?\s*", c) for c in cells):
                out.append(_Row([_Segment(c.strip(), [i + 1] * len(c.strip())) for c in cells]))
            i += 1
        elif k in ("tabrow", "spacerow"):
            cells = clean_line(lines[i]).split("\t") if k == "tabrow" else _SPACE_RUN_RE.split(clean_line(lines[i]).strip())
            out.append(_Row([_Segment(c.strip(), [i + 1] * len(c.strip())) for c in cells]))
            i += 1
        elif k == "cell":
            j = i
            while j < n and kind[j] not in ("blank",) and (kind[j] == "cell" or j > i):
                j += 1
            block = list(range(i, j))
            if sum(1 for b in block if kind[b] == "cell") >= 3:
                cells: list[_Segment] = []
                for b in block:
                    text = clean_line(lines[b]).strip()
                    if kind[b] == "cell" or not cells:
                        cells.append(_Segment(text, [b + 1] * len(text)))
                    elif text:
                        seg = cells[-1]
                        sep = " " if seg.text else ""
                        seg.text += sep + text
                        seg.lines += [b + 1] * (len(sep) + len(text))
                out.append(_Row(cells))
                i = j
            else:
                kind[i] = "prose"
        else:
            # a paragraph: this line and the following ones while the sentence goes on
            seg = _Segment("", [])
            j = i
            while True:
                text = clean_line(lines[j]).strip().lstrip("#").strip()
                if seg.text and text:
                    a, b = seg.text[-1], text[0]
                    # a PDF line break cuts words, numbers and units: join with nothing, except two
                    # Latin words
                    sep = " " if (a.isascii() and a.isalpha() and b.isascii() and b.isalpha()
                                  and not re.search(r"\d\s*[A-Za-z]{1,2}$", seg.text[-8:])) else ""  # 11.68k|m
                    seg.text += sep
                    seg.lines += [seg.lines[-1]] * len(sep)
                seg.text += text
                seg.lines += [j + 1] * len(text)
                if kind[j] == "heading" or not text or text[-1] in _SENTENCE_END + ":)":
                    break
                nxt = j + 1
                while nxt < n and kind[nxt] == "blank" and nxt - j <= 2:
                    nxt += 1
                if nxt >= n or kind[nxt] != "prose":
                    break
                j = nxt
            out.append(seg)
            i = j + 1
    return out


def _spans(text: str) -> tuple[list[int], list[int]]:
    """Start offsets of sentences and of clauses."""
    sentences, clauses = [0], [0]
    for m in _CLAUSE_RE.finditer(text):
        clauses.append(m.end())
        if m.group(0) in _SENTENCE_END:
            sentences.append(m.end())
    return sentences, clauses


def _span_of(starts: list[int], pos: int, length: int) -> tuple[int, int]:
    k = bisect.bisect_right(starts, pos) - 1
    return starts[k], (starts[k + 1] if k + 1 < len(starts) else length)
