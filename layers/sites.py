"""Project sites from every format a user hands in, read one way for every engine.

A site file is a 国土TXT file (each parcel a site), any vector layer (polygons, lines, points; KMZ and DXF
drawings included), a CSV of points, or GeoParquet; ``PATH:LAYER`` names a layer inside a file
(:mod:`redline.layers.paths`). SITES may also be a folder of such files, or a zip: **a zip is read like a
folder** (every site file in it, 国土TXT files and Shapefiles alike, each named ``资料.zip:member``; a folder's
zips are opened the same way); ``资料.zip:member`` reads one of them. :class:`SiteSource` reads them and yields
**checkable site chunks**: canonical columns of kind ``site`` (``name``, ``code``, ``type``), ``site_id``,
``_source`` (the file), ``_row`` (the row in that file), ``_type_field`` (the field the type came from),
validated in the file's own coordinates (an :class:`~redline.layers.errors.InputError` names the file and the
row) and brought into the analysis CRS. The local engine concatenates the chunks (:meth:`SiteSource.read`),
the streaming engine iterates them (:meth:`SiteSource.chunks` with a ``chunk_size``), the dask engine reads
files on its workers with the same class.

Site ids: the site's code (地块编号) when no other site of its file has it, else ``<file stem>-<row>``; across
the files of a folder an id held twice gets the file's stem as prefix (:func:`unique_site_ids`).

Example
-------
>>> import geopandas as gpd, shapely, tempfile, os
>>> d = tempfile.mkdtemp()
>>> gpd.GeoDataFrame({"DKBH": ["A1", "A2"], "XMMC": ["甲", "乙"]},
...                  geometry=[shapely.box(37465000, 4200000, 37465100, 4200100),
...                            shapely.box(37466000, 4200000, 37466100, 4200100)], crs=4525
...                  ).to_file(os.path.join(d, "地块.gpkg"))
>>> sites = SiteSource(os.path.join(d, "地块.gpkg")).read()
>>> sites[["site_id", "name", "_row"]].values.tolist()
[['A1', '甲', 0], ['A2', '乙', 1]]
>>> [len(c) for c in SiteSource(os.path.join(d, "地块.gpkg"), chunk_size=1).chunks()]
[1, 1]
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from redline.layers.columns import repeated, text_value, text_values
from redline.layers.errors import InputError, RedlineError, UsageError
from redline.layers.geometry import geometries_from_wkb
from redline.layers.info import LayerInfo, layer_info, with_info
from redline.layers.paths import LayerPath
from redline.layers.repair import is_valid
from redline.layers.reproject import to_analysis_crs

SITE_EXTENSIONS = (".txt", ".shp", ".gpkg", ".geojson", ".json", ".kml", ".kmz", ".dxf", ".csv", ".parquet",
                   ".geoparquet", ".fgb", ".gdb", ".zip")
PARQUET_EXTENSIONS = (".parquet", ".geoparquet")
COORDINATE_COLUMNS = [("longitude", "latitude"), ("lon", "lat"), ("lng", "lat"), ("经度", "纬度"), ("x", "y")]


# ------------------------------------------------------------------------------------------------ files
def site_files(path: str | os.PathLike) -> list[Path | LayerPath]:
    """The site files of a path: the file itself (a :class:`~redline.layers.paths.LayerPath` when it names
    a layer, ``PATH:LAYER``), the site files of a zip (each a ``LayerPath`` of the zip and the member), or the
    site files of a folder (every file redline reads as a layer, 国土TXT among the ``.txt`` files, and the
    site files of its zips), sorted by name.

    Raises
    ------
    InputError
        The path does not exist, or the folder or zip holds no site file.
    """
    ref = LayerPath.parse(path)
    p = ref.file
    if not p.exists():
        from redline.layers.inputs import check_input

        check_input(p, folder=None, what="sites file or folder")  # a dangling link, a link loop
        raise InputError("sites: file or folder not found", path=str(p))
    if ref.layer is not None:
        return [ref]
    if p.suffix.lower() == ".zip":
        found = _zip_site_files(p)
        if not found:
            raise InputError("the zip holds no site file (国土TXT, Shapefile, GeoPackage, GeoJSON, KML, DXF, CSV of "
                             "points...)", path=str(p))
        return found
    if not p.is_dir() or p.suffix.lower() == ".gdb":
        return [p]
    from redline.layers.guotu import is_guotu

    out: list[Path | LayerPath] = []
    for f in sorted(p.iterdir()):
        ext = f.suffix.lower()
        if f.name.startswith(".") or ext not in SITE_EXTENSIONS:
            continue
        if ext == ".gdb" and not f.is_dir():
            continue
        if ext != ".gdb" and not f.is_file():
            continue
        if ext == ".txt" and not is_guotu(f):
            continue
        if ext == ".json" and f.name == "package.json":
            continue
        if ext == ".zip":
            out += _zip_site_files(f)
            continue
        out.append(f)
    if not out:
        raise InputError("the folder holds no site file (国土TXT, Shapefile, GeoPackage, GeoJSON, KML, CSV of "
                         "points...)", path=str(p))
    return out


def _zip_site_files(p: Path) -> list[LayerPath]:
    from redline.layers.archives import archive_layers

    return [LayerPath(p, m.name) for m in archive_layers(p)]


def site_ref(f: str | os.PathLike | LayerPath) -> Path | LayerPath:
    """A site file as :func:`site_files` gives it: a Path, or a LayerPath when it names a layer inside.

    >>> site_ref("资料.zip:01.txt").stem, site_ref("no/such.gpkg").name
    ('01', 'such.gpkg')
    """
    ref = LayerPath.parse(f)
    return ref if ref.layer is not None else ref.file


def geoparquet_dataset(path: str | os.PathLike) -> list[Path] | None:
    """The files of a GeoParquet dataset, in reading order: a folder whose site files are all
    ``.parquet``/``.geoparquet``, or one such file with several row groups. None for anything else.

    >>> geoparquet_dataset("no/such/folder") is None
    True
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = Path(path)
    if p.is_file() and p.suffix.lower() in PARQUET_EXTENSIONS:
        try:
            return [p] if pq.ParquetFile(p).num_row_groups > 1 else None
        except (OSError, ValueError, pa.ArrowException):
            return None
    if not p.is_dir():
        return None
    try:
        files = site_files(p)
    except InputError:
        return None
    return files if all(f.suffix.lower() in PARQUET_EXTENSIONS for f in files) else None


# ------------------------------------------------------------------------------------------- validation
def _zero_area(polygons: np.ndarray) -> np.ndarray:
    """Which polygons have zero area: all their points on a line or repeated (their convex hull has none).

    Only polygons whose own area is within rounding of zero can be such (points on a line have a computed
    area of rounding errors, far below 1e-8 of their extent squared), so only their hulls are made.

    >>> _zero_area(np.array([shapely.Polygon([(0, 0), (1, 1), (2, 2)]), shapely.box(0, 0, 1, 1)])).tolist()
    [True, False]
    """
    b = shapely.bounds(polygons)
    near = np.flatnonzero(~(shapely.area(polygons) > 1e-8 * ((b[:, 2] - b[:, 0]) ** 2 + (b[:, 3] - b[:, 1]) ** 2)))
    out = np.zeros(len(polygons), bool)
    out[near] = shapely.area(shapely.convex_hull(polygons[near])) <= 0
    return out


def validate_sites(sites: gpd.GeoDataFrame) -> None:
    """Refuse sites that cannot be checked, naming the file and the row.

    Raises
    ------
    InputError
        No sites; a missing or empty geometry; a geometry collection; an invalid geometry (with GEOS's
        reason); a polygon with zero area or a line with zero length.

    Example
    -------
    >>> g = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[shapely.LineString([(0, 0), (0, 0)])], crs=4525)
    >>> validate_sites(g)
    Traceback (most recent call last):
    ...
    redline.layers.errors.InputError: feature 0 (甲): the site line has zero length
    """
    where = layer_info(sites).path
    if len(sites) == 0:
        raise InputError("no sites to check (the site file holds no features)", path=where)
    geoms = np.asarray(sites.geometry.values, dtype=object)
    src = sites["_source"].to_numpy() if "_source" in sites.columns else np.full(len(sites), where, dtype=object)
    rows = sites["_row"].to_numpy() if "_row" in sites.columns else np.arange(len(sites))

    def fail(i: int, why: str):
        name = text_value(sites["name"].iloc[i]) if "name" in sites.columns else None
        raise InputError(why, path=src[i], feature=f"{rows[i]}" + (f" ({name})" if name else ""))

    missing = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(missing):
        fail(int(missing[0]), "the site has no geometry (empty or missing)")
    mixed = np.flatnonzero(shapely.get_type_id(geoms) == 7)
    if len(mixed):
        fail(int(mixed[0]), "the site is a geometry collection; give polygons, lines and points as separate sites")
    dim = shapely.get_dimensions(geoms)
    polygons = np.flatnonzero(dim == 2)
    zero_area = polygons[_zero_area(geoms[polygons])]
    if len(zero_area):
        fail(int(zero_area[0]), "the site polygon has zero area (all its points on a line or repeated)")
    lines = np.flatnonzero(dim == 1)
    zero_len = lines[shapely.length(geoms[lines]) <= 0]
    if len(zero_len):
        fail(int(zero_len[0]), "the site line has zero length")
    bad = np.flatnonzero(~is_valid(geoms))       # on threads
    if len(bad):
        reason = shapely.is_valid_reason(geoms[bad[0]])
        fail(int(bad[0]), f"invalid site geometry: {reason}; repair it, or check with --repair "
                          "(shapely.make_valid, the change is reported)")


# --------------------------------------------------------------------------------------------------- ids
def unique_site_ids(ids, sources) -> list[str]:
    """Site ids unique across files: an id held by more than one site (the same parcel number in two
    files) gets its file's name as prefix, ``<file stem>:<id>``.

    >>> unique_site_ids(["A", "B", "A"], ["x/一.gpkg", "x/一.gpkg", "x/二.gpkg"])
    ['一:A', 'B', '二:A']
    """
    out = pd.Series(ids, dtype=object).tolist()
    dup = pd.Series(out, dtype=object).duplicated(keep=False).to_numpy()
    if dup.any():
        sources = pd.Series(sources, dtype=object).tolist()
        for k in np.flatnonzero(dup).tolist():
            out[k] = f"{site_ref(sources[k]).stem}:{out[k]}"
    return out


def _object_column(values, index: pd.Index) -> pd.Series:
    """``values`` (a list, or one text or None for every row) as a column of Python objects: a text column
    given to pandas as it is becomes Arrow text, which the check reads back as objects (two conversions of
    every value); one repeated text stays one object.

    >>> _object_column("a.shp", pd.RangeIndex(2)).tolist(), _object_column(["A", None], pd.RangeIndex(2)).dtype
    (['a.shp', 'a.shp'], dtype('O'))
    """
    out = repeated(values, len(index)) if values is None or isinstance(values, str) else \
        np.asarray(values, dtype=object)
    return pd.Series(out, index=index, dtype=object)


def _code_texts(values) -> list[str | None]:
    return text_values(values).tolist()


def _hashes(texts: list[str | None]) -> np.ndarray:
    present = [t for t in texts if t is not None]
    return pd.util.hash_array(np.asarray(present, dtype=object), categorize=False) if present else \
        np.zeros(0, np.uint64)          # codes are mostly distinct: hashed directly, not factorized first


def _ids(codes: list[str | None], duplicated: np.ndarray, rows: np.ndarray, stem: str) -> list[str]:
    """A file's site ids: the code when present and not among ``duplicated`` (sorted 64-bit hashes of the
    codes held more than once in the file), else ``<stem>-<row + 1>``."""
    ids = np.empty(len(codes), dtype=object)
    ids[:] = codes
    unique = np.not_equal(ids, None)
    if unique.any() and len(duplicated):
        unique[unique] = ~np.isin(_hashes(codes), duplicated)
    ids[~unique] = [f"{stem}-{r + 1}" for r in rows[~unique].tolist()]
    return ids.tolist()


def _duplicated(codes: list[str | None]) -> np.ndarray:
    """:func:`duplicated_hashes` of one file's codes, already cleaned."""
    h = np.sort(_hashes(codes))
    return np.unique(h[1:][h[1:] == h[:-1]])


def duplicated_hashes(code_chunks) -> np.ndarray:
    """Sorted 64-bit hashes of the codes held by more than one site, over chunks of codes."""
    parts = [_hashes(_code_texts(c)) for c in code_chunks]
    h = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)
    return np.unique(h[1:][h[1:] == h[:-1]])


# ------------------------------------------------------------------------------------- chunked reading
@dataclass
class SiteFile:
    """One site file opened for reading in chunks of rows.

    ``batches(columns=None)`` yields ``(first_row, frame)``: GeoDataFrames of the file's own columns (no
    canonical ones yet), or with ``columns`` only those attribute columns and no geometry.
    """

    path: Path
    format: str
    total: int | None
    crs: pyproj.CRS | None
    encoding: dict
    batches: Callable[..., Iterator[tuple[int, pd.DataFrame]]]
    warnings: list[str] = field(default_factory=list)


def open_site_file(path: str | os.PathLike | LayerPath, chunk_size: int, *, encoding: str | None = None,
                   crs=None) -> SiteFile:
    """Open a site file for chunked reading: GeoParquet by Arrow record batches, a CSV of points with pandas'
    chunked reader, other vector formats through GDAL's Arrow stream (``PATH:LAYER`` names the layer; a
    source with several and none named is an error); a 国土TXT file or DXF drawing (always small) is read
    whole (``crs`` given to it) and handed out in chunks. A zip is extracted by the caller
    (:class:`SiteSource`).

    Raises
    ------
    UsageError
        A chunk size below 1.
    InputError
        A missing, empty or unreadable file.
    """
    from redline.layers.readers import detect_format

    ref = LayerPath.parse(path)
    p = ref.file
    if chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, not {chunk_size}")
    fmt = detect_format(p)
    if fmt == "GeoParquet":
        return _open_parquet(p, chunk_size)
    if fmt == "CSV":
        return _open_csv(p, chunk_size, encoding)
    if fmt in ("guotu-txt", "DXF", "zip"):
        return _open_whole(ref, chunk_size, encoding, crs)
    return _open_ogr(p, fmt, chunk_size, encoding, layer=ref.layer)


def _open_parquet(p: Path, chunk_size: int) -> SiteFile:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(p)
        geo = json.loads((pf.metadata.metadata or {}).get(b"geo", b"null"))
    except Exception as exc:  # pyarrow raises many kinds
        raise InputError(f"cannot read GeoParquet: {str(exc).splitlines()[0]}", path=str(p)) from None
    if not geo or "primary_column" not in geo:
        raise InputError("a Parquet file without GeoParquet metadata (no 'geo' key): no geometry column known",
                         path=str(p))
    gcol = geo["primary_column"]
    meta = geo["columns"][gcol]
    if str(meta.get("encoding", "WKB")).upper() != "WKB":
        raise InputError(f"GeoParquet geometry encoding {meta.get('encoding')!r}: chunked reading takes WKB "
                         "geometries; check without --stream", path=str(p))
    crs = pyproj.CRS.from_user_input(meta["crs"] if "crs" in meta else "OGC:CRS84") \
        if meta.get("crs", "OGC:CRS84") is not None else None
    if crs is not None and crs.equals(pyproj.CRS("OGC:CRS84")):
        crs = pyproj.CRS.from_epsg(4326)

    def batches(columns=None):
        first = 0
        try:
            for batch in pf.iter_batches(batch_size=chunk_size, columns=columns):
                if columns is not None:
                    df = batch.to_pandas()
                else:
                    geoms = shapely.from_wkb(batch.column(gcol).to_numpy(zero_copy_only=False))
                    df = batch.drop_columns([gcol]).to_pandas()
                    df = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index), crs=crs)
                yield first, df
                first += len(df)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read GeoParquet (file damaged or truncated?): {str(exc).splitlines()[0]}",
                             path=str(p), feature=first) from None

    return SiteFile(p, "GeoParquet", pf.metadata.num_rows, crs, {"value": "utf-8", "source": "GeoParquet"},
                    batches)


def _csv_encoding(p: Path, encoding: str | None) -> tuple[str, str]:
    """The text encoding of a CSV, decided on its first MB (cut at a line end) as ``read_layer`` decides it."""
    from redline.layers.readers import text_encoding

    if encoding:
        return text_encoding(b"", encoding)
    with open(p, "rb") as f:
        sample = f.read(1 << 20)
    if len(sample) == 1 << 20:
        sample = sample[:sample.rfind(b"\n") + 1] or sample
    return text_encoding(sample, path=str(p))


def _count_lines(p: Path) -> int:
    """Lines of a text file (a last line without a newline counts), read in 16 MB blocks."""
    n, last = 0, b"\n"
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


def _open_csv(p: Path, chunk_size: int, encoding: str | None) -> SiteFile:
    enc, why = _csv_encoding(p, encoding)
    try:
        header = pd.read_csv(p, nrows=0, encoding=enc)
    except Exception as exc:
        raise InputError(f"cannot read CSV: {str(exc).splitlines()[0]}", path=str(p)) from None
    cols = {str(c).strip().lower(): c for c in header.columns}
    pair = next(((cols[x], cols[y], x, y) for x, y in COORDINATE_COLUMNS if x in cols and y in cols), None)
    if pair is None:
        raise InputError("CSV of points needs longitude/latitude (or lon/lat, 经度/纬度, x/y) columns; found "
                         + ", ".join(map(str, header.columns)), path=str(p))
    xcol, ycol, xname, yname = pair
    total = max(0, _count_lines(p) - 1)

    def batches(columns=None):
        first = 0
        try:
            for df in pd.read_csv(p, chunksize=chunk_size, encoding=enc, usecols=columns):
                if columns is None:
                    x = pd.to_numeric(df[xcol], errors="coerce").to_numpy(dtype=float)
                    y = pd.to_numeric(df[ycol], errors="coerce").to_numpy(dtype=float)
                    bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
                    if len(bad):
                        raise InputError(f"non-numeric or missing coordinate in {xname}/{yname}", path=str(p),
                                         line=first + int(bad[0]) + 2)
                    df = gpd.GeoDataFrame(df.reset_index(drop=True), geometry=gpd.points_from_xy(x, y))
                else:
                    df = df.reset_index(drop=True)
                yield first, df
                first += len(df)
        except UnicodeDecodeError as exc:
            raise InputError(f"the text is not valid {enc} ({exc.reason}); give the encoding with --encoding",
                             path=str(p), feature=first) from None
        except (pd.errors.ParserError, ValueError) as exc:
            raise InputError(f"cannot read CSV: {str(exc).splitlines()[0]}", path=str(p)) from None

    return SiteFile(p, "CSV", total, None, {"value": "gbk" if enc == "gb18030" else enc, "source": why}, batches)


def _open_ogr(p: Path, fmt: str, chunk_size: int, encoding: str | None, *, layer: str | None = None) -> SiteFile:
    import pyogrio

    from redline.layers.readers import only_layer

    enc_info = {"value": "utf-8", "source": f"{fmt} text is UTF-8 by specification"}
    kwargs = {}
    if fmt != "ESRI Shapefile":
        kwargs["layer"] = layer if layer is not None else only_layer(p, fmt)
    if fmt == "ESRI Shapefile":
        from redline.layers.readers import detect_dbf_encoding

        value, why = (encoding, "given with --encoding") if encoding else detect_dbf_encoding(p)
        enc_info = {"value": value, "source": why}
        if value:
            kwargs["encoding"] = "gb18030" if value.lower() in ("gbk", "gb2312", "cp936", "936") else value
    try:
        info = pyogrio.read_info(p, **kwargs)
    except pyogrio.errors.DataLayerError as exc:
        raise InputError(f"no layer {kwargs.get('layer')!r} ({str(exc).splitlines()[0]})", path=str(p)) from None
    except Exception as exc:
        raise InputError(f"cannot read as {fmt}: {str(exc).splitlines()[0]}", path=str(p)) from None
    total = int(info["features"]) if info.get("features", -1) >= 0 else None
    crs = pyproj.CRS.from_user_input(info["crs"]) if info.get("crs") else None

    def batches(columns=None):
        first = 0
        try:
            with pyogrio.raw.open_arrow(p, batch_size=chunk_size, use_pyarrow=True, columns=columns,
                                        read_geometry=columns is None, **kwargs) as (meta, reader):
                gname = meta["geometry_name"] or "wkb_geometry"
                for batch in reader:
                    if columns is None:
                        geoms = geometries_from_wkb(batch.column(gname).to_numpy(zero_copy_only=False), p,
                                                    offset=first)
                        df = batch.drop_columns([gname]).to_pandas()
                        df = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index), crs=crs)
                    else:
                        df = batch.to_pandas()
                    yield first, df
                    first += len(df)
        except InputError:
            raise
        except Exception as exc:  # GDAL and Arrow errors on damaged files
            raise InputError(f"cannot read as {fmt} (file damaged or truncated?): {str(exc).splitlines()[0]}",
                             path=str(p), feature=first) from None

    warnings = []
    if fmt == "GeoJSON":
        from redline.layers.readers import unknown_crs_warning, unknown_geojson_crs

        named = unknown_geojson_crs(p)
        if named is not None:
            crs, warnings = None, [unknown_crs_warning(named)]
    return SiteFile(p, fmt, total, crs, enc_info, batches, warnings)


def _open_whole(p: Path | LayerPath, chunk_size: int, encoding: str | None, crs=None) -> SiteFile:
    """A small format (国土TXT, DXF) read whole and handed out in chunks."""
    from redline.layers.readers import read_layer

    gdf = read_layer(p, encoding=encoding, crs=crs)
    meta = layer_info(gdf)

    def batches(columns=None):
        for first in range(0, len(gdf), chunk_size):
            part = gdf.iloc[first:first + chunk_size].reset_index(drop=True)
            yield first, (pd.DataFrame(part[columns]) if columns is not None else part)

    return SiteFile(LayerPath.parse(p).file, meta.format or "guotu-txt", len(gdf), gdf.crs, meta.encoding,
                    batches, warnings=list(meta.warnings))


# ------------------------------------------------------------------------------------------- site source
class SiteSource:
    """The sites of a file or a folder, read as checkable chunks.

    Parameters
    ----------
    path : path
        A site file or a folder of them (:func:`site_files`).
    crs : optional
        CRS of files that have none (``--crs``).
    encoding : str, optional
        Attribute encoding (``--encoding``) for Shapefiles, CSV and 国土TXT.
    repair : bool
        Repair invalid site geometries (``make_valid``; reported) instead of refusing them. Whole-file
        reading only.
    to_crs : pyproj.CRS, optional
        The analysis CRS the sites are brought into (:func:`redline.layers.reproject.to_analysis_crs`).
    towgs84 : tuple of float, optional
        Transformation parameters for sites in an older datum.
    gcj02 : bool
        Site files in longitude/latitude are GCJ-02 (drawn on a 高德/腾讯 web map): converted to WGS84/CGCS2000
        (:func:`redline.layers.gcj02.from_gcj02`); projected files are never GCJ-02 and are left as they are.
        Each file's record says whether it was converted (``gcj02``).
    chunk_size : int, optional
        Rows per chunk. None (default): each file is one chunk, read whole with
        :func:`redline.layers.readers.read_layer`.

    Attributes
    ----------
    files : list of Path or LayerPath
        The site files, in reading order (:func:`site_files`).
    records : list of dict
        Per file read so far: ``path``, ``format``, ``crs``, ``encoding``, ``features`` (and ``gcj02``: True
        when converted from GCJ-02).
    warnings : list of str
        What reading said, each prefixed with the file's name.
    """

    def __init__(self, path: str | os.PathLike, *, crs=None, encoding: str | None = None, repair: bool = False,
                 to_crs: pyproj.CRS | None = None, towgs84: tuple[float, ...] | None = None,
                 chunk_size: int | None = None, gcj02: bool = False):
        self.path = site_ref(path)
        self.crs = crs
        self.encoding = encoding
        self.repair = repair
        self.to_crs = to_crs
        self.towgs84 = towgs84
        self.chunk_size = chunk_size
        self.gcj02 = gcj02
        if chunk_size is not None and repair:
            raise UsageError("--repair is not available when the sites are read in chunks: repair the site file "
                             "first (redline convert --repair), or check without --stream")
        self.files = site_files(self.path)
        self.records: list[dict] = []
        self.warnings: list[str] = []
        self.total: int | None = None

    # --- whole files
    def read(self) -> gpd.GeoDataFrame:
        """Every site at once: the chunks concatenated, ids made unique across files.

        Returns
        -------
        GeoDataFrame
            Whose :class:`~redline.layers.info.LayerInfo` has ``path``, ``files`` (:attr:`records`) and
            ``warnings``.
        """
        frames = list(self.chunks())
        target = frames[0].crs
        frames = [g if g.crs is None or target is None or g.crs.equals(target) else g.to_crs(target)
                  for g in frames]
        out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry=frames[0].geometry.name, crs=target)
        out["site_id"] = _object_column(unique_site_ids(out["site_id"], out["_source"]), out.index)
        return with_info(out, LayerInfo(path=str(self.path), kind="site", files=list(self.records),
                                        warnings=list(self.warnings)))

    def chunks(self) -> Iterator[gpd.GeoDataFrame]:
        """Checkable site chunks, file by file (one chunk per file unless ``chunk_size`` is given)."""
        self.records, self.warnings = [], []
        for f in self.files:
            if self.chunk_size is None:
                yield self.read_file(f)
            else:
                yield from self._file_chunks(f)

    def read_file(self, f: str | os.PathLike | LayerPath) -> gpd.GeoDataFrame:
        """One site file, read whole with :func:`~redline.layers.readers.read_layer` and made checkable."""
        from redline.layers.readers import read_layer

        f = site_ref(f)
        gdf = read_layer(f, kind="site", repair=self.repair, encoding=self.encoding, crs=self.crs)
        if self.gcj02:
            from redline.layers.gcj02 import maybe_from_gcj02

            gdf = maybe_from_gcj02(gdf, path=str(f))
        meta = layer_info(gdf)
        if len(gdf) == 0:
            raise InputError("the site file holds no features: nothing to check", path=str(f))
        codes = _code_texts(gdf["code"]) if "code" in gdf.columns else [None] * len(gdf)
        out = self._checkable(gdf, f, first=0, warnings=meta.warnings, fields=meta.fields,
                              duplicated=_duplicated(codes), codes=codes)
        header = (meta.guotu or {}).get("header") or {}   # a 国土TXT file states who made it and when
        self.records.append({"path": str(f), "format": meta.format, "crs": meta.crs or None,
                             "encoding": meta.encoding or None, "features": len(gdf),
                             "source": header.get("数据产生单位") or None, "vintage": header.get("数据产生日期") or None}
                            | ({"gcj02": True} if (meta.transformation or {}).get("from") == "GCJ-02" else {}))
        return out

    # --- chunks
    def _file_chunks(self, f: Path | LayerPath) -> Iterator[gpd.GeoDataFrame]:
        """A file's chunks; a zip member is extracted into a temporary folder for as long as it is read."""
        if isinstance(f, Path) and f.is_dir() and f.suffix.lower() != ".gdb":
            raise UsageError(f"chunked reading takes site files, not a folder ({f})")
        if not (isinstance(f, LayerPath) and f.suffix == ".zip"):
            yield from self._chunks_of(f, f)
            return
        from redline.layers.archives import extracted, rewrite_error, rewrite_text

        n0 = len(self.warnings)
        with extracted(f.file, f.layer) as (local, _member, inner):
            try:
                yield from self._chunks_of(f, LayerPath(local, inner) if inner is not None else local)
            except RedlineError as exc:
                raise rewrite_error(exc, local, str(f)) from None
            finally:
                self.warnings[n0:] = [rewrite_text(w, local, str(f)) for w in self.warnings[n0:]]

    def _chunks_of(self, f: Path | LayerPath, source: Path | LayerPath) -> Iterator[gpd.GeoDataFrame]:
        """The chunks of site file ``f``, read from ``source`` (``f`` itself, or a zip member extracted)."""
        from redline.layers.crs import coordinates_contradiction, epsg_of, parse_crs, sniff_crs
        from redline.layers.kinds import map_attributes
        from redline.layers.readers import check_finite

        sf = open_site_file(source, self.chunk_size, encoding=self.encoding, crs=self.crs)
        self.total = (self.total or 0) + (sf.total or 0) if sf.total is not None else None
        user_crs = parse_crs(self.crs) if self.crs is not None else None
        warns = list(sf.warnings)
        if user_crs is not None and sf.crs is not None and not sf.crs.equals(user_crs):
            warns.append(f"the file says {sf.crs.name}; using {user_crs.name} as given with --crs")
        crs = user_crs or sf.crs
        declared = user_crs is None and sf.crs is not None
        mapping = None
        duplicated = None
        n = 0
        for first, raw in sf.batches():
            check_finite(np.asarray(raw.geometry.values, dtype=object), f, offset=first)
            gdf, used, map_warns = map_attributes(raw, "site", None)
            if mapping is None:
                mapping = used
                warns += map_warns
                code = mapping.get("code")
                duplicated = duplicated_hashes(df[code] for _, df in sf.batches(columns=[code])) \
                    if code else np.zeros(0, np.uint64)
                if crs is None:
                    xmin, ymin, xmax, ymax = raw.total_bounds
                    guess = sniff_crs(xmin, xmax, ymin, ymax, what=str(f))
                    crs = pyproj.CRS.from_epsg(guess.epsg)
                    warns += list(guess.warnings)
            if declared:
                message = coordinates_contradiction(crs, shapely.bounds(np.asarray(raw.geometry.values, dtype=object)),
                                                    declared_by="the .prj" if f.suffix.lower() == ".shp"
                                                    else "the file's CRS", first=first)
                if message:
                    raise InputError(message, path=str(f))
            gdf = gdf.set_crs(crs, allow_override=True)
            if self.gcj02 and crs.is_geographic:
                from redline.layers.gcj02 import from_gcj02

                gdf = from_gcj02(gdf, path=str(f))
                if n == 0:
                    warns.append(layer_info(gdf).transformation["note"])
            chunk = self._checkable(gdf, f, first=first, warnings=warns if n == 0 else [], fields=mapping,
                                    duplicated=duplicated)
            n += len(chunk)
            yield chunk
        if n == 0:
            raise InputError("the site file holds no features: nothing to check", path=str(f))
        self.records.append({"path": str(f), "format": sf.format, "crs": None if crs is None else
                             {"epsg": epsg_of(crs), "name": crs.name, "source": "given with --crs" if user_crs
                              else "file" if sf.crs is not None else "coordinates"},
                             "encoding": sf.encoding, "features": n}
                            | ({"gcj02": True} if self.gcj02 and crs.is_geographic else {}))

    # --- what every chunk goes through
    def _checkable(self, gdf: gpd.GeoDataFrame, f: Path | LayerPath, *, first: int, warnings: list[str],
                   fields: dict | None, duplicated: np.ndarray, codes: list | None = None) -> gpd.GeoDataFrame:
        """Rows, validation in the file's own coordinates, the analysis CRS, the type field and ids."""
        if first == 0:
            self.warnings += [f"{f.name}: {w}" for w in warnings]
        gdf = gdf.copy()
        rows = np.arange(first, first + len(gdf))
        gdf["_source"] = _object_column(str(f), gdf.index)
        gdf["_row"] = rows
        with_info(gdf, LayerInfo(path=str(f), kind="site"))
        # in the file's own coordinates: a polygon collinear in lon/lat has zero area there, but not
        # after projection (a parallel is curved in Gauss-Krüger)
        validate_sites(gdf)
        if self.to_crs is not None:
            gdf, notes = to_analysis_crs(gdf, self.to_crs, f"sites {f.name}", path=str(f), towgs84=self.towgs84)
            if first == 0:
                self.warnings += notes
        gdf["_type_field"] = _object_column((fields or {}).get("type"), gdf.index)
        if codes is None:
            codes = _code_texts(gdf["code"]) if "code" in gdf.columns else [None] * len(gdf)
        gdf["site_id"] = _object_column(_ids(codes, duplicated, rows, f.stem), gdf.index)
        return with_info(gdf, LayerInfo(path=str(f), kind="site", fields=fields))


def read_sites(path: str | os.PathLike, **kwargs) -> gpd.GeoDataFrame:
    """Every site of a file or folder at once: ``SiteSource(path, **kwargs).read()``."""
    return SiteSource(path, **kwargs).read()
