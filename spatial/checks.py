"""Site check (压覆分析): every project site against every control layer, in one pass, with verdicts.

For each site and control layer:

* polygons: the overlapped area (ellipsoidal m², 公顷), the share of the site and of each overlapped feature;
  the layer summary dissolves the layer's own features first (overlaps counted once), as QGIS's Overlap
  analysis does;
* lines (roads, pipelines): the geodesic length inside each zone, which is how shoreline use is measured;
* points: the containing zone;
* the overlapped features with their attributes (name, code, type, level, functional zone, unit class);
* when the layer is not touched: the nearest feature and its geodesic distance, searched only within
  ``max_distance`` (an STRtree query capped by distance, never a scan).

Then the rules of :mod:`redline.spatial.rules` give findings, each citing its rule and clause, and a verdict:
any ``prohibited`` finding → 不符合; else a site not wholly inside the data's coverage → 无法判定 (absence of
data is not compliance, and the uncovered part could hold anything); else any ``needs_review`` → 需论证;
else 符合.

Everything is computed in one analysis CRS (the project's ``[region] crs``, else the boundary layer's, else
the first control layer's; a geographic CRS is replaced by the 3-degree Gauss-Krüger zone of the data).
Areas are ellipsoidal (:func:`redline.spatial.areas.ellipsoidal_area`), lengths and distances geodesic on the CRS's
ellipsoid (the distance is the geodesic length of the shortest line between the two geometries in the
projected plane).

Example
-------
>>> import geopandas as gpd, shapely
>>> rl = gpd.GeoDataFrame({"name": ["红线一"]}, geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000,
...                        4_201_000)], crs=4525)
>>> rl = with_info(rl, LayerInfo(kind="red_line"))
>>> site = gpd.GeoDataFrame({"name": ["矿山"], "type": ["mining"]},
...                         geometry=[shapely.box(37_500_500, 4_200_000, 37_501_500, 4_201_000)], crs=4525)
>>> out = check_sites(site, {"red_line": rl})
>>> s = out["sites"][0]
>>> s["verdict"], round(s["layers"][0]["pct_of_site"], 4)
('不符合', 50.0)
"""

from __future__ import annotations

import contextlib
import os
import warnings as _warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from redline.layers.crs import DATUM_LABELS, datum_of, epsg_of, parse_crs, utm_like_gk_for
from redline.layers.errors import InputError, UsageError
from redline.layers.info import LayerInfo, layer_info, with_info
from redline.layers.kinds import find_field, is_control_kind, kind_label
from redline.spatial.areas import ellipsoidal_area, geodesic_length, method_description
from redline.spatial.overlay import as_array, dissolve, intersect_pairs, nearest_within, polygonal, threaded
from redline.spatial.rules import (
    DistanceRule,
    Rule,
    RuleSet,
    format_message,
    load_rules,
    project_types,
    resolve_type,
    type_label,
)

VERDICTS = ("符合", "不符合", "需论证", "无法判定")
MIN_OVERLAP_M2 = 0.01      # smaller overlaps are slivers of shared edges, not occupation
MIN_OVERLAP_M = 0.001      # the same for lengths
DEFAULT_MAX_DISTANCE = 5000.0
ZONE_ATTRIBUTE = {"control_unit": "unit_class"}
HIT_ATTRIBUTES = ("name", "code", "type", "level", "zone", "unit_class", "river")
SITE_EXTENSIONS = (".txt", ".shp", ".gpkg", ".geojson", ".json", ".kml", ".csv", ".parquet", ".geoparquet",
                   ".fgb", ".gdb")
_OLD_DATUMS = ("xian1980", "beijing1954")


# ------------------------------------------------------------------------------------------- formatting
def fmt_ha(m2: float) -> str:
    """Square metres as 公顷 with 4 decimals: ``fmt_ha(12345.6)`` → ``'1.2346'``."""
    return f"{m2 / 10_000:.4f}"


def fmt_m2(m2: float) -> str:
    return f"{m2:.2f}"


def fmt_pct(p: float | None) -> str:
    return "—" if p is None or not np.isfinite(p) else f"{p:.2f}"


def fmt_m(m: float | None) -> str:
    return "—" if m is None or not np.isfinite(m) else f"{m:.2f}"


def _none(v):
    """NaN/None → None, numpy scalars → Python."""
    if v is None:
        return None
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def _text(v) -> str | None:
    v = _none(v)
    if v is None:
        return None
    s = str(v).strip()
    return s or None


# ----------------------------------------------------------------------------------------------- CRS
def _geographic_to_gk(crs: pyproj.CRS, lon: float) -> tuple[pyproj.CRS, list[str]]:
    datum = datum_of(crs)
    try:
        epsg = utm_like_gk_for(lon, datum="cgcs2000" if datum in (None, "wgs84") else datum)
    except Exception:  # outside the GK tables
        return crs, [f"analysis CRS {crs.name} is geographic and no Gauss-Krüger zone fits; distances use "
                     "the plane of longitude/latitude"]
    gk = pyproj.CRS.from_epsg(epsg)
    return gk, [f"analysis CRS {crs.name} is geographic; computing in {gk.name} (EPSG:{epsg})"]


def _gk_for_data(crs: pyproj.CRS, geoms) -> tuple[pyproj.CRS, list[str]]:
    """For a geographic CRS, the GK zone of the data's centre."""
    if not crs.is_geographic:
        return crs, []
    b = shapely.total_bounds(as_array(geoms))
    lon = float((b[0] + b[2]) / 2) if np.isfinite(b).all() else 111.0
    return _geographic_to_gk(crs, lon)


def parse_towgs84(text: str | None) -> tuple[float, ...] | None:
    """``"dx,dy,dz[,rx,ry,rz,ds]"`` (metres, arc-seconds, ppm; PROJ's ``+towgs84`` convention) → floats."""
    if text is None:
        return None
    parts = [p for p in str(text).replace("，", ",").split(",") if p.strip()]
    try:
        vals = tuple(float(p) for p in parts)
    except ValueError:
        raise UsageError(f"--towgs84 takes 3 or 7 numbers separated by commas, not {text!r}") from None
    if len(vals) not in (3, 7):
        raise UsageError(f"--towgs84 takes 3 or 7 numbers (dx,dy,dz or dx,dy,dz,rx,ry,rz,ds), got {len(vals)}")
    return vals


def _with_towgs84(crs: pyproj.CRS, params: tuple[float, ...]) -> pyproj.CRS:
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        proj4 = crs.to_proj4()
    proj4 = " ".join(p for p in proj4.split() if not p.startswith("+towgs84") and not p.startswith("+type"))
    return pyproj.CRS.from_proj4(f"{proj4} +towgs84={','.join(f'{v:g}' for v in params)}")


def to_analysis_crs(gdf: gpd.GeoDataFrame, crs: pyproj.CRS, what: str, *, path: str | None = None,
                    towgs84: tuple[float, ...] | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Bring a layer into the analysis CRS, saying so; never across Xi'an 1980 / Beijing 1954 and CGCS2000
    without the user's transformation parameters.

    Raises
    ------
    InputError
        The layer has no CRS, or the datums differ and one is an older datum and no ``towgs84`` is given.
    """
    if gdf.crs is None:
        raise InputError(f"{what} has no coordinate reference system (give one, e.g. a .prj file)", path=path)
    if gdf.crs.equals(crs):
        return gdf, []
    src_d, dst_d = datum_of(gdf.crs), datum_of(crs)
    notes: list[str] = []
    if src_d != dst_d and (src_d in _OLD_DATUMS or dst_d in _OLD_DATUMS):
        if towgs84 is None:
            raise InputError(
                f"{what} is in {gdf.crs.name} ({DATUM_LABELS.get(src_d, src_d)}) but the analysis CRS is "
                f"{crs.name} ({DATUM_LABELS.get(dst_d, dst_d)}); converting between these datums needs "
                "transformation parameters that are not public, so redline never does it silently: give them "
                "with --towgs84 dx,dy,dz[,rx,ry,rz,ds], or bring the data to one datum first", path=path)
        src = _with_towgs84(gdf.crs, towgs84) if src_d in _OLD_DATUMS else gdf.crs
        dst = _with_towgs84(crs, towgs84) if dst_d in _OLD_DATUMS else crs
        out = gdf.set_crs(src, allow_override=True).to_crs(dst).set_crs(crs, allow_override=True)
        notes.append(f"{what}: converted from {gdf.crs.name} to {crs.name} with the parameters given with "
                     f"--towgs84 ({','.join(f'{v:g}' for v in towgs84)})")
        return out, notes
    if {src_d, dst_d} == {"cgcs2000", "wgs84"}:
        notes.append(f"{what}: WGS 84 and CGCS2000 differ by centimetres to a metre; treated as the same datum")
    notes.append(f"{what}: reprojected from {gdf.crs.name} to the analysis CRS {crs.name}")
    return gdf.to_crs(crs), notes


# --------------------------------------------------------------------------------------------- sites in
def site_files(path: str | os.PathLike) -> list[Path]:
    """The site files of a folder (every file redline reads as a layer; 国土TXT among the .txt files)."""
    p = Path(path)
    if not p.exists():
        raise InputError("sites: file or folder not found", path=str(p))
    if not p.is_dir() or p.suffix.lower() == ".gdb":
        return [p]
    from redline.layers.guotu import is_guotu

    out = []
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
        if ext == ".json" and f.name in ("package.json",):
            continue
        out.append(f)
    if not out:
        raise InputError("the folder holds no site file (国土TXT, Shapefile, GeoPackage, GeoJSON, KML, CSV of "
                         "points...)", path=str(p))
    return out


def read_sites(path: str | os.PathLike, *, to_crs=None, towgs84: tuple[float, ...] | None = None,
               repair: bool = False, encoding: str | None = None, crs=None) -> gpd.GeoDataFrame:
    """Read project sites: a 国土TXT file (each parcel a site), any vector layer, a CSV of points, or a
    folder of such files.

    Returns
    -------
    GeoDataFrame
        Canonical columns of kind ``site`` (``name``, ``code``, ``type``) plus ``site_id``, ``_source``
        (file), ``_row`` (row in that file), ``_type_field``; in ``to_crs`` when given. Its
        :class:`~redline.layers.info.LayerInfo` holds ``path``, ``files`` (per-file reading metadata) and
        ``warnings``.

    Raises
    ------
    InputError
        No site file, an unreadable file, or a file with no features.
    """
    from redline.layers.readers import read_layer

    frames, files, warns = [], [], []
    paths = site_files(path)
    for f in paths:
        gdf = read_layer(f, kind="site", repair=repair, encoding=encoding, crs=crs)
        gdf, file_warns, info = site_frame(gdf, f, to_crs=to_crs, towgs84=towgs84)
        warns += file_warns
        files.append(info)
        frames.append(gdf)
    target = frames[0].crs
    frames = [g if g.crs is None or target is None or g.crs.equals(target) else g.to_crs(target) for g in frames]
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry=frames[0].geometry.name, crs=target)
    out["site_id"] = unique_site_ids(out["site_id"], out["_source"])
    with_info(out, LayerInfo(path=str(path), kind="site", files=files, warnings=warns))
    return out


def site_frame(gdf: gpd.GeoDataFrame, f: str | os.PathLike, *, to_crs=None,
               towgs84: tuple[float, ...] | None = None) -> tuple[gpd.GeoDataFrame, list[str], dict]:
    """One site file's features, as ``read_layer(f, kind="site")`` returns them, made checkable as
    :func:`read_sites` does for each file: ``_source`` (``str(f)``), ``_row``, validation naming file and
    row, reprojection to ``to_crs``, ``_type_field`` and ``site_id`` (unique within the file only: see
    :func:`unique_site_ids` for ids across files).

    Returns
    -------
    (GeoDataFrame, list of str, dict)
        The sites, the file's warnings (prefixed with the file name), and its ``files`` record
        (``path``, ``format``, ``crs``, ``encoding``, ``features``).

    Raises
    ------
    InputError
        The file holds no features, or a site cannot be checked (see :func:`validate_sites`).
    """
    f = Path(f)
    meta = layer_info(gdf)
    if len(gdf) == 0:
        raise InputError("the site file holds no features: nothing to check", path=str(f))
    warns = [f"{f.name}: {w}" for w in meta.warnings]
    gdf = gdf.copy()
    gdf["_source"] = str(f)
    gdf["_row"] = np.arange(len(gdf))
    # in the file's own coordinates: a polygon collinear in lon/lat has zero area there, but not
    # after projection (a parallel is curved in Gauss-Krüger)
    validate_sites(gdf)
    if to_crs is not None:
        gdf, notes = to_analysis_crs(gdf, to_crs, f"sites {f.name}", path=str(f), towgs84=towgs84)
        warns += notes
    gdf["_type_field"] = (meta.fields or {}).get("type")
    gdf["site_id"] = _site_ids(gdf, f)
    info = {"path": str(f), "format": meta.format, "crs": meta.crs or None,
            "encoding": meta.encoding or None, "features": len(gdf)}
    return gdf, warns, info


def unique_site_ids(ids, sources) -> list[str]:
    """Site ids unique across files: an id held by more than one site (the same parcel number in two
    files) gets its file's name as prefix, ``<file stem>:<id>``.

    >>> unique_site_ids(["A", "B", "A"], ["x/一.gpkg", "x/一.gpkg", "x/二.gpkg"])
    ['一:A', 'B', '二:A']
    """
    out, sources = list(ids), list(sources)
    dup = pd.Series(out, dtype=object).duplicated(keep=False).to_numpy()
    for k in np.flatnonzero(dup):
        out[k] = f"{Path(str(sources[k])).stem}:{out[k]}"
    return out


def _site_ids(gdf: gpd.GeoDataFrame, f: Path) -> list[str]:
    codes = [_text(c) for c in (gdf["code"] if "code" in gdf.columns else [None] * len(gdf))]
    if all(codes) and len(set(codes)) == len(codes):
        return codes
    return [c if c and codes.count(c) == 1 else f"{f.stem}-{i + 1}" for i, c in enumerate(codes)]


def validate_sites(sites: gpd.GeoDataFrame) -> None:
    """Refuse sites that cannot be checked, naming the file and feature.

    Raises
    ------
    InputError
        No sites; a missing or empty geometry; an invalid geometry (with GEOS's reason); a polygon with
        zero area or a line with zero length.
    """
    where = layer_info(sites).path
    if len(sites) == 0:
        raise InputError("no sites to check (the site file holds no features)", path=where)
    geoms = as_array(sites)
    src = sites["_source"].to_numpy() if "_source" in sites.columns else np.full(len(sites), where, dtype=object)
    rows = sites["_row"].to_numpy() if "_row" in sites.columns else np.arange(len(sites))

    def fail(i: int, why: str):
        name = _text(sites["name"].iloc[i]) if "name" in sites.columns else None
        label = f"{rows[i]}" + (f" ({name})" if name else "")
        raise InputError(why, path=src[i], feature=label)

    missing = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(missing):
        fail(int(missing[0]), "the site has no geometry (empty or missing)")
    mixed = np.flatnonzero(shapely.get_type_id(geoms) == 7)
    if len(mixed):
        fail(int(mixed[0]), "the site is a geometry collection; give polygons, lines and points as separate sites")
    dim = shapely.get_dimensions(geoms)
    zero_area = np.flatnonzero((dim == 2) & (shapely.area(shapely.convex_hull(geoms)) <= 0))
    if len(zero_area):
        fail(int(zero_area[0]), "the site polygon has zero area (all its points on a line or repeated)")
    zero_len = np.flatnonzero((dim == 1) & (shapely.length(geoms) <= 0))
    if len(zero_len):
        fail(int(zero_len[0]), "the site line has zero length")
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    if len(bad):
        reason = shapely.is_valid_reason(geoms[bad[0]])
        fail(int(bad[0]), f"invalid site geometry: {reason}; repair it, or check with --repair "
                          "(shapely.make_valid, the change is reported)")


# -------------------------------------------------------------------------------------------- one layer
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
    attrs: dict = field(default_factory=dict)   # canonical attribute → object array over features
    feature_ids: np.ndarray | None = None


def _linear(geoms: np.ndarray) -> np.ndarray:
    """Only the linear parts (intersections of lines with polygons may carry points)."""
    types = shapely.get_type_id(geoms)
    out = geoms.copy()
    for i in np.flatnonzero(types == 7):
        parts = [p for p in shapely.get_parts(geoms[i]) if shapely.get_type_id(p) in (1, 2, 5)]
        out[i] = shapely.union_all(parts) if parts else shapely.LineString()
    out[~np.isin(types, (1, 2, 5, 7))] = shapely.LineString()
    return out


def _measure(geoms: np.ndarray, dim: np.ndarray, crs) -> tuple[np.ndarray, np.ndarray]:
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
    codes = gdf["code"].map(_text).to_numpy(dtype=object) if "code" in gdf.columns else \
        np.full(len(gdf), None, dtype=object)
    rows = np.array([f"{layer_id}:{i}" for i in range(len(gdf))], dtype=object)
    return np.where(pd.isna(codes) | (codes == None), rows, codes)  # noqa: E711


def layer_pass(site_geoms: np.ndarray, site_dim: np.ndarray, site_area: np.ndarray, site_len: np.ndarray,
               gdf: gpd.GeoDataFrame, crs, *, layer_id: str, kind: str, label: str,
               max_distance: float = DEFAULT_MAX_DISTANCE, min_m2: float = MIN_OVERLAP_M2,
               min_m: float = MIN_OVERLAP_M, attributes: tuple[str, ...] = HIT_ATTRIBUTES) -> LayerResult:
    """Overlaps, per-feature hits and nearest features of every site against one layer.

    One STRtree over the layer; intersections vectorized and spread over threads
    (:func:`redline.spatial.overlay.intersect_pairs`); the
    union of a site's overlapped features is only formed for the few sites whose features overlap each
    other (found with one vectorized ``relate`` over the feature pairs that share a site).
    """
    n = len(site_geoms)
    geoms = as_array(gdf)
    ok = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    fg = geoms[ok]
    tree = shapely.STRtree(fg)
    li, rj, inter = intersect_pairs(site_geoms, fg, tree=tree)
    ri = ok[rj]
    fdim = shapely.get_dimensions(geoms)
    pdim = np.minimum(site_dim[li], fdim[ri])
    m2, ln = _measure(inter, pdim, crs)

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
        if (fd == 2).any():
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
        over = threaded(shapely.relate_pattern, inter[multi[a]], inter[multi[b]], "T********")
        self_overlap[li[multi[a[over]]]] = True
    first = np.searchsorted(li, np.arange(n))
    last = np.searchsorted(li, np.arange(n), side="right")
    for s in np.flatnonzero(self_overlap):  # few sites: measure the union of their pieces
        sel = slice(first[s], last[s])
        u = shapely.union_all(inter[sel])
        um2, uln = _measure(np.array([u], dtype=object), np.array([int(pdim[sel].max())]), crs)
        ov_m2[s], ov_len[s] = um2[0], uln[0]
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
        lj, rk, _ = nearest_within(site_geoms[free], fg, max_distance * 1.002 + 1.0, tree=tree)
        if len(lj):
            s_idx, f_idx = free[lj], ok[rk]
            d = geodesic_length(shapely.shortest_line(site_geoms[s_idx], geoms[f_idx]), crs)
            inside = d <= max_distance
            near_site, near_feature, near_dist = s_idx[inside], f_idx[inside], d[inside]

    attrs = {a_: gdf[a_].to_numpy(dtype=object) for a_ in dict.fromkeys(attributes) if a_ in gdf.columns}
    return LayerResult(id=layer_id, kind=kind, label=label, gdf=gdf, site=li, feature=ri, geoms=inter, m2=m2,
                       length=ln, pct_site=pct_site, pct_feature=pct_feature, pieces=pieces, ov_m2=ov_m2,
                       ov_len=ov_len, pct=pct, touched=touched, self_overlap=self_overlap,
                       near_site=near_site, near_feature=near_feature, near_dist=near_dist, attrs=attrs,
                       feature_ids=_feature_ids(gdf, layer_id))


# ------------------------------------------------------------------------------------------ coverage
def coverage_of(layers: dict[str, gpd.GeoDataFrame], kinds: dict[str, str]) -> tuple[shapely.Geometry, str]:
    """The extent the data covers: the union of boundary layers when there are any, else the convex hull
    of all control layers. Returns the geometry and a description."""
    bounds = [lid for lid, k in kinds.items() if k == "boundary"]
    if bounds:
        geom = dissolve(np.concatenate([as_array(layers[b]) for b in bounds]))
        return geom, "、".join(_layer_label(layers[b], b, kinds[b]) for b in bounds)
    hulls = [shapely.convex_hull(shapely.GeometryCollection(list(as_array(g)[~shapely.is_empty(as_array(g))])))
             for lid, g in layers.items() if is_control_kind(kinds[lid]) and len(g)]
    if not hulls:
        return shapely.Polygon(), "无"
    return shapely.convex_hull(shapely.GeometryCollection(hulls)), "各管控图层范围的外包凸多边形"


def _layer_label(gdf: gpd.GeoDataFrame, lid: str, kind: str) -> str:
    return layer_info(gdf).label or kind_label(kind)


# -------------------------------------------------------------------------------------- site metrics
def _site_types(sites: gpd.GeoDataFrame, project_type: str | None) -> tuple[list, list, list]:
    """Per site: type id (or None), where it came from, and a warning for an unrecognised value."""
    if project_type is not None:
        t = resolve_type(project_type)
        return [t] * len(sites), ["--type"] * len(sites), [None] * len(sites)
    raw = sites["type"].to_numpy(dtype=object) if "type" in sites.columns else np.full(len(sites), None)
    fields = sites["_type_field"].to_numpy(dtype=object) if "_type_field" in sites.columns else \
        np.full(len(sites), None)
    types, sources, warns = [], [], []
    for v, fld in zip(raw, fields, strict=True):
        text = _text(v)
        t = resolve_type(text, strict=False)
        types.append(t)
        where = f"属性字段 {fld}" if _text(fld) else "属性"
        if t is not None:
            sources.append(f"{where}（“{text}”）")
            warns.append(None)
        elif text is None:
            sources.append("未指定")
            warns.append(None)
        else:
            sources.append(f"{where}（“{text}”，无法识别）")
            warns.append(f"project type {text!r} ({where}) is not a known project type; give the type with "
                         "--type")
    return types, sources, warns


# ------------------------------------------------------------------------------------------ findings
def _extent(sdim: int, fdim: int, m2: float, length: float, pct: float | None, pieces: int = 0) -> str:
    if sdim == 2 and fdim == 2:
        return f"压覆面积{fmt_ha(m2)}公顷（{fmt_m2(m2)}平方米），占项目用地面积的{fmt_pct(pct)}%"
    if sdim == 1 and fdim == 2:
        return f"线路在其中的长度{fmt_m(length)}米，占线路全长的{fmt_pct(pct)}%"
    if sdim == 2 and fdim == 1:
        return f"项目用地范围内的长度{fmt_m(length)}米"
    if sdim == 1 and fdim == 1:
        return f"线路与其交叉{pieces}处" + (f"，重合长度{fmt_m(length)}米" if length > 0 else "")
    return "项目位于其中"


def _finding(rule, message_values: dict, clause: str | None = None, **extra) -> dict:
    return {"rule": rule.id, "level": rule.level, "clause": clause or rule.clause,
            "message": format_message(rule.message, message_values), "source": rule.source, **extra}


LEVEL_ORDER = {"prohibited": 0, "no_data": 1, "needs_review": 2, "allowed": 3, "info": 4}


def verdict_of(findings: list[dict]) -> str:
    """符合 / 不符合 / 需论证 / 无法判定 from findings: prohibited → 不符合; else outside the data's coverage →
    无法判定; else needs_review → 需论证; else 符合.

    >>> verdict_of([{"level": "needs_review"}, {"level": "no_data"}])
    '无法判定'
    """
    levels = {f["level"] for f in findings}
    if "prohibited" in levels:
        return "不符合"
    if "no_data" in levels:
        return "无法判定"
    if "needs_review" in levels:
        return "需论证"
    return "符合"


# --------------------------------------------------------------------------------------------- main
@dataclass
class PreparedLayers:
    """The control side of a check, prepared once: layers in the analysis CRS with invalid geometries
    repaired, their kinds and labels, the coverage, the rules and the search distance.

    Per-site results depend only on the site and these layers, so any batch of sites (a chunk of a file,
    a partition on a dask worker) is checked with :func:`check_prepared` and the batches concatenated
    (:func:`combine_results`) give the result of checking all the sites at once.
    """

    crs: pyproj.CRS
    layers: dict[str, gpd.GeoDataFrame]
    kinds: dict[str, str]
    labels: dict[str, str]
    control: list[str]
    rules: RuleSet
    max_distance: float
    min_overlap_m2: float
    coverage: shapely.Geometry | None
    coverage_label: str
    coverage_m2: float
    towgs84: tuple[float, ...] | None = None
    crs_notes: list[str] = field(default_factory=list)     # choosing the analysis CRS
    layer_notes: list[str] = field(default_factory=list)   # reprojecting and repairing the layers
    distance_targets: list = field(default_factory=list)   # (rule, layer id, feature indices) per distance rule

    def analysis(self) -> dict:
        """The ``analysis`` block of a check result."""
        return {
            "crs": {"epsg": epsg_of(self.crs), "name": self.crs.name},
            "area_method": method_description(self.crs),
            "length_method": "测地线长度（在分析坐标系平面内加密后反算经纬度，按椭球计算）",
            "distance_method": "最近距离：在分析坐标系平面内求两几何的最短连线，再按椭球计算其测地线长度；"
                               f"搜索限于{self.max_distance:g}米以内",
            "max_distance_m": float(self.max_distance),
            "min_overlap_m2": float(self.min_overlap_m2),
            "coverage": {"label": self.coverage_label, "area_m2": self.coverage_m2},
            "verdict_rule": "存在禁止性条款→不符合；否则项目用地不完全在数据覆盖范围内→无法判定；"
                            "否则存在需论证条款→需论证；否则→符合",
        }

    def describe_layers(self) -> list[dict]:
        """The ``layers`` block of a check result."""
        return [{"layer": lid, "kind": self.kinds[lid], "label": self.labels[lid],
                 "features": int(len(self.layers[lid])), "control": lid in self.control} for lid in self.layers]


def prepare_layers(layers: dict[str, gpd.GeoDataFrame], *, rules: RuleSet | None = None,
                   max_distance: float = DEFAULT_MAX_DISTANCE, coverage: shapely.Geometry | None = None,
                   coverage_label: str | None = None, crs=None, kinds: dict[str, str] | None = None,
                   labels: dict[str, str] | None = None, towgs84: tuple[float, ...] | None = None,
                   min_overlap_m2: float = MIN_OVERLAP_M2) -> PreparedLayers:
    """Everything of a check that does not depend on the sites, done once.

    Parameters are those of :func:`check_sites` without the sites.

    Example
    -------
    >>> import geopandas as gpd, shapely
    >>> rl = gpd.GeoDataFrame(geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000, 4_201_000)], crs=4525)
    >>> p = prepare_layers({"red_line": rl}, kinds={"red_line": "red_line"})
    >>> p.control, p.crs.to_epsg()
    (['red_line'], 4525)

    Raises
    ------
    UsageError
        No control layer, or a search distance that is not a positive number.
    InputError
        A layer without CRS, or in an older datum without ``towgs84``; a distance rule naming a missing
        layer or attribute.
    """
    if max_distance is None or not max_distance > 0:
        raise UsageError(f"the search distance must be a positive number of metres, not {max_distance!r}")
    rules = rules or load_rules()
    kinds = dict(kinds or {})
    for lid, g in layers.items():
        if lid not in kinds:
            kind = layer_info(g).kind
            if not kind:
                raise ValueError(f"layer {lid!r}: no kind (give kinds= or read it with a kind)")
            kinds[lid] = kind
    control = [lid for lid in layers if is_control_kind(kinds[lid])]
    if not control:
        raise UsageError("no control layer to check against (give a project with control layers, or "
                         "--layer KIND=PATH)")

    base = crs if crs is not None else layers[control[0]].crs
    if base is None:
        raise InputError(f"layer {control[0]!r} has no CRS")
    base = base if isinstance(base, pyproj.CRS) else parse_crs(base)
    acrs, crs_notes = _gk_for_data(base, layers[control[0]]) if base.is_geographic else (base, [])
    layer_notes: list[str] = []
    lay: dict[str, gpd.GeoDataFrame] = {}
    for lid, g in layers.items():
        path = layer_info(g).path
        g2, notes = to_analysis_crs(g, acrs, f"layer {lid}", path=path, towgs84=towgs84)
        layer_notes += notes
        geoms = as_array(g2)
        bad = ~(shapely.is_valid(geoms) | shapely.is_missing(geoms))
        if bad.any():
            g2 = g2.copy()
            col = g2.geometry.name
            fixed = polygonal(shapely.make_valid(geoms[bad])) if (shapely.get_dimensions(geoms[bad]) == 2).all() \
                else shapely.make_valid(geoms[bad])
            g2.loc[g2.index[bad], col] = fixed
            layer_notes.append(f"layer {lid}: {int(bad.sum())} invalid geometr{'y' if bad.sum() == 1 else 'ies'} "
                               "repaired with make_valid for the check (the file is unchanged)")
        g2.attrs = g.attrs
        lay[lid] = g2
    labels = {lid: (labels or {}).get(lid) or _layer_label(lay[lid], lid, kinds[lid]) for lid in lay}
    if coverage is None:
        coverage, cov_label = coverage_of(lay, kinds)
    else:
        cov_label = coverage_label or "给定的数据覆盖范围"
    if coverage is not None and not coverage.is_empty:
        shapely.prepare(coverage)
    return PreparedLayers(
        crs=acrs, layers=lay, kinds=kinds, labels=labels, control=control, rules=rules,
        max_distance=float(max_distance), min_overlap_m2=float(min_overlap_m2), coverage=coverage,
        coverage_label=cov_label,
        coverage_m2=float(ellipsoidal_area([coverage], acrs)[0]) if coverage is not None else 0.0,
        towgs84=towgs84, crs_notes=crs_notes, layer_notes=layer_notes,
        distance_targets=_distance_targets(rules.distance, lay, kinds))


def check_prepared(sites: gpd.GeoDataFrame, prepared: PreparedLayers, *, project_type: str | None = None,
                   progress=None) -> dict:
    """Check a batch of sites against prepared layers; the JSON-shaped result of :func:`check_sites`.

    Example
    -------
    >>> import geopandas as gpd, shapely
    >>> rl = gpd.GeoDataFrame(geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000, 4_201_000)], crs=4525)
    >>> p = prepare_layers({"red_line": rl}, kinds={"red_line": "red_line"})
    >>> site = gpd.GeoDataFrame({"type": ["mining"]}, geometry=[shapely.Point(37_500_500, 4_200_500)], crs=4525)
    >>> check_prepared(site, p)["sites"][0]["verdict"]
    '不符合'
    """
    acrs = prepared.crs
    warnings: list[str] = list(layer_info(sites).warnings) + prepared.crs_notes
    src_path = layer_info(sites).path
    sites_a, notes = to_analysis_crs(sites, acrs, "sites", path=src_path, towgs84=prepared.towgs84)
    warnings += notes + prepared.layer_notes
    sites_a.attrs = sites.attrs
    lay, kinds, labels = prepared.layers, prepared.kinds, prepared.labels

    validate_sites(sites_a)
    sg = as_array(sites_a)
    n = len(sg)
    sdim = shapely.get_dimensions(sg)
    site_area = np.where(sdim == 2, ellipsoidal_area(sg, acrs), np.nan)
    site_len = np.full(n, np.nan)
    if (sdim == 1).any():
        site_len[sdim == 1] = geodesic_length(sg[sdim == 1], acrs)

    # coverage
    coverage = prepared.coverage
    out_m2 = np.zeros(n)
    out_len = np.zeros(n)
    outside = np.zeros(n, bool)
    if coverage is None or coverage.is_empty:
        outside[:] = True
        out_m2 = np.where(sdim == 2, site_area, 0.0)
        out_len = np.where(sdim == 1, site_len, 0.0)
    else:
        covered = shapely.covers(coverage, sg)
        rest = np.flatnonzero(~covered)
        if len(rest):
            diff = shapely.difference(sg[rest], coverage)
            m2, ln = _measure(diff, sdim[rest], acrs)
            out_m2[rest], out_len[rest] = m2, ln
            big = np.where(sdim[rest] == 2, m2 > prepared.min_overlap_m2,
                           np.where(sdim[rest] == 1, ln > MIN_OVERLAP_M, ~shapely.is_empty(diff)))
            outside[rest[big]] = True

    # every control layer, one pass each
    rules, control = prepared.rules, prepared.control
    results = []
    for k, lid in enumerate(control, 1):
        if progress is not None:
            progress(k, len(control), labels[lid])
        results.append(layer_pass(sg, sdim, site_area, site_len, lay[lid], acrs, layer_id=lid, kind=kinds[lid],
                                  label=labels[lid], max_distance=prepared.max_distance,
                                  min_m2=prepared.min_overlap_m2,
                                  attributes=HIT_ATTRIBUTES + tuple(r.clause_field
                                                                    for r in rules.for_kind(kinds[lid])
                                                                    if r.clause_field)))

    dist_hits = _distance_rules(prepared.distance_targets, sg, lay, acrs)
    types, type_sources, type_warns = _site_types(sites_a, project_type)
    sites_json = _assemble(sites_a, sg, sdim, site_area, site_len, results, rules, dist_hits, types,
                           type_sources, type_warns, outside, out_m2, out_len, prepared.coverage_label, lay)
    return {
        "sites": sites_json,
        "summary": summarize(sites_json),
        "analysis": prepared.analysis(),
        "layers": prepared.describe_layers(),
        "rules": rules.describe(),
        "warnings": warnings,
    }


def summarize(sites_json: list[dict]) -> dict:
    """``{"sites": n, "verdicts": {verdict: count}}`` of per-site results."""
    counts = dict.fromkeys(VERDICTS, 0)
    for s in sites_json:
        counts[s["verdict"]] += 1
    return {"sites": len(sites_json), "verdicts": counts}


def combine_results(parts: list[dict]) -> dict:
    """One check result from the results of batches of sites, in the order given.

    The sites are concatenated, the summary recounted, and the warnings are the first batch's followed by
    those of later batches not already there (the batches share the layers' warnings). One batch is
    returned as it is.

    >>> a = {"sites": [{"verdict": "符合"}], "warnings": ["w1"], "analysis": {}}
    >>> b = {"sites": [{"verdict": "不符合"}], "warnings": ["w1", "w2"], "analysis": {}}
    >>> r = combine_results([a, b])
    >>> r["summary"]["verdicts"]["不符合"], r["warnings"]
    (1, ['w1', 'w2'])
    """
    if not parts:
        raise ValueError("no batch to combine")
    if len(parts) == 1:
        return parts[0]
    out = dict(parts[0])
    out["sites"] = [s for p in parts for s in p["sites"]]
    out["summary"] = summarize(out["sites"])
    warnings = list(parts[0]["warnings"])
    seen = set(warnings)
    for p in parts[1:]:
        for w in p["warnings"]:
            if w not in seen:
                seen.add(w)
                warnings.append(w)
    out["warnings"] = warnings
    return out


def check_sites(sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame], *,
                project_type: str | None = None, rules: RuleSet | None = None,
                max_distance: float = DEFAULT_MAX_DISTANCE, coverage: shapely.Geometry | None = None,
                coverage_label: str | None = None, crs=None, kinds: dict[str, str] | None = None,
                labels: dict[str, str] | None = None, towgs84: tuple[float, ...] | None = None,
                min_overlap_m2: float = MIN_OVERLAP_M2, progress=None) -> dict:
    """Check every site against every control layer; the JSON-shaped result (without provenance).

    :func:`prepare_layers` then :func:`check_prepared`.

    Parameters
    ----------
    sites : GeoDataFrame
        Sites with canonical columns of kind ``site`` (``name``, ``code``, ``type``), e.g. from
        :func:`read_sites`; optional ``site_id``.
    layers : dict of layer id → GeoDataFrame
        Control layers with canonical columns; boundary layers (kind ``boundary``) give the coverage.
        Each layer's kind comes from ``kinds`` or the layer's :class:`~redline.layers.info.LayerInfo`.
    project_type : str, optional
        The project type of every site (identifier or Chinese label); else each site's ``type`` column.
    rules : RuleSet, optional
        Default: the package's rules (:func:`redline.spatial.rules.load_rules`).
    max_distance : float
        Nearest features are searched within this distance (m).
    coverage : shapely geometry, optional
        The extent the data covers, in the analysis CRS. Default: the union of the boundary layers, else the
        convex hull of the control layers.
    crs : optional
        The analysis CRS. Default: the first control layer's.
    towgs84 : tuple, optional
        Helmert parameters for data in Xi'an 1980 / Beijing 1954 against CGCS2000 (never converted without).

    Returns
    -------
    dict
        ``{"sites": [...], "summary", "analysis", "layers", "rules", "warnings"}``; each site
        ``{"site_id", "name", "geometry_type", "area_m2", "length_m", "verdict", "layers", "hits", "nearest",
        "findings", ...}``.
    """
    prepared = prepare_layers(layers, rules=rules, max_distance=max_distance, coverage=coverage,
                              coverage_label=coverage_label, crs=crs, kinds=kinds, labels=labels, towgs84=towgs84,
                              min_overlap_m2=min_overlap_m2)
    return check_prepared(sites, prepared, project_type=project_type, progress=progress)


def _distance_targets(drules: list[DistanceRule], lay: dict, kinds: dict) -> list[tuple]:
    """Per distance rule: (rule, layer id, indices of the layer's features it concerns)."""
    out = []
    for dr in drules:
        lid = resolve_layer_ref(dr.layer, kinds, what=f"distance rule {dr.id!r}", where=dr.source)
        g = lay[lid]
        mask = np.ones(len(g), bool)
        for attr, want in dr.where.items():
            col = attr if attr in g.columns else find_field([c for c in g.columns if c != g.geometry.name], [attr])
            if col is None:
                raise InputError(f"distance rule {dr.id!r}: where names attribute {attr!r}, which layer "
                                 f"{lid!r} does not have (fields: {', '.join(map(str, g.columns))})",
                                 path=dr.source)
            values = {str(v) for v in (want if isinstance(want, list) else [want])}
            mask &= g[col].map(lambda v, vs=values: _text(v) in vs).to_numpy(dtype=bool)
        geoms = as_array(g)
        idx = np.flatnonzero(mask)
        idx = idx[~(shapely.is_missing(geoms[idx]) | shapely.is_empty(geoms[idx]))]
        out.append((dr, lid, idx))
    return out


def _distance_rules(targets: list[tuple], sg: np.ndarray, lay: dict,
                    crs) -> list[tuple[DistanceRule, str, np.ndarray, np.ndarray, np.ndarray]]:
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
        d = geodesic_length(shapely.shortest_line(sg[li], geoms[fi]), crs) if len(li) else np.zeros(0)
        keep = d <= dr.distance_m
        li, fi, d = li[keep], fi[keep], d[keep]
        order = np.lexsort((d, li))
        li, fi, d = li[order], fi[order], d[order]
        first = np.r_[True, li[1:] != li[:-1]] if len(li) else np.zeros(0, bool)
        out.append((dr, lid, li[first], fi[first], d[first]))
    return out


def resolve_layer_ref(ref: str, kinds: dict[str, str], *, what: str, where: str | None = None) -> str:
    """A layer id, or the one layer of a kind; InputError naming ``what`` otherwise."""
    if ref in kinds:
        return ref
    same = [lid for lid, k in kinds.items() if k == ref]
    if len(same) == 1:
        return same[0]
    raise InputError(f"{what} names layer {ref!r}, which is not a layer of the check "
                     f"(layers: {', '.join(kinds) or 'none'})", path=where)


def _floats(a: np.ndarray) -> list:
    """Python floats, NaN as None (one pass over an array, not one call per value)."""
    return [None if v != v else v for v in np.asarray(a, dtype=float).tolist()]


@dataclass
class _View:
    """One layer's results as Python lists, attributes cleaned once per touched or nearest feature."""

    res: LayerResult
    fdim: int
    attrs: dict                 # attribute → {feature: text or None}
    ids: dict                   # feature → feature id
    zones: dict | None
    feature: list
    m2: list
    length: list
    pct_site: list
    pct_feature: list
    pieces: list
    starts: list
    ends: list
    near: dict


def _view(res: LayerResult, n: int) -> _View:
    needed = np.unique(np.concatenate([res.feature, res.near_feature])).tolist()
    attrs = {a: {f: _text(arr[f]) for f in needed} for a, arr in res.attrs.items()}
    zone_attr = ZONE_ATTRIBUTE.get(res.kind, "zone")
    return _View(
        res=res, fdim=int(shapely.get_dimensions(as_array(res.gdf)).max()) if len(res.gdf) else 2,
        attrs=attrs, ids={f: str(res.feature_ids[f]) for f in needed}, zones=attrs.get(zone_attr),
        feature=res.feature.tolist(), m2=res.m2.tolist(), length=res.length.tolist(),
        pct_site=_floats(res.pct_site), pct_feature=_floats(res.pct_feature), pieces=res.pieces.tolist(),
        starts=np.searchsorted(res.site, np.arange(n)).tolist(),
        ends=np.searchsorted(res.site, np.arange(n), side="right").tolist(),
        near={s: (f, d) for s, f, d in zip(res.near_site.tolist(), res.near_feature.tolist(), res.near_dist.tolist(),
                                           strict=True)})


def _assemble(sites, sg, sdim, site_area, site_len, results: list[LayerResult], rules: RuleSet, dist_hits,
              types, type_sources, type_warns, outside, out_m2, out_len, cov_label, lay) -> list[dict]:
    """The per-site JSON objects, findings and verdicts (plain Python at the end of the computation)."""
    n = len(sg)
    names = sites["name"].map(_text).tolist() if "name" in sites.columns else [None] * n
    ids = sites["site_id"].map(_text).tolist() if "site_id" in sites.columns else \
        [_text(c) or str(i + 1) for i, c in enumerate(sites["code"] if "code" in sites.columns else [None] * n)]
    sources = sites["_source"].tolist() if "_source" in sites.columns else [None] * n
    gtypes = shapely.get_type_id(sg).tolist()
    type_names = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
                  6: "MultiPolygon", 7: "GeometryCollection"}
    sdim_l = sdim.tolist()
    area_l, len_l = _floats(site_area), _floats(site_len)
    per_site = [{"layers": [], "hits": [], "nearest": [], "findings": [], "skipped": []} for _ in range(n)]

    for res in results:
        v = _view(res, n)
        kind_rules = rules.for_kind(res.kind)
        cache: dict = {}
        ov_m2, ov_len, pct = res.ov_m2.tolist(), res.ov_len.tolist(), _floats(res.pct)
        touched, self_ov = res.touched.tolist(), res.self_overlap.tolist()
        names_f = v.attrs.get("name", {})
        for s in range(n):
            entry = per_site[s]
            a, b = v.starts[s], v.ends[s]
            nd = v.near.get(s)
            entry["layers"].append({
                "layer": res.id, "kind": res.kind, "label": res.label, "overlap_m2": ov_m2[s],
                "overlap_length_m": ov_len[s], "pct_of_site": pct[s], "touched": touched[s], "features": b - a,
                "self_overlap": self_ov[s], "nearest_m": None if touched[s] or nd is None else nd[1]})
            if nd is not None:
                entry["nearest"].append({"layer": res.id, "kind": res.kind, "feature_id": v.ids[nd[0]],
                                         "feature_name": names_f.get(nd[0]), "distance_m": nd[1], "label": res.label})
            line_line = sdim_l[s] == 1 and v.fdim == 1
            for k in range(a, b):
                f = v.feature[k]
                entry["hits"].append({
                    "layer": res.id, "kind": res.kind, "feature_id": v.ids[f], "feature_name": names_f.get(f),
                    "zone": v.zones[f] if v.zones is not None else None, "overlap_m2": v.m2[k],
                    "overlap_length_m": v.length[k], "pct_of_site": v.pct_site[k], "pct_of_feature": v.pct_feature[k],
                    "feature_index": f, "crossings": v.pieces[k] if line_line else None,
                    "attributes": {at: d[f] for at, d in v.attrs.items() if d[f] is not None}, "label": res.label})
            if kind_rules and (a < b or any(r.applies == "outside" for r in kind_rules)):
                _zone_findings(entry, v, kind_rules, s, a, b, sdim_l[s], types[s], area_l[s], len_l[s], cache)

    for dr, lid, li, fi, d in dist_hits:
        res_label = next((r.label for r in results if r.id == lid), lid)
        g = lay[lid]
        for s, f, dist in zip(li.tolist(), fi.tolist(), d.tolist(), strict=True):
            fname = _text(g["name"].iloc[f]) if "name" in g.columns else None
            entry = per_site[s]
            entry.setdefault("distance_rules", []).append({"rule": dr.id, "layer": lid, "feature_name": fname,
                                                           "distance_m": dist, "limit_m": dr.distance_m})
            concern = dr.concerns(types[s])
            if concern is None:
                entry["skipped"].append(dr)
            elif concern:
                vals = {"layer": res_label, "features": f"（{fname}）" if fname else "", "distance_m": fmt_m(dist),
                        "limit_m": f"{dr.distance_m:g}", "type_label": type_label(types[s]),
                        "extent": f"距离{fmt_m(dist)}米"}
                entry["findings"].append(_finding(dr, vals, layer=lid, kind=None, distance_m=dist))

    out = []
    outside_l, out_m2_l, out_len_l = outside.tolist(), out_m2.tolist(), out_len.tolist()
    for s in range(n):
        entry = per_site[s]
        findings = entry["findings"]
        if outside_l[s]:
            findings.insert(0, _coverage_finding(sdim_l[s], out_m2_l[s], out_len_l[s], area_l[s], len_l[s], cov_label))
        if types[s] is None:
            findings.append(_type_finding(list(dict.fromkeys(r.id for r in entry["skipped"]))))
        findings.sort(key=lambda f: LEVEL_ORDER.get(f["level"], 9))
        area = area_l[s] if sdim_l[s] == 2 else None
        out.append({
            "site_id": ids[s], "name": names[s], "geometry_type": type_names.get(gtypes[s], "None"),
            "area_m2": area, "area_ha": None if area is None else area / 10_000,
            "length_m": len_l[s] if sdim_l[s] == 1 else None,
            "verdict": verdict_of(findings),
            "project_type": types[s], "project_type_label": type_label(types[s]), "type_source": type_sources[s],
            "source": sources[s],
            "coverage": {"inside": not outside_l[s], "outside_m2": out_m2_l[s], "outside_length_m": out_len_l[s]},
            "layers": entry["layers"], "hits": entry["hits"], "nearest": entry["nearest"],
            "distance_rules": entry.get("distance_rules", []),
            "findings": findings, "warnings": [type_warns[s]] if type_warns[s] else [],
        })
    return out


def _coverage_finding(sdim: int, out_m2: float, out_len: float, area, length, cov_label: str) -> dict:
    whole = (sdim == 2 and out_m2 >= area * (1 - 1e-9)) or (sdim == 1 and out_len >= length * (1 - 1e-9)) \
        or sdim == 0
    if whole:
        msg = (f"项目用地全部位于本次检查数据的覆盖范围（{cov_label}）之外，现有图层无法判断其压覆情况；"
               "缺少数据不等于符合管控要求。")
    elif sdim == 2:
        msg = (f"项目用地有{fmt_ha(out_m2)}公顷（占{fmt_pct(100 * out_m2 / area)}%）位于本次检查数据"
               f"的覆盖范围（{cov_label}）之外，该部分的压覆情况无法判断。")
    else:
        msg = (f"项目线路有{fmt_m(out_len)}米（占{fmt_pct(100 * out_len / length)}%）位于本次检查数据"
               f"的覆盖范围（{cov_label}）之外，该部分的压覆情况无法判断。")
    return {"rule": "coverage.outside", "level": "no_data",
            "clause": f"数据覆盖范围：{cov_label}。缺少数据不等于符合管控要求，覆盖范围外的部分须补充数据后再行判定",
            "message": msg, "source": "spatial/checks.py"}


def _type_finding(skipped: list[str]) -> dict:
    if skipped:
        return {"rule": "project_type.unknown", "level": "needs_review",
                "clause": "项目类型决定适用的管控条款（见规则 " + "、".join(skipped) + "）",
                "message": "未指定项目类型，无法判断下列与项目类型有关的条款是否适用：" + "、".join(skipped)
                           + "。请用 --type 指定项目类型后重新检查。", "source": "spatial/checks.py"}
    return {"rule": "project_type.unknown", "level": "info", "clause": "项目类型决定适用的管控条款",
            "message": "未指定项目类型；本项目的压覆情况不涉及与项目类型有关的条款。", "source": "spatial/checks.py"}


def _names(v: _View, feats: list, unit: str = "个图斑") -> str:
    names = v.attrs.get("name", {})
    uniq = list(dict.fromkeys(names.get(f) or v.ids[f] for f in feats))
    if not uniq:
        return ""
    if len(uniq) <= 3:
        return "（" + "、".join(uniq) + "）"
    return "（" + "、".join(uniq[:3]) + f"等{len(uniq)}{unit}）"


def _applicable(kind_rules: list[Rule], zones: tuple, site_type) -> tuple[list, list]:
    """The inside rules that apply to a site touching features of ``zones`` (with the indices they match),
    and the rules skipped because the type is unknown."""
    apply, skipped = [], []
    for rule in kind_rules:
        if rule.applies != "inside":
            continue
        match = [i for i, z in enumerate(zones) if rule.matches_zone(z)]
        if not match:
            continue
        concern = rule.concerns(site_type)
        if concern is None:
            skipped.append(rule)
        elif concern:
            apply.append((rule, match))
    return apply, skipped


def _zone_findings(entry: dict, v: _View, kind_rules: list[Rule], s: int, a: int, b: int, sdim: int, site_type,
                   area, length, cache: dict) -> None:
    """Findings of the zone rules of one layer for one site."""
    res = v.res
    touched = b > a
    for rule in kind_rules:
        if rule.applies != "outside":
            continue
        if sdim == 2:
            rest = area - res.ov_m2[s]
            out_here = rest > MIN_OVERLAP_M2
            ext = "全部" if not touched else f"有{fmt_ha(rest)}公顷（占{fmt_pct(100 * rest / area)}%）"
        elif sdim == 1:
            rest = length - res.ov_len[s]
            out_here = rest > MIN_OVERLAP_M
            ext = "全部" if not touched else f"有{fmt_m(rest)}米（占{fmt_pct(100 * rest / length)}%）"
        else:
            out_here, ext = not touched, ""
        if not out_here:
            continue
        concern = rule.concerns(site_type)
        if concern is None:
            entry["skipped"].append(rule)
        elif concern:
            entry["findings"].append(_finding(rule, {"layer": res.label, "extent": ext, "features": "", "zone": "",
                                                     "type_label": type_label(site_type)},
                                              layer=res.id, kind=res.kind, features=[]))
    if not touched:
        return
    feats = v.feature[a:b]
    zones = tuple(v.zones[f] if v.zones is not None else None for f in feats)
    key = (zones, site_type)
    if key not in cache:
        cache[key] = _applicable(kind_rules, zones, site_type)
    apply, skipped = cache[key]
    entry["skipped"] += skipped
    for rule, match in apply:
        groups: dict[str | None, list[int]] = {}
        if rule.clause_field:
            texts = v.attrs.get(rule.clause_field, {})
            for i in match:
                groups.setdefault(texts.get(feats[i]), []).append(i)
        else:
            groups[None] = match
        for text, idx in groups.items():
            fsel = [feats[i] for i in idx]
            if len(idx) == b - a:
                m2, ln, pct = res.ov_m2[s], res.ov_len[s], res.pct[s]
            else:
                ks = np.array([a + i for i in idx])
                if res.self_overlap[s] and len(idx) > 1:
                    u = shapely.union_all(res.geoms[ks])
                    mm, ll = _measure(np.array([u], dtype=object), np.array([min(sdim, v.fdim)]), res.gdf.crs)
                    m2, ln = float(mm[0]), float(ll[0])
                else:
                    m2, ln = float(res.m2[ks].sum()), float(res.length[ks].sum())
                pct = 100 * m2 / area if sdim == 2 else (100 * ln / length if sdim == 1 else 100.0)
            zones_here = list(dict.fromkeys(zones[i] for i in idx if zones[i]))
            vals = {"layer": res.label, "features": _names(v, fsel, "个单元" if res.kind == "control_unit" else "个图斑"),
                    "zone": "、".join(zones_here) or "未分区",
                    "extent": _extent(sdim, v.fdim, m2, ln, pct, sum(v.pieces[a + i] for i in idx)),
                    "type_label": type_label(site_type), "activity": _activity(site_type),
                    "clause_text": text or "（该单元数据中无空间布局约束条款，请查阅准入清单原文）"}
            clause = rule.clause
            if rule.clause_field:
                clause = f"{rule.clause}（{_names(v, fsel, '个单元').strip('（）')}）：{text or '数据中无该条款文本'}"
            entry["findings"].append(_finding(rule, vals, clause=clause, layer=res.id, kind=res.kind,
                                              features=[v.ids[f] for f in fsel]))


def _activity(type_id: str | None) -> str:
    t = project_types().get(type_id) if type_id else None
    return t.description if t else ""


# ---------------------------------------------------------------------------------------- project level
@dataclass
class CheckRun:
    """A check of a sites file against a project (or ``--layer`` layers), with what the outputs need."""

    result: dict
    sites: gpd.GeoDataFrame              # in the analysis CRS (from a read_and_check checker: the first 20)
    layers: dict[str, gpd.GeoDataFrame]  # in the analysis CRS, with kinds
    kinds: dict[str, str]
    labels: dict[str, str]
    coverage: shapely.Geometry | None
    inputs: list[dict]
    crs: pyproj.CRS
    project: object | None = None


def parse_layer_args(args) -> list[tuple[str, str]]:
    """``["red_line=rl.shp", ...]`` → ``[(kind, path), ...]``; UsageError for a bad form or kind."""
    from redline.layers.kinds import KIND_IDS

    out = []
    for a in args or ():
        if "=" not in a:
            raise UsageError(f"--layer takes KIND=PATH, not {a!r} (kinds: {', '.join(KIND_IDS)})")
        kind, path = a.split("=", 1)
        kind = kind.strip()
        if kind not in KIND_IDS:
            raise UsageError(f"--layer {a!r}: {kind!r} is not a layer kind; valid kinds: {', '.join(KIND_IDS)}")
        if kind == "site":
            raise UsageError("--layer: sites are the SITES argument, not a control layer")
        out.append((kind, path.strip()))
    return out


@dataclass
class CheckContext:
    """The control side of :func:`check_project`, read and prepared once, before any site is read.

    ``inputs`` holds the file records of the layers, the project and the rule files; ``warnings`` what
    reading and reprojecting the layers said (they follow the sites' own warnings in a result); ``towns``
    the project's township layer in the analysis CRS (for each site's location), with its record
    ``towns_input``.
    """

    prepared: PreparedLayers
    inputs: list[dict]
    warnings: list[str]
    project: object | None = None
    towns: gpd.GeoDataFrame | None = None
    towns_input: dict | None = None
    records: dict = field(default_factory=dict)   # file records by path (each file hashed once)

    def record(self, path, **kw) -> dict:
        """The file record of ``path`` (hashed once) with the extra keys ``kw``."""
        from redline.layers.outputs import file_record

        key = str(path)
        if key not in self.records:
            self.records[key] = file_record(path)
        rec = dict(self.records[key])
        rec.update({k: v for k, v in kw.items() if v is not None or k in ("vintage", "source")})
        return rec


def load_check_layers(project=None, *, layer_args=(), max_distance: float = DEFAULT_MAX_DISTANCE,
                      towgs84: tuple[float, ...] | None = None) -> CheckContext:
    """Read and prepare the control layers of a project (or ``--layer KIND=PATH`` layers).

    Raises
    ------
    UsageError
        Neither a project nor layers, or both.
    InputError
        A layer the project names is missing or unreadable; a rule names a missing layer.
    """
    from redline.layers.readers import read_layer, read_project_layer

    if project is None and not layer_args:
        raise UsageError("nothing to check against: give --project redline.toml (or run in a folder with "
                         "redline.toml), or --layer KIND=PATH")
    if project is not None and layer_args:
        raise UsageError("give either a project or --layer layers, not both")
    ctx = CheckContext(prepared=None, inputs=[], warnings=[], project=project)  # type: ignore[arg-type]
    layers: dict[str, gpd.GeoDataFrame] = {}
    kinds: dict[str, str] = {}
    labels: dict[str, str] = {}
    warns = ctx.warnings
    inputs = ctx.inputs

    crs = None
    if project is not None:
        from redline.spatial.rules import rules_for_project

        rules = rules_for_project(project)
        wanted = [s for s in project.control_layers()]
        bid = project.boundary_id()
        if bid:
            wanted.insert(0, project.layers[bid])
        if not [s for s in wanted if is_control_kind(s.kind)]:
            raise InputError("the project has no control layer to check against", path=str(project.path))
        for spec in wanted:
            gdf = read_project_layer(project, spec.id, repair=True)
            warns += [f"layer {spec.id} ({spec.path.name}): {w}" for w in layer_info(gdf).warnings]
            _field_warnings(gdf, spec.id, spec.kind, spec.path.name, spec.fields, warns)
            layers[spec.id] = gdf
            kinds[spec.id] = spec.kind
            labels[spec.id] = spec.label or kind_label(spec.kind)
            inputs.append(ctx.record(spec.path, vintage=spec.date, source=spec.source, role="layer", layer=spec.id,
                                     kind=spec.kind, label=labels[spec.id]))
        for dr in rules.distance:
            resolve_layer_ref(dr.layer, kinds, what=f"distance rule {dr.id!r}", where=dr.source)
        if project.region.get("crs"):
            crs = parse_crs(project.region["crs"])
        elif bid:
            crs = layers[bid].crs
        if project.path:
            inputs.append(ctx.record(project.path, role="project"))
        for f in rules.files[1:]:
            inputs.append(ctx.record(f, role="rules"))
    else:
        rules = load_rules()
        counts: dict[str, int] = {}
        for kind, path in layer_args:
            counts[kind] = counts.get(kind, 0) + 1
            lid = kind if counts[kind] == 1 else f"{kind}_{counts[kind]}"
            gdf = read_layer(path, kind=kind, repair=True)
            meta = layer_info(gdf)
            meta.label = kind_label(kind)
            warns += [f"layer {lid} ({Path(path).name}): {w}" for w in meta.warnings]
            _field_warnings(gdf, lid, kind, Path(path).name, {}, warns)
            layers[lid] = gdf
            kinds[lid] = kind
            labels[lid] = kind_label(kind)
            inputs.append(ctx.record(path, vintage=None, source=None, role="layer", layer=lid, kind=kind,
                                     label=labels[lid]))

    first = crs or next((layers[lid].crs for lid in layers if is_control_kind(kinds[lid])), None)
    if first is None:
        raise InputError("the control layers have no CRS")
    acrs = first if isinstance(first, pyproj.CRS) else parse_crs(first)
    if acrs.is_geographic:
        ctrl = next(lid for lid in layers if is_control_kind(kinds[lid]))
        acrs, notes = _gk_for_data(acrs, layers[ctrl])
        warns += notes
    lay_a = {}
    for lid, g in layers.items():
        g2, notes = to_analysis_crs(g, acrs, f"layer {lid}", path=layer_info(g).path,
                                    towgs84=towgs84)
        g2.attrs = g.attrs
        warns += notes
        lay_a[lid] = g2
    coverage, cov_label = None, None
    bid = project.boundary_id() if project is not None else None
    if bid:  # the region's boundary, not the township layer (also of kind boundary)
        coverage = dissolve(as_array(lay_a[bid]))
        cov_label = labels[bid]
    elif any(k == "boundary" for k in kinds.values()):
        coverage, cov_label = coverage_of(lay_a, kinds)
    ctx.prepared = prepare_layers(lay_a, rules=rules, max_distance=max_distance, coverage=coverage,
                                  coverage_label=cov_label, crs=acrs, kinds=kinds, labels=labels, towgs84=towgs84)
    tid = project.townships_id() if project is not None else None
    if tid:
        towns = read_project_layer(project, tid)
        ctx.towns, _ = to_analysis_crs(towns, acrs, f"layer {tid}", towgs84=towgs84)
        spec = project.layers[tid]
        ctx.towns_input = ctx.record(spec.path, vintage=spec.date, source=spec.source, role="layer", layer=tid,
                                     kind="boundary", label=spec.label or "乡镇界")
    return ctx


def check_project(sites_path, project=None, *, layer_args=(), project_type: str | None = None,
                  max_distance: float = DEFAULT_MAX_DISTANCE, towgs84: tuple[float, ...] | None = None,
                  repair: bool = False, sites_crs=None, sites_encoding: str | None = None,
                  progress=None, checker=None) -> CheckRun:
    """Read the sites and the control layers of a project (or ``--layer KIND=PATH`` layers) and check.

    Parameters
    ----------
    sites_path : path
        A site file or a folder of them (see :func:`read_sites`).
    project : redline.layers.project.Project, optional
        Its control layers, boundary (coverage), analysis CRS and rules.
    layer_args : list of (kind, path)
        Layers for a quick check without a project; attributes mapped with each kind's default fields.
    checker : callable, optional
        ``checker(sites, prepared, project_type=, progress=) -> dict``, how the sites are checked against
        the prepared layers: :func:`check_prepared` by default; the dask engine passes its own
        (:func:`redline.spatial.dask_engine.check_prepared_dask`). A checker with an attribute ``read_and_check``
        may also read the sites itself: ``checker.read_and_check(sites_path, ctx, project_type=, towgs84=,
        repair=, encoding=, crs=, progress=)`` returns None (then the sites are read here) or
        ``(result, sites, files)``: the result with the sites' ``location`` and the warnings of reading
        them, the sites to draw in the report (the first ones suffice), and per site file the record
        :func:`redline.layers.outputs.file_record` makes (``path`` as :func:`read_sites` names the file,
        ``record``). The dask engine reads GeoParquet datasets on its workers this way
        (:func:`redline.spatial.dask_engine.read_and_check_dask`).

    Raises
    ------
    UsageError
        Neither a project nor layers, or both.
    InputError
        A layer the project names is missing or unreadable; a rule names a missing layer; bad sites.
    """
    project_type = resolve_type(project_type) if project_type is not None else None
    ctx = load_check_layers(project, layer_args=layer_args, max_distance=max_distance, towgs84=towgs84)
    prepared = ctx.prepared
    checker = checker or check_prepared
    reader = getattr(checker, "read_and_check", None)
    done = None
    if reader is not None:
        with _overlay_errors():
            done = reader(sites_path, ctx, project_type=project_type, towgs84=towgs84, repair=repair,
                          encoding=sites_encoding, crs=sites_crs, progress=progress)
    if done is not None:
        result, sites, files = done
        for f in files:   # hashed where the file was read
            ctx.records.setdefault(str(f["path"]), f["record"])
    else:
        sites = read_sites(sites_path, to_crs=prepared.crs, towgs84=towgs84, repair=repair,
                           encoding=sites_encoding, crs=sites_crs)
        files = layer_info(sites).files
        layer_info(sites).warnings += ctx.warnings
        with _overlay_errors():
            result = checker(sites, prepared, project_type=project_type, progress=progress)
    inputs = list(ctx.inputs)
    for f in files:
        inputs.insert(0, ctx.record(f["path"], vintage=None, source=None, role="sites"))
    if project is not None:
        result["project"] = project_block(project)
        if ctx.towns is not None:
            if done is None:
                for s, where in zip(result["sites"], locate(sites, ctx.towns), strict=True):
                    s["location"] = where
            inputs.append(ctx.towns_input)
    return CheckRun(result=result, sites=sites, layers=prepared.layers, kinds=prepared.kinds,
                    labels=prepared.labels, coverage=prepared.coverage, inputs=inputs, crs=prepared.crs,
                    project=project)


@contextlib.contextmanager
def _overlay_errors():
    """A GEOS error while checking → InputError saying what to do."""
    try:
        yield
    except shapely.errors.GEOSException as exc:
        raise InputError(f"geometry error during the overlay: {exc}; check the layers with `redline inspect` "
                         "and repair invalid geometries") from None


def project_block(project) -> dict:
    """The ``project`` block of a check result."""
    return {"name": project.name, "path": str(project.path) if project.path else None,
            "fictional": project.fictional, "region": {k: v for k, v in project.region.items()
                                                       if isinstance(v, (str, int, float, bool))}}


def locate(sites: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> list[str | None]:
    """Per site, the names of the areas (e.g. townships) it lies in, joined with 、 (one STRtree query)."""
    names = areas["name"].map(_text).to_numpy(dtype=object) if "name" in areas.columns else \
        np.full(len(areas), None, dtype=object)
    li, ri = shapely.STRtree(as_array(areas)).query(as_array(sites), predicate="intersects")
    out: list[list[str]] = [[] for _ in range(len(sites))]
    for i, j in zip(li.tolist(), ri.tolist(), strict=True):
        if names[j] and names[j] not in out[i]:
            out[i].append(names[j])
    return ["、".join(x) or None for x in out]


def _field_warnings(gdf: gpd.GeoDataFrame, lid: str, kind: str, fname: str, fields: dict, warns: list[str]) -> None:
    """Say when a kind's zone attribute found no field: the zone rules then cannot apply."""
    used = layer_info(gdf).fields or {}
    attr = ZONE_ATTRIBUTE.get(kind, "zone")
    if kind in ("protected_area", "protected_area_zone", "shoreline_zone", "water_source_zone", "control_unit") \
            and attr in used and used[attr] is None:
        hint = f" (the mapping {attr} = {fields[attr]!r} names no field of the layer)" if attr in fields else ""
        warns.append(f"layer {lid} ({fname}): no field for {attr}{hint}; rules by zone cannot be applied, so "
                     f"hits need review. Map it with fields = {{ {attr} = \"FIELD\" }} in [layers.{lid}]")
