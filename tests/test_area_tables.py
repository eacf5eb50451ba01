"""Area tables an officer can sign: rounded areas *and* shares that add up to their rounded totals (平差),
classes or zones that overlap reconciled in the table itself, each zone's own area and the share of the zone,
zones named by the boundary kind's field mapping, a missing --zone-field an error; the same table in the
terminal, the XLSX and the JSON.

Boundaries are rectangles on the central meridian of CGCS2000 3° zone 37, where the ellipsoidal area of a
rectangle is its planar area times a scale factor that varies by less than 1e-6 across 10 km: shares and
ratios are checked by hand arithmetic on the planar sizes, areas against pyproj.Geod.
"""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from openpyxl import load_workbook

from redline.cli import main
from redline.spatial.areas import to_lonlat

X0, Y0 = 37_500_000, 4_200_000
GEOD = pyproj.Geod(ellps="GRS80")


def box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def geod(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(to_lonlat([geom], 4525)[0])[0])


def write(tmp_path, name, gdf):
    path = tmp_path / name
    gdf.to_file(path)
    return str(path)


@pytest.fixture
def county(tmp_path):
    return write(tmp_path, "county.gpkg", gpd.GeoDataFrame({"name": ["示范县"]}, geometry=[box(0, 0, 10_000, 10_000)],
                                                           crs=4525))


def area_json(*args) -> dict:
    res = CliRunner().invoke(main, ["area", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_rounded_shares_add_up_to_the_rounded_total_share(tmp_path, county):
    # three townships in thirds of the county, 0.334 km² of red line in each: each share 0.334 % (by hand),
    # plain rounding gives 0.33 × 3 = 0.99 % under a total of 1.002 % → 1.00 %
    towns = gpd.GeoDataFrame({"XZQMC": ["甲镇", "乙镇", "丙镇"]}, geometry=[
        box(0, 0, 10_000, 3_000), box(0, 3_000, 10_000, 6_000), box(0, 6_000, 10_000, 10_000)], crs=4525)
    red = gpd.GeoDataFrame(geometry=[box(0, 0, 334, 1000), box(0, 3_000, 334, 4_000), box(0, 6_000, 334, 7_000)],
                           crs=4525)
    js = area_json(write(tmp_path, "red.gpkg", red), "--within", county, "--by-zones",
                   write(tmp_path, "towns.gpkg", towns), "--unit", "km2", "--decimals", "2")
    shares = [r[2] for r in js["rounded_rows"]]
    assert round(js["share_pct"], 2) == 1.0
    assert sum(shares) == pytest.approx(1.0, abs=1e-9)
    assert all(abs(s - 0.334) < 0.01 for s in shares)           # each within a rounding unit of its value
    assert js["rounding_adjusted"] is True
    # the table says it, in every form
    t = js["table"]
    assert t["rows"][-1][0] == "合计" and [r[2] for r in t["rows"][:-1]] == shares
    assert any("平差" in n for n in t["notes"])
    # the zones are labelled by their XZQMC (the boundary kind's name field), not 0, 1, 2
    assert [r[0] for r in js["rounded_rows"]] == ["甲镇", "乙镇", "丙镇"]


def test_each_zone_has_its_own_area_and_the_share_of_the_zone(tmp_path, county):
    towns = gpd.GeoDataFrame({"乡镇名称": ["西乡", "东乡"]},
                             geometry=[box(0, 0, 4_000, 10_000), box(4_000, 0, 10_000, 10_000)], crs=4525)
    red = gpd.GeoDataFrame(geometry=[box(0, 0, 2_000, 10_000), box(4_000, 0, 5_500, 10_000)], crs=4525)
    paths = [write(tmp_path, "red.gpkg", red), "--within", county, "--by-zones",
             write(tmp_path, "towns.gpkg", towns), "--unit", "km2", "--decimals", "2"]
    js = area_json(*paths)
    rows = {r["key"]: r for r in js["rows"]}
    assert rows["西乡"]["zone_m2"] == pytest.approx(geod(box(0, 0, 4_000, 10_000)), rel=1e-7)
    assert rows["东乡"]["zone_m2"] == pytest.approx(geod(box(4_000, 0, 10_000, 10_000)), rel=1e-7)
    assert rows["西乡"]["share_of_zone_pct"] == pytest.approx(50.0, abs=1e-4)     # 2 km of 4 km
    assert rows["东乡"]["share_of_zone_pct"] == pytest.approx(25.0, abs=1e-4)     # 1.5 km of 6 km
    t = js["table"]
    assert t["header"] == ["分区", "面积（平方千米）", "占边界（%）", "分区面积（平方千米）", "占分区（%）"]
    assert t["rows"] == [["西乡", 20.0, 20.0, 40.0, 50.0], ["东乡", 15.0, 15.0, 60.0, 25.0],
                         ["合计", 35.0, 35.0, 100.0, 35.0]]
    # the terminal shows the same columns
    res = CliRunner().invoke(main, ["area", *paths])
    assert res.exit_code == 0
    line = next(ln for ln in res.stdout.splitlines() if ln.strip().startswith("东乡"))
    assert line.split() == ["东乡", "15.00", "15.00", "60.00", "25.00"]
    assert "分区面积（平方千米）" in res.stdout and "占分区（%）" in res.stdout
    # and the XLSX
    xlsx = tmp_path / "面积.xlsx"
    assert CliRunner().invoke(main, ["area", *paths, "--xlsx", str(xlsx), "-q"]).exit_code == 0
    cells = [list(r) for r in load_workbook(io.BytesIO(xlsx.read_bytes())).active.iter_rows(values_only=True)]
    assert cells[0] == t["header"] and cells[1:4] == t["rows"]


def test_overlapping_classes_are_reconciled_in_the_table(tmp_path, county):
    # class 甲 covers x ∈ [0, 3] km, class 乙 x ∈ [2, 5] km, 10 km high: 30 + 30 km², 10 km² in both, 50 in all
    red = gpd.GeoDataFrame({"HXLX": ["甲", "乙"]}, geometry=[box(0, 0, 3_000, 10_000), box(2_000, 0, 5_000, 10_000)],
                           crs=4525)
    paths = [write(tmp_path, "red.gpkg", red), "--within", county, "--by", "HXLX", "--unit", "km2",
             "--decimals", "2"]
    js = area_json(*paths)
    t = js["table"]
    assert t["rows"] == [["甲", 30.0, 30.0], ["乙", 30.0, 30.0], ["扣除：不同类别间的重叠", -10.0, -10.0],
                         ["合计", 50.0, 50.0]]
    assert js["reconcile"]["area_m2"] == pytest.approx(-geod(box(2_000, 0, 3_000, 10_000)), rel=1e-6)
    assert any("重复计入" in n for n in t["notes"])
    for col in (1, 2):                                           # every column adds up to its total
        assert sum(r[col] for r in t["rows"][:-1]) == pytest.approx(t["rows"][-1][col], abs=1e-9)
    res = CliRunner().invoke(main, ["area", *paths])
    assert "扣除：不同类别间的重叠" in res.stdout and "-10.00" in res.stdout and "重复计入" in res.stdout
    xlsx = tmp_path / "面积.xlsx"
    assert CliRunner().invoke(main, ["area", *paths, "--xlsx", str(xlsx), "-q"]).exit_code == 0
    cells = [list(r) for r in load_workbook(io.BytesIO(xlsx.read_bytes())).active.iter_rows(values_only=True)]
    assert cells[1:5] == t["rows"] and any("重复计入" in (r[0] or "") for r in cells[5:])


def test_a_part_in_no_zone_is_its_own_row(tmp_path, county):
    towns = gpd.GeoDataFrame({"name": ["西乡"]}, geometry=[box(0, 0, 5_000, 10_000)], crs=4525)
    red = gpd.GeoDataFrame(geometry=[box(4_000, 0, 6_000, 10_000)], crs=4525)   # 10 km² in 西乡, 10 in none
    js = area_json(write(tmp_path, "red.gpkg", red), "--within", county, "--by-zones",
                   write(tmp_path, "towns.gpkg", towns), "--unit", "km2", "--decimals", "2")
    assert [r[:3] for r in js["table"]["rows"]] == [["西乡", 10.0, 10.0], ["不在任何分区内", 10.0, 10.0],
                                                    ["合计", 20.0, 20.0]]


def test_zone_field_missing_is_an_error_listing_the_fields(tmp_path, county):
    towns = write(tmp_path, "towns.gpkg", gpd.GeoDataFrame({"XZQMC": ["西乡"], "DM": ["1"]},
                                                           geometry=[box(0, 0, 5_000, 10_000)], crs=4525))
    red = write(tmp_path, "red.gpkg", gpd.GeoDataFrame(geometry=[box(0, 0, 1_000, 1_000)], crs=4525))
    res = CliRunner().invoke(main, ["area", red, "--within", county, "--by-zones", towns, "--zone-field", "XZMC"])
    assert res.exit_code == 3
    assert "XZMC" in res.stderr and "XZQMC" in res.stderr and "DM" in res.stderr and "Traceback" not in res.output
    # a field that exists names the rows
    js = area_json(red, "--within", county, "--by-zones", towns, "--zone-field", "DM")
    assert [r[0] for r in js["rounded_rows"]] == ["1"]


def test_zones_without_a_name_field_are_numbered_with_a_warning(tmp_path, county):
    towns = write(tmp_path, "towns.gpkg", gpd.GeoDataFrame({"FID2": [7]}, geometry=[box(0, 0, 5_000, 10_000)],
                                                           crs=4525))
    red = write(tmp_path, "red.gpkg", gpd.GeoDataFrame(geometry=[box(0, 0, 1_000, 1_000)], crs=4525))
    js = area_json(red, "--within", county, "--by-zones", towns)
    assert [r[0] for r in js["rounded_rows"]] == ["分区1"]
    assert any("--zone-field" in w for w in js["warnings"])
