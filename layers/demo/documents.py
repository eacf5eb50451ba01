"""The demo's ``redline.toml``, ``structure.toml`` and README files."""

from __future__ import annotations

import json

import numpy as np

from redline.layers.demo.constants import (
    COUNTY,
    COUNTY_CODE,
    CRS,
    DATA_DATE,
    GPKG,
    LANDCOVER_CLASSES,
    LANDCOVER_TIF,
    MAIN_RIVER,
    PLAN_TXT,
    PRODUCER,
    PROJECT_MARKER,
    RED_LINE_SHP,
    REGION_NAME,
    RESERVE,
    RIVERS_GEOJSON,
    SOURCE_EE,
    SOURCE_FOREST,
    SOURCE_NR,
    SOURCE_TRANSPORT,
    SOURCE_WATER,
    TRIBUTARIES,
    WETLAND,
)
from redline.layers.demo.draft import DemoRegion


# ------------------------------------------------------------------------------------------------- TOML
def _tv(v) -> str:
    """A TOML value: strings as basic strings (JSON escaping is valid TOML), lists, inline tables."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return repr(float(v)) if isinstance(v, (float, np.floating)) else str(int(v))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_tv(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_tk(k)} = {_tv(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def _tk(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isascii() and k.replace("_", "").replace("-", "").isalnum() \
        else json.dumps(k, ensure_ascii=False)


LAYER_ENTRIES = (
    # id, kind, path, layer, source, label, fields
    ("county", "boundary", GPKG, "示范县县界", SOURCE_NR, "县界", None),
    ("townships", "boundary", GPKG, "示范县乡镇界", SOURCE_NR, "乡镇界", None),
    ("red_line", "red_line", RED_LINE_SHP, None, SOURCE_NR, "生态保护红线", None),
    ("protected_areas", "protected_area_zone", GPKG, "示范县自然保护地功能分区", SOURCE_FOREST, "自然保护地功能分区", None),
    ("rivers", "river", RIVERS_GEOJSON, None, SOURCE_WATER, "河流", None),
    ("river_ranges", "river_management_range", GPKG, "示范县河道管理范围", SOURCE_WATER, "河道管理范围", None),
    ("shoreline_zones", "shoreline_zone", GPKG, "示范县岸线功能区", SOURCE_WATER, "岸线功能区", None),
    ("urban_boundary", "urban_boundary", GPKG, "示范县城镇开发边界", SOURCE_NR, "城镇开发边界", None),
    ("basic_farmland", "basic_farmland", GPKG, "示范县永久基本农田", SOURCE_NR, "永久基本农田", {"name": "ZLDWMC"}),
    ("control_units", "control_unit", GPKG, "示范县生态环境管控单元", SOURCE_EE, "生态环境管控单元", None),
    ("water_sources", "water_source_zone", GPKG, "示范县饮用水水源保护区", SOURCE_EE, "饮用水水源保护区",
     {"code": "SYDBM"}),
    ("roads", "road", GPKG, "示范县道路", SOURCE_TRANSPORT, "道路", None),
    ("towns", "town", GPKG, "示范县城镇", SOURCE_NR, "城镇", None),
)


def project_toml(region: DemoRegion) -> str:
    """The demo's ``redline.toml`` (format: the docstring of :mod:`redline.layers.project`)."""
    out = [PROJECT_MARKER,
           "# 示范县为虚构区域：全部数据由程序按随机种子生成，不代表任何真实地点。",
           "# 示范县 is fictional: every layer was generated from a random seed and shows no real place.",
           f"# seed = {region.seed}", "",
           "[region]",
           f"name = {_tv(REGION_NAME)}",
           'boundary = "county"',
           'townships = "townships"',
           f"crs = {_tv(CRS)}",
           "fictional = true",
           f"code = {_tv(COUNTY_CODE)}",
           'note = "虚构数据，仅供演示与测试（fictional demo data）"', ""]
    for lid, kind, path, layer, source, label, fields in LAYER_ENTRIES:
        out.append(f"[layers.{lid}]")
        out.append(f"kind = {_tv(kind)}")
        out.append(f"path = {_tv(path)}")
        if layer:
            out.append(f"layer = {_tv(layer)}")
        out.append(f"label = {_tv(COUNTY + label)}")
        out.append(f"source = {_tv(source)}")
        out.append(f"date = {_tv(DATA_DATE)}")
        if fields:
            out.append(f"fields = {_tv(fields)}")
        if lid == "red_line":
            out.append("# GBK attribute table with no .cpg (as many real files are): the reader detects it;")
            out.append('# add encoding = "gbk" to force it.')
        if lid == "rivers":
            out.append("# GeoJSON in CGCS2000 longitude/latitude (EPSG:4490): reprojected on reading.")
        out.append("")
    out += ["[rules]", "[[rules.distance]]",
            'id = "main_river_1km_high_pollution"',
            'layer = "rivers"',
            f"where = {_tv({'name': MAIN_RIVER})}",
            "distance_m = 1000",
            'types = ["industry_high_pollution"]',
            'level = "prohibited"',
            f"clause = {_tv('参照《新绛县' + chr(34) + '两山七河一流域' + chr(34) + '规划》：汾河岸线1公里范围内不得新建高污染工业项目（示范规则）')}",
            f"message = {_tv(f'项目位于{MAIN_RIVER}1公里范围内，不得新建高污染工业项目（示范规则）')}", "",
            "[map]",
            f"title = {_tv(COUNTY + '生态保护红线分布图（虚构数据）')}",
            f"producer = {_tv(PRODUCER)}",
            f"date = {_tv(DATA_DATE)}",
            'approval_number = ""',
            'layout = "structure.toml"', "",
            "[raster]",
            f"landcover = {_tv(LANDCOVER_TIF)}", ""]
    return "\n".join(out)


def structure_toml(structure: dict) -> str:
    """The structure-diagram layout as TOML: top-level keys, then one ``[[elements]]`` table per element."""
    out = ["# 示范县（虚构）生态空间结构 / structure diagram of the fictional 示范县",
           "# kind: belt 带 | corridor 廊 | patch 片 | zone 区 | axis 轴 | core 核/心 | node 点 | barrier 屏障",
           "# from = { layer, where }: project features (where: a field or canonical attribute → values);",
           "# coords: CGCS2000 longitude/latitude.", ""]
    for k, v in structure.items():
        if k != "elements":
            out.append(f"{_tk(k)} = {_tv(v)}")
    for el in structure["elements"]:
        out += ["", "[[elements]]"]
        out += [f"{_tk(k)} = {_tv(v)}" for k, v in el.items()]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------- README
_LAYER_FILES = {lid: (path, layer) for lid, _, path, layer, *_ in LAYER_ENTRIES}


def _md_table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def readme(region: DemoRegion) -> str:
    """README.md of the demo folder: Chinese first, then English."""
    f = region.facts
    lay = region.layers
    towns = "、".join(lay["townships"]["XZMC"])
    n_red = len(lay["red_line"])
    share = f"{100 * f['red_share']:.1f}"
    area = f"{f['county_area_km2']:.0f}"
    rows = []
    for lid, kind, path, layer, _source, label, _fields in LAYER_ENTRIES:
        g = lay[lid]
        cols = [c for c in g.columns if c != "geometry"]
        rows.append([f"`{lid}`", COUNTY + label, f"`{path}`", f"`{layer}`" if layer else "—", f"`{kind}`", len(g),
                     ", ".join(cols)])
    layer_table = _md_table(["id", "名称 / name", "文件 / file", "图层 / layer", "kind", "要素 / features",
                             "字段 / fields"], rows)
    err_rows = [[f"`{e['HXBM']}`", f"{e['declared']:.4f}", f"{e['planar_ha']:.4f}", f"{e['zh']} / {e['en']}"]
                for e in f["area_errors"]]
    err_table = _md_table(["HXBM", "MJ 填报 / declared (公顷)", "平面面积 / planar (公顷)", "错误 / fault"], err_rows)
    fo = f["farmland_overlap"]
    hx = "、".join(f"`{c}`" for c in fo["HXBM"])
    hx_en = ", ".join(f"`{c}`" for c in fo["HXBM"])
    pairs = "; ".join(f"`{a}` × `{b}`" for a, b in f["red_line_overlap_pairs"])
    grown = ", ".join(f"`{c}`" for c in f["grown_red_line"])
    lc = "，".join(f"{k} {v}" for k, v in LANDCOVER_CLASSES.items())
    lc_en = ", ".join(f"{k} {v}" for k, v in LANDCOVER_CLASSES.items())
    text = [
        f"# {REGION_NAME}演示数据 / demo region of the fictional {COUNTY}",
        "",
        f"> **虚构数据。** {COUNTY}是虚构的县，本文件夹中的全部图层由 `redline demo --seed {region.seed}` 按随机种子生成，"
        "不代表任何真实地点、规划或审批结论，仅供演示和测试。",
        f"> **Fictional data.** {COUNTY} does not exist: every layer here was generated by "
        f"`redline demo --seed {region.seed}` and shows no real place, plan or decision. For demonstration and tests only.",
        "",
        "## 区域概况",
        "",
        f"- 位置：约东经111.3°–111.9°、北纬38.2°–38.6°（山西中部），县域面积约 {area} 平方千米（高斯-克吕格平面面积，"
        "仅作说明；官方的椭球面积请用 `redline area` 计算）。",
        "- 坐标系：2000国家大地坐标系（CGCS2000）3度带高斯-克吕格投影第37带，横坐标加带号，中央经线111°E（EPSG:4525）。"
        "河流图层为经纬度（EPSG:4490），读入时投影。",
        f"- 辖12个乡镇：{towns}。县城驻城关镇，位于{MAIN_RIVER}河谷。",
        f"- 水系：干流{MAIN_RIVER}自东北向西南穿过县境，支流{'、'.join(TRIBUTARIES)}。",
        f"- 地形：{MAIN_RIVER}西北侧为山地，河谷和东南部为平缓的农区。",
        f"- 生态保护红线 {n_red} 个图斑，约占县域面积的 {share}%（按平面面积、重叠部分只计一次），主要分布在西北山地；"
        f"基本包括{RESERVE}的核心区、缓冲区和{WETLAND}的核心保护区，但红线在城镇和项目周边被切除时，"
        f"{WETLAND}核心保护区约6%和{RESERVE}缓冲区约1.4公顷落在红线之外（审核应发现这一问题）。",
        f"- 自然保护地：{RESERVE}（核心区/缓冲区/实验区，旧三区制）和{WETLAND}（核心保护区/一般控制区）。",
        f"- 其他图层：河道管理范围、{MAIN_RIVER}岸线功能区（岸线保护区/岸线保留区/控制利用区/开发利用区）、"
        "城镇开发边界（中心城区和6个镇区）、永久基本农田、“三线一单”生态环境管控单元（全覆盖，含准入清单条款）、"
        "饮用水水源保护区（一级/二级）、道路、城镇驻地，以及30米土地覆盖栅格。",
        "",
        "## 图层 / layers",
        "",
        *layer_table,
        "",
        f"项目文件 `redline.toml` 登记了以上图层、一条距离规则（{MAIN_RIVER}1公里范围内不得新建高污染工业项目，示范规则）"
        "和地图设置；`structure.toml` 是“一带两片、一区三轴”生态空间结构图的布局；`sites/` 是项目选址样例"
        "（见 `sites/README.md`）。",
        "",
        "## 有意设置的问题 / deliberate faults",
        "",
        "审核工具应当发现下列问题 / the audit should find these:",
        "",
        "### 面积填报错误 / Declared-area errors",
        "",
        "生态保护红线字段 `MJ` 为填报面积（公顷），其余图斑等于高斯-克吕格平面面积保留4位小数；下列图斑故意填错：",
        "",
        *err_table,
        "",
        "### 生态保护红线与永久基本农田重叠 / Red line overlapping basic farmland",
        "",
        f"永久基本农田图斑 `TBBH = {fo['TBBH']}` 与生态保护红线图斑 {hx} 重叠，共约 {fo['area_m2'] / 1e4:.2f} 公顷"
        f"（“三线”不得重叠）。 / Farmland polygon `TBBH = {fo['TBBH']}` overlaps red-line polygon(s) {hx_en}, "
        f"about {fo['area_m2'] / 1e4:.2f} ha in all (the three control lines must not overlap).",
        "",
        f"### 规划文本中前后不一致的红线面积 / An inconsistent red-line figure in `{PLAN_TXT}`",
        "",
        f"`{PLAN_TXT}` 是虚构的规划文本，所列县域面积、红线面积和占比、永久基本农田面积均按演示数据（椭球面积）计算；"
        "文末“图斑统计”一句把各红线图斑面积直接相加（重叠部分重复计算），与正文红线面积不一致，`redline audit-text` "
        f"应当指出。 / `{PLAN_TXT}` is a fictional plan text whose county area, red-line area and share and farmland "
        "area are computed from the demo data (ellipsoidal areas); its last sentence adds up the red-line polygons' "
        "areas (overlaps counted twice) and contradicts the main figure, for `redline audit-text` to find.",
        "",
        f"第二章还规定了{MAIN_RIVER}干流1公里、{TRIBUTARIES[0]}500米范围内禁止新建高污染工业项目：`redline audit-text "
        f"{PLAN_TXT} --project redline.toml --rules-out draft.toml` 把它写成 `[[rules.distance]]` 草稿，追加到 "
        f"redline.toml 后 `redline check` 即按其检查。 / Chapter 2 also states a distance rule on {MAIN_RIVER} and "
        f"{TRIBUTARIES[0]}: `--rules-out` drafts it as `[[rules.distance]]` for redline.toml, which `check` then applies.",
        "",
        "### 相互重叠的红线图斑 / Overlapping red-line polygons",
        "",
        f"如同真实数据，部分红线图斑相互重叠（图斑 {grown} 外扩了60米）；计算红线总面积和占比时重叠部分只能计一次。"
        f"重叠的图斑对 / overlapping pairs: {pairs}.",
        "",
        "## 数据格式说明",
        "",
        f"- `{RED_LINE_SHP}`：Shapefile，属性表为 **GBK 编码，无 `.cpg` 文件**，`.dbf` 语言驱动字节为0"
        "（很多旧软件这样输出）；读取时需识别编码。",
        f"- `{RIVERS_GEOJSON}`：GeoJSON，经纬度坐标（EPSG:4490）。",
        f"- `{GPKG}`：GeoPackage，其余矢量图层各为一个图层（图层名见上表）。",
        "- 面积字段单位：红线 `MJ`、保护地 `MJ`、城镇开发边界 `MJ` 为公顷；永久基本农田 `TBMJ` 为平方米（与三调一致）。"
        "岸线功能区 `AXCD` 为岸线长度（米）。",
        f"- `{LANDCOVER_TIF}`：土地覆盖栅格，30米，uint8，类别 {lc}，县界外为0（nodata）。",
        f"- 数据日期 {DATA_DATE}；数据来源均标注为“（虚构数据）”。",
        "",
        "---",
        "",
        "## English",
        "",
        f"- Where: about 111.3–111.9°E, 38.2–38.6°N (central Shanxi); about {area} km² (planar Gauss-Krüger area, for "
        "orientation only: compute the official ellipsoidal area with `redline area`).",
        "- CRS: CGCS2000 3-degree Gauss-Krüger zone 37 with zone-prefixed eastings, central meridian 111°E "
        "(EPSG:4525); the rivers are in longitude/latitude (EPSG:4490) and are reprojected on reading.",
        f"- Twelve townships ({towns}); the county town is in 城关镇 in the {MAIN_RIVER} valley.",
        f"- Rivers: the main river {MAIN_RIVER} runs from north-east to south-west; six tributaries join it.",
        f"- Terrain: mountains north-west of the {MAIN_RIVER}, farmland in the valley and the south-east.",
        f"- Ecological red line: {n_red} polygons covering about {share} % of the county (planar area, overlaps "
        f"counted once), mostly in the north-western mountains, including the core and buffer zones of {RESERVE} "
        f"and the core protection zone of {WETLAND}.",
        f"- Protected areas: {RESERVE} (legacy zones 核心区/缓冲区/实验区) and {WETLAND} (核心保护区/一般控制区).",
        "- Also: river management ranges, shoreline functional zones of the main river, the urban development "
        "boundary (central urban area and six town seats), permanent basic farmland, 三线一单 environmental control "
        "units (covering the county, with access-list clauses), drinking-water source zones, roads, town seats and "
        "a 30 m land-cover raster.",
        "- Deliberate faults: see the tables above (declared-area errors in `MJ`, the red line / farmland overlap, "
        "overlapping red-line polygons).",
        f"- Formats: `{RED_LINE_SHP}` is a Shapefile with a **GBK attribute table and no `.cpg`** (language-driver "
        f"byte 0); `{RIVERS_GEOJSON}` is GeoJSON in EPSG:4490; the other vector layers are tables of `{GPKG}`. "
        "Area fields: `MJ` in hectares, farmland `TBMJ` in square metres; `AXCD` is shoreline length in metres. "
        f"`{LANDCOVER_TIF}`: 30 m uint8 classes {lc_en}, 0 (nodata) outside the county.",
        f"- Data date {DATA_DATE}; every source is marked as fictional (虚构数据).",
        "",
    ]
    return "\n".join(text)


def sites_readme(region: DemoRegion) -> str:
    """sites/README.md: what each site is and the verdict its construction implies (Chinese, then English)."""
    rows_zh, rows_en = [], []
    for s in region.facts["sites"]:
        where = "、".join(s["touches"]) or "—"
        rows_zh.append([f"`{s['id']}`", s["name"], s["geometry_type"], f"`{s['type']}`", s["construction_zh"],
                        f"**{s['verdict']}**：{s['why_zh']}", where])
        rows_en.append([f"`{s['id']}`", f"`{s['file']}`", f"`{s['type']}`", s["construction_en"],
                        f"**{s['verdict']}**: {s['why_en']}", ", ".join(s["touches"]) or "—"])
    text = [
        f"# {COUNTY}项目选址样例（虚构） / demo project sites (fictional)",
        "",
        "> 虚构数据，仅供演示和测试。 / Fictional, for demonstration and tests only.",
        "",
        f"- `项目选址.gpkg` 图层 `sites`：{len(region.sites)} 个项目（面、线、点），字段 `XMMC` 项目名称、`XMLX` 项目类型、"
        "`DKBH` 地块编号、`YDMJ` 用地面积（公顷，线和点为0）。",
        f"- {len(region.txt_sites)} 个国土TXT坐标文件（GBK编码，CRLF，CGCS2000 3度带第37带，带号前缀，面积单位公顷）。"
        "TXT 文件不含项目类型，检查时需指定（见下表“类型”列）。",
        "- “预期结论”是按构造推出的结论，供检查结果对照；“触及图层”是生成时计算的相交图层。",
        "",
        *_md_table(["编号/文件", "名称", "几何", "类型", "构造", "预期结论", "触及图层"], rows_zh),
        "",
        "## English",
        "",
        f"- `项目选址.gpkg`, layer `sites`: {len(region.sites)} projects (polygons, lines, points) with `XMMC` name, "
        "`XMLX` project type, `DKBH` parcel number, `YDMJ` area in hectares (0 for lines and points).",
        f"- {len(region.txt_sites)} 国土TXT files (GBK, CRLF, CGCS2000 3-degree zone 37 with prefixed eastings, areas "
        "in hectares). They carry no project type: give the type in the table when checking them.",
        "- The expected verdict follows from how each site was built; `touches` lists the control layers it "
        "intersects, computed when the data was generated.",
        "",
        *_md_table(["id", "file", "type", "construction", "expected verdict", "touches"], rows_en),
        "",
    ]
    return "\n".join(text)
