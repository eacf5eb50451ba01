"""Uploaded site files: their type told by content, safe names, and archives unpacked safely.

Nothing a user sends names a path on the server: an upload is stored under a name made from its own name
with everything but letters, digits and ``-_.()`` replaced, and the extension is the one its **content**
calls for (a ZIP named ``地块.txt`` is a ZIP). Archives (ZIP, KMZ) are unpacked only into the job's own
folder: a member with an absolute path, a ``..`` component or a symbolic link refuses the whole upload, and
so does an archive with more than ``max_members`` members or more than ``max_bytes`` unpacked (counted on
the bytes actually written, not on what the archive declares: a zip bomb stops at the limit).

Example
-------
>>> sniff(b"PK\\x03\\x04...", "地块.txt")
'zip'
>>> sniff("[属性描述]\\r\\n坐标系=2000国家大地坐标系\\r\\n".encode("gbk"), "a.dat")
'guotu'
>>> safe_name("../../etc/passwd"), safe_name("<b>项目.txt")
('passwd', 'b_项目.txt')
>>> display_name("a\\x07b<i>.txt")
'a\\\\x07b<i>.txt'
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["EXTENSIONS", "ArchiveRefused", "UploadRefused", "display_name", "extract_archive", "safe_name",
           "sniff", "store_upload"]

# what each sniffed type is stored as
EXTENSIONS = {"guotu": ".txt", "csv": ".csv", "kml": ".kml", "gpkg": ".gpkg", "geojson": ".geojson",
              "dxf": ".dxf", "zip": ".zip"}
TYPE_LABELS = {"guotu": "国土TXT", "csv": "CSV 点表", "kml": "KML", "gpkg": "GeoPackage", "geojson": "GeoJSON",
               "dxf": "DXF", "zip": "ZIP/KMZ 压缩包"}
# members of an archive that are unpacked (others, e.g. a Word document beside the data, are skipped)
MEMBER_EXTENSIONS = {".txt", ".csv", ".kml", ".gpkg", ".geojson", ".json", ".dxf", ".shp", ".shx", ".dbf",
                     ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml", ".fgb", ".parquet"}
COORDINATE_NAMES = {"longitude", "latitude", "lon", "lat", "lng", "经度", "纬度", "x", "y"}
SNIFF_BYTES = 64 * 1024
_CHUNK = 1 << 20


class UploadRefused(Exception):
    """An upload that is not accepted: ``status`` (413, 415, 422) and a one-line ``message`` naming the file."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


class ArchiveRefused(UploadRefused):
    """An archive with a member outside its folder, a link, too many members or too many bytes."""


# ------------------------------------------------------------------------------------------------ names
def display_name(name: str | None, limit: int = 200) -> str:
    """A user's file name as shown to users: control characters written as ``\\xNN`` escapes, cut to
    ``limit`` characters. (Markup stays as it is: pages escape it.)

    >>> display_name("报告\\n.txt")
    '报告\\\\x0a.txt'
    """
    name = unicodedata.normalize("NFC", name or "")
    out = "".join(f"\\x{ord(c):02x}" if unicodedata.category(c)[0] == "C" else c for c in name)
    return out[:limit] or "（无名文件）"


def safe_name(name: str | None, default: str = "upload") -> str:
    """A file name safe to create on the server: the last part of ``name`` (``/`` and ``\\`` both
    separate), letters (Chinese included), digits and ``-_.()（）`` kept, every other run of characters
    replaced by ``_``, no leading dot, at most 100 characters with the extension kept.

    >>> safe_name("C:\\\\报批\\\\01 项目.TXT"), safe_name("..."), safe_name(".hidden")
    ('01_项目.TXT', 'upload', 'hidden')
    """
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\-()（）]+", "_", name, flags=re.UNICODE)
    name = name.lstrip("._") or ""
    if not name.strip("._-"):
        return default
    stem, ext = os.path.splitext(name)
    if len(ext) > 12:
        stem, ext = name, ""
    return stem[:100 - len(ext)] + ext


# ------------------------------------------------------------------------------------------------ sniffing
def _text(head: bytes) -> str | None:
    """The sniffed bytes as text, or None for binary data."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    if b"\x00" in head[:8192]:
        return None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return head.decode(enc)
        except UnicodeDecodeError as exc:
            if exc.start > len(head) - 4:          # a character cut by the sniff window
                return head[:exc.start].decode(enc, errors="replace")
    return None


def sniff(head: bytes, name: str = "") -> str | None:
    """The type of an upload from its first bytes: ``guotu``, ``csv``, ``kml``, ``gpkg``, ``geojson``,
    ``dxf``, ``zip`` (also KMZ), or None when it is none of them. The name is not used."""
    del name  # type by content, never by name
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"AutoCAD Binary DXF"):
        return "dxf"
    text = _text(head)
    if text is None:
        return None
    if "地块坐标" in text[:4096] or "属性描述" in text[:4096]:
        return "guotu"
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("<") and "<kml" in body[:2048]:
        return "kml"
    if body.startswith("{") and re.search(r'"type"\s*:', body[:4096]):
        return "geojson"
    lines = [ln.strip() for ln in body.splitlines()[:4]]
    if len(lines) >= 2 and lines[0] == "0" and lines[1].upper() == "SECTION":
        return "dxf"
    first = lines[0] if lines else ""
    for sep in (",", "\t", ";"):
        cells = {c.strip().strip('"').lower() for c in first.split(sep)}
        if len(cells) >= 2 and len(cells & COORDINATE_NAMES) >= 2:
            return "csv"
    return None


# ------------------------------------------------------------------------------------------------ storing
@dataclass
class Stored:
    """What an upload became: the files stored in the job's folder and what to tell the user."""

    files: list[Path] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)      # stored path → the user's name (display form)
    notes: list[str] = field(default_factory=list)


def unique_path(folder: Path, name: str) -> Path:
    """``folder / name``, or ``name`` with ``_2``, ``_3`` … before its extension when its name or stem is taken
    in ``folder`` (a Shapefile's parts share one stem, so they are renamed together by :func:`extract_archive`).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "a.TXT").write_bytes(b"")
    >>> unique_path(d, "a.txt").name, unique_path(d, "b.txt").name
    ('a_2.txt', 'b.txt')
    """
    stem, ext = os.path.splitext(name)
    return folder / _unused(stem, _names_in(folder), ext)


def _names_in(folder: Path) -> set[str]:
    """The names and the stems of what ``folder`` holds, in lower case (none when it does not exist yet)."""
    names = {p.name.lower() for p in folder.iterdir()} if folder.is_dir() else set()
    return names | {os.path.splitext(n)[0] for n in names}


def _unused(stem: str, taken: set[str], ext: str = "") -> str:
    """``stem + ext``, or with ``_2``, ``_3`` … after the stem, whichever is not in ``taken`` (lower case: the
    folder's names and stems); the one chosen is added to ``taken``.

    >>> taken = {"a", "a.txt"}
    >>> _unused("a", taken), _unused("a", taken), _unused("x", taken, ".gdb"), _unused("x", taken, ".gdb")
    ('a_2', 'a_3', 'x.gdb', 'x_2.gdb')
    """
    cand, k = stem + ext, 2
    while cand.lower() in taken:
        cand, k = f"{stem}_{k}{ext}", k + 1
    taken.add(cand.lower())
    return cand


def store_upload(src, filename: str | None, folder: Path, stored: Stored, *, max_members: int,
                 max_bytes: int) -> None:
    """Store one uploaded file (a binary file object) in ``folder``: typed by content, named safely; an
    archive is unpacked there instead (:func:`extract_archive`).

    Raises
    ------
    UploadRefused
        415 for content of no known type, 413/422 for an archive refused.
    """
    shown = display_name(filename)
    head = src.read(SNIFF_BYTES)
    kind = sniff(head)
    if kind is None:
        raise UploadRefused(f"{shown}: 无法识别的文件类型（按内容判断）；可上传国土TXT、压缩的 Shapefile（zip）、GeoPackage、"
                            f"KML/KMZ、DXF、GeoJSON 或含经纬度列的 CSV", 415)
    src.seek(0)
    if kind == "zip":
        extract_archive(src, shown, folder, stored, max_members=max_members, max_bytes=max_bytes)
        return
    stem = os.path.splitext(safe_name(filename))[0] or "upload"
    path = unique_path(folder, stem + EXTENSIONS[kind])
    with open(path, "xb") as out:
        while chunk := src.read(_CHUNK):
            out.write(chunk)
    stored.files.append(path)
    stored.names[str(path)] = shown


# ------------------------------------------------------------------------------------------------ archives
def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its author wrote it: ZIP files from Chinese Windows store GBK names without the
    UTF-8 flag, which :mod:`zipfile` reads as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return info.filename


def _member_parts(name: str, shown: str) -> list[str]:
    """The parts of a member's path; refuses absolute paths and ``..``."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm) or any(p == ".." for p in norm.split("/")):
        raise ArchiveRefused(f"{shown}: 压缩包成员 {display_name(name)} 的路径指向压缩包之外（绝对路径或 ..），已拒绝整个压缩包")
    return [p for p in posixpath.normpath(norm).split("/") if p not in ("", ".")]


def extract_archive(src, shown: str, folder: Path, stored: Stored, *, max_members: int, max_bytes: int) -> None:
    """Unpack a ZIP (or KMZ) into ``folder``, flat: one folder level is kept as a name prefix so that a
    Shapefile's parts keep one stem and two ``a.txt`` in different folders stay apart; ``*.gdb`` folders stay
    folders. Members of other types are skipped (said in ``stored.notes``), nested archives too.

    Raises
    ------
    ArchiveRefused
        A member outside the folder, a symbolic link, an encrypted member, too many members (422), or more
        than ``max_bytes`` unpacked (413). Nothing stays written then.
    """
    try:
        zf = zipfile.ZipFile(src)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise UploadRefused(f"{shown}: 不是完好的 ZIP 压缩包（文件损坏或不完整）", 422) from None
    files = [i for i in infos if not i.is_dir()]
    if len(files) > max_members:
        raise ArchiveRefused(f"{shown}: 压缩包有 {len(files)} 个文件，超过 {max_members} 个的上限", 422)
    if sum(i.file_size for i in files) > max_bytes:
        raise ArchiveRefused(f"{shown}: 压缩包解压后超过 {max_bytes // 2**20} MB 的上限，已拒绝", 413)
    plan = []
    for info in files:
        name = member_name(info)
        parts = _member_parts(name, shown)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveRefused(f"{shown}: 压缩包成员 {display_name(name)} 是符号链接，已拒绝整个压缩包")
        if info.flag_bits & 0x1:
            raise ArchiveRefused(f"{shown}: 压缩包成员 {display_name(name)} 已加密，无法读取")
        if not parts or parts[0] == "__MACOSX" or parts[-1].startswith("."):
            continue
        plan.append((info, name, parts))
    root_dirs = {tuple(p[:-1])[:1] for _, _, p in plan}
    strip = 1 if len(root_dirs) == 1 and all(len(p) > 1 for _, _, p in plan) else 0
    written = 0
    renames: dict[tuple, str] = {}
    taken = _names_in(folder)  # not reused: an earlier file of the same upload (the same zip sent twice)
    folder_real = os.path.realpath(folder)
    for info, name, parts in plan:
        rel = parts[strip:]
        gdb = next((k for k, p in enumerate(rel[:-1]) if p.lower().endswith(".gdb")), None)
        ext = os.path.splitext(rel[-1])[1].lower()
        if gdb is None and ext not in MEMBER_EXTENSIONS:
            stored.notes.append(f"{shown}: 跳过 {display_name(name)}（不是可检查的数据文件）")
            continue
        if gdb is not None:
            prefix = "_".join(safe_name(p) for p in rel[:gdb])
            top = safe_name(rel[gdb])
            key = ("gdb", prefix, top.lower())
            if key not in renames:           # one folder per geodatabase
                name_stem, name_ext = os.path.splitext(f"{prefix}_{top}" if prefix else top)
                renames[key] = _unused(name_stem, taken, name_ext)
            target = folder / renames[key] / "/".join(safe_name(p) for p in rel[gdb + 1:])
        else:
            directory = tuple(rel[:-1])
            stem, ext0 = os.path.splitext(safe_name(rel[-1]))
            key = (directory, stem.lower())
            if key not in renames:           # one new stem per (folder, stem): a Shapefile's parts stay together
                renames[key] = _unused("_".join([*(safe_name(p) for p in directory), stem]), taken)
            target = folder / (renames[key] + ext0)
        real = os.path.realpath(target.parent)
        if not (real == folder_real or real.startswith(folder_real + os.sep)):
            raise ArchiveRefused(f"{shown}: 压缩包成员 {display_name(name)} 的路径指向压缩包之外，已拒绝整个压缩包")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():                  # a name written twice in the archive
            raise ArchiveRefused(f"{shown}: 压缩包中有两个同名成员 {display_name(name)}，已拒绝整个压缩包")
        with zf.open(info) as member, open(target, "xb") as out:
            while chunk := member.read(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise ArchiveRefused(f"{shown}: 压缩包解压后超过 {max_bytes // 2**20} MB 的上限（实际内容大于其声明），已拒绝",
                                         413)
                out.write(chunk)
        if gdb is None or target.parent.parent == folder:
            top = target if gdb is None else target.parent
            if top not in stored.files:
                stored.files.append(top)
                stored.names[str(top)] = f"{shown}: {display_name(name if gdb is None else rel[gdb])}"
    if not stored.files:
        raise UploadRefused(f"{shown}: 压缩包中没有可检查的数据文件（国土TXT、Shapefile、GeoPackage、KML、CSV …）", 422)
