"""A layer too large for the web map's vector budget is drawn as an image, never left out (issue 15).

A few thousand small parcels with a small budget force the image path; everything the page shows is checked
against values computed here independently: lon/lat with pyproj, Web Mercator with its own formula, the
colours from the style book.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from redline.layers.project import Project

PIL = pytest.importorskip("PIL.Image")

X0, Y0 = 37_500_000.0, 4_200_000.0      # EPSG:4525, 111°E, about 37.9°N
SIDE, STEP, N = 60.0, 100.0, 50         # 50 x 50 = 2,500 squares of 60 m, 40 m apart


def _mercator(lon, lat):
    """Spherical Web Mercator (EPSG:3857 on a sphere of 6,378,137 m), written out here."""
    r = 6378137.0
    return r * math.radians(lon), r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    from redline.maps.display import Budget
    from redline.maps.webmap import save_web_map, web_map

    d = tmp_path_factory.mktemp("big")
    i, j = np.meshgrid(np.arange(N), np.arange(N))
    x, y = X0 + i.ravel() * STEP, Y0 + j.ravel() * STEP
    squares = shapely.segmentize(shapely.box(x, y, x + SIDE, y + SIDE), 20.0)   # 13 coordinates each
    county = shapely.box(X0 - 500, Y0 - 500, X0 + N * STEP + 500, Y0 + N * STEP + 500)
    red = [shapely.Point(X0 + 1200, Y0 + 1800).buffer(150, quad_segs=8)]
    gpd.GeoDataFrame({"名称": ["示范县"]}, geometry=[county], crs=4525).to_file(d / "county.gpkg")
    gpd.GeoDataFrame({"图斑编号": [f"JB{k}" for k in range(len(squares))]}, geometry=squares,
                     crs=4525).to_file(d / "farm.gpkg")
    gpd.GeoDataFrame({"名称": ["红线一"]}, geometry=red, crs=4525).to_file(d / "red.gpkg")
    p = Project.from_dict({"region": {"name": "示范县", "boundary": "county", "crs": "EPSG:4525"},
                           "layers": {"county": {"kind": "boundary", "path": "county.gpkg"},
                                      "farm": {"kind": "basic_farmland", "path": "farm.gpkg"},
                                      "red": {"kind": "red_line", "path": "red.gpkg"}}}, base=d)
    # 2,500 parcels need at least 10,000 vertices (4 a ring): more than the budget's 5,000
    m = web_map(p, layout=False, budget=Budget(max_bytes=1_500_000, max_vertices=5_000))
    info = save_web_map(m, d / "map.html")
    html = (d / "map.html").read_text(encoding="utf-8")
    return {"m": m, "info": info, "html": html, "path": d / "map.html", "squares": squares, "layers": {r["id"]: r for r in
                                                                               m.redline_info["layers"]}}


def _overlay(html: str):
    """The image overlay call of the page: its data URI and its bounds."""
    mt = re.search(r'redline\.addImage\("farm", [\w]+, "([^"]+)", (\[\[[^\]]+\], \[[^\]]+\]\])', html)
    assert mt, "the page adds the farmland image"
    return mt.group(1), json.loads(mt.group(2))


def test_no_layer_left_out_and_the_large_one_is_an_image(big):
    layers = big["layers"]
    assert all(r["shown"] for r in layers.values())
    assert layers["farm"]["shown_as"] == "image" and layers["farm"]["simplification"] == "image"
    assert layers["red"]["shown_as"] == "vector" and layers["county"]["shown_as"] == "vector"
    assert "tolerance_m" in layers["red"] and "metres_per_pixel" in layers["farm"]
    # the layers that fit are still vectors, with popups
    assert 'redline.addGeoJson("red"' in big["html"] and 'redline.addGeoJson("county"' in big["html"]
    assert 'redline.addGeoJson("farm"' not in big["html"]
    # the legend keeps the image layer's entry
    assert "永久基本农田" in big["m"].redline_info["legend"]


def test_the_image_is_inline_and_the_page_stays_offline(big):
    uri, _ = _overlay(big["html"])
    assert uri.startswith("data:image/png;base64,")
    assert big["info"]["external_resources"] == []
    assert big["info"]["bytes"] <= 10_000_000


def test_the_image_sits_on_the_layer(big):
    _, ((south, west), (north, east)) = _overlay(big["html"])
    img = PIL.open(io.BytesIO(base64.b64decode(_overlay(big["html"])[0].split(",", 1)[1])))
    width, height = img.size
    xy = shapely.get_coordinates(big["squares"])
    lon, lat = pyproj.Transformer.from_crs(4525, 4490, always_xy=True).transform(xy[:, 0], xy[:, 1])
    # west and north are the data's own; east and south reach at most one pixel beyond it
    assert west == pytest.approx(lon.min(), abs=1e-7) and north == pytest.approx(lat.max(), abs=1e-7)
    assert -1e-9 <= east - lon.max() <= (east - west) / width + 1e-9
    assert -1e-9 <= lat.min() - south <= (north - south) / height * 1.01
    # the pixel size said in the JSON: a Web Mercator pixel times the cosine of the middle latitude
    mx0, my0 = _mercator(west, south)
    mx1, my1 = _mercator(east, north)
    ground = (mx1 - mx0) / width * math.cos(math.radians((south + north) / 2))
    assert big["layers"]["farm"]["metres_per_pixel"] == pytest.approx(ground, abs=0.006)   # 2 decimals
    assert big["layers"]["farm"]["image_pixels"] == [width, height]


def test_pixels_are_coloured_where_the_parcels_are(big):
    from matplotlib.colors import to_rgb

    from redline.maps.styles import load_styles

    uri, ((south, west), (north, east)) = _overlay(big["html"])
    img = PIL.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGBA")
    width, height = img.size
    mx0, my0 = _mercator(west, south)
    mx1, my1 = _mercator(east, north)
    to_ll = pyproj.Transformer.from_crs(4525, 4490, always_xy=True)

    def pixel(x, y):
        lo, la = to_ll.transform(x, y)
        mx, my = _mercator(lo, la)
        return img.getpixel((int((mx - mx0) / (mx1 - mx0) * width), int((my1 - my) / (my1 - my0) * height)))

    st = load_styles(None).for_layer("farm", "basic_farmland").base
    fill = tuple(round(c * 255) for c in to_rgb(st.fill_color)) + (round(st.fill_opacity * 255),)
    for k in (0, 777, len(big["squares"]) - 1):       # the centres of a few parcels
        c = big["squares"][k].centroid
        assert pixel(c.x, c.y) == fill, k
    # the middle of the 40 m gap between two parcels: nothing drawn
    c = big["squares"][777].centroid
    assert pixel(c.x + STEP / 2, c.y)[3] == 0
    assert pixel(c.x, c.y + STEP / 2)[3] == 0


def test_the_map_says_so_in_chinese(big):
    note = big["layers"]["farm"]["note"]
    mpp = big["layers"]["farm"]["metres_per_pixel"]
    assert note.startswith("「永久基本农田」共 2,500 个要素")
    assert f"以影像显示（每像素约 {mpp:.0f} 米）" in note and "不可点击查询要素" in note and "完整数据见原文件" in note
    assert note in big["m"].redline_info["notes"]
    assert f"注：{note}" in big["html"]                                  # the info panel
    assert json.dumps("永久基本农田（影像显示，不可点击查询）") in big["html"]   # the layer control (folium escapes)


def test_separate_parcels_are_simplified_one_by_one():
    from redline.maps.display import count_vertices, simplify_geometries

    circles = shapely.buffer(shapely.points(np.arange(5) * 300.0, np.zeros(5)), 100.0, quad_segs=32)
    out, method = simplify_geometries(circles, 2.0)
    assert method == "topology" and shapely.is_valid(out).all()
    assert count_vertices(out) < count_vertices(circles)
    # a circle of radius 100 simplified at 2 m keeps its area within its perimeter times the tolerance
    assert np.all(np.abs(shapely.area(out) - shapely.area(circles)) < 2 * np.pi * 100 * 2.0)


@pytest.mark.browser
def test_the_image_is_drawn_offline_and_a_click_asks_nothing(big, chromium):
    from test_browser import offline_page

    with offline_page(chromium) as (page, log):
        page.goto(big["path"].resolve().as_uri())
        page.wait_for_function("window.__redlineDrawn !== undefined", timeout=30_000)
        # the first draw is marked only once the image is decoded
        size = page.evaluate("(() => { var i = document.querySelector('img.rl-image');"
                             " return i && i.complete ? [i.naturalWidth, i.naturalHeight] : null; })()")
        assert size == big["layers"]["farm"]["image_pixels"]
        box = page.query_selector("img.rl-image").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(200)
        assert page.query_selector(".leaflet-popup") is None          # not clickable: nothing to ask
        assert log["refused"] == [] and log["errors"] == []
