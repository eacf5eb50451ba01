"""Reading a plan file into text, and cleaning each line (markup, full-width forms).

Example
-------
>>> clean_line("**生态保护红线**面积47.89 km<sup>2</sup>")
'生态保护红线面积47.89 km2'
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from redline.layers.errors import InputError


def read_plan_text(path: str | Path) -> tuple[str, str]:
    """The text of a plan file and the encoding it was read in (UTF-8, UTF-16 with or without BOM,
    GB18030/GBK).

    Raises
    ------
    InputError
        Missing file, a folder, a binary file, undecodable bytes, or no text at all.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("plan text not found", path=str(p))
    if not p.is_file():
        raise InputError("not a file", path=str(p))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=str(p)) from None
    text, encoding = _decode(data, str(p))
    if not text.strip():
        raise InputError("the file holds no text", path=str(p))
    return text, encoding


def _gb2312_share(text: str) -> tuple[int, float]:
    """How many CJK characters (and kana) the text holds, and the share of them in GB2312."""
    chars = [c for c in text if "\u3400" <= c <= "\u9fff" or "\u3040" <= c <= "\u30ff"]
    common = 0
    for c in chars:
        try:
            c.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += c < "\u3040" or c > "\u30ff"  # kana are in GB2312 but no Chinese plan uses them
    return len(chars), common / max(len(chars), 1)


def _check_gbk_plausible(data: bytes, text: str, where: str) -> None:
    """Bytes in another double-byte encoding (Big5, Shift-JIS) often decode as GB18030 without error, into
    rare characters and kana; a real simplified-Chinese text is almost all GB2312 (≥ 99 % in the shared plans)."""
    n, share = _gb2312_share(text)
    if n < 10 or share >= 0.8:
        return
    for other, label in (("big5", "Big5 (traditional Chinese)"), ("shift_jis", "Shift-JIS (Japanese)")):
        try:
            alt = data.decode(other)
        except UnicodeDecodeError:
            continue
        if sum(1 for c in alt if "\u3400" <= c <= "\u9fff") >= n // 2:
            raise InputError(f"the text is not GBK/GB18030 but looks like {label}: only {100 * share:.0f} % "
                             "of its characters are common simplified Chinese when read as GBK; save it as "
                             f"UTF-8 (e.g. iconv -f {other.upper()} -t UTF-8) in simplified Chinese",
                             path=where)
    raise InputError(f"the text does not look like GBK/GB18030 Chinese (only {100 * share:.0f} % of its "
                     "characters are common simplified Chinese): save it as UTF-8", path=where)


def _decode(data: bytes, where: str) -> tuple[str, str]:
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                     (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc.replace("-sig", "") + " (BOM)"
            except UnicodeDecodeError:
                raise InputError(f"not valid {enc} text despite its byte-order mark", path=where) from None
    if b"\x00" in data:
        even, odd = data[0::2], data[1::2]
        zeros_even, zeros_odd = even.count(0) / max(len(even), 1), odd.count(0) / max(len(odd), 1)
        enc = "utf-16-le" if zeros_odd > 0.3 and zeros_even < 0.05 else \
            "utf-16-be" if zeros_even > 0.3 and zeros_odd < 0.05 else None
        if enc:
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                pass
        raise InputError("a binary file, not a plan text", path=where)
    for enc in ("utf-8", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
        if controls > max(8, len(text) // 100):
            raise InputError("a binary file, not a plan text", path=where)
        if enc == "gb18030":
            _check_gbk_plausible(data, text, where)
        return text, enc
    raise InputError("not text in UTF-8, UTF-16 or GB18030 (GBK)", path=where)


_BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]", re.IGNORECASE)
_SUPSUB_RE = re.compile(r"\s*<(sup|sub)>\s*([^<]{0,12}?)\s*</\1>", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]{0,60}>")
_TEX = {r"\geq": "≥", r"\geqslant": "≥", r"\ge": "≥", r"\leq": "≤", r"\leqslant": "≤", r"\le": "≤",
        r"\times": "×", r"\%": "%", r"\sim": "~"}
_TEX_RE = re.compile("|".join(re.escape(k) for k in sorted(_TEX, key=len, reverse=True)))


def clean_line(raw: str) -> str:
    """A line without markup, in NFKC form (full-width digits and punctuation made ASCII)."""
    s = _BOOKMARK_RE.sub("", raw)
    s = unicodedata.normalize("NFKC", s.replace("\u3000", " "))
    s = _SUPSUB_RE.sub(r"\2", s)
    s = re.sub(r"<br\s*/?>", " ", s, flags=re.IGNORECASE)
    s = _TAG_RE.sub("", s)
    if "$" in s:
        s = _TEX_RE.sub(lambda m: _TEX[m.group(0)], s).replace("$", "")
    s = s.replace("**", "").replace("__", "")
    return s.rstrip("\r\n")
