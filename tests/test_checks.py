"""The site check: overlaps, lengths, containing zones, nearest features, findings and verdicts.

Cases are built in CGCS2000 3-degree Gauss-Krüger zone 37 (EPSG:4525) near its central meridian, with answers
known by construction; every number is compared with an independent computation: pyproj.Geod on the same
boundary densified in the plane (areas, lengths, distances), or geopandas.overlay followed by the area.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from redline.layers.errors import InputError, UsageError
from redline.layers.info import LayerInfo, layer_info, with_info
from redline.layers.sites import read_sites, validate_sites
from redline.spatial.areas import ellipsoidal_area
from redline.spatial.check import check_project, check_sites, verdict_of
from redline.spatial.rules import load_rules

CRS = 4525
X, Y = 37_500_000.0, 4_250_000.0            # on the central meridian 111°E, about 38.4°N
GEOD = pyproj.Geod(a=6378137.0, f=1 / 298.257222101)   # the CGCS2000 ellipsoid
TO_LL = pyproj.Transformer.from_crs(CRS, 4490, always_xy=True)


def lonlat(geom):
    return shapely.transform(shapely.segmentize(geom, 100.0),
                             lambda xy: np.column_stack(TO_LL.transform(xy[:, 0], xy[:, 1])))


def geod_area(geom) -> float:
    """Independent ellipsoidal area: densify to 100 m in the plane, inverse-project, GeographicLib."""
    return abs(GEOD.geometry_area_perimeter(lonlat(geom))[0])


def geod_length(geom) -> float:
    return GEOD.geometry_length(lonlat(geom))


def geod_distance(p, q) -> float:
    (lon1, lat1), (lon2, lat2) = TO_LL.transform(*p), TO_LL.transform(*q)
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def layer(kind: str, geoms, crs=CRS, **cols) -> gpd.GeoDataFrame:
    n = len(geoms)
    data = {"name": cols.pop("name", [f"{kind}{i + 1}" for i in range(n)])}
    data.update(cols)
    g = gpd.GeoDataFrame(data, geometry=list(geoms), crs=crs)
    with_info(g, LayerInfo(kind=kind))
    return g


def sites(geoms, types=None, crs=CRS, names=None) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame({"name": names or [f"项目{i + 1}" for i in range(n)],
                             "code": [f"S{i + 1}" for i in range(n)],
                             "type": types if types is not None else [None] * n}, geometry=list(geoms), crs=crs)


COUNTY = box(X - 5000, Y - 5000, X + 6000, Y + 6000)
RED = box(X, Y, X + 1000, Y + 1000)


def run(site_gdf, layers: dict, **kw) -> dict:
    """The JSON-shaped result of a check (what ``redline check --json`` prints)."""
    kw.setdefault("coverage", COUNTY)
    return check_sites(site_gdf, layers, **kw).to_dict()


def summary(site: dict, layer_id: str) -> dict:
    return next(L for L in site["layers"] if L["layer"] == layer_id)


def rule_ids(site: dict) -> list[str]:
    return [f["rule"] for f in site["findings"]]


# ------------------------------------------------------------------------------------------- polygons
def test_half_inside_overlap_equals_the_independent_ellipsoidal_area():
    site = box(X + 500, Y + 200, X + 1500, Y + 700)
    inside = box(X + 500, Y + 200, X + 1000, Y + 700)     # the half inside the red line, by construction
    out = run(sites([site], ["mining"]), {"red_line": layer("red_line", [RED])})
    s = out["sites"][0]
    assert s["area_m2"] == pytest.approx(geod_area(site), rel=1e-6)
    L = summary(s, "red_line")
    assert L["overlap_m2"] == pytest.approx(geod_area(inside), rel=1e-6)
    assert L["pct_of_site"] == pytest.approx(100 * geod_area(inside) / geod_area(site), rel=1e-6)
    assert L["pct_of_site"] == pytest.approx(50.0, abs=1e-3)   # a 500 m strip: nearly an exact half
    (hit,) = s["hits"]
    assert hit["overlap_m2"] == pytest.approx(geod_area(inside), rel=1e-6)
    assert hit["pct_of_feature"] == pytest.approx(100 * geod_area(inside) / geod_area(RED), rel=1e-6)
    assert hit["feature_name"] == "red_line1" and hit["overlap_length_m"] == 0
    assert s["verdict"] == "不符合"
    assert set(s) >= {"site_id", "name", "geometry_type", "area_m2", "length_m", "verdict", "layers", "hits",
                      "nearest", "findings"}


def test_overlapping_features_of_one_layer_are_counted_once():
    r1, r2 = box(X, Y, X + 1000, Y + 1000), box(X + 600, Y, X + 1600, Y + 1000)
    site = box(X + 200, Y + 200, X + 1400, Y + 400)        # wholly inside r1 ∪ r2, 400 m in both
    out = run(sites([site], ["mining"]), {"red_line": layer("red_line", [r1, r2])})
    s = out["sites"][0]
    L = summary(s, "red_line")
    assert L["overlap_m2"] == pytest.approx(geod_area(site), rel=1e-6)
    assert L["pct_of_site"] == pytest.approx(100.0, rel=1e-9)
    assert L["self_overlap"] is True and L["features"] == 2
    hits = sorted(s["hits"], key=lambda h: h["feature_name"])
    assert hits[0]["overlap_m2"] == pytest.approx(geod_area(box(X + 200, Y + 200, X + 1000, Y + 400)), rel=1e-6)
    assert hits[1]["overlap_m2"] == pytest.approx(geod_area(box(X + 600, Y + 200, X + 1400, Y + 400)), rel=1e-6)
    assert sum(h["overlap_m2"] for h in hits) > L["overlap_m2"]       # per feature, the overlap is in both
    # the finding's extent is the dissolved one too
    (f,) = [f for f in s["findings"] if f["rule"] == "red_line.forbidden"]
    assert f"{geod_area(site) / 1e4:.4f}公顷" in f["message"]


def test_adjacent_features_sharing_an_edge_are_summed_without_union():
    a, b = box(X, Y, X + 500, Y + 1000), box(X + 500, Y, X + 1000, Y + 1000)
    site = box(X + 250, Y + 250, X + 750, Y + 750)
    s = run(sites([site], ["housing"]), {"ub": layer("urban_boundary", [a, b])})["sites"][0]
    L = summary(s, "ub")
    assert L["self_overlap"] is False and L["features"] == 2
    assert L["overlap_m2"] == pytest.approx(geod_area(site), rel=1e-9)


def test_touching_is_not_occupying():
    site = box(X + 1000, Y, X + 1200, Y + 200)             # shares an edge with the red line
    s = run(sites([site], ["mining"]), {"red_line": layer("red_line", [RED])})["sites"][0]
    assert s["hits"] == [] and not summary(s, "red_line")["touched"]
    assert s["nearest"][0]["distance_m"] == pytest.approx(0.0, abs=1e-9)
    assert s["verdict"] == "符合"


def test_agrees_with_geopandas_overlay_on_random_polygons():
    rng = np.random.default_rng(7)

    def blob(cx, cy, r):
        return shapely.Point(cx, cy).buffer(r, quad_segs=6).intersection(
            box(cx - r, cy - 0.6 * r, cx + 0.8 * r, cy + r))

    zones = [blob(X + rng.uniform(0, 4000), Y + rng.uniform(0, 4000), rng.uniform(200, 900)) for _ in range(25)]
    site_geoms = [shapely.affinity.rotate(box(0, 0, rng.uniform(100, 800), rng.uniform(100, 600)),
                                          rng.uniform(0, 90), origin=(0, 0))
                  for _ in range(40)]
    site_geoms = [shapely.affinity.translate(g, X + rng.uniform(0, 4000), Y + rng.uniform(0, 4000))
                  for g in site_geoms]
    zl = layer("basic_farmland", zones)
    sg = sites(site_geoms, ["industry"] * len(site_geoms))
    out = run(sg, {"bf": zl})
    got = np.array([summary(s, "bf")["overlap_m2"] for s in out["sites"]])
    # independent: dissolve the zones with geopandas, overlay, ellipsoidal area of each piece
    dissolved = gpd.GeoDataFrame(geometry=[zl.union_all()], crs=CRS)
    sg2 = sg.assign(i=np.arange(len(sg)))
    ov = gpd.overlay(sg2, dissolved, how="intersection", keep_geom_type=True)
    want = np.zeros(len(sg))
    np.add.at(want, ov["i"].to_numpy(), ellipsoidal_area(ov.geometry, CRS))
    assert (got > 0).sum() >= 10, "the random case should overlap"
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    # and per feature, against the overlay without dissolving
    ov2 = gpd.overlay(sg2, zl.assign(j=np.arange(len(zl))), how="intersection", keep_geom_type=True)
    per = {(int(i), int(j)): a for i, j, a in zip(ov2["i"], ov2["j"], ellipsoidal_area(ov2.geometry, CRS),
                                                  strict=True)}
    hits = {(k, int(h["feature_index"])): h["overlap_m2"] for k, s in enumerate(out["sites"]) for h in s["hits"]}
    assert set(hits) == {k for k, a in per.items() if a > 0.01}
    for k, a in hits.items():
        assert a == pytest.approx(per[k], rel=1e-6)


# ----------------------------------------------------------------------------------------- lines, points
def test_line_length_inside_a_zone_is_the_geodesic_length_of_the_clipped_segment():
    line = LineString([(X - 500, Y + 500), (X + 1500, Y + 500)])
    clipped = LineString([(X, Y + 500), (X + 1000, Y + 500)])  # by hand: the red line spans x = X .. X+1000
    s = run(sites([line], ["linear_infrastructure"]), {"red_line": layer("red_line", [RED])})["sites"][0]
    assert s["geometry_type"] == "LineString" and s["area_m2"] is None
    assert s["length_m"] == pytest.approx(geod_length(line), rel=1e-9)
    L = summary(s, "red_line")
    assert L["overlap_length_m"] == pytest.approx(geod_length(clipped), rel=1e-9)
    assert L["overlap_m2"] == 0
    assert L["pct_of_site"] == pytest.approx(100 * geod_length(clipped) / geod_length(line), rel=1e-9)
    assert s["hits"][0]["overlap_length_m"] == pytest.approx(geod_length(clipped), rel=1e-9)
    assert s["verdict"] == "需论证"
    (f,) = [f for f in s["findings"] if f["rule"] == "red_line.limited_6"]
    assert "第6项" in f["clause"] and f"{geod_length(clipped):.2f}米" in f["message"]


def test_shoreline_use_is_measured_per_functional_zone():
    zones = [box(X, Y, X + 400, Y + 100), box(X + 400, Y, X + 1000, Y + 100)]
    line = LineString([(X + 100, Y + 50), (X + 900, Y + 50)])
    shore = layer("shoreline_zone", zones, zone=["岸线保护区", "控制利用区"], name=["甲河保护段", "甲河控制段"])
    s = run(sites([line], ["water_works"]), {"shore": shore})["sites"][0]
    by_zone = {h["zone"]: h["overlap_length_m"] for h in s["hits"]}
    assert by_zone["岸线保护区"] == pytest.approx(geod_length(LineString([(X + 100, Y + 50), (X + 400, Y + 50)])),
                                             rel=1e-9)
    assert by_zone["控制利用区"] == pytest.approx(geod_length(LineString([(X + 400, Y + 50), (X + 900, Y + 50)])),
                                             rel=1e-9)
    assert {"shoreline.protection_public", "shoreline.controlled"} <= set(rule_ids(s))


def test_point_site_gets_its_containing_zone():
    zones = layer("protected_area_zone", [box(X, Y, X + 1000, Y + 1000), box(X + 1000, Y, X + 2000, Y + 1000)],
                  zone=["缓冲区", "实验区"], name=["某保护区", "某保护区"], level=["省级", "省级"])
    s = run(sites([Point(X + 1500, Y + 500)], ["tourism_education"]), {"pa": zones})["sites"][0]
    (hit,) = s["hits"]
    assert hit["zone"] == "实验区" and hit["pct_of_site"] == 100.0
    assert hit["attributes"]["level"] == "省级"
    assert summary(s, "pa")["pct_of_site"] == 100.0
    assert s["area_m2"] is None and s["length_m"] is None and s["geometry_type"] == "Point"
    assert rule_ids(s) == ["protected_area.experimental_consent"]
    assert s["verdict"] == "需论证"


def test_line_site_crossing_a_river_line():
    river = layer("river", [LineString([(X + 500, Y - 1000), (X + 500, Y + 1000)])], name=["甲河"])
    road = LineString([(X, Y), (X + 1000, Y)])
    s = run(sites([road], ["linear_infrastructure"]), {"rivers": river})["sites"][0]
    (hit,) = s["hits"]
    assert hit["overlap_length_m"] == 0 and hit["crossings"] == 1
    assert "river.crossing" in rule_ids(s) and s["verdict"] == "需论证"


# --------------------------------------------------------------------------------------------- nearest
def test_nearest_distance_of_a_site_600_m_away():
    site = box(X + 1600, Y + 200, X + 1700, Y + 300)       # 600 m east of the red line, by construction
    s = run(sites([site], ["mining"]), {"red_line": layer("red_line", [RED, box(X + 3000, Y, X + 4000, Y + 1000)])}
            )["sites"][0]
    (near,) = s["nearest"]
    assert near["feature_name"] == "red_line1"
    assert near["distance_m"] == pytest.approx(geod_distance((X + 1000, Y + 300), (X + 1600, Y + 300)), rel=1e-6)
    assert near["distance_m"] == pytest.approx(600.0, abs=0.01)   # on the central meridian the scale is 1
    assert summary(s, "red_line")["nearest_m"] == near["distance_m"]
    s2 = run(sites([site], ["mining"]), {"red_line": layer("red_line", [RED])}, max_distance=500)["sites"][0]
    assert s2["nearest"] == [] and summary(s2, "red_line")["nearest_m"] is None


def test_max_distance_must_be_positive():
    with pytest.raises(UsageError):
        run(sites([box(X, Y, X + 1, Y + 1)]), {"red_line": layer("red_line", [RED])}, max_distance=0)


# --------------------------------------------------------------------------------------------- verdicts
def test_verdict_order():
    assert verdict_of([]) == "符合"
    assert verdict_of([{"level": "info"}, {"level": "allowed"}]) == "符合"
    assert verdict_of([{"level": "needs_review"}]) == "需论证"
    assert verdict_of([{"level": "needs_review"}, {"level": "no_data"}]) == "无法判定"
    assert verdict_of([{"level": "prohibited"}, {"level": "no_data"}]) == "不符合"


@pytest.fixture
def region():
    """A small project: red line, urban boundary, farmland, a protected area, water source, control units."""
    return {
        "red_line": layer("red_line", [RED]),
        "urban": layer("urban_boundary", [box(X + 2000, Y, X + 3000, Y + 1000)], name=["中心城区"]),
        "farm": layer("basic_farmland", [box(X + 4000, Y, X + 5000, Y + 1000)]),
        "pa": layer("protected_area_zone", [box(X, Y + 2000, X + 1000, Y + 3000),
                                            box(X + 1000, Y + 2000, X + 2000, Y + 3000)],
                    zone=["核心保护区", "一般控制区"], name=["某湿地公园", "某湿地公园"]),
        "ws": layer("water_source_zone", [box(X + 3000, Y + 2000, X + 4000, Y + 3000)], zone=["一级保护区"]),
        "cu": layer("control_unit", [box(X - 5000, Y - 5000, X + 6000, Y + 1500),
                                     box(X - 5000, Y + 1500, X + 6000, Y + 6000)],
                    unit_class=["重点管控单元", "优先保护单元"], code=["ZH001", "YS001"],
                    spatial_constraints=["禁止新建化工项目。", "禁止新建工业项目。"]),
    }


@pytest.mark.parametrize("geom, type_id, verdict, rules", [
    (box(X + 100, Y + 100, X + 200, Y + 200), "mining", "不符合", {"red_line.forbidden"}),
    (box(X + 100, Y + 100, X + 200, Y + 200), "ecological_restoration", "需论证", {"red_line.limited_8"}),
    (box(X + 100, Y + 100, X + 200, Y + 200), "national_major", "需论证", {"red_line.national_major"}),
    (box(X + 2100, Y + 100, X + 2200, Y + 200), "housing", "符合", {"urban_boundary.inside_urban"}),
    (box(X + 4100, Y + 100, X + 4200, Y + 200), "industry", "不符合",
     {"basic_farmland.forbidden", "urban_boundary.outside"}),
    (box(X + 4100, Y + 100, X + 4200, Y + 200), "linear_infrastructure", "需论证", {"basic_farmland.key_projects"}),
    (box(X + 100, Y + 2100, X + 200, Y + 2200), "tourism_education", "不符合", {"protected_area.core_protection"}),
    (box(X + 1100, Y + 2100, X + 1200, Y + 2200), "tourism_education", "需论证",
     {"protected_area.general_control_tourism"}),
    (box(X + 3100, Y + 2100, X + 3200, Y + 2200), "housing", "不符合",
     {"water_source.grade1", "urban_boundary.outside"}),
    (box(X + 3100, Y + 2100, X + 3200, Y + 2200), "water_works", "需论证", {"water_source.grade1_supply"}),
    (box(X + 5500, Y + 2100, X + 5600, Y + 2200), "industry", "需论证",
     {"control_unit.priority_industry", "urban_boundary.outside"}),
    (box(X + 5500, Y + 2100, X + 5600, Y + 2200), "energy", "符合", set()),
])
def test_verdict_paths(region, geom, type_id, verdict, rules):
    s = run(sites([geom], [type_id]), region)["sites"][0]
    assert s["verdict"] == verdict
    assert rules <= set(rule_ids(s))
    strict = {f["rule"] for f in s["findings"] if f["level"] in ("prohibited", "needs_review")}
    assert strict <= rules, f"unexpected findings: {strict - rules}"


def test_control_unit_clause_comes_from_the_unit_attributes(region):
    s = run(sites([box(X + 5500, Y + 2100, X + 5600, Y + 2200)], ["industry"]), region)["sites"][0]
    fs = {f["rule"]: f for f in s["findings"]}
    assert "禁止新建工业项目。" in fs["control_unit.spatial_constraints"]["clause"]
    assert "（control_unit2）：禁止新建工业项目。" in fs["control_unit.priority_industry"]["clause"]
    assert fs["control_unit.spatial_constraints"]["level"] == "info"
    hit = next(h for h in s["hits"] if h["layer"] == "cu")
    assert hit["zone"] == "优先保护单元" and hit["feature_id"] == "YS001"


def test_outside_the_coverage_cannot_be_decided(region):
    out = run(sites([box(X + 7000, Y, X + 7100, Y + 100), box(X + 5900, Y + 100, X + 6100, Y + 200)],
                    ["energy", "energy"]), region)
    wholly, partly = out["sites"]
    assert wholly["verdict"] == "无法判定" and rule_ids(wholly)[0] == "coverage.outside"
    assert wholly["coverage"]["inside"] is False
    assert partly["verdict"] == "无法判定"
    f = partly["findings"][0]
    # 100 m of the 200 m wide site lie beyond x = X + 6000, by construction
    outside = geod_area(box(X + 6000, Y + 100, X + 6100, Y + 200))
    assert partly["coverage"]["outside_m2"] == pytest.approx(outside, rel=1e-6)
    assert f"{outside / 1e4:.4f}公顷" in f["message"]
    assert f"{100 * outside / geod_area(box(X + 5900, Y + 100, X + 6100, Y + 200)):.2f}%" in f["message"]


def test_prohibited_outweighs_missing_coverage(region):
    s = run(sites([box(X - 100, Y + 100, X + 100, Y + 200)], ["mining"]), region,
            coverage=box(X, Y - 5000, X + 6000, Y + 6000))["sites"][0]
    assert s["verdict"] == "不符合" and "coverage.outside" in rule_ids(s)


def test_default_coverage_is_the_boundary_layer_else_the_hull(region):
    far = sites([box(X + 8000, Y + 8000, X + 8100, Y + 8100)], ["energy"])
    assert check_sites(far, region).to_dict()["sites"][0]["verdict"] == "无法判定"   # beyond the hull of the layers
    with_county = {**region, "county": layer("boundary", [box(X - 9000, Y - 9000, X + 9000, Y + 9000)])}
    out = check_sites(far, with_county).to_dict()
    assert out["sites"][0]["verdict"] == "符合" and out["analysis"]["coverage"]["label"] == "行政区划"


def test_unknown_type_needs_review_when_a_rule_depends_on_it(region):
    out = run(sites([box(X + 100, Y + 100, X + 200, Y + 200), box(X + 2100, Y + 100, X + 2200, Y + 200)],
                    [None, "公用设施用地"]), region)
    red, urban = out["sites"]
    assert red["verdict"] == "需论证" and red["project_type"] is None
    f = next(f for f in red["findings"] if f["rule"] == "project_type.unknown")
    assert f["level"] == "needs_review" and "生态保护红线内禁止开发性、生产性建设活动" in f["message"]
    assert "red_line." not in f["message"] and "--type" not in f["message"]   # titles, no ids or CLI hints
    # the urban site's rules all depend on the type as well
    assert urban["verdict"] == "需论证" and "无法识别" in urban["type_source"]
    assert urban["warnings"] and "公用设施用地" in urban["warnings"][0]
    # --type for all sites overrides the attribute, by id or Chinese label
    out = run(sites([box(X + 2100, Y + 100, X + 2200, Y + 200)], ["mining"]), region, project_type="住宅及城镇建设")
    assert out["sites"][0]["project_type"] == "housing" and out["sites"][0]["verdict"] == "符合"
    with pytest.raises(UsageError, match="linear_infrastructure"):
        run(sites([box(X, Y, X + 1, Y + 1)]), region, project_type="rocket")


def test_unknown_type_with_no_type_dependent_rule_is_only_noted():
    rr = layer("river_management_range", [box(X, Y, X + 1000, Y + 1000)])
    s = run(sites([Point(X + 10, Y + 10)]), {"rr": rr})["sites"][0]
    assert s["verdict"] == "需论证"   # river_range.works concerns every type
    f = next(f for f in s["findings"] if f["rule"] == "project_type.unknown")
    assert f["level"] == "info"


def test_distance_rule_flags_high_pollution_industry_near_the_river():
    river = layer("river", [LineString([(X, Y - 3000), (X, Y + 3000)]), LineString([(X + 3000, Y - 3000),
                                                                                   (X + 3000, Y + 3000)])],
                  name=["汾河", "乙河"])
    rules = load_rules(distance=[{"id": "fen_1km", "layer": "rivers", "where": {"name": "汾河"}, "distance_m": 1000,
                                  "types": ["industry_high_pollution"], "level": "prohibited",
                                  "clause": "《示范规划》汾河一公里", "message": "距{layer}{distance_m}米"}])
    factory = box(X + 600, Y, X + 800, Y + 200)            # 600 m from 汾河, 2200 m from 乙河
    out = run(sites([factory, factory, box(X + 2200, Y, X + 2400, Y + 200)],
                    ["industry_high_pollution", "industry", "industry_high_pollution"]),
              {"rivers": river}, rules=rules)
    near, other_type, near_other_river = out["sites"]
    assert near["verdict"] == "不符合"
    f = next(f for f in near["findings"] if f["rule"] == "fen_1km")
    d = geod_distance((X, Y + 100), (X + 600, Y + 100))
    assert f["distance_m"] == pytest.approx(d, rel=1e-6) and f["clause"] == "《示范规划》汾河一公里"
    assert f"{d:.2f}米" in f["message"]
    assert other_type["verdict"] == "符合" and "fen_1km" not in rule_ids(other_type)
    assert near_other_river["verdict"] == "符合"          # 600 m from 乙河, which the rule does not name
    bad = load_rules(distance=[{"id": "x", "layer": "rivers", "where": {"河名": "汾河"}, "distance_m": 10,
                                "level": "info", "clause": "c", "message": "m"}])
    with pytest.raises(InputError, match="河名"):
        run(sites([factory]), {"rivers": river}, rules=bad)
    missing = load_rules(distance=[{"id": "y", "layer": "lakes", "distance_m": 10, "level": "info", "clause": "c",
                                    "message": "m"}])
    with pytest.raises(InputError, match="lakes"):
        run(sites([factory]), {"rivers": river}, rules=missing)


def test_urban_boundary_outside_reports_the_part_outside(region):
    site = box(X + 2900, Y + 100, X + 3100, Y + 200)        # half in the urban boundary
    s = run(sites([site], ["housing"]), region)["sites"][0]
    f = next(f for f in s["findings"] if f["rule"] == "urban_boundary.outside")
    part = geod_area(box(X + 3000, Y + 100, X + 3100, Y + 200))
    assert f"{part / 1e4:.4f}公顷" in f["message"] and s["verdict"] == "需论证"


# -------------------------------------------------------------------------------------------- bad input
def test_sites_in_another_crs_are_reprojected_and_reported(region):
    site = box(X + 500, Y + 200, X + 1500, Y + 700)
    ll = sites([site], ["mining"]).to_crs(4490)
    out = run(ll, region)
    assert any("reprojected" in w and "sites" in w for w in out["warnings"])
    a = summary(out["sites"][0], "red_line")["overlap_m2"]
    assert a == pytest.approx(geod_area(box(X + 500, Y + 200, X + 1000, Y + 700)), rel=1e-5)


def test_xian80_against_cgcs2000_is_refused_without_parameters(region):
    xian = sites([box(X + 500, Y + 200, X + 600, Y + 300)], ["mining"], crs=2361)  # Xi'an 1980 3° zone 37
    with pytest.raises(InputError, match="towgs84"):
        run(xian, region)
    out = run(xian, region, towgs84=(0.0, 0.0, 0.0))
    assert any("--towgs84" in w for w in out["warnings"])


@pytest.mark.parametrize("geom, words", [
    (shapely.Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100)]), "invalid site geometry"),
    (shapely.Polygon([(X, Y), (X + 100, Y), (X + 200, Y)]), "zero area"),
    (shapely.Polygon(), "no geometry"),
    (shapely.GeometryCollection([Point(X, Y), box(X, Y, X + 1, Y + 1)]), "geometry collection"),
])
def test_bad_site_geometry_is_named(region, geom, words):
    g = sites([box(X, Y, X + 10, Y + 10), geom], ["housing", "housing"])
    with pytest.raises(InputError, match=words) as exc:
        validate_sites(g)
    assert "feature 1" in str(exc.value) and "项目2" in str(exc.value)



def test_the_first_invalid_site_of_many_is_named_when_validity_runs_on_threads(region):
    """From 10,000 sites validity is tested in chunks on threads: the first invalid site is still the one named
    (two bowties, at 9,001 and 11,500, in different chunks on two cores: 9,001, the 9,002nd site, is named)."""
    from redline.layers.repair import VALID_ON_THREADS

    n = 12_000
    assert n >= VALID_ON_THREADS
    bow = shapely.Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100)])
    geoms = [box(X + 20 * (k % 100), Y + 20 * (k // 100), X + 20 * (k % 100) + 10, Y + 20 * (k // 100) + 10)
             for k in range(n)]
    geoms[9_001] = geoms[11_500] = bow
    g = sites(geoms, ["housing"] * n)
    with pytest.raises(InputError, match="invalid site geometry") as exc:
        validate_sites(g)
    assert "feature 9001 " in str(exc.value) and "项目9002" in str(exc.value)

def test_read_sites_files_folders_and_repair(tmp_path):
    bow = shapely.Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100)])
    g = gpd.GeoDataFrame({"XMMC": ["蝴蝶地块"], "XMLX": ["住宅"]}, geometry=[bow], crs=CRS)
    g.to_file(tmp_path / "bad.gpkg")
    with pytest.raises(InputError, match="invalid") as exc:
        validate_sites(read_sites(tmp_path / "bad.gpkg"))
    assert "bad.gpkg" in str(exc.value)
    fixed = read_sites(tmp_path / "bad.gpkg", repair=True)
    validate_sites(fixed)
    assert fixed["type"].iloc[0] == "住宅" and fixed["site_id"].iloc[0] == "bad-1"
    assert any("repaired" in w for w in layer_info(fixed).warnings)
    empty = gpd.GeoDataFrame({"XMMC": []}, geometry=[], crs=CRS)
    empty.to_file(tmp_path / "empty.gpkg")
    with pytest.raises(InputError, match="no features"):
        read_sites(tmp_path / "empty.gpkg")
    (tmp_path / "zero.geojson").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_sites(tmp_path / "zero.geojson")
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "README.md").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="no site file"):
        read_sites(tmp_path / "nothing")
    with pytest.raises(InputError, match="not found"):
        read_sites(tmp_path / "missing.gpkg")


def test_csv_of_points(tmp_path, region):
    lon, lat = TO_LL.transform(X + 150, Y + 150)
    (tmp_path / "pts.csv").write_text(f"name,longitude,latitude,type\n监测点,{lon:.9f},{lat:.9f},research_monitoring\n",
                                      encoding="utf-8")
    g = read_sites(tmp_path / "pts.csv")
    s = run(g, region)["sites"][0]
    assert s["geometry_type"] == "Point" and s["name"] == "监测点"
    assert s["verdict"] == "需论证" and "red_line.limited_1" in rule_ids(s)


# --------------------------------------------------------------------------------------- project level
def write_project(tmp_path, extra: str = "", farm_fields: str = "") -> None:
    d = tmp_path
    layer("boundary", [COUNTY], name=["某县"]).to_file(d / "data.gpkg", layer="county")
    gpd.GeoDataFrame({"HXMC": ["红线甲"], "HXBM": ["HX001"]}, geometry=[RED], crs=CRS).to_file(
        d / "data.gpkg", layer="red")
    gpd.GeoDataFrame({"BHDMC": ["某保护区"], "GNFQ": ["实验区"]}, geometry=[box(X, Y + 2000, X + 1000, Y + 3000)],
                     crs=CRS).to_file(d / "data.gpkg", layer="pa")
    (d / "redline.toml").write_text(f"""
[region]
name = "测试县"
boundary = "county"
crs = "EPSG:4525"
[layers.county]
kind = "boundary"
path = "data.gpkg"
layer = "county"
source = "测试局"
date = "2025-12-31"
[layers.red_line]
kind = "red_line"
path = "data.gpkg"
layer = "red"
source = "测试局"
date = "2025-12-31"
[layers.pa]
kind = "protected_area_zone"
path = "data.gpkg"
layer = "pa"
{farm_fields}
{extra}
""", encoding="utf-8")
    gpd.GeoDataFrame({"XMMC": ["矿山", "步道"], "XMLX": ["采矿", "旅游"], "DKBH": ["K1", "K2"]},
                     geometry=[box(X + 100, Y + 100, X + 300, Y + 300), box(X + 100, Y + 2100, X + 300, Y + 2300)],
                     crs=CRS).to_file(d / "sites.gpkg")


def test_check_project_reads_layers_with_their_mapping_and_provenance(tmp_path):
    from redline.layers.project import load_project

    write_project(tmp_path)
    run_ = check_project(tmp_path / "sites.gpkg", load_project(tmp_path / "redline.toml"))
    mine, trail = run_.to_dict()["sites"]
    assert (mine["site_id"], mine["verdict"], mine["project_type"]) == ("K1", "不符合", "mining")
    assert mine["hits"][0]["feature_name"] == "红线甲" and mine["hits"][0]["feature_id"] == "HX001"
    assert trail["verdict"] == "需论证" and trail["hits"][0]["zone"] == "实验区"
    roles = {(r.get("role"), r.get("layer")) for r in run_.inputs}
    assert ("sites", None) in roles and ("layer", "red_line") in roles and ("project", None) in roles
    rec = next(r for r in run_.inputs if r.get("layer") == "red_line")
    assert rec["vintage"] == "2025-12-31" and rec["source"] == "测试局" and len(rec["sha256"]) == 64
    assert run_.to_dict()["project"]["name"] == "测试县"


def test_project_missing_a_layer_file_is_named(tmp_path):
    from redline.layers.project import load_project

    write_project(tmp_path, extra='[layers.farm]\nkind = "basic_farmland"\npath = "no_such_farmland.shp"\n')
    with pytest.raises(InputError) as exc:
        check_project(tmp_path / "sites.gpkg", load_project(tmp_path / "redline.toml"))
    assert "farm" in str(exc.value) and "no_such_farmland.shp" in str(exc.value)


def test_field_mapping_that_matches_nothing_is_warned_with_layer_and_field(tmp_path):
    from redline.layers.project import load_project

    write_project(tmp_path, farm_fields='fields = { zone = "FQLX" }')
    run_ = check_project(tmp_path / "sites.gpkg", load_project(tmp_path / "redline.toml"))
    ws = [w for w in run_.to_dict()["warnings"] if "FQLX" in w]
    assert ws and all("pa" in w for w in ws)
    # the mapping fell back to the kind's default field GNFQ, so the zone is still known
    assert run_.to_dict()["sites"][1]["hits"][0]["zone"] == "实验区"


def test_distance_rule_naming_a_missing_layer_is_an_input_error(tmp_path):
    from redline.layers.project import load_project

    write_project(tmp_path, extra='[[rules.distance]]\nid = "lake"\nlayer = "lakes"\ndistance_m = 100\n'
                                  'level = "info"\nclause = "c"\nmessage = "m"\n')
    with pytest.raises(InputError, match="lakes"):
        check_project(tmp_path / "sites.gpkg", load_project(tmp_path / "redline.toml"))


def test_quick_check_with_layer_arguments(tmp_path):
    write_project(tmp_path)
    gpd.GeoDataFrame({"HXMC": ["红线甲"]}, geometry=[RED], crs=CRS).to_file(tmp_path / "rl.shp",
                                                                          encoding="utf-8")
    run_ = check_project(tmp_path / "sites.gpkg", layer_args=[("red_line", str(tmp_path / "rl.shp"))])
    mine, trail = run_.to_dict()["sites"]
    assert mine["verdict"] == "不符合" and mine["hits"][0]["feature_name"] == "红线甲"
    assert trail["verdict"] == "无法判定"     # beyond the red line's hull: no data there
    with pytest.raises(UsageError):
        check_project(tmp_path / "sites.gpkg")


# ------------------------------------------------------------------------------------------------ demo
DEMO_VERDICTS = {"SF-01": {"需论证"}, "SF-02": {"需论证"}, "SF-03": {"不符合"}, "SF-04": {"不符合"},
                 "SF-05": {"符合", "需论证"}, "SF-06": {"不符合"}, "SF-07": {"需论证"}, "SF-08": {"需论证"}}
DEMO_TXT = {"01": ("housing", "符合"), "02": ("industry", "不符合"), "03": ("energy", "无法判定"),
            "04": ("housing", "符合")}


@pytest.fixture(scope="module")
def demo(demo_dir):
    pytest.importorskip("redline.layers.demo", reason="the demo generator (redline.layers.demo) is not written yet")
    from redline.layers.project import load_project

    return demo_dir, load_project(demo_dir / "redline.toml")


def test_demo_sites_get_the_verdicts_their_construction_implies(demo):
    demo_dir, project = demo
    out = check_project(demo_dir / "sites" / "项目选址.gpkg", project).to_dict()
    got = {s["site_id"]: s for s in out["sites"]}
    for sid, want in DEMO_VERDICTS.items():
        assert got[sid]["verdict"] in want, (sid, got[sid]["findings"])
    assert "red_line.limited_6" in rule_ids(got["SF-01"])             # the road crossing the red line
    assert "main_river_1km_high_pollution" in rule_ids(got["SF-04"])  # the factory near the river
    d = next(f for f in got["SF-04"]["findings"] if f["rule"] == "main_river_1km_high_pollution")["distance_m"]
    assert 500 < d < 700                                                # "about 600 m" by construction
    assert "protected_area.experimental_forbidden" in rule_ids(got["SF-03"])


def test_demo_touches_match_the_generator(demo):
    """The layers each site occupies are the ones the generator says it intersects."""
    from redline.layers.demo import CONTROL_LAYER_IDS, build_region

    demo_dir, project = demo
    facts = {f["id"]: f for f in build_region(2026).facts["sites"]}
    out = check_project(demo_dir / "sites" / "项目选址.gpkg", project).to_dict()
    for s in out["sites"]:
        touched = {L["layer"] for L in s["layers"] if L["touched"] and L["layer"] in CONTROL_LAYER_IDS}
        assert touched == set(facts[s["site_id"]]["touches"]), s["site_id"]


@pytest.mark.parametrize("num", sorted(DEMO_TXT))
def test_demo_txt_sites(demo, num):
    demo_dir, project = demo
    path = next((demo_dir / "sites").glob(f"{num}_*.txt"))
    type_id, verdict = DEMO_TXT[num]
    out = check_project(path, project, project_type=type_id).to_dict()
    assert {s["verdict"] for s in out["sites"]} == {verdict}
    if num == "03":
        assert out["sites"][0]["coverage"]["inside"] is False
    if num == "04":
        assert len(out["sites"]) == 2       # each parcel a site


def test_demo_areas_agree_with_an_independent_overlay(demo):
    demo_dir, project = demo
    run_ = check_project(demo_dir / "sites" / "项目选址.gpkg", project)
    sg = run_.sites[run_.sites.geom_type.isin(["Polygon", "MultiPolygon"])]
    for lid in ("protected_areas", "control_units", "red_line"):
        zl = run_.context.prepared.layers[lid]
        dissolved = gpd.GeoDataFrame(geometry=[zl.union_all()], crs=zl.crs)
        ov = gpd.overlay(sg[["site_id", "geometry"]], dissolved, how="intersection", keep_geom_type=True)
        want = dict(zip(ov["site_id"], ellipsoidal_area(ov.geometry, zl.crs), strict=True))
        for s in run_.to_dict()["sites"]:
            if s["site_id"] in set(sg["site_id"]):
                assert summary(s, lid)["overlap_m2"] == pytest.approx(want.get(s["site_id"], 0.0), rel=1e-6,
                                                                      abs=1e-6), (lid, s["site_id"])
