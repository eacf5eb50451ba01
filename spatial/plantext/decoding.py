"""Reading a plan file into text, and cleaning each line (markup, full-width forms).

Example
-------
>>> clean_line("**生态保护红线**面积47.89 km<sup>2</sup>")
'生态保护红线面积47.89 km2'
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from redline.layers.errors import InputError
from redline.layers.inputs import check_input
from redline.layers.text import decode_text


def read_plan_text(path: str | Path, encoding: str | None = None) -> tuple[str, str]:
    """The text of a plan file and the encoding it was read in (UTF-8, UTF-16 with or without BOM,
    GB18030/GBK), decoded by :func:`redline.layers.text.decode_text`; ``encoding`` (the user's) wins.

    Raises
    ------
    InputError
        Missing file, a folder, a binary file, undecodable bytes, Big5 or Shift-JIS, or no text at all.
    """
    p = check_input(path, what="plan text")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=str(p)) from None
    d = decode_text(data, encoding, path=str(p), what="plan text")
    if not d.text.strip():
        raise InputError("the file holds no text", path=str(p))
    label = {"gbk": "gb18030", "utf-8-sig": "utf-8"}.get(d.encoding, d.encoding)
    return d.text, label + (" (BOM)" if d.how == "bom" else "")


# ----------------------------------------------------------------------------------------- cleaning
_CIRCLED_RE = re.compile("[\u2460-\u2473\u2776-\u2793\u24eb-\u24f4]")  # ①…⑳, ❶…, ⓫…
_BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]", re.IGNORECASE)
_SUPSUB_RE = re.compile(r"\s*<(sup|sub)>\s*([^<]{0,12}?)\s*</\1>", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]{0,60}>")
_TEX = {r"\geq": "≥", r"\geqslant": "≥", r"\ge": "≥", r"\leq": "≤", r"\leqslant": "≤", r"\le": "≤",
        r"\times": "×", r"\%": "%", r"\sim": "~"}
_TEX_RE = re.compile("|".join(re.escape(k) for k in sorted(_TEX, key=len, reverse=True)))


def clean_line(raw: str) -> str:
    """A line without markup, in NFKC form (full-width digits and punctuation made ASCII)."""
    s = _BOOKMARK_RE.sub("", raw)
    s = _CIRCLED_RE.sub("", s)  # footnote marks and list numbers: NFKC would make "48.6①" into 48.61
    s = unicodedata.normalize("NFKC", s.replace("\u3000", " "))
    s = _SUPSUB_RE.sub(r"\2", s)
    s = re.sub(r"<br\s*/?>", " ", s, flags=re.IGNORECASE)
    s = _TAG_RE.sub("", s)
    if "$" in s:
        s = _TEX_RE.sub(lambda m: _TEX[m.group(0)], s).replace("$", "")
    s = s.replace("**", "").replace("__", "")
    return s.rstrip("\r\n")
