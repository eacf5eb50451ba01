"""Reading and writing planning layers in the formats users really have.

Shapefile (GBK attribute tables with no ``.cpg`` included), GeoPackage, GeoJSON, KML and KMZ, File
Geodatabase, GeoParquet, FlatGeobuf, CSV of points, 国土TXT, DXF drawings (:mod:`redline.layers.dxf`) and
any of these inside a zip (:mod:`redline.layers.archives`), read through pyogrio with Arrow where possible.
A layer inside a file is named ``PATH:LAYER`` (:mod:`redline.layers.paths`); a file holding several
layers and no choice is an error listing them. Every layer comes back as a GeoDataFrame whose
:class:`~redline.layers.info.LayerInfo` (:func:`~redline.layers.info.layer_info`) says how it was read:
format, encoding and CRS (and how each was determined), and warnings. A CRS the file declares is checked
against the coordinates (:func:`redline.layers.crs.coordinates_contradiction`).

Example
-------
>>> import geopandas as gpd, tempfile, os
>>> from shapely.geometry import box
>>> d = tempfile.mkdtemp()
>>> gpd.GeoDataFrame({"HXMC": ["红线一"]}, geometry=[box(37465000, 4200000, 37466000, 4201000)],
...                  crs=4525).to_file(os.path.join(d, "rl.gpkg"))
>>> gdf = read_layer(os.path.join(d, "rl.gpkg"), kind="red_line")
>>> gdf["name"].tolist(), layer_info(gdf).crs["epsg"]
(['红线一'], 4525)
"""

from __future__ import annotations

import codecs
import os
import queue
import struct
import threading
import warnings as _warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from redline.layers.crs import describe_coordinates, epsg_of
from redline.layers.dbf_encoding import CPG_CONTRADICTED, detect_dbf_encoding, sidecar  # noqa: F401 (re-exported)
from redline.layers.errors import InputError, RedlineError, UsageError
from redline.layers.geometry import (
    COORDINATE_LIMIT,
    check_coordinates,
    explode_collections,
    geometries_from_wkb,
)
from redline.layers.info import LayerInfo, layer_info, with_info
from redline.layers.inputs import check_input
from redline.layers.kinds import map_attributes
from redline.layers.layer_crs import convert_old_datum, is_datum_kept_warning, settle_crs
from redline.layers.paths import LayerPath
from redline.layers.repair import invalid_report, repair_geometries, repair_message  # noqa: F401 (re-exported)
from redline.layers.text import decode_text

FORMATS = {
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".kml": "KML",
    ".kmz": "KMZ",
    ".gdb": "OpenFileGDB",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
    ".fgb": "FlatGeobuf",
    ".csv": "CSV",
    ".txt": "guotu-txt",
    ".dxf": "DXF",
    ".zip": "zip",
}


def detect_format(path: str | os.PathLike) -> str:
    """The format of a file by its extension (and content for ``.txt``).

    Raises
    ------
    InputError
        Missing file or an extension redline does not read.
    """
    p = check_input(path, folder=None)  # missing, a link loop, a pipe or device, unreadable, empty
    ext = p.suffix.lower()
    if ext not in FORMATS:
        raise InputError(f"unknown format {ext or '(no extension)'!r}; redline reads "
                         f"{', '.join(sorted(set(FORMATS)))}", path=str(p))
    if ext == ".gdb" and not p.is_dir():
        raise InputError("a File Geodatabase is a folder ending in .gdb", path=str(p))
    if ext != ".gdb" and p.is_dir():
        raise InputError("is a folder, not a file", path=str(p))
    if ext != ".gdb" and p.stat().st_size == 0:
        raise InputError("file is empty (0 bytes)", path=str(p))
    return FORMATS[ext]


# ------------------------------------------------------------------------------------------------ reading
def read_layer(path: str | os.PathLike, layer: str | int | None = None, *, encoding: str | None = None,
               crs: str | int | None = None, kind: str | None = None, fields: dict | None = None,
               repair: bool = False, towgs84: str | None = None, validate: bool = True,
               gcj02: bool = False) -> gpd.GeoDataFrame:
    """Read a planning layer.

    Parameters
    ----------
    path : path
        A Shapefile, GeoPackage, GeoJSON, KML, KMZ, File Geodatabase (``.gdb`` folder), GeoParquet,
        FlatGeobuf, CSV of points (columns longitude/latitude or lon/lat or x/y, or 经度/纬度), 国土TXT file,
        DXF drawing, or a zip holding any of them; ``PATH:LAYER`` names a layer inside
        (:class:`redline.layers.paths.LayerPath`: ``示范县.gpkg:红线``, ``资料.zip:红线``, ``总图.dxf:用地红线``).
    layer : str or int, optional
        Layer of a multi-layer source (GeoPackage, File Geodatabase, KML/KMZ, zip, the CAD layer of a DXF),
        the same as ``PATH:LAYER``. Without either, a source holding several layers with features is an
        :class:`InputError` listing them.
    encoding : str, optional
        Attribute encoding, overriding ``.cpg`` and detection (Shapefile, CSV, 国土TXT, DXF).
    crs : str or int, optional
        CRS to assume when the file has none (or to override a wrong one). A CRS the file declares that its
        coordinates contradict (a zone prefix other than the CRS's zone, 8-digit eastings under a CRS without
        prefix, longitude/latitude under a projected CRS, far outside the CRS's area of use) is an
        :class:`InputError` naming both; ``crs`` overrides it. A DXF drawing needs it.
    kind : str, optional
        Layer kind: adds its canonical attribute columns (see :func:`redline.layers.kinds.map_attributes`). A layer
        that mixes geometry types (polygons and points, say) where the kind needs one is an error.
    fields : dict, optional
        Field mapping overrides ``{canonical: source field}``.
    repair : bool
        Repair invalid geometries with ``shapely.make_valid``; the change is reported in warnings.
    towgs84 : str, optional
        Seven transformation parameters ``"dx,dy,dz,rx,ry,rz,ds"`` (metres, arc-seconds, ppm; PROJ's
        ``+towgs84`` position-vector convention; as in 国土TXT's 转换参数) for a Xi'an 1980 or Beijing 1954
        layer: the layer is converted to CGCS2000 in the Gauss-Krüger zone with the same central meridian
        (EPSG:4490 for geographic data), and a warning says so. Without them such a layer is kept in its
        datum, with a warning.
    validate : bool
        Count invalid geometries and their reasons (GEOS ``is_valid``), reported in its
        :class:`~redline.layers.info.LayerInfo` and warnings.
        On a large layer this costs about twice the read itself; ``validate=False`` skips it (``invalid``
        is then None) unless ``repair`` is asked for.
    gcj02 : bool
        The layer is in GCJ-02 (exported from 高德/腾讯 web maps): convert it to WGS84/CGCS2000
        longitude/latitude (:func:`redline.layers.gcj02.from_gcj02`). An error for a projected layer.

    Returns
    -------
    GeoDataFrame
        Its :class:`~redline.layers.info.LayerInfo` (``layer_info(gdf)``) says how it was read: ``path``,
        ``format``, ``layer``, ``encoding`` ``{"value","source"}``, ``crs`` ``{"epsg","name","source"}``,
        ``invalid`` ``{"count","reasons"}`` (None when not validated), ``repair``, ``transformation``
        (None, or what ``towgs84`` did), ``kind``, ``fields``, ``warnings``.

    Raises
    ------
    InputError
        Missing, empty, truncated or unreadable file, coordinates that cannot be placed or that contradict
        the declared CRS, several layers and none named, no such layer.
    UsageError
        Unknown encoding or CRS, malformed ``towgs84`` or ``towgs84`` for a layer not in an older datum,
        a layer named twice differently (``PATH:LAYER`` and ``layer``).
    """
    ref = LayerPath.parse(path)
    if ref.layer is not None and layer is not None and str(layer) != ref.layer:
        raise UsageError(f"layer named twice: {ref.layer!r} in {ref.name} and {layer!r}", path=str(ref.file))
    layer = ref.layer if layer is None else layer
    path = ref.file
    fmt = detect_format(path)
    if fmt == "zip":
        return _read_zipped(path, layer, encoding=encoding, crs=crs, kind=kind, fields=fields, repair=repair,
                            towgs84=towgs84, validate=validate, gcj02=gcj02)
    if encoding:
        _check_encoding(encoding)
    warns: list[str] = []
    enc_info = {"value": None, "source": "not applicable"}

    if fmt == "guotu-txt":
        from redline.layers.guotu import is_guotu, read_guotu

        if not is_guotu(path):
            raise InputError("a .txt file that is not a 国土TXT coordinate file (no [地块坐标] section)",
                             path=str(path))
        gdf = read_guotu(path, encoding=encoding, crs=crs)
        read = layer_info(gdf)
        warns += read.warnings
        enc_info = _explain_text_encoding(read.encoding or enc_info)
        crs_info = read.crs or {"epsg": epsg_of(gdf.crs), "name": gdf.crs.name if gdf.crs else None,
                                "source": "header"}
        extra = {"guotu": read.guotu}
        if crs is not None:
            crs_info = {"epsg": epsg_of(gdf.crs), "name": gdf.crs.name, "source": "given with --crs"}
    elif fmt == "DXF":
        from redline.layers.dxf import read_dxf

        gdf, layer, warns, enc_info = read_dxf(path, None if layer is None else str(layer), encoding=encoding)
        extra = {}
        if crs is None:
            b = gdf.total_bounds
            raise InputError("a DXF drawing carries no coordinate system: give it with --crs (crs = \"EPSG:…\" "
                             f"for a project layer); its coordinates {describe_coordinates(*b)}", path=str(path))
        crs_info, crs_warns = settle_crs(gdf, path, crs, quiet_datum=towgs84 is not None)
        warns += crs_warns
    else:
        extra = {}
        if fmt == "ESRI Shapefile":
            _check_shapefile(path)
            if encoding:
                enc_info = {"value": encoding, "source": "given with --encoding"}
            else:
                value, why = detect_dbf_encoding(path)
                enc_info = {"value": value, "source": why}
                if CPG_CONTRADICTED in why:
                    warns.append(f"encoding: the {why}; give --encoding to override")
        elif fmt != "CSV":
            enc_info, enc_warns = _utf8_format(fmt, encoding)
            warns += enc_warns
        gdf, layer, layer_warns = _read_vector(path, fmt, layer, enc_info["value"] if fmt == "ESRI Shapefile"
                                               else encoding)
        warns += layer_warns
        if fmt == "CSV":
            enc_info = gdf.attrs.pop("encoding")
        if fmt == "GeoJSON" and crs is None:
            warns += _unknown_geojson_crs(gdf, path)
        crs_info, crs_warns = settle_crs(gdf, path, crs, quiet_datum=towgs84 is not None)
        warns += crs_warns

    return _finish_layer(gdf, path, fmt, layer, enc_info, crs_info, warns, extra, kind=kind, fields=fields,
                         repair=repair, towgs84=towgs84, validate=validate, gcj02=gcj02)


def _read_zipped(path: Path, layer, **kwargs) -> gpd.GeoDataFrame:
    """A layer inside a zip: extracted into a temporary folder, read there with every check, named in
    messages as ``资料.zip:红线.shp`` and in its :class:`LayerInfo` by the zip (``path``) and the member's
    path inside it (``layer``, with the member's own layer after a colon when it has several)."""
    from redline.layers.archives import extracted, rewrite_error, rewrite_text

    with extracted(path, None if layer is None else str(layer)) as (local, member, inner):
        shown = f"{path}:{member.name}"
        try:
            gdf = read_layer(local, inner, **kwargs)
        except RedlineError as exc:
            raise rewrite_error(exc, local, shown) from None
    info = layer_info(gdf)
    multi = member.suffix in (".gpkg", ".kml", ".kmz", ".dxf") or member.name.lower().endswith(".gdb")
    inner_read = info.layer if inner is not None or multi else None
    return with_info(gdf, info.replace(
        path=str(path), layer=member.name + (f":{inner_read}" if inner_read is not None else ""),
        warnings=[rewrite_text(w, local, shown) for w in info.warnings]))


def _utf8_format(fmt: str, encoding: str | None) -> tuple[dict, list[str]]:
    return ({"value": "utf-8", "source": f"{fmt} text is UTF-8 by specification"},
            [f"--encoding {encoding} ignored: {fmt} text is UTF-8 by specification"] if encoding else [])


def _finish_layer(gdf: gpd.GeoDataFrame, path: Path, fmt: str, layer, enc_info: dict, crs_info: dict,
                  warns: list[str], extra: dict, *, kind, fields, repair, towgs84, validate,
                  gcj02: bool = False) -> gpd.GeoDataFrame:
    """After reading: datum conversion, GCJ-02, validity (and repair), empty geometries, the kind's columns
    and the :class:`~redline.layers.info.LayerInfo`."""
    transformation = None
    gdf, collection_warns = explode_collections(gdf)
    warns = warns + collection_warns
    if towgs84 is not None:
        gdf, crs_info, transformation = convert_old_datum(gdf, towgs84, path=path, crs_info=crs_info)
        warns = [w for w in warns if not is_datum_kept_warning(w)] + [transformation["note"]]
    if gcj02:
        from redline.layers.gcj02 import from_gcj02

        gdf = from_gcj02(with_info(gdf, LayerInfo(path=str(path))), path=path)
        transformation = layer_info(gdf).transformation
        warns = warns + [transformation["note"]]
        crs_info = dict(crs_info, source=f"{crs_info.get('source')}; coordinates converted from GCJ-02")

    invalid = invalid_report(gdf) if validate or repair else None
    repair_info = None
    if invalid and invalid["count"]:
        reasons = ", ".join(f"{r} ×{n}" for r, n in invalid["reasons"].items())
        first = ", ".join(f"feature {it['feature']}" + (f" ({it['id']})" if it["id"] else "")
                          for it in invalid["items"][:5])
        warns.append(f"{invalid['count']} invalid geometr{'y' if invalid['count'] == 1 else 'ies'} ({reasons}; "
                     f"{first}{' …' if invalid['count'] > 5 else ''})"
                     + ("" if repair else "; not repaired (redline convert --repair writes a repaired copy)"))
        if repair:
            gdf, repair_info = repair_geometries(gdf)
            warns.append(repair_message(repair_info))
    geoms = np.asarray(gdf.geometry.values)
    empty = int((shapely.is_empty(geoms) | shapely.is_missing(geoms)).sum())
    if empty:
        warns.append(f"{empty} feature(s) with empty or missing geometry")

    mapping = None
    if kind is not None:
        warns += check_geometry_kind(gdf, kind, path=path)
        gdf, mapping, map_warns = map_attributes(gdf, kind, fields)
        warns += map_warns
    return with_info(gdf, LayerInfo(
        path=str(path), format=fmt, layer=layer, encoding=enc_info, crs=crs_info, invalid=invalid,
        repair=repair_info, transformation=transformation, kind=kind, fields=mapping, warnings=warns, **extra))



def _check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"unknown encoding {encoding!r} (use e.g. gbk, gb18030, utf-8)") from None


def _explain_text_encoding(info: dict) -> dict:
    """Spell out how a text file's encoding was known (国土TXT says 'user', 'bom' or 'detected')."""
    value, source = info.get("value"), info.get("source")
    why = {"user": "given with --encoding",
           "bom": "the file starts with a byte-order mark",
           "detected": f"no byte-order mark; the text decodes as {value}"
                       + (" (not as UTF-8)" if value in ("gbk", "gb18030") else "")}
    return {"value": value, "source": why.get(source, source)}


# Geometry families: a layer of a kind needs one of them.
_FAMILY = {"Polygon": "polygon", "MultiPolygon": "polygon", "LineString": "line", "MultiLineString": "line",
           "LinearRing": "line", "Point": "point", "MultiPoint": "point", "GeometryCollection": "collection"}


def geometry_families(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Per feature ``polygon``, ``line``, ``point``, ``collection``, or None (missing or empty)."""
    types = gdf.geometry.geom_type.to_numpy(dtype=object)
    blank = np.asarray(gdf.geometry.isna() | gdf.geometry.is_empty)
    fam = np.array([_FAMILY.get(t) for t in types], dtype=object)
    fam[blank] = None
    return fam


def check_geometry_kind(gdf: gpd.GeoDataFrame, kind: str, *, path=None) -> list[str]:
    """Check that a layer of ``kind`` has the one geometry type the kind needs.

    Mixed types (polygons and points, say) raise :class:`InputError` naming the first feature of the minority
    type; a layer wholly of another type than the kind's gets a warning.
    """
    from redline.layers.kinds import kind_info

    need = kind_info(kind).get("geometry", "any")
    if need == "any" or len(gdf) == 0:
        return []
    fam = geometry_families(gdf)
    present = [f for f in dict.fromkeys(fam) if f is not None]
    if len(present) > 1 or "collection" in present:
        keep = need if need in present else present[0]
        bad = np.flatnonzero((fam != keep) & (fam != None))  # noqa: E711 - elementwise on an object array
        k = int(bad[0])
        raise InputError(f"mixed geometry types where a {kind} layer needs {need}s only: "
                         f"{len(bad)} feature(s) are not {keep}s, the first is a {gdf.geom_type.iloc[k]}",
                         path=str(path) if path else None, feature=k)
    if present and present[0] != need:
        return [f"a {kind} layer should hold {need}s, but this one holds {present[0]}s"]
    return []


def _check_shapefile(path: Path) -> None:
    if sidecar(path, ".shx") is None:
        raise InputError("the .shx index file is missing beside the .shp (copy all files of the Shapefile: "
                         ".shp, .shx, .dbf, .prj, .cpg)", path=str(path))
    if sidecar(path, ".dbf") is None:
        raise InputError("the .dbf attribute table is missing beside the .shp (copy all files of the "
                         "Shapefile: .shp, .shx, .dbf, .prj, .cpg)", path=str(path))
    size = path.stat().st_size
    if size < 100:
        raise InputError(f"truncated Shapefile: {size} bytes, less than the 100-byte header", path=str(path))
    with open(path, "rb") as f:
        head = f.read(100)
    code, = struct.unpack(">i", head[:4])
    declared = struct.unpack(">i", head[24:28])[0] * 2
    if code != 9994:
        raise InputError("not a Shapefile (bad file code in the .shp header)", path=str(path))
    if declared > size:
        raise InputError(f"truncated Shapefile: the header declares {declared} bytes but the file has {size}",
                         path=str(path))
    _check_dbf(sidecar(path, ".dbf"))


def _check_dbf(dbf: Path) -> None:
    """Refuse a .dbf shorter than its header says (GDAL would read it with the attributes missing)."""
    size = dbf.stat().st_size
    with open(dbf, "rb") as f:
        head = f.read(32)
    if len(head) < 32:
        raise InputError(f"the .dbf attribute table is truncated: {size} bytes, shorter than its 32-byte header",
                         path=str(dbf))
    nrec, hlen, rlen = struct.unpack("<IHH", head[4:12])
    needed = hlen + nrec * rlen
    if size < needed:
        raise InputError(f"the .dbf attribute table is truncated: its header declares {nrec} records of {rlen} "
                         f"bytes after a {hlen}-byte header ({needed} bytes), but the file has {size}",
                         path=str(dbf))


def _read_vector(path: Path, fmt: str, layer, encoding: str | None) -> tuple[gpd.GeoDataFrame, object, list[str]]:
    """The layer, the name of the layer read, and warnings (e.g. which other layers the source holds)."""
    warns: list[str] = []
    if fmt == "GeoParquet":
        try:
            with _warnings.catch_warnings():
                _warnings.simplefilter("ignore", RuntimeWarning)  # NaN coordinates: an error just below
                gdf = gpd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many kinds
            raise InputError(f"cannot read GeoParquet: {_short(exc)}", path=str(path)) from None
        check_finite(np.asarray(gdf.geometry.values), path)
        return gdf, layer, warns
    if fmt == "CSV":
        return _read_points_csv(path, encoding), layer, warns
    if layer is None and fmt != "ESRI Shapefile":
        layer = only_layer(path, fmt)
    kwargs = {"layer": layer}
    if encoding and fmt == "ESRI Shapefile":
        kwargs["encoding"] = "gb18030" if encoding.lower() in ("gbk", "gb2312", "cp936", "936") else encoding
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)
            gdf = read_ogr(path, **kwargs)
    except pyogrio.errors.DataLayerError as exc:
        if any(w in str(exc) for w in ("CONVERSION", "CRS", "SRS", "WKT")):
            raise InputError(f"the coordinate system (.prj) cannot be read: {_short(exc)}; fix the .prj or give "
                             "the CRS with --crs", path=str(path)) from None
        raise InputError(f"no layer {layer!r} ({_short(exc)})", path=str(path)) from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.FieldError, pyogrio.errors.GeometryError) as exc:
        raise InputError(f"cannot read as {fmt}: {_short(exc)}", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"attribute text is not valid {encoding or 'UTF-8'} ({exc.reason}); give the right "
                         "one with --encoding", path=str(path)) from None
    except InputError:  # a feature at fault (coordinates, curves), named by the reader
        raise
    except Exception as exc:  # Arrow conversion, GDAL internals on truncated files
        raise InputError(f"cannot read as {fmt} (file damaged or truncated?): {_short(exc)}",
                         path=str(path)) from None
    if gdf is None:
        raise InputError(f"layer {layer!r} has no geometry column" if layer is not None
                         else "layer has no geometry column", path=str(path))
    if fmt == "GeoJSON":
        _check_dropped_geojson(gdf, path)
    return gdf, layer, warns


def only_layer(path: Path, fmt: str) -> str:
    """The layer to read of a source when none is named: its one layer with geometry (and features, when
    several have geometry). Several: an :class:`InputError` listing them, never the first one read as if
    chosen."""
    try:
        listed = [(str(n), g) for n, g in pyogrio.list_layers(path)]
    except Exception as exc:
        raise InputError(f"cannot open as {fmt}: {_short(exc)}", path=str(path)) from None
    if not listed:
        raise InputError(f"{fmt} source holds no layer", path=str(path))
    spatial = [n for n, g in listed if g is not None]
    if len(spatial) > 1:
        spatial = [n for n in spatial if _feature_count(path, n) != 0] or spatial[:1]
    if len(spatial) > 1:
        raise InputError(f"{fmt} source holds {len(spatial)} layers ({', '.join(spatial)}); name the one to "
                         f"read as {path.name}:LAYER, e.g. {path.name}:{spatial[0]}", path=str(path))
    return spatial[0] if spatial else listed[0][0]


def _feature_count(path: Path, layer: str) -> int:
    """Features of a layer (-1 when the driver cannot count them cheaply)."""
    try:
        return int(pyogrio.read_info(path, layer=layer).get("features", -1))
    except Exception:  # an unreadable layer counts as one: reading it says why
        return -1


def unknown_geojson_crs(path: str | os.PathLike) -> str | None:
    """What a GeoJSON's ``crs`` member names when no known CRS (GDAL would read the layer as WGS 84, saying
    nothing), else None."""
    import re

    import pyproj

    with open(path, "rb") as f:
        head = f.read(1 << 16).decode("utf-8", errors="replace")
    m = re.search(r'"crs"\s*:\s*\{.*?"(?:name|code|href)"\s*:\s*"?([^",}]+)"?', head, re.S)
    if m is None:
        return None
    named = m.group(1).strip()
    try:
        pyproj.CRS.from_user_input(int(named) if named.isdigit() else named)
        return None
    except (pyproj.exceptions.CRSError, ValueError, TypeError):
        return named


def unknown_crs_warning(named: str) -> str:
    return (f"the file's crs member names {named!r}, which is no known coordinate system: it is ignored and the "
            "layer is placed by its coordinates (give the CRS with --crs)")


def _unknown_geojson_crs(gdf: gpd.GeoDataFrame, path: Path) -> list[str]:
    """A GeoJSON layer whose ``crs`` member names no known CRS is placed by its coordinates instead."""
    named = unknown_geojson_crs(path)
    if named is None:
        return []
    gdf.set_crs(None, allow_override=True, inplace=True)
    return [unknown_crs_warning(named)]


def _first_non_number(coords) -> object:
    """The first coordinate value of a GeoJSON ``coordinates`` array that is not a number, else None."""
    stack = [coords]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, bool) or not isinstance(item, (int, float)) or not np.isfinite(item):
            return item
    return None


def _check_dropped_geojson(gdf: gpd.GeoDataFrame, path: Path, limit: int = 256 << 20) -> None:
    """GDAL reads a GeoJSON geometry it cannot parse (e.g. coordinates as strings) as no geometry, and a point
    with a NaN coordinate as an empty one: a feature without geometry whose source has one, or an empty one
    whose source has a coordinate that is not a finite number, is an error, not a silent loss."""
    null = gdf.geometry.isna().to_numpy()
    missing = np.flatnonzero(null | gdf.geometry.is_empty.to_numpy())
    if not len(missing) or path.stat().st_size > limit:
        return
    import json

    try:
        features = json.loads(path.read_bytes()).get("features") or []
    except (ValueError, AttributeError):
        return
    for i in missing:
        geom = features[i].get("geometry") if i < len(features) and isinstance(features[i], dict) else None
        if geom:
            coords = geom.get("coordinates") if isinstance(geom, dict) else None
            bad = _first_non_number(coords) if coords is not None else (None if isinstance(geom, dict) else geom)
            if bad is None and not null[i]:
                continue    # an empty geometry written as such
            what = ("it is malformed" if bad is None else f"a coordinate is not a number ({bad!r})"
                    if not isinstance(bad, float) else f"a coordinate is not a finite number ({bad!r})")
            raise InputError(f"the geometry cannot be read: {what}", path=str(path), feature=int(i))


def read_ogr(path: str | os.PathLike, *, layer=None, encoding: str | None = None,
             batch_size: int = 4096) -> gpd.GeoDataFrame | None:
    """A layer through GDAL's Arrow stream as a GeoDataFrame; None when it has no geometry column.

    What ``pyogrio.read_dataframe(path, use_arrow=True)`` does, pipelined: a background thread pulls
    record batches from GDAL while this one decodes the WKB of the batches already read, so the read and
    the decoding (which holds the GIL) overlap. Date-times come as Arrow timestamps.

    Example
    -------
    >>> import geopandas as gpd, shapely, tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "a.gpkg")
    >>> gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[shapely.box(37465000, 4200000, 37465100, 4200100)],
    ...                  crs=4525).to_file(f)
    >>> g = read_ogr(f)
    >>> g["名称"].tolist(), g.area.tolist()
    (['甲'], [10000.0])
    """
    batches: queue.SimpleQueue = queue.SimpleQueue()
    with pyogrio.raw.open_arrow(path, layer=layer, encoding=encoding, use_pyarrow=True,
                                batch_size=batch_size) as (meta, reader):
        gname = meta["geometry_name"] or "wkb_geometry"
        if gname not in reader.schema.names:
            return None

        def pull() -> None:
            # GDAL error handlers are per thread: install pyogrio's here too, or GDAL prints to stderr
            register = getattr(getattr(pyogrio, "_err", None), "_register_error_handler", None)
            if register is not None:
                register()
            try:
                for batch in reader:
                    batches.put(batch)
                batches.put(None)
            except BaseException as exc:  # handed to the decoding thread, raised there
                batches.put(exc)

        puller = threading.Thread(target=pull, name="redline-read", daemon=True)
        puller.start()
        geoms, tables = [], []
        try:
            while (batch := batches.get()) is not None:
                if isinstance(batch, BaseException):
                    raise batch
                part = geometries_from_wkb(batch.column(gname).to_numpy(zero_copy_only=False), path,
                                           offset=sum(len(g) for g in geoms))
                check_finite(part, path, offset=sum(len(g) for g in geoms))  # while GDAL reads on
                geoms.append(part)
                tables.append(batch.drop_columns([gname]))
        finally:
            puller.join()
        schema = reader.schema.remove(reader.schema.get_field_index(gname))
    table = pa.Table.from_batches(tables, schema=schema)
    df = table.to_pandas(self_destruct=True)
    geometry = np.concatenate(geoms) if geoms else np.array([], dtype=object)
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geometry, index=df.index), crs=meta["crs"])


def text_encoding(data: bytes, encoding: str | None = None, path: str | None = None) -> tuple[str, str]:
    """The encoding of a text file's bytes (all of them, or a sample cut at a line end), and why, as
    :func:`redline.layers.text.decode_text` decides it (GBK reported as GB18030, its superset; Latin-1 when
    the text is neither UTF-8 nor GBK/GB18030).

    >>> text_encoding("经度,纬度".encode("gbk"))
    ('gb18030', 'no byte-order mark; the text is not UTF-8 but decodes as GBK/GB18030')
    """
    d = decode_text(data, encoding, path=path, what="CSV text file", fallback="latin-1")
    return ("gb18030" if d.encoding == "gbk" else d.encoding), d.reason


def _read_points_csv(path: Path, encoding: str | None) -> gpd.GeoDataFrame:
    """Points from a CSV with coordinate columns; ``attrs["encoding"]`` says how the text was decoded (taken
    over by :func:`read_layer`)."""
    d = decode_text(path.read_bytes(), encoding, path=str(path), what="CSV text file", fallback="latin-1")
    enc, why, text = ("gb18030" if d.encoding == "gbk" else d.encoding), d.reason, d.text
    try:
        import io

        df = pd.read_csv(io.StringIO(text))
    except Exception as exc:
        raise InputError(f"cannot read CSV: {_short(exc)}", path=str(path)) from None
    cols = {str(c).strip().lower(): c for c in df.columns}
    pairs = [("longitude", "latitude"), ("lon", "lat"), ("lng", "lat"), ("经度", "纬度"), ("x", "y")]
    for xname, yname in pairs:
        if xname in cols and yname in cols:
            x = pd.to_numeric(df[cols[xname]], errors="coerce")
            y = pd.to_numeric(df[cols[yname]], errors="coerce")
            bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
            if len(bad):
                raise InputError(f"non-numeric or missing coordinate in {xname}/{yname}",
                                 path=str(path), line=int(bad[0]) + 2)
            huge = np.flatnonzero((np.abs(x) > COORDINATE_LIMIT) | (np.abs(y) > COORDINATE_LIMIT))
            if len(huge):
                raise InputError(f"coordinate in {xname}/{yname} outside every coordinate system (more than "
                                 f"{COORDINATE_LIMIT:g})", path=str(path), line=int(huge[0]) + 2)
            gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y))
            gdf.attrs["encoding"] = {"value": "gbk" if enc == "gb18030" else enc, "source": why}
            return gdf
    raise InputError("CSV of points needs longitude/latitude (or lon/lat, 经度/纬度, x/y) columns; found "
                     + ", ".join(map(str, df.columns)), path=str(path))


def check_finite(geoms: np.ndarray, path, *, offset: int = 0) -> None:
    """InputError naming the first feature (numbered from ``offset``) with a NaN, infinite or impossibly large
    coordinate (:func:`redline.layers.geometry.check_coordinates`)."""
    check_coordinates(geoms, path, offset=offset)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def read_project_layer(project, layer_id: str, *, repair: bool = False) -> gpd.GeoDataFrame:
    """Read a layer of a :class:`redline.layers.project.Project` with its kind, field mapping, encoding, CRS
    (``crs``, when its file has none) and datum (``datum = "gcj02"`` converts it from GCJ-02).

    Its :class:`~redline.layers.info.LayerInfo` also carries ``id``, ``label``, ``source`` and ``date`` (the
    layer's stated provenance).
    """
    spec = project.spec(layer_id)
    if not LayerPath.parse(spec.path).file.exists():
        raise InputError(f"layer {spec.id!r} of the project: file not found", path=str(spec.path))
    gdf = read_layer(spec.path, spec.layer, encoding=spec.encoding, kind=spec.kind, fields=spec.fields,
                     repair=repair, crs=spec.crs, gcj02=spec.datum == "gcj02")
    info = layer_info(gdf)
    info.id, info.source, info.date, info.label = spec.id, spec.source, spec.date, spec.label
    return gdf
