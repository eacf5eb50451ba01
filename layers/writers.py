"""Writing planning layers: Shapefile (with its ``.cpg``), GeoPackage, GeoJSON, KML, FlatGeobuf, GeoParquet,
whole or not at all, never onto an input.

Example
-------
>>> import geopandas as gpd, tempfile, os
>>> from shapely.geometry import box
>>> layer = gpd.GeoDataFrame({"HXMC": ["红线一"]}, geometry=[box(0, 0, 1, 1)], crs=4525)
>>> write_layer(layer, os.path.join(tempfile.mkdtemp(), "红线.gpkg")).name
'红线.gpkg'
"""

from __future__ import annotations

import os
import warnings as _warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from redline.layers.crs import datum_of, epsg_of
from redline.layers.errors import InputError, UsageError
from redline.layers.readers import _check_encoding, _short, geometry_families

WRITE_DRIVERS = {".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON",
                 ".kml": "KML", ".gdb": "OpenFileGDB", ".fgb": "FlatGeobuf"}


def write_layer(gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, layer: str | None = None,
                encoding: str | None = None, zone: int | None = None) -> Path:
    """Write a layer whole or not at all; the format follows the extension (``.txt`` is 国土TXT).

    Shapefiles are written with a ``.cpg`` naming their encoding (UTF-8 unless ``encoding`` is given); a
    Shapefile holds one geometry type, and a 国土TXT file only polygons: other input raises
    :class:`InputError` naming the output and the first feature at fault.

    Examples
    --------
    >>> import tempfile, os
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[box(111.0, 37.0, 111.01, 37.01)], crs=4490)
    >>> out = write_layer(g, os.path.join(tempfile.mkdtemp(), "甲.gpkg"))
    >>> from redline.layers.readers import read_layer
    >>> read_layer(out)["名称"].tolist()
    ['甲']
    """
    from redline.layers.outputs import atomic_path

    path = Path(path)
    ext = path.suffix.lower()
    if ext not in WRITE_DRIVERS and ext not in (".txt", ".parquet", ".geoparquet"):
        raise UsageError(f"cannot write format {ext or '(no extension)'!r}; redline writes "
                         f"{', '.join(sorted(set(WRITE_DRIVERS) | {'.txt', '.parquet'}))}", path=str(path))
    if encoding:
        _check_encoding(encoding)
    data = gdf.drop(columns=[c for c in gdf.columns if c != gdf.geometry.name
                             and gdf[c].map(lambda v: isinstance(v, (list, dict))).any()])
    data.attrs = {}   # what redline knows of the source is not written into the output's metadata
    if ext == ".txt":
        from redline.layers.guotu import write_guotu

        try:
            datum = datum_of(data.crs) if datum_of(data.crs) in ("xian1980", "beijing1954") else "cgcs2000"
            write_guotu(data, path, zone=zone, encoding=encoding or "gbk", datum=datum)
        except InputError as exc:
            if exc.path is None:
                raise InputError(exc.reason, path=str(path), line=exc.line, feature=exc.feature) from None
            raise
        return path
    if ext in (".parquet", ".geoparquet"):
        with atomic_path(path) as tmp:
            data.to_parquet(tmp)
        return path
    driver = WRITE_DRIVERS[ext]
    kwargs = {}
    if driver == "ESRI Shapefile":
        _check_one_family(data, path)
        kwargs["encoding"] = encoding or "UTF-8"
        if path.exists():
            raise InputError("output Shapefile exists; remove it first or write another name", path=str(path))
        with atomic_path(path) as tmp:      # the sidecars GDAL writes beside it move with it
            _write(data, tmp, path, driver=driver, **kwargs)
        return path
    if driver == "FlatGeobuf":
        kwargs["SPATIAL_INDEX"] = "NO"  # the index reorders features; keep the input's order (feature numbers)
    if driver == "KML" and data.crs is not None and epsg_of(data.crs) != 4326:
        data = data.to_crs(4326)
    with atomic_path(path) as tmp:
        _write(data, tmp, path, layer=layer or path.stem, driver=driver, **kwargs)
    return path


def _check_one_family(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """A Shapefile holds one geometry type: raise naming the first feature of another type."""
    fam = geometry_families(gdf)
    present = [f for f in dict.fromkeys(fam) if f is not None]
    if len(present) < 2 and "collection" not in present:
        return
    first = present[0] if present[0] != "collection" else present[-1]
    k = int(np.flatnonzero((fam != first) & (fam != None))[0])  # noqa: E711 - elementwise
    types = " and ".join(dict.fromkeys(t for t in gdf.geom_type.dropna() if t))
    raise InputError(f"mixed geometry types ({types}) but a Shapefile holds one type: feature {k} is a "
                     f"{gdf.geom_type.iloc[k]}; write a GeoPackage instead", path=str(path))


# GDAL writes these formats without checking its writes (a full disk gives a truncated file and no error), or
# reports a full disk as something else (SQLite: "no such table"): they are written into memory, and the bytes
# to disk by Python, which checks every write. A GeoPackage larger than IN_MEMORY_LIMIT is written by GDAL.
IN_MEMORY_DRIVERS = ("KML", "FlatGeobuf", "GeoJSON", "GPKG")
IN_MEMORY_LIMIT = 512 << 20


def _write(data: gpd.GeoDataFrame, target, path: Path, **kwargs) -> None:
    """``pyogrio.write_dataframe`` with its failures turned into one-line InputErrors naming ``path``; a
    filesystem error (full disk, read-only) is raised as the ``OSError`` it is. What GDAL wrote to disk is
    counted back: fewer features than given is an error, never a silently short file."""
    import io

    driver = kwargs.get("driver", "the layer")
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", UserWarning)
            if driver in IN_MEMORY_DRIVERS and (driver != "GPKG" or _estimated_bytes(data) < IN_MEMORY_LIMIT):
                buf = io.BytesIO()
                pyogrio.write_dataframe(data, buf, **kwargs)
                with open(target, "wb") as f:
                    f.write(buf.getbuffer())
                return
            pyogrio.write_dataframe(data, target, **kwargs)
            written = pyogrio.read_info(target, layer=kwargs.get("layer"), force_feature_count=True)["features"]
    except OSError:
        raise
    except Exception as exc:  # GDAL errors come in many classes
        raise InputError(f"cannot write {driver}: {_short(exc)} (nothing was written)", path=str(path)) from None
    if written != len(data):
        raise InputError(f"cannot write {driver}: GDAL wrote {written} of {len(data)} features (disk full?); "
                         "nothing was written", path=str(path))


def _estimated_bytes(data: gpd.GeoDataFrame) -> int:
    """About how many bytes a layer takes as a file: its coordinates and its attribute values."""
    coords = int(shapely.get_num_coordinates(np.asarray(data.geometry.values, dtype=object)).sum())
    return 16 * coords + int(data.drop(columns=data.geometry.name).memory_usage(deep=True).sum())
