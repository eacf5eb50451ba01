"""Geometries as files hold them, made into what redline computes with, or refused with a message naming the
feature: coordinates no coordinate system has, curved geometries, GeometryCollections.

* A coordinate that is NaN, infinite or larger than :data:`COORDINATE_LIMIT` in absolute value (1e9: ten
  times any projected coordinate on Earth, in metres or feet; GEOS overflows on values such as 1e300) is an
  error naming the feature.
* Curved geometries (CurvePolygon, CircularString, CompoundCurve, MultiSurface …) are an error naming the
  feature and its type: they are not read (GEOS has no curves), and a message must not call them damaged.
* A GeometryCollection is read as the multi-geometry of its parts of the highest dimension (a collection of
  polygons is a MultiPolygon, so that it has an area); lower-dimensional parts beside them are dropped, and a
  warning says so, naming the first feature.

Example
-------
>>> import shapely
>>> g = gpd.GeoDataFrame(geometry=[shapely.GeometryCollection([shapely.box(0, 0, 100, 100),
...                                                             shapely.Point(5, 5)])], crs=4525)
>>> out, warnings = explode_collections(g)
>>> out.geom_type.tolist(), out.area.tolist()
(['MultiPolygon'], [10000.0])
>>> warnings
['1 feature(s) hold a GeometryCollection (the first: feature 0), read as their polygons; their parts of \
lower dimension (points, lines) dropped in 1 of them (the first: feature 0)']
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from redline.layers.errors import InputError

__all__ = ["COORDINATE_LIMIT", "check_coordinates", "explode_collections", "geometries_from_wkb"]

COORDINATE_LIMIT = 1e9

# ISO WKB geometry type codes GEOS cannot hold
UNSUPPORTED_WKB = {8: "CircularString", 9: "CompoundCurve", 10: "CurvePolygon", 11: "MultiCurve",
                   12: "MultiSurface", 13: "Curve", 14: "Surface", 15: "PolyhedralSurface", 16: "TIN",
                   17: "Triangle"}
_DIMENSION_NAMES = {2: "polygons", 1: "lines", 0: "points"}


_CHECK_CHUNK = 200_000  # geometries whose coordinates are checked at once


def check_coordinates(geoms: np.ndarray, path, *, offset: int = 0) -> None:
    """InputError naming the first feature (numbered from ``offset``) with a NaN, infinite or impossibly large
    coordinate (more than :data:`COORDINATE_LIMIT` in absolute value).

    >>> check_coordinates(np.array([shapely.Point(1, 2), shapely.Point(1e300, 2)]), "点.geojson")
    Traceback (most recent call last):
    ...
    redline.layers.errors.InputError: 点.geojson, feature 1: coordinate 1e+300 is outside every coordinate \
system (more than 1e+09 in absolute value)
    """
    geoms = np.asarray(geoms, dtype=object)
    for start in range(0, len(geoms), _CHECK_CHUNK):   # a chunk at a time: no copy of every coordinate
        coords = shapely.get_coordinates(geoms[start:start + _CHECK_CHUNK])
        if len(coords) and not max(coords.max(), -coords.min()) <= COORDINATE_LIMIT:   # NaN: not <=
            break
    else:
        return
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    finite = np.isfinite(coords).all(axis=1)
    big = finite & (np.abs(coords) > COORDINATE_LIMIT).any(axis=1)
    bad = np.flatnonzero(~finite | big)
    k = int(bad[0])
    feature = offset + int(index[k])
    if not finite[k]:
        raise InputError("NaN or infinite coordinate", path=str(path), feature=feature)
    value = coords[k][np.abs(coords[k]) > COORDINATE_LIMIT][0]
    raise InputError(f"coordinate {value:g} is outside every coordinate system (more than "
                     f"{COORDINATE_LIMIT:g} in absolute value)", path=str(path), feature=feature)


def _wkb_type(wkb) -> int | None:
    """The geometry type code of a WKB (ISO Z/M variants and EWKB flags folded), or None."""
    if not isinstance(wkb, (bytes, bytearray, memoryview)) or len(wkb) < 5:
        return None
    order = "<" if wkb[0] == 1 else ">"
    code = int(np.frombuffer(bytes(wkb[1:5]), dtype=f"{order}u4")[0])
    return (code & 0x0FFFFFFF) % 1000


def geometries_from_wkb(wkbs: np.ndarray, path, *, offset: int = 0) -> np.ndarray:
    """Shapely geometries from WKB; a curved or other geometry GEOS cannot hold is an InputError naming the
    feature (numbered from ``offset``) and its type."""
    try:
        return shapely.from_wkb(wkbs)
    except (shapely.errors.GEOSException, shapely.errors.ShapelyError, ValueError, NotImplementedError) as exc:
        for k, wkb in enumerate(wkbs):
            name = UNSUPPORTED_WKB.get(_wkb_type(wkb))
            if name is not None:
                raise InputError(f"a {name}: curved and surface geometries are not read; convert them to "
                                 "straight-sided polygons and lines first (QGIS: Segmentize; GDAL: ogr2ogr "
                                 "-nlt CONVERT_TO_LINEAR)", path=str(path), feature=offset + k) from None
        for k, wkb in enumerate(wkbs):   # a ring GEOS refuses (NaN corners do not close it, …)
            try:
                shapely.from_wkb(wkb)
            except (shapely.errors.GEOSException, shapely.errors.ShapelyError, ValueError) as one:
                reason = str(one).split(":", 1)[-1].strip() or type(one).__name__
                raise InputError(f"the geometry cannot be read ({reason}; a NaN or infinite coordinate?)",
                                 path=str(path), feature=offset + k) from None
        raise exc


def _flat_parts(g) -> list:
    """The simple parts of a geometry, collections inside collections included."""
    out, stack = [], [g]
    while stack:
        item = stack.pop()
        if shapely.get_type_id(item) in (4, 5, 6, 7):
            stack += list(reversed(shapely.get_parts(item)))
        elif not shapely.is_empty(item):
            out.append(item)
    return out


def explode_collections(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Each GeometryCollection as the multi-geometry of its parts of the highest dimension; empty ones as
    missing geometries. Returns the layer (unchanged when it has none) and warnings."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    coll = np.flatnonzero(shapely.get_type_id(geoms) == 7)
    if not len(coll):
        return gdf, []
    new = geoms.copy()
    dropped: list[int] = []
    dims: set[int] = set()
    for i in coll:
        parts = _flat_parts(geoms[i])
        if not parts:
            new[i] = None
            continue
        d = shapely.get_dimensions(np.array(parts, dtype=object))
        top = int(d.max())
        keep = [p for p, dim in zip(parts, d, strict=True) if dim == top]
        if len(keep) < len(parts):
            dropped.append(int(i))
        dims.add(top)
        new[i] = (shapely.MultiPolygon(keep) if top == 2 else shapely.MultiLineString(keep) if top == 1
                  else shapely.MultiPoint(keep))
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs)
    what = " or ".join(_DIMENSION_NAMES[d] for d in sorted(dims, reverse=True)) or "nothing (empty)"
    text = (f"{len(coll)} feature(s) hold a GeometryCollection (the first: feature {int(coll[0])}), read as "
            f"their {what}")
    if dropped:
        text += (f"; their parts of lower dimension (points, lines) dropped in {len(dropped)} of them (the "
                 f"first: feature {dropped[0]})")
    return out, [text]
