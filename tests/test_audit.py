"""The layer audit (redline.spatial.audit, ``redline audit``).

Independent numbers: planar areas of rectangles by hand; ellipsoidal areas by GeographicLib
(``pyproj.Geod``) on the rectangle's edges densified in the plane and inverse-projected by PROJ; shares and
implied totals by hand; the demo's deliberate faults from its README.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import openpyxl
import pyproj
import pytest
import shapely
from click.testing import CliRunner

from redline.layers.errors import UsageError
from redline.spatial.audit import (
    audit_layers,
    boundary_check,
    declared_area_check,
    implied_total,
    infer_unit,
    overlap_check,
    parse_share,
    protected_outside_check,
    self_overlap_check,
    stated_check,
)

CRS = 4525
E_FAR = 37_600_000.0     # ~100 km east of the central meridian: GK planar area overstates by ~2.5e-4
N0 = 4_200_000.0
GEOD = pyproj.Geod(ellps="GRS80")  # CGCS2000 uses GRS80's a and f (to 1e-10)
TO_LL = pyproj.Transformer.from_crs(CRS, 4490, always_xy=True)


def geod_area(geom) -> float:
    """Ellipsoidal area by GeographicLib: edges densified every 1 m in the plane, then inverse-projected."""
    total = 0.0
    for poly in shapely.get_parts(geom):
        for k, ring in enumerate([poly.exterior, *poly.interiors]):
            xy = shapely.get_coordinates(shapely.segmentize(ring, 1.0))
            lon, lat = TO_LL.transform(xy[:, 0], xy[:, 1])
            a, _ = GEOD.polygon_area_perimeter(lon, lat)
            total += abs(a) * (1 if k == 0 else -1)
    return total


def rect(x, y, w, h, e0=E_FAR, n0=N0):
    return shapely.box(e0 + x, n0 + y, e0 + x + w, n0 + y + h)


def layer(geoms, crs=CRS, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)


# ------------------------------------------------------------------------------------ declared areas
def test_declared_in_hectares_matching_planar():
    # planar areas (m²): 12 345, 23 456.7, 60 123.4, 100 037.5, 10 000, 10 000, 2 007.6 → 4 decimals in 公顷
    geoms = [rect(0, 0, 123.45, 100), rect(0, 500, 234.567, 100), rect(0, 1000, 300.617, 200),
             rect(0, 2000, 400.15, 250), rect(0, 3000, 100, 100), rect(0, 4000, 100, 100), rect(0, 5000, 50.19, 40)]
    declared = [1.2345, 2.3457, 6.6136, 100037.5, 1.004, 1.006, 0.2008]
    gdf = layer(geoms, code=[f"F{i}" for i in range(7)], name=[f"图斑{i}" for i in range(7)], area=declared)
    r = declared_area_check(gdf)
    assert r["unit"] == "ha" and r["unit_label"] == "公顷"
    assert r["method"] == "planar" and r["match"] == "exact"
    assert r["matches"]["planar"] == 3 and r["matches"]["ellipsoidal"] == 0   # F0, F1, F6
    # F2: 10 % too large; F3: m² in a 公顷 field; F5: 0.6 % > 0.5 %; F4: 0.4 % is within the tolerance
    off = {f["id"]: f for f in r["off"]}
    assert set(off) == {"F2", "F3", "F5"}
    assert off["F2"]["planar_m2"] == pytest.approx(60123.4)
    assert off["F2"]["declared_m2"] == pytest.approx(66136.0)
    assert off["F2"]["difference_m2"] == pytest.approx(6012.6)
    assert off["F2"]["difference_pct"] == pytest.approx(10.0, abs=1e-3)
    assert off["F2"]["ellipsoidal_m2"] == pytest.approx(geod_area(geoms[2]), rel=1e-8)
    assert off["F5"]["difference_m2"] == pytest.approx(60.0)
    assert off["F5"]["tolerance_m2"] == pytest.approx(50.0)       # 0.5 % of 10 000 m²
    assert "平方米" in off["F3"]["hint"]
    assert off["F2"]["hint"] is None
    assert off["F2"]["name"] == "图斑2" and off["F2"]["row"] == 2
    # ratios sorted: ~1 (F0, F1, F6), 1.004 (F4), 1.006, 1.1, 10 000: the median is F4's
    assert r["median_ratio"]["planar"] == pytest.approx(1.004)
    assert r["totals"]["planar_m2"] == pytest.approx(12345 + 23456.7 + 60123.4 + 100037.5 + 20000 + 2007.6)


def test_tolerance_is_at_least_the_declared_rounding():
    # 1.23 公顷 (2 decimals) stands for 12 250–12 350 m²; on the central meridian planar = ellipsoidal
    e0 = 37_500_000
    geoms = [rect(0, 0, 123.45, 100, e0), rect(0, 500, 123.6, 100, e0), rect(0, 1000, 100, 100, e0)]
    gdf = layer(geoms, code=["A", "B", "C"], area=[1.23, 1.23, 1.0])
    r = declared_area_check(gdf, tolerance=0.0, unit="ha")
    off = {f["id"]: f for f in r["off"]}
    assert set(off) == {"B"}                                 # A is 45 m² off, B 60 m²
    assert off["B"]["tolerance_m2"] == pytest.approx(50.0)
    assert off["B"]["difference_m2"] == pytest.approx(-60.0, abs=0.05)
    assert r["unit_source"] == "given"
    assert r["method"] == "undetermined"


def test_declared_matching_ellipsoidal_in_mu_and_m2():
    geoms = [rect(0, 0, 100, 100), rect(0, 500, 250, 120), rect(0, 1000, 333, 77), rect(0, 2000, 40, 900)]
    geod = np.array([geod_area(g) for g in geoms])
    planar = shapely.area(geoms)
    assert np.all(planar / geod - 1 > 2e-4)                  # the two methods are far apart here
    mu = np.round(geod / (10000 / 15), 4)
    r = declared_area_check(layer(geoms, area=mu))
    assert r["unit"] == "mu" and r["unit_label"] == "亩"
    assert r["method"] == "ellipsoidal" and r["match"] == "exact"
    assert r["matches"] == {"planar": 0, "ellipsoidal": 4}
    assert r["off"] == []
    r = declared_area_check(layer(geoms, area=np.round(geod, 2)))
    assert r["unit"] == "m2" and r["method"] == "ellipsoidal"
    # 2.3e-4 more than the ellipsoidal area: planar declared values, with a median ratio to show it
    r = declared_area_check(layer(geoms, area=np.round(planar, 2)))
    assert r["method"] == "planar"
    assert r["median_ratio"]["ellipsoidal"] == pytest.approx(float(np.median(planar / geod)), rel=1e-7)


def test_method_undetermined_at_the_central_meridian():
    # on the central meridian the GK scale factor is 1: a 1 ha square differs by < 0.01 m²
    geoms = [rect(0, 0, 100, 100, e0=37_500_000), rect(0, 500, 200, 100, e0=37_500_000)]
    r = declared_area_check(layer(geoms, area=[1.0, 2.0]))
    assert r["unit"] == "ha" and r["method"] == "undetermined" and r["off"] == []


def test_declared_matching_neither():
    geoms = [rect(0, 0, 100, 100), rect(0, 500, 200, 100), rect(0, 1000, 300, 100)]
    r = declared_area_check(layer(geoms, area=[1.03, 2.06, 3.09]))       # all 3 % too large
    assert r["unit"] == "ha" and r["method"] == "neither"
    assert len(r["off"]) == 3
    # against the ellipsoidal area, the official one
    assert r["off"][0]["difference_pct"] == pytest.approx(100 * (10300 / geod_area(geoms[0]) - 1), rel=1e-6)


def test_transposed_digits_hint_and_missing_values():
    geoms = [rect(0, 0, 1000, 2103.212), rect(0, 5000, 100, 100), rect(0, 6000, 100, 100)]
    gdf = layer(geoms, code=["T", "M", "N"], area=[120.3212, None, "abc"])
    r = declared_area_check(gdf, unit="ha")
    assert [f["id"] for f in r["off"]] == ["T"]
    assert "210.3212" in r["off"][0]["hint"]
    assert r["missing"] == [1, 2]
    assert r["declared"] == 1


def test_infer_unit():
    assert infer_unit([1e-4, 1e-4, 1.12e-4])[0] == "ha"
    assert infer_unit([1.0, 0.99])[0] == "m2"
    assert infer_unit([1e-6])[0] == "km2"
    assert infer_unit([15e-4])[0] == "mu"
    assert infer_unit([5e-3, 5e-2]) == (None, 0)
    r = declared_area_check(layer([rect(0, 0, 100, 100)], area=[0.5]))
    assert r["unit"] is None and any("match no area unit" in w for w in r["warnings"])


def test_geographic_layer_compares_ellipsoidal_only():
    g = rect(0, 0, 300, 200)
    ll = gpd.GeoSeries([g], crs=CRS).to_crs(4490)
    a = geod_area(g)
    r = declared_area_check(layer(ll, crs=4490, area=[round(a / 1e4, 4)]))
    assert r["unit"] == "ha" and r["method"] == "ellipsoidal" and r["off"] == []
    assert r["median_ratio"]["planar"] is None


# ------------------------------------------------------------------------------------ stated figures
def test_parse_share():
    assert parse_share("13.83") == (13.83, 2)
    assert parse_share("13.80%") == (13.8, 2)
    assert parse_share(5.1) == (5.1, 1)
    with pytest.raises(UsageError):
        parse_share("abc")
    with pytest.raises(UsageError):
        parse_share("120")


def test_implied_total_by_hand():
    r = implied_total(28466.876e4, 13.83, share_decimals=2, area_rounding_m2=5.0)
    assert r["total_m2"] == pytest.approx(284_668_760 / 0.1383)
    assert r["low_m2"] == pytest.approx(284_668_755 / 0.13835)
    assert r["high_m2"] == pytest.approx(284_668_765 / 0.13825)
    assert r["share_interval"] == pytest.approx([13.825, 13.835])


def test_stated_check_against_geodesic_areas():
    county = layer([rect(0, 0, 10_000, 10_000)])
    # two overlapping rectangles: union = 3000 × 2000 m
    red = layer([rect(1000, 1000, 2000, 2000), rect(2000, 1000, 2000, 2000)])
    union = rect(1000, 1000, 3000, 2000)
    a_red, a_county = geod_area(union), geod_area(county.geometry[0])
    share = 100 * a_red / a_county
    stated = f"{a_red / 1e4:.3f}公顷"
    r = stated_check(red, county, stated=stated, stated_share=f"{share:.2f}")
    assert r["computed"]["area_m2"] == pytest.approx(a_red, rel=1e-8)
    assert r["computed"]["share_pct"] == pytest.approx(share, rel=1e-8)
    assert r["computed"]["overlap_removed_m2"] == pytest.approx(geod_area(rect(2000, 1000, 1000, 2000)), rel=1e-6)
    assert r["area"]["consistent"] and r["share"]["consistent"] and r["implied_total"]["consistent"]
    assert r["area"]["rounding_m2"] == pytest.approx(5.0)
    assert r["findings"] == []
    # a share off by 0.02 %, and an area 1 % too large
    r = stated_check(red, county, stated=f"{1.01 * a_red / 1e4:.3f}公顷", stated_share=f"{share + 0.02:.2f}")
    kinds = {f["kind"] for f in r["findings"]}
    assert kinds == {"stated_area", "stated_share", "implied_total"}
    assert r["area"]["difference_pct"] == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(UsageError, match="--stated"):
        stated_check(red, county, stated="很多")


# ------------------------------------------------------------------------------------------ overlaps
def test_overlap_between_two_squares():
    a = layer([rect(0, 0, 100, 100), rect(1000, 0, 100, 100)], code=["A1", "A2"], name=["红线甲", "红线乙"])
    b = layer([rect(50, 50, 100, 100), rect(1100, 0, 100, 100)], code=["B1", "B2"])    # B2 only touches A2
    r = overlap_check(a, b)
    assert len(r["pairs"]) == 1
    p = r["pairs"][0]
    assert (p["a_id"], p["a_name"], p["b_id"]) == ("A1", "红线甲", "B1")
    assert p["area_m2"] == pytest.approx(geod_area(rect(50, 50, 50, 50)), rel=1e-8)
    assert p["area_m2"] == pytest.approx(2500.0, rel=5e-4)              # 50 m × 50 m, planar by hand
    lon, lat = TO_LL.transform(E_FAR + 75, N0 + 75)                      # centre of the overlap
    assert (p["lon"], p["lat"]) == pytest.approx((lon, lat), abs=1e-3)
    assert r["area_m2"] == pytest.approx(p["area_m2"])


def test_overlaps_below_the_minimum_are_counted_apart():
    a = layer([rect(0, 0, 100, 100)])
    b = layer([rect(99.9, 0, 100, 5)])                                   # 0.1 m × 5 m = 0.5 m²
    r = overlap_check(a, b, min_area_m2=1.0)
    assert r["pairs"] == [] and r["small"]["count"] == 1
    assert r["small"]["area_m2"] == pytest.approx(0.5, rel=1e-3)


def test_self_overlaps():
    g = layer([rect(0, 0, 100, 100), rect(80, 0, 100, 100), rect(180, 0, 100, 100)], code=["P", "Q", "R"])
    r = self_overlap_check(g)                                            # Q and R only touch
    assert [(p["a_id"], p["b_id"]) for p in r["pairs"]] == [("P", "Q")]
    assert r["pairs"][0]["area_m2"] == pytest.approx(geod_area(rect(80, 0, 20, 100)), rel=1e-8)


def test_protected_zones_outside_the_red_line():
    red = layer([rect(0, 0, 1000, 1000)])
    pa = layer([rect(100, 100, 200, 200), rect(900, 0, 200, 100), rect(2000, 0, 100, 100)],
               code=["C", "B", "E"], zone=["核心区", "缓冲区", "实验区"], name=["保护区"] * 3)
    r = protected_outside_check(pa, red)
    f = {x["id"]: x for x in r["features"]}
    assert f["C"]["outside_m2"] == 0.0 and f["C"]["must_be_inside"]
    assert f["B"]["outside_m2"] == pytest.approx(geod_area(rect(1000, 0, 100, 100)), rel=1e-8)
    assert f["B"]["outside_pct"] == pytest.approx(50.0, rel=1e-6)
    assert f["B"]["must_be_inside"]
    assert f["E"]["outside_pct"] == pytest.approx(100.0) and not f["E"]["must_be_inside"]
    assert r["required_outside_m2"] == pytest.approx(f["B"]["outside_m2"])


def test_gaps_and_slivers_by_construction():
    county = layer([rect(0, 0, 3000, 1000)])
    towns = layer([rect(0, 0, 1000, 1000), rect(950, 0, 950, 1000), rect(2000, 0, 1050, 1000)],
                  name=["甲镇", "乙乡", "丙镇"])
    r = boundary_check(county, towns)
    # gap: 1900–2000 m, 100 m × 1000 m; sliver outside: 3000–3050 m; overlap 甲/乙: 950–1000 m
    assert len(r["gaps"]) == 1
    gap = r["gaps"][0]
    assert gap["area_m2"] == pytest.approx(geod_area(rect(1900, 0, 100, 1000)), rel=1e-8)
    assert gap["area_m2"] == pytest.approx(100_000, rel=5e-4)
    assert set(gap["townships"]) == {"乙乡", "丙镇"}
    x, y = pyproj.Transformer.from_crs(4490, CRS, always_xy=True).transform(gap["lon"], gap["lat"])
    assert rect(1900, 0, 100, 1000).buffer(0.5).contains(shapely.Point(x, y))
    kinds = {s["kind"]: s for s in r["slivers"]}
    assert kinds["outside_county"]["area_m2"] == pytest.approx(geod_area(rect(3000, 0, 50, 1000)), rel=1e-8)
    assert kinds["outside_county"]["townships"] == ["丙镇"]
    assert kinds["township_overlap"]["area_m2"] == pytest.approx(geod_area(rect(950, 0, 50, 1000)), rel=1e-8)
    assert kinds["township_overlap"]["townships"] == ["甲镇", "乙乡"]
    assert r["county_m2"] == pytest.approx(geod_area(county.geometry[0]), rel=1e-8)


def test_townships_that_tile_the_county_have_no_gaps():
    county = layer([rect(0, 0, 2000, 1000)])
    towns = layer([rect(0, 0, 1000, 1000), rect(1000, 0, 1000, 1000)], name=["甲", "乙"])
    r = boundary_check(county, towns)
    assert r["gaps"] == [] and r["slivers"] == []


# ---------------------------------------------------------------------------------- a whole project
def write_project(root, *, overlap=True, bad_name=False):
    """A small project: county, 2 townships, red line, farmland (overlapping the red line or not), urban."""
    data = root / "data.gpkg"
    county = layer([rect(0, 0, 4000, 2000)], XZQMC=["测试县"])
    towns = layer([rect(0, 0, 2000, 2000), rect(2000, 0, 2000, 2000)], XZMC=["东镇", "西乡"])
    red = layer([rect(100, 100, 1000, 1000), rect(2100, 100, 500, 500)], HXBM=["HX01", "HX02"],
                HXMC=["=HYPERLINK(\"x\")" if bad_name else "红线一", "红线二"], MJ=[100.0, 25.0])
    farm = layer([rect(1000 if overlap else 1100, 100, 500, 500)], TBBH=["00001"], TBMJ=[250000.0])
    urban = layer([rect(3000, 1000, 800, 800)], MC=["城区"], MJ=[64.0])
    for name, g in [("county", county), ("towns", towns), ("red", red), ("farm", farm), ("urban", urban)]:
        g.to_file(data, layer=name, driver="GPKG")
    toml = root / "redline.toml"
    toml.write_text("\n".join([
        '[region]', 'name = "测试县"', 'boundary = "county"', 'townships = "towns"', "",
        *[f'[layers.{lid}]\nkind = "{kind}"\npath = "data.gpkg"\nlayer = "{lyr}"\n' for lid, kind, lyr in [
            ("county", "boundary", "county"), ("towns", "boundary", "towns"), ("red_line", "red_line", "red"),
            ("farmland", "basic_farmland", "farm"), ("urban", "urban_boundary", "urban")]]]), encoding="utf-8")
    return toml


def test_audit_layers_on_a_small_project(tmp_path):
    from redline.layers.project import load_project

    project = load_project(write_project(tmp_path))
    r = audit_layers(project)
    kinds = sorted(f["kind"] for f in r["findings"])
    assert kinds == ["control_line_overlap"]
    o = next(o for o in r["overlaps"] if o["b"] == "basic_farmland")
    assert [(p["a_id"], p["b_id"]) for p in o["pairs"]] == [("HX01", "00001")]
    # red HX01 spans 100–1100 m, the farmland 1000–1500 m: 100 m × 500 m
    assert o["area_m2"] == pytest.approx(geod_area(rect(1000, 100, 100, 500)), rel=1e-8)
    assert r["boundary"]["gaps"] == [] and r["boundary"]["slivers"] == []
    declared = {d["layer"]: d for d in r["declared_areas"]}
    assert declared["red_line"]["unit"] == "ha" and declared["farmland"]["unit"] == "m2"
    assert r["protected_outside_red_line"] is None
    assert any("protected-area" in w for w in r["warnings"])
    assert r["method"]["method"] == "ellipsoidal"
    totals = {t["layer"]: t for t in r["totals"]}
    red_m2 = geod_area(rect(100, 100, 1000, 1000)) + geod_area(rect(2100, 100, 500, 500))
    assert totals["red_line"]["total_m2"] == pytest.approx(red_m2, rel=1e-8)
    assert totals["red_line"]["share_pct"] == pytest.approx(100 * red_m2 / geod_area(rect(0, 0, 4000, 2000)),
                                                             rel=1e-8)
    assert totals["red_line"]["share_pct"] == pytest.approx(15.625, rel=1e-4)     # 1.25 km² of 8 km²


def test_cli_exit_codes_json_and_xlsx(tmp_path):
    from redline.cli import main

    runner = CliRunner()
    clean = tmp_path / "clean"
    clean.mkdir()
    res = runner.invoke(main, ["audit", "--project", str(write_project(clean, overlap=False))])
    assert res.exit_code == 0, res.output
    assert "未发现问题" in res.stdout

    dirty = tmp_path / "dirty"
    dirty.mkdir()
    toml = write_project(dirty, bad_name=True)
    xlsx = tmp_path / "out" / "audit.xlsx"
    res = runner.invoke(main, ["audit", "--project", str(toml), "--json", "--xlsx", str(xlsx),
                               "--stated", "100公顷", "--stated-share", "12.50"])
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert {f["kind"] for f in out["findings"]} >= {"control_line_overlap"}
    # 12.5 % of an 800 ha county is 100 ha; the red line is 125 ha
    assert out["stated"]["implied_total"]["total_m2"] == pytest.approx(100e4 / 0.125)
    assert out["stated"]["share"]["consistent"] is False
    inputs = out["provenance"]["inputs"]
    assert inputs[0]["path"].endswith("redline.toml")
    assert inputs[1]["sha256"] and set(inputs[1]["layers"]) >= {"county", "red_line", "farmland"}
    wb = openpyxl.load_workbook(xlsx)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c for c in cells if c.data_type == "f"]                      # never a formula
    assert any(c.value.startswith("=HYPERLINK") and c.data_type == "s" for c in cells)
    assert not list(xlsx.parent.glob(".*part*"))

    res = runner.invoke(main, ["audit", "--project", str(tmp_path / "nothing.toml")])
    assert res.exit_code == 3
    res = runner.invoke(main, ["audit", "--project", str(toml), "--stated", "很多"])
    assert res.exit_code == 2


# --------------------------------------------------------------------------------------------- demo
def readme_faults(readme: str) -> dict:
    """The deliberate faults as the demo's README states them."""
    section = readme.split("### 面积填报错误")[1].split("###")[0]
    area_errors = re.findall(r"^\| `(HX\d+)` \|", section, flags=re.M)
    farm = readme.split("### 生态保护红线与永久基本农田重叠")[1].split("###")[0]
    farm = farm.split("\n", 1)[1].split(" / ")[0]          # the Chinese paragraph under the heading
    tbbh = re.search(r"TBBH = (\d+)", farm).group(1)
    red = re.findall(r"`(HX\d+)`", farm)
    ha = float(re.search(r"约\s*([\d.]+)\s*公顷", farm).group(1))
    pairs = re.findall(r"`(HX\d+)` × `(HX\d+)`", readme)
    return {"area_errors": area_errors, "farmland": (tbbh, red, ha), "red_pairs": pairs}


def test_demo_audit_finds_the_deliberate_faults(demo_dir):
    from redline.layers.project import load_project

    facts = readme_faults((demo_dir / "README.md").read_text(encoding="utf-8"))
    assert len(facts["area_errors"]) == 4
    r = audit_layers(load_project(demo_dir / "redline.toml"))
    red = next(d for d in r["declared_areas"] if d["layer"] == "red_line")
    assert red["unit"] == "ha" and red["method"] == "planar"         # README: MJ in 公顷, planar areas
    assert sorted(f["id"] for f in red["off"]) == sorted(facts["area_errors"])
    farm = next(d for d in r["declared_areas"] if d["kind"] == "basic_farmland")
    assert farm["unit"] == "m2" and farm["off"] == []                 # README: TBMJ in m²
    tbbh, red_ids, ha = facts["farmland"]
    assert red_ids
    o = next(o for o in r["overlaps"] if (o["a"], o["b"]) == ("red_line", "basic_farmland"))
    assert {p["a_id"] for p in o["pairs"]} >= set(red_ids)
    assert {p["b_id"] for p in o["pairs"]} == {tbbh}
    assert o["area_m2"] / 1e4 == pytest.approx(ha, abs=0.006)         # README rounds to 2 decimals (planar)
    assert all(not x["pairs"] for x in r["overlaps"] if x is not o)
    found = {f["feature"] for f in r["findings"] if f["kind"] == "control_line_overlap"}
    assert {f"{h}×{tbbh}" for h in red_ids} <= found
    # overlapping red-line polygons: every pair found is one the README lists; the rest are below 1 m²
    selfov = next(s for s in r["self_overlaps"] if s["kind"] == "red_line")
    ours = {(p["a_id"], p["b_id"]) for p in selfov["pairs"]}
    listed = {tuple(sorted(p)) for p in facts["red_pairs"]}
    assert ours <= listed
    assert len(ours) + selfov["small"]["count"] == len(listed)
    assert r["boundary"]["gaps"] == [] and r["boundary"]["slivers"] == []


def test_demo_cli_exit_1(demo_dir):
    from redline.cli import main

    res = CliRunner().invoke(main, ["audit", "--project", str(demo_dir / "redline.toml"), "--quiet"])
    assert res.exit_code == 1
    assert "三线重叠" in res.stdout and "填报面积" in res.stdout
