"""Which encoding a Shapefile's attribute table is in: the ``.cpg`` file, the ``.dbf`` language driver byte,
and the attribute bytes themselves (GBK tables with no ``.cpg`` are the rule in Chinese planning data).

Example
-------
>>> [_normalise_encoding(t) for t in ("936", "UTF-8", "1252", "no such code page")]
['gbk', 'utf-8', 'cp1252', None]
"""

from __future__ import annotations

import codecs
import os
import struct
from pathlib import Path

import numpy as np

from redline.layers.errors import InputError


def _dbf_text_bytes(dbf: Path, limit: int = 4 << 20) -> tuple[list[bytes], bytes, int]:
    """A .dbf's field names, the bytes of its character fields (up to ``limit``), and its language-driver
    id byte. Field names count: a GBK table may have Chinese field names and only ASCII values."""
    with open(dbf, "rb") as f:
        head = f.read(32)
        if len(head) < 32:
            raise InputError("the .dbf attribute table is truncated (shorter than its header)", path=str(dbf))
        nrec, hlen, rlen = struct.unpack("<IHH", head[4:12])
        ldid = head[29]
        fields, names = [], []
        desc = f.read(max(hlen - 32, 0))
        for i in range(0, len(desc) - 31, 32):
            d = desc[i:i + 32]
            if d[0] == 0x0D:
                break
            fields.append((d[11:12], d[16]))
            names.append(d[:11].split(b"\x00", 1)[0])
        f.seek(hlen)
        data = f.read(min(nrec * rlen, limit))
    if not fields or rlen == 0:
        return names, b"", ldid
    # keep only the character (C) fields of each record
    offsets, pos = [], 1
    for ftype, flen in fields:
        if ftype == b"C":
            offsets.append((pos, flen))
        pos += flen
    n = len(data) // rlen
    rec = np.frombuffer(data[: n * rlen], dtype=np.uint8).reshape(n, rlen) if n else np.zeros((0, rlen), np.uint8)
    chunks = [rec[:, o:o + w].tobytes() for o, w in offsets]
    return names, b" ".join(chunks), ldid


def _decodes(names: list[bytes], values: bytes, encoding: str) -> bool:
    """Whether field names and values decode in ``encoding`` (a name cut at 11 bytes may end mid-character)."""
    try:
        values.decode(encoding)
        for name in names:
            codecs.getincrementaldecoder(encoding)().decode(name, final=False)
    except UnicodeDecodeError:
        return False
    return True


# Language driver ids that name a Chinese code page (ArcGIS writes 0x4D for 936).
_LDID_CHINESE = {0x4D: "gbk", 0x7A: "gbk"}


def detect_dbf_encoding(shp: str | os.PathLike) -> tuple[str, str]:
    """The encoding of a Shapefile's attribute table, and how it was determined.

    A ``.cpg`` is honoured; otherwise the field names and text values are decoded: pure ASCII → ``utf-8``;
    valid UTF-8 → ``utf-8``; otherwise valid GB18030 → ``gbk`` (the GBK superset is used for decoding).

    Returns
    -------
    (encoding, source)

    Examples
    --------
    >>> import geopandas as gpd, pyogrio, os, tempfile
    >>> from shapely.geometry import Point
    >>> path = os.path.join(tempfile.mkdtemp(), "towns.shp")
    >>> pyogrio.write_dataframe(gpd.GeoDataFrame({"MC": ["孝义"]}, geometry=[Point(111.8, 37.1)], crs=4490),
    ...                         path, encoding="GBK")
    >>> os.remove(path[:-4] + ".cpg")
    >>> detect_dbf_encoding(path)
    ('gbk', 'no .cpg; attribute text is not UTF-8 but decodes as GBK/GB18030')
    """
    shp = Path(shp)
    bad_cpg = ""
    for ext in (".cpg", ".CPG"):
        cpg = shp.with_suffix(ext)
        if cpg.is_file():
            text = cpg.read_text(encoding="ascii", errors="replace").strip()
            enc = _normalise_encoding(text)
            if enc:
                return _verify_cpg(shp, enc, text)
            bad_cpg = f" (the .cpg says {text!r}, which names no encoding)"
            break
    dbf = sidecar(shp, ".dbf")
    if dbf is None:
        return "utf-8", "no .dbf"
    names, values, ldid = _dbf_text_bytes(dbf)
    why = "no usable .cpg" + bad_cpg if bad_cpg else "no .cpg"
    raw = np.frombuffer(b"".join(names) + values[:1 << 20], dtype=np.uint8)
    if not len(raw) or raw.max() < 0x80:
        return "utf-8", f"{why}; attribute text is plain ASCII"
    if _decodes(names, values, "utf-8"):
        return "utf-8", f"{why}; attribute text decodes as UTF-8"
    if _decodes(names, values, "gb18030"):
        why += "; attribute text is not UTF-8 but decodes as GBK/GB18030"
        if ldid in _LDID_CHINESE:
            why += f" (and the .dbf language driver 0x{ldid:02X} says code page 936)"
        return "gbk", why
    return "latin-1", f"{why}; attribute text is neither UTF-8 nor GBK: read as Latin-1, check it"


CPG_CONTRADICTED = "but the attribute text is not valid"


def _verify_cpg(shp: Path, enc: str, text: str) -> tuple[str, str]:
    """The .cpg's encoding, unless the .dbf text does not decode in it but does in UTF-8 or GBK."""
    why = f".cpg file says {text!r}"
    dbf = sidecar(shp, ".dbf")
    if dbf is None:
        return enc, why
    names, values, _ = _dbf_text_bytes(dbf)
    if _decodes(names, values, "gb18030" if enc == "gbk" else enc):
        return enc, why
    for other, label in (("utf-8", "UTF-8"), ("gbk", "GBK/GB18030")):
        if other != enc and _decodes(names, values, "gb18030" if other == "gbk" else other):
            return other, f"{why}, {CPG_CONTRADICTED} {enc} (it decodes as {label}, and was read so)"
    return "latin-1", f"{why}, {CPG_CONTRADICTED} {enc} (nor UTF-8 or GBK): read as Latin-1, check it"


def _normalise_encoding(text: str) -> str | None:
    t = text.strip().lower().replace("_", "-")
    if t in ("936", "cp936", "gbk", "gb2312", "gb18030", "ansi 936"):
        return "gbk"
    if t in ("65001", "utf-8", "utf8"):
        return "utf-8"
    if not t:
        return None
    try:
        import codecs

        return codecs.lookup(t).name
    except LookupError:
        return None


def sidecar(shp: Path, ext: str) -> Path | None:
    for cand in (shp.with_suffix(ext), shp.with_suffix(ext.upper())):
        if cand.is_file():
            return cand
    return None
