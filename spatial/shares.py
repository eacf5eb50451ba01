"""Area shares the official way: dissolve (overlaps counted once), clip to the boundary, ellipsoidal areas.

"红线 28466.876 公顷，占全县土地总面积的 13.83 %": :func:`area_shares` gives the total, the overlap that
dissolving removed, what lies outside the boundary, the boundary's area, the share, and a breakdown by an
attribute or by zones (e.g. townships).

Example
-------
>>> import geopandas as gpd, shapely
>>> county = gpd.GeoDataFrame(geometry=[shapely.box(37_450_000, 4_200_000, 37_460_000, 4_210_000)], crs=4525)
>>> red = gpd.GeoDataFrame(geometry=[shapely.box(37_450_000, 4_200_000, 37_455_000, 4_210_000),
...                                   shapely.box(37_454_000, 4_200_000, 37_456_000, 4_210_000)], crs=4525)
>>> r = area_shares(red, county)
>>> round(r["share_pct"], 2), round(r["overlap_removed_m2"] / r["total_m2"], 3)
(60.0, 0.167)
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from redline.layers.columns import text_value
from redline.layers.errors import InputError
from redline.layers.info import layer_info
from redline.layers.kinds import find_field, kind_info
from redline.layers.repair import repair_array
from redline.spatial.areas import ellipsoidal_area, method_description, planar_area
from redline.spatial.overlay import as_array, dissolve, dissolve_pieces, intersect_pairs, polygonal


def _require_polygons(gdf: gpd.GeoDataFrame, what: str) -> None:
    ids = set(np.unique(shapely.get_type_id(as_array(gdf.geometry))).tolist())
    if not ids <= {-1, 3, 6}:   # missing, Polygon, MultiPolygon (type names only for the message)
        types = set(gdf.geometry.geom_type.dropna())
        path = layer_info(gdf).path
        raise InputError(f"{what} must be polygons for areas; it holds {', '.join(sorted(types))}", path=path)
    if len(gdf) == 0:
        raise InputError(f"{what} has no features", path=layer_info(gdf).path)


def _measure(geoms, crs, method: str) -> np.ndarray:
    return ellipsoidal_area(geoms, crs) if method == "ellipsoidal" else planar_area(geoms)


def _valid(arr: np.ndarray) -> np.ndarray:
    """Invalid geometries repaired the one way every command repairs (a GeoDataFrame given in Python; files
    are repaired, and the repair reported, when read)."""
    return polygonal(repair_array(arr))


def _clip(pieces: np.ndarray, boundary) -> np.ndarray:
    """The parts of non-overlapping pieces inside one boundary geometry (still non-overlapping)."""
    li, _, geoms = intersect_pairs(pieces, np.array([boundary], dtype=object))
    geoms = polygonal(geoms)
    return geoms[~shapely.is_empty(geoms)]


def pieces_m2(pieces: np.ndarray, geoms: np.ndarray, areas: np.ndarray, measure) -> np.ndarray:
    """The areas of dissolved pieces: a piece that is a polygon of ``geoms`` itself (the same object:
    :func:`~redline.spatial.overlay.dissolve_pieces` keeps a polygon that overlaps no other as it is) takes
    that polygon's area from ``areas``; the unions are measured with ``measure``. The same numbers as
    measuring every piece (a polygon's area does not depend on the batch it is measured in), without
    measuring most polygons twice.

    >>> g = np.array([shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1), shapely.box(5, 0, 6, 1)])
    >>> pieces = np.array([shapely.union_all(g[:2]), g[2]])
    >>> pieces_m2(pieces, g, shapely.area(g), shapely.area).tolist()
    [3.0, 1.0]
    """
    position = {id(g): i for i, g in enumerate(geoms)}
    index = np.fromiter((position.get(id(p), -1) for p in pieces), dtype=np.int64, count=len(pieces))
    out = np.zeros(len(pieces))
    known = index >= 0
    out[known] = areas[index[known]]
    if (~known).any():
        out[~known] = measure(pieces[~known])
    return out


def category_m2(geoms: np.ndarray, boundary, crs, method: str) -> float:
    """Dissolved area of one category's polygons, clipped to ``boundary`` (a geometry) when given."""
    part = dissolve_pieces(geoms)
    if boundary is not None:
        part = _clip(part, boundary)
    return float(_measure(part, crs, method).sum())


def zone_areas(zgeoms: np.ndarray, inside: np.ndarray, crs, method: str) -> np.ndarray:
    """Area of the non-overlapping pieces ``inside`` that lies in each zone of ``zgeoms``."""
    zi, _, geoms_in = intersect_pairs(zgeoms, inside)
    return np.bincount(zi, weights=_measure(polygonal(geoms_in), crs, method), minlength=len(zgeoms))


def zone_names(zones: gpd.GeoDataFrame, zone_field: str | None = None) -> tuple[list[str], str | None]:
    """The names of the zones and a warning when there are none to find.

    ``zone_field`` names the field (an error listing the fields when the zones do not have it); without it,
    the ``name`` column (a layer read with its kind), else the field the boundary kind's mapping finds; else
    the zones are numbered 1, 2, … with a warning.

    >>> z = gpd.GeoDataFrame({"XZQMC": ["城关镇", None]}, geometry=[shapely.box(0, 0, 1, 1)] * 2)
    >>> zone_names(z)
    (['城关镇', '分区2'], None)
    """
    fields = [c for c in zones.columns if c != zones.geometry.name]
    if zone_field is not None:
        col = zone_field if zone_field in zones.columns else find_field(fields, [zone_field])
        if col is None:
            raise InputError(f"--zone-field {zone_field!r}: the zones have no such field (fields: "
                             f"{', '.join(map(str, fields)) or 'none'})", path=layer_info(zones).path)
    elif "name" in zones.columns and zones["name"].notna().any():
        col = "name"
    else:
        col = find_field(fields, kind_info("boundary")["fields"]["name"])
    if col is None:
        return [f"分区{i + 1}" for i in range(len(zones))], (
            "the zones have no name field (fields: " + (", ".join(map(str, fields)) or "none")
            + "); rows are numbered 分区1, 分区2, …: name the field with --zone-field")
    values = zones[col].to_numpy(dtype=object)
    return [text_value(v) or f"分区{i + 1}" for i, v in enumerate(values)], None


class LocalSteps:
    """The heavy steps of :func:`area_shares`, run in this process.

    :class:`redline.spatial.dask_engine.DaskSteps` runs the same steps on a dask cluster; :func:`area_shares`
    does everything else (checks, sums, warnings, rows) the same way for both.
    """

    def __init__(self, crs, method: str) -> None:
        self.crs, self.method = crs, method

    def measure(self, geoms: np.ndarray) -> np.ndarray:
        return _measure(geoms, self.crs, self.method)

    def pieces(self, geoms: np.ndarray) -> np.ndarray:
        return dissolve_pieces(geoms)

    def clip(self, pieces: np.ndarray, boundary) -> np.ndarray:
        return _clip(pieces, boundary)

    def categories_m2(self, groups: list[np.ndarray], boundary) -> list[float]:
        return [category_m2(g, boundary, self.crs, self.method) for g in groups]

    def zones_m2(self, zgeoms: np.ndarray, inside: np.ndarray) -> np.ndarray:
        return zone_areas(zgeoms, inside, self.crs, self.method)


def area_shares(layer: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None = None, *,
                by: str | None = None, zones: gpd.GeoDataFrame | None = None, zone_field: str | None = None,
                method: str = "ellipsoidal", steps=LocalSteps, valid: bool = False) -> dict:
    """Dissolved area of a layer, its share of a boundary, and a breakdown.

    Parameters
    ----------
    layer : GeoDataFrame
        Polygons (e.g. the red line); overlapping features are counted once.
    boundary : GeoDataFrame, optional
        The denominator (e.g. the county); reprojected to the layer's CRS when it differs (reported).
    by : str, optional
        Break the total down by this attribute of ``layer`` (each value dissolved on its own; features with
        different values that overlap are counted in both rows and the overlap is reported).
    zones : GeoDataFrame, optional
        Break the total down by these polygons (e.g. townships), named by ``zone_field``.
    zone_field : str, optional
        The field naming the zones; default their ``name`` column, else the field the boundary kind's
        mapping finds (行政区名称, XZQMC, 乡镇名称, NAME …). A field the zones do not have is an error.
    method : {"ellipsoidal", "planar"}
    steps : callable, optional
        ``steps(crs, method)`` gives the object that runs the heavy steps (default :class:`LocalSteps`;
        :func:`redline.spatial.dask_engine.area_shares_dask` passes cluster steps).
    valid : bool
        The layer's geometries are known to be valid (read with ``repair=True`` just before): not tested
        again.

    Returns
    -------
    dict
        ``method``, ``total_m2``, ``overlap_removed_m2``, ``outside_boundary_m2``, ``boundary_m2``,
        ``share_pct``, ``rows`` (``{"key", "area_m2", "share_pct"}``, share of the boundary; zones also
        ``zone_m2``, the zone's own area, and ``share_of_zone_pct``), ``warnings``.
    """
    _require_polygons(layer, "the layer")
    crs = layer.crs
    if crs is None:
        raise InputError("the layer has no CRS", path=layer_info(layer).path)
    run = steps(crs, method)
    warnings: list[str] = []
    geoms = polygonal(as_array(layer.geometry)) if valid else _valid(as_array(layer.geometry))
    raw = run.measure(geoms)
    raw_sum = float(raw.sum())
    pieces = run.pieces(geoms)  # non-overlapping: their areas add up to the dissolved area
    merged_m2 = float(pieces_m2(pieces, geoms, raw, run.measure).sum())
    overlap_removed = raw_sum - merged_m2
    if overlap_removed > 1e-9 * max(raw_sum, 1):
        warnings.append(f"features of the layer overlap each other: {overlap_removed:.2f} m² counted once")
    else:
        overlap_removed = 0.0

    bmerged = None
    boundary_m2 = None
    outside = 0.0
    inside = pieces
    if boundary is not None:
        _require_polygons(boundary, "the boundary")
        if boundary.crs is not None and not boundary.crs.equals(crs):
            warnings.append(f"the boundary is in {boundary.crs.name}; reprojected to the layer's {crs.name}")
            boundary = boundary.to_crs(crs)
        bmerged = dissolve(_valid(as_array(boundary.geometry)))
        boundary_m2 = float(_measure([bmerged], crs, method)[0])
        inside = run.clip(pieces, bmerged)
        inside_m2 = float(run.measure(inside).sum())
        outside = merged_m2 - inside_m2
        if outside > 1e-9 * max(merged_m2, 1):
            warnings.append(f"{outside:.2f} m² of the layer lies outside the boundary and is not counted")
        else:
            outside = 0.0
        if len(inside) == 0:
            warnings.append("the layer does not intersect the boundary: total 0")
        total = inside_m2
    else:
        total = merged_m2
    share = None if not boundary_m2 else 100.0 * total / boundary_m2

    rows = []
    if by is not None:
        if by not in layer.columns:
            raise InputError(f"--by {by!r}: no such field (fields: "
                             f"{', '.join(c for c in layer.columns if c != layer.geometry.name)})",
                             path=layer_info(layer).path)
        keys = layer[by].astype("string").fillna("（空）").to_numpy()
        uniq = list(dict.fromkeys(keys))
        areas = run.categories_m2([geoms[keys == k] for k in uniq], bmerged)  # one dissolve per value
        rows = [{"key": str(k), "area_m2": float(a),
                 "share_pct": None if not boundary_m2 else 100.0 * float(a) / boundary_m2}
                for k, a in zip(uniq, areas, strict=True)]
        if sum(r["area_m2"] for r in rows) > total * (1 + 1e-9) + 1e-6:
            warnings.append(f"features with different {by} values overlap: the rows add up to more than "
                            "the dissolved total")
    elif zones is not None:
        _require_polygons(zones, "the zones")
        if zones.crs is not None and not zones.crs.equals(crs):
            warnings.append(f"the zones are in {zones.crs.name}; reprojected to the layer's {crs.name}")
            zones = zones.to_crs(crs)
        zgeoms = _valid(as_array(zones.geometry))
        per_zone = run.zones_m2(zgeoms, inside)
        names, note = zone_names(zones, zone_field)
        if note:
            warnings.append(note)
        zone_m2 = run.measure(zgeoms)
        for name, a, za in zip(names, per_zone, zone_m2, strict=True):
            rows.append({"key": str(name), "area_m2": float(a),
                         "share_pct": None if not boundary_m2 else 100.0 * float(a) / boundary_m2,
                         "zone_m2": float(za), "share_of_zone_pct": 100.0 * float(a) / za if za else None})
    return {"method": method_description(crs, method), "total_m2": total, "sum_of_features_m2": raw_sum,
            "overlap_removed_m2": overlap_removed, "outside_boundary_m2": outside, "boundary_m2": boundary_m2,
            "share_pct": share, "features": int(len(layer)), "rows": rows, "warnings": warnings}
