"""The layer audit: declared areas against recomputed ones, stated figures, the three control lines,
protected-area zones outside the red line, and gaps and slivers against the county boundary.

Every check is a function of GeoDataFrames returning a plain dict, so each can be used (and tested) on
its own; :func:`audit_layers` runs them all on a project and collects the findings.

Example
-------
>>> import geopandas as gpd, shapely
>>> gdf = gpd.GeoDataFrame({"code": ["A", "B"], "area": [1.0, 2.5]},            # 公顷
...                        geometry=[shapely.box(37_500_000, 4_200_000, 37_500_100, 4_200_100),
...                                  shapely.box(37_500_000, 4_201_000, 37_500_100, 4_201_200)], crs=4525)
>>> r = declared_area_check(gdf)
>>> r["unit"], [f["id"] for f in r["off"]]    # B is 2 ha, declared 2.5
('ha', ['B'])
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from redline.layers.crs import datum_of
from redline.layers.errors import InputError, UsageError
from redline.layers.info import layer_info
from redline.layers.kinds import kind_label
from redline.layers.repair import REPAIR_NOTE_ZH, reason_zh, repair_array
from redline.spatial.areas import ellipsoidal_area, inverse_project, method_description, planar_area
from redline.spatial.overlay import as_array, dissolve, intersect_pairs, polygonal
from redline.spatial.region import project_level
from redline.spatial.units import UNITS, from_m2, parse_quantity_full, to_m2, unit_label

CONTROL_LINES = ("red_line", "urban_boundary", "basic_farmland")
PROTECTED_KINDS = ("protected_area", "protected_area_zone")


@cache
def audit_rules() -> dict:
    """The parsed ``spatial/data/audit.toml``."""
    with resources.files("redline.spatial").joinpath("data/audit.toml").open("rb") as f:
        return tomllib.load(f)


def default_tolerance_pct() -> float:
    return float(audit_rules()["tolerance"]["relative_pct"])


def default_min_area_m2() -> float:
    return float(audit_rules()["tolerance"]["min_area_m2"])


# ------------------------------------------------------------------------------------------------ helpers
def _valid_polygons(geoms) -> np.ndarray:
    """Polygonal geometries, invalid ones repaired the one way (:func:`redline.layers.repair.repair_array`;
    only for measuring and overlays)."""
    return polygonal(repair_array(as_array(geoms)))


def feature_ids(gdf: gpd.GeoDataFrame) -> tuple[list, list]:
    """``(ids, names)`` of a layer's features: the canonical ``code`` (else ``#row``, 0-based) and ``name``."""
    n = len(gdf)
    codes = gdf["code"] if "code" in gdf.columns else pd.Series([None] * n, index=gdf.index)
    names = gdf["name"] if "name" in gdf.columns else pd.Series([None] * n, index=gdf.index)
    ids = [c if isinstance(c, str) and c.strip() else (str(c) if c is not None and not pd.isna(c) else f"#{i}")
           for i, c in enumerate(codes)]
    names = [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in names]
    return ids, names


def _decimals(values: np.ndarray, most: int = 10) -> np.ndarray:
    """Decimals written in each value (the fewest that reproduce it): ``10.0978`` → 4, ``12.0`` → 0."""
    v = np.asarray(values, dtype=float)
    out = np.full(v.shape, most, dtype=int)
    scale = np.maximum(np.abs(v), 1.0)
    for d in range(most, -1, -1):
        exact = np.abs(np.round(v, d) - v) <= 1e-9 * scale
        out[exact] = d
    return out


def column_decimals(values: np.ndarray, usable: np.ndarray | None = None) -> np.ndarray:
    """Decimals each value of a column stands for: its own, or the column's most common, whichever is more.

    A column written with 4 decimals holds 1.0 for 1.0000 (a float does not keep trailing zeros), so
    such a value gets the column's precision.

    >>> column_decimals(np.array([10.0978, 12.5, 7.0, 3.1416])).tolist()
    [4, 4, 4, 4]
    """
    own = _decimals(values)
    use = np.isfinite(values) if usable is None else usable
    if not use.any():
        return own
    mode = int(np.bincount(own[use]).argmax())
    return np.maximum(own, mode)


def _lonlat(points: np.ndarray, crs) -> np.ndarray:
    """``(n, 2)`` longitude/latitude of points in ``crs`` (on its own datum), rounded to 6 decimals."""
    if len(points) == 0:
        return np.zeros((0, 2))
    xy = shapely.get_coordinates(points)
    lon, lat = inverse_project(xy[:, 0], xy[:, 1], crs)
    return np.round(np.column_stack([lon, lat]), 6)


def _pieces(geoms: np.ndarray, owner: np.ndarray, crs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split polygonal geometries into their parts: ``(parts, owner of each part, ellipsoidal m²)``."""
    geoms = polygonal(geoms)
    keep = ~shapely.is_empty(geoms)
    parts, idx = shapely.get_parts(geoms[keep], return_index=True)
    owner = np.asarray(owner)[keep][idx]
    return parts, owner, ellipsoidal_area(parts, crs)


def _same_crs(gdf: gpd.GeoDataFrame, crs, what: str, warnings: list[str]) -> gpd.GeoDataFrame | None:
    """``gdf`` in ``crs``: reprojected within one datum (with a warning); None across datums (never silent)."""
    if gdf.crs is None:
        warnings.append(f"{what}: no CRS, left out of the overlay checks")
        return None
    if gdf.crs.equals(crs):
        return gdf
    if datum_of(gdf.crs) != datum_of(crs):
        warnings.append(f"{what} is in {gdf.crs.name}, the analysis CRS is {crs.name}: different datums are "
                        "never converted silently; left out of the overlay checks")
        return None
    warnings.append(f"{what} is in {gdf.crs.name}; reprojected to {crs.name} for the overlay checks")
    return gdf.to_crs(crs)


def _fmt_area(m2: float) -> str:
    """An area for messages: 公顷 with 4 decimals and m² with 2."""
    return f"{m2 / 1e4:.4f} 公顷（{m2:.2f} m²）"


# -------------------------------------------------------------------------------------- declared areas
def infer_unit(ratios, candidates=None) -> tuple[str | None, int]:
    """The unit a declared-area field is in, from the ratios declared value ÷ computed area in m².

    Each feature votes for the unit that makes its declared value agree with its computed area within
    5 %; the unit with most votes wins (a field in 公顷 gives ratios of about 1e-4).

    Parameters
    ----------
    ratios : float or array of float
        Declared value ÷ computed area (m²) per feature.
    candidates : sequence of unit ids, optional
        Default from ``audit.toml`` (m², 公顷, 亩, 平方千米).

    Returns
    -------
    (unit id or None, votes)
        None when no feature agrees with any unit.

    >>> infer_unit([1.0e-4, 1.1e-4, 1.0e-4]), infer_unit(15e-4)[0], infer_unit(3.3e-3)[0]
    (('ha', 2), 'mu', None)
    """
    candidates = candidates or audit_rules()["declared_units"]["candidates"]
    r = np.atleast_1d(np.asarray(ratios, dtype=float))
    r = r[np.isfinite(r) & (r > 0)]
    if len(r) == 0:
        return None, 0
    votes = {u: int((np.abs(np.log(r * float(UNITS[u].factor))) <= math.log(1.05)).sum()) for u in candidates}
    best = max(candidates, key=lambda u: (votes[u], -abs(math.log(float(np.median(r)) * float(UNITS[u].factor)))))
    return (best if votes[best] else None), votes[best]


def _unit_from_name(field: str | None) -> str | None:
    if not field:
        return None
    up = field.upper()
    for uid, words in audit_rules()["declared_units"]["name_hints"].items():
        if any(w.upper() in up for w in words):
            return uid
    return None


def _hint(declared: float, unit: str, computed_m2: list[float], decimals: int, tol_rel: float) -> str | None:
    """Why a declared value may be off: a unit slip, or two digits transposed (against either computed area)."""
    computed_m2 = [c for c in computed_m2 if c is not None and math.isfinite(c) and c > 0]
    if not computed_m2 or not math.isfinite(declared):
        return None
    for u in audit_rules()["declared_units"]["candidates"]:
        if u != unit and abs(to_m2(declared, u) / computed_m2[0] - 1) <= tol_rel:
            return f"数值像是按{unit_label(u)}填写（字段单位为{unit_label(unit)}）"
    written = f"{declared:.{decimals}f}"
    for c in computed_m2:
        expected = f"{from_m2(c, unit):.{decimals}f}"
        if expected != written and sorted(ch for ch in expected if ch.isdigit()) == sorted(
                ch for ch in written if ch.isdigit()):
            return f"疑似数字错位（按计算应为 {expected}）"
    return None


def declared_area_check(gdf: gpd.GeoDataFrame, *, field: str = "area", tolerance: float | None = None,
                        unit: str | None = None) -> dict:
    """Declared areas of a layer against its planar and ellipsoidal areas.

    Parameters
    ----------
    gdf : GeoDataFrame
        A polygon layer with a declared-area column (the kind's canonical ``area``; ``code``/``name`` name
        the features).
    field : str
        The declared-area column.
    tolerance : float, optional
        Relative tolerance in percent (default 0.5, from ``audit.toml``); the rounding of each declared
        value is always allowed as well.
    unit : str, optional
        The field's unit (a :mod:`redline.spatial.units` id); default: inferred from the magnitudes.

    Returns
    -------
    dict
        ``field``, ``source_field``, ``features``, ``declared`` (features with a value), ``unit``,
        ``unit_label``, ``unit_source``, ``method`` ("planar", "ellipsoidal", "neither" or "undetermined"),
        ``match`` ("exact": within the values' rounding, "approximate": within the tolerance),
        ``matches`` (features matching each method within rounding), ``within_tolerance`` (features
        agreeing with each method within the tolerance), ``median_ratio`` (declared ÷
        computed, per method), ``tolerance_pct``, ``totals`` (m²), ``off`` (features off by more than the
        tolerance: ``row``, ``id``, ``name``, ``declared`` (and the ``decimals`` written), ``declared_m2``, ``planar_m2``,
        ``ellipsoidal_m2``, ``difference_m2``, ``difference_pct``, ``tolerance_m2``, ``hint``),
        ``missing`` (rows without a usable value) and ``warnings``.
    """
    tol_pct = default_tolerance_pct() if tolerance is None else float(tolerance)
    if tol_pct < 0:
        raise UsageError("the tolerance must be 0 % or more")
    warnings: list[str] = []
    meta = layer_info(gdf)
    source_field = (meta.fields or {}).get(field) or field
    if field not in gdf.columns:
        raise InputError(f"no declared-area field {field!r}", path=meta.path)
    if gdf.crs is None:
        raise InputError("the layer has no CRS: areas cannot be computed", path=meta.path)
    ids, names = feature_ids(gdf)
    geoms = _valid_polygons(gdf.geometry)
    declared = pd.to_numeric(gdf[field], errors="coerce").to_numpy(dtype=float)
    ell = ellipsoidal_area(geoms, gdf.crs)
    projected = not gdf.crs.is_geographic
    plan = planar_area(geoms) if projected else np.full(len(geoms), np.nan)
    if not projected:
        warnings.append("the layer is in longitude/latitude: only ellipsoidal areas are compared")
    usable = np.isfinite(declared) & (declared > 0) & (ell > 0)
    missing = [int(i) for i in np.flatnonzero(~usable)]
    if missing:
        raw = gdf[field]
        nonnum = int((raw.notna() & ~np.isfinite(declared)).sum())
        warnings.append(f"{len(missing)} feature(s) without a usable declared area (empty, zero, negative"
                        + (f", {nonnum} not a number" if nonnum else "") + ", or an empty geometry)")
    result = {"field": field, "source_field": source_field, "features": int(len(gdf)),
              "declared": int(usable.sum()), "unit": None, "unit_label": None, "unit_source": None,
              "method": "neither", "match": None, "matches": {"planar": 0, "ellipsoidal": 0},
              "within_tolerance": {"planar": 0, "ellipsoidal": 0},
              "median_ratio": {"planar": None, "ellipsoidal": None}, "tolerance_pct": tol_pct,
              "totals": {"declared_m2": None, "planar_m2": float(np.nansum(plan)) if projected else None,
                         "ellipsoidal_m2": float(ell.sum())},
              "off": [], "missing": missing[:1000], "warnings": warnings}
    if not usable.any():
        warnings.append("no declared values to compare")
        return result

    # the unit: by magnitude, unless given
    if unit is None:
        ratios = declared[usable] / ell[usable]
        unit, _ = infer_unit(ratios)
        result["unit_source"] = "magnitude"
        if unit is None:
            warnings.append(f"declared values match no area unit: their median is {float(np.median(ratios)):.6g} × the "
                            "ellipsoidal area in m²")
            result["unit_source"] = None
            return result
        named = _unit_from_name(source_field)
        if named and named != unit:
            warnings.append(f"the field name {source_field!r} suggests {unit_label(named)}, but the values "
                            f"are in {unit_label(unit)} by their magnitude")
    else:
        from redline.spatial.units import parse_unit

        unit = parse_unit(unit)
        result["unit_source"] = "given"
    factor = float(UNITS[unit].factor)
    result["unit"], result["unit_label"] = unit, unit_label(unit)
    d_m2 = declared * factor
    result["totals"]["declared_m2"] = float(d_m2[usable].sum())
    decs = column_decimals(declared, usable)
    half = 0.5 * 10.0 ** (-decs) * factor  # the rounding of each declared value, m²

    # which method the declared values were computed with
    u = usable
    near_p = np.abs(d_m2 - plan) <= half + 1e-9 * np.abs(plan) if projected else np.zeros(len(gdf), bool)
    near_e = np.abs(d_m2 - ell) <= half + 1e-9 * ell
    result["matches"] = {"planar": int((near_p & u).sum()), "ellipsoidal": int((near_e & u).sum())}
    med_p = float(np.median(d_m2[u] / plan[u])) if projected else None
    med_e = float(np.median(d_m2[u] / ell[u]))
    result["median_ratio"] = {"planar": med_p, "ellipsoidal": med_e}
    distinct = u & (np.abs(plan - ell) > 2 * half) if projected else np.zeros(len(gdf), bool)
    n_p, n_e, n_d = int((near_p & distinct).sum()), int((near_e & distinct).sum()), int(distinct.sum())
    # agreement within the tolerance (or the rounding), per method
    agree = {"ellipsoidal": int((u & (np.abs(d_m2 - ell) <= np.maximum(tol_pct / 100 * ell, half))).sum())}
    if projected:
        agree["planar"] = int((u & (np.abs(d_m2 - plan) <= np.maximum(tol_pct / 100 * plan, half))).sum())
    result["within_tolerance"] = agree
    best = max(agree, key=lambda m: (agree[m], m == "ellipsoidal"))
    n_u = int(u.sum())
    if projected and n_d == 0:
        # the methods differ by less than the values' rounding: only agreement can be told
        if 2 * agree[best] >= n_u:
            result["method"] = "undetermined"
            warnings.append("planar and ellipsoidal areas differ by less than the rounding of the declared "
                            "values: which method they were computed with cannot be told")
    elif projected and n_p != n_e and max(n_p, n_e) >= max(1.0, 0.2 * n_d):
        # at least a fifth of the features where the methods differ match one of them within rounding
        result["method"], result["match"] = ("planar" if n_p > n_e else "ellipsoidal"), "exact"
    elif not projected and result["matches"]["ellipsoidal"] >= max(1.0, 0.2 * n_u):
        result["method"], result["match"] = "ellipsoidal", "exact"
    elif 2 * agree[best] >= n_u:
        result["method"], result["match"] = best, "approximate"

    # features off by more than the tolerance, against the method matched (ellipsoidal otherwise)
    basis = plan if result["method"] == "planar" else ell
    tol_m2 = np.maximum(tol_pct / 100 * basis, half)
    diff = d_m2 - basis
    off = np.flatnonzero(u & (np.abs(diff) > tol_m2))
    for i in off:  # only the features reported
        result["off"].append({
            "row": int(i), "id": ids[i], "name": names[i], "declared": float(declared[i]), "decimals": int(decs[i]),
            "declared_m2": float(d_m2[i]), "planar_m2": None if not projected else float(plan[i]),
            "ellipsoidal_m2": float(ell[i]), "difference_m2": float(diff[i]),
            "difference_pct": float(100 * diff[i] / basis[i]), "tolerance_m2": float(tol_m2[i]),
            "hint": _hint(float(declared[i]), unit, [float(basis[i]), float(plan[i]), float(ell[i])], int(decs[i]),
                          max(tol_pct / 100, 0.005)),
        })
    return result


# -------------------------------------------------------------------------------------- stated figures
def parse_share(value) -> tuple[float, int]:
    """A stated share ``13.83``, ``"13.83"``, ``"13.83%"`` → ``(13.83, 2 decimals)``.

    >>> parse_share("13.80%"), parse_share(5.1)
    ((13.8, 2), (5.1, 1))
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = repr(float(value)) if not float(value).is_integer() else str(int(value))
    else:
        import unicodedata

        text = unicodedata.normalize("NFKC", str(value)).strip().rstrip("%").strip()
    try:
        share = float(text)
    except ValueError:
        raise UsageError(f"--stated-share {value!r}: not a percentage (write e.g. 13.83)") from None
    if not (0 < share <= 100):
        raise UsageError(f"--stated-share {value!r}: a share must be above 0 and at most 100 %")
    return share, (len(text.split(".")[1]) if "." in text else 0)


def implied_total(area_m2: float, share_pct: float, *, share_decimals: int = 2,
                  area_rounding_m2: float = 0.0) -> dict:
    """The total implied by an area and its share (area ÷ share), and the interval the roundings allow.

    A share written with 2 decimals stands for anything in ``[s − 0.005, s + 0.005]``, so the total lies
    in ``[(A − a) / (s + 0.005 %), (A + a) / (s − 0.005 %)]`` where ``a`` is the rounding of the area.

    >>> r = implied_total(28466.876e4, 13.83)
    >>> round(r["total_m2"] / 1e6, 3), round(r["low_m2"] / 1e6, 3), round(r["high_m2"] / 1e6, 3)
    (2058.342, 2057.599, 2059.087)
    """
    h = 0.5 * 10.0 ** (-share_decimals)
    low_share, high_share = share_pct + h, share_pct - h
    return {"total_m2": area_m2 / (share_pct / 100), "low_m2": (area_m2 - area_rounding_m2) / (low_share / 100),
            "high_m2": (area_m2 + area_rounding_m2) / (high_share / 100) if high_share > 0 else math.inf,
            "share_interval": [share_pct - h, share_pct + h]}


def stated_check(layer: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None, *, stated=None,
                 stated_share=None, tolerance: float | None = None, shares: dict | None = None) -> dict:
    """A layer's stated area and share (as written in a plan) against its computed ones.

    Parameters
    ----------
    layer, boundary : GeoDataFrame
        E.g. the red line and the county; the computed area is the dissolved layer clipped to the boundary
        (:func:`redline.spatial.shares.area_shares`), ellipsoidal.
    stated : str, optional
        The stated area as written, e.g. ``"28466.876公顷"``.
    stated_share : float or str, optional
        The stated share of the boundary in percent, e.g. ``13.83``.
    tolerance : float, optional
        Percent allowed between stated and computed areas beyond the stated value's rounding.
    shares : dict, optional
        :func:`redline.spatial.shares.area_shares` of ``layer`` in ``boundary``, when already computed.

    Returns
    -------
    dict
        ``computed`` (``area_m2``, ``share_pct``, ``boundary_m2``, ``overlap_removed_m2``,
        ``outside_boundary_m2``), ``area`` (stated vs computed), ``share`` (stated interval vs computed),
        ``implied_total`` (with the boundary's area), ``findings`` (kind, message), ``warnings``.
    """
    from redline.spatial.shares import area_shares

    tol_pct = default_tolerance_pct() if tolerance is None else float(tolerance)
    shares = area_shares(layer, boundary) if shares is None else shares
    out: dict = {"computed": {"area_m2": shares["total_m2"], "share_pct": shares["share_pct"],
                              "boundary_m2": shares["boundary_m2"],
                              "overlap_removed_m2": shares["overlap_removed_m2"],
                              "outside_boundary_m2": shares["outside_boundary_m2"]},
                 "area": None, "share": None, "implied_total": None, "findings": [],
                 "warnings": list(shares["warnings"])}
    computed = shares["total_m2"]
    area_m2 = rounding = None
    if stated is not None:
        try:
            q = parse_quantity_full(stated)
        except InputError as exc:
            raise UsageError(f"--stated {stated!r}: {exc.reason} (write e.g. 28466.876公顷)") from None
        if q.unit == "%" or UNITS[q.unit].measure != "area":
            raise UsageError(f"--stated {stated!r}: not an area (write e.g. 28466.876公顷)")
        area_m2 = to_m2(q.value, q.unit)
        rounding = to_m2(0.5 * 10.0 ** (-q.decimals), q.unit)
        diff = area_m2 - computed
        allowed = max(rounding, tol_pct / 100 * computed)
        ok = abs(diff) <= allowed
        out["area"] = {"text": str(stated), "value": q.value, "unit": q.unit, "unit_label": unit_label(q.unit),
                       "decimals": q.decimals, "qualifier": q.qualifier, "stated_m2": area_m2,
                       "rounding_m2": rounding, "computed_m2": computed, "difference_m2": diff,
                       "difference_pct": 100 * diff / computed if computed else None, "allowed_m2": allowed,
                       "consistent": bool(ok)}
        if not ok:
            out["findings"].append({"kind": "stated_area", "message":
                f"陈述面积 {stated} 与计算面积 {_fmt_area(computed)} 相差 {diff / 1e4:+.4f} 公顷"
                f"（{100 * diff / computed:+.3f}%），超出容差"})
    if stated_share is not None:
        share, decs = parse_share(stated_share)
        h = 0.5 * 10.0 ** (-decs)
        comp = shares["share_pct"]
        ok = comp is not None and share - h <= comp <= share + h
        out["share"] = {"stated_pct": share, "decimals": decs, "interval": [share - h, share + h],
                        "computed_pct": comp, "consistent": bool(ok) if comp is not None else None}
        if comp is None:
            out["warnings"].append("no boundary: the computed share is unknown")
        elif not ok:
            out["findings"].append({"kind": "stated_share", "message":
                f"陈述占比 {share:.{decs}f}% 与计算占比 {comp:.4f}% 不符（{decs} 位小数允许 "
                f"{share - h:.{decs + 1}f}%–{share + h:.{decs + 1}f}%）"})
        if area_m2 is not None:
            imp = implied_total(area_m2, share, share_decimals=decs, area_rounding_m2=rounding)
            bm2 = shares["boundary_m2"]
            imp["boundary_m2"] = bm2
            imp["consistent"] = None if bm2 is None else bool(imp["low_m2"] <= bm2 <= imp["high_m2"])
            out["implied_total"] = imp
            if imp["consistent"] is False:
                out["findings"].append({"kind": "implied_total", "message":
                    f"由陈述面积和占比推算的总面积 {imp['total_m2'] / 1e6:.3f} 平方千米（允许 "
                    f"{imp['low_m2'] / 1e6:.3f}–{imp['high_m2'] / 1e6:.3f}）与边界面积 {bm2 / 1e6:.3f} 平方千米不符"})
    return out


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


# ------------------------------------------------------------------------------------------- the audit
def _finding(kind: str, layer: str | None, feature, message: str, **extra) -> dict:
    return {"kind": kind, "layer": layer, "feature": feature, "message": message, **extra}


def _declared_findings(lid: str, label: str, r: dict) -> list[dict]:
    out = []
    if r["unit"] is None and r["declared"]:
        out.append(_finding("declared_unit", lid, None,
                            f"{label}：面积字段 {r['source_field']} 的数值与任何面积单位都对不上"))
    for f in r["off"]:
        name = f"（{f['name']}）" if f["name"] else ""
        msg = (f"{label} {f['id']}{name}：填报面积 {f['declared']:.{f['decimals']}f} {r['unit_label']}，计算面积 "
               f"{from_m2(f['planar_m2'] if r['method'] == 'planar' else f['ellipsoidal_m2'], r['unit']):.4f} "
               f"{r['unit_label']}（{'平面' if r['method'] == 'planar' else '椭球'}），相差 {f['difference_pct']:+.2f}%")
        if f["hint"]:
            msg += f"；{f['hint']}"
        out.append(_finding("declared_area", lid, f["id"], msg, area_m2=f["difference_m2"]))
    return out


def _concat(frames: list[tuple[str, gpd.GeoDataFrame]], crs) -> gpd.GeoDataFrame:
    parts = []
    for lid, g in frames:
        g = g[[c for c in ("code", "name", "zone") if c in g.columns] + [g.geometry.name]].copy()
        g["layer"] = lid
        parts.append(g.rename_geometry("geometry") if g.geometry.name != "geometry" else g)
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)
    return out


def audit_layers(project, *, stated=None, stated_share=None, stated_layer: str | None = None,
                 tolerance: float | None = None, min_area_m2: float | None = None) -> dict:
    """Audit a project's layers (see the module docstring).

    Parameters
    ----------
    project : redline.layers.project.Project
    stated : str, optional
        A stated area of ``stated_layer`` as written, e.g. ``"28466.876公顷"``.
    stated_share : float or str, optional
        Its stated share of the boundary in percent, e.g. ``13.83``.
    stated_layer : str, optional
        Layer id (or kind) the stated figures are about; default the red line.
    tolerance : float, optional
        Relative tolerance in percent for declared and stated areas (default 0.5).
    min_area_m2 : float, optional
        Overlaps, gaps and slivers smaller than this are counted but are not findings (default 1 m²).

    Returns
    -------
    dict
        ``project``, ``method``, ``declared_areas``, ``totals`` (per control layer: dissolved area clipped
        to the boundary, overlap removed, outside the boundary, share), ``stated``, ``overlaps``, ``self_overlaps``,
        ``protected_outside_red_line``, ``boundary``, ``findings`` (``kind``, ``layer``, ``feature``,
        ``message``), ``invalid``, ``inputs`` (layer files with vintage and source), ``warnings``.
    """
    from redline.layers.readers import read_project_layer

    tol = default_tolerance_pct() if tolerance is None else float(tolerance)
    min_area = default_min_area_m2() if min_area_m2 is None else float(min_area_m2)
    if min_area < 0:
        raise UsageError("--min-area must be 0 or more")
    warnings: list[str] = []
    findings: list[dict] = []
    layers: dict[str, gpd.GeoDataFrame] = {}
    invalid: list[dict] = []
    inputs: list[dict] = []

    def get(lid: str) -> gpd.GeoDataFrame:
        if lid not in layers:
            spec = project.spec(lid)
            gdf = read_project_layer(project, spec.id, repair=True)   # repaired the one way, and said
            meta = layer_info(gdf)
            for w in meta.warnings:
                warnings.append(f"{spec.id}: {w}")
            if (meta.invalid or {}).get("count"):
                inv = meta.invalid
                ids, _ = feature_ids(gdf)
                invalid.append({"layer": spec.id, "count": inv["count"], "reasons": inv["reasons"],
                                "features": [ids[i] for i in inv["features"]]})
                reasons = {it["feature"]: it["reason"] for it in inv.get("items", [])}
                for i in inv["features"]:
                    findings.append(_finding("invalid_geometry", spec.id, ids[i],
                                             f"{spec.label or spec.id} {ids[i]}：几何图形无效（{reason_zh(reasons.get(i, ''))}），"
                                             f"已{REPAIR_NOTE_ZH}后参与计算"))
            inputs.append({"layer": spec.id, "path": str(spec.path), "vintage": spec.date, "source": spec.source})
            layers[spec.id] = gdf
        return layers[lid]

    def label(lid: str) -> str:
        spec = project.layers[lid]
        return spec.label or kind_label(spec.kind)

    def of_kind(kinds) -> list[str]:
        return [lid for lid, s in project.layers.items() if s.kind in kinds]

    # the analysis CRS: the boundary's, else the region's, else the red line's
    bid = project.boundary_id()
    county = get(bid) if bid else None
    crs = county.crs if county is not None else None
    if crs is None and project.region.get("crs"):
        from redline.layers.crs import parse_crs

        crs = parse_crs(project.region["crs"])
    if bid is None:
        warnings.append("the project has no boundary layer: shares, gaps and slivers are not checked")

    # 1. declared areas: every polygon layer whose kind has an area field found in the data
    declared = []
    for lid, spec in project.layers.items():
        if spec.kind in ("road", "river", "town", "site"):
            continue
        gdf = get(lid)
        used = (layer_info(gdf).fields or {}).get("area")
        if not used or not gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).any():
            continue
        r = declared_area_check(gdf, tolerance=tol)
        r.update({"layer": lid, "kind": spec.kind, "label": label(lid)})
        r["warnings"] = [f"{lid}: {w}" for w in r["warnings"]]
        warnings += r["warnings"]
        declared.append(r)
        findings += _declared_findings(lid, label(lid), r)

    # 2. layer totals (dissolved, clipped to the boundary) and shares of the control layers
    from redline.spatial.shares import area_shares

    shares: dict[str, dict] = {}
    totals = []
    for lid in [*of_kind(CONTROL_LINES), *of_kind(PROTECTED_KINDS)]:
        gdf = get(lid)
        if not gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all() or gdf.crs is None:
            continue
        sh = shares[lid] = area_shares(gdf, county)
        warnings.extend(f"{lid}: {w}" for w in sh["warnings"])
        totals.append({"layer": lid, "kind": project.layers[lid].kind, "label": label(lid),
                       "features": sh["features"], "sum_of_features_m2": sh["sum_of_features_m2"],
                       "overlap_removed_m2": sh["overlap_removed_m2"],
                       "outside_boundary_m2": sh["outside_boundary_m2"], "total_m2": sh["total_m2"],
                       "boundary_m2": sh["boundary_m2"], "share_pct": sh["share_pct"]})

    # 3. stated figures
    stated_result = None
    if stated is not None or stated_share is not None:
        ref = stated_layer or next(iter(of_kind(("red_line",))), None)
        if ref is None:
            raise UsageError("--stated: the project has no red-line layer; name the layer with --stated-layer")
        lid = project.spec(ref).id
        if county is None and stated_share is not None:
            raise UsageError("--stated-share needs a boundary layer in the project ([region] boundary)")
        stated_result = stated_check(get(lid), county, stated=stated, stated_share=stated_share, tolerance=tol,
                                     shares=shares.get(lid))
        stated_result["layer"], stated_result["label"] = lid, label(lid)
        warnings += [f"{lid}: {w}" for w in stated_result.pop("warnings")]
        for f in stated_result.pop("findings"):
            findings.append(_finding(f["kind"], lid, None, f"{label(lid)}：{f['message']}"))

    # 4. the three control lines: overlaps between them and within each
    lines: dict[str, gpd.GeoDataFrame] = {}
    for kind in CONTROL_LINES:
        ids = of_kind((kind,))
        if not ids:
            warnings.append(f"no {kind_label(kind)} layer ({kind}) in the project: its overlaps are not checked")
            continue
        ref_crs = crs or get(ids[0]).crs
        frames = [(lid, g) for lid in ids if (g := _same_crs(get(lid), ref_crs, lid, warnings)) is not None]
        if frames:
            lines[kind] = frames[0][1] if len(frames) == 1 else _concat(frames, ref_crs)
            crs = crs or ref_crs
    overlaps = []
    for ka, kb in (("red_line", "urban_boundary"), ("red_line", "basic_farmland"),
                   ("urban_boundary", "basic_farmland")):
        if ka not in lines or kb not in lines:
            continue
        r = overlap_check(lines[ka], lines[kb], min_area_m2=min_area)
        la, lb = kind_label(ka), kind_label(kb)
        overlaps.append({"a": ka, "b": kb, "a_label": la, "b_label": lb, **r})
        for p in r["pairs"]:
            findings.append(_finding(
                "control_line_overlap", f"{ka}×{kb}", f"{p['a_id']}×{p['b_id']}",
                f"{la} {p['a_id']}{'（' + p['a_name'] + '）' if p['a_name'] else ''} 与{lb} {p['b_id']}"
                f"{'（' + p['b_name'] + '）' if p['b_name'] else ''} 重叠 {_fmt_area(p['area_m2'])}，"
                f"位于东经 {p['lon']:.5f}°、北纬 {p['lat']:.5f}°", area_m2=p["area_m2"]))
    self_overlaps = []
    for kind, g in lines.items():
        r = self_overlap_check(g, min_area_m2=min_area)
        self_overlaps.append({"kind": kind, "label": kind_label(kind), **r})
        for p in r["pairs"]:
            findings.append(_finding(
                "self_overlap", kind, f"{p['a_id']}×{p['b_id']}",
                f"{kind_label(kind)}图斑 {p['a_id']} 与 {p['b_id']} 相互重叠 {_fmt_area(p['area_m2'])}"
                "（求和时会重复计算）", area_m2=p["area_m2"]))

    # 5. protected-area zones outside the red line
    protected = None
    pids = of_kind(PROTECTED_KINDS)
    if pids and "red_line" in lines:
        feats, out_m2, req_m2, rule = [], 0.0, 0.0, None
        for lid in pids:
            g = _same_crs(get(lid), lines["red_line"].crs, lid, warnings)
            if g is None:
                continue
            r = protected_outside_check(g, lines["red_line"], min_area_m2=min_area)
            rule = r["rule"]
            out_m2 += r["outside_m2"]
            req_m2 += r["required_outside_m2"]
            for f in r["features"]:
                f["layer"] = lid
                feats.append(f)
                if f["must_be_inside"] and f["outside_m2"] > 0:
                    findings.append(_finding(
                        "protected_outside_red_line", lid, f["id"],
                        f"{label(lid)} {f['id']}（{f['name'] or ''}{f['zone'] or ''}）有 {_fmt_area(f['outside_m2'])}"
                        f"（{f['outside_pct']:.2f}%）在生态保护红线外；{f['zone']}应划入红线",
                        area_m2=f["outside_m2"]))
        protected = {"features": feats, "outside_m2": out_m2, "required_outside_m2": req_m2, "rule": rule}
    elif not pids:
        warnings.append("no protected-area layer in the project: zones outside the red line are not checked")

    # 6. the boundary: township gaps and slivers, control layers outside the county (named at the region's level)
    lv = project_level(project)
    boundary = None
    if county is not None:
        boundary = {"county": bid, "townships": project.townships_id(), "gaps": [], "slivers": [],
                    "small": {"count": 0, "area_m2": 0.0}, "layers_outside": []}
        tid = project.townships_id()
        if tid:
            towns = _same_crs(get(tid), county.crs, tid, warnings)
            if towns is not None:
                boundary.update(boundary_check(county, towns, min_area_m2=min_area))
                for g in boundary["gaps"]:
                    findings.append(_finding(
                        "boundary_gap", tid, None,
                        f"{lv.boundary_short}内有 {_fmt_area(g['area_m2'])} 不属于任何{lv.sub_unit}（缝隙），位于东经 "
                        f"{g['lon']:.5f}°、北纬 "
                        f"{g['lat']:.5f}°，邻近 {'、'.join(g['townships']) or '—'}", area_m2=g["area_m2"]))
                for s in boundary["slivers"]:
                    what = (f"超出{lv.boundary_short}" if s["kind"] == "outside_county" else f"{lv.sub_unit}之间重叠")
                    findings.append(_finding(
                        "boundary_sliver", tid, "×".join(s["townships"]),
                        f"{'、'.join(s['townships'])}：{what} {_fmt_area(s['area_m2'])}，位于东经 {s['lon']:.5f}°、"
                        f"北纬 {s['lat']:.5f}°", area_m2=s["area_m2"]))
        else:
            warnings.append("the project names no township layer ([region] townships): gaps are not checked")
        for lid in [*of_kind(CONTROL_LINES), *pids]:
            g = _same_crs(get(lid), county.crs, lid, warnings)
            if g is None:
                continue
            r = outside_boundary(g, county, min_area_m2=min_area)
            if r["features"]:
                boundary["layers_outside"].append({"layer": lid, "label": label(lid), **r})
                for f in r["features"]:
                    findings.append(_finding("outside_county", lid, f["id"],
                                             f"{label(lid)} {f['id']} 有 {_fmt_area(f['area_m2'])} 在{lv.boundary_short}外",
                                             area_m2=f["area_m2"]))

    # dedupe warnings, keep order
    warnings = list(dict.fromkeys(warnings))
    return {"project": {"name": project.name, "path": str(project.path) if project.path else None,
                        "fictional": project.fictional},
            "method": method_description(crs) if crs is not None else None,
            "tolerance_pct": tol, "min_area_m2": min_area,
            "declared_areas": declared, "totals": totals, "stated": stated_result, "overlaps": overlaps,
            "self_overlaps": self_overlaps, "protected_outside_red_line": protected, "boundary": boundary,
            "invalid": invalid, "findings": findings, "inputs": inputs, "warnings": warnings,
            "region": region_words(lv)}


def region_words(lv) -> dict:
    """The words of a region's level an audit report uses (县界, 乡镇, 占全县 …)."""
    return {"level": lv.level, "unit": lv.unit, "whole": lv.whole, "boundary": lv.boundary_short,
            "sub": lv.sub_unit, "sub_boundary": lv.sub_short, "share": lv.share}


__all__ = ["audit_layers", "declared_area_check", "infer_unit", "stated_check", "implied_total", "parse_share",
           "overlap_check", "self_overlap_check", "protected_outside_check", "boundary_check", "outside_boundary",
           "feature_ids"]
