"""Report text an officer can paste: Chinese throughout (processing notes translated, CRS names in Chinese
surveying words), no internal rule ids, no command-line hints; the 国土TXT header's 数据产生单位 and 数据产生日期
as the site file's source and date; the core control layers not checked stated with the verdicts."""

from __future__ import annotations

import html
import io
import re

import pytest
from click.testing import CliRunner
from docx import Document

from redline.cli import main
from redline.maps.report.notes import note_zh, notes_zh

RULE_ID = re.compile(r"\b(red_line|protected_area|basic_farmland|urban_boundary|water_source|control_unit|shoreline|"
                     r"river_range|river|wetland_park|project_type|coverage)\.[a-z_0-9]+")


def html_text(data: bytes) -> str:
    t = re.sub(r"<style.*?</style>|<script.*?</script>", "", data.decode("utf-8"), flags=re.S)  # what a reader sees
    t = re.sub(r"<img[^>]*>", "", t)
    return html.unescape(re.sub(r"<[^>]+>", " ", t))


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.fixture(scope="module")
def demo_report(demo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    res = CliRunner().invoke(main, ["check", str(demo_dir / "sites"), "--project", str(demo_dir / "redline.toml"),
                                    "--out", str(out), "--no-maps", "-q"])
    assert res.exit_code == 1, res.output
    return out


def test_the_demo_report_is_chinese_without_ids_or_cli_hints(demo_report):
    for text in (html_text((demo_report / "压覆分析报告.html").read_bytes()),
                 docx_text((demo_report / "压覆分析报告.docx").read_bytes())):
        assert not RULE_ID.search(text), RULE_ID.search(text).group(0)
        assert "--type" not in text and "--" not in text.replace("——", "")
        assert "程序原文" not in text                   # every processing note of the demo is translated
        assert "处理记录：" in text and "2000国家大地坐标系 3度带高斯-克吕格投影第37带" in text
        assert "Gauss-Kruger" not in text and "reprojected" not in text


def test_the_guotu_header_gives_the_site_files_source_and_date(demo_report):
    text = docx_text((demo_report / "压覆分析报告.docx").read_bytes())
    doc = Document(io.BytesIO((demo_report / "压覆分析报告.docx").read_bytes()))
    rows = [[c.text for c in r.cells] for t in doc.tables for r in t.rows]
    site_rows = [r for r in rows if r[0] == "项目用地" and r[4].endswith("01_示范县幸福里住宅小区.txt")]
    assert site_rows, text[:200]
    # the file's header says 数据产生单位=示范县自然资源局（虚构）, 数据产生日期=2026-06-30
    assert site_rows[0][2] == "示范县自然资源局（虚构）" and site_rows[0][3] == "2026-06-30"


def test_a_quick_check_states_the_layers_it_did_not_check(demo_dir, tmp_path):
    out = tmp_path / "r"
    res = CliRunner().invoke(main, ["check", str(demo_dir / "sites" / "01_示范县幸福里住宅小区.txt"), "--type", "housing",
                                    "--layer", f"red_line={demo_dir / 'data' / '生态保护红线.shp'}",
                                    "--layer", f"boundary={demo_dir / 'data' / '示范县.gpkg'}:示范县县界",
                                    "--out", str(out), "--no-maps", "-q"])
    assert res.exit_code == 0, res.output
    text = html_text((out / "压覆分析报告.html").read_bytes())
    assert "符合（未核查：永久基本农田、城镇开发边界、自然保护地）" in text
    assert "本次核查未包括以下核心管控图层：永久基本农田、城镇开发边界、自然保护地" in text


@pytest.mark.parametrize("warning", [
    "layer rivers (rivers.geojson): reprojected from China Geodetic Coordinate System 2000 to the analysis CRS "
    "CGCS2000 / 3-degree Gauss-Kruger zone 37",
    "layer red_line (红线.shp): encoding: the no .cpg; attribute text is not UTF-8 but decodes as GBK/GB18030; "
    "give --encoding to override",
    "layer red_line (红线.shp): 2 invalid geometries (Self-intersection ×1, Ring Self-intersection ×1; feature 0 "
    "(HX01), feature 7 (HX08))",
    "layer red_line (红线.shp): repaired 2 feature(s) with make_valid(method='structure') (feature 0 (HX01), "
    "feature 7 (HX08)): area 5000000.000 → 4000000.000 (planar units of the layer)",
    "layer red_line: repaired 1 feature(s) with make_valid(method='structure') (feature 3): area 1.000 → 2.000 "
    "(planar units of the layer), for the check (the data is unchanged)",
    "core control layers not checked: 永久基本农田, 城镇开发边界 (no layer of the check holds them); every verdict "
    "says so (e.g. 符合（未核查：永久基本农田、城镇开发边界）)",
    "distance rule 'r1' (黄河2公里): where {'name': '黄河'} matches no feature of layer 'rivers'; the rule cannot "
    "apply to any site (check the names in the rule)",
    "layer county (县界.shp): no CRS in 县界.shp: the easting prefix 37 places it in CGCS2000 / 3-degree "
    "Gauss-Kruger zone 37",
    "layer rivers: WGS 84 and CGCS2000 differ by centimetres to a metre; treated as the same datum",
    "layer pa (保护地.shp): no field for zone; rules by zone cannot be applied, so hits need review. Map it with "
    "fields = { zone = \"FIELD\" } in [layers.pa]",
    "layer a (a.shp): 3 feature(s) with empty or missing geometry",
])
def test_the_usual_processing_notes_have_a_chinese_translation(warning):
    zh = note_zh(warning, {"red_line": "生态保护红线"})
    assert zh is not None
    words = re.findall(r"[A-Za-z]{3,}", zh)
    assert set(words) <= {"EPSG", "WGS", "CGCS", "UTF", "GBK", "ASCII", "Latin", "cpg", "shp", "geojson",
                          "rivers", "county", "name", "red_line"}, words
    assert "--" not in zh


def test_untranslated_notes_are_kept_apart():
    done, left = notes_zh(["layer x: something nobody wrote a translation for", "layer x: 3 feature(s) with empty "
                           "or missing geometry"])
    assert done == ["图层“x”：3个要素几何为空或缺失"] and left == ["layer x: something nobody wrote a translation for"]
