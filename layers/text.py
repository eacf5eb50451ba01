"""Decoding the bytes of a text file: one rule for every text redline reads (CSV, 国土TXT, plan texts).

The rule, in order:

1. an encoding given by the user wins (an unknown name is a usage error, bytes it cannot decode an input
   error naming the line);
2. a byte-order mark: UTF-8, UTF-32 or UTF-16;
3. NUL bytes: UTF-16 without a byte-order mark when every other byte is NUL (ASCII-heavy text), otherwise
   binary data;
4. strict UTF-8;
5. GBK, then GB18030 (a superset), with two plausibility checks: text full of control characters is binary
   data, and text whose CJK characters are mostly outside GB2312 or are kana is Big5 or Shift-JIS read as
   GBK (a real simplified-Chinese text is ≥ 99 % GB2312);
6. else an input error, or the caller's ``fallback`` encoding (Latin-1 for CSV files).

:func:`decode_text` says how it decided (``how``: ``user``, ``bom``, ``detected``, ``fallback``, and a
sentence in ``reason``).

Example
-------
>>> d = decode_text("生态保护红线面积47.89平方千米".encode("gbk"))
>>> d.text, d.encoding, d.how
('生态保护红线面积47.89平方千米', 'gbk', 'detected')
>>> d.reason
'no byte-order mark; the text is not UTF-8 but decodes as GBK/GB18030'
>>> decode_text(b"\\xef\\xbb\\xbfname,lon,lat").encoding
'utf-8-sig'
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from redline.layers.errors import InputError, UsageError

__all__ = ["DecodedText", "decode_text"]

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig", "UTF-8"), (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
         (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"), (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
         (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))


@dataclass(frozen=True)
class DecodedText:
    """Decoded text, the codec used, and how it was chosen."""

    text: str
    encoding: str  # utf-8, utf-8-sig, utf-16, utf-16-le, utf-16-be, utf-32, gbk, gb18030, the user's, the fallback
    how: str  # user | bom | detected | fallback
    reason: str


def _line(data: bytes, pos: int) -> int:
    return data[:pos].count(b"\n") + 1


def decode_text(data: bytes, encoding: str | None = None, *, path: str | None = None, what: str = "text file",
                fallback: str | None = None) -> DecodedText:
    """Decode the bytes of a text file (see the module's rule).

    Parameters
    ----------
    data : bytes
        The whole file, or a sample of it cut at a line end.
    encoding : str, optional
        The encoding the user gave: it wins.
    path : str, optional
        The file, named in errors.
    what : str
        What the file should be ("国土TXT text file", "plan text"), named in errors about binary data.
    fallback : str, optional
        The encoding to read the bytes in when they are neither UTF-8 nor GBK/GB18030 (instead of an error).

    Returns
    -------
    DecodedText

    Raises
    ------
    UsageError
        ``encoding`` is no known encoding.
    InputError
        Binary data, bytes invalid in the given or detected encoding, or Big5/Shift-JIS read as GBK.

    Example
    -------
    >>> decode_text("J1,1,4151000.00,38512000.00".encode("utf-16-le")).encoding   # no BOM: NUL bytes tell
    'utf-16-le'
    >>> decode_text("国土".encode("gbk"), "gb18030").reason
    'given with --encoding'
    """
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r} (use e.g. gbk, gb18030, utf-8)") from None
        if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
            name = "utf-8-sig"
        try:
            return DecodedText(data.decode(name), encoding, "user", "given with --encoding")
        except UnicodeDecodeError as exc:
            raise InputError(f"the bytes are not valid {encoding} ({exc.reason}); leave the encoding out to detect "
                             "it", path=path, line=_line(data, exc.start)) from None
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(f"the file starts with a {label} byte-order mark but is not valid {label}",
                                 path=path, line=_line(data, exc.start)) from None
            return DecodedText(text, codec, "bom", f"the file starts with a {label} byte-order mark")
    if b"\x00" in data:
        even, odd = data[0::2], data[1::2]
        zeros_even, zeros_odd = even.count(0) / max(len(even), 1), odd.count(0) / max(len(odd), 1)
        codec = "utf-16-le" if zeros_odd > 0.3 and zeros_even < 0.05 else \
            "utf-16-be" if zeros_even > 0.3 and zeros_odd < 0.05 else None
        if codec:
            try:
                return DecodedText(data.decode(codec), codec, "detected",
                                   f"no byte-order mark; NUL bytes in every other place: {codec.upper()}")
            except UnicodeDecodeError:
                pass
        raise InputError(f"binary data (NUL bytes), not a {what}", path=path,
                         line=_line(data, data.index(b"\x00")))
    last: UnicodeDecodeError | None = None
    for codec, reason in (("utf-8", "no byte-order mark; the text decodes as UTF-8"),
                          ("gbk", "no byte-order mark; the text is not UTF-8 but decodes as GBK/GB18030"),
                          ("gb18030", "no byte-order mark; the text is not UTF-8 but decodes as GBK/GB18030")):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
        if controls > max(8, len(text) // 100):
            raise InputError(f"binary data (control characters), not a {what}", path=path)
        if codec != "utf-8":
            _check_gbk_plausible(data, text, path)
        return DecodedText(text, codec, "detected", reason)
    if fallback:
        return DecodedText(data.decode(fallback, errors="replace"), fallback, "fallback",
                           f"the text is neither UTF-8 nor GBK/GB18030: read as {fallback.title()}, check it")
    raise InputError(f"not a text file in UTF-8, UTF-16 or GBK/GB18030 (undecodable bytes): not a {what}; save it "
                     "as UTF-8 or give its encoding", path=path, line=_line(data, last.start if last else 0))


def _gb2312_share(text: str) -> tuple[int, float]:
    """How many CJK characters (and kana) the text holds, and the share of them in GB2312 (kana excluded)."""
    chars = [c for c in text if "\u3400" <= c <= "\u9fff" or "\u3040" <= c <= "\u30ff"]
    common = 0
    for c in chars:
        try:
            c.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += c < "\u3040" or c > "\u30ff"  # kana are in GB2312 but no Chinese text is written with them
    return len(chars), common / max(len(chars), 1)


def _check_gbk_plausible(data: bytes, text: str, path: str | None) -> None:
    """Bytes in another double-byte encoding (Big5, Shift-JIS) often decode as GB18030 without error, into
    rare characters and kana; a real simplified-Chinese text is almost all GB2312."""
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
                             f"UTF-8 (e.g. iconv -f {other.upper()} -t UTF-8) in simplified Chinese", path=path)
    raise InputError(f"the text does not look like GBK/GB18030 Chinese (only {100 * share:.0f} % of its "
                     "characters are common simplified Chinese): save it as UTF-8", path=path)
