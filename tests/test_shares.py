"""Area shares: dissolve, clip, share, breakdown — expected values from hand arithmetic on rectangles
(ellipsoidal areas of rectangles are compared through ratios, which the scale factor barely touches, or
against pyproj.Geod)."""

from __future__ import annotations

import json

import geopandas as gpd
import pyproj
import pytest
import shapely
from click.testing import CliRunner

from redline.cli import main
from redline.layers.errors import InputError
from redline.spatial.areas import to_lonlat
from redline.spatial.shares import area_shares

X0, Y0 = 37_500_000, 4_200_000  # on the central meridian of zone 37: scale factor 1
GEOD = pyproj.Geod(ellps="GRS80")


def box(x1, y1, x2, y2):
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def geod(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(to_lonlat([geom], 4525)[0])[0])


@pytest.fixture
def county():
    return gpd.GeoDataFrame({"name": ["示范县"]}, geometry=[box(0, 0, 10_000, 10_000)], crs=4525)


@pytest.fixture
def red():
    # two overlapping strips (overlap 1 km x 10 km) and one strip half outside the county
    return gpd.GeoDataFrame({"HXLX": ["水源涵养", "水源涵养", "生物多样性维护"]},
                            geometry=[box(0, 0, 3_000, 10_000), box(2_000, 0, 4_000, 10_000),
                                      box(9_000, 0, 11_000, 10_000)], crs=4525)


def test_dissolve_clip_share(county, red):
    r = area_shares(red, county)
    inside = shapely.union_all([box(0, 0, 4_000, 10_000), box(9_000, 0, 10_000, 10_000)])
    assert r["total_m2"] == pytest.approx(geod(inside), rel=1e-7)
    assert r["boundary_m2"] == pytest.approx(geod(box(0, 0, 10_000, 10_000)), rel=1e-7)
    # 5 km² of 100 km², by hand; the scale-factor variation over 10 km near the CM is < 1e-6
    assert r["share_pct"] == pytest.approx(50.0, rel=1e-5)
    assert r["overlap_removed_m2"] == pytest.approx(geod(box(2_000, 0, 3_000, 10_000)), rel=1e-5)
    assert r["outside_boundary_m2"] == pytest.approx(geod(box(10_000, 0, 11_000, 10_000)), rel=1e-5)
    assert any("overlap" in w for w in r["warnings"])


def test_breakdown_by_attribute(county, red):
    r = area_shares(red, county, by="HXLX")
    rows = {row["key"]: row for row in r["rows"]}
    assert rows["水源涵养"]["share_pct"] == pytest.approx(40.0, rel=1e-5)
    assert rows["生物多样性维护"]["share_pct"] == pytest.approx(10.0, rel=1e-5)


def test_breakdown_by_zones(county, red):
    towns = gpd.GeoDataFrame({"name": ["西乡", "东乡"]},
                             geometry=[box(0, 0, 5_000, 10_000), box(5_000, 0, 10_000, 10_000)], crs=4525)
    r = area_shares(red, county, zones=towns)
    rows = {row["key"]: row for row in r["rows"]}
    assert rows["西乡"]["share_pct"] == pytest.approx(40.0, rel=1e-5)
    assert rows["东乡"]["share_of_zone_pct"] == pytest.approx(20.0, rel=1e-5)
    assert sum(row["area_m2"] for row in r["rows"]) == pytest.approx(r["total_m2"], rel=1e-9)


def test_boundary_in_another_crs_is_reprojected(county, red):
    r = area_shares(red, county.to_crs(4490))
    assert r["share_pct"] == pytest.approx(50.0, rel=1e-4)
    assert any("reprojected" in w for w in r["warnings"])


def test_empty_intersection(county):
    far = gpd.GeoDataFrame(geometry=[box(50_000, 0, 51_000, 1_000)], crs=4525)
    r = area_shares(far, county)
    assert r["total_m2"] == 0 and r["share_pct"] == 0
    assert any("does not intersect" in w for w in r["warnings"])


def test_non_polygon_layer_is_an_error(county):
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0, Y0), (X0 + 10, Y0)])], crs=4525)
    with pytest.raises(InputError, match="must be polygons"):
        area_shares(lines, county)


def test_cli_area_json_and_rounding(tmp_path, county, red):
    county.to_file(tmp_path / "county.gpkg")
    red.to_file(tmp_path / "red.gpkg")
    res = CliRunner().invoke(main, ["area", str(tmp_path / "red.gpkg"), "--within", str(tmp_path / "county.gpkg"),
                                    "--by", "HXLX", "--unit", "km2", "--json"])
    assert res.exit_code == 0, res.output
    js = json.loads(res.stdout)
    for key in ("layer", "method", "unit", "total_m2", "overlap_removed_m2", "outside_boundary_m2",
                "boundary_m2", "share_pct", "rows", "warnings"):
        assert key in js
    assert js["method"]["method"] == "ellipsoidal"
    assert js["total"] == pytest.approx(50.0, abs=1e-3)
    assert sum(r[1] for r in js["rounded_rows"]) == pytest.approx(js["total"], abs=1e-9)


def test_cli_area_on_lines_fails_cleanly(tmp_path, county):
    gpd.GeoDataFrame(geometry=[shapely.LineString([(X0, Y0), (X0 + 10, Y0)])], crs=4525).to_file(tmp_path / "l.gpkg")
    res = CliRunner().invoke(main, ["area", str(tmp_path / "l.gpkg")])
    assert res.exit_code == 3
    assert "must be polygons" in res.stderr and "Traceback" not in res.output


def test_cli_area_unknown_layer_without_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["area", "red_line"])
    assert res.exit_code == 2 and "no redline.toml" in res.stderr
