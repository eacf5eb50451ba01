"""Streaming site checks: millions of sites in bounded memory, read, checked and written chunk by chunk.

``redline check SITES --stream --out DIR`` runs here. The control layers are prepared once
(:func:`redline.spatial.checks.load_check_layers`); the site file is read in chunks of ``chunk_size`` rows
(GeoParquet by Arrow record batches, a CSV of points with pandas' chunked reader, other vector formats
through GDAL's Arrow stream); each chunk is checked with :func:`redline.spatial.checks.check_prepared` and its
rows are appended to ``sites.csv`` and ``hits.csv``, which are written under temporary names and moved into
place only when every chunk is done: the outputs are whole or absent.

Each chunk's rows are exactly the rows the in-memory check writes for those sites (a site's result
depends only on the site and the layers). Site ids follow :func:`redline.spatial.checks.read_sites`: the site's
code when no other site of the file has it, else ``<file stem>-<row number>``; uniqueness over the whole
file is known from a first pass over the code column, which hashes every code to 64 bits (8 bytes a site,
80 MB for 10 million, held only during that pass; afterwards only the duplicated codes' hashes are kept).

``check.json`` of a streamed check holds ``summary``, ``analysis``, ``layers``, ``rules``, ``warnings``,
``project``, ``provenance`` and ``stream`` (the chunk size, the number of chunks, and the names of the CSV
files), but no per-site list: ``stream.sites_file`` (``sites.csv``) and ``stream.hits_file`` (``hits.csv``)
hold the per-site results. The XLSX workbook and the HTML/DOCX report are not written (they are meant for
a handful of sites).

Example
-------
>>> from redline.layers.project import load_project                          # doctest: +SKIP
>>> from redline.spatial.checks import load_check_layers                     # doctest: +SKIP
>>> ctx = load_check_layers(load_project("redline.toml"))            # doctest: +SKIP
>>> js = stream_check("points.parquet", ctx, "out", chunk_size=200_000)  # doctest: +SKIP
>>> js["summary"]["sites"]                                           # doctest: +SKIP
10000000
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from redline.layers.errors import InputError, UsageError
from redline.spatial.checks import (
    CheckContext,
    _text,
    check_prepared,
    locate,
    project_block,
    to_analysis_crs,
    validate_sites,
)

DEFAULT_CHUNK = 100_000
_COORD_PAIRS = [("longitude", "latitude"), ("lon", "lat"), ("lng", "lat"), ("经度", "纬度"), ("x", "y")]


# ------------------------------------------------------------------------------------------------ reading
@dataclass
class SiteStream:
    """A site file opened for reading in chunks.

    ``chunks(columns=None)`` yields ``(first_row, DataFrame or GeoDataFrame)``; with ``columns`` only those
    attribute columns and no geometry (the first pass over the codes).
    """

    path: Path
    format: str
    total: int | None
    crs: pyproj.CRS | None
    encoding: dict
    chunks: Callable[..., Iterator[tuple[int, pd.DataFrame]]]
    warnings: list[str] = field(default_factory=list)


def open_sites(path: str | os.PathLike, chunk_size: int = DEFAULT_CHUNK, *, encoding: str | None = None
               ) -> SiteStream:
    """Open a site file for chunked reading: GeoParquet, a CSV of points, or any vector format GDAL reads.

    Raises
    ------
    UsageError
        A folder, or a chunk size below 1.
    InputError
        A missing, empty or unreadable file.
    """
    from redline.layers.readers import detect_format

    p = Path(path)
    if p.is_dir() and p.suffix.lower() != ".gdb":
        raise UsageError(f"--stream reads one site file, not a folder ({p}); check the files one by one, "
                         "or without --stream")
    if chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, not {chunk_size}")
    fmt = detect_format(p)
    if fmt == "GeoParquet":
        return _open_parquet(p, chunk_size)
    if fmt == "CSV":
        return _open_csv(p, chunk_size, encoding)
    if fmt == "guotu-txt":
        return _open_in_memory(p, chunk_size, encoding)
    return _open_ogr(p, fmt, chunk_size, encoding)


def _open_parquet(p: Path, chunk_size: int) -> SiteStream:
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
        raise InputError(f"GeoParquet geometry encoding {meta.get('encoding')!r}: --stream reads WKB geometries; "
                         "check without --stream", path=str(p))
    crs = pyproj.CRS.from_user_input(meta["crs"] if "crs" in meta else "OGC:CRS84") \
        if meta.get("crs", "OGC:CRS84") is not None else None
    if crs is not None and crs.equals(pyproj.CRS("OGC:CRS84")):
        crs = pyproj.CRS.from_epsg(4326)

    def chunks(columns=None):
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

    return SiteStream(p, "GeoParquet", pf.metadata.num_rows, crs, {"value": "utf-8", "source": "GeoParquet"},
                      chunks)


def _csv_encoding(p: Path, encoding: str | None) -> tuple[str, str]:
    """The text encoding of a CSV, decided on its first MB (cut at a line end) as ``read_layer`` decides it."""
    from redline.layers.readers import text_encoding

    if encoding:
        return text_encoding(b"", encoding)
    with open(p, "rb") as f:
        sample = f.read(1 << 20)
    if len(sample) == 1 << 20:
        sample = sample[:sample.rfind(b"\n") + 1] or sample
    return text_encoding(sample)


def _count_lines(p: Path) -> int:
    """Lines of a text file (a last line without a newline counts), read in 16 MB blocks."""
    n, last = 0, b"\n"
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


def _open_csv(p: Path, chunk_size: int, encoding: str | None) -> SiteStream:
    enc, why = _csv_encoding(p, encoding)
    try:
        header = pd.read_csv(p, nrows=0, encoding=enc)
    except Exception as exc:
        raise InputError(f"cannot read CSV: {str(exc).splitlines()[0]}", path=str(p)) from None
    cols = {str(c).strip().lower(): c for c in header.columns}
    pair = next(((cols[x], cols[y], x, y) for x, y in _COORD_PAIRS if x in cols and y in cols), None)
    if pair is None:
        raise InputError("CSV of points needs longitude/latitude (or lon/lat, 经度/纬度, x/y) columns; found "
                         + ", ".join(map(str, header.columns)), path=str(p))
    xcol, ycol, xname, yname = pair
    total = max(0, _count_lines(p) - 1)

    def chunks(columns=None):
        first = 0
        try:
            reader = pd.read_csv(p, chunksize=chunk_size, encoding=enc, usecols=columns)
            for df in reader:
                df.index = pd.RangeIndex(first, first + len(df))
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

    return SiteStream(p, "CSV", total, None, {"value": "gbk" if enc == "gb18030" else enc, "source": why}, chunks)


def _open_ogr(p: Path, fmt: str, chunk_size: int, encoding: str | None) -> SiteStream:
    import pyogrio

    enc_info = {"value": "utf-8", "source": f"{fmt} text is UTF-8 by specification"}
    kwargs = {}
    if fmt == "ESRI Shapefile":
        from redline.layers.readers import detect_dbf_encoding

        value, why = (encoding, "given with --encoding") if encoding else detect_dbf_encoding(p)
        enc_info = {"value": value, "source": why}
        if value:
            kwargs["encoding"] = "gb18030" if value.lower() in ("gbk", "gb2312", "cp936", "936") else value
    try:
        info = pyogrio.read_info(p, **kwargs)
    except Exception as exc:
        raise InputError(f"cannot read as {fmt}: {str(exc).splitlines()[0]}", path=str(p)) from None
    total = int(info["features"]) if info.get("features", -1) >= 0 else None
    crs = pyproj.CRS.from_user_input(info["crs"]) if info.get("crs") else None

    def chunks(columns=None):
        first = 0
        try:
            with pyogrio.raw.open_arrow(p, batch_size=chunk_size, use_pyarrow=True, columns=columns,
                                        read_geometry=columns is None, **kwargs) as (meta, reader):
                gname = meta["geometry_name"] or "wkb_geometry"
                for batch in reader:
                    if columns is None:
                        geoms = shapely.from_wkb(batch.column(gname).to_numpy(zero_copy_only=False))
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

    return SiteStream(p, fmt, total, crs, enc_info, chunks)


def _open_in_memory(p: Path, chunk_size: int, encoding: str | None) -> SiteStream:
    """A small format (国土TXT) read whole and handed out in chunks."""
    from redline.layers.readers import read_layer

    gdf = read_layer(p, encoding=encoding)
    meta = gdf.attrs.get("redline", {})

    def chunks(columns=None):
        for first in range(0, len(gdf), chunk_size):
            part = gdf.iloc[first:first + chunk_size].reset_index(drop=True)
            yield first, (pd.DataFrame(part[columns]) if columns is not None else part)

    return SiteStream(p, meta.get("format", "guotu-txt"), len(gdf), gdf.crs, meta.get("encoding") or {}, chunks,
                      warnings=list(meta.get("warnings", [])))


# ------------------------------------------------------------------------------------------- site chunks
def _code_texts(values) -> list[str | None]:
    """Codes as :func:`redline.layers.kinds.map_attributes` then :func:`redline.spatial.checks.read_sites` make them."""
    return [_text(None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v).strip()) for v in values]


def _hashes(texts: list[str | None]) -> np.ndarray:
    present = [t for t in texts if t is not None]
    return pd.util.hash_array(np.asarray(present, dtype=object)) if present else np.zeros(0, np.uint64)


def duplicated_codes(stream: SiteStream, code_field: str | None) -> np.ndarray:
    """Sorted 64-bit hashes of the codes that more than one site of the file has (the first pass)."""
    if code_field is None:
        return np.zeros(0, np.uint64)
    parts = [_hashes(_code_texts(df[code_field])) for _, df in stream.chunks(columns=[code_field])]
    h = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.uint64)
    return np.unique(h[1:][h[1:] == h[:-1]])


def site_chunks(stream: SiteStream, *, crs=None, fields: dict | None = None) -> Iterator[gpd.GeoDataFrame]:
    """The sites of a stream, chunk by chunk, as :func:`redline.spatial.checks.read_sites` gives them: canonical
    columns of kind ``site``, ``site_id``, ``_source``, ``_row``, ``_type_field``; validated in the file's
    own coordinates (an InputError names the file and the row).

    ``stream.warnings`` receives the warnings of the attribute mapping and of the CRS.
    """
    from redline.layers.kinds import map_attributes

    user_crs = pyproj.CRS.from_user_input(crs) if crs is not None else None
    src = str(stream.path)
    mapping = None
    dup = None
    layer_crs = user_crs or stream.crs
    if user_crs is not None and stream.crs is not None and not stream.crs.equals(user_crs):
        stream.warnings.append(f"the file says {stream.crs.name}; using {user_crs.name} as given with --crs")
    n = 0
    for first, raw in stream.chunks():
        if mapping is None:
            raw0, mapping, warns = map_attributes(raw, "site", fields)
            stream.warnings += warns
            dup = duplicated_codes(stream, mapping.get("code"))
            if layer_crs is None:
                from redline.layers.crs import sniff_crs

                xmin, ymin, xmax, ymax = raw.total_bounds
                guess = sniff_crs(xmin, xmax, ymin, ymax, what=src)
                layer_crs = pyproj.CRS.from_epsg(guess.epsg)
                stream.warnings += list(guess.warnings)
            gdf = raw0
        else:
            gdf, _, _ = map_attributes(raw, "site", fields)
        gdf = gdf.set_crs(layer_crs, allow_override=True)
        rows = np.arange(first, first + len(gdf))
        gdf["_source"] = src
        gdf["_row"] = rows
        gdf.attrs["redline"] = {"path": src}
        validate_sites(gdf)
        gdf["_type_field"] = mapping.get("type")
        codes = _code_texts(gdf["code"]) if "code" in gdf.columns else [None] * len(gdf)
        unique = np.array([c is not None for c in codes])
        if unique.any() and len(dup):
            unique[unique] = ~np.isin(_hashes(codes), dup)
        stem = stream.path.stem
        gdf["site_id"] = [c if u else f"{stem}-{r + 1}" for c, u, r in zip(codes, unique, rows.tolist(), strict=True)]
        n += len(gdf)
        yield gdf
    if n == 0:
        raise InputError("the site file holds no features: nothing to check", path=src)


# ------------------------------------------------------------------------------------------------ writing
class _CsvAppender:
    """Rows appended chunk by chunk to a CSV written as :func:`redline.spatial.check_tables.to_csv` writes it whole."""

    def __init__(self, path: str):
        self.f = open(path, "wb")
        self.header = False

    def add(self, rows: list[dict]) -> None:
        from redline.spatial.check_tables import to_csv

        if not rows:
            return
        data = to_csv(rows)
        if self.header:  # drop the byte-order mark and the header line
            data = data[data.index(b"\r\n") + 2:]
        self.f.write(data)
        self.header = True

    def close(self) -> None:
        if not self.header:
            self.f.write(b"\xef\xbb\xbf")
        self.f.close()


def stream_check(sites_path: str | os.PathLike, ctx: CheckContext, out_dir: str | os.PathLike, *,
                 chunk_size: int = DEFAULT_CHUNK, project_type: str | None = None, sites_crs=None,
                 encoding: str | None = None, progress: Callable[[int, int | None, float], None] | None = None
                 ) -> dict:
    """Check a large site file chunk by chunk; write ``sites.csv``, ``hits.csv`` and ``check.json`` into
    ``out_dir`` (whole, or not at all); return the ``check.json`` content.

    Parameters
    ----------
    sites_path : path
        One site file (GeoParquet, CSV of points, or a vector format).
    ctx : CheckContext
        The prepared control layers, from :func:`redline.spatial.checks.load_check_layers`.
    chunk_size : int
        Sites per chunk: memory grows with it (about 10 kB a point site against the demo's 13 layers).
    progress : callable, optional
        ``progress(sites_done, total_or_None, seconds_elapsed)`` after each chunk.

    Raises
    ------
    InputError
        A bad site (naming the file and row), an unreadable file; nothing is written then.
    """
    from redline.layers.outputs import atomic_path, provenance, to_json
    from redline.spatial.check_tables import hit_rows, site_rows
    from redline.spatial.rules import resolve_type

    project_type = resolve_type(project_type) if project_type is not None else None
    prepared = ctx.prepared
    stream = open_sites(sites_path, chunk_size, encoding=encoding)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    counts: dict[str, int] | None = None
    warnings: list[str] = []
    seen: set[str] = set()
    done = chunks_n = 0
    t0 = time.perf_counter()
    first_result = None
    with contextlib.ExitStack() as stack:
        sites_tmp = stack.enter_context(atomic_path(out / "sites.csv"))
        hits_tmp = stack.enter_context(atomic_path(out / "hits.csv"))
        json_tmp = stack.enter_context(atomic_path(out / "check.json"))
        sites_csv, hits_csv = _CsvAppender(sites_tmp), _CsvAppender(hits_tmp)
        stack.callback(hits_csv.f.close)
        stack.callback(sites_csv.f.close)
        for chunk in site_chunks(stream, crs=sites_crs, fields=None):
            chunk, notes = to_analysis_crs(chunk, prepared.crs, f"sites {stream.path.name}", path=str(stream.path),
                                           towgs84=prepared.towgs84)
            chunk.attrs["redline"] = {"path": str(stream.path),
                                      "warnings": [f"{stream.path.name}: {w}" for w in stream.warnings]
                                      + notes + ctx.warnings}
            try:
                result = check_prepared(chunk, prepared, project_type=project_type)
            except shapely.errors.GEOSException as exc:
                raise InputError(f"geometry error during the overlay: {exc}; check the layers with `redline "
                                 "inspect` and repair invalid geometries") from None
            if ctx.towns is not None:
                for s, where in zip(result["sites"], locate(chunk, ctx.towns), strict=True):
                    s["location"] = where
            sites_csv.add(site_rows(result))
            hits_csv.add(hit_rows(result))
            v = result["summary"]["verdicts"]
            counts = dict(v) if counts is None else {k: counts[k] + v[k] for k in counts}
            for w in result["warnings"]:
                if w not in seen:
                    seen.add(w)
                    warnings.append(w)
            done += len(chunk)
            chunks_n += 1
            if first_result is None:
                first_result = {k: result[k] for k in ("analysis", "layers", "rules")}
            del result, chunk
            if progress is not None:
                progress(done, stream.total, time.perf_counter() - t0)
        sites_csv.close()
        hits_csv.close()
        inputs = [ctx.record(stream.path, vintage=None, source=None, role="sites"), *ctx.inputs]
        if ctx.towns_input is not None:
            inputs.append(ctx.towns_input)
        js = {"summary": {"sites": done, "verdicts": counts}, **first_result, "warnings": warnings}
        if ctx.project is not None:
            js["project"] = project_block(ctx.project)
        js["stream"] = {"sites_file": "sites.csv", "hits_file": "hits.csv", "chunk_size": chunk_size,
                        "chunks": chunks_n, "format": stream.format, "encoding": stream.encoding,
                        "seconds": round(time.perf_counter() - t0, 3)}
        js["provenance"] = provenance(inputs, area_method=js["analysis"]["area_method"], rules=js["rules"])
        with open(json_tmp, "w", encoding="utf-8") as f:
            f.write(to_json(js) + "\n")
    return js
