"""Layers inside zip archives: how Shapefiles (and other layers) arrive by e-mail.

A zip holds one or several layers: each Shapefile (``.shp`` with its ``.shx``, ``.dbf``, ``.prj``, ``.cpg``),
GeoPackage, GeoJSON, KML/KMZ, DXF, FlatGeobuf, GeoParquet, File Geodatabase folder, CSV of points (one
whose header names coordinate columns) and 国土TXT file in it, at any depth. A layer is named by its path
inside the zip (with or without extension), its file name, or its name without extension
(``资料.zip:生态保护红线``), whichever is unique.

The member is extracted into a temporary folder and read there with every check a file on disk gets (a
GBK attribute table without ``.cpg`` is detected as usual), then the folder is removed. File names inside
zips made on Chinese Windows are GBK without the zip's UTF-8 flag: they are decoded as GBK (as UTF-8 when
every such name is valid UTF-8). Members are written under the temporary folder only (a name holding
``..`` or an absolute path cannot escape it).

Example
-------
>>> import geopandas as gpd, shapely, tempfile, os, zipfile
>>> d = tempfile.mkdtemp()
>>> gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[shapely.box(111.0, 37.0, 111.01, 37.01)], crs=4490
...                  ).to_file(os.path.join(d, "红线.shp"), encoding="utf-8")
>>> with zipfile.ZipFile(os.path.join(d, "资料.zip"), "w") as z:
...     for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
...         z.write(os.path.join(d, "红线" + ext), "成果/红线" + ext)
>>> [m.name for m in archive_layers(os.path.join(d, "资料.zip"))]
['成果/红线.shp']
>>> with extracted(os.path.join(d, "资料.zip"), "红线") as (local, member, inner):
...     local.name, member.name, inner
('红线.shp', '成果/红线.shp', None)
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from redline.layers.errors import InputError

# files that are layers inside a zip (a .gdb folder is one too); sidecars are extracted with their .shp
MEMBER_EXTENSIONS = (".shp", ".gpkg", ".geojson", ".json", ".kml", ".kmz", ".dxf", ".fgb", ".parquet",
                     ".geoparquet", ".csv", ".txt")
_SNIFF = 4096


@dataclass(frozen=True)
class Member:
    """One layer inside a zip: its path there (``/``-separated, decoded) and the entries to extract."""

    name: str
    entries: tuple[tuple[zipfile.ZipInfo, str], ...]

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.name).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()


def _open(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise InputError("file not found", path=str(path))
    if path.stat().st_size == 0:
        raise InputError("file is empty (0 bytes)", path=str(path))
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(f"not a readable zip archive (damaged or truncated?): {exc}", path=str(path)) from None


def decoded_names(zf: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, str]]:
    """Each entry with its name decoded: entries flagged UTF-8 as such; the others (cp437 to the zip
    module) as UTF-8 when all of them are valid UTF-8, else as GB18030 (the GBK superset) when all are,
    else as the zip module read them.

    >>> class GbkName(zipfile.ZipInfo):            # as Windows' own zip tool writes names: GBK, no flag
    ...     def _encodeFilenameFlags(self):
    ...         return self.filename.encode("gbk"), self.flag_bits
    >>> import io
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr(GbkName("红线.txt"), b"x")
    >>> [(i.filename, n) for i, n in decoded_names(zipfile.ZipFile(buf))]
    [('║∞╧▀.txt', '红线.txt')]
    """
    infos = zf.infolist()
    plain = [i for i in infos if not i.flag_bits & 0x800]
    raw = {id(i): i.filename.encode("cp437", errors="replace") for i in plain}

    def all_decode(enc: str) -> bool:
        try:
            for b in raw.values():
                b.decode(enc)
        except UnicodeDecodeError:
            return False
        return True

    enc = "utf-8" if all_decode("utf-8") else "gb18030" if all_decode("gb18030") else None
    out = []
    for i in infos:
        name = i.filename
        if enc is not None and id(i) in raw:
            name = raw[id(i)].decode(enc)
        out.append((i, name.replace("\\", "/")))
    return out


def _skipped(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.startswith((".", "__MACOSX")) and p not in (".", "..") for p in parts)


def _head(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with zf.open(info) as f:
            return f.read(_SNIFF)
    except (RuntimeError, zipfile.BadZipFile, NotImplementedError, OSError, EOFError):
        return b""      # unreadable: listed anyway when its extension says layer, and reading says why


def _is_layer_file(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bool:
    """Whether a file of the zip is a layer: its extension, and for text files its content (a CSV whose
    header names coordinate columns, a 国土TXT file, a GeoJSON)."""
    from redline.layers.guotu import is_guotu_head

    ext = PurePosixPath(name).suffix.lower()
    if ext not in MEMBER_EXTENSIONS:
        return False
    if ext == ".txt":
        return is_guotu_head(_head(zf, info))
    if ext == ".json":
        head = _head(zf, info)
        return b'"Feature' in head or b'"type"' in head and b'"coordinates"' in head
    if ext == ".csv":
        from redline.layers.text import decode_text

        head = _head(zf, info).split(b"\n", 1)[0]
        try:
            first = decode_text(head, fallback="latin-1").text.strip().lower()
        except Exception:   # undecodable: not a CSV of points
            return False
        cols = {c.strip().strip('"') for c in first.split(",")}
        return any(x in cols and y in cols for x, y in (("longitude", "latitude"), ("lon", "lat"),
                                                        ("lng", "lat"), ("经度", "纬度"), ("x", "y")))
    return True


def archive_layers(path: str | os.PathLike) -> list[Member]:
    """The layers a zip holds, in the order of their paths.

    Raises
    ------
    InputError
        Not a readable zip.
    """
    path = Path(path)
    with _open(path) as zf:
        names = [(i, n) for i, n in decoded_names(zf) if not _skipped(n)]
        members: list[Member] = []
        gdbs: dict[str, list] = {}
        for info, name in names:
            parts = PurePosixPath(name).parts
            gdb = next((k for k, p in enumerate(parts[:-1]) if p.lower().endswith(".gdb")), None)
            if gdb is not None:
                gdbs.setdefault("/".join(parts[:gdb + 1]), []).append((info, name))
                continue
            if info.is_dir() or not _is_layer_file(zf, info, name):
                continue
            entries = [(info, name)]
            if name.lower().endswith(".shp"):
                base = name[:-4]
                entries += [(i, n) for i, n in names if n != name and n.lower().startswith(base.lower() + ".")
                            and "/" not in n[len(base):] and not i.is_dir()]
            members.append(Member(name, tuple(entries)))
        members += [Member(k, tuple(v)) for k, v in gdbs.items()]
    return sorted(members, key=lambda m: m.name)


def find_member(path: str | os.PathLike, layer: str | None) -> tuple[Member, str | None]:
    """The member named by ``layer`` (its path in the zip with or without extension, file name, or stem;
    case-insensitive) and the
    layer inside it (``资料.zip:县界.gpkg:乡镇`` → ``县界.gpkg``, ``乡镇``).

    Raises
    ------
    InputError
        No layer in the zip; none or several named so; ``layer`` None and the zip holds several.
    """
    path = Path(path)
    members = archive_layers(path)
    if not members:
        raise InputError("the zip holds no layer redline reads (Shapefile, GeoPackage, GeoJSON, KML, DXF, "
                         "File Geodatabase, CSV of points, 国土TXT...)", path=str(path))
    listing = ", ".join(m.name for m in members)
    if layer is None:
        if len(members) == 1:
            return members[0], None
        raise InputError(f"the zip holds {len(members)} layers ({listing}): name one as "
                         f"{path.name}:{members[0].stem}", path=str(path))
    text = layer.replace("\\", "/").strip("/")
    for cut in [len(text), *[i for i, c in enumerate(text) if c == ":"]]:
        head, inner = text[:cut], text[cut + 1:] if cut < len(text) else None
        key = head.lower()
        found = [m for m in members if key == m.name.lower()] or \
                [m for m in members if key == m.name.lower()[:len(m.name) - len(m.suffix)]] or \
                [m for m in members if key == m.file_name.lower()] or \
                [m for m in members if key == m.stem.lower()]
        if len(found) == 1:
            return found[0], inner or None
        if len(found) > 1:
            raise InputError(f"{len(found)} layers of the zip are named {head!r} "
                             f"({', '.join(m.name for m in found)}): name one by its path in the zip",
                             path=str(path))
    raise InputError(f"the zip holds no layer {layer!r} (layers: {listing})", path=str(path))


def _safe_relative(name: str) -> Path:
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".", "..", "/") and ":" not in p]
    return Path(*parts) if parts else Path("member")


@contextmanager
def extracted(path: str | os.PathLike, layer: str | None) -> Iterator[tuple[Path, Member, str | None]]:
    """The member named by ``layer`` (see :func:`find_member`) extracted into a temporary folder, removed
    on exit: yields the local path of the member, the member, and the layer named inside it (``乡镇`` of
    ``资料.zip:县界.gpkg:乡镇``) or None.

    Raises
    ------
    InputError
        Not a readable zip, no such layer, an entry that is damaged, encrypted or compressed by a method
        the zip module does not read (Deflate64 from Windows Explorer on large files), or not enough space.
    """
    path = Path(path)
    member, inner = find_member(path, layer)
    tmp = Path(tempfile.mkdtemp(prefix="redline-zip-"))
    try:
        need = sum(i.file_size for i, _ in member.entries)
        free = shutil.disk_usage(tmp).free
        if need > free:
            raise InputError(f"cannot extract {member.name}: it needs {need / 1e6:,.0f} MB, the temporary folder "
                             f"has {free / 1e6:,.0f} MB free (extract the zip yourself)", path=str(path))
        with _open(path) as zf:
            for info, name in member.entries:
                dest = tmp / _safe_relative(name)
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with zf.open(info) as src, open(dest, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
                except RuntimeError as exc:      # encrypted
                    raise InputError(f"{name} in the zip cannot be read: {exc} (extract it yourself)",
                                     path=str(path)) from None
                except NotImplementedError as exc:
                    raise InputError(f"{name} in the zip is compressed by a method that cannot be read here "
                                     f"({exc}); extract the zip yourself", path=str(path)) from None
                except (zipfile.BadZipFile, EOFError, OSError) as exc:
                    raise InputError(f"{name} in the zip is damaged or truncated ({exc})", path=str(path)) from None
        yield tmp / _safe_relative(member.name), member, inner
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rewrite_error(exc, local: Path, shown: str):
    """The same :class:`~redline.layers.errors.RedlineError` with the extracted file's path replaced by how
    the user named it (``资料.zip:红线.shp``), in its path and its text."""
    loc = str(local)
    path = shown if exc.path is not None and exc.path.startswith(str(local.parent)) else exc.path
    return type(exc)(exc.reason.replace(loc, shown), path=path, line=exc.line, feature=exc.feature)


def rewrite_text(text: str, local: Path, shown: str) -> str:
    """A warning with the extracted file's path (or the folder it is in) replaced by ``shown``."""
    return text.replace(str(local), shown).replace(str(local.parent), shown)
