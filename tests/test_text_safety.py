"""Text from users' data in every report, table, terminal line and map (issue 16).

Generated names mixing Chinese, markup, formula prefixes (``= + - @``, ``--type``), control characters and
bidirectional overrides (U+202A–U+202E, U+2066–U+2069):

* CSV files keep each value exactly (bar control and bidi characters), quoted when it starts like a formula
  (OWASP), never prefixed; XLSX cells hold the same value as string cells, never formulas;
* HTML, DOCX, the web map, the terminal and the print map carry no bidi override;
* JSON keeps the value and writes the overrides as escapes;
* a 1 MB attribute value prints as one short cell in ``area --by`` (the XLSX keeps it whole).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from redline.cli import main
from redline.spatial.check_tables import printable

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
X, Y = 37_465_000.0, 4_200_000.0

names = st.text(alphabet=st.one_of(st.sampled_from(list("红线甲乙汾河=+-@<>&\"',; \t\n\x01\x1b") + list(BIDI)),
                                   st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)),
                min_size=1, max_size=16).filter(lambda s: printable(s).strip())


def _outputs(site_names: list[str]) -> dict[str, bytes]:
    import redline

    rl = gpd.GeoDataFrame({"HXMC": ["红线\u202e一"]}, geometry=[shapely.box(X, Y, X + 1000, Y + 1000)], crs=4525)
    sites = gpd.GeoDataFrame({"XMMC": site_names}, crs=4525,
                             geometry=[shapely.box(X + 100 * i, Y + 100, X + 100 * i + 50, Y + 150)
                                       for i in range(len(site_names))])
    result = redline.check(sites, {"red_line": rl}, project_type="mining")
    return result.outputs(maps=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(site_names=st.lists(names, min_size=1, max_size=4))
@example(site_names=["; \x01"])          # found by hypothesis: the space before a dropped character stays
def test_every_table_keeps_values_and_drops_overrides(site_names):
    files = _outputs(site_names)
    # names are read stripped (DBF pads with spaces), then the tables drop control and bidi characters: a
    # space before a dropped character stays ("; \x01" → "; ")
    expected = [printable(n.strip()) for n in site_names]

    text = files["sites.csv"].decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[1] for r in rows[1:]] == expected
    for n in expected:
        if n[:1] in ("=", "+", "-", "@", "\t"):
            assert '"' + n.replace('"', '""') + '"' in text and "'" + n not in text

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(files["check.xlsx"]))["项目汇总"]
    cells = [ws.cell(row=k + 2, column=2) for k in range(len(site_names))]
    assert [c.value for c in cells] == [n or None for n in expected]
    assert all(c.data_type == "s" for c in cells if c.value is not None)

    for name in ("压覆分析报告.html", "sites.csv", "hits.csv"):
        assert not set(files[name].decode("utf-8-sig")) & set(BIDI), name
    with zipfile.ZipFile(io.BytesIO(files["压覆分析报告.docx"])) as z:
        assert not set(z.read("word/document.xml").decode("utf-8")) & set(BIDI)
    with zipfile.ZipFile(io.BytesIO(files["check.xlsx"])) as z:
        assert not set("".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))) & set(BIDI)

    js = files["check.json"].decode("utf-8")
    assert not set(js) & set(BIDI)
    assert [s["name"] for s in json.loads(js)["sites"]] == [n.strip() for n in site_names]   # read stripped


@pytest.fixture
def layer_with_hostile_values(tmp_path):
    """Polygons whose class attribute holds a 1 MB value, bidi overrides and a formula."""
    huge = "长" * (1 << 20)
    values = [huge, "林地\u202e地林", "=1+1", "--type"]
    gdf = gpd.GeoDataFrame({"HXLX": values}, crs=4525,
                           geometry=[shapely.box(X + 200 * i, Y, X + 200 * i + 100, Y + 100) for i in range(4)])
    f = tmp_path / "红线.gpkg"
    gdf.to_file(f)
    return f, values


def test_a_huge_value_prints_as_one_short_cell(layer_with_hostile_values, tmp_path):
    f, values = layer_with_hostile_values
    xlsx = tmp_path / "表.xlsx"
    r = CliRunner().invoke(main, ["area", str(f), "--by", "HXLX", "--unit", "m2", "--xlsx", str(xlsx)])
    assert r.exit_code == 0, r.output[-500:]
    assert len(r.stdout) < 5_000, len(r.stdout)
    assert not set(r.output) & set(BIDI)
    lines = r.stdout.splitlines()
    assert any(line.strip().startswith("长" * 19 + "…") for line in lines), lines
    # each 100 m × 100 m square is 10,000 m² (planar in zone 37; the ellipsoidal area is within 0.1 %)
    assert sum(1 for line in lines if re.search(r"\b99\d\d\.\d+\b|\b10\d\d\d\.\d+\b", line)) == 4, lines
    from openpyxl import load_workbook

    cells = [c.value for row in load_workbook(xlsx)["面积统计"].iter_rows() for c in row]
    assert "=1+1" in cells and "--type" in cells and "林地地林" in cells
    cut = next(c for c in cells if isinstance(c, str) and c.startswith("长" * 1000))
    assert len(cut) == 32_767 and cut.endswith("已截断）")   # Excel's limit, said in the cell
    js = json.loads(CliRunner().invoke(main, ["area", str(f), "--by", "HXLX", "--json"]).stdout)
    assert values[0] in [row["key"] for row in js["rows"]]    # the JSON keeps every value whole


@settings(max_examples=20, deadline=None)
@given(text=names)
def test_terminal_cells_and_lines(text):
    from redline.maps.report.text import MAX_CELL, display_line, display_text, text_width

    cell = display_text(text * 50)
    assert text_width(cell) <= MAX_CELL and not set(cell) & set(BIDI + "\n\r\x01\x1b")
    line = display_line(text * 500, 120)
    assert text_width(line) <= 120 and not set(line) & set(BIDI + "\r\x01\x1b")


def test_web_map_and_print_map_carry_no_override(tmp_path, cjk_font):
    """Township and town names with overrides: the web map's data and panels, and the print map, draw them
    without (a print map with an override character would otherwise refuse to save: it has no glyph)."""
    from redline.layers.project import Project
    from redline.maps.render import render_maps

    county = gpd.GeoDataFrame({"name": ["示范\u202e县"]}, geometry=[shapely.box(X, Y, X + 5000, Y + 5000)],
                              crs=4525)
    towns = gpd.GeoDataFrame({"name": ["城\u2066关\u2069镇", "=HYPERLINK(1)"]}, crs=4525,
                             geometry=[shapely.box(X, Y, X + 2500, Y + 5000), shapely.box(X + 2500, Y, X + 5000, Y + 5000)])
    county.to_file(tmp_path / "c.gpkg")
    towns.to_file(tmp_path / "t.gpkg")
    project = Project.from_dict({"region": {"name": "示范\u202e县", "boundary": "county", "townships": "towns"},
                                 "layers": {"county": {"kind": "boundary", "path": "c.gpkg"},
                                            "towns": {"kind": "boundary", "path": "t.gpkg"}},
                                 "map": {"title": "标题\u202e"}}, base=tmp_path)
    res = render_maps(project, html=tmp_path / "m.html", pdf=tmp_path / "m.pdf", no_layout=True)
    html = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert not set(html) & set(BIDI) and "城关镇" in html
    assert res["print_maps"][0]["bytes"] > 0
