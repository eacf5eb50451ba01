"""The audit of a whole project (:func:`audit_layers`): every check on every layer it applies to."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from redline.layers.errors import UsageError
from redline.layers.info import layer_info
from redline.layers.kinds import kind_label
from redline.layers.repair import REPAIR_NOTE_ZH, reason_zh
from redline.spatial.areas import method_description
from redline.spatial.audit.common import (
    CONTROL_LINES,
    PROTECTED_KINDS,
    _fmt_area,
    _same_crs,
    default_min_area_m2,
    default_tolerance_pct,
    feature_ids,
)
from redline.spatial.audit.figures import declared_area_check, stated_check
from redline.spatial.audit.geometry import (
    boundary_check,
    outside_boundary,
    overlap_check,
    protected_outside_check,
    self_overlap_check,
)
from redline.spatial.region import project_level
from redline.spatial.units import from_m2


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

