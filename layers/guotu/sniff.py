"""国土TXT fields, placeholders and sniffing: is a file (or its first bytes) a 国土TXT file."""

from __future__ import annotations

import os
import re

#: Fields of a parcel line in the standard order (the last field ``@`` is not counted).
STANDARD_FIELDS = ("界址点数", "地块面积", "地块编号", "地块名称", "记录图形属性", "图幅号", "地块用途", "地类编码")

#: Texts that some tools write instead of an empty field (the field's pinyin initials).
PLACEHOLDERS = frozenset({"JZDS", "DKMJ", "DKBH", "DKMC", "JLTXSX", "TXSX", "TFH", "DKYT", "DLBM", "BZ"})

_SECTION = re.compile(r"^[\[【［]\s*(.*?)\s*[\]】］]$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_GEOMETRY_KINDS = {"面": "polygon", "线": "line", "点": "point"}
_CLOSE_TOL = 1e-6  # metres: a point this close to the ring's first point closes the ring
_SNIFF_BYTES = 4096


# --------------------------------------------------------------------------------------------- sniffing

def is_guotu(path: str | os.PathLike) -> bool:
    """Whether ``path`` looks like a 国土TXT file: its first 4 KB name the section 地块坐标 or 属性描述.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> _ = open(path, "w", encoding="gbk").write("[属性描述]\\r\\n坐标系=2000国家大地坐标系\\r\\n")
    >>> is_guotu(path)
    True
    """
    try:
        with open(path, "rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError:
        return False
    return is_guotu_head(head)


def is_guotu_head(head: bytes) -> bool:
    """Whether the first bytes of a text file name the section 地块坐标 or 属性描述 (see :func:`is_guotu`).

    >>> is_guotu_head("[地块坐标]".encode("gbk")), is_guotu_head(b"name,lon,lat")
    (True, False)
    """
    head = head[:_SNIFF_BYTES]
    markers = ("地块坐标", "属性描述")
    return any(m.encode(enc) in head for m in markers for enc in ("utf-8", "gbk", "utf-16-le", "utf-16-be"))


