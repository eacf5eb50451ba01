"""Geometric audits: overlaps between control lines, protected areas outside the red line, gaps and slivers
against the county boundary."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from redline.spatial.areas import ellipsoidal_area
from redline.spatial.audit.common import (
    _lonlat,
    _pieces,
    _valid_polygons,
    audit_rules,
    default_min_area_m2,
    feature_ids,
)
from redline.spatial.overlay import dissolve, intersect_pairs, polygonal


# ------------------------------------------------------------------------------------------- overlaps
def overlap_check(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, *, min_area_m2: float | None = None) -> dict:
    """Where two layers overlap (e.g. red line ∩ basic farmland), polygon pair by polygon pair.

    ``b`` must be in ``a``'s CRS. Pieces under ``min_area_m2`` (default 1 m²) are counted as ``small``.

    Returns
    -------
    dict
        ``area_m2`` (sum over pairs, ellipsoidal), ``pairs`` (``a_row``, ``a_id``, ``a_name``, ``b_row``,
        ``b_id``, ``b_name``, ``area_m2``, ``lon``, ``lat`` of a point inside the overlap), ``small``
        (``count``, ``area_m2``).
    """
    min_area = default_min_area_m2() if min_area_m2 is None else float(min_area_m2)
    ag, bg = _valid_polygons(a.geometry), _valid_polygons(b.geometry)
    li, ri, geoms = intersect_pairs(ag, bg)
    geoms = polygonal(geoms)
    return _pairs_report(li, ri, geoms, a.crs, feature_ids(a), feature_ids(b), min_area)


def _pairs_report(li: np.ndarray, ri: np.ndarray, geoms: np.ndarray, crs, a_ids_names, b_ids_names,
                  min_area: float) -> dict:
    """The overlap report shared by :func:`overlap_check` and :func:`self_overlap_check`."""
    areas = ellipsoidal_area(geoms, crs) if len(geoms) else np.zeros(0)
    big = areas >= min_area
    small = (areas > 0) & ~big
    (a_ids, a_names), (b_ids, b_names) = a_ids_names, b_ids_names
    where = _lonlat(shapely.point_on_surface(geoms[big]), crs)
    pairs = [{"a_row": int(i), "a_id": a_ids[i], "a_name": a_names[i], "b_row": int(j), "b_id": b_ids[j],
              "b_name": b_names[j], "area_m2": float(s), "lon": float(p[0]), "lat": float(p[1])}
             for i, j, s, p in zip(li[big], ri[big], areas[big], where, strict=True)]
    pairs.sort(key=lambda p: -p["area_m2"])
    return {"area_m2": float(areas[big].sum()), "pairs": pairs,
            "small": {"count": int(small.sum()), "area_m2": float(areas[small].sum())}}


def self_overlap_check(gdf: gpd.GeoDataFrame, *, min_area_m2: float | None = None) -> dict:
    """Features of one layer overlapping each other (their overlap would be counted twice in a sum).

    Same result shape as :func:`overlap_check`, with both sides from ``gdf`` (``a_row < b_row``).
    """
    min_area = default_min_area_m2() if min_area_m2 is None else float(min_area_m2)
    arr = _valid_polygons(gdf.geometry)
    tree = shapely.STRtree(arr)
    li, ri = tree.query(arr, predicate="intersects")
    keep = li < ri
    li, ri = li[keep], ri[keep]
    inner = shapely.relate_pattern(arr[li], arr[ri], "2********") if len(li) else np.zeros(0, bool)
    li, ri = li[inner], ri[inner]
    geoms = polygonal(shapely.intersection(arr[li], arr[ri])) if len(li) else np.zeros(0, dtype=object)
    ids_names = feature_ids(gdf)
    return _pairs_report(li, ri, geoms, gdf.crs, ids_names, ids_names, min_area)


# ------------------------------------------------------------------------------- protected areas
def protected_outside_check(protected: gpd.GeoDataFrame, red_line: gpd.GeoDataFrame, *,
                            min_area_m2: float | None = None, must_be_inside=None) -> dict:
    """How much of each protected-area polygon lies outside the red line.

    Parameters
    ----------
    protected : GeoDataFrame
        Protected areas or their functional zones (canonical ``zone``, ``name``, ``code``).
    red_line : GeoDataFrame
        In ``protected``'s CRS.
    must_be_inside : sequence of str, optional
        Zones that must lie inside the red line (default from ``audit.toml``: 核心保护区, 核心区, 缓冲区).

    Returns
    -------
    dict
        ``features`` (``row``, ``id``, ``name``, ``zone``, ``area_m2``, ``outside_m2``, ``outside_pct``,
        ``must_be_inside``, ``lon``/``lat`` of a point of the outside part), ``outside_m2`` (all features),
        ``required_outside_m2`` (zones that must be inside), ``rule`` (zones and source).
    """
    min_area = default_min_area_m2() if min_area_m2 is None else float(min_area_m2)
    rules = audit_rules()["protected_areas"]
    must = list(rules["must_be_inside_red_line"] if must_be_inside is None else must_be_inside)
    pg = _valid_polygons(protected.geometry)
    red = dissolve(_valid_polygons(red_line.geometry))
    shapely.prepare(red)
    inside = shapely.within(pg, red)
    outside_geoms = np.array([shapely.Polygon()] * len(pg), dtype=object)
    rest = np.flatnonzero(~inside & ~shapely.is_empty(pg))
    if len(rest):
        outside_geoms[rest] = polygonal(shapely.difference(pg[rest], red))
    area = ellipsoidal_area(pg, protected.crs)
    outside = ellipsoidal_area(outside_geoms, protected.crs)
    outside[outside < min_area] = 0.0
    zones = protected["zone"].to_numpy(dtype=object) if "zone" in protected.columns else np.full(len(pg), None)
    required = np.isin(zones.astype(str), must)
    ids, names = feature_ids(protected)
    pts = np.array([shapely.Point()] * len(pg), dtype=object)
    has = outside > 0
    pts[has] = shapely.point_on_surface(outside_geoms[has])
    where = np.full((len(pg), 2), np.nan)
    if has.any():
        where[has] = _lonlat(pts[has], protected.crs)
    feats = [{"row": int(i), "id": ids[i], "name": names[i], "zone": zones[i], "area_m2": float(area[i]),
              "outside_m2": float(outside[i]), "outside_pct": float(100 * outside[i] / area[i]) if area[i] else None,
              "must_be_inside": bool(required[i]),
              "lon": None if not has[i] else float(where[i, 0]), "lat": None if not has[i] else float(where[i, 1])}
             for i in range(len(pg))]
    return {"features": feats, "outside_m2": float(outside.sum()),
            "required_outside_m2": float(outside[required].sum()),
            "rule": {"must_be_inside": must, "source": rules.get("source")}}


# ------------------------------------------------------------------------------------------- boundary
def boundary_check(county: gpd.GeoDataFrame, townships: gpd.GeoDataFrame, *,
                   min_area_m2: float | None = None) -> dict:
    """Gaps and slivers of the township layer against the county boundary.

    Gaps are parts of the county covered by no township; slivers are parts of townships outside the
    county and overlaps between townships. ``townships`` must be in ``county``'s CRS.

    Returns
    -------
    dict
        ``county_m2``, ``townships_m2`` (dissolved), ``gaps``, ``slivers`` (each: ``kind`` "gap",
        "outside_county" or "township_overlap", ``area_m2``, ``lon``, ``lat``, ``townships`` involved),
        ``small`` (pieces under ``min_area_m2``: count and area).
    """
    min_area = default_min_area_m2() if min_area_m2 is None else float(min_area_m2)
    crs = county.crs
    cg = dissolve(_valid_polygons(county.geometry))
    tg = _valid_polygons(townships.geometry)
    tunion = dissolve(tg)
    _, tnames = feature_ids(townships)
    tnames = [n or i for n, i in zip(tnames, feature_ids(townships)[0], strict=True)]
    small_n, small_a = 0, 0.0

    # gaps: county minus the townships
    gap_parts, _, gap_a = _pieces(np.array([shapely.difference(cg, tunion)], dtype=object), [0], crs)
    # slivers: each township's part outside the county
    shapely.prepare(cg)
    out_idx = np.flatnonzero(~shapely.within(tg, cg))
    out_parts, out_owner, out_a = _pieces(shapely.difference(tg[out_idx], cg), out_idx, crs)
    # overlaps between townships
    ov = self_overlap_check(townships.set_geometry(tg), min_area_m2=min_area)

    tree = shapely.STRtree(tg)
    gaps, slivers = [], []
    big = gap_a >= min_area
    small_n += int(((gap_a > 0) & ~big).sum())
    small_a += float(gap_a[(gap_a > 0) & ~big].sum())
    if big.any():
        pts = _lonlat(shapely.point_on_surface(gap_parts[big]), crs)
        gi, ti = tree.query(gap_parts[big], predicate="dwithin", distance=1.0)
        for k, (a, p) in enumerate(zip(gap_a[big], pts, strict=True)):
            near = sorted({tnames[t] for t in ti[gi == k]})
            gaps.append({"kind": "gap", "area_m2": float(a), "lon": float(p[0]), "lat": float(p[1]),
                         "townships": near})
    big = out_a >= min_area
    small_n += int(((out_a > 0) & ~big).sum())
    small_a += float(out_a[(out_a > 0) & ~big].sum())
    if big.any():
        pts = _lonlat(shapely.point_on_surface(out_parts[big]), crs)
        for o, a, p in zip(out_owner[big], out_a[big], pts, strict=True):
            slivers.append({"kind": "outside_county", "area_m2": float(a), "lon": float(p[0]), "lat": float(p[1]),
                            "townships": [tnames[o]]})
    for pr in ov["pairs"]:
        slivers.append({"kind": "township_overlap", "area_m2": pr["area_m2"], "lon": pr["lon"], "lat": pr["lat"],
                        "townships": [tnames[pr["a_row"]], tnames[pr["b_row"]]]})
    small_n += ov["small"]["count"]
    small_a += ov["small"]["area_m2"]
    gaps.sort(key=lambda g: -g["area_m2"])
    slivers.sort(key=lambda g: -g["area_m2"])
    return {"county_m2": float(ellipsoidal_area([cg], crs)[0]), "townships_m2": float(ellipsoidal_area([tunion], crs)[0]),
            "gaps": gaps, "slivers": slivers, "small": {"count": small_n, "area_m2": small_a}}


def outside_boundary(gdf: gpd.GeoDataFrame, county: gpd.GeoDataFrame, *, min_area_m2: float | None = None) -> dict:
    """Parts of a layer's features outside the county: ``{"area_m2", "features": [{row, id, name, area_m2}]}``."""
    min_area = default_min_area_m2() if min_area_m2 is None else float(min_area_m2)
    cg = dissolve(_valid_polygons(county.geometry))
    shapely.prepare(cg)
    arr = _valid_polygons(gdf.geometry)
    idx = np.flatnonzero(~shapely.within(arr, cg) & ~shapely.is_empty(arr))
    areas = ellipsoidal_area(polygonal(shapely.difference(arr[idx], cg)), gdf.crs) if len(idx) else np.zeros(0)
    big = areas >= min_area
    ids, names = feature_ids(gdf)
    feats = [{"row": int(i), "id": ids[i], "name": names[i], "area_m2": float(a)}
             for i, a in zip(idx[big], areas[big], strict=True)]
    feats.sort(key=lambda f: -f["area_m2"])
    return {"area_m2": float(areas[big].sum()), "features": feats}


