"""What the 压覆分析报告 of a site check says, whatever it is written as: the title, the tables, the fixed
sentences per layer, the conclusions and cited clauses, and which sites get a full section.

:func:`report_content` turns a check result (the dict ``check.json`` holds) into a :class:`ReportContent`;
:mod:`redline.maps.report.check_html` and :mod:`redline.maps.report.check_docx` write that content as HTML
and DOCX. Every string in it is :func:`~redline.spatial.check_tables.printable` (no control characters);
escaping is the writers' job.

Numbers are formatted as officers expect: areas in 公顷 with 4 decimals (and m² with 2), shares in % with
2 decimals, lengths and distances in 米 with 2 decimals. Where the parts of a table are rounded, they are
adjusted to add up to the rounded total (平差, :func:`redline.spatial.units.largest_remainder_round`) and
the table says so.

**Many sites.** A report holds at most ``report_sites`` full site sections (default
:data:`DEFAULT_REPORT_SITES`): every site when there are no more than that, otherwise the sites that are
not 符合 first, in input order (then 符合 ones if room is left). An abridged report adds a summary (counts
by verdict, by layer) and says how many sites it leaves out and that ``sites.csv``, ``hits.csv`` and
``check.xlsx`` hold every site. So the report's size does not grow with the number of sites; building it
takes one pass over the sites.

Example
-------
>>> sites = [{"site_id": f"S{i}", "verdict": v} for i, v in enumerate(["符合", "不符合", "符合", "需论证"])]
>>> detailed_sites({"sites": sites}, 2)
[1, 3]
>>> detailed_sites({"sites": sites}, 3)
[0, 1, 3]
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from redline.maps.report.notes import crs_zh, notes_zh
from redline.maps.report.tables import input_rows, printable, printable_copy
from redline.spatial.check.findings import fmt_ha, fmt_m, fmt_m2, fmt_pct
from redline.spatial.rules import LEVEL_LABELS

VERDICTS = ("符合", "不符合", "需论证", "无法判定")
VERDICT_COLORS = {"符合": "#1b7f3b", "不符合": "#b3261e", "需论证": "#b26a00", "无法判定": "#5a5a5a"}
DEFAULT_REPORT_SITES = 50   # full site sections in a report; the other sites are in the CSV/XLSX tables
TABLE_FILES = "sites.csv、hits.csv、check.xlsx"
GEOMETRY_ZH = {"Polygon": "面", "MultiPolygon": "面", "LineString": "线", "MultiLineString": "线",
               "Point": "点", "MultiPoint": "点"}
FICTIONAL_NOTE = "本报告所用数据为虚构数据，仅供演示和测试，不代表任何真实地点、规划或审批结论。"
DISCLAIMER = ("面积为椭球面积，结论依据所列数据和条款作出，数据或条款变化时须重新分析；“需论证”须按所列条款取得相应论证或"
              "意见后方可确定，“无法判定”须补充数据。CGCS2000 与 WGS 84 相差厘米至米级，本报告按同一基准处理。")


# ------------------------------------------------------------------------------------------ the content
@dataclass
class Table:
    """A table of text cells; ``numeric`` are the columns aligned right."""

    header: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()


@dataclass
class Figure:
    """A PNG map with its caption (图n ...)."""

    png: bytes
    caption: str


@dataclass
class LayerDetail:
    """The overlapped features of one layer a site touches."""

    title: str
    table: Table
    notes: list[str]
    figure: Figure | None


@dataclass
class SiteSection:
    """The full section of one site (三、压覆分析) and its conclusion (四、结论)."""

    number: str                       # 一, 二, … within the report
    heading: str                      # name（site id）
    name: str                         # name, or the site id when it has none
    type_label: str | None
    size: str                         # 用地面积…公顷（…平方米） / 线路长度…米 / 点状项目
    verdict: str
    verdict_note: str                 # （未核查：永久基本农田） when core layers were not checked, else ""
    overview: Figure | None
    summary: Table
    layers: list[LayerDetail]
    cases: list[tuple[str, str]]      # (label in bold, sentence)
    distance_notes: list[str]         # distance rules that do not apply to the project type (HTML only)
    reason: str
    findings: list[tuple[str, str]]   # (［level］, message and clause reference)


@dataclass
class Summary:
    """The summary of an abridged report: counts by verdict and by layer, and what was left out."""

    sites: int
    shown: int
    verdicts: Table
    layers: Table
    intro: str
    left_out: str
    counts: str


@dataclass
class ReportContent:
    """Everything the 压覆分析报告 says, as text."""

    title: str
    fictional: bool
    basics: Table
    type_notes: list[str]
    sources: Table
    methods: list[str]
    warnings: list[str]               # processing notes in Chinese
    summary: Summary | None
    sites: list[SiteSection]
    clauses: list[str]
    footer: str
    meta: dict = field(default_factory=dict)
    program_notes: list[str] = field(default_factory=list)   # warnings without a Chinese translation
    unchecked: str = ""               # the sentence on the core control layers not checked


# ------------------------------------------------------------------------------------- which sites
def detailed_sites(result: dict, report_sites: int = DEFAULT_REPORT_SITES) -> list[int]:
    """Positions of the sites that get a full section: all of them when there are at most
    ``report_sites``, else the first ``report_sites`` that are not 符合 (then 符合 ones, if room is left),
    in input order."""
    sites = result.get("sites", [])
    if len(sites) <= report_sites:
        return list(range(len(sites)))
    if report_sites <= 0:
        return []
    bad = [i for i, s in enumerate(sites) if s["verdict"] != "符合"][:report_sites]
    if len(bad) < report_sites:
        good = [i for i, s in enumerate(sites) if s["verdict"] == "符合"][:report_sites - len(bad)]
        bad = sorted(bad + good)
    return bad


# ----------------------------------------------------------------------------------------- sentences
def report_title(result: dict) -> str:
    """``<site>压覆分析报告`` for one site, ``<project>建设项目压覆分析报告（n个项目）`` for several.

    >>> report_title({"sites": [{"site_id": "S1", "name": "矿山"}]})
    '矿山压覆分析报告'
    >>> report_title({"sites": [{}, {}], "project": {"name": "示范县"}})
    '示范县建设项目压覆分析报告（2个项目）'
    """
    sites = result.get("sites", [])
    if len(sites) == 1:
        return f"{sites[0]['name'] or sites[0]['site_id']}压覆分析报告"
    project = (result.get("project") or {}).get("name")
    return f"{project}建设项目压覆分析报告（{len(sites)}个项目）" if project else \
        f"建设项目压覆分析报告（{len(sites)}个项目）"


def coverage_state(site: dict) -> str:
    """``inside`` (the data covers the site), ``partial`` or ``outside`` (no data for any of it).

    >>> coverage_state({"coverage": {"inside": False, "outside_m2": 100.0}, "area_m2": 100.0})
    'outside'
    """
    cov = site.get("coverage") or {}
    if cov.get("inside", True):
        return "inside"
    if site.get("area_m2"):
        whole = (cov.get("outside_m2") or 0.0) >= site["area_m2"] * (1 - 1e-9)
    elif site.get("length_m"):
        whole = (cov.get("outside_length_m") or 0.0) >= site["length_m"] * (1 - 1e-9)
    else:
        whole = True
    return "outside" if whole else "partial"


def _uncovered_part(site: dict) -> str:
    cov = site.get("coverage") or {}
    if site.get("area_m2"):
        return f"{fmt_ha(cov.get('outside_m2') or 0.0)}公顷"
    return f"{fmt_m(cov.get('outside_length_m') or 0.0)}米"


def case_sentences(site: dict, max_distance: float | None = None) -> list[tuple[str, list[str]]]:
    """The fixed sentence(s) per control layer: the case sentences of the findings on that layer, and for a
    layer the site does not touch, "未压覆" with the nearest distance. Where the data does not cover the site,
    it never states absence: it says that the data does not cover the site."""
    out = []
    near = {n["layer"]: n for n in site["nearest"]}
    state = coverage_state(site)
    for L in site["layers"]:
        label = L.get("label") or L["layer"]
        msgs = [f["message"] for f in site["findings"] if f.get("layer") == L["layer"] and "distance_m" not in f]
        if L.get("touched"):
            msgs = msgs or [f"项目用地涉及{label}，未触发管控条款。"]
        else:
            n = near.get(L["layer"])
            who = (f"“{n['feature_name']}”" if n["feature_name"] else f"要素{n['feature_id']}") if n else ""
            if state == "outside":
                msgs.insert(0, f"项目用地位于本次检查数据的覆盖范围之外，现有{label}数据不覆盖项目用地，无法判断是否压覆{label}"
                            + (f"（数据范围内最近的{who}距项目用地{fmt_m(n['distance_m'])}米）。" if n else "。"))
            elif state == "partial":
                msgs.insert(0, f"项目用地在数据覆盖范围内的部分未压覆{label}"
                            + (f"，距最近的{who}{fmt_m(n['distance_m'])}米" if n else "")
                            + f"；覆盖范围外的{_uncovered_part(site)}无数据，无法判断是否压覆{label}。")
            elif n:
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
    """Per control layer of one site: touched or not, area, share, length, or the nearest distance."""
    near = {n["layer"]: n for n in site["nearest"]}
    header = ["图层", "是否压覆", "压覆面积（公顷）", "占项目用地（%）", "压覆长度（米）", "最近距离（米）"]
    rows = []
    state = coverage_state(site)
    untouched = {"inside": "否", "partial": "覆盖范围内否", "outside": "无法判断（数据未覆盖）"}[state]
    nil = ("0.0000", "0.00") if state == "inside" else ("—", "—")
    for L in site["layers"]:
        n = near.get(L["layer"])
        t = L.get("touched")
        rows.append([L.get("label") or L["layer"], "是" if t else untouched,
                     fmt_ha(L["overlap_m2"]) if t and L["overlap_m2"] > 0 else ("—" if t else nil[0]),
                     fmt_pct(L["pct_of_site"]) if t else nil[1],
                     fmt_m(L["overlap_length_m"]) if t and L["overlap_length_m"] > 0 else "—",
                     "—" if t else (fmt_m(n["distance_m"]) if n else "超出搜索范围")])
    return header, rows


def cited_clauses(result: dict) -> list[str]:
    """Every distinct clause cited by a finding, in order of first citation."""
    return list(dict.fromkeys(f["clause"] for s in result.get("sites", []) for f in s["findings"]))


def verdict_reason(site: dict) -> str:
    """One sentence on why the site got its verdict."""
    v = site["verdict"]
    lv = site["findings"]
    if v == "不符合":
        return "存在禁止性条款：" + "；".join(f["message"] for f in lv if f["level"] == "prohibited")
    if v == "无法判定":
        return "；".join(f["message"] for f in lv if f["level"] == "no_data")
    if v == "需论证":
        return "须开展论证或取得相关意见：" + "；".join(f["message"] for f in lv if f["level"] == "needs_review")
    vt = site.get("verdict_text") or v
    if vt != v:
        return ("在所核查的图层范围内未压覆禁止或限制建设的管控区域，未触发需论证的条款；"
                f"{vt[len(v):].strip('（）')}，结论不涉及该部分。")
    return "未压覆禁止或限制建设的管控区域，未触发需论证的条款。"


_CN = "零一二三四五六七八九"


def cn_num(n: int) -> str:
    """Chinese numeral for section numbers (1–99; larger numbers stay Arabic).

    >>> cn_num(1), cn_num(12), cn_num(20), cn_num(99), cn_num(100)
    ('一', '十二', '二十', '九十九', '100')
    """
    if n < 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    if n < 100:
        return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")
    return str(n)


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


# ------------------------------------------------------------------------------------------- tables
def _basics(sites: list[dict]) -> Table:
    header = ["序号", "项目编号", "项目名称", "位置", "项目类型", "几何", "用地面积（公顷）", "线路长度（米）", "结论"]
    rows = []
    for i, s in enumerate(sites):
        rows.append([str(i + 1), s["site_id"], s["name"] or "—", s.get("location") or "—",
                     s.get("project_type_label") or "未指定",
                     GEOMETRY_ZH.get(s["geometry_type"], s["geometry_type"]),
                     fmt_ha(s["area_m2"]) if s["area_m2"] is not None else "—",
                     fmt_m(s["length_m"]) if s["length_m"] is not None else "—",
                     s.get("verdict_text") or s["verdict"]])
    return Table(header, rows, frozenset((6, 7)))


def _sources(result: dict) -> Table:
    header = ["用途", "图层", "数据来源", "数据日期", "文件", "SHA-256（前12位）"]
    rows = []
    for r in input_rows(result):
        rows.append([r["用途"], r["图层"] or "—", r["数据来源"] or "—", r["数据日期"] or "未注明", r["文件"] or "",
                     (r["SHA-256"] or "")[:12]])
    return Table(header, rows, frozenset((3,)))


def verdict_counts(result: dict) -> dict[str, int]:
    """Sites per verdict, in the order 符合, 不符合, 需论证, 无法判定 (one pass over the sites)."""
    counts = Counter(s["verdict"] for s in result.get("sites", []))
    return {**{v: counts.get(v, 0) for v in VERDICTS}, **{v: n for v, n in counts.items() if v not in VERDICTS}}


def layer_counts(result: dict) -> Table:
    """Per control layer: the sites touching it, their overlapped areas and lengths added up, and the sites
    with a prohibiting or a needs-review finding on it (one pass over the sites)."""
    stats: dict[str, dict] = {}
    counted: dict[tuple, int] = {}      # (layer, level) → the last site counted for it
    for i, s in enumerate(result.get("sites", [])):
        for L in s["layers"]:
            st = stats.get(L["layer"])
            if st is None:      # the layer's first site (not a new dict per site and layer: 100,000 sites)
                st = stats[L["layer"]] = {"label": L.get("label") or L["layer"], "sites": 0, "m2": 0.0, "m": 0.0,
                                          "prohibited": 0, "needs_review": 0}
            if L.get("touched"):
                st["sites"] += 1
                st["m2"] += L["overlap_m2"] or 0.0
                st["m"] += L["overlap_length_m"] or 0.0
        for f in s["findings"]:     # each site once per layer and level
            level = f["level"]
            if level == "prohibited" or level == "needs_review":
                key = (f.get("layer"), level)
                if key[0] in stats and counted.get(key) != i:
                    counted[key] = i
                    stats[key[0]][level] += 1
    header = ["图层", "压覆的项目数", "压覆面积合计（公顷）", "压覆长度合计（米）", "触发禁止条款的项目数",
              "触发需论证条款的项目数"]
    rows = [[printable(st["label"]), str(st["sites"]), fmt_ha(st["m2"]), fmt_m(st["m"]), str(st["prohibited"]),
             str(st["needs_review"])] for st in stats.values()]
    return Table(header, rows, frozenset(range(1, 6)))


def _summary(result: dict, shown: int) -> Summary:
    n = len(result.get("sites", []))
    counts = verdict_counts(result)
    verdicts = Table(["结论", "项目数", "占比（%）"],
                     [[v, str(k), fmt_pct(100 * k / n if n else None)] for v, k in counts.items()],
                     frozenset((1, 2)))
    return Summary(
        sites=n, shown=shown, verdicts=verdicts, layers=layer_counts(result),
        intro=(f"共{n}个项目，各结论的项目数和各图层的压覆情况见下表（压覆面积合计为各项目压覆面积之和，项目用地相互重叠时"
               f"重叠部分重复计入）。本报告详列其中{shown}个项目（不符合、需论证、无法判定的项目优先，按原顺序），其余"
               f"{n - shown}个项目未逐一列出；全部项目的完整结果见同一目录下的表格文件 {TABLE_FILES}。"),
        left_out=(f"共{n}个项目，以下列出其中{shown}个项目的详细分析（不符合、需论证、无法判定的项目优先），其余{n - shown}个"
                  f"项目的结果见表格文件（{TABLE_FILES}）。"),
        counts="全部项目结论统计：" + "，".join(f"{k} {v} 个" for k, v in counts.items()) + "。")


# ------------------------------------------------------------------------------------------ sections
def _site_size(s: dict) -> str:
    if s["area_m2"] is not None:
        return f"用地面积{fmt_ha(s['area_m2'])}公顷（{fmt_m2(s['area_m2'])}平方米）"
    return f"线路长度{fmt_m(s['length_m'])}米" if s["length_m"] is not None else "点状项目"


def _section(k: int, s: dict, img: dict, figures: Iterator[int], max_distance,
             index: dict[str, int]) -> SiteSection:
    """The section of the ``k``-th detailed site; ``figures`` numbers the figures through the report."""
    name = s["name"] or s["site_id"]

    def figure(png, caption):
        return Figure(png, f"图{next(figures)}　{caption}") if png else None

    overview = figure(img.get("overview"), f"{name}位置与管控图层总览")
    h, rows = layer_summary_table(s)
    layers = []
    for L in s["layers"]:
        if not L.get("touched"):
            continue
        hh, rr, notes = hit_table(s, L)
        label = L.get("label") or L["layer"]
        table = Table(hh, rr, frozenset(range(6, len(hh))))
        layers.append(LayerDetail(f"{label}压覆明细", table, notes,
                                  figure((img.get("layers") or {}).get(L["layer"]), f"{name}压覆{label}示意图")))
    cases = [(label, msg) for label, msgs in case_sentences(s, max_distance) for msg in msgs]
    cases += [(LEVEL_LABELS.get(f["level"], f["level"]), f["message"]) for f in other_findings(s)]
    distance_notes = [f"距离规则“{d.get('title') or '项目距离规则'}”：距{d['feature_name'] or d['layer']}"
                      f"{fmt_m(d['distance_m'])}米，不适用于本项目类型。"
                      for d in s.get("distance_rules", []) if not any(f["rule"] == d["rule"] for f in s["findings"])]
    findings = [(f"［{LEVEL_LABELS.get(f['level'], f['level'])}］",
                 (f"{f['title']}：" if f.get("title") else "") + f"{f['message']}（依据：条款{index[f['clause']]}）")
                for f in s["findings"]]
    vt = s.get("verdict_text") or s["verdict"]
    return SiteSection(number=cn_num(k + 1), heading=f"{name}（{s['site_id']}）", name=name,
                       type_label=s.get("project_type_label"), size=_site_size(s), verdict=s["verdict"],
                       verdict_note=vt[len(s["verdict"]):] if vt.startswith(s["verdict"]) else "",
                       overview=overview, summary=Table(h, rows, frozenset((2, 3, 4, 5))), layers=layers,
                       cases=cases, distance_notes=distance_notes, reason=verdict_reason(s), findings=findings)


def report_content(result: dict, *, images: dict | None = None,
                   report_sites: int = DEFAULT_REPORT_SITES) -> ReportContent:
    """The content of the 压覆分析报告 of a check result.

    Parameters
    ----------
    result : dict
        The check result with its ``provenance`` (the content of ``check.json``).
    images : dict, optional
        ``{site_id: {"overview": png bytes, "layers": {layer id: png bytes}}}``
        (:func:`redline.maps.report.figures.site_images`).
    report_sites : int
        At most this many full site sections (see :func:`detailed_sites`).

    Examples
    --------
    >>> c = report_content({"sites": [], "provenance": {"created": "2026-11-20T10:00:00+08:00"}})
    >>> c.title, c.summary is None, c.sites
    ('建设项目压覆分析报告（0个项目）', True, [])
    """
    sites = result.get("sites", [])
    chosen = detailed_sites(result, report_sites)
    # only what the report shows is made printable: a bounded number of sites, not every site
    shown = [printable_copy(sites[i]) for i in chosen]
    rest = printable_copy({k: v for k, v in result.items() if k != "sites"})
    images = {printable(str(k)): v for k, v in (images or {}).items()}
    m = _meta(rest)
    title = report_title({**rest, "sites": shown if len(sites) == 1 else sites})
    abridged = len(shown) < len(sites)
    clauses = list(dict.fromkeys(printable(c) for c in cited_clauses(result)))
    index = {c: k + 1 for k, c in enumerate(clauses)}
    figures = itertools.count(1)
    sections = [_section(k, s, images.get(s["site_id"]) or {}, figures, m["max_distance"], index)
                for k, s in enumerate(shown)]
    typed = [s for s in shown if s.get("type_source") and s.get("type_source") != "--type"]
    methods = [f"分析坐标系：{crs_zh(m['crs'])}" + (f"（EPSG:{m['epsg']}）" if m["epsg"] else "") + "。",
               f"面积：{crs_zh(m['area_method'])}；1 公顷 = 10000 平方米。", f"长度：{m['length_method']}。",
               f"距离：{m['distance_method']}。",
               "图层汇总面积按图层要素融合（重叠部分只计一次）后计算，占比以项目用地椭球面积为分母。",
               f"数据覆盖范围：{m['coverage']}；范围外的项目用地无法判定。",
               f"结论规则：{m['verdict_rule']}。规则库版本 {m['rules_version']}。"]
    unchecked = ((rest.get("analysis") or {}).get("unchecked_core_layers")) or []
    unchecked_text = ""
    if unchecked:
        unchecked_text = (f"本次核查未包括以下核心管控图层：{'、'.join(unchecked)}（检查未提供这些图层的数据）。结论仅依据所列"
                          f"图层作出，不涉及上述图层，各项目结论均注明“未核查：{'、'.join(unchecked)}”；须补充相应数据另行核查。")
        methods.append(unchecked_text)
    labels = {L["layer"]: L.get("label") or L["layer"] for L in rest.get("layers") or []}
    notes, program_notes = notes_zh(list((rest.get("warnings") or [])[:30]), labels)
    return ReportContent(
        title=title, fictional=m["fictional"], basics=_basics(shown),
        type_notes=[f"{s['site_id']} {s.get('type_source')}" for s in typed[:50]], sources=_sources(rest),
        methods=methods, warnings=notes, program_notes=program_notes, unchecked=unchecked_text,
        summary=_summary(result, len(shown)) if abridged else None, sites=sections, clauses=clauses,
        footer=f"本报告由 redline {m['version']} 于 {m['created']} 自动生成。{DISCLAIMER}", meta=m)
