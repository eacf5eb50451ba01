"""``redline check``: options, outputs (JSON, CSV, XLSX, HTML, DOCX), exit codes and bad input."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import LineString, box

from redline.cli import main

CRS = 4525
X, Y = 37_500_000.0, 4_250_000.0
RED = box(X, Y, X + 1000, Y + 1000)
CONTRACT_SITE = {"site_id", "name", "geometry_type", "area_m2", "length_m", "verdict", "layers", "hits", "nearest",
                 "findings"}
OUTPUTS = {"check.json", "sites.csv", "hits.csv", "check.xlsx", "压覆分析报告.html", "压覆分析报告.docx"}


@pytest.fixture
def project(tmp_path):
    d = tmp_path / "proj"
    d.mkdir()
    gpd.GeoDataFrame({"XZQMC": ["测试县"]}, geometry=[box(X - 5000, Y - 5000, X + 6000, Y + 6000)], crs=CRS).to_file(
        d / "data.gpkg", layer="county")
    gpd.GeoDataFrame({"HXMC": ["红线甲"], "HXBM": ["HX001"]}, geometry=[RED], crs=CRS).to_file(d / "data.gpkg",
                                                                                         layer="red")
    gpd.GeoDataFrame({"MC": ["中心城区"]}, geometry=[box(X + 2000, Y, X + 3000, Y + 1000)], crs=CRS).to_file(
        d / "data.gpkg", layer="urban")
    (d / "redline.toml").write_text("""
[region]
name = "测试县"
boundary = "county"
[layers.county]
kind = "boundary"
path = "data.gpkg"
layer = "county"
source = "测试县自然资源局"
date = "2025-12-31"
[layers.red_line]
kind = "red_line"
path = "data.gpkg"
layer = "red"
source = "测试县自然资源局"
date = "2025-12-31"
[layers.urban]
kind = "urban_boundary"
path = "data.gpkg"
layer = "urban"
source = "测试县自然资源局"
date = "2024-06-30"
""", encoding="utf-8")
    return d


def write_sites(path, rows):
    names, types, geoms = zip(*rows, strict=True)
    gpd.GeoDataFrame({"XMMC": list(names), "XMLX": list(types), "DKBH": [f"D{i + 1}" for i in range(len(rows))]},
                     geometry=list(geoms), crs=CRS).to_file(path)
    return path


def invoke(*args):
    return CliRunner().invoke(main, ["check", *map(str, args)])


def test_json_contract_and_exit_codes(project, tmp_path):
    bad = write_sites(tmp_path / "bad.gpkg", [("矿山", "mining", box(X + 100, Y + 100, X + 300, Y + 300)),
                                             ("公路", "linear_infrastructure",
                                              LineString([(X - 100, Y + 500), (X + 1100, Y + 500)]))])
    r = invoke(bad, "--project", project / "redline.toml", "--json")
    assert r.exit_code == 1, r.output
    js = json.loads(r.stdout)                    # stdout holds exactly one JSON object
    assert set(js) >= {"sites", "provenance"}
    assert set(js["provenance"]) >= {"tool_version", "created", "inputs"}
    for rec in js["provenance"]["inputs"]:
        assert set(rec) >= {"path", "sha256", "vintage"}
    assert any(rec.get("vintage") == "2025-12-31" for rec in js["provenance"]["inputs"])
    mine, road = js["sites"]
    for s in js["sites"]:
        assert set(s) >= CONTRACT_SITE
        for L in s["layers"]:
            assert set(L) >= {"layer", "kind", "overlap_m2", "overlap_length_m", "pct_of_site"}
        for h in s["hits"]:
            assert set(h) >= {"layer", "kind", "feature_id", "feature_name", "zone", "overlap_m2", "overlap_length_m",
                              "pct_of_site", "pct_of_feature"}
        for n in s["nearest"]:
            assert set(n) >= {"layer", "kind", "feature_id", "feature_name", "distance_m"}
        for f in s["findings"]:
            assert set(f) >= {"rule", "level", "clause", "message"}
    assert (mine["verdict"], road["verdict"]) == ("不符合", "需论证")
    assert mine["hits"][0]["feature_id"] == "HX001"

    good = write_sites(tmp_path / "good.gpkg", [("住宅", "housing", box(X + 2100, Y + 100, X + 2300, Y + 300))])
    r = invoke(good, "--project", project / "redline.toml", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["sites"][0]["verdict"] == "符合"


def test_type_option_takes_id_or_chinese_label(project, tmp_path):
    f = write_sites(tmp_path / "s.gpkg", [("x", "", box(X + 100, Y + 100, X + 300, Y + 300))])
    r = invoke(f, "--project", project / "redline.toml", "--type", "生态修复", "--json")
    s = json.loads(r.stdout)["sites"][0]
    assert s["project_type"] == "ecological_restoration" and s["verdict"] == "需论证"
    r = invoke(f, "--project", project / "redline.toml", "--type", "rocket")
    assert r.exit_code == 2
    assert "rocket" in r.stderr and "linear_infrastructure" in r.stderr and "Traceback" not in r.output


def test_out_writes_every_file_and_leaves_others_alone(project, tmp_path):
    name = "=HYPERLINK(\"http://x\")<script>alert(1)</script>"
    f = write_sites(tmp_path / "s.gpkg", [(name, "mining", box(X + 100, Y + 100, X + 300, Y + 300)),
                                          ("住宅", "housing", box(X + 2100, Y + 100, X + 2300, Y + 300))])
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    r = invoke(f, "--project", project / "redline.toml", "--out", out, "--no-maps")
    assert r.exit_code == 1, r.output
    assert {p.name for p in out.iterdir()} == OUTPUTS | {"notes.txt"}
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "no temporary file left behind"
    js = json.loads((out / "check.json").read_text(encoding="utf-8"))
    assert js["sites"][0]["verdict"] == "不符合" and "provenance" in js

    raw = (out / "sites.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                     # BOM: Excel reads the Chinese right
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("项目编号,项目名称")
    assert '"=HYPERLINK' in text and "'=HYPERLINK" not in text  # quoted, not rewritten (OWASP)
    assert "压覆面积（公顷）" in (out / "hits.csv").read_bytes().decode("utf-8-sig")

    from openpyxl import load_workbook

    wb = load_workbook(out / "check.xlsx")
    assert {"项目汇总", "压覆明细", "审查意见", "数据来源"} <= set(wb.sheetnames)
    ws = wb["项目汇总"]
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("项目名称") + 1)
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"  # a string cell, never a formula
    hits = wb["压覆明细"]
    hh = [c.value for c in hits[1]]
    ha = hits.cell(row=2, column=hh.index("压覆面积（公顷）") + 1)
    assert ha.number_format == "0.0000" and isinstance(ha.value, (int, float))

    html = (out / "压覆分析报告.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # no script that runs (the provenance block is JSON data) and nothing loaded from elsewhere
    assert not re.search(r'<script(?! type="application/json")|<link\b', html) and not re.search(r'src="https?:', html)
    for words in ("一、项目基本情况", "二、数据来源与分析方法", "三、压覆分析", "四、结论", "引用条款",
                  "测试县自然资源局", "2025-12-31", "2024-06-30", "不符合", "公顷"):
        assert words in html, words
    assert "《关于加强生态保护红线管理的通知（试行）》（自然资发〔2022〕142号）" in html

    from docx import Document

    doc = Document(io.BytesIO((out / "压覆分析报告.docx").read_bytes()))
    body = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "四、结论" in body and "不符合" in body and "测试县自然资源局" in body and name in body


def test_report_maps_are_inline_png(project, tmp_path, cjk_font):
    f = write_sites(tmp_path / "s.gpkg", [("矿山", "mining", box(X + 100, Y + 100, X + 300, Y + 300))])
    out = tmp_path / "out"
    r = invoke(f, "--project", project / "redline.toml", "--out", out)
    assert r.exit_code == 1, r.output
    html = (out / "压覆分析报告.html").read_text(encoding="utf-8")
    imgs = re.findall(r'src="data:image/png;base64,', html)
    assert len(imgs) == 2                                  # the overview and the occupied red line
    with zipfile.ZipFile(out / "压覆分析报告.docx") as z:
        assert len([n for n in z.namelist() if n.startswith("word/media/")]) == 2


def test_report_maps_in_one_child_or_two_are_the_same(project, tmp_path, cjk_font, monkeypatch):
    """A large check draws its report's maps in one child process, a small one in two (halves): the same
    report either way."""
    import redline
    import redline.maps.report.check as report_check

    f = write_sites(tmp_path / "s.gpkg", [(f"矿山{k}", "mining", box(X + 100 + 50 * k, Y + 100, X + 140 + 50 * k, Y + 300))
                                          for k in range(3)])
    result = redline.check(f, redline.Project.load(project / "redline.toml"))
    halves = report_check.check_outputs(result, outputs=("report",))
    monkeypatch.setattr(report_check, "SPLIT_MAPS_MAX_SITES", 0)
    one = report_check.check_outputs(result, outputs=("report",))
    html = one["压覆分析报告.html"].decode()
    assert html.count("data:image/png;base64,") == 6          # each site: the overview and the red line
    assert html == halves["压覆分析报告.html"].decode()


def test_quick_check_with_layer_option(tmp_path):
    gpd.GeoDataFrame({"HXMC": ["红线甲"]}, geometry=[RED], crs=CRS).to_file(tmp_path / "rl.gpkg")
    f = write_sites(tmp_path / "s.gpkg", [("矿山", "mining", box(X + 100, Y + 100, X + 300, Y + 300))])
    r = invoke(f, "--layer", f"red_line={tmp_path / 'rl.gpkg'}", "--json")
    assert r.exit_code == 1, r.output
    s = json.loads(r.stdout)["sites"][0]
    assert s["verdict"] == "不符合" and s["hits"][0]["feature_name"] == "红线甲"
    r = invoke(f, "--layer", f"red_lines={tmp_path / 'rl.gpkg'}")
    assert r.exit_code == 2 and "red_lines" in r.stderr
    r = invoke(f, "--layer", "red_line")
    assert r.exit_code == 2 and "KIND=PATH" in r.stderr


@pytest.mark.parametrize("case", ["missing", "empty", "invalid", "xian80", "no_project", "missing_layer"])
def test_bad_input_gives_one_line_and_writes_nothing(project, tmp_path, case, monkeypatch):
    out = tmp_path / "out"
    args = ["--project", project / "redline.toml"]
    code = 3
    if case == "missing":
        f = tmp_path / "nope.gpkg"
    elif case == "empty":
        f = tmp_path / "empty.geojson"
        f.write_bytes(b"")
    elif case == "invalid":
        from shapely.geometry import Polygon

        f = write_sites(tmp_path / "bow.gpkg", [("蝴蝶", "housing", Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y),
                                                                           (X, Y + 100)]))])
    elif case == "xian80":
        f = tmp_path / "x.gpkg"
        gpd.GeoDataFrame({"XMMC": ["老坐标"]}, geometry=[box(X + 100, Y + 100, X + 300, Y + 300)], crs=2361).to_file(f)
    elif case == "no_project":
        f = write_sites(tmp_path / "s.gpkg", [("x", "housing", box(X, Y, X + 10, Y + 10))])
        monkeypatch.chdir(tmp_path)
        args, code = [], 2
    else:
        f = write_sites(tmp_path / "s.gpkg", [("x", "housing", box(X, Y, X + 10, Y + 10))])
        toml = project / "redline.toml"
        toml.write_text(toml.read_text(encoding="utf-8") + '[layers.farm]\nkind = "basic_farmland"\n'
                        'path = "farmland.shp"\n', encoding="utf-8")
    r = invoke(f, *args, "--out", out)
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output and r.stderr.count("\n") == 1 and r.stderr.startswith("redline: error:")
    assert not out.exists()
    hint = {"missing": "nope.gpkg", "empty": "empty", "invalid": "feature 0", "xian80": "--towgs84",
            "no_project": "--project", "missing_layer": "farm"}[case]
    assert hint in r.stderr


def test_sites_in_another_crs_are_reported_on_stderr(project, tmp_path):
    f = tmp_path / "ll.gpkg"
    gpd.GeoDataFrame({"XMMC": ["经纬度地块"], "XMLX": ["housing"]},
                     geometry=[box(X + 2100, Y + 100, X + 2300, Y + 300)], crs=CRS).to_crs(4490).to_file(f)
    r = invoke(f, "--project", project / "redline.toml", "--json")
    assert r.exit_code == 0, r.output
    assert "reprojected" in r.stderr
    json.loads(r.stdout)


@pytest.mark.slow
def test_demo_check_writes_the_reports(demo_dir, tmp_path):
    out = tmp_path / "report"
    r = invoke(demo_dir / "sites", "--project", demo_dir / "redline.toml", "--out", out)
    assert r.exit_code == 1, r.output
    assert OUTPUTS <= {p.name for p in out.iterdir()}
    js = json.loads((out / "check.json").read_text(encoding="utf-8"))
    verdicts = {s["site_id"]: s["verdict"] for s in js["sites"]}
    assert verdicts["SF-06"] == "不符合" and verdicts["T03-1"] == "无法判定" and verdicts["T01-1"] == "符合"
    html = (out / "压覆分析报告.html").read_text(encoding="utf-8")
    assert "虚构数据" in html and html.count("data:image/png;base64,") >= 13


# ---------------------------------------------------------------------------------------- report pieces
def test_hit_table_parts_add_up_to_the_rounded_total():
    from redline.maps.report.check_content import hit_table

    third = 10_000 / 3                                     # three parts of 0.33333… ha; the layer holds 1 ha
    site = {"geometry_type": "Polygon", "hits": [
        {"layer": "bf", "feature_name": f"图斑{i}", "feature_id": str(i), "zone": None, "overlap_m2": third,
         "overlap_length_m": 0.0, "pct_of_site": 100 / 3, "pct_of_feature": 50.0, "attributes": {}}
        for i in range(3)]}
    layer = {"layer": "bf", "overlap_m2": 10_000.0, "pct_of_site": 100.0, "self_overlap": False}
    header, rows, notes = hit_table(site, layer)
    col = header.index("压覆面积（公顷）")
    parts = [float(r[col]) for r in rows[:-1]]
    assert parts == [0.3334, 0.3333, 0.3333] and rows[-1][col] == "1.0000"
    assert round(sum(parts), 4) == 1.0 and "平差" in notes[0]
    _, rows2, notes2 = hit_table(site, {**layer, "overlap_m2": 8_000.0, "self_overlap": True})
    assert [r[col] for r in rows2[:-1]] == ["0.3333"] * 3 and rows2[-1][col] == "0.8000" and "只计一次" in notes2[0]


def test_safe_cell_and_case_sentences():
    from redline.maps.report.check_content import case_sentences
    from redline.maps.report.tables import safe_cell

    assert [safe_cell(v) for v in ("=1+1", "+86", "-x", "@SUM", "普通\x01", 3)] == ["=1+1", "+86", "-x", "@SUM",
                                                                                    "普通", 3]
    site = {"layers": [{"layer": "rl", "label": "生态保护红线", "touched": False},
                       {"layer": "bf", "label": "永久基本农田", "touched": False}],
            "nearest": [{"layer": "rl", "feature_id": "HX1", "feature_name": "红线甲", "distance_m": 612.345}],
            "findings": []}
    (l1, m1), (l2, m2) = case_sentences(site, 5000)
    assert m1 == ["项目用地未压覆生态保护红线，距最近的“红线甲”612.35米。"]
    assert m2 == ["项目用地未压覆永久基本农田，5000米范围内无永久基本农田。"]


HOSTILE_NAMES = [
    "=HYPERLINK(\"http://x\",\"点我\")",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "<img src=x onerror=alert(1)>红线旁&amp;地块",
    "控制\x01字符\x08与\x1b[31m转义\x0b序列",
]


def test_hostile_names_stay_text_in_every_report(project, tmp_path):
    """Site and feature names holding markup, formula prefixes and control characters come out as inert
    text in CSV, XLSX, HTML and DOCX (and the JSON keeps them as they are)."""
    sites = [(n, "mining", box(X + 100 + 50 * i, Y + 100, X + 140 + 50 * i, Y + 140))
             for i, n in enumerate(HOSTILE_NAMES)]
    f = write_sites(tmp_path / "s.gpkg", sites)
    out = tmp_path / "out"
    r = invoke(f, "--project", project / "redline.toml", "--out", out, "--no-maps")
    assert r.exit_code == 1 and r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output

    js = json.loads((out / "check.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in js["sites"]] == HOSTILE_NAMES

    def visible(name: str) -> str:  # what may be shown: the name without C0 control characters
        return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", name)

    csv_text = (out / "sites.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert [r[1] for r in rows[1:]] == [visible(n) for n in HOSTILE_NAMES]      # every value as it is
    for n in HOSTILE_NAMES[:4]:   # a cell starting like a formula is quoted (OWASP), never rewritten
        assert '"' + n.replace('"', '""') + '"' in csv_text and f"'{n}" not in csv_text, n
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", csv_text)

    from openpyxl import load_workbook

    ws = load_workbook(out / "check.xlsx")["项目汇总"]
    header = [c.value for c in ws[1]]
    col = header.index("项目名称") + 1
    cells = [ws.cell(row=k + 2, column=col) for k in range(len(HOSTILE_NAMES))]
    assert all(c.data_type == "s" for c in cells)            # text, never a formula
    for c, n in zip(cells, HOSTILE_NAMES, strict=True):
        expected = visible(n)
        assert c.value == expected

    html = (out / "压覆分析报告.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;红线旁&amp;amp;地块" in html
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", html)

    from docx import Document

    doc = Document(io.BytesIO((out / "压覆分析报告.docx").read_bytes()))
    body = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells)
    for n in HOSTILE_NAMES:
        assert visible(n) in body, n
    with zipfile.ZipFile(out / "压覆分析报告.docx") as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "<img src" not in xml and "<w:fldSimple" not in xml and "<w:instrText" not in xml
