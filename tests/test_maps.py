"""Web map, styles, layout files, display preparation (simplification, rounding, budget, GCJ-02), and the
``redline map`` command.

The small project of :func:`write_small_project` is built from boxes and straight lines in a 3° Gauss-Krüger
zone, so every geometric expectation below is hand arithmetic.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, Point, box

from redline.layers.errors import InputError, UsageError
from redline.layers.project import load_project

X0, Y0 = 37_490_000.0, 4_230_000.0   # EPSG:4525 (CGCS2000 3° zone 37, CM 111°E, prefixed eastings)
EPSG = 4525
XSS = "<script>alert(1)</script>"


def _gk(x, y):
    return (X0 + x, Y0 + y)


def _box(x0, y0, x1, y1):
    return box(*_gk(x0, y0), *_gk(x1, y1))


def write_small_project(folder: Path, *, approval: str | None = "GS(2099)0000号", fictional: bool = True,
                        layout: bool = True) -> Path:
    """A 20 km x 16 km county with every layer kind, as GeoPackages with Chinese field names."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    data.mkdir(exist_ok=True)

    def save(name, rows, geoms):
        gpd.GeoDataFrame(rows, geometry=geoms, crs=EPSG).to_file(data / f"{name}.gpkg")

    save("county", {"行政区名称": ["示范县"]}, [_box(0, 0, 20_000, 16_000)])
    save("townships", {"乡镇名称": ["东镇", "西镇", "南乡", "北乡"]},
         [_box(10_000, 8_000, 20_000, 16_000), _box(0, 8_000, 10_000, 16_000),
          _box(0, 0, 10_000, 8_000), _box(10_000, 0, 20_000, 8_000)])
    save("control_units", {"单元名称": ["优先单元", "重点单元", "一般单元"],
                           "单元类别": ["优先保护单元", "重点管控单元", "一般管控单元"]},
         [_box(0, 0, 8_000, 16_000), _box(8_000, 0, 14_000, 16_000), _box(14_000, 0, 20_000, 16_000)])
    save("farmland", {"图斑编号": ["JB001", "JB002"], "地类名称": ["水田", "旱地"]},
         [_box(12_500, 1_000, 15_000, 3_000), _box(16_000, 1_000, 19_000, 3_500)])
    save("red_line", {"红线名称": ["北山水源涵养红线", XSS], "红线类型": ["水源涵养", "生物多样性维护"]},
         [_box(1_000, 11_000, 7_000, 15_000), _box(13_000, 11_000, 17_000, 14_000)])
    save("pa_zones", {"保护地名称": ["北山自然保护区"] * 3, "功能分区": ["核心区", "缓冲区", "实验区"],
                      "保护级别": ["省级"] * 3},
         [_box(2_000, 12_000, 4_000, 14_000), _box(4_000, 12_000, 5_000, 14_000),
          _box(5_000, 12_000, 6_500, 14_000)])
    save("urban", {"名称": ["县城开发边界"]}, [_box(9_000, 6_000, 12_000, 9_000)])
    save("shoreline", {"岸线名称": ["汾河东岸"], "功能区类型": ["岸线保护区"], "河流名称": ["汾河"]},
         [_box(0, 4_900, 20_000, 5_000)])
    save("rivers", {"河流名称": ["汾河", "孝河"]},
         [LineString([_gk(0, 5_000), _gk(20_000, 5_000)]), LineString([_gk(10_000, 5_000), _gk(10_000, 16_000)])])
    save("roads", {"道路名称": ["G340"], "道路等级": ["国道"]},
         [LineString([_gk(0, 9_000), _gk(20_000, 9_500)])])
    save("towns", {"名称": ["县城", "东镇", "西镇"], "级别": ["县城", "建制镇", "建制镇"]},
         [Point(_gk(10_500, 7_500)), Point(_gk(15_000, 12_000)), Point(_gk(5_000, 10_000))])

    if layout:
        (folder / "structure.toml").write_text(textwrap.dedent("""\
            title = "示范县生态空间结构图"
            formula = "一带一片、一区两轴、一心"
            [[elements]]
            kind = "belt"
            label = "沿河生态带"
            from = { layer = "rivers", where = { name = ["汾河"] } }
            buffer_m = 500
            [[elements]]
            kind = "片"
            label = "北部水源涵养片"
            from = { layer = "townships", where = { name = ["东镇", "西镇"] } }
            [[elements]]
            kind = "zone"
            label = "中心城区"
            coords = [[111.0, 38.24], [111.03, 38.24], [111.03, 38.26], [111.0, 38.26]]
            [[elements]]
            kind = "axis"
            label = "G340发展主轴"
            rank = "main"
            from = { layer = "roads", where = { name = "G340" } }
            [[elements]]
            kind = "轴"
            label = "南北发展次轴"
            rank = "次"
            coords = [[111.01, 38.19], [111.02, 38.33]]
            [[elements]]
            kind = "core"
            label = "县城综合服务核心"
            rank = 1
            from = { layer = "towns", where = { name = "县城" } }
            [[elements]]
            kind = "node"
            label = "东镇节点"
            from = { layer = "towns", where = { name = "东镇" } }
            """), encoding="utf-8")
    approval_line = f'approval_number = "{approval}"\n' if approval else ""
    layout_line = 'layout = "structure.toml"\n' if layout else ""
    (folder / "redline.toml").write_text(textwrap.dedent(f"""\
        [region]
        name = "示范县"
        boundary = "county"
        townships = "townships"
        crs = "EPSG:{EPSG}"
        fictional = {str(fictional).lower()}

        [layers.county]
        kind = "boundary"
        path = "data/county.gpkg"
        [layers.townships]
        kind = "boundary"
        path = "data/townships.gpkg"
        [layers.control_units]
        kind = "control_unit"
        path = "data/control_units.gpkg"
        [layers.farmland]
        kind = "basic_farmland"
        path = "data/farmland.gpkg"
        [layers.red_line]
        kind = "red_line"
        path = "data/red_line.gpkg"
        source = "示范县自然资源局"
        date = "2026-06-30"
        [layers.pa_zones]
        kind = "protected_area_zone"
        path = "data/pa_zones.gpkg"
        [layers.urban]
        kind = "urban_boundary"
        path = "data/urban.gpkg"
        [layers.shoreline]
        kind = "shoreline_zone"
        path = "data/shoreline.gpkg"
        [layers.rivers]
        kind = "river"
        path = "data/rivers.gpkg"
        [layers.roads]
        kind = "road"
        path = "data/roads.gpkg"
        [layers.towns]
        kind = "town"
        path = "data/towns.gpkg"

        [map]
        title = "示范县生态保护红线分布图"
        producer = "示范规划设计院"
        """) + approval_line + layout_line, encoding="utf-8")
    return folder / "redline.toml"


@pytest.fixture(scope="module")
def small_project(tmp_path_factory):
    return load_project(write_small_project(tmp_path_factory.mktemp("small") / "county"))


@pytest.fixture(scope="module")
def small_map(small_project, tmp_path_factory):
    from redline.maps.webmap import save_web_map, web_map

    m = web_map(small_project)
    out = tmp_path_factory.mktemp("webmap") / "map.html"
    info = save_web_map(m, out)
    return m, out, out.read_text(encoding="utf-8"), info


# ------------------------------------------------------------------------------------------------ styles
def test_styles_follow_plan_map_practice():
    from redline.maps.styles import load_styles

    book = load_styles()
    red = book.for_layer("rl", "red_line").base
    g = [int(red.fill_color[i:i + 2], 16) for i in (1, 3, 5)]
    assert g[1] > g[0] and g[1] > g[2], "the red line is drawn as a green fill"
    farm = book.for_layer("bf", "basic_farmland").base
    r, gg, b = (int(farm.fill_color[i:i + 2], 16) for i in (1, 3, 5))
    assert r > 200 and gg > 200 and b < 120, "permanent basic farmland is yellow"
    ub = book.for_layer("ub", "urban_boundary").base
    assert not ub.fill and ub.weight >= 2
    pz = book.for_layer("pz", "protected_area_zone")
    lum = {k: sum(int(s.fill_color[i:i + 2], 16) for i in (1, 3, 5)) for k, s in pz.values.items()}
    assert lum["核心区"] < lum["缓冲区"] < lum["实验区"], "zones graded by strictness: core darkest"
    assert lum["核心保护区"] < lum["一般控制区"]
    assert list(book.for_layer("cu", "control_unit").values) == ["优先保护单元", "重点管控单元", "一般管控单元"]
    river = book.for_layer("r", "river").base
    assert river.color == "#338ec0"  # appendix B 陆地水域 51,142,192
    assert book.for_element("axis", "secondary").dash and not book.for_element("axis", "main").dash
    assert book.for_element("core", 1).radius > book.for_element("core", 2).radius > book.for_element("core", 3).radius


def test_style_overrides_from_project(tmp_path):
    from redline.layers.project import Project
    from redline.maps.styles import load_styles

    p = Project.from_dict({"layers": {"rl": {"kind": "red_line", "path": "x.gpkg"}},
                           "map": {"styles": {"red_line": {"fill_color": "red"},
                                              "rl": {"weight": 3},
                                              "protected_area_zone": {"values": {"核心区": {"fill_color": "#000"}}},
                                              "structure": {"belt": {"color": "#123456"}}}}},
                          base=tmp_path, path=tmp_path / "redline.toml")
    book = load_styles(p)
    st = book.for_layer("rl", "red_line").base
    assert (st.fill_color, st.weight) == ("#ff0000", 3.0)
    assert book.for_layer("pz", "protected_area_zone").values["核心区"].fill_color == "#000000"
    assert book.for_element("belt").color == "#123456"


@pytest.mark.parametrize("styles, message", [
    ({"red_line": {"colour": "#fff"}}, "unknown style key 'colour'"),
    ({"red_line": {"fill_color": "notacolour"}}, "is not a colour"),
    ({"red_line": {"fill_opacity": 2}}, "not a valid value"),
    ({"nosuch": {"color": "#fff"}}, "names no layer id or kind"),
    ({"structure": {"blob": {"color": "#fff"}}}, "not a structure element kind"),
])
def test_bad_style_override_names_file_and_table(tmp_path, styles, message):
    from redline.layers.project import Project
    from redline.maps.styles import load_styles

    p = Project.from_dict({"layers": {"rl": {"kind": "red_line", "path": "x.gpkg"}}, "map": {"styles": styles}},
                          base=tmp_path, path=tmp_path / "redline.toml")
    with pytest.raises(InputError) as err:
        load_styles(p)
    assert message in str(err.value) and "redline.toml" in str(err.value)


# ---------------------------------------------------------------------------------------------- layouts
def test_layout_toml_and_chinese_kinds(tmp_path):
    from redline.maps.layout import load_layout

    f = tmp_path / "s.toml"
    f.write_text(textwrap.dedent("""\
        title = "结构"
        formula = "一带、一心"
        [[elements]]
        kind = "带"
        label = "滨河带"
        coords = [[111.0, 38.0], [111.1, 38.0]]
        [[elements]]
        kind = "心"
        label = "城心"
        rank = 2
        symbol = "star"
        coords = [111.05, 38.05]
        [[elements]]
        kind = "屏障"
        label = "西山屏障"
        coords = [[111.0, 38.0], [111.0, 38.2]]
        """), encoding="utf-8")
    lay = load_layout(f)
    assert [e.kind for e in lay.elements] == ["belt", "core", "barrier"]
    assert lay.elements[1].rank == 2 and lay.elements[1].symbol == "star"
    assert (lay.title, lay.formula, lay.crs) == ("结构", "一带、一心", "EPSG:4490")


def test_layout_yaml(tmp_path):
    from redline.maps.layout import load_layout, yaml_available

    if not yaml_available():
        pytest.skip("PyYAML not installed: YAML layouts are unavailable (TOML works)")
    f = tmp_path / "s.yaml"
    f.write_text(textwrap.dedent("""\
        title: 结构
        elements:
          - kind: axis
            label: 主轴
            rank: secondary
            from: {layer: roads, where: {name: [G340, G108]}}
        """), encoding="utf-8")
    el = load_layout(f).elements[0]
    assert (el.kind, el.rank, el.layer, el.where) == ("axis", "secondary", "roads", {"name": ["G340", "G108"]})


@pytest.mark.parametrize("body, message", [
    ('kind = "blob"\nlabel = "甲"\ncoords = [1.0, 2.0]', "element 1 (甲): unknown kind 'blob'"),
    ('kind = "belt"\ncoords = [1.0, 2.0]', "element 1: has no label"),
    ('kind = "belt"\nlabel = "甲"', "element 1 (甲): has no geometry"),
    ('kind = "axis"\nlabel = "甲"\nrank = "big"\ncoords = [[1.0, 2.0], [2.0, 3.0]]', "axis rank is main or secondary"),
    ('kind = "core"\nlabel = "甲"\nrank = 5\ncoords = [1.0, 2.0]', "core rank is 1, 2 or 3"),
    ('kind = "belt"\nlabel = "甲"\ncoords = [[1.0], [2.0]]', "`coords` must be"),
    ('kind = "belt"\nlabel = "甲"\nbuffer_m = -5\ncoords = [1.0, 2.0]', "`buffer_m` must be"),
    ('kind = "belt"\nlabel = "甲"\nwidth = 5\ncoords = [1.0, 2.0]', "unknown key(s) 'width'"),
])
def test_layout_errors_name_file_element_and_fault(tmp_path, body, message):
    from redline.maps.layout import load_layout

    f = tmp_path / "bad.toml"
    f.write_text("[[elements]]\n" + body + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_layout(f)
    assert str(f) in str(err.value) and message in str(err.value)


def test_layout_syntax_error_and_missing_file(tmp_path):
    from redline.maps.layout import load_layout

    f = tmp_path / "bad.toml"
    f.write_text("[[elements]\nkind=", encoding="utf-8")
    with pytest.raises(InputError, match="not a valid TOML layout file"):
        load_layout(f)
    with pytest.raises(InputError, match="layout file not found"):
        load_layout(tmp_path / "none.toml")


# ---------------------------------------------------------------------------------------------- display
def _grid_coverage(n=6, size=1000.0, wiggle=40):
    """An n x n coverage whose shared edges carry many vertices (a sine wiggle), so they can simplify."""
    xs = np.linspace(0, n * size, n + 1)
    t = np.linspace(0, 1, wiggle + 1)

    def edge(p, q, amp):
        p, q = np.asarray(p, float), np.asarray(q, float)
        d = q - p
        nrm = np.array([-d[1], d[0]]) / np.hypot(*d)
        pts = p + np.outer(t, d) + np.outer(np.sin(t * np.pi * 6) * amp, nrm)
        return pts

    polys = []
    for i in range(n):
        for j in range(n):
            a, b, c, d = (xs[i], xs[j]), (xs[i + 1], xs[j]), (xs[i + 1], xs[j + 1]), (xs[i], xs[j + 1])
            # the same edge function for both neighbours: amplitude sign by direction keeps them identical
            ring = np.vstack([edge(a, b, 3.0), edge(b, c, 3.0)[1:], edge(d, c, 3.0)[::-1][1:],
                              edge(a, d, 3.0)[::-1][1:]])
            polys.append(shapely.Polygon(ring))
    return np.array(polys, dtype=object)


def test_coverage_simplify_keeps_shared_edges():
    from redline.maps.display import count_vertices, simplify_geometries

    cov = _grid_coverage()
    assert shapely.coverage_is_valid(cov)
    out, method = simplify_geometries(cov, 10.0)
    assert method == "coverage"
    assert count_vertices(out) < count_vertices(cov) / 3
    assert shapely.coverage_is_valid(out), "no gaps or overlaps appear between neighbours"
    # total area kept within the wiggle's amplitude band: 6x6 km square, edges moved by at most a few metres
    assert abs(shapely.union_all(out).area - 36e6) < 6 * 6000 * 3.0 * 2


def test_non_coverage_uses_topology_preserving_simplify():
    from redline.maps.display import simplify_geometries

    a = shapely.Point(0, 0).buffer(100, quad_segs=64)
    b = shapely.Point(50, 0).buffer(100, quad_segs=64)  # overlaps a: not a coverage
    out, method = simplify_geometries(np.array([a, b], dtype=object), 2.0)
    assert method == "topology"
    assert all(shapely.is_valid(out))
    # a circle of radius 100 simplified at 2 m keeps its area within 2 * perimeter * tolerance
    assert abs(out[0].area - a.area) < 2 * np.pi * 100 * 2.0


def test_tolerance_and_decimals():
    from redline.maps.display import decimals_for, display_tolerance

    # 60 km extent in 1,000 px = 60 m/px; 3 zooms deeper 7.5 m/px; half a pixel = 3.75 m
    assert display_tolerance((0, 0, 60_000, 10_000)) == pytest.approx(3.75)
    # 3.75 m is 3.4e-5 degree; half of it needs 5 decimals (1e-5 degree = 1.1 m)
    assert decimals_for(3.75) == 5
    assert decimals_for(0.05) == 7


def test_gcj02_reference_pairs():
    from redline.maps.gcj02 import shift_geometries, wgs84_to_gcj02

    # googollee/eviltransform test pairs (wgs lat, lng -> gcj lat, lng) and wandergis/coordtransform README
    pairs = [(31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
             (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
             (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
             (39.915, 116.404, 39.91640428150164, 116.41024449916938)]
    lat, lon, glat, glon = (np.array(c) for c in zip(*pairs, strict=True))
    x, y = wgs84_to_gcj02(lon, lat)
    np.testing.assert_allclose(x, glon, atol=1e-9)
    np.testing.assert_allclose(y, glat, atol=1e-9)
    # outside China: unchanged
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    moved = shift_geometries(np.array([shapely.Point(116.404, 39.915)], dtype=object))[0]
    assert moved.x == pytest.approx(116.41024449916938, abs=1e-9)


def test_budget_coarsens_then_draws_images_never_leaves_out(small_project):
    from redline.maps.display import Budget, prepare_layers
    from redline.maps.sources import metric_crs, read_map_layers
    from redline.maps.styles import load_styles

    book = load_styles(small_project)
    layers = read_map_layers(small_project, book)
    crs = metric_crs(small_project, layers)
    display, notes = prepare_layers(layers, crs, field_labels=book.field_labels)
    assert notes == [] and all(d.shown_as == "vector" for d in display)
    tiny = Budget(max_bytes=2_500, max_vertices=10)
    display, notes = prepare_layers(layers, crs, field_labels=book.field_labels, budget=tiny)
    assert not any(d.dropped for d in display), "no layer is ever left out"
    images = [d for d in display if d.shown_as == "image"]
    assert images and all(d.note and "以影像显示" in d.note and d.title in d.note for d in images)
    assert all(d.kind != "boundary" for d in images), "a boundary is always drawn as vectors"
    assert all(d.image.png.startswith(b"\x89PNG") and d.geojson is None for d in images)
    assert all(d.geojson is not None and d.image is None for d in display if d.shown_as == "vector")


def test_display_rounds_coordinates(small_map):
    m, out, text, info = small_map
    # a 20 km county: tolerance 20,000 m / 1,000 px / 2**3 / 2 = 1.25 m; half of it, 0.625 m, is 5.6e-6
    # degree, so 6 decimals (0.11 m) and no more
    assert {lay["tolerance_m"] for lay in m.redline_info["layers"]} == {1.25}
    numbers = re.findall(r"\[(1\d\d\.\d+),(\d\d\.\d+)\]", text)
    assert numbers
    assert max(max(len(a.split(".")[1]), len(b.split(".")[1])) for a, b in numbers) <= 6


# -------------------------------------------------------------------------------------------------- web map
def test_web_map_is_self_contained(small_map):
    from redline.maps.webmap import external_resources

    m, out, text, info = small_map
    assert info["external_resources"] == [] and external_resources(text) == []
    assert not re.search(r"<(script|link|img)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", text, re.I)
    assert "leaflet" in text.lower() and "L.geoJSON" in text
    assert len(text.encode()) < 1_000_000, "Leaflet alone is inlined, not Bootstrap/jQuery/fonts"


def test_external_resources_detects_loads():
    from redline.maps.webmap import external_resources

    page = ('<script src="https://cdn.x/leaflet.js"></script><link rel="stylesheet" href="//cdn.x/a.css">'
            '<a href="https://leafletjs.com">Leaflet</a><style>.a{background:url(https://x/i.png)}</style>')
    assert external_resources(page) == ["//cdn.x/a.css", "https://cdn.x/leaflet.js", "https://x/i.png"]


def test_attribute_values_are_escaped(small_map):
    m, out, text, info = small_map
    assert XSS not in text
    assert "alert(1)" in text  # still there, as escaped data
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in text


def test_web_map_has_every_element(small_map, small_project):
    m, out, text, info = small_map
    legend = info and m.redline_info["legend"]
    for label in ("生态保护红线", "永久基本农田", "城镇开发边界", "核心区", "缓冲区", "实验区", "优先保护单元",
                  "重点管控单元", "一般管控单元", "河流", "道路", "城镇", "岸线保护区", "县级行政界线", "乡镇界线",
                  "生态带", "生态片区", "功能区", "发展主轴", "发展次轴", "核心", "节点"):
        assert label in legend, label
    for piece in ("示范县生态空间结构图", "图例", "指北针", "L.control.scale", "2000国家大地坐标系",
                  "示范规划设计院", "编制日期", "审图号：GS(2099)0000号", "虚构示范数据", "L.control.layers",
                  "规划结构", "一带一片、一区两轴、一心"):
        assert piece in text, piece
    shown = [lay["title"] for lay in m.redline_info["layers"]]
    assert len(shown) == len(small_project.layers)
    # Chinese field labels in the popups
    assert "功能分区" in text and "名称" in text


def test_no_approval_number_is_invented(tmp_path):
    from redline.maps.webmap import save_web_map, web_map

    p = load_project(write_small_project(tmp_path / "c", approval=None, fictional=False, layout=False))
    m = web_map(p)
    save_web_map(m, tmp_path / "m.html")
    text = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "审图号" not in text and "虚构" not in text
    assert "示范县生态保护红线分布图" in text  # [map] title without a layout


def test_basemaps(small_project, tmp_path):
    from redline.maps.webmap import save_web_map, web_map

    with pytest.raises(UsageError, match="tianditu-key"):
        web_map(small_project, basemap="tianditu")
    with pytest.raises(UsageError):
        web_map(small_project, basemap="google")
    key = "0123456789abcdef0123456789abcdef"
    m = web_map(small_project, basemap="tianditu", tianditu_key=key, layers="base")
    info = save_web_map(m, tmp_path / "t.html")
    assert m.redline_info["tianditu_key_embedded"]
    assert any("tianditu.gov.cn" in u for u in [(tmp_path / "t.html").read_text(encoding="utf-8")])
    m = web_map(small_project, basemap="amap", layers=["towns"])
    save_web_map(m, tmp_path / "a.html")
    text = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert "GCJ-02" in text and "autonavi" in text
    # the display copy moved by the GCJ-02 offset (hundreds of metres), the analysis data did not
    data = json.loads(re.search(r'redline\.addGeoJson\("towns", [^,]+, (\{"type":"FeatureCollection".*?\]\}), ',
                                text).group(1))
    town = gpd.read_file(small_project.layers["towns"].path).to_crs(4490)
    lon0, lat0 = town.geometry.iloc[0].x, town.geometry.iloc[0].y
    lon1, lat1 = data["features"][0]["geometry"]["coordinates"]
    assert 0.001 < abs(lon1 - lon0) < 0.02 and 0.0005 < abs(lat1 - lat0) < 0.02
    assert info["bytes"] > 0


def test_save_is_atomic(small_project, tmp_path, monkeypatch):
    from redline.maps import webmap

    m = webmap.web_map(small_project, layers="base")
    target = tmp_path / "m.html"
    target.write_text("old", encoding="utf-8")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(m.get_root(), "render", boom)
    with pytest.raises(RuntimeError):
        webmap.save_web_map(m, target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.html"]


# -------------------------------------------------------------------------------------------------- CLI
def test_cli_map(small_project, tmp_path):
    from redline.cli import main

    out = tmp_path / "out" / "map.html"
    res = CliRunner().invoke(main, ["map", "--project", str(small_project.path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.is_file() and "map.html" in res.output
    res = CliRunner().invoke(main, ["map", "--project", str(small_project.path), "--out", str(out),
                                    "--basemap", "tianditu", "--tianditu-key", "0123456789abcdef0123456789abcdef"])
    assert res.exit_code == 0 and "天地图密钥已写入 HTML 文件" in res.output


def test_cli_map_errors(small_project, tmp_path):
    from redline.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text('[[elements]]\nkind = "belt"\nlabel = "甲"\nfrom = { layer = "nosuch" }\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["map", "--project", str(small_project.path), "--layout", str(bad),
                                    "--out", str(tmp_path / "m.html")])
    assert res.exit_code == 3
    assert "bad.toml" in res.output and "element 1 (甲)" in res.output and "nosuch" in res.output
    assert not (tmp_path / "m.html").exists()
    res = CliRunner().invoke(main, ["map", "--project", str(small_project.path), "--out", str(tmp_path / "m.html"),
                                    "--basemap", "tianditu"])
    assert res.exit_code == 2 and "tianditu-key" in res.output


def test_labels_and_titles_from_files_are_escaped(tmp_path):
    """Layer labels, layout labels and titles reach the page as text, never as markup."""
    from redline.maps.webmap import save_web_map, web_map

    toml = write_small_project(tmp_path / "c")
    text = toml.read_text(encoding="utf-8").replace(
        '[layers.rivers]\nkind = "river"', '[layers.rivers]\nkind = "river"\nlabel = "<b>河流</b>"')
    toml.write_text(text, encoding="utf-8")
    lay = (tmp_path / "c" / "structure.toml")
    lay.write_text(lay.read_text(encoding="utf-8").replace('label = "东镇节点"',
                                                           'label = "<img src=x onerror=alert(2)>"'),
                   encoding="utf-8")
    m = web_map(load_project(toml), title="<i>标题</i>")
    save_web_map(m, tmp_path / "m.html")
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    for raw in ("<b>河流</b>", "<img src=x onerror=alert(2)>", "<i>标题</i>"):
        assert raw not in page, raw
    # the layer-control name: HTML-escaped (Leaflet sets it as innerHTML), then JSON-escaped in the script
    assert "\\u0026lt;b\\u0026gt;河流\\u0026lt;/b\\u0026gt;" in page


def test_cli_print_maps_and_json(small_project, tmp_path):
    from PIL import Image

    from redline.cli import main

    res = CliRunner().invoke(main, ["map", "--project", str(small_project.path), "--out", str(tmp_path / "m.html"),
                                    "--png", str(tmp_path / "m.png"), "--pdf", str(tmp_path / "m.pdf"),
                                    "--paper", "a3", "--orientation", "portrait", "--no-layout", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert [p["format"] for p in out["print_maps"]] == ["png", "pdf"]
    assert out["structure"] == [] and out["web_map"]["external_resources"] == []
    img = Image.open(tmp_path / "m.png")
    assert abs(img.width - 297 / 25.4 * 300) < 1 and abs(img.height - 420 / 25.4 * 300) < 1
    res = CliRunner().invoke(main, ["map", "--project", str(small_project.path), "--out", str(tmp_path / "m.html"),
                                    "--layout", str(small_project.resolve("structure.toml")), "--no-layout"])
    assert res.exit_code == 2 and "exclude each other" in res.output


@pytest.mark.slow
def test_demo_map_set(demo_dir, tmp_path, cjk_font):
    from redline.maps.render import render_demo_maps

    res = render_demo_maps(load_project(demo_dir / "redline.toml"), tmp_path / "maps")
    names = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert names == ["print_map_A3.pdf", "print_map_A4.png", "structure_diagram.pdf", "structure_diagram.png",
                     "web_map.html"]
    web = res["web_map"]
    assert web["web_map"]["bytes"] < 10e6 and web["web_map"]["external_resources"] == []
    assert {s["kind"] for s in web["structure"]} >= {"belt", "patch", "zone", "axis", "core", "node"}
    assert res["print_map_A3"]["print_maps"][0]["paper"] == "A3"
