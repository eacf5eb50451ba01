"""check.json: what a check result's tables become, checked against sources that do not share its code.

A result made of hand-written tables (every edge: missing values, a finding without a layer, a distance rule's
finding, sites with no rows in a child table, townships) is compared with its JSON written out by hand, and the
bytes of ``json_bytes`` with the standard library's ``json`` rendering of that hand-written JSON. A real check of
polygons, lines and points (some outside the data's coverage, a distance rule) is read back with
``CheckResult.from_dict`` from the bytes parsed by ``json`` and written again: the same bytes. The report's
per-layer summary of the sites is compared with counts and sums done by hand.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from redline.layers.info import LayerInfo, with_info
from redline.layers.outputs import json_bytes
from redline.maps.report.check_content import layer_counts
from redline.spatial.check import CheckResult, check_sites
from redline.spatial.rules import load_rules

CRS = 4525
X, Y = 37_500_000.0, 4_250_000.0


# ---------------------------------------------------------------------------------------- hand-made tables
def hand_made() -> CheckResult:
    """Three sites: a polygon in a red line (two features sharing one attributes dict) with a distance rule, a
    line partly outside the coverage crossing a river, a point with no row in any child table but its layer."""
    shared_attrs = {"code": "HX-1"}
    sites = gpd.GeoDataFrame({
        "site_id": ["S1", "S2", "S3"], "name": ["甲", None, np.nan], "location": ["甲镇", None, "乙镇、丙镇"],
        "geometry_type": ["Polygon", "LineString", "Point"],
        "area_m2": [1500.0, np.nan, np.nan], "area_ha": [0.15, np.nan, np.nan], "length_m": [np.nan, 250.5, np.nan],
        "verdict": ["不符合", "无法判定", "符合"], "verdict_text": ["不符合", "无法判定", "符合（未核查：永久基本农田）"],
        "project_type": ["mining", None, "housing"], "project_type_label": ["矿产资源开发", None, "住宅及城镇建设"],
        "type_source": ["--type", None, "属性字段 type（“housing”）"], "source": ["a.gpkg", "a.gpkg", None],
        "inside_coverage": [True, False, True], "outside_m2": [0.0, 0.0, 0.0], "outside_length_m": [0.0, 50.25, 0.0],
        "warnings": [(), ("类型无法识别",), ()],
    }, geometry=[box(0, 0, 30, 50), LineString([(0, 0), (250.5, 0)]), Point(0, 0)], crs=CRS)
    site_layers = pd.DataFrame({
        "site": [0, 0, 1, 2], "site_id": ["S1", "S1", "S2", "S3"],
        "layer": ["red_line", "rivers", "rivers", "red_line"], "kind": ["red_line", "river", "river", "red_line"],
        "label": ["生态保护红线", "河流", "河流", "生态保护红线"], "overlap_m2": [1500.0, 0.0, 0.0, 0.0],
        "overlap_length_m": [0.0, 0.0, 0.0, 0.0], "pct_of_site": [100.0, 0.0, 0.0, 0.0],
        "touched": [True, False, True, False], "features": [2, 0, 1, 0], "self_overlap": [True, False, False, False],
        "nearest_m": [np.nan, 600.25, np.nan, np.nan]})
    hits = pd.DataFrame({
        "site": [0, 0, 1], "site_id": ["S1", "S1", "S2"], "layer": ["red_line", "red_line", "rivers"],
        "kind": ["red_line", "red_line", "river"], "label": ["生态保护红线", "生态保护红线", "河流"],
        "feature_id": ["F1", "F2", "R1"], "feature_name": ["红线一", None, "汾河"], "zone": [None, None, None],
        "overlap_m2": [1000.0, 750.0, 0.0], "overlap_length_m": [0.0, 0.0, 0.0],
        "pct_of_site": [66.5, 50.0, 0.0], "pct_of_feature": [10.0, np.nan, np.nan],
        "feature_index": [0, 1, 0], "crossings": np.array([None, None, np.int64(2)], dtype=object),
        "attributes": np.array([shared_attrs, shared_attrs, {}], dtype=object)})
    nearest = pd.DataFrame({
        "site": [0], "site_id": ["S1"], "layer": ["rivers"], "kind": ["river"], "label": ["河流"],
        "feature_id": ["R1"], "feature_name": ["汾河"], "distance_m": [600.25]})
    distance_rules = pd.DataFrame({
        "site": [0], "site_id": ["S1"], "rule": ["fen_1km"], "title": ["汾河一公里"], "layer": ["rivers"],
        "feature_name": ["汾河"], "distance_m": [600.25], "limit_m": [1000.0]})
    findings = pd.DataFrame({
        "site": [0, 0, 1, 1], "site_id": ["S1", "S1", "S2", "S2"],
        "rule": ["red_line.forbidden", "fen_1km", "coverage.outside", "river.crossing"],
        "title": ["红线禁止", "汾河一公里", None, "跨河"], "level": ["prohibited", "prohibited", "no_data", "needs_review"],
        "clause": ["条款一", "条款二", "条款三", "条款四"], "message": ["压覆红线", "距汾河600.25米", "数据未覆盖", "跨越汾河"],
        "source": ["rules.toml", "redline.toml", None, "rules.toml"],
        "layer": ["red_line", "rivers", None, "rivers"], "kind": ["red_line", None, None, "river"],
        "features": np.array([["F1", "F2"], None, None, None], dtype=object),
        "distance_m": np.array([None, 600.25, None, None], dtype=object)})
    return CheckResult(sites=sites, site_layers=site_layers, hits=hits, nearest=nearest,
                       distance_rules=distance_rules, findings=findings, analysis={"crs": {"epsg": CRS}},
                       layers=[{"id": "red_line"}], rules=[], warnings=["一条警告"])


def layer_json(layer, kind, label, touched, features, *, m2=0.0, pct=0.0, self_overlap=False, nearest_m=None):
    return {"layer": layer, "kind": kind, "label": label, "overlap_m2": m2, "overlap_length_m": 0.0,
            "pct_of_site": pct, "touched": touched, "features": features, "self_overlap": self_overlap,
            "nearest_m": nearest_m}


def hit_json(layer, kind, fid, name, m2, pct_site, pct_feature, index, crossings, attributes, label):
    return {"layer": layer, "kind": kind, "feature_id": fid, "feature_name": name, "zone": None, "overlap_m2": m2,
            "overlap_length_m": 0.0, "pct_of_site": pct_site, "pct_of_feature": pct_feature, "feature_index": index,
            "crossings": crossings, "attributes": attributes, "label": label}


EXPECTED_SITES = [
    {"site_id": "S1", "name": "甲", "geometry_type": "Polygon", "area_m2": 1500.0, "area_ha": 0.15, "length_m": None,
     "verdict": "不符合", "verdict_text": "不符合", "project_type": "mining", "project_type_label": "矿产资源开发",
     "type_source": "--type", "source": "a.gpkg", "coverage": {"inside": True, "outside_m2": 0.0, "outside_length_m": 0.0},
     "layers": [layer_json("red_line", "red_line", "生态保护红线", True, 2, m2=1500.0, pct=100.0, self_overlap=True),
                layer_json("rivers", "river", "河流", False, 0, nearest_m=600.25)],
     "hits": [hit_json("red_line", "red_line", "F1", "红线一", 1000.0, 66.5, 10.0, 0, None, {"code": "HX-1"},
                       "生态保护红线"),
              hit_json("red_line", "red_line", "F2", None, 750.0, 50.0, None, 1, None, {"code": "HX-1"}, "生态保护红线")],
     "nearest": [{"layer": "rivers", "kind": "river", "feature_id": "R1", "feature_name": "汾河", "distance_m": 600.25,
                  "label": "河流"}],
     "distance_rules": [{"rule": "fen_1km", "title": "汾河一公里", "layer": "rivers", "feature_name": "汾河",
                         "distance_m": 600.25, "limit_m": 1000.0}],
     "findings": [{"rule": "red_line.forbidden", "title": "红线禁止", "level": "prohibited", "clause": "条款一",
                   "message": "压覆红线", "source": "rules.toml", "layer": "red_line", "kind": "red_line",
                   "features": ["F1", "F2"]},
                  {"rule": "fen_1km", "title": "汾河一公里", "level": "prohibited", "clause": "条款二",
                   "message": "距汾河600.25米", "source": "redline.toml", "layer": "rivers", "kind": None,
                   "distance_m": 600.25}],
     "warnings": [], "location": "甲镇"},
    {"site_id": "S2", "name": None, "geometry_type": "LineString", "area_m2": None, "area_ha": None, "length_m": 250.5,
     "verdict": "无法判定", "verdict_text": "无法判定", "project_type": None, "project_type_label": None,
     "type_source": None, "source": "a.gpkg",
     "coverage": {"inside": False, "outside_m2": 0.0, "outside_length_m": 50.25},
     "layers": [layer_json("rivers", "river", "河流", True, 1)],
     "hits": [hit_json("rivers", "river", "R1", "汾河", 0.0, 0.0, None, 0, 2, {}, "河流")],
     "nearest": [], "distance_rules": [],
     "findings": [{"rule": "coverage.outside", "title": None, "level": "no_data", "clause": "条款三",
                   "message": "数据未覆盖", "source": None},
                  {"rule": "river.crossing", "title": "跨河", "level": "needs_review", "clause": "条款四",
                   "message": "跨越汾河", "source": "rules.toml", "layer": "rivers", "kind": "river"}],
     "warnings": ["类型无法识别"], "location": None},
    {"site_id": "S3", "name": None, "geometry_type": "Point", "area_m2": None, "area_ha": None, "length_m": None,
     "verdict": "符合", "verdict_text": "符合（未核查：永久基本农田）", "project_type": "housing",
     "project_type_label": "住宅及城镇建设", "type_source": "属性字段 type（“housing”）", "source": None,
     "coverage": {"inside": True, "outside_m2": 0.0, "outside_length_m": 0.0},
     "layers": [layer_json("red_line", "red_line", "生态保护红线", False, 0)],
     "hits": [], "nearest": [], "distance_rules": [], "findings": [], "warnings": [], "location": "乙镇、丙镇"},
]


def test_site_objects_are_the_hand_written_json_key_for_key_in_order():
    got = hand_made().site_dicts()
    assert got == EXPECTED_SITES
    for g, want in zip(got, EXPECTED_SITES, strict=True):     # the order of keys, which the file's bytes follow
        assert list(g) == list(want)
        for key in ("layers", "hits", "nearest", "distance_rules", "findings"):
            assert [list(rec) for rec in g[key]] == [list(rec) for rec in want[key]]
    assert type(got[1]["hits"][0]["crossings"]) is int and type(got[0]["layers"][0]["features"]) is int


def test_check_json_bytes_are_the_standard_library_rendering_of_the_hand_written_json():
    r = hand_made()
    want = {"sites": EXPECTED_SITES, "summary": {"sites": 3, "verdicts": {"符合": 1, "不符合": 1, "需论证": 0, "无法判定": 1}},
            "analysis": {"crs": {"epsg": CRS}}, "layers": [{"id": "red_line"}], "rules": [], "warnings": ["一条警告"]}
    got = json_bytes(r.to_dict(), newline=True)
    assert got == (json.dumps(want, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    assert got == json_bytes(r.to_dict()) + b"\n"


def test_records_are_independent_of_each_other_and_of_the_tables():
    r = hand_made()
    sites = r.site_dicts()
    first, second = sites[0]["hits"]
    first["attributes"]["code"] = "changed"            # the two hits' table rows share one dict
    assert second["attributes"] == {"code": "HX-1"} and r.hits["attributes"].iloc[0] == {"code": "HX-1"}
    sites[1]["nearest"].append("x")                     # each site its own (empty) lists
    assert sites[2]["nearest"] == [] and sites[0]["warnings"] is not sites[2]["warnings"]


def test_a_result_without_townships_or_verdict_text_has_no_location_and_the_verdict_as_text():
    r = hand_made()
    r.sites = r.sites.drop(columns=["location", "verdict_text"])
    got = r.site_dicts()
    assert all("location" not in s for s in got)
    assert [s["verdict_text"] for s in got] == ["不符合", "无法判定", "符合"]


def test_no_sites():
    r = hand_made().head(0)
    assert r.site_dicts() == [] and r.to_dict()["summary"]["sites"] == 0


# -------------------------------------------------------------------------------- a real check, read back
def layer(kind: str, geoms, **cols) -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame({"name": cols.pop("name", [f"{kind}{i + 1}" for i in range(len(geoms))]), **cols},
                         geometry=list(geoms), crs=CRS)
    return with_info(g, LayerInfo(kind=kind))


@pytest.fixture(scope="module")
def mixed() -> CheckResult:
    """Polygons, lines and points; in, across, near and outside the layers and the coverage; a distance rule."""
    layers = {
        "red_line": layer("red_line", [box(X, Y, X + 1000, Y + 1000), box(X + 500, Y + 500, X + 1500, Y + 900)],
                          name=["红线一", None]),
        "farm": layer("basic_farmland", [box(X + 4000, Y, X + 5000, Y + 1000)], name=[np.nan]),
        "pa": layer("protected_area_zone", [box(X, Y + 2000, X + 1000, Y + 3000),
                                            box(X + 1000, Y + 2000, X + 2000, Y + 3000)],
                    zone=["核心保护区", "一般控制区"], name=["某湿地公园", "某湿地公园"], level=["省级", None]),
        "rivers": layer("river", [LineString([(X, Y - 3000), (X, Y + 3000)])], name=["汾河"]),
    }
    rules = load_rules(distance=[{"id": "fen_1km", "layer": "rivers", "where": {"name": "汾河"}, "distance_m": 1000,
                                  "types": ["industry_high_pollution"], "level": "prohibited",
                                  "clause": "《示范规划》汾河一公里", "message": "距{layer}{distance_m}米"}])
    geoms = [box(X + 100, Y + 100, X + 200, Y + 200), box(X + 600, Y, X + 800, Y + 200),
             box(X + 5500, Y + 5500, X + 5600, Y + 5600), LineString([(X - 100, Y + 50), (X + 2500, Y + 50)]),
             Point(X + 1500, Y + 2500), Point(X + 1600, Y + 2500), box(X + 5900, Y + 100, X + 6100, Y + 200),
             box(X + 7000, Y + 7000, X + 7100, Y + 7100), Point(X + 8000, Y + 8000)]
    types = ["mining", "industry_high_pollution", None, "linear_infrastructure", "tourism_education",
             "tourism_education", "housing", "energy", "mining"]
    sites = gpd.GeoDataFrame({"name": ["甲", None, "丙", "丁", np.nan, "己", "庚", "辛", None],
                              "code": [f"S{i + 1}" for i in range(9)], "type": types}, geometry=geoms, crs=CRS)
    return check_sites(sites, layers, coverage=box(X - 5000, Y - 5000, X + 6000, Y + 6000), rules=rules)


def test_the_cases_of_the_mixed_check_are_there(mixed):
    js = mixed.to_dict()
    s = {x["site_id"]: x for x in js["sites"]}
    assert s["S4"]["hits"] and any(h["crossings"] == 1 for h in s["S4"]["hits"])      # the road across the river
    assert s["S2"]["distance_rules"] and s["S2"]["distance_rules"][0]["rule"] == "fen_1km"
    assert s["S3"]["hits"] == [] and s["S8"]["coverage"]["inside"] is False
    assert s["S2"]["name"] is None and s["S5"]["name"] is None and s["S5"]["area_m2"] is None


def test_check_json_read_back_is_written_again_byte_for_byte(mixed):
    data = json_bytes(mixed.to_dict(), newline=True)
    back = CheckResult.from_dict(json.loads(data))
    assert json_bytes(back.to_dict(), newline=True) == data
    cols = ["site", "site_id", "feature_id", "overlap_m2", "overlap_length_m", "pct_of_site"]
    pd.testing.assert_frame_equal(back.hits[cols], mixed.hits[cols], check_dtype=False)
    assert back.hits["crossings"].tolist() == mixed.hits["crossings"].tolist()       # counts, not floats
    assert back.sites["verdict"].tolist() == mixed.sites["verdict"].tolist()


# ------------------------------------------------------------------------------- the report's layer counts
def test_layer_counts_add_up_the_sites_by_hand():
    def site(layers, findings):
        return {"layers": [{"layer": lid, "label": lab, "touched": t, "overlap_m2": m2, "overlap_length_m": m}
                           for lid, lab, t, m2, m in layers],
                "findings": [{"layer": lid, "level": lv} for lid, lv in findings]}

    result = {"sites": [
        site([("rl", "红线", True, 20000.0, 0.0), ("farm", None, False, 0.0, 0.0)],
             [("rl", "prohibited"), ("rl", "prohibited"), ("farm", "needs_review"), (None, "no_data")]),
        site([("rl", "红线", True, 5000.0, 120.5), ("farm", None, True, None, 30.0)],
             [("rl", "needs_review"), ("lakes", "prohibited"), ("farm", "info")]),
        site([("rl", "红线", False, 0.0, 0.0), ("farm", None, False, 0.0, 0.0)], []),
    ]}
    table = layer_counts(result)
    # 红线: sites 1 and 2 touch it, 2.5 ha and 120.5 m; site 1's two prohibitions count once; site 2 needs review.
    # farm (no label: its id): site 2 touches it (no area: 0), 30 m; site 1 needs review; an info finding is not
    # counted, nor findings of a layer the sites do not list (lakes) or of no layer.
    assert table.rows == [["红线", "2", "2.5000", "120.50", "1", "1"], ["farm", "1", "0.0000", "30.00", "0", "1"]]
