"""Figures against the geometry: declared areas recomputed, stated totals and shares, implied totals."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd

from redline.layers.errors import InputError, UsageError
from redline.layers.info import layer_info
from redline.spatial.areas import ellipsoidal_area, planar_area
from redline.spatial.audit.common import (
    _fmt_area,
    _valid_polygons,
    audit_rules,
    column_decimals,
    default_tolerance_pct,
    feature_ids,
)
from redline.spatial.units import UNITS, from_m2, parse_quantity_full, to_m2, unit_label


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


