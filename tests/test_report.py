"""The rendering package ``redline.maps.report``: the 压覆分析报告 (HTML escaping, A4 DOCX, the rule for many
sites), the check's tables and workbooks, the Word table writer.

Check results here are written by hand (the dict ``check.json`` holds), so every expected count and sum is
known from how the sites were made, not from the code under test.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import warnings
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from redline.maps.report import check_outputs, check_report
from redline.maps.report.check_content import DEFAULT_REPORT_SITES, detailed_sites
from redline.maps.report.word import WordWriter
from redline.spatial.check import CheckResult

ROOT = Path(__file__).resolve().parents[1]
HTML, DOCX = "压覆分析报告.html", "压覆分析报告.docx"
CLAUSE = "《关于加强生态保护红线管理的通知（试行）》（自然资发〔2022〕142号）一、（一）"


def site(k: int, verdict: str, *, name: str | None = None, overlap_m2: float = 0.0) -> dict:
    """A polygon site of 2 ha; one that is not 符合 overlaps the red line by ``overlap_m2`` (feature HX<k>)."""
    touched = overlap_m2 > 0
    layer = {"layer": "red_line", "kind": "red_line", "label": "生态保护红线", "overlap_m2": overlap_m2,
             "overlap_length_m": 0.0, "pct_of_site": 100 * overlap_m2 / 20_000, "touched": touched,
             "features": int(touched), "self_overlap": False}
    hits = [{"layer": "red_line", "kind": "red_line", "label": "生态保护红线", "feature_id": f"HX{k}",
             "feature_name": f"红线{k}", "zone": None, "overlap_m2": overlap_m2, "overlap_length_m": 0.0,
             "pct_of_site": 100 * overlap_m2 / 20_000, "pct_of_feature": 10.0, "attributes": {"code": f"HX{k}"}}
            ] if touched else []
    level = {"不符合": "prohibited", "需论证": "needs_review", "无法判定": "no_data"}.get(verdict)
    findings = [{"rule": "red_line.forbidden", "level": level, "clause": CLAUSE, "layer": "red_line",
                 "message": f"项目用地压覆生态保护红线（红线{k}）。"}] if level else []
    nearest = [] if touched else [{"layer": "red_line", "kind": "red_line", "label": "生态保护红线",
                                   "feature_id": "HX0", "feature_name": "红线0", "distance_m": 120.0}]
    return {"site_id": f"S{k:04d}", "name": name or f"地块{k}", "geometry_type": "Polygon", "area_m2": 20_000.0,
            "length_m": None, "verdict": verdict, "project_type": "mining", "project_type_label": "采矿",
            "type_source": "--type", "location": "甲镇", "coverage": {"inside": True},
            "layers": [layer], "hits": hits, "nearest": nearest, "findings": findings, "distance_rules": []}


def result_of(sites: list[dict], **extra) -> dict:
    return {"sites": sites, "summary": {"sites": len(sites)},
            "analysis": {"crs": {"epsg": 4525, "name": "CGCS2000 / 3-degree Gauss-Kruger zone 37"},
                         "max_distance_m": 5000.0},
            "layers": [{"layer": "red_line", "kind": "red_line", "label": "生态保护红线"}],
            "rules": {"version": "test"}, "warnings": [],
            "provenance": {"tool_version": "0.1", "created": "2026-11-20T10:00:00+08:00",
                           "inputs": [{"role": "layer", "label": "生态保护红线", "source": "测试县自然资源局",
                                       "vintage": "2025-12-31", "path": "红线.gpkg", "sha256": "ab" * 32}]},
            **extra}


def many_sites() -> list[dict]:
    """300 sites in a repeating pattern of 5: 符合, 不符合, 符合, 需论证, 符合. So 180 符合, 60 不符合,
    60 需论证; every site that is not 符合 overlaps the red line by 1 ha (10,000 m²)."""
    pattern = ["符合", "不符合", "符合", "需论证", "符合"]
    return [site(k, pattern[k % 5], overlap_m2=0.0 if pattern[k % 5] == "符合" else 10_000.0) for k in range(300)]


def docx_body(data: bytes) -> tuple[Document, str]:
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n" + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells)
    return doc, text


# ------------------------------------------------------------------------------------- many sites
def test_detailed_sites_rule():
    sites = [{"verdict": v} for v in ["符合", "不符合", "符合", "需论证", "无法判定", "符合"]]
    assert detailed_sites({"sites": sites}, 10) == [0, 1, 2, 3, 4, 5]      # all fit: every site
    assert detailed_sites({"sites": sites}, 2) == [1, 3]                    # the first not 符合
    assert detailed_sites({"sites": sites}, 4) == [0, 1, 3, 4]              # 3 not 符合, then 1 符合
    assert detailed_sites({"sites": sites}, 0) == []
    assert DEFAULT_REPORT_SITES == 50


def test_report_for_many_sites_is_a_summary_and_at_most_n_sections():
    result = result_of(many_sites())
    files = check_report(result, report_sites=50)
    html = files[HTML].decode("utf-8")
    # the sections: headings "（一）地块1（S0001）" …, in 三、压覆分析
    ids = re.findall(r"<h3>（[一二三四五六七八九十]+）地块\d+（(S\d{4})）</h3>", html)
    assert len(ids) == 50
    not_ok = [f"S{k:04d}" for k in range(300) if k % 5 in (1, 3)]          # 不符合 and 需论证, input order
    assert ids == not_ok[:50]
    # counts by verdict (hand count of the pattern) and what is left out
    assert "共300个项目" in html and "其余250个项目" in html
    assert "sites.csv" in html and "hits.csv" in html and "check.xlsx" in html
    rows = dict(re.findall(r"<tr><td>(符合|不符合|需论证|无法判定)</td><td class=\"n\">(\d+)</td>", html))
    assert rows == {"符合": "180", "不符合": "60", "需论证": "60", "无法判定": "0"}
    assert "全部项目结论统计：符合 180 个，不符合 60 个，需论证 60 个，无法判定 0 个。" in html
    # by layer: 120 sites touch the red line, 1 ha each → 120.0000 公顷; 60 prohibited, 60 needs review
    layer_row = re.search(r"<tr><td>生态保护红线</td>((?:<td class=\"n\">[^<]*</td>)+)</tr>", html).group(1)
    assert re.findall(r">([^<]*)<", layer_row)[::2] == ["120", "120.0000", "0.00", "60", "60"]
    # the basics table lists the detailed sites only
    assert html.count("<td>采矿</td>") == 50

    doc, text = docx_body(files[DOCX])
    sections = [p.text for p in doc.paragraphs if p.style.name == "Heading 2" and p.text.startswith("（")]
    assert [re.search(r"（(S\d{4})）$", t).group(1) for t in sections] == not_ok[:50]
    assert "其余250个项目" in text and "全部项目结论统计：符合 180 个" in text


def test_report_keeps_every_site_when_few():
    sites = many_sites()[:12]
    html = check_report(result_of(sites), report_sites=50)[HTML].decode("utf-8")
    assert len(re.findall(r"<h3>（[一二三四五六七八九十]+）", html)) == 12
    assert "结论统计" not in html and "其余" not in html


def test_check_outputs_builds_every_file_with_every_site_in_the_tables():
    result = result_of(many_sites())
    files = check_outputs(CheckResult.from_dict(result), report_sites=10)
    assert set(files) == {"check.json", "sites.csv", "hits.csv", "check.xlsx", HTML, DOCX}
    lines = files["sites.csv"].decode("utf-8-sig").splitlines()
    assert len(lines) == 301 and lines[0].startswith("项目编号,项目名称")
    assert len(files["hits.csv"].decode("utf-8-sig").splitlines()) == 121   # 120 hits + header
    wb = load_workbook(io.BytesIO(files["check.xlsx"]))
    assert wb["项目汇总"].max_row == 301 and wb["压覆明细"].max_row == 121
    ws = wb["压覆明细"]
    header = [c.value for c in ws[1]]
    ha = ws.cell(row=2, column=header.index("压覆面积（公顷）") + 1)
    assert ha.value == 1.0 and ha.number_format == "0.0000"
    assert ws.freeze_panes == "A2" and ws["A1"].font.b
    assert len(re.findall(r"<h3>（", files[HTML].decode("utf-8"))) == 10


def test_worksheet_row_limit_is_said(monkeypatch):
    from redline.maps.report import tables, xlsx

    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 12)
    result = result_of(many_sites()[:40])
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        data = tables.check_xlsx(CheckResult.from_dict(result))
    messages = [str(w.message) for w in said if w.category is tables.ReportWarning]
    assert any("项目汇总: 40 rows" in m for m in messages) and any("压覆明细: 16 rows" in m for m in messages)
    ws = load_workbook(io.BytesIO(data))["项目汇总"]
    assert ws.max_row == 12                                  # header, 10 rows, the note
    assert "本表共40行" in ws.cell(row=12, column=1).value


# ----------------------------------------------------------------------------------------- escaping
HOSTILE = "<img src=x onerror=alert(1)>\"引号'&amp;红线\x01\x1b[31m"
VISIBLE = "<img src=x onerror=alert(1)>\"引号'&amp;红线[31m"


def test_template_escapes_every_user_string():
    s = site(1, "不符合", name=HOSTILE, overlap_m2=5_000.0)
    s["hits"][0]["feature_name"] = HOSTILE
    s["findings"][0]["message"] = HOSTILE
    s["layers"][0]["label"] = HOSTILE
    s["location"] = HOSTILE
    result = result_of([s, site(2, "符合")], project={"name": HOSTILE, "fictional": True}, warnings=[HOSTILE])
    result["provenance"]["inputs"][0]["source"] = HOSTILE
    from PIL import Image

    def png(size):                           # two different pictures: Word stores identical ones once
        buf = io.BytesIO()
        Image.new("RGB", size, "white").save(buf, format="PNG")
        return buf.getvalue()
    files = check_report(result, images={"S0001": {"overview": png((4, 3)), "layers": {"red_line": png((3, 4))}}})
    html = files[HTML].decode("utf-8")
    assert "<img src=x" not in html and "onerror=alert(1)>" not in html
    escaped = "&lt;img src=x onerror=alert(1)&gt;&#34;引号&#39;&amp;amp;红线[31m"
    assert html.count(escaped) >= 8                        # title, sub, names, location, source, warning …
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", html)
    assert not re.search(r'<script(?! type="application/json")|<(link|iframe)\b', html)
    assert not re.search(r'src="https?:', html)
    # the caption sits in an attribute too: the quote must not close it
    assert re.search(r'<img alt="图1　&lt;img src=x onerror=alert\(1\)&gt;&#34;引号', html)
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 2

    _, text = docx_body(files[DOCX])
    assert VISIBLE in text
    with zipfile.ZipFile(io.BytesIO(files[DOCX])) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        assert len([n for n in z.namelist() if n.startswith("word/media/")]) == 2
    assert "<img src" not in xml and "\x01" not in xml and "<w:fldSimple" not in xml


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\")", "+86", "-1", "@SUM(A1)"])
def test_formula_prefixes_stay_text(name):
    files = check_outputs(CheckResult.from_dict(result_of([site(1, "符合", name=name)])))
    text = files["sites.csv"].decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][1] == name and '"' + name.replace('"', '""') + '"' in text   # kept, and quoted (OWASP)
    ws = load_workbook(io.BytesIO(files["check.xlsx"]))["项目汇总"]
    cell = ws.cell(row=2, column=2)
    assert cell.value == name and cell.data_type == "s"                        # a string cell, not a formula
    assert name.replace('"', "&#34;") in files[HTML].decode("utf-8")   # the report shows the name as it is


# --------------------------------------------------------------------------------------------- DOCX
def test_docx_pages_are_a4():
    doc = Document(io.BytesIO(check_report(result_of([site(1, "符合")]))[DOCX]))
    for sec in doc.sections:                 # ISO 216 A4: 210 mm × 297 mm, portrait
        assert round(sec.page_width.mm, 1) == 210.0 and round(sec.page_height.mm, 1) == 297.0


def test_word_table_keeps_text_as_python_docx_would():
    cells = [" 前后空格 ", "制表\t符", "换\n行", None, "", "=1+1", "<b>粗</b>&amp;"]
    w = WordWriter()
    t = w.table([f"列{j}" for j in range(len(cells))], [cells, list(reversed(cells))], numeric={1})
    got = [[c.text for c in row.cells] for row in t.rows]
    expected = [["" if v is None else v for v in cells]]
    assert got[1:] == [expected[0], list(reversed(expected[0]))]
    doc = Document(io.BytesIO(w.to_bytes()))           # survives a save and a read
    assert [[c.text for c in row.cells] for row in doc.tables[0].rows] == got
    header = doc.tables[0].rows[0].cells[0].paragraphs[0].runs[0]
    assert header.bold and header.font.size.pt == 9
    body = doc.tables[0].rows[1].cells[1].paragraphs[0]
    assert body.alignment is not None and body.alignment.name == "RIGHT"


# ------------------------------------------------------------------------------------------ packaging
def test_templates_are_declared_package_data():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert {"redline.maps.report", "redline.maps.report.templates"} <= set(cfg["packages"])
    patterns = cfg["package-data"]["redline.maps.report.templates"]
    for f in (ROOT / "maps" / "report" / "templates").iterdir():
        assert any(Path(f.name).match(p) for p in patterns), f


def test_check_report_warns_nothing_without_maps():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_outputs(CheckResult.from_dict(result_of([site(1, "符合")])), maps=False)
