"""The overlay kernel of a site check: every site against one control layer, vectorized.

For each site and control layer (:func:`layer_pass`):

* polygons: the overlapped area (ellipsoidal m²), the share of the site and of each overlapped feature;
  the site's total counts the layer's own overlaps once (as QGIS's Overlap analysis does);
* lines (roads, pipelines): the geodesic length inside each zone, which is how shoreline use is measured;
* points: the containing zone;
* when the layer is not touched: the nearest feature and its geodesic distance, searched only within
  ``max_distance`` (an STRtree query capped by distance, never a scan).

Areas are ellipsoidal (:func:`redline.spatial.areas.ellipsoidal_area`), lengths and distances geodesic on the
CRS's ellipsoid (the distance is the geodesic length of the shortest line between the two geometries in the
projected plane).

Example
-------
>>> import geopandas as gpd, shapely
>>> zones = gpd.GeoDataFrame({"name": ["红线一"]}, geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000,
...                          4_201_000)], crs=4525)
>>> site = np.array([shapely.box(37_500_500, 4_200_000, 37_501_500, 4_201_000)])
>>> area = ellipsoidal_area(site, zones.crs)
>>> r = layer_pass(site, np.array([2]), area, np.array([np.nan]), zones, zones.crs, layer_id="rl",
...                kind="red_line", label="生态保护红线")
>>> round(float(r.pct[0]), 4), r.feature.tolist()
(50.0, [0])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from redline.layers.columns import text_value
from redline.layers.info import layer_info
from redline.layers.kinds import is_control_kind, kind_label
from redline.spatial.areas import ellipsoidal_area, geodesic_distance, geodesic_length
from redline.spatial.overlay import (
    EdgeIndex,
    as_array,
    dissolve,
    intersect_pairs,
    nearest_edges,
    nearest_within,
    polygonal,
    threaded,
    threaded_query,
)

MIN_OVERLAP_M2 = 0.01      # smaller overlaps are slivers of shared edges, not occupation
MIN_OVERLAP_M = 0.001      # the same for lengths
DEFAULT_MAX_DISTANCE = 5000.0
HIT_ATTRIBUTES = ("name", "code", "type", "level", "zone", "unit_class", "river")
EDGE_SEARCH_MIN = 2_000    # untouched sites from which the nearest feature is searched among edges


@dataclass
class LayerResult:
    """What one control layer gives for every site (arrays over hits, sites and nearest pairs)."""

    id: str
    kind: str
    label: str
    gdf: gpd.GeoDataFrame
    # hits: one entry per (site, feature) occupied pair, sorted by site then feature
    site: np.ndarray
    feature: np.ndarray
    geoms: np.ndarray
    m2: np.ndarray
    length: np.ndarray
    pct_site: np.ndarray
    pct_feature: np.ndarray
    pieces: np.ndarray           # number of parts of the intersection (crossings of line/line pairs)
    # per site
    ov_m2: np.ndarray
    ov_len: np.ndarray
    pct: np.ndarray
    touched: np.ndarray
    self_overlap: np.ndarray     # the site's features overlap each other: measured on their union
    # nearest feature of the sites not touched, within the search distance
    near_site: np.ndarray
    near_feature: np.ndarray
    near_dist: np.ndarray
    index: LayerIndex                             # the layer's index (kept for the next batch of sites)
    attrs: dict = field(default_factory=dict)   # canonical attribute → object array over features
    feature_ids: np.ndarray | None = None
    site_geoms: np.ndarray | None = None          # the sites (to measure a line inside dissolved features)


def _linear(geoms: np.ndarray) -> np.ndarray:
    """Only the linear parts (intersections of lines with polygons may carry points)."""
    types = shapely.get_type_id(geoms)
    out = geoms.copy()
    for i in np.flatnonzero(types == 7):
        parts = [p for p in shapely.get_parts(geoms[i]) if shapely.get_type_id(p) in (1, 2, 5)]
        out[i] = shapely.union_all(parts) if parts else shapely.LineString()
    out[~np.isin(types, (1, 2, 5, 7))] = shapely.LineString()
    return out


def measure(geoms: np.ndarray, dim: np.ndarray, crs) -> tuple[np.ndarray, np.ndarray]:
    """Ellipsoidal area of the polygonal part (dim 2) and geodesic length of the linear part (dim 1)."""
    m2 = np.zeros(len(geoms))
    ln = np.zeros(len(geoms))
    a = np.flatnonzero(dim == 2)
    if len(a):
        m2[a] = ellipsoidal_area(polygonal(geoms[a]), crs)
    b = np.flatnonzero(dim == 1)
    if len(b):
        ln[b] = geodesic_length(_linear(geoms[b]), crs)
    return m2, ln




def dissolved_measure(site_geom, sdim: int, pieces: np.ndarray, features: np.ndarray, crs) -> tuple[float, float]:
    """Area and length of a site inside the union of some features of one layer (their overlaps counted once).

    ``pieces`` are the site's intersections with each of ``features``. Polygonal and point pieces are
    united as they are. A line's pieces inside two overlapping polygons run along each other but, cut from
    different polygons, are not exactly collinear (their vertices are rounded intersections), so their
    union would still count the shared stretch twice: a line site is cut by the union of the features
    instead.

    >>> a = shapely.box(37_500_000, 4_200_000, 37_500_010, 4_200_010)
    >>> b = shapely.box(37_500_006, 4_200_000, 37_500_016, 4_200_010)
    >>> road = shapely.LineString([(37_499_995, 4_200_001.3), (37_500_020, 4_200_008.9)])
    >>> pieces = np.array([road.intersection(a), road.intersection(b)], dtype=object)
    >>> m2, ln = dissolved_measure(road, 1, pieces, np.array([a, b], dtype=object), 4525)
    >>> whole = geodesic_length([road.intersection(a | b)], 4525)[0]   # the stretch in a ∪ b
    >>> bool(abs(ln - whole) < 1e-9), bool(geodesic_length(pieces, 4525).sum() > ln)
    (True, True)
    """
    feats_dim = int(shapely.get_dimensions(features).max())
    if sdim == 1 and feats_dim == 2:
        u = shapely.intersection(site_geom, shapely.union_all(features))
        dim = 1
    else:
        u = shapely.union_all(pieces)
        dim = min(sdim, feats_dim)
    m2, ln = measure(np.array([u], dtype=object), np.array([dim]), crs)
    return float(m2[0]), float(ln[0])


def _group_pairs(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs (a, b), a < b, of entries sharing a group id (``group`` sorted)."""
    n = len(group)
    if n < 2:
        return np.zeros(0, int), np.zeros(0, int)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], n]
    end_of = np.repeat(ends, ends - starts)
    later = end_of - np.arange(n) - 1
    a = np.repeat(np.arange(n), later)
    offs = np.arange(len(a)) - np.repeat(np.cumsum(later) - later, later)
    return a, a + 1 + offs


def _feature_ids(gdf: gpd.GeoDataFrame, layer_id: str) -> np.ndarray:
    codes = gdf["code"].map(text_value).to_numpy(dtype=object) if "code" in gdf.columns else \
        np.full(len(gdf), None, dtype=object)
    rows = np.array([f"{layer_id}:{i}" for i in range(len(gdf))], dtype=object)
    return np.where(pd.isna(codes) | (codes == None), rows, codes)  # noqa: E711


@dataclass
class LayerIndex:
    """What a check needs of a control layer whatever the sites, made once per check: the layer's geometries,
    the rows of the usable ones (not missing or empty) and their STRtree, each feature's dimension, id and
    attributes; and, filled as batches of sites hit features, each hit feature's attributes as a dict, its id,
    name and zone (``described``, columns over the features: the rows of the hits tables share the dicts)."""

    geoms: np.ndarray
    ok: np.ndarray
    tree: shapely.STRtree
    fdim: np.ndarray
    feature_ids: np.ndarray
    attrs: dict
    described: dict = field(default_factory=dict)


def layer_index(gdf: gpd.GeoDataFrame, layer_id: str, attributes: tuple[str, ...] = HIT_ATTRIBUTES) -> LayerIndex:
    """The :class:`LayerIndex` of a control layer.

    >>> import shapely
    >>> g = gpd.GeoDataFrame({"code": ["A", None]}, geometry=[shapely.box(0, 0, 1, 1), None])
    >>> ix = layer_index(g, "rl")
    >>> ix.ok.tolist(), ix.feature_ids.tolist()
    ([0], ['A', 'rl:1'])
    """
    geoms = as_array(gdf)
    ok = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    return LayerIndex(geoms=geoms, ok=ok, tree=shapely.STRtree(geoms[ok]), fdim=shapely.get_dimensions(geoms),
                      feature_ids=_feature_ids(gdf, layer_id),
                      attrs={a: gdf[a].to_numpy(dtype=object) for a in dict.fromkeys(attributes) if a in gdf.columns})


def point_tree(site_geoms: np.ndarray, site_dim: np.ndarray) -> tuple[np.ndarray, shapely.STRtree | None]:
    """The point sites' positions and an STRtree over them (None without point sites): built once for all
    the layers of a check."""
    pts = np.flatnonzero(site_dim == 0)
    return pts, shapely.STRtree(site_geoms[pts]) if len(pts) else None


def _pairs(site_geoms: np.ndarray, site_dim: np.ndarray, fg: np.ndarray, tree: shapely.STRtree,
           points: tuple[np.ndarray, shapely.STRtree | None] | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (site, feature) pair that intersects, with the intersection, sorted by site; and which pairs are
    already known to have the site strictly inside the feature.

    Point sites need no overlay: one query finds the points each feature holds strictly inside
    (``contains_properly``: on a boundary a point touches a zone, it does not occupy it), with the features
    prepared (GEOS then tests many points against a polygon in logarithmic time), and the point is its own
    intersection. ``points``: :func:`point_tree` of the sites, when already built.
    """
    pts, ptree = points if points is not None else point_tree(site_geoms, site_dim)
    if len(pts) == 0:
        li, rj, inter = intersect_pairs(site_geoms, fg, tree=tree)
        return li, rj, inter, np.zeros(len(li), bool)
    shapely.prepare(fg)       # kept on the layer's geometries: the next batch of sites (streaming) reuses it
    pj, pi = threaded_query(ptree, fg, "contains_properly")
    pi = pts[pi]
    rest = np.flatnonzero(site_dim != 0)
    li, rj, inter = intersect_pairs(site_geoms[rest], fg, tree=tree) if len(rest) else \
        (np.zeros(0, int), np.zeros(0, int), np.zeros(0, dtype=object))
    li = rest[li]
    all_li = np.concatenate([li, pi])
    order = np.argsort(all_li, kind="stable")
    return (all_li[order], np.concatenate([rj, pj])[order], np.concatenate([inter, site_geoms[pi]])[order],
            np.concatenate([np.zeros(len(li), bool), np.ones(len(pi), bool)])[order])


def layer_pass(site_geoms: np.ndarray, site_dim: np.ndarray, site_area: np.ndarray, site_len: np.ndarray,
               gdf: gpd.GeoDataFrame, crs, *, layer_id: str, kind: str, label: str,
               max_distance: float = DEFAULT_MAX_DISTANCE, min_m2: float = MIN_OVERLAP_M2,
               min_m: float = MIN_OVERLAP_M, attributes: tuple[str, ...] = HIT_ATTRIBUTES,
               edges: Callable[[], EdgeIndex] | None = None,
               points: tuple[np.ndarray, shapely.STRtree | None] | None = None,
               index: LayerIndex | None = None) -> LayerResult:
    """Overlaps, per-feature hits and nearest features of every site against one layer.

    One STRtree over the layer; intersections vectorized and spread over threads
    (:func:`redline.spatial.overlay.intersect_pairs`); the
    union of a site's overlapped features is only formed for the few sites whose features overlap each
    other (found with one vectorized ``relate`` over the feature pairs that share a site). The nearest
    feature of many untouched sites is searched among the layer's edges (``edges()`` gives the layer's
    :class:`~redline.spatial.overlay.EdgeIndex`, built once and kept by the caller); ``points`` is the
    sites' :func:`point_tree`, built once for all the layers.
    """
    n = len(site_geoms)
    index = index or layer_index(gdf, layer_id, attributes)
    geoms, ok, tree, fdim = index.geoms, index.ok, index.tree, index.fdim
    fg = geoms[ok]
    li, rj, inter, exact = _pairs(site_geoms, site_dim, fg, tree, points)
    ri = ok[rj]
    pdim = np.minimum(site_dim[li], fdim[ri])
    m2, ln = measure(inter, pdim, crs)

    keep = np.zeros(len(li), bool)
    keep[pdim == 2] = m2[pdim == 2] > min_m2
    one = np.flatnonzero(pdim == 1)
    if len(one):
        both_lines = (site_dim[li[one]] == 1) & (fdim[ri[one]] == 1)
        keep[one[~both_lines]] = ln[one[~both_lines]] > min_m
        bl = one[both_lines]
        if len(bl):  # line/line: crossing or running along (interiors meet)
            keep[bl] = shapely.relate_pattern(site_geoms[li[bl]], geoms[ri[bl]], "T********")
    zero = np.flatnonzero(pdim == 0)
    keep[zero[exact[zero]]] = True            # point sites found strictly inside already
    zero = zero[~exact[zero]]
    if len(zero):  # a point strictly inside (on a boundary is touching, not occupying)
        keep[zero] = shapely.relate_pattern(site_geoms[li[zero]], geoms[ri[zero]], "T********")
    li, ri, inter, pdim, m2, ln = li[keep], ri[keep], inter[keep], pdim[keep], m2[keep], ln[keep]
    pieces = shapely.get_num_geometries(inter)

    # per-pair shares
    sdim = site_dim[li]
    pct_site = np.full(len(li), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_site[pdim == 2] = 100.0 * m2[pdim == 2] / site_area[li[pdim == 2]]
        s1 = (sdim == 1) & (fdim[ri] == 2)
        pct_site[s1] = 100.0 * ln[s1] / site_len[li[s1]]
        pct_site[sdim == 0] = 100.0
    pct_feature = np.full(len(li), np.nan)
    if len(li):
        uf, inv = np.unique(ri, return_inverse=True)
        f_area = np.zeros(len(uf))
        f_len = np.zeros(len(uf))
        fd = fdim[uf]
        if (fd == 2).any() and (pdim == 2).any():      # only areal overlaps have a share of the feature's area
            f_area[fd == 2] = ellipsoidal_area(geoms[uf[fd == 2]], crs)
        lin = np.flatnonzero(fd == 1)
        if len(lin) and ((sdim == 2) & (fdim[ri] == 1)).any():
            f_len[lin] = geodesic_length(geoms[uf[lin]], crs)
        with np.errstate(divide="ignore", invalid="ignore"):
            p2 = pdim == 2
            pct_feature[p2] = 100.0 * m2[p2] / f_area[inv[p2]]
            pl = (sdim == 2) & (fdim[ri] == 1)
            pct_feature[pl] = 100.0 * ln[pl] / f_len[inv[pl]]

    # per-site summary, the layer's own overlaps counted once
    ov_m2 = np.bincount(li, weights=m2, minlength=n).astype(float)   # float also when nothing is hit
    ov_len = np.bincount(li, weights=ln, minlength=n).astype(float)
    touched = np.bincount(li, minlength=n) > 0
    self_overlap = np.zeros(n, bool)
    multi = np.flatnonzero(pdim >= 1)
    a, b = _group_pairs(li[multi]) if len(multi) else (np.zeros(0, int), np.zeros(0, int))
    if len(a):  # pieces of one site from different features whose interiors meet: the features overlap there
        pa, pb = multi[a], multi[b]
        over = threaded(shapely.relate_pattern, inter[pa], inter[pb], "T********")
        # a line's pieces inside two overlapping polygons are not exactly collinear (rounded intersection
        # vertices), so their interiors need not meet: for lines in polygons, ask whether the polygons overlap
        lp = np.flatnonzero(~over & (site_dim[li[pa]] == 1) & (fdim[ri[pa]] == 2) & (fdim[ri[pb]] == 2))
        if len(lp):
            over[lp] = threaded(shapely.relate_pattern, geoms[ri[pa[lp]]], geoms[ri[pb[lp]]], "2********")
        self_overlap[li[pa[over]]] = True
    first = np.searchsorted(li, np.arange(n))
    last = np.searchsorted(li, np.arange(n), side="right")
    for s in np.flatnonzero(self_overlap):  # few sites: measure them inside the union of their features
        sel = slice(first[s], last[s])
        ov_m2[s], ov_len[s] = dissolved_measure(site_geoms[s], int(site_dim[s]), inter[sel], geoms[ri[sel]], crs)
    pct = np.full(n, np.nan)  # share of the site: undefined (None) for a line layer under a polygon or line
    with np.errstate(divide="ignore", invalid="ignore"):
        if (fdim == 2).any():
            d2 = site_dim == 2
            pct[d2] = 100.0 * ov_m2[d2] / site_area[d2]
            d1 = site_dim == 1
            pct[d1] = 100.0 * ov_len[d1] / site_len[d1]
        d0 = site_dim == 0
        pct[d0] = np.where(touched[d0], 100.0, 0.0)
    pct = np.where(np.isfinite(pct), np.minimum(pct, 100.0), pct)

    # nearest feature of the sites not touched (planar search capped by distance, geodesic distance)
    free = np.flatnonzero(~touched)
    near_site = np.zeros(0, int)
    near_feature = np.zeros(0, int)
    near_dist = np.zeros(0)
    if len(free) and len(fg) and max_distance > 0:
        search = max_distance * 1.002 + 1.0
        if edges is not None and len(free) >= EDGE_SEARCH_MIN:   # the nearest edge, and its feature
            lj, f_idx, target = nearest_edges(site_geoms[free], edges(), search)
        else:
            lj, rk, _ = nearest_within(site_geoms[free], fg, search, tree=tree)
            f_idx = ok[rk]
            target = geoms[f_idx]
        if len(lj):
            s_idx = free[lj]
            d = geodesic_distance(site_geoms[s_idx], target, crs)
            inside = d <= max_distance
            near_site, near_feature, near_dist = s_idx[inside], f_idx[inside], d[inside]

    return LayerResult(id=layer_id, kind=kind, label=label, gdf=gdf, site=li, feature=ri, geoms=inter, m2=m2,
                       length=ln, pct_site=pct_site, pct_feature=pct_feature, pieces=pieces, ov_m2=ov_m2,
                       ov_len=ov_len, pct=pct, touched=touched, self_overlap=self_overlap,
                       near_site=near_site, near_feature=near_feature, near_dist=near_dist, attrs=index.attrs,
                       feature_ids=index.feature_ids, site_geoms=site_geoms, index=index)


# ------------------------------------------------------------------------------------------ coverage
def coverage_of(layers: dict[str, gpd.GeoDataFrame], kinds: dict[str, str]) -> tuple[shapely.Geometry, str]:
    """The extent the data covers: the union of boundary layers when there are any, else the convex hull
    of all control layers. Returns the geometry and a description."""
    bounds = [lid for lid, k in kinds.items() if k == "boundary"]
    if bounds:
        geom = dissolve(np.concatenate([as_array(layers[b]) for b in bounds]))
        return geom, "、".join(layer_label(layers[b], kinds[b]) for b in bounds)
    hulls = [shapely.convex_hull(shapely.GeometryCollection(list(as_array(g)[~shapely.is_empty(as_array(g))])))
             for lid, g in layers.items() if is_control_kind(kinds[lid]) and len(g)]
    if not hulls:
        return shapely.Polygon(), "无"
    return shapely.convex_hull(shapely.GeometryCollection(hulls)), "各管控图层范围的外包凸多边形"


def layer_label(gdf: gpd.GeoDataFrame, kind: str) -> str:
    """The layer's own label (a project layer's ``label``), else its kind's Chinese label."""
    return layer_info(gdf).label or kind_label(kind)



def distance_hits(targets: list[tuple], sg: np.ndarray, lay: dict, crs) -> list[tuple]:
    """Per distance rule: (rule, layer id, site idx, feature idx, distance) of the nearest matching feature
    of each site within the rule's distance."""
    out = []
    for dr, lid, idx in targets:
        if len(idx) == 0:
            out.append((dr, lid, np.zeros(0, int), np.zeros(0, int), np.zeros(0)))
            continue
        geoms = as_array(lay[lid])
        tree = shapely.STRtree(geoms[idx])
        li, rj = tree.query(sg, predicate="dwithin", distance=dr.distance_m * 1.002 + 1.0)
        fi = idx[rj]
        d = geodesic_distance(sg[li], geoms[fi], crs)
        keep = d <= dr.distance_m
        li, fi, d = li[keep], fi[keep], d[keep]
        order = np.lexsort((d, li))
        li, fi, d = li[order], fi[order], d[order]
        first = np.r_[True, li[1:] != li[:-1]] if len(li) else np.zeros(0, bool)
        out.append((dr, lid, li[first], fi[first], d[first]))
    return out

