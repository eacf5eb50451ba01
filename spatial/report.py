"""The outputs of a site check: tables (CSV, XLSX) and the 压覆分析报告 (self-contained HTML, DOCX).

Every function takes the result of :func:`redline.check` with its ``provenance`` block (as
written to ``check.json``) and returns text or bytes; the caller writes them (atomically). Maps come in as
already-rendered PNG bytes (``images``): this module draws nothing.

Numbers are formatted as officers expect: areas in 公顷 with 4 decimals (and m² with 2), shares in % with
2 decimals, lengths and distances in 米 with 2 decimals. Where the parts of a table are rounded, they are
adjusted to add up to the rounded total (平差, :func:`redline.spatial.units.largest_remainder_round`) and the table
says so.

Example
-------
>>> result = {"sites": [], "provenance": {"tool_version": "0.1", "created": "2026-11-20T10:00:00+08:00",
...           "inputs": []}}
>>> html = report_html(result)
>>> "压覆分析报告" in html and "<script" not in html
True
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Iterable

from redline.spatial.check.findings import fmt_ha, fmt_m, fmt_m2, fmt_pct
from redline.spatial.rules import LEVEL_LABELS
from redline.spatial.xlsx import printable, printable_copy, safe_cell

VERDICT_COLORS = {"符合": "#1b7f3b", "不符合": "#b3261e", "需论证": "#b26a00", "无法判定": "#5a5a5a"}
ROLE_LABELS = {"sites": "项目用地", "layer": "管控图层", "project": "项目文件", "rules": "规则文件"}
MAX_SITE_SECTIONS = 200     # beyond this many sites the report keeps the summary tables only


# ------------------------------------------------------------------------------------------------ cells
def _r(value, nd: int):
    """Round a number for a table cell; None stays None."""
    return None if value is None else round(float(value), nd)


# ------------------------------------------------------------------------------------------------ tables
def site_rows(result: dict) -> list[dict]:
    """One row per site (Chinese column names), for ``sites.csv`` and the XLSX."""
    rows = []
    for s in result.get("sites", []):
        touched = [L for L in s["layers"] if L.get("touched")]
        rows.append({
            "项目编号": s["site_id"], "项目名称": s["name"], "位置": s.get("location"),
            "项目类型": s.get("project_type_label"),
            "类型标识": s.get("project_type"), "类型来源": s.get("type_source"), "几何类型": s["geometry_type"],
            "用地面积（平方米）": _r(s["area_m2"], 2), "用地面积（公顷）": _r(s["area_m2"] / 1e4, 4)
            if s["area_m2"] is not None else None,
            "线路长度（米）": _r(s["length_m"], 2), "结论": s["verdict"],
            "压覆图层": "、".join(L.get("label") or L["layer"] for L in touched),
            "禁止条款数": sum(f["level"] == "prohibited" for f in s["findings"]),
            "需论证条款数": sum(f["level"] == "needs_review" for f in s["findings"]),
            "在数据覆盖范围内": "是" if (s.get("coverage") or {}).get("inside", True) else "否",
            "来源文件": s.get("source"),
        })
    return rows


def layer_rows(result: dict) -> list[dict]:
    """One row per site and control layer: the layer summary (overlaps counted once) or the nearest feature."""
    rows = []
    for s in result.get("sites", []):
        near = {n["layer"]: n for n in s["nearest"]}
        for L in s["layers"]:
            n = near.get(L["layer"])
            rows.append({
                "项目编号": s["site_id"], "项目名称": s["name"], "图层": L.get("label") or L["layer"],
                "图层标识": L["layer"], "图层类型": L["kind"], "是否压覆": "是" if L.get("touched") else "否",
                "压覆图斑数": L.get("features", 0),
                "压覆面积（平方米）": _r(L["overlap_m2"], 2), "压覆面积（公顷）": _r(L["overlap_m2"] / 1e4, 4),
                "压覆长度（米）": _r(L["overlap_length_m"], 2), "占项目用地（%）": _r(L["pct_of_site"], 2),
                "最近要素": n["feature_name"] if n else None, "最近距离（米）": _r(n["distance_m"], 2) if n else None,
            })
    return rows


def hit_rows(result: dict) -> list[dict]:
    """One row per overlapped feature of each site, for ``hits.csv`` and the XLSX."""
    rows = []
    for s in result.get("sites", []):
        for h in s["hits"]:
            a = h.get("attributes") or {}
            rows.append({
                "项目编号": s["site_id"], "项目名称": s["name"], "图层": h.get("label") or h["layer"],
                "图层标识": h["layer"], "要素编号": h["feature_id"], "要素名称": h["feature_name"],
                "类型": a.get("type"), "级别": a.get("level"), "功能分区": h["zone"], "编码": a.get("code"),
                "压覆面积（平方米）": _r(h["overlap_m2"], 2), "压覆面积（公顷）": _r(h["overlap_m2"] / 1e4, 4),
                "压覆长度（米）": _r(h["overlap_length_m"], 2), "占项目用地（%）": _r(h["pct_of_site"], 2),
                "占该要素（%）": _r(h["pct_of_feature"], 2),
            })
    return rows


def nearest_rows(result: dict) -> list[dict]:
    rows = []
    for s in result.get("sites", []):
        for n in s["nearest"]:
            rows.append({"项目编号": s["site_id"], "项目名称": s["name"], "图层": n.get("label") or n["layer"],
                         "要素编号": n["feature_id"], "要素名称": n["feature_name"],
                         "距离（米）": _r(n["distance_m"], 2)})
    return rows


def finding_rows(result: dict) -> list[dict]:
    rows = []
    for s in result.get("sites", []):
        for f in s["findings"]:
            rows.append({"项目编号": s["site_id"], "项目名称": s["name"], "结论": s["verdict"],
                         "规则": f["rule"], "级别": LEVEL_LABELS.get(f["level"], f["level"]),
                         "情形": f["message"], "依据条款": f["clause"]})
    return rows


def input_rows(result: dict) -> list[dict]:
    rows = []
    for rec in (result.get("provenance") or {}).get("inputs", []):
        rows.append({"用途": ROLE_LABELS.get(rec.get("role"), rec.get("role") or ""),
                     "图层": rec.get("label") or rec.get("layer"), "数据来源": rec.get("source"),
                     "数据日期": rec.get("vintage"), "文件": rec.get("path"), "SHA-256": rec.get("sha256")})
    return rows


def to_csv(rows: list[dict]) -> bytes:
    """CSV as Excel on Chinese Windows opens it: UTF-8 with BOM, CRLF, formula prefixes escaped."""
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\r\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else safe_cell(v) for k, v in r.items()})
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


_NUMBER_FORMATS = {"（公顷）": "0.0000", "（平方米）": "0.00", "（米）": "0.00", "（%）": "0.00"}


def to_xlsx(result: dict) -> bytes:
    """The workbook: 项目汇总, 图层汇总, 压覆明细, 最近距离, 审查意见, 数据来源 (fixed decimals, escaped text)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    sheets = [("项目汇总", site_rows(result)), ("图层汇总", layer_rows(result)), ("压覆明细", hit_rows(result)),
              ("最近距离", nearest_rows(result)), ("审查意见", finding_rows(result)), ("数据来源", input_rows(result))]
    first = True
    for title, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        if not rows:
            ws.append(["（无）"])
            continue
        header = list(rows[0].keys())
        ws.append(header)
        for c in ws[1]:
            c.font = Font(bold=True)
            c.fill = PatternFill("solid", fgColor="DDE7F0")
            c.alignment = Alignment(wrap_text=True, vertical="center")
        for r in rows:
            ws.append([safe_cell(r[k]) for k in header])
        for j, name in enumerate(header, start=1):
            fmt = next((f for suffix, f in _NUMBER_FORMATS.items() if name.endswith(suffix)), None)
            letter = get_column_letter(j)
            if fmt:
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
            width = max(len(str(name)) * 2, *(min(len(str(r[name] or "")), 60) * 1.6 for r in rows[:200]))
            ws.column_dimensions[letter].width = max(8, min(width, 80))
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -------------------------------------------------------------------------------------- report content
def report_title(result: dict) -> str:
    sites = result.get("sites", [])
    if len(sites) == 1:
        return f"{sites[0]['name'] or sites[0]['site_id']}压覆分析报告"
    project = (result.get("project") or {}).get("name")
    return f"{project + '' if project else ''}建设项目压覆分析报告（{len(sites)}个项目）" if project else \
        f"建设项目压覆分析报告（{len(sites)}个项目）"


def case_sentences(site: dict, max_distance: float | None = None) -> list[tuple[str, list[str]]]:
    """The fixed sentence(s) per control layer: the case sentences of the findings on that layer, and for a
    layer the site does not touch, "未压覆" with the nearest distance."""
    out = []
    near = {n["layer"]: n for n in site["nearest"]}
    for L in site["layers"]:
        label = L.get("label") or L["layer"]
        msgs = [f["message"] for f in site["findings"] if f.get("layer") == L["layer"] and "distance_m" not in f]
        if L.get("touched"):
            msgs = msgs or [f"项目用地涉及{label}，未触发管控条款。"]
        else:
            n = near.get(L["layer"])
            if n:
                who = f"“{n['feature_name']}”" if n["feature_name"] else f"要素{n['feature_id']}"
                msgs.insert(0, f"项目用地未压覆{label}，距最近的{who}{fmt_m(n['distance_m'])}米。")
            else:
                lim = f"{max_distance:g}米" if max_distance else "搜索距离"
                msgs.insert(0, f"项目用地未压覆{label}，{lim}范围内无{label}。")
        out.append((label, msgs))
    return out


def other_findings(site: dict) -> list[dict]:
    """Findings not tied to one layer's zones: coverage, project type, distance rules."""
    return [f for f in site["findings"] if "distance_m" in f or not f.get("layer")]


def hit_table(site: dict, layer: dict) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, rows and notes of the table of overlapped features of one layer (平差 where it applies)."""
    from redline.spatial.units import largest_remainder_round

    hits = [h for h in site["hits"] if h["layer"] == layer["layer"]]
    notes: list[str] = []
    polygon = site["geometry_type"] in ("Polygon", "MultiPolygon") and any(h["overlap_m2"] > 0 for h in hits)
    header = ["序号", "名称", "编号", "类型", "级别", "功能分区"]
    if polygon:
        header += ["压覆面积（公顷）", "占项目用地（%）", "占该图斑（%）"]
        ha = [h["overlap_m2"] / 1e4 for h in hits]
        total = layer["overlap_m2"] / 1e4
        if layer.get("self_overlap"):
            shown = [f"{v:.4f}" for v in ha]
            notes.append("该图层部分图斑相互重叠，合计面积中重叠部分只计一次，故合计小于各行之和。")
        else:
            try:
                adj, changed = largest_remainder_round(ha, 4, total=total)
            except Exception:
                adj, changed = [round(v, 4) for v in ha], False
            shown = [f"{v:.4f}" for v in adj]
            if changed:
                notes.append("各行面积经平差（最大余数法），合计与总面积一致。")
    elif site["geometry_type"] in ("Point", "MultiPoint"):
        header += ["位置关系"]
    else:
        header += ["长度（米）", "占项目（%）"]
    point = site["geometry_type"] in ("Point", "MultiPoint")
    rows = []
    for i, h in enumerate(hits):
        a = h.get("attributes") or {}
        row = [str(i + 1), h["feature_name"] or "—", h["feature_id"], a.get("type") or "—", a.get("level") or "—",
               h["zone"] or "—"]
        if polygon:
            row += [shown[i], fmt_pct(h["pct_of_site"]), fmt_pct(h["pct_of_feature"])]
        elif point:
            row += ["位于其中"]
        else:
            row += [fmt_m(h["overlap_length_m"]), fmt_pct(h["pct_of_site"])]
        rows.append(row)
    if polygon:
        rows.append(["合计", "", "", "", "", "", fmt_ha(layer["overlap_m2"]), fmt_pct(layer["pct_of_site"]), ""])
    elif hits and not point:
        rows.append(["合计", "", "", "", "", "", fmt_m(layer["overlap_length_m"]), fmt_pct(layer["pct_of_site"])])
    return header, rows, notes


def layer_summary_table(site: dict) -> tuple[list[str], list[list[str]]]:
    near = {n["layer"]: n for n in site["nearest"]}
    header = ["图层", "是否压覆", "压覆面积（公顷）", "占项目用地（%）", "压覆长度（米）", "最近距离（米）"]
    rows = []
    for L in site["layers"]:
        n = near.get(L["layer"])
        t = L.get("touched")
        rows.append([L.get("label") or L["layer"], "是" if t else "否",
                     fmt_ha(L["overlap_m2"]) if t and L["overlap_m2"] > 0 else ("—" if t else "0.0000"),
                     fmt_pct(L["pct_of_site"]) if t else "0.00",
                     fmt_m(L["overlap_length_m"]) if t and L["overlap_length_m"] > 0 else "—",
                     "—" if t else (fmt_m(n["distance_m"]) if n else "超出搜索范围")])
    return header, rows


def cited_clauses(result: dict) -> list[str]:
    """Every distinct clause cited by a finding, in order of first citation."""
    return list(dict.fromkeys(f["clause"] for s in result.get("sites", []) for f in s["findings"]))


def _verdict_reason(site: dict) -> str:
    v = site["verdict"]
    lv = site["findings"]
    if v == "不符合":
        return "存在禁止性条款：" + "；".join(f["message"] for f in lv if f["level"] == "prohibited")
    if v == "无法判定":
        return "；".join(f["message"] for f in lv if f["level"] == "no_data")
    if v == "需论证":
        return "须开展论证或取得相关意见：" + "；".join(f["message"] for f in lv if f["level"] == "needs_review")
    return "未压覆禁止或限制建设的管控区域，未触发需论证的条款。"


def _meta(result: dict) -> dict:
    prov = result.get("provenance") or {}
    analysis = result.get("analysis") or {}
    project = result.get("project") or {}
    return {"version": prov.get("tool_version", ""), "created": prov.get("created", ""),
            "date": (prov.get("created") or "")[:10], "crs": (analysis.get("crs") or {}).get("name", ""),
            "epsg": (analysis.get("crs") or {}).get("epsg"),
            "area_method": (analysis.get("area_method") or {}).get("description", ""),
            "length_method": analysis.get("length_method", ""), "distance_method": analysis.get("distance_method", ""),
            "coverage": (analysis.get("coverage") or {}).get("label", ""),
            "max_distance": analysis.get("max_distance_m"), "verdict_rule": analysis.get("verdict_rule", ""),
            "project": project.get("name"), "fictional": bool(project.get("fictional")),
            "rules_version": (result.get("rules") or {}).get("version", "")}


# -------------------------------------------------------------------------------------------------- HTML
_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","WenQuanYi Micro Hei",SimSun,sans-serif;
max-width:1000px;margin:2em auto;padding:0 1.5em;color:#222;line-height:1.65}
h1{text-align:center;font-size:1.7em;margin-bottom:.2em} .sub{text-align:center;color:#555;margin-top:0}
h2{border-bottom:2px solid #33658a;padding-bottom:.2em;margin-top:2em;font-size:1.3em}
h3{font-size:1.12em;margin-top:1.6em} h4{font-size:1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%;margin:.6em 0 1em;font-size:.92em}
th,td{border:1px solid #999;padding:.3em .5em;vertical-align:top} th{background:#dde7f0}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.verdict{font-weight:bold;padding:.1em .5em;border-radius:3px;color:#fff}
.fictional{border:2px solid #b3261e;color:#b3261e;padding:.4em .8em;margin:1em 0;font-weight:bold}
figure{margin:1em 0;text-align:center} figure img{max-width:100%;border:1px solid #bbb}
figcaption{color:#444;font-size:.9em} .note{color:#555;font-size:.9em} ol.clauses li{margin:.3em 0}
.findings li{margin:.35em 0} .lv{font-weight:bold} footer{margin-top:3em;border-top:1px solid #ccc;
padding-top:.8em;color:#555;font-size:.9em}
"""


def _e(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _html_table(header: list[str], rows: Iterable[list], numeric: Iterable[int] = ()) -> str:
    num = set(numeric)
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in header), "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td class=\"n\">{_e(c)}</td>" if j in num else f"<td>{_e(c)}</td>"
                                    for j, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _img(png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{_e(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _verdict_span(v: str) -> str:
    return f'<span class="verdict" style="background:{VERDICT_COLORS.get(v, "#555")}">{_e(v)}</span>'


def _basics(result: dict) -> tuple[list[str], list[list[str]]]:
    header = ["序号", "项目编号", "项目名称", "位置", "项目类型", "几何", "用地面积（公顷）", "线路长度（米）", "结论"]
    rows = []
    for i, s in enumerate(result.get("sites", [])):
        rows.append([str(i + 1), s["site_id"], s["name"] or "—", s.get("location") or "—",
                     s.get("project_type_label") or "未指定",
                     {"Polygon": "面", "MultiPolygon": "面", "LineString": "线", "MultiLineString": "线",
                      "Point": "点", "MultiPoint": "点"}.get(s["geometry_type"], s["geometry_type"]),
                     fmt_ha(s["area_m2"]) if s["area_m2"] is not None else "—",
                     fmt_m(s["length_m"]) if s["length_m"] is not None else "—", s["verdict"]])
    return header, rows


def _sources(result: dict) -> tuple[list[str], list[list[str]]]:
    header = ["用途", "图层", "数据来源", "数据日期", "文件", "SHA-256（前12位）"]
    rows = []
    for r in input_rows(result):
        rows.append([r["用途"], r["图层"] or "—", r["数据来源"] or "—", r["数据日期"] or "未注明", r["文件"] or "",
                     (r["SHA-256"] or "")[:12]])
    return header, rows


def report_html(result: dict, *, images: dict | None = None) -> str:
    """The 压覆分析报告 as one self-contained HTML file (no script, no external resource; images inline).

    Parameters
    ----------
    result : dict
        The check result with its ``provenance`` (the content of ``check.json``).
    images : dict, optional
        ``{site_id: {"overview": png bytes, "layers": {layer id: png bytes}}}``.
    """
    result = printable_copy(result)  # control characters in names would show as garbage
    images = {printable(k): v for k, v in (images or {}).items()}
    m = _meta(result)
    sites = result.get("sites", [])
    title = report_title(result)
    p: list[str] = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
                    '<meta name="viewport" content="width=device-width, initial-scale=1">',
                    f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
                    f"<h1>{_e(title)}</h1>",
                    f'<p class="sub">{_e(m["project"] or "")} · 编制日期 {_e(m["date"])} · redline {_e(m["version"])}</p>']
    if m["fictional"]:
        p.append('<p class="fictional">本报告所用数据为虚构数据，仅供演示和测试，不代表任何真实地点、规划或审批结论。</p>')

    p.append("<h2>一、项目基本情况</h2>")
    h, rows = _basics(result)
    p.append(_html_table(h, rows, numeric=(6, 7)))
    types = [s for s in sites if s.get("type_source") and s.get("type_source") != "--type"]
    if types:
        p.append('<p class="note">项目类型来源：' + "；".join(
            _e(f"{s['site_id']} {s.get('type_source')}") for s in types[:50]) + "。</p>")

    p.append("<h2>二、数据来源与分析方法</h2>")
    h, rows = _sources(result)
    p.append(_html_table(h, rows, numeric=(3,)))
    p.append("<ul>")
    p.append(f"<li>分析坐标系：{_e(m['crs'])}" + (f"（EPSG:{_e(m['epsg'])}）" if m["epsg"] else "") + "。</li>")
    p.append(f"<li>面积：{_e(m['area_method'])}；1 公顷 = 10000 平方米。</li>")
    p.append(f"<li>长度：{_e(m['length_method'])}。</li>")
    p.append(f"<li>距离：{_e(m['distance_method'])}。</li>")
    p.append("<li>图层汇总面积按图层要素融合（重叠部分只计一次）后计算，占比以项目用地椭球面积为分母。</li>")
    p.append(f"<li>数据覆盖范围：{_e(m['coverage'])}；范围外的项目用地无法判定。</li>")
    p.append(f"<li>结论规则：{_e(m['verdict_rule'])}。规则库版本 {_e(m['rules_version'])}。</li>")
    p.append("</ul>")
    warnings = result.get("warnings") or []
    if warnings:
        p.append('<p class="note">处理记录（程序原文）：' + "；".join(_e(w) for w in warnings[:30]) + "。</p>")

    p.append("<h2>三、压覆分析</h2>")
    detailed = sites[:MAX_SITE_SECTIONS]
    if len(sites) > len(detailed):
        p.append(f'<p class="note">共{len(sites)}个项目，以下列出前{len(detailed)}个项目的详细分析，'
                 "其余项目见表格文件（sites.csv、hits.csv、check.xlsx）。</p>")
    fig = 0
    for i, s in enumerate(detailed):
        img = images.get(s["site_id"]) or {}
        p.append(f"<h3>（{_cn_num(i + 1)}）{_e(s['name'] or s['site_id'])}（{_e(s['site_id'])}）</h3>")
        area = f"用地面积{fmt_ha(s['area_m2'])}公顷（{fmt_m2(s['area_m2'])}平方米）" if s["area_m2"] is not None else \
            (f"线路长度{fmt_m(s['length_m'])}米" if s["length_m"] is not None else "点状项目")
        p.append(f"<p>项目类型：{_e(s.get('project_type_label'))}；{_e(area)}；结论：{_verdict_span(s['verdict'])}</p>")
        if img.get("overview"):
            fig += 1
            p.append(_img(img["overview"], f"图{fig}　{s['name'] or s['site_id']}位置与管控图层总览"))
        h, rows = layer_summary_table(s)
        p.append("<h4>压覆情况汇总</h4>" + _html_table(h, rows, numeric=(2, 3, 4, 5)))
        for L in s["layers"]:
            if not L.get("touched"):
                continue
            hh, rr, notes = hit_table(s, L)
            p.append(f"<h4>{_e(L.get('label') or L['layer'])}压覆明细</h4>")
            p.append(_html_table(hh, rr, numeric=range(6, len(hh))))
            for note in notes:
                p.append(f'<p class="note">{_e(note)}</p>')
            png = (img.get("layers") or {}).get(L["layer"])
            if png:
                fig += 1
                p.append(_img(png, f"图{fig}　{s['name'] or s['site_id']}压覆{L.get('label') or L['layer']}示意图"))
        p.append("<h4>适用情形</h4><ul>")
        for label, msgs in case_sentences(s, m["max_distance"]):
            for msg in msgs:
                p.append(f"<li><b>{_e(label)}</b>：{_e(msg)}</li>")
        for f in other_findings(s):
            p.append(f"<li><b>{_e(LEVEL_LABELS.get(f['level'], f['level']))}</b>：{_e(f['message'])}</li>")
        for d in s.get("distance_rules", []):
            if not any(f["rule"] == d["rule"] for f in s["findings"]):
                p.append(f"<li>距离规则 {_e(d['rule'])}：距{_e(d['feature_name'] or d['layer'])}"
                         f"{_e(fmt_m(d['distance_m']))}米，不适用于本项目类型。</li>")
        p.append("</ul>")

    p.append("<h2>四、结论</h2>")
    clauses = cited_clauses(result)
    index = {c: k + 1 for k, c in enumerate(clauses)}
    for s in sites[:MAX_SITE_SECTIONS]:
        p.append(f"<h3>{_e(s['name'] or s['site_id'])}：{_verdict_span(s['verdict'])}</h3>")
        p.append(f"<p>{_e(_verdict_reason(s))}</p><ol class=\"findings\">")
        for f in s["findings"]:
            p.append(f"<li><span class=\"lv\">［{_e(LEVEL_LABELS.get(f['level'], f['level']))}］</span>"
                     f"{_e(f['message'])}（依据：条款{index[f['clause']]}，规则 {_e(f['rule'])}）</li>")
        p.append("</ol>")
    if len(sites) > MAX_SITE_SECTIONS:
        counts = (result.get("summary") or {}).get("verdicts") or {}
        p.append("<p>全部项目结论统计：" + "，".join(f"{_e(k)} {v} 个" for k, v in counts.items()) + "。</p>")
    p.append("<h4>引用条款</h4><ol class=\"clauses\">")
    for c in clauses:
        p.append(f"<li>{_e(c)}</li>")
    p.append("</ol>")
    p.append(f"<footer>本报告由 redline {_e(m['version'])} 于 {_e(m['created'])} 自动生成。面积为椭球面积，"
             "结论依据所列数据和条款作出，数据或条款变化时须重新分析；"
             "“需论证”须按所列条款取得相应论证或意见后方可确定，“无法判定”须补充数据。"
             "CGCS2000 与 WGS 84 相差厘米至米级，本报告按同一基准处理。</footer>")
    p.append("</body></html>")
    return "\n".join(p)


_CN = "零一二三四五六七八九"


def _cn_num(n: int) -> str:
    """Chinese numeral for section numbers (1–99): 1 → 一, 12 → 十二, 20 → 二十."""
    if n < 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    if n < 100:
        return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")
    return str(n)


# -------------------------------------------------------------------------------------------------- DOCX
def report_docx(result: dict, *, images: dict | None = None) -> bytes:
    """The 压覆分析报告 as a Word document (same content as :func:`report_html`)."""
    result = printable_copy(result)  # XML cannot hold control characters; names may carry them
    images = {printable(k): v for k, v in (images or {}).items()}
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    m = _meta(result)
    sites = result.get("sites", [])
    doc = Document()
    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
        st = doc.styles[name]
        st.font.name = "SimSun" if name == "Normal" else "SimHei"
        rpr = st.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), "宋体" if name == "Normal" else "黑体")
    doc.styles["Normal"].font.size = Pt(10.5)
    sec = doc.sections[0]
    sec.left_margin = sec.right_margin = Cm(2.2)

    def table(header, rows, numeric=()):
        t = doc.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        for j, h in enumerate(header):
            cell = t.rows[0].cells[j]
            cell.text = str(h)
            for r in cell.paragraphs[0].runs:
                r.font.bold = True
                r.font.size = Pt(9)
        for row in rows:
            cells = t.add_row().cells
            for j, v in enumerate(row):
                cells[j].text = "" if v is None else str(v)
                para = cells[j].paragraphs[0]
                if j in set(numeric):
                    para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                for r in para.runs:
                    r.font.size = Pt(9)
        doc.add_paragraph()

    def picture(png: bytes, caption: str):
        doc.add_picture(io.BytesIO(png), width=Cm(15))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        c = doc.add_paragraph(caption)
        c.alignment = WD_ALIGN_PARAGRAPH.CENTER

    title = report_title(result)
    t = doc.add_heading(title, level=0)
    t.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(f"{m['project'] or ''}　编制日期 {m['date']}　redline {m['version']}")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if m["fictional"]:
        r = doc.add_paragraph().add_run("本报告所用数据为虚构数据，仅供演示和测试，不代表任何真实地点、规划或审批结论。")
        r.font.bold = True
        r.font.color.rgb = RGBColor(0xB3, 0x26, 0x1E)

    doc.add_heading("一、项目基本情况", level=1)
    h, rows = _basics(result)
    table(h, rows, numeric=(6, 7))

    doc.add_heading("二、数据来源与分析方法", level=1)
    h, rows = _sources(result)
    table(h, rows)
    for line in (f"分析坐标系：{m['crs']}" + (f"（EPSG:{m['epsg']}）" if m["epsg"] else "") + "。",
                 f"面积：{m['area_method']}；1 公顷 = 10000 平方米。", f"长度：{m['length_method']}。",
                 f"距离：{m['distance_method']}。",
                 "图层汇总面积按图层要素融合（重叠部分只计一次）后计算，占比以项目用地椭球面积为分母。",
                 f"数据覆盖范围：{m['coverage']}；范围外的项目用地无法判定。",
                 f"结论规则：{m['verdict_rule']}。规则库版本 {m['rules_version']}。"):
        doc.add_paragraph(line, style="List Bullet")

    doc.add_heading("三、压覆分析", level=1)
    detailed = sites[:MAX_SITE_SECTIONS]
    if len(sites) > len(detailed):
        doc.add_paragraph(f"共{len(sites)}个项目，以下列出前{len(detailed)}个项目的详细分析，其余项目见表格文件。")
    fig = 0
    for i, s in enumerate(detailed):
        img = images.get(s["site_id"]) or {}
        doc.add_heading(f"（{_cn_num(i + 1)}）{s['name'] or s['site_id']}（{s['site_id']}）", level=2)
        area = f"用地面积{fmt_ha(s['area_m2'])}公顷（{fmt_m2(s['area_m2'])}平方米）" if s["area_m2"] is not None else \
            (f"线路长度{fmt_m(s['length_m'])}米" if s["length_m"] is not None else "点状项目")
        para = doc.add_paragraph(f"项目类型：{s.get('project_type_label')}；{area}；结论：")
        run = para.add_run(s["verdict"])
        run.font.bold = True
        color = VERDICT_COLORS.get(s["verdict"], "#555555").lstrip("#")
        run.font.color.rgb = RGBColor.from_string(color.upper())
        if img.get("overview"):
            fig += 1
            picture(img["overview"], f"图{fig}　{s['name'] or s['site_id']}位置与管控图层总览")
        doc.add_heading("压覆情况汇总", level=3)
        h, rows = layer_summary_table(s)
        table(h, rows, numeric=(2, 3, 4, 5))
        for L in s["layers"]:
            if not L.get("touched"):
                continue
            hh, rr, notes = hit_table(s, L)
            doc.add_heading(f"{L.get('label') or L['layer']}压覆明细", level=3)
            table(hh, rr, numeric=range(6, len(hh)))
            for note in notes:
                doc.add_paragraph(note)
            png = (img.get("layers") or {}).get(L["layer"])
            if png:
                fig += 1
                picture(png, f"图{fig}　{s['name'] or s['site_id']}压覆{L.get('label') or L['layer']}示意图")
        doc.add_heading("适用情形", level=3)
        for label, msgs in case_sentences(s, m["max_distance"]):
            for msg in msgs:
                para = doc.add_paragraph(style="List Bullet")
                para.add_run(f"{label}：").bold = True
                para.add_run(msg)
        for f in other_findings(s):
            para = doc.add_paragraph(style="List Bullet")
            para.add_run(f"{LEVEL_LABELS.get(f['level'], f['level'])}：").bold = True
            para.add_run(f["message"])

    doc.add_heading("四、结论", level=1)
    clauses = cited_clauses(result)
    index = {c: k + 1 for k, c in enumerate(clauses)}
    for s in sites[:MAX_SITE_SECTIONS]:
        para = doc.add_paragraph()
        para.add_run(f"{s['name'] or s['site_id']}：").bold = True
        run = para.add_run(s["verdict"])
        run.bold = True
        run.font.color.rgb = RGBColor.from_string(VERDICT_COLORS.get(s["verdict"], "#555555").lstrip("#").upper())
        doc.add_paragraph(_verdict_reason(s))
        for f in s["findings"]:
            doc.add_paragraph(f"［{LEVEL_LABELS.get(f['level'], f['level'])}］{f['message']}"
                              f"（依据：条款{index[f['clause']]}，规则 {f['rule']}）", style="List Number")
    doc.add_heading("引用条款", level=2)
    for k, c in enumerate(clauses):
        doc.add_paragraph(f"{k + 1}. {c}")
    foot = doc.add_paragraph(f"本报告由 redline {m['version']} 于 {m['created']} 自动生成。面积为椭球面积，结论依据所列数据和"
                             "条款作出，数据或条款变化时须重新分析；“需论证”须按所列条款取得相应论证或意见后方可确定，"
                             "“无法判定”须补充数据。CGCS2000 与 WGS 84 相差厘米至米级，本报告按同一基准处理。")
    for r in foot.runs:
        r.font.size = Pt(9)
    doc.core_properties.title = title
    doc.core_properties.author = "redline"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
