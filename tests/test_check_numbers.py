"""Numbers and verdicts of a site check that an officer signs: a line inside overlapping features counted
once, sites outside the data's coverage, core control layers that were not checked, distance rules that match
nothing.

Cases are built in CGCS2000 3-degree Gauss-Krüger zone 37 (EPSG:4525) near its central meridian; lengths are
computed independently: intersection points by hand arithmetic in the plane, then pyproj.Geod on the line
densified in the plane and inverse-projected.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString, box

from redline.layers.info import LayerInfo, with_info
from redline.spatial.check import check_sites

CRS = 4525
X, Y = 37_500_000.0, 4_250_000.0
GEOD = pyproj.Geod(a=6378137.0, f=1 / 298.257222101)   # the CGCS2000 ellipsoid
TO_LL = pyproj.Transformer.from_crs(CRS, 4490, always_xy=True)
COUNTY = box(X - 5000, Y - 5000, X + 6000, Y + 6000)


def geod_length(p, q) -> float:
    """Length of the straight plane segment p–q: densified to 1 m, inverse-projected, GeographicLib."""
    t = np.linspace(0.0, 1.0, int(np.hypot(q[0] - p[0], q[1] - p[1])) + 2)
    lon, lat = TO_LL.transform(p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
    return float(GEOD.line_length(lon, lat))


def layer(kind: str, geoms, **cols) -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame({"name": cols.pop("name", [f"{kind}{i + 1}" for i in range(len(geoms))]), **cols},
                         geometry=list(geoms), crs=CRS)
    return with_info(g, LayerInfo(kind=kind))


def sites(geoms, types=None) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame({"name": [f"项目{i + 1}" for i in range(n)], "code": [f"S{i + 1}" for i in range(n)],
                             "type": types if types is not None else [None] * n}, geometry=list(geoms), crs=CRS)


# ---------------------------------------------------------------------------- item 1: lines counted once
@pytest.mark.parametrize("y0", [123.7, 150.0, 201.3, 250.9])
def test_a_road_across_two_overlapping_polygons_is_measured_inside_their_union(y0):
    # two red-line polygons overlapping over x in [X+600, X+1000]; a road y = y0 + 0.3 (x - x0) crossing both
    a, b = box(X, Y, X + 1000, Y + 1000), box(X + 600, Y + 100, X + 1600, Y + 1100)
    x0, y0, slope = X - 499.7, Y + y0, 0.2993
    road = LineString([(x0, y0), (X + 2000.1, y0 + slope * (X + 2000.1 - x0))])

    def on_road(x):
        return (x, y0 + slope * (x - x0))

    # by hand: between x = X and X + 1600 the road's y rises by 0.2993 × 1600 < 480 m from at most Y + 401,
    # inside both boxes' y ranges, so it is in a over x ∈ [X, X+1000], in b over [X+600, X+1600], in a ∪ b over [X, X+1600]
    assert y0 + slope * (X - x0) > Y + 100 and y0 + slope * (X + 1600 - x0) < Y + 1000
    in_a, in_b = geod_length(on_road(X), on_road(X + 1000)), geod_length(on_road(X + 600), on_road(X + 1600))
    in_union = geod_length(on_road(X), on_road(X + 1600))
    r = check_sites(sites([road], ["linear_infrastructure"]), {"red_line": layer("red_line", [a, b])}, coverage=COUNTY)
    L = r.site_layers.iloc[0]
    assert L["overlap_length_m"] == pytest.approx(in_union, abs=1e-3)      # 1,670 m, not 2,088 m
    total = geod_length(road.coords[0], road.coords[1])
    assert L["pct_of_site"] == pytest.approx(100 * in_union / total, abs=1e-6)
    assert bool(L["self_overlap"])
    hits = r.hits.sort_values("feature_name")                              # each feature keeps its own length
    assert hits["overlap_length_m"].tolist() == pytest.approx([in_a, in_b], abs=1e-3)
    # the finding's extent (the road in the red line) is the dissolved length too
    msg = " ".join(r.findings["message"])
    assert f"{in_union:.2f}米" in msg


def test_a_road_along_polygons_that_only_touch_is_summed():
    a, b = box(X, Y, X + 1000, Y + 1000), box(X + 1000, Y, X + 2000, Y + 1000)   # share an edge
    road = LineString([(X - 500, Y + 333.3), (X + 2500, Y + 777.7)])
    r = check_sites(sites([road], ["linear_infrastructure"]), {"red_line": layer("red_line", [a, b])}, coverage=COUNTY)
    L = r.site_layers.iloc[0]
    slope = (777.7 - 333.3) / 3000

    def on_road(x):
        return (x, Y + 333.3 + slope * (x - (X - 500)))

    assert not bool(L["self_overlap"])
    assert L["overlap_length_m"] == pytest.approx(geod_length(on_road(X), on_road(X + 2000)), abs=1e-3)


# ------------------------------------------------------------ item 6: no data is not "nothing there"
RED = box(X, Y, X + 1000, Y + 1000)


def test_a_site_outside_the_coverage_is_never_told_that_nothing_is_there():
    from redline.maps.report.check_content import case_sentences, layer_summary_table

    far = box(X + 20_000, Y, X + 20_100, Y + 100)                   # beyond the county
    urban = box(X + 3000, Y, X + 4000, Y + 1000)
    r = check_sites(sites([far], ["housing"]), {"red_line": layer("red_line", [RED]),
                                                "ub": layer("urban_boundary", [urban])}, coverage=COUNTY)
    s = r.to_dict()["sites"][0]
    assert s["verdict"] == "无法判定"
    # no rule about being *outside* a zone where there is no data
    assert "urban_boundary.outside" not in [f["rule"] for f in s["findings"]]
    text = " ".join(m for _, msgs in case_sentences(s, 5000.0) for m in msgs)
    assert "未压覆" not in text and "范围内无" not in text
    assert "数据不覆盖项目用地" in text and "无法判断是否压覆" in text
    _, rows = layer_summary_table(s)
    assert all(row[1] == "无法判断（数据未覆盖）" and row[2] == "—" for row in rows)


def test_a_site_partly_outside_says_which_part_has_no_data():
    from redline.maps.report.check_content import case_sentences

    half = box(COUNTY.bounds[2] - 50, Y, COUNTY.bounds[2] + 50, Y + 100)   # half in, half out: 0.5 ha outside
    r = check_sites(sites([half], ["housing"]), {"red_line": layer("red_line", [RED]),
                                                 "ub": layer("urban_boundary", [box(X, Y, X + 10, Y + 10)])},
                    coverage=COUNTY)
    s = r.to_dict()["sites"][0]
    text = " ".join(m for _, msgs in case_sentences(s, 5000.0) for m in msgs)
    assert "覆盖范围外的0.5000公顷无数据" in text.replace("0.4999", "0.5000").replace("0.5001", "0.5000")
    # the part outside the urban boundary that has data: 0.5 ha, not the whole hectare
    (f,) = [f for f in s["findings"] if f["rule"] == "urban_boundary.outside"]
    assert "有0.5" in f["message"] or "有0.4999" in f["message"]


# ---------------------------------------------------------- item 7: core control layers not checked
def test_a_verdict_reached_without_core_layers_says_so(tmp_path):
    from redline.spatial.check.frames import csv_bytes, site_frame

    site = box(X + 2000, Y, X + 2100, Y + 100)                       # touches nothing
    r = check_sites(sites([site], ["housing"]), {"red_line": layer("red_line", [RED])}, coverage=COUNTY)
    js = r.to_dict()
    s = js["sites"][0]
    assert s["verdict"] == "符合"                                    # the contract's set is kept
    assert s["verdict_text"] == "符合（未核查：永久基本农田、城镇开发边界、自然保护地）"
    assert js["analysis"]["unchecked_core_layers"] == ["永久基本农田", "城镇开发边界", "自然保护地"]
    assert any("core control layers not checked" in w for w in r.warnings)
    csv_text = csv_bytes(site_frame(r)).decode("utf-8-sig")
    assert "未核查的核心图层" in csv_text.splitlines()[0]
    assert "永久基本农田、城镇开发边界、自然保护地" in csv_text.splitlines()[1]
    # all four core layers present: nothing to say
    full = {"red_line": layer("red_line", [RED]), "bf": layer("basic_farmland", [box(X, Y + 3000, X + 10, Y + 3010)]),
            "ub": layer("urban_boundary", [box(X + 1900, Y - 100, X + 2200, Y + 200)]),
            "pa": layer("protected_area", [box(X, Y + 4000, X + 10, Y + 4010)])}
    r = check_sites(sites([site], ["housing"]), full, coverage=COUNTY)
    s = r.to_dict()["sites"][0]
    assert s["verdict"] == s["verdict_text"] == "符合"
    assert r.to_dict()["analysis"]["unchecked_core_layers"] == []


def test_the_terminal_shows_the_unchecked_layers(tmp_path):
    from click.testing import CliRunner

    from redline.cli import main

    s = tmp_path / "site.gpkg"
    sites([box(X + 2000, Y, X + 2100, Y + 100)], ["housing"]).to_file(s)
    rl = tmp_path / "rl.gpkg"
    gpd.GeoDataFrame({"name": ["红线一", "红线二"]}, geometry=[RED, box(X + 3000, Y - 500, X + 3100, Y + 500)],
                     crs=CRS).to_file(rl)
    res = CliRunner().invoke(main, ["check", str(s), "--layer", f"red_line={rl}"])
    assert "符合（未核查：永久基本农田、城镇开发边界、自然保护地）" in res.stdout
    assert "未核查的核心管控图层" in res.stdout and "core control layers not checked" in res.stderr


def test_a_distance_rule_matching_no_feature_is_a_warning_naming_it():
    from redline.spatial.rules import load_rules

    rules = load_rules(distance=[{"id": "yellow_river_2km", "layer": "river", "where": {"name": "黄河"},
                                  "distance_m": 2000, "types": ["industry"], "level": "prohibited",
                                  "clause": "《某县国土空间总体规划》", "message": "距黄河{distance_m}米"}])
    rivers = layer("river", [LineString([(X, Y - 500), (X + 5000, Y - 500)])], name=["汾河"])
    r = check_sites(sites([box(X, Y, X + 10, Y + 10)], ["industry"]), {"red_line": layer("red_line", [RED]),
                    "rivers": rivers}, coverage=COUNTY, rules=rules)
    (w,) = [w for w in r.warnings if "yellow_river_2km" in w]
    assert "matches no feature" in w and "黄河" in w


# -------------------------------------------------- item 8: a national wetland park, checked end to end
@pytest.mark.parametrize("type_id, verdict", [("mining", "不符合"), ("housing", "不符合"), ("energy", "不符合"),
                                              ("tourism_education", "需论证")])
def test_a_national_wetland_park_general_control_zone(type_id, verdict):
    park = layer("protected_area_zone", [RED], name=["龙泉河国家湿地公园"], type=["湿地公园"], level=["国家级"],
                 zone=["一般控制区"])
    r = check_sites(sites([box(X + 100, Y + 100, X + 200, Y + 200)], [type_id]), {"pa": park}, coverage=COUNTY)
    s = r.to_dict()["sites"][0]
    assert s["verdict"] == verdict
    if verdict == "不符合":
        rules = {f["rule"] for f in s["findings"] if f["level"] == "prohibited"}
        assert rules == {"protected_area.general_control_forbidden", "wetland_park.forbidden"}
