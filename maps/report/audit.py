"""The report of a layer audit (``redline audit``): a Chinese text report for the terminal and the sheets of
its workbook.

Example
-------
>>> result = {"project": {"name": "示范县"}, "method": {"description": "椭球面积"}, "tolerance_pct": 0.5,
...           "min_area_m2": 1.0, "declared_areas": [], "totals": [], "stated": None, "overlaps": [],
...           "self_overlaps": [], "protected_outside_red_line": None, "boundary": None, "findings": []}
>>> text = text_report(result)
>>> text.splitlines()[0], text.splitlines()[-1]
('图层审核：示范县', '结论：未发现问题。')
>>> xlsx_sheets(result)[0]
'问题清单'
"""

from __future__ import annotations

from redline.maps.report.text import text_table

METHOD_ZH = {"planar": "平面面积", "ellipsoidal": "椭球面积", "neither": "都不一致", "undetermined": "无法区分"}
MATCH_ZH = {"exact": "在填报值舍入误差内", "approximate": "在容差内"}
FINDING_ZH = {
    "declared_area": "填报面积", "declared_unit": "面积单位", "stated_area": "陈述面积", "stated_share": "陈述占比",
    "implied_total": "推算总面积", "control_line_overlap": "三线重叠", "self_overlap": "图斑重叠",
    "protected_outside_red_line": "保护地在红线外", "boundary_gap": "县界缝隙", "boundary_sliver": "边界碎片",
    "outside_county": "超出县界", "invalid_geometry": "无效几何",
}
COUNTY_WORDS = {"level": "county", "unit": "县", "whole": "全县", "boundary": "县界", "sub": "乡镇",
                "sub_boundary": "乡镇界", "share": "占全县"}


def _words(result: dict) -> dict:
    """The words of the region's level (县界/市界, 乡镇/县（区）, 占全县/占全市): from the audit, else a county's."""
    return {**COUNTY_WORDS, **(result.get("region") or {})}


def finding_label(kind: str, words: dict | None = None) -> str:
    """A finding kind in Chinese, at the region's level: ``finding_label("outside_county", {"boundary": "市界"})``
    → ``'超出市界'``."""
    w = {**COUNTY_WORDS, **(words or {})}
    if kind == "boundary_gap":
        return f"{w['boundary']}缝隙"
    if kind == "outside_county":
        return f"超出{w['boundary']}"
    return FINDING_ZH.get(kind, kind)


def _ha(m2: float | None, decimals: int = 4) -> str:
    return "" if m2 is None else f"{m2 / 1e4:,.{decimals}f}"


def text_report(result: dict, limit: int = 30) -> str:
    """The audit as a readable Chinese report for the terminal.

    Parameters
    ----------
    result : dict
        The result of :func:`redline.spatial.audit.audit_layers`.
    limit : int
        Rows shown per list; the rest is counted (the JSON and the XLSX hold every row).
    """
    from redline.spatial.units import from_m2

    p = result["project"]
    w = _words(result)
    lines = [f"图层审核：{p['name']}" + ("（虚构数据）" if p.get("fictional") and "虚构" not in p["name"] else ""),
             f"面积方法：{result['method']['description']}" if result.get("method") else "",
             f"容差：{result['tolerance_pct']:g}%（或填报值的舍入误差，取大者）；小于 {result['min_area_m2']:g} m² 的"
             "重叠、缝隙和碎片只计数，不列为问题", ""]

    def more(n):
        if n > limit:
            lines.append(f"  …… 另有 {n - limit} 项（完整列表见 --json 或 --xlsx）")

    lines.append("一、填报面积与计算面积")
    if not result["declared_areas"]:
        lines.append("  （没有带面积字段的图层）")
    else:
        rows = []
        for d in result["declared_areas"]:
            mr = d["median_ratio"]
            rows.append([d["label"], d["source_field"], d["unit_label"] or "不明", f"{d['declared']}/{d['features']}",
                         METHOD_ZH.get(d["method"], d["method"]) + ("（近似）" if d["match"] == "approximate" else ""),
                         "" if mr["planar"] is None else f"{mr['planar']:.6f}",
                         "" if mr["ellipsoidal"] is None else f"{mr['ellipsoidal']:.6f}", len(d["off"])])
        lines += text_table(["图层", "字段", "单位", "有值/要素", "填报值与之一致", "中位比值(平面)", "中位比值(椭球)", "超差"],
                       rows, right={3, 5, 6, 7})
        off = [(d, f) for d in result["declared_areas"] for f in d["off"]]
        if off:
            lines.append("")
            lines.append("  超差要素：")
            rows = []
            for d, f in off[:limit]:
                u = d["unit"]
                rows.append([d["label"], f["id"], (f["name"] or "")[:24], f"{f['declared']:.{f['decimals']}f}",
                             "" if f["planar_m2"] is None else f"{from_m2(f['planar_m2'], u):.4f}",
                             f"{from_m2(f['ellipsoidal_m2'], u):.4f}", f"{f['difference_pct']:+.2f}%", f["hint"] or ""])
            lines += text_table(["图层", "要素", "名称", "填报", "平面", "椭球", "差异", "提示"], rows, right={3, 4, 5, 6},
                           indent="    ")
            more(len(off))
    lines.append("")

    lines.append(f"二、图层合计与占比（合并后重叠只计一次，裁到{w['boundary']}内）")
    if result.get("totals"):
        rows = [[t["label"], t["features"], _ha(t["sum_of_features_m2"]), _ha(t["overlap_removed_m2"]),
                 _ha(t["outside_boundary_m2"]), _ha(t["total_m2"]),
                 "" if t["share_pct"] is None else f"{t['share_pct']:.4f}%"] for t in result["totals"]]
        lines += text_table(["图层", "要素", "要素面积之和(公顷)", "扣除重叠(公顷)", f"{w['boundary']}外(公顷)", "合计(公顷)",
                             w["share"]],
                       rows, right={1, 2, 3, 4, 5, 6})
    else:
        lines.append("  （没有控制线图层）")
    s = result.get("stated")
    lines.append("")
    lines.append("  陈述数字：")
    if not s:
        lines.append("  （未给出 --stated / --stated-share）")
    else:
        c = s["computed"]
        lines.append(f"  计算：{s.get('label') or s['layer']} 合并后（重叠只计一次，扣除 {_ha(c['overlap_removed_m2'])} 公顷）并裁到边界内 "
                     f"{_ha(c['area_m2'])} 公顷" + (f"，占边界 {_ha(c['boundary_m2'])} 公顷的 {c['share_pct']:.4f}%"
                                                  if c["share_pct"] is not None else ""))
        if s["area"]:
            a = s["area"]
            lines.append(f"  陈述面积 {a['text']} = {_ha(a['stated_m2'])} 公顷（舍入 ±{a['rounding_m2']:g} m²）；"
                         f"与计算相差 {a['difference_m2'] / 1e4:+,.4f} 公顷（{a['difference_pct']:+.3f}%）："
                         + ("一致" if a["consistent"] else "不一致"))
        if s["share"]:
            sh = s["share"]
            lo, hi = sh["interval"]
            lines.append(f"  陈述占比 {sh['stated_pct']:.{sh['decimals']}f}%（允许 {lo:.{sh['decimals'] + 1}f}%–"
                         f"{hi:.{sh['decimals'] + 1}f}%）；计算占比 "
                         + (f"{sh['computed_pct']:.4f}%：" + ("一致" if sh["consistent"] else "不一致")
                            if sh["computed_pct"] is not None else "未知"))
        if s["implied_total"]:
            it = s["implied_total"]
            lines.append(f"  推算总面积 = 面积 ÷ 占比 = {it['total_m2'] / 1e6:,.3f} 平方千米（舍入允许 "
                         f"{it['low_m2'] / 1e6:,.3f}–{it['high_m2'] / 1e6:,.3f}）；边界面积 "
                         + (f"{it['boundary_m2'] / 1e6:,.3f} 平方千米：" + ("一致" if it["consistent"] else "不一致")
                            if it["boundary_m2"] is not None else "未知"))
    lines.append("")

    lines.append("三、三条控制线相互重叠（生态保护红线、永久基本农田、城镇开发边界不得重叠）")
    if not result["overlaps"]:
        lines.append("  （项目中三条控制线不全，未检查）")
    for o in result["overlaps"]:
        lines.append(f"  {o['a_label']} × {o['b_label']}：" + (f"{len(o['pairs'])} 对图斑重叠，共 {_ha(o['area_m2'])} 公顷"
                                                              if o["pairs"] else "无重叠")
                     + (f"（另有 {o['small']['count']} 处小于阈值的碎片）" if o["small"]["count"] else ""))
        if o["pairs"]:
            rows = [[p["a_id"], (p["a_name"] or "")[:20], p["b_id"], (p["b_name"] or "")[:20], _ha(p["area_m2"]),
                     f"{p['lon']:.5f}, {p['lat']:.5f}"] for p in o["pairs"][:limit]]
            lines += text_table([o["a_label"], "名称", o["b_label"], "名称", "重叠(公顷)", "位置(经度, 纬度)"], rows,
                           right={4}, indent="    ")
            more(len(o["pairs"]))
    for o in result["self_overlaps"]:
        if o["pairs"]:
            lines.append(f"  {o['label']}图斑相互重叠：{len(o['pairs'])} 对，共 {_ha(o['area_m2'])} 公顷")
            rows = [[p["a_id"], p["b_id"], _ha(p["area_m2"]), f"{p['lon']:.5f}, {p['lat']:.5f}"]
                    for p in o["pairs"][:limit]]
            lines += text_table(["图斑", "图斑", "重叠(公顷)", "位置(经度, 纬度)"], rows, right={2}, indent="    ")
            more(len(o["pairs"]))
    lines.append("")

    pr = result.get("protected_outside_red_line")
    lines.append("四、自然保护地在生态保护红线外的部分")
    if not pr:
        lines.append("  （项目中没有自然保护地或红线图层，未检查）")
    else:
        rows = [[f["id"], (f["name"] or "")[:24], f["zone"] or "", _ha(f["area_m2"]), _ha(f["outside_m2"]),
                 "" if f["outside_pct"] is None else f"{f['outside_pct']:.2f}%", "应在红线内" if f["must_be_inside"] else ""]
                for f in pr["features"][:limit]]
        lines += text_table(["编码", "名称", "功能分区", "面积(公顷)", "红线外(公顷)", "红线外占比", "要求"], rows, right={3, 4, 5})
        more(len(pr["features"]))
    lines.append("")

    b = result.get("boundary")
    lines.append(f"五、{w['boundary']}与{w['sub_boundary']}：缝隙和碎片")
    if not b:
        lines.append("  （项目没有边界图层，未检查）")
    else:
        if "county_m2" in b:
            lines.append(f"  {w['boundary']}面积 {_ha(b['county_m2'])} 公顷；{w['sub']}合并面积 {_ha(b['townships_m2'])} 公顷")
        pieces = [*b["gaps"], *b["slivers"]]
        kinds = {"gap": f"缝隙（不属于任何{w['sub']}）", "outside_county": f"超出{w['boundary']}",
                 "township_overlap": f"{w['sub']}相互重叠"}
        if pieces:
            rows = [[kinds[x["kind"]], "、".join(x["townships"]), f"{x['area_m2']:,.2f}", f"{x['lon']:.5f}, {x['lat']:.5f}"]
                    for x in pieces[:limit]]
            lines += text_table(["类型", w["sub"], "面积(m²)", "位置(经度, 纬度)"], rows, right={2})
            more(len(pieces))
        else:
            lines.append("  无缝隙、无碎片" + (f"（另有 {b['small']['count']} 处小于阈值）" if b["small"]["count"] else ""))
        for lo in b["layers_outside"]:
            lines.append(f"  {lo['label']}：{len(lo['features'])} 个图斑超出{w['boundary']}，共 {_ha(lo['area_m2'])} 公顷")
    lines.append("")

    n = len(result["findings"])
    lines.append(f"结论：发现 {n} 个问题。" if n else "结论：未发现问题。")
    if n:
        counts: dict[str, int] = {}
        for f in result["findings"]:
            counts[f["kind"]] = counts.get(f["kind"], 0) + 1
        lines.append("  " + "；".join(f"{finding_label(k, w)} {v} 项" for k, v in counts.items()))
    return "\n".join(x for x in lines)


# ----------------------------------------------------------------------------------------------- Excel
def xlsx_sheets(result: dict) -> tuple[str, list, list, dict]:
    """The audit as Excel sheets: ``(first sheet title, header, rows, {sheet: (header, rows)})``, as
    :func:`redline.maps.report.tables.write_table_xlsx` takes them."""
    w = _words(result)
    findings = [[finding_label(f["kind"], w), f["layer"], f["feature"], f["message"],
                 f.get("area_m2")] for f in result["findings"]]
    declared = [[d["layer"], d["label"], d["source_field"], d["unit_label"], d["features"], d["declared"],
                 METHOD_ZH.get(d["method"], d["method"]), MATCH_ZH.get(d["match"], d["match"]), d["median_ratio"]["planar"],
                 d["median_ratio"]["ellipsoidal"], d["totals"]["declared_m2"], d["totals"]["planar_m2"],
                 d["totals"]["ellipsoidal_m2"], len(d["off"])] for d in result["declared_areas"]]
    off = [[d["layer"], f["row"], f["id"], f["name"], f["declared"], d["unit_label"], f["declared_m2"], f["planar_m2"],
            f["ellipsoidal_m2"], f["difference_m2"], f["difference_pct"], f["tolerance_m2"], f["hint"]]
           for d in result["declared_areas"] for f in d["off"]]
    overlaps = [[o["a_label"], p["a_id"], p["a_name"], o["b_label"], p["b_id"], p["b_name"], p["area_m2"], p["lon"],
                 p["lat"]] for o in result["overlaps"] for p in o["pairs"]]
    overlaps += [[o["label"], p["a_id"], p["a_name"], o["label"], p["b_id"], p["b_name"], p["area_m2"], p["lon"],
                  p["lat"]] for o in result["self_overlaps"] for p in o["pairs"]]
    pr = result.get("protected_outside_red_line") or {"features": []}
    protected = [[f["layer"], f["id"], f["name"], f["zone"], f["area_m2"], f["outside_m2"], f["outside_pct"],
                  "是" if f["must_be_inside"] else "否", f["lon"], f["lat"]] for f in pr["features"]]
    b = result.get("boundary") or {"gaps": [], "slivers": []}
    pieces = [[x["kind"], "、".join(x["townships"]), x["area_m2"], x["lon"], x["lat"]]
              for x in [*b.get("gaps", []), *b.get("slivers", [])]]
    totals = [[t["layer"], t["label"], t["features"], t["sum_of_features_m2"], t["overlap_removed_m2"],
               t["outside_boundary_m2"], t["total_m2"], t["boundary_m2"], t["share_pct"]]
              for t in result.get("totals", [])]
    stated = []
    s = result.get("stated")
    if s:
        c = s["computed"]
        stated += [["计算面积 (m²)", c["area_m2"]], ["计算占比 (%)", c["share_pct"]], ["边界面积 (m²)", c["boundary_m2"]],
                   ["合并扣除的重叠 (m²)", c["overlap_removed_m2"]], ["边界外 (m²)", c["outside_boundary_m2"]]]
        if s["area"]:
            a = s["area"]
            stated += [["陈述面积", a["text"]], ["陈述面积 (m²)", a["stated_m2"]], ["差值 (m²)", a["difference_m2"]],
                       ["面积一致", "是" if a["consistent"] else "否"]]
        if s["share"]:
            sh = s["share"]
            stated += [["陈述占比 (%)", sh["stated_pct"]], ["允许下限 (%)", sh["interval"][0]],
                       ["允许上限 (%)", sh["interval"][1]], ["占比一致", "是" if sh["consistent"] else "否"]]
        if s["implied_total"]:
            it = s["implied_total"]
            stated += [["推算总面积 (m²)", it["total_m2"]], ["推算下限 (m²)", it["low_m2"]],
                       ["推算上限 (m²)", it["high_m2"]],
                       ["推算总面积与边界一致", None if it["consistent"] is None else ("是" if it["consistent"] else "否")]]
    prov = result.get("provenance", {})
    source = [["工具版本", f"{prov.get('tool')} {prov.get('tool_version')}"], ["生成时间", prov.get("created")],
              ["面积方法", (result.get("method") or {}).get("description")]]
    source += [["输入", i.get("path"), i.get("sha256"), i.get("vintage"), i.get("source")] for i in prov.get("inputs", [])]
    sheets = {
        "填报面积": (["图层", "名称", "字段", "单位", "要素", "有值", "一致的方法", "一致程度", "中位比值(平面)",
                   "中位比值(椭球)", "填报合计 m²", "平面合计 m²", "椭球合计 m²", "超差要素"], declared),
        "超差要素": (["图层", "行号(0起)", "要素", "名称", "填报值", "单位", "填报 m²", "平面 m²", "椭球 m²", "差值 m²",
                   "差异 %", "容差 m²", "提示"], off),
        "图层合计": (["图层", "名称", "要素", "要素面积之和 m²", "扣除重叠 m²", f"{w['boundary']}外 m²", "合计 m²",
                   f"{w['whole']}面积 m²", f"{w['share']} %"], totals),
        "陈述数字": (["项目", "数值"], stated),
        "重叠": (["图层A", "图斑A", "名称A", "图层B", "图斑B", "名称B", "重叠 m²", "经度", "纬度"], overlaps),
        "保护地": (["图层", "编码", "名称", "功能分区", "面积 m²", "红线外 m²", "红线外 %", "应在红线内", "经度", "纬度"],
                protected),
        "边界": (["类型", w["sub"], "面积 m²", "经度", "纬度"], pieces),
        "来源": (["项目", "内容", "sha256", "数据日期", "来源"], source),
    }
    return "问题清单", ["类型", "图层", "要素", "说明", "面积 m²"], findings, sheets
