"""Structure-diagram elements: resolving layout references to geometries, and the errors a user sees.

Expected geometry comes from hand arithmetic on the boxes and straight lines of the small project
(:func:`test_maps.write_small_project`) or from pyproj.Geod, never from the code under test.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pyproj
import pytest
import shapely
from test_maps import EPSG, X0, Y0, write_small_project

from redline.layers.errors import InputError
from redline.layers.project import load_project
from redline.maps.layout import load_layout, parse_layout
from redline.maps.structure import arrowhead, legend_entries, resolve_layout
from redline.maps.styles import load_styles


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return load_project(write_small_project(tmp_path_factory.mktemp("st") / "county"))


@pytest.fixture(scope="module")
def resolved(project):
    layout = load_layout(project.resolve("structure.toml"))
    return {r.element.label: r for r in resolve_layout(layout, project, EPSG, load_styles(project))}


def test_belt_is_the_named_river_buffered(resolved):
    belt = resolved["沿河生态带"]
    assert belt.shape == "area"
    # 汾河: a straight 20 km line buffered by 500 m: a 20,000 x 1,000 m band plus two half discs (a full
    # disc of radius 500 drawn as a 64-gon: 32 r² sin(2π/64))
    expected = 20_000 * 1_000 + 32 * 500**2 * math.sin(2 * math.pi / 64)
    assert belt.geometry.area == pytest.approx(expected, rel=1e-9)
    # 孝河 (the other river) is not part of it: the band stays within 500 m of y = 5,000
    assert belt.geometry.bounds[1] == pytest.approx(Y0 + 4_500) and belt.geometry.bounds[3] == pytest.approx(Y0 + 5_500)


def test_patch_is_the_listed_townships_dissolved(resolved):
    patch = resolved["北部水源涵养片"]
    assert patch.shape == "area" and patch.geometry.geom_type == "Polygon"
    # 东镇 and 西镇: the two northern 10 x 8 km boxes, one 20 x 8 km polygon with no edge between them
    assert patch.geometry.area == pytest.approx(20_000 * 8_000)
    assert shapely.equals(shapely.normalize(patch.geometry),
                          shapely.normalize(shapely.box(X0, Y0 + 8_000, X0 + 20_000, Y0 + 16_000)))


def test_zone_from_lonlat_coords_matches_geodesic_area(resolved):
    zone = resolved["中心城区"]
    ring = [(111.0, 38.24), (111.03, 38.24), (111.03, 38.26), (111.0, 38.26)]
    lon, lat = zip(*ring, strict=True)
    geod_area, _ = pyproj.Geod(ellps="GRS80").polygon_area_perimeter(lon, lat)
    # Gauss-Krüger on the central meridian distorts areas by less than 1e-4 over 3 km
    assert zone.geometry.area == pytest.approx(abs(geod_area), rel=2e-4)


def test_axis_from_road_has_arrowheads_at_both_ends(resolved):
    axis = resolved["G340发展主轴"]
    assert axis.shape == "line" and axis.element.rank == "main" and len(axis.arrows) == 2
    tips = {tuple(np.round(h.exterior.coords[0], 6)) for h in axis.arrows}
    assert tips == {(X0 + 0.0, Y0 + 9_000.0), (X0 + 20_000.0, Y0 + 9_500.0)}
    # the line stops short of the tips, under the heads, so a thick stroke does not poke through
    assert axis.geometry.length < math.hypot(20_000, 500)
    for head in axis.arrows:
        assert head.area > 0 and head.intersects(axis.geometry.buffer(1))
    secondary = resolved["南北发展次轴"]
    assert secondary.element.rank == "secondary" and secondary.style.dash


def test_core_and_node_are_the_named_towns(resolved):
    core = resolved["县城综合服务核心"]
    assert core.shape == "point" and (core.geometry.x, core.geometry.y) == (X0 + 10_500, Y0 + 7_500)
    assert core.style.radius == load_styles().for_element("core", 1).radius
    node = resolved["东镇节点"]
    assert (node.geometry.x, node.geometry.y) == (X0 + 15_000, Y0 + 12_000)


def test_legend_has_each_kind_and_axis_rank(resolved):
    keys = [k for k, *_ in legend_entries(list(resolved.values()))]
    assert sorted(keys) == sorted(["belt", "patch", "zone", "axis.main", "axis.secondary", "core", "node"])


def test_from_and_coords_combine(project):
    layout = parse_layout({"elements": [{"kind": "corridor", "label": "廊", "buffer_m": 100,
                                         "from": {"layer": "rivers", "where": {"name": "孝河"}},
                                         "coords": [[111.0, 38.2], [111.0, 38.21]]}]}, "x.toml")
    el = resolve_layout(layout, project, EPSG, load_styles())[0]
    # 孝河 (11 km) and a 1.1 km line, both buffered by 100 m: two separate bands
    assert el.geometry.geom_type == "MultiPolygon" and len(el.geometry.geoms) == 2


def _err(project, element: dict) -> str:
    layout = parse_layout({"elements": [{"kind": "belt", "label": "甲", "coords": [[111, 38], [111.1, 38]]},
                                        element]}, "/p/structure.toml")
    with pytest.raises(InputError) as exc:
        resolve_layout(layout, project, EPSG, load_styles())
    return str(exc.value)


def test_reference_matching_nothing_names_file_element_and_value(project):
    msg = _err(project, {"kind": "belt", "label": "沿河带", "from": {"layer": "rivers",
                                                                   "where": {"name": ["汾河", "下堡河"]}}})
    assert msg.startswith("/p/structure.toml: element 2 (沿河带): ")
    assert "'下堡河'" in msg and "汾河" in msg and "孝河" in msg  # what exists, to fix the typo


def test_unknown_layer_and_field(project):
    msg = _err(project, {"kind": "belt", "label": "带", "from": {"layer": "streams"}})
    assert "element 2 (带)" in msg and "'streams' is not a layer of the project" in msg and "rivers" in msg
    msg = _err(project, {"kind": "belt", "label": "带", "from": {"layer": "rivers", "where": {"HLDJ": "一级"}}})
    assert "has no field 'HLDJ'" in msg


def test_geometry_unfit_for_kind(project):
    msg = _err(project, {"kind": "axis", "label": "轴", "from": {"layer": "townships"}})
    assert "an axis needs line features" in msg
    msg = _err(project, {"kind": "patch", "label": "片", "from": {"layer": "rivers"}})
    assert "needs polygon features" in msg and "buffer_m" in msg


def test_raw_field_names_work_too(project):
    layout = parse_layout({"elements": [{"kind": "patch", "label": "片",
                                         "from": {"layer": "townships", "where": {"乡镇名称": "南乡"}}}]}, "x")
    el = resolve_layout(layout, project, EPSG, load_styles())[0]
    assert el.geometry.area == pytest.approx(10_000 * 8_000)


def test_yaml_layout_resolves_like_toml(project, tmp_path):
    from redline.maps.layout import yaml_available

    if not yaml_available():
        pytest.skip("PyYAML not installed")
    f = tmp_path / "s.yml"
    f.write_text(textwrap.dedent("""\
        elements:
          - kind: 带
            label: 沿河生态带
            from: {layer: rivers, where: {name: 汾河}}
            buffer_m: 500
        """), encoding="utf-8")
    el = resolve_layout(load_layout(f), project, EPSG, load_styles())[0]
    assert el.geometry.area == pytest.approx(20_000 * 1_000 + 32 * 500**2 * math.sin(2 * math.pi / 64))


def test_arrowhead_points_along_the_line():
    line = shapely.LineString([(0, 0), (50, 0), (50, 100)])  # ends going north
    head = arrowhead(line, 10.0)
    tip = head.exterior.coords[0]
    assert tip == (50.0, 100.0)
    xs, ys = zip(*head.exterior.coords[1:3], strict=True)
    assert ys == (90.0, 90.0) and sorted(xs) == [47.0, 53.0]  # base 10 back, half-width 0.3 x 10


def test_every_kind_draws_in_web_and_print(project, tmp_path, cjk_font):
    """All eight kinds (and both axis ranks, a star core) in one layout: both maps draw them, and each
    kind has its legend entry."""
    from redline.maps.printmap import print_map
    from redline.maps.webmap import save_web_map, web_map

    f = tmp_path / "all.toml"
    f.write_text(textwrap.dedent("""\
        formula = "一带一廊一屏、一片一区两轴、一核一点"
        [[elements]]
        kind = "带"
        label = "滨河带"
        coords = [[110.95, 38.22], [111.1, 38.23]]
        [[elements]]
        kind = "廊"
        label = "孝河廊道"
        from = { layer = "rivers", where = { name = "孝河" } }
        buffer_m = 300
        [[elements]]
        kind = "屏障"
        label = "西山屏障"
        coords = [[110.9, 38.2], [110.9, 38.33]]
        [[elements]]
        kind = "片"
        label = "南部片区"
        from = { layer = "townships", where = { name = ["南乡", "北乡"] } }
        [[elements]]
        kind = "区"
        label = "城区"
        from = { layer = "urban" }
        [[elements]]
        kind = "轴"
        label = "主轴"
        rank = "main"
        from = { layer = "roads" }
        [[elements]]
        kind = "轴"
        label = "次轴"
        rank = "secondary"
        coords = [[111.01, 38.19], [111.02, 38.33]]
        [[elements]]
        kind = "核"
        label = "城市核心"
        rank = 2
        symbol = "star"
        from = { layer = "towns", where = { name = "县城" } }
        [[elements]]
        kind = "点"
        label = "西镇节点"
        from = { layer = "towns", where = { name = "西镇" } }
        """), encoding="utf-8")
    expected = {"生态带", "生态廊道", "生态屏障", "生态片区", "功能区", "发展主轴", "发展次轴", "核心", "节点"}
    m = web_map(project, layout=f)
    save_web_map(m, tmp_path / "m.html")
    assert expected <= set(m.redline_info["legend"])
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "\\u003csvg width=" in page and "polygon points=" in page  # the star core (escaped in the script)
    assert 'pattern id="rl-hatch-patch"' in page
    fig = print_map(project, layout=f, layers="base")
    from matplotlib.text import Text

    texts = {t.get_text() for t in fig.findobj(Text)}
    assert expected <= texts and {"滨河带", "孝河廊道", "西山屏障", "城市核心", "西镇节点"} <= texts
