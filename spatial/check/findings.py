"""Findings and verdicts of a site check: which rule applies to each site, with its clause.

The rules of :mod:`redline.spatial.rules` give findings, each citing its rule and clause, and the findings
a verdict (:func:`verdict_of`): any ``prohibited`` finding → 不符合; else a site not wholly inside the data's
coverage → 无法判定 (absence of data is not compliance, and the uncovered part could hold anything); else any
``needs_review`` → 需论证; else 符合.

Numbers in messages are formatted as officers expect: 公顷 with 4 decimals, m² and metres with 2, % with 2.

Example
-------
>>> verdict_of([{"level": "needs_review"}, {"level": "allowed"}])
'需论证'
>>> fmt_ha(12345.6), fmt_pct(None)
('1.2346', '—')
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from redline.layers.columns import text_value, text_values
from redline.spatial.check.kernel import (
    MIN_OVERLAP_M,
    MIN_OVERLAP_M2,
    LayerResult,
    dissolved_measure,
)
from redline.spatial.overlay import as_array
from redline.spatial.rules import Rule, format_message, project_types, resolve_type, type_label

VERDICTS = ("符合", "不符合", "需论证", "无法判定")
CORE_LAYERS = {  # the core control layers a site check is expected to cover, and the kinds that hold them
    "生态保护红线": ("red_line",),
    "永久基本农田": ("basic_farmland",),
    "城镇开发边界": ("urban_boundary",),
    "自然保护地": ("protected_area", "protected_area_zone"),
}
ZONE_ATTRIBUTE = {"control_unit": "unit_class"}
LEVEL_ORDER = {"prohibited": 0, "no_data": 1, "needs_review": 2, "allowed": 3, "info": 4}


# ------------------------------------------------------------------------------------------- formatting
def fmt_ha(m2: float) -> str:
    """Square metres as 公顷 with 4 decimals: ``fmt_ha(12345.6)`` → ``'1.2346'``."""
    return f"{m2 / 10_000:.4f}"


def fmt_m2(m2: float) -> str:
    return f"{m2:.2f}"


def fmt_pct(p: float | None) -> str:
    return "—" if p is None or not math.isfinite(p) else f"{p:.2f}"


def fmt_m(m: float | None) -> str:
    return "—" if m is None or not math.isfinite(m) else f"{m:.2f}"


def floats(a: np.ndarray) -> list:
    """Python floats, NaN as None (one pass over an array, not one call per value)."""
    return [None if v != v else v for v in np.asarray(a, dtype=float).tolist()]


@dataclass
class LayerView:
    """One layer's results for the per-site rules, attributes cleaned once per touched feature;
    ``starts[s]:ends[s]`` are site ``s``'s hits. The per-hit and per-site columns stay arrays (a site's few
    values are read as Python numbers when its findings are worked out: a million point sites alike in a few
    thousand ways need no million-item lists)."""

    res: LayerResult
    fdim: int
    attrs: dict                 # attribute → {feature: text or None}
    ids: dict                   # feature → feature id
    zones: dict | None
    feature: np.ndarray
    pieces: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


def layer_view(res: LayerResult, n: int, sites: np.ndarray | None = None) -> LayerView:
    """The :class:`LayerView` of one layer's results over ``n`` sites; the attributes of the features hit by
    ``sites`` only, when given (the sites whose findings are worked out: a chunk of 50,000 points touches
    25,000 units, of which a few hundred are new combinations)."""
    hit = res.feature if sites is None else res.feature[np.isin(res.site, sites)]
    needed = np.unique(hit).tolist()
    attrs = {a: {f: text_value(arr[f]) for f in needed} for a, arr in res.attrs.items()}
    zone_attr = ZONE_ATTRIBUTE.get(res.kind, "zone")
    return LayerView(
        res=res, fdim=int(shapely.get_dimensions(as_array(res.gdf)).max()) if len(res.gdf) else 2,
        attrs=attrs, ids={f: str(res.feature_ids[f]) for f in needed}, zones=attrs.get(zone_attr),
        feature=res.feature, pieces=res.pieces, starts=np.searchsorted(res.site, np.arange(n)),
        ends=np.searchsorted(res.site, np.arange(n), side="right"))


def object_array(values) -> np.ndarray:
    """A one-dimensional object array of ``values`` (a list of lists stays one dimension).

    >>> object_array([[1, 2], None, "甲"]).tolist()
    [[1, 2], None, '甲']
    """
    items = values.tolist() if isinstance(values, np.ndarray) else values
    return np.fromiter(items, dtype=object, count=len(items))


# -------------------------------------------------------------------------------------- site metrics
def site_types(sites: gpd.GeoDataFrame, project_type: str | None) -> tuple[list, list, list]:
    """Per site: type id (or None), where it came from, and a warning for an unrecognised value."""
    if project_type is not None:
        t = resolve_type(project_type)
        return [t] * len(sites), ["--type"] * len(sites), [None] * len(sites)
    raw = text_values(sites["type"]) if "type" in sites.columns else np.full(len(sites), None, dtype=object)
    fields = sites["_type_field"].to_numpy(dtype=object) if "_type_field" in sites.columns else \
        np.full(len(sites), None)
    # each distinct (value, field) worked out once: a few distinct values
    value_codes = pd.factorize(pd.Series(raw, dtype=object), use_na_sentinel=False)[0]
    field_codes = pd.factorize(pd.Series(fields, dtype=object), use_na_sentinel=False)[0]
    group, _ = pd.factorize(value_codes * (int(field_codes.max(initial=0)) + 1) + field_codes)
    first = np.zeros(int(group.max(initial=-1)) + 1, np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]          # each group's first row
    seen = []
    for text, fld in zip(raw[first].tolist(), fields[first].tolist(), strict=True):
        t = resolve_type(text, strict=False)
        where = f"属性字段 {fld}" if text_value(fld) else "属性"
        if t is not None:
            seen.append((t, f"{where}（“{text}”）", None))
        elif text is None:
            seen.append((None, "未指定", None))
        else:
            seen.append((None, f"{where}（“{text}”，无法识别）",
                         f"project type {text!r} ({where}) is not a known project type; give the type with --type"))
    types, sources, warns = ([object_array([v[k] for v in seen])[group].tolist() for k in range(3)]
                             if seen else ([], [], []))
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


def finding(rule, message_values: dict, clause: str | None = None, **extra) -> dict:
    return {"rule": rule.id, "title": rule.title, "level": rule.level, "clause": clause or rule.clause,
            "message": format_message(rule.message, message_values), "source": rule.source, **extra}



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


def unchecked_core(kinds) -> list[str]:
    """The core control layers (生态保护红线, 永久基本农田, 城镇开发边界, 自然保护地) that no layer of the
    check holds, by their Chinese names.

    >>> unchecked_core(["red_line", "protected_area_zone"])
    ['永久基本农田', '城镇开发边界']
    """
    have = set(kinds)
    return [label for label, ks in CORE_LAYERS.items() if not have & set(ks)]


def verdict_text(verdict: str, unchecked: list[str]) -> str:
    """The verdict as a report states it: with the core layers that were not checked.

    >>> verdict_text("符合", ["永久基本农田"]), verdict_text("不符合", [])
    ('符合（未核查：永久基本农田）', '不符合')
    """
    return f"{verdict}（未核查：{'、'.join(unchecked)}）" if unchecked else verdict


def coverage_finding(sdim: int, out_m2: float, out_len: float, area, length, cov_label: str) -> dict:
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
    return {"rule": "coverage.outside", "title": "项目用地超出数据覆盖范围", "level": "no_data",
            "clause": f"数据覆盖范围：{cov_label}。缺少数据不等于符合管控要求，覆盖范围外的部分须补充数据后再行判定",
            "message": msg, "source": "spatial/check/findings.py"}


def compact_titles(titles: list[str]) -> list[str]:
    """Rule titles, the numbered items of one list merged: ``…有限人为活动第1项（…）`` … ``第10项（…）`` →
    ``…有限人为活动第1～10项``.

    >>> compact_titles(["禁止甲", "活动第1项（巡护）", "活动第2项（种植）", "活动第3项（考古）", "活动第5项（旅游）"])
    ['禁止甲', '活动第1～3、5项']
    """
    out: list = []
    groups: dict[str, list[int]] = {}
    for t in dict.fromkeys(titles):
        m = re.match(r"^(.*)第(\d+)项（.*）$", t)
        if m:
            if m.group(1) not in groups:
                groups[m.group(1)] = []
                out.append(m.group(1))
            groups[m.group(1)].append(int(m.group(2)))
        else:
            out.append(t)
    result = []
    for t in out:
        if t not in groups:
            result.append(t)
            continue
        nums = sorted(set(groups[t]))
        runs, start = [], nums[0]
        for a, b in zip(nums, nums[1:] + [None], strict=True):
            if b != a + 1:
                runs.append(f"{start}～{a}" if a - start >= 2 else "、".join(map(str, range(start, a + 1))))
                start = b
        result.append(f"{t}第{'、'.join(runs)}项")
    return result


def type_finding(skipped: list) -> dict:
    """The finding of a site whose project type is unknown: the rules (by title) that depend on it."""
    title = "项目类型未明确"
    if skipped:
        titles = "；".join(f"“{t}”" for t in compact_titles([r.title for r in skipped]))
        return {"rule": "project_type.unknown", "title": title, "level": "needs_review",
                "clause": "项目类型（建设内容）决定适用的管控条款：" + titles,
                "message": "未明确项目类型（建设内容），无法判断下列与项目类型有关的条款是否适用：" + titles
                           + "。须明确项目类型后重新核查。", "source": "spatial/check/findings.py"}
    return {"rule": "project_type.unknown", "title": title, "level": "info", "clause": "项目类型决定适用的管控条款",
            "message": "未明确项目类型；本项目的压覆情况不涉及与项目类型有关的条款。", "source": "spatial/check/findings.py"}


def _names(v: LayerView, feats: list, unit: str = "个图斑") -> str:
    names = v.attrs.get("name", {})
    uniq = list(dict.fromkeys(names.get(f) or v.ids[f] for f in feats))
    if not uniq:
        return ""
    if len(uniq) <= 3:
        return "（" + "、".join(uniq) + "）"
    return "（" + "、".join(uniq[:3]) + f"等{len(uniq)}{unit}）"


def _applicable(kind_rules: list[Rule], zones: tuple, site_type, fattrs: tuple = ()) -> tuple[list, list]:
    """The inside rules that apply to a site touching features of ``zones`` (with the indices they match),
    and the rules skipped because the type is unknown; ``fattrs`` the features' attributes (a dict each) for
    the rules that concern some features only."""
    apply, skipped = [], []
    for rule in kind_rules:
        if rule.applies != "inside":
            continue
        match = [i for i, z in enumerate(zones) if rule.matches_zone(z)
                 and (not rule.feature_contains or rule.matches_feature(fattrs[i]))]
        if not match:
            continue
        concern = rule.concerns(site_type)
        if concern is None:
            skipped.append(rule)
        elif concern:
            apply.append((rule, match))
    return apply, skipped


def zone_findings(entry: dict, v: LayerView, kind_rules: list[Rule], s: int, a: int, b: int, sdim: int, site_type,
                   area, length, cache: dict, uncovered: tuple[float, float, bool] = (0.0, 0.0, False)) -> None:
    """Findings of the zone rules of one layer for one site.

    ``uncovered``: the site's area and length outside the data's coverage, and whether it lies wholly
    outside: a rule on the part *outside a zone* applies only where there is data to say so."""
    res = v.res
    touched = b > a
    out_m2, out_len, whole_out = uncovered
    if "_outside" not in cache:      # the layer's outside rules, worked out once
        cache["_outside"] = [r for r in kind_rules if r.applies == "outside"]
    ov_m2, ov_len, ov_pct = float(res.ov_m2[s]), float(res.ov_len[s]), float(res.pct[s])
    for rule in () if whole_out else cache["_outside"]:
        partial = out_m2 > MIN_OVERLAP_M2 if sdim == 2 else out_len > MIN_OVERLAP_M
        if sdim == 2:
            rest = max(area - ov_m2 - out_m2, 0.0)
            out_here = rest > MIN_OVERLAP_M2
            ext = "全部" if not touched and not partial else f"有{fmt_ha(rest)}公顷（占{fmt_pct(100 * rest / area)}%）"
        elif sdim == 1:
            rest = max(length - ov_len - out_len, 0.0)
            out_here = rest > MIN_OVERLAP_M
            ext = "全部" if not touched and not partial else f"有{fmt_m(rest)}米（占{fmt_pct(100 * rest / length)}%）"
        else:
            out_here, ext = not touched, ""
        if not out_here:
            continue
        concern = rule.concerns(site_type)
        if concern is None:
            entry["skipped"].append(rule)
        elif concern:
            entry["findings"].append(finding(rule, {"layer": res.label, "extent": ext, "features": "", "zone": "",
                                                     "type_label": type_label(site_type)},
                                              layer=res.id, kind=res.kind, features=[]))
    if not touched:
        return
    feats = v.feature[a:b].tolist()
    zones = tuple([v.zones[f] for f in feats]) if v.zones is not None else (None,) * len(feats)
    if "_wanted" not in cache:       # the same for every site of the layer: worked out once
        cache["_wanted"] = sorted({at for r in kind_rules for at, _ in r.feature_contains})
    wanted = cache["_wanted"]
    fattrs = tuple({at: v.attrs.get(at, {}).get(f) for at in wanted} for f in feats) if wanted else ()
    key = (zones, site_type, tuple(tuple(d.values()) for d in fattrs))
    if key not in cache:
        cache[key] = _applicable(kind_rules, zones, site_type, fattrs)
    apply, skipped = cache[key]
    entry["skipped"] += skipped
    if ("_type", site_type) not in cache:
        cache[("_type", site_type)] = (type_label(site_type), _activity(site_type))
    tlabel, activity = cache[("_type", site_type)]
    unit = "个单元" if res.kind == "control_unit" else "个图斑"
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
                m2, ln, pct = ov_m2, ov_len, ov_pct
            else:
                ks = np.array([a + i for i in idx])
                if res.self_overlap[s] and len(idx) > 1:
                    m2, ln = dissolved_measure(res.site_geoms[s], sdim, res.geoms[ks],
                                               as_array(res.gdf)[res.feature[ks]], res.gdf.crs)
                else:
                    m2, ln = float(res.m2[ks].sum()), float(res.length[ks].sum())
                pct = 100 * m2 / area if sdim == 2 else (100 * ln / length if sdim == 1 else 100.0)
            zones_here = list(dict.fromkeys(zones[i] for i in idx if zones[i]))
            crossings = sum(int(v.pieces[a + i]) for i in idx) if sdim == 1 and v.fdim == 1 else 0
            vals = {"layer": res.label, "features": _names(v, fsel, unit),
                    "zone": "、".join(zones_here) or "未分区",
                    "extent": _extent(sdim, v.fdim, m2, ln, pct, crossings),
                    "type_label": tlabel, "activity": activity,
                    "clause_text": text or "（该单元数据中无空间布局约束条款，请查阅准入清单原文）"}
            clause = rule.clause
            if rule.clause_field:
                clause = f"{rule.clause}（{_names(v, fsel, '个单元').strip('（）')}）：{text or '数据中无该条款文本'}"
            entry["findings"].append(finding(rule, vals, clause=clause, layer=res.id, kind=res.kind,
                                              features=[v.ids[f] for f in fsel]))


def _activity(type_id: str | None) -> str:
    t = project_types().get(type_id) if type_id else None
    return t.description if t else ""

