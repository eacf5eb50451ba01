"""Map details an officer notices: the print map's scale is the largest of its series at which the region fits
the sheet, web-map popups give the unit of every area, the web map opens with the region clear of its panels,
the 高德 basemap note is said once and in Chinese, and every command's --json writes Chinese as text."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from click.testing import CliRunner

from redline.cli import main
from redline.layers.project import load_project

SERIES = [b * 10**k for k in range(3, 8) for b in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0)]


def city_project(folder, width_m: float, height_m: float):
    """A project whose region is one rectangle, ``width_m`` × ``height_m``, on the central meridian of zone 37."""
    folder.mkdir(parents=True, exist_ok=True)
    x0, y0 = 37_500_000 - width_m / 2, 4_100_000
    gpd.GeoDataFrame({"行政区名称": ["示范市"]}, geometry=[shapely.box(x0, y0, x0 + width_m, y0 + height_m)],
                     crs=4525).to_file(folder / "city.gpkg")
    gpd.GeoDataFrame({"红线名称": ["红线"], "MJ": [100.0]},
                     geometry=[shapely.box(x0 + 1000, y0 + 1000, x0 + 2000, y0 + 2000)],
                     crs=4525).to_file(folder / "red.gpkg")
    (folder / "redline.toml").write_text(
        '[region]\nname = "示范市"\nboundary = "city"\ncrs = "EPSG:4525"\n\n'
        '[layers.city]\nkind = "boundary"\npath = "city.gpkg"\n\n'
        '[layers.red_line]\nkind = "red_line"\npath = "red.gpkg"\n', encoding="utf-8")
    return load_project(folder / "redline.toml")


@pytest.mark.parametrize("width_km, height_km", [(175, 220), (60, 40), (300, 120)])
def test_the_print_scale_is_the_largest_at_which_the_region_fits(tmp_path, cjk_font, width_km, height_km):
    from redline.maps.print_sheet import MARGIN_MM
    from redline.maps.printmap import print_map

    fig = print_map(city_project(tmp_path / "p", width_km * 1000, height_km * 1000), layout=False)
    info = fig.redline_print
    mw, mh = info["map_mm"]

    def fits(s):   # the region on paper at 1:s, in mm, inside the frame less its margins
        return width_km * 1e6 / s <= mw - 2 * MARGIN_MM and height_km * 1e6 / s <= mh - 2 * MARGIN_MM

    expected = next(s for s in SERIES if fits(s))                    # the first (largest scale) that fits
    assert info["scale"] == expected
    assert not fits(SERIES[SERIES.index(expected) - 1])
    if (width_km, height_km) == (175, 220):
        # by hand: 220 km at 1:1,500,000 is 146.7 mm, inside the 151.8 mm high A4 frame; 1:2,000,000 left the
        # city filling a third of the frame
        assert info["scale"] == 1_500_000
    # the region fills the frame: at least 75 % of it in one direction
    assert max(width_km * 1e6 / info["scale"] / mw, height_km * 1e6 / info["scale"] / mh) > 0.75


def test_popups_give_the_unit_of_every_area(tmp_path):
    from redline.maps.display import AREA_COLUMN, prepare_layers
    from redline.maps.sources import metric_crs, read_map_layers
    from redline.maps.styles import load_styles

    project = city_project(tmp_path / "p", 60_000, 40_000)
    st = load_styles(project)
    layers = read_map_layers(project, st, None)
    display, _ = prepare_layers(layers, metric_crs(project, layers), field_labels=st.field_labels)
    red = next(d for d in display if d.id == "red_line")
    labels = dict(red.fields)
    # MJ holds 100 for a 1 km × 1 km square: 100 公顷 (by hand), so the field is in 公顷
    assert labels["area"] == "面积（数据记载，公顷）"
    assert labels[AREA_COLUMN] == "椭球面积（公顷）"
    props = json.loads(red.geojson)["features"][0]["properties"]
    k = [c for c, _ in red.fields].index(AREA_COLUMN)
    geod = pyproj.Geod(a=6378137.0, f=1 / 298.257222101)
    tr = pyproj.Transformer.from_crs(4525, 4490, always_xy=True)
    sq = shapely.segmentize(layers[[m.id for m in layers].index("red_line")].gdf.geometry.iloc[0], 10.0)
    ll = shapely.transform(sq, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    assert float(props[f"p{k}"]) == pytest.approx(abs(geod.geometry_area_perimeter(ll)[0]) / 1e4, abs=1e-4)


def test_the_amap_note_is_said_once_in_chinese(demo_dir, tmp_path):
    r = CliRunner().invoke(main, ["map", "--project", str(demo_dir / "redline.toml"), "--basemap", "amap",
                                  "--no-layout", "--out", str(tmp_path / "m.html")])
    assert r.exit_code == 0, r.output
    said = (r.stdout + r.stderr).count("GCJ-02")
    assert said == 1 and "叠加图层已按GCJ-02偏移显示" in r.stderr
    assert "overlay geometries are shifted" not in r.stdout + r.stderr


@pytest.mark.parametrize("args", [
    ["inspect", "data/生态保护红线.shp"], ["area", "red_line", "--by-zones", "townships"], ["audit"],
    ["audit-text", "示范县生态保护规划.txt"], ["raster-share", "landcover", "--zones", "townships"],
    ["check", "sites/01_示范县幸福里住宅小区.txt"], ["demo", "--out", "{tmp}/d"],
    ["map", "--no-layout", "--out", "{tmp}/m.html"],
])
def test_every_json_output_writes_chinese_as_text(demo_dir, tmp_path, monkeypatch, args):
    monkeypatch.chdir(demo_dir)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = CliRunner().invoke(main, [*args, "--json"])
    assert r.exit_code in (0, 1), r.output
    assert not re.search(r"\\u[0-9a-fA-F]{4}", r.stdout)
    json.loads(r.stdout)
    if args[0] not in ("map", "demo"):
        assert re.search(r"[\u4e00-\u9fff]", r.stdout)                 # there is Chinese, written as text


@pytest.mark.browser
def test_the_web_map_opens_with_the_region_clear_of_its_panels(demo_dir, tmp_path, chromium):
    from test_browser import _open, offline_page

    out = tmp_path / "m.html"
    assert CliRunner().invoke(main, ["map", "--project", str(demo_dir / "redline.toml"), "--no-layout", "--out",
                                     str(out), "-q"]).exit_code == 0
    county = gpd.read_file(demo_dir / "data" / "示范县.gpkg", layer="示范县县界").to_crs(4490)
    w, s, e, n = county.total_bounds
    for width, height in ((1400, 900), (1280, 800)):
        with offline_page(chromium, width, height) as (page, log):
            _open(page, out)
            page.wait_for_timeout(300)
            region = page.evaluate("([s, w, n, e]) => { const a = redlineMap.latLngToContainerPoint([n, w]),"
                                   "b = redlineMap.latLngToContainerPoint([s, e]); return [a.x, a.y, b.x, b.y]; }",
                                   [s, w, n, e])
            for sel in (".rl-title", ".rl-legend", ".rl-info", ".leaflet-control-layers", ".rl-north"):
                r = page.evaluate(f"() => {{ const r = document.querySelector('{sel}').getBoundingClientRect();"
                                  "return [r.left, r.top, r.right, r.bottom]; }")
                overlap = min(region[2], r[2]) - max(region[0], r[0]) > 1 and min(region[3], r[3]) - max(region[1],
                                                                                                        r[1]) > 1
                assert not overlap, (sel, region, r, (width, height))
            assert not log["errors"] and not log["refused"]
