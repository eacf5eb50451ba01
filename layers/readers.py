"""Reading and writing planning layers in the formats users really have.

Shapefile (GBK attribute tables with no ``.cpg`` included), GeoPackage, GeoJSON, KML, File Geodatabase,
GeoParquet, CSV of points and 国土TXT, read through pyogrio with Arrow where possible. Every layer comes
back as a GeoDataFrame whose ``attrs["redline"]`` says how it was read: format, encoding and CRS (and
how each was determined), and warnings.

Example
-------
>>> import geopandas as gpd, tempfile, os
>>> from shapely.geometry import box
>>> d = tempfile.mkdtemp()
>>> gpd.GeoDataFrame({"HXMC": ["红线一"]}, geometry=[box(37465000, 4200000, 37466000, 4201000)],
...                  crs=4525).to_file(os.path.join(d, "rl.gpkg"))
>>> gdf = read_layer(os.path.join(d, "rl.gpkg"), kind="red_line")
>>> gdf["name"].tolist(), gdf.attrs["redline"]["crs"]["epsg"]
(['红线一'], 4525)
"""

from __future__ import annotations

import os
import struct
import warnings as _warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from layers.crs import epsg_of, parse_crs, sniff_crs
from layers.errors import InputError
from layers.kinds import map_attributes

FORMATS = {
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".kml": "KML",
    ".gdb": "OpenFileGDB",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
    ".fgb": "FlatGeobuf",
    ".csv": "CSV",
    ".txt": "guotu-txt",
}


def detect_format(path: str | os.PathLike) -> str:
    """The format of a file by its extension (and content for ``.txt``).

    Raises
    ------
    InputError
        Missing file or an extension redline does not read.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=str(p))
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


# ---------------------------------------------------------------------------------------------- encodings
def _dbf_text_bytes(dbf: Path, limit: int = 4 << 20) -> tuple[bytes, int]:
    """The bytes of a .dbf's character fields (up to ``limit``), and its language-driver id byte."""
    with open(dbf, "rb") as f:
        head = f.read(32)
        if len(head) < 32:
            raise InputError("the .dbf attribute table is truncated (shorter than its header)", path=str(dbf))
        nrec, hlen, rlen = struct.unpack("<IHH", head[4:12])
        ldid = head[29]
        fields = []
        desc = f.read(max(hlen - 32, 0))
        for i in range(0, len(desc) - 31, 32):
            d = desc[i:i + 32]
            if d[0] == 0x0D:
                break
            fields.append((d[11:12], d[16]))
        f.seek(hlen)
        data = f.read(min(nrec * rlen, limit))
    if not fields or rlen == 0:
        return b"", ldid
    # keep only the character (C) fields of each record
    offsets, pos = [], 1
    for ftype, flen in fields:
        if ftype == b"C":
            offsets.append((pos, flen))
        pos += flen
    n = len(data) // rlen
    rec = np.frombuffer(data[: n * rlen], dtype=np.uint8).reshape(n, rlen) if n else np.zeros((0, rlen), np.uint8)
    chunks = [rec[:, o:o + w].tobytes() for o, w in offsets]
    return b" ".join(chunks), ldid


# Language driver ids that name a Chinese code page (ArcGIS writes 0x4D for 936).
_LDID_CHINESE = {0x4D: "gbk", 0x7A: "gbk"}


def detect_dbf_encoding(shp: str | os.PathLike) -> tuple[str, str]:
    """The encoding of a Shapefile's attribute table, and how it was determined.

    A ``.cpg`` is honoured; otherwise the text bytes are decoded: pure ASCII → ``utf-8``; valid UTF-8
    → ``utf-8``; otherwise valid GB18030 → ``gbk`` (the GBK superset is used for decoding).

    Returns
    -------
    (encoding, source)
    """
    shp = Path(shp)
    for ext in (".cpg", ".CPG"):
        cpg = shp.with_suffix(ext)
        if cpg.is_file():
            text = cpg.read_text(encoding="ascii", errors="replace").strip()
            enc = _normalise_encoding(text)
            if enc:
                return enc, f".cpg file says {text!r}"
    dbf = _sidecar(shp, ".dbf")
    if dbf is None:
        return "utf-8", "no .dbf"
    raw, ldid = _dbf_text_bytes(dbf)
    if not any(b >= 0x80 for b in raw[:1 << 20]):
        return "utf-8", "no .cpg; attribute text is plain ASCII"
    try:
        raw.decode("utf-8")
        return "utf-8", "no .cpg; attribute text decodes as UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
        why = "no .cpg; attribute text is not UTF-8 but decodes as GBK/GB18030"
        if ldid in _LDID_CHINESE:
            why += f" (and the .dbf language driver 0x{ldid:02X} says code page 936)"
        return "gbk", why
    except UnicodeDecodeError:
        return "latin-1", "no .cpg; attribute text is neither UTF-8 nor GBK: read as Latin-1, check it"


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


def _sidecar(shp: Path, ext: str) -> Path | None:
    for cand in (shp.with_suffix(ext), shp.with_suffix(ext.upper())):
        if cand.is_file():
            return cand
    return None


# ------------------------------------------------------------------------------------------------ reading
def read_layer(path: str | os.PathLike, layer: str | int | None = None, *, encoding: str | None = None,
               crs: str | int | None = None, kind: str | None = None, fields: dict | None = None,
               repair: bool = False) -> gpd.GeoDataFrame:
    """Read a planning layer.

    Parameters
    ----------
    path : path
        A Shapefile, GeoPackage, GeoJSON, KML, File Geodatabase (``.gdb`` folder), GeoParquet, CSV of points
        (columns longitude/latitude or lon/lat or x/y, or 经度/纬度), or 国土TXT file.
    layer : str or int, optional
        Layer of a multi-layer source (GeoPackage, File Geodatabase, KML).
    encoding : str, optional
        Attribute encoding, overriding ``.cpg`` and detection.
    crs : str or int, optional
        CRS to assume when the file has none (or to override a wrong one).
    kind : str, optional
        Layer kind: adds its canonical attribute columns (see :func:`layers.kinds.map_attributes`).
    fields : dict, optional
        Field mapping overrides ``{canonical: source field}``.
    repair : bool
        Repair invalid geometries with ``shapely.make_valid``; the change is reported in warnings.

    Returns
    -------
    GeoDataFrame
        With ``attrs["redline"]``: ``path``, ``format``, ``layer``, ``encoding`` ``{"value","source"}``,
        ``crs`` ``{"epsg","name","source"}``, ``invalid`` ``{"count","reasons"}``, ``repair``, ``warnings``.
    """
    path = Path(path)
    fmt = detect_format(path)
    warns: list[str] = []
    enc_info = {"value": None, "source": "not applicable"}

    if fmt == "guotu-txt":
        from layers.guotu import is_guotu, read_guotu

        if not is_guotu(path):
            raise InputError("a .txt file that is not a 国土TXT coordinate file (no [地块坐标] section)",
                             path=str(path))
        gdf = read_guotu(path, encoding=encoding, crs=crs)
        meta = dict(gdf.attrs.get("redline", {}))
        warns += list(meta.get("warnings", []))
        enc_info = meta.get("encoding", enc_info)
        crs_info = meta.get("crs", {"epsg": epsg_of(gdf.crs), "name": gdf.crs.name if gdf.crs else None,
                                    "source": "header"})
        extra = {k: v for k, v in meta.items() if k not in ("warnings", "encoding", "crs")}
    else:
        extra = {}
        if fmt == "ESRI Shapefile":
            _check_shapefile(path)
            if encoding:
                enc_info = {"value": encoding, "source": "given with --encoding"}
            else:
                value, why = detect_dbf_encoding(path)
                enc_info = {"value": value, "source": why}
        elif fmt in ("GPKG", "GeoJSON", "OpenFileGDB", "KML", "GeoParquet", "FlatGeobuf", "CSV"):
            enc_info = {"value": "utf-8", "source": f"{fmt} text is UTF-8 by specification"}
            if encoding:
                enc_info = {"value": encoding, "source": "given with --encoding"}
        gdf = _read_vector(path, fmt, layer, enc_info["value"] if fmt in ("ESRI Shapefile", "CSV") else None)
        crs_info, crs_warns = _settle_crs(gdf, path, crs)
        warns += crs_warns
    if crs is not None and fmt == "guotu-txt":
        crs_info = {"epsg": epsg_of(gdf.crs), "name": gdf.crs.name, "source": "given with --crs"}

    invalid = invalid_report(gdf)
    repair_info = None
    if invalid["count"]:
        reasons = ", ".join(f"{r} ×{n}" for r, n in invalid["reasons"].items())
        warns.append(f"{invalid['count']} invalid geometr{'y' if invalid['count'] == 1 else 'ies'} ({reasons})"
                     + ("" if repair else "; not repaired (use repair=True / --repair)"))
        if repair:
            gdf, repair_info = repair_geometries(gdf)
            warns.append(f"repaired {repair_info['features']} feature(s) with make_valid: area "
                         f"{repair_info['area_before']:.3f} → {repair_info['area_after']:.3f} "
                         "(planar units of the layer)")
    empty = int(gdf.geometry.is_empty.sum() + gdf.geometry.isna().sum())
    if empty:
        warns.append(f"{empty} feature(s) with empty or missing geometry")

    mapping = None
    if kind is not None:
        gdf, mapping, map_warns = map_attributes(gdf, kind, fields)
        warns += map_warns
    gdf.attrs["redline"] = {
        "path": str(path), "format": fmt, "layer": layer, "encoding": enc_info, "crs": crs_info,
        "invalid": invalid, "repair": repair_info, "kind": kind, "fields": mapping, "warnings": warns, **extra,
    }
    return gdf


def _check_shapefile(path: Path) -> None:
    if _sidecar(path, ".shx") is None:
        raise InputError("the .shx index file is missing beside the .shp (copy all files of the Shapefile: "
                         ".shp, .shx, .dbf, .prj, .cpg)", path=str(path))
    if _sidecar(path, ".dbf") is None:
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


def _read_vector(path: Path, fmt: str, layer, encoding: str | None) -> gpd.GeoDataFrame:
    if fmt == "GeoParquet":
        try:
            return gpd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many kinds
            raise InputError(f"cannot read GeoParquet: {_short(exc)}", path=str(path)) from None
    if fmt == "CSV":
        return _read_points_csv(path, encoding)
    if layer is None:
        try:
            names = [n for n, _ in pyogrio.list_layers(path)]
        except Exception as exc:
            raise InputError(f"cannot open as {fmt}: {_short(exc)}", path=str(path)) from None
        if not names:
            raise InputError(f"{fmt} source holds no layer", path=str(path))
        layer = names[0] if len(names) == 1 or fmt not in ("GPKG", "OpenFileGDB") else _first_spatial(path, names)
    kwargs = {"layer": layer}
    if encoding and fmt == "ESRI Shapefile":
        kwargs["encoding"] = "gb18030" if encoding.lower() in ("gbk", "gb2312", "cp936", "936") else encoding
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path, use_arrow=True, **kwargs)
    except pyogrio.errors.DataLayerError as exc:
        raise InputError(f"no layer {layer!r} ({_short(exc)})", path=str(path)) from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.FieldError, pyogrio.errors.GeometryError) as exc:
        raise InputError(f"cannot read as {fmt}: {_short(exc)}", path=str(path)) from None
    except Exception as exc:  # Arrow conversion, GDAL internals on truncated files
        raise InputError(f"cannot read as {fmt} (file damaged or truncated?): {_short(exc)}",
                         path=str(path)) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise InputError("layer has no geometry column", path=str(path))
    _check_coordinates(gdf, path)
    return gdf


def _first_spatial(path: Path, names: list[str]) -> str:
    for name, gtype in pyogrio.list_layers(path):
        if gtype is not None:
            return name
    return names[0]


def _read_points_csv(path: Path, encoding: str | None) -> gpd.GeoDataFrame:
    enc = encoding
    raw = path.read_bytes()
    if enc is None:
        for cand in ("utf-8-sig", "gb18030"):
            try:
                raw.decode(cand)
                enc = cand
                break
            except UnicodeDecodeError:
                continue
    try:
        import io

        df = pd.read_csv(io.StringIO(raw.decode(enc or "utf-8", errors="strict")))
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
            gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y))
            return gdf
    raise InputError("CSV of points needs longitude/latitude (or lon/lat, 经度/纬度, x/y) columns; found "
                     + ", ".join(map(str, df.columns)), path=str(path))


def _check_coordinates(gdf: gpd.GeoDataFrame, path: Path) -> None:
    geoms = gdf.geometry.values
    coords = shapely.get_coordinates(geoms)
    if len(coords) and not np.isfinite(coords).all():
        bad_rows = np.flatnonzero(~np.isfinite(shapely.get_coordinates(geoms, return_index=True)[0]).all(axis=1))
        idx = shapely.get_coordinates(geoms, return_index=True)[1][bad_rows[0]]
        raise InputError("NaN or infinite coordinate", path=str(path), feature=int(idx))


def _settle_crs(gdf: gpd.GeoDataFrame, path: Path, crs) -> tuple[dict, list[str]]:
    warns: list[str] = []
    if crs is not None:
        user = parse_crs(crs)
        if gdf.crs is not None and not gdf.crs.equals(user):
            warns.append(f"the file says {gdf.crs.name}; using {user.name} as given with --crs")
        gdf.set_crs(user, allow_override=True, inplace=True)
        return {"epsg": epsg_of(user), "name": user.name, "source": "given with --crs"}, warns
    if gdf.crs is not None:
        epsg = epsg_of(gdf.crs)
        if epsg is not None and epsg != gdf.crs.to_epsg():
            gdf.set_crs(epsg, allow_override=True, inplace=True)
        from layers.crs import datum_of

        datum = datum_of(gdf.crs)
        if datum in ("xian1980", "beijing1954"):
            warns.append(f"{gdf.crs.name}: an older datum, kept as is (never converted to CGCS2000 silently; "
                         "supply transformation parameters to convert)")
        return {"epsg": epsg, "name": gdf.crs.name, "source": "file"}, warns
    if len(gdf) == 0 or gdf.geometry.is_empty.all():
        return {"epsg": None, "name": None, "source": "none"}, ["no CRS and no coordinates to place the layer by"]
    xmin, ymin, xmax, ymax = gdf.total_bounds
    guess = sniff_crs(xmin, xmax, ymin, ymax, what=str(path))
    gdf.set_crs(guess.epsg, inplace=True)
    return guess.as_dict(), guess.warnings


def invalid_report(gdf: gpd.GeoDataFrame) -> dict:
    """``{"count", "reasons": {reason: n}, "features": [index...]}`` of invalid geometries."""
    geoms = gdf.geometry.values
    valid = shapely.is_valid(geoms) | shapely.is_missing(geoms)
    bad = np.flatnonzero(~valid)
    reasons: dict[str, int] = {}
    if len(bad):
        for r in shapely.is_valid_reason(geoms[bad]):
            key = str(r).split("[")[0].strip()
            reasons[key] = reasons.get(key, 0) + 1
    return {"count": int(len(bad)), "reasons": reasons, "features": [int(i) for i in bad[:100]]}


def repair_geometries(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict]:
    """Repair invalid geometries with ``shapely.make_valid``; report the features touched and areas."""
    geoms = gdf.geometry.values
    bad = np.flatnonzero(~(shapely.is_valid(geoms) | shapely.is_missing(geoms)))
    before = float(shapely.area(geoms[bad]).sum())
    fixed = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
    # keep the polygonal part of a polygon layer
    poly = shapely.get_type_id(geoms[bad]) >= 3
    if poly.any():
        fixed[poly] = [_polygonal(g) for g in fixed[poly]]
    out = gdf.copy()
    col = out.geometry.name
    out.loc[out.index[bad], col] = fixed
    after = float(shapely.area(fixed).sum())
    return out, {"features": int(len(bad)), "feature_index": [int(i) for i in bad[:100]],
                 "area_before": before, "area_after": after}


def _polygonal(g):
    if g is None or shapely.get_type_id(g) in (3, 6):
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def read_project_layer(project, layer_id: str, *, repair: bool = False) -> gpd.GeoDataFrame:
    """Read a layer of a :class:`layers.project.Project` with its kind, field mapping and encoding.

    ``attrs["redline"]`` also carries ``id``, ``source`` and ``date`` (the layer's stated provenance).
    """
    spec = project.layer(layer_id)
    if not spec.path.exists():
        raise InputError(f"layer {spec.id!r} of the project: file not found", path=str(spec.path))
    gdf = read_layer(spec.path, spec.layer, encoding=spec.encoding, kind=spec.kind, fields=spec.fields,
                     repair=repair)
    gdf.attrs["redline"].update({"id": spec.id, "source": spec.source, "date": spec.date,
                                 "label": spec.label})
    return gdf


# ------------------------------------------------------------------------------------------------ writing
WRITE_DRIVERS = {".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON",
                 ".kml": "KML", ".gdb": "OpenFileGDB", ".fgb": "FlatGeobuf"}


def write_layer(gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, layer: str | None = None,
                encoding: str | None = None, zone: int | None = None) -> Path:
    """Write a layer whole or not at all; the format follows the extension (``.txt`` is 国土TXT).

    Shapefiles are written with a ``.cpg`` naming their encoding (UTF-8 unless ``encoding`` is given).
    """
    from layers.outputs import atomic_path

    path = Path(path)
    ext = path.suffix.lower()
    data = gdf.drop(columns=[c for c in gdf.columns if c != gdf.geometry.name
                             and gdf[c].map(lambda v: isinstance(v, (list, dict))).any()])
    if ext == ".txt":
        from layers.guotu import write_guotu

        write_guotu(data, path, zone=zone, encoding=encoding or "gbk")
        return path
    if ext in (".parquet", ".geoparquet"):
        with atomic_path(path) as tmp:
            data.to_parquet(tmp)
        return path
    if ext not in WRITE_DRIVERS:
        raise InputError(f"cannot write format {ext!r}; redline writes "
                         f"{', '.join(sorted(set(WRITE_DRIVERS) | {'.txt', '.parquet'}))}", path=str(path))
    driver = WRITE_DRIVERS[ext]
    kwargs = {}
    if driver == "ESRI Shapefile":
        kwargs["encoding"] = encoding or "UTF-8"
        if path.exists():
            raise InputError("output Shapefile exists; remove it first or write another name", path=str(path))
        tmpdir = path.parent / f".{path.stem}.part"
        tmpdir.mkdir(parents=True, exist_ok=True)
        try:
            pyogrio.write_dataframe(data, tmpdir / path.name, driver=driver, **kwargs)
            for f in tmpdir.iterdir():
                os.replace(f, path.parent / f.name)
        finally:
            for f in tmpdir.glob("*"):
                f.unlink()
            tmpdir.rmdir()
        return path
    if driver == "KML" and data.crs is not None and epsg_of(data.crs) != 4326:
        data = data.to_crs(4326)
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(data, tmp, layer=layer or path.stem, driver=driver, **kwargs)
    return path
