"""GCJ-02 (issue 12, item 17): declared data converted with an iterated inverse accurate to 0.01 m, and a
warning when longitude/latitude data sits off the other layers the way GCJ-02 explains.

References: the published WGS84 → GCJ-02 pairs of googollee/eviltransform's tests (Shanghai, Shenzhen,
Beijing) and of wandergis/coordtransform's README (Beijing); distances in metres from GeographicLib
(``pyproj.Geod`` on WGS84), not from redline. The forward formula itself is checked against the same pairs
in ``tests/test_maps.py``; here the inverse must give back the published WGS84 point from the published
GCJ-02 one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

import redline
from redline.cli import main
from redline.layers.errors import InputError
from redline.layers.gcj02 import (
    gcj02_offset_suspected,
    gcj02_to_wgs84,
    shift_geometries,
    unshift_geometries,
    wgs84_to_gcj02,
)
from redline.layers.info import layer_info

GEOD = pyproj.Geod(ellps="WGS84")
# (wgs lat, wgs lon, gcj lat, gcj lon), as published
PAIRS = [(31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),      # eviltransform: Shanghai
         (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),      # eviltransform: Shenzhen
         (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),      # eviltransform: Beijing
         (39.915, 116.404, 39.91640428150164, 116.41024449916938)]            # coordtransform README
CRS = 4525                                                                     # CGCS2000 3° zone 37, prefixed
X, Y = 37_500_000.0, 4_150_000.0                                               # about 111.0°E, 37.5°N


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def run(*args: str, cwd: Path | None = None):
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=True)
    finally:
        os.chdir(old)


# ------------------------------------------------------------------------------------------------- numbers
def test_inverse_gives_back_the_published_wgs84_points_within_a_centimetre() -> None:
    wlat, wlon, glat, glon = (np.array(c) for c in zip(*PAIRS, strict=True))
    lon, lat = gcj02_to_wgs84(glon, glat)
    err = metres(lon, lat, wlon, wlat)
    assert err.max() < 0.01
    # the pairs are hundreds of metres apart: the inverse undoes a real shift
    assert metres(glon, glat, wlon, wlat).min() > 300


def test_forward_then_inverse_round_trip_over_china() -> None:
    lon, lat = np.meshgrid(np.arange(74.0, 135.0, 0.73), np.arange(18.0, 53.5, 0.61))
    lon, lat = lon.ravel(), lat.ravel()
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift = metres(lon, lat, glon, glat)
    assert 0 < shift.min() and shift.max() < 1_500            # the offset is hundreds of metres at most
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    assert metres(lon, lat, back_lon, back_lat).max() < 0.001  # 1 mm, ten times better than asked
    # and the other way: the inverse is a true inverse (its forward gives the GCJ-02 point back)
    flon, flat = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert metres(lon, lat, flon, flat).max() < 0.001


def test_outside_china_nothing_moves() -> None:
    lon, lat = gcj02_to_wgs84(np.array([2.35, -74.0]), np.array([48.85, 40.7]))
    assert lon.tolist() == [2.35, -74.0] and lat.tolist() == [48.85, 40.7]


def test_geometries_round_trip_vertex_by_vertex() -> None:
    poly = shapely.Polygon([(111.2, 37.5), (111.3, 37.5), (111.3, 37.6), (111.2, 37.5)])
    back = unshift_geometries(shift_geometries(np.array([poly], dtype=object)))[0]
    a, b = shapely.get_coordinates(poly), shapely.get_coordinates(back)
    assert metres(a[:, 0], a[:, 1], b[:, 0], b[:, 1]).max() < 0.001


# ------------------------------------------------------------------------------------- declaring GCJ-02
def _true_site_lonlat(x0: float = X, y0: float = Y, side: float = 100.0) -> shapely.Polygon:
    """A square site as it really is (Gauss-Krüger), densified and given in CGCS2000 longitude/latitude."""
    sq = box(x0, y0, x0 + side, y0 + side).segmentize(10)
    return gpd.GeoSeries([sq], crs=CRS).to_crs(4490).iloc[0]


def _amap_file(tmp_path: Path, geom, name: str = "高德选址.geojson") -> Path:
    """The site as exported from a 高德 map: the true longitudes/latitudes moved to GCJ-02."""
    path = tmp_path / name
    gpd.GeoDataFrame({"name": ["选址甲"]}, geometry=shift_geometries(np.array([geom], dtype=object)),
                     crs=4326).to_file(path)
    return path


def test_read_layer_converts_a_declared_file(tmp_path) -> None:
    true = _true_site_lonlat()
    path = _amap_file(tmp_path, true)
    as_read = redline.read_layer(path)
    off = shapely.get_coordinates(as_read.geometry.iloc[0])
    ref = shapely.get_coordinates(true)
    assert metres(off[:, 0], off[:, 1], ref[:, 0], ref[:, 1]).min() > 300      # read as WGS84: hundreds of m off
    gdf = redline.read_layer(path, gcj02=True)
    got = shapely.get_coordinates(gdf.geometry.iloc[0])
    assert metres(got[:, 0], got[:, 1], ref[:, 0], ref[:, 1]).max() < 0.01
    info = layer_info(gdf)
    assert info.transformation["from"] == "GCJ-02" and any("GCJ-02" in w for w in info.warnings)
    assert gdf.crs.to_epsg() == 4326


def test_a_projected_file_cannot_be_gcj02(tmp_path) -> None:
    path = tmp_path / "红线.gpkg"
    gpd.GeoDataFrame(geometry=[box(X, Y, X + 100, Y + 100)], crs=CRS).to_file(path)
    with pytest.raises(InputError, match="declared GCJ-02.*projected layer cannot be in it"):
        redline.read_layer(path, gcj02=True)
    r = run("inspect", str(path), "--from-gcj02")
    assert r.exit_code == 3 and r.stderr.startswith("redline: error:")
    r = run("area", str(path), "--from-gcj02")
    assert r.exit_code == 2 and "none of the files given is in longitude/latitude" in r.stderr


def test_convert_and_inspect_with_from_gcj02(tmp_path) -> None:
    true = _true_site_lonlat()
    path = _amap_file(tmp_path, true)
    out = tmp_path / "选址.gpkg"
    r = run("convert", str(path), str(out), "--from-gcj02", "--to-crs", f"EPSG:{CRS}")
    assert r.exit_code == 0, r.output
    site = gpd.read_file(out).geometry.iloc[0]
    # the square comes back where it is: its corners within a centimetre, its area 100 m × 100 m
    assert site.area == pytest.approx(10_000.0, abs=1.0)
    assert shapely.hausdorff_distance(site, box(X, Y, X + 100, Y + 100).segmentize(10)) < 0.01
    r = run("inspect", str(path), "--from-gcj02", "--json")
    assert r.exit_code == 0 and "GCJ-02" in json.loads(r.stdout)["crs"]["source"]


def test_check_with_a_site_drawn_on_a_gcj02_map(tmp_path) -> None:
    red = tmp_path / "生态保护红线.gpkg"
    county = tmp_path / "县界.gpkg"
    # a red-line strip 100 m wide over the east half of the site; GCJ-02 moves the site 534 m east here
    gpd.GeoDataFrame({"HXMC": ["红线甲"]}, geometry=[box(X + 50, Y - 500, X + 150, Y + 500)], crs=CRS).to_file(red)
    gpd.GeoDataFrame({"name": ["示范县"]}, geometry=[box(X - 5000, Y - 5000, X + 5000, Y + 5000)], crs=CRS).to_file(
        county)
    site = _amap_file(tmp_path, _true_site_lonlat(), "选址.geojson")
    layers = ["--layer", f"red_line={red}", "--layer", f"boundary={county}", "--type", "housing", "--json"]
    r = run("check", str(site), *layers)                       # read as WGS84: 534 m off, misses the red line
    js = json.loads(r.stdout)
    assert not js["sites"][0]["hits"]
    r = run("check", str(site), "--from-gcj02", *layers)
    assert r.exit_code == 1, r.output
    s = json.loads(r.stdout)["sites"][0]
    assert s["verdict"] == "不符合"
    assert s["hits"][0]["overlap_m2"] == pytest.approx(5_000.0, rel=2e-3)    # the east half of the 100 m square
    # the Python API, the same
    res = redline.check(site, {"red_line": str(red), "boundary": str(county)}, project_type="housing", gcj02=True)
    assert res.hits["overlap_m2"].tolist() == pytest.approx([5_000.0], rel=2e-3)


def test_project_layer_datum_gcj02(tmp_path) -> None:
    true = _true_site_lonlat(side=1000)
    _amap_file(tmp_path, true, "高德红线.geojson")
    (tmp_path / "redline.toml").write_text("""
[layers.red_line]
kind = "red_line"
path = "高德红线.geojson"
datum = "gcj02"
""", encoding="utf-8")
    layer = redline.Project.load(tmp_path / "redline.toml").layer("red_line")
    got, ref = shapely.get_coordinates(layer.geometry.iloc[0]), shapely.get_coordinates(true)
    assert metres(got[:, 0], got[:, 1], ref[:, 0], ref[:, 1]).max() < 0.01
    (tmp_path / "redline.toml").write_text(
        '[layers.red_line]\nkind = "red_line"\npath = "高德红线.geojson"\ndatum = "bd09"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"datum 'bd09'.*gcj02"):
        redline.Project.load(tmp_path / "redline.toml")


# --------------------------------------------------------------------------------- suspecting GCJ-02
def _county_and_units(tmp_path: Path, *, gcj02: bool) -> tuple[Path, Path]:
    """The official county (Gauss-Krüger) and control units tiling it as a web platform exported them:
    in longitude/latitude, moved to GCJ-02 (or not)."""
    county = box(X - 10_000, Y - 10_000, X + 10_000, Y + 10_000)
    cpath = tmp_path / "县界.gpkg"
    gpd.GeoDataFrame({"name": ["示范县"]}, geometry=[county], crs=CRS).to_file(cpath)
    units = [box(X - 10_000, Y - 10_000, X, Y + 10_000).segmentize(200), box(X, Y - 10_000, X + 10_000,
                                                                              Y + 10_000).segmentize(200)]
    ll = gpd.GeoSeries(units, crs=CRS).to_crs(4326).values
    upath = tmp_path / "管控单元.geojson"
    gpd.GeoDataFrame({"DYBM": ["ZH01", "YS02"], "name": ["重点管控单元", "优先保护单元"]},
                     geometry=shift_geometries(np.asarray(ll, dtype=object)) if gcj02 else ll,
                     crs=4326).to_file(upath)
    return cpath, upath


def test_suspected_when_a_lonlat_layer_sits_off_the_boundary_as_gcj02_explains(tmp_path) -> None:
    cpath, upath = _county_and_units(tmp_path, gcj02=True)
    why = gcj02_offset_suspected(gpd.read_file(upath), gpd.read_file(cpath))
    assert why is not None and "GCJ-02" in why and "--from-gcj02" in why
    r = run("area", str(upath), "--within", str(cpath), "--json")
    assert r.exit_code == 0
    warns = json.loads(r.stdout)["warnings"]
    assert sum("GCJ-02" in w and "管控单元.geojson" in w for w in warns) == 1
    r = run("check", str(cpath), "--layer", f"control_unit={upath}", "--layer", f"boundary={cpath}", "--json")
    assert any("layer control_unit" in w and "GCJ-02" in w for w in json.loads(r.stdout)["warnings"])
    # declared: converted, and nothing left to suspect
    r = run("area", str(upath), "--within", str(cpath), "--from-gcj02", "--json")
    warns = json.loads(r.stdout)["warnings"]
    assert any("converted from GCJ-02" in w for w in warns) and not any("explains" in w for w in warns)


def test_map_warns_of_a_project_layer_suspected_of_gcj02(tmp_path) -> None:
    cpath, upath = _county_and_units(tmp_path, gcj02=True)
    (tmp_path / "redline.toml").write_text(f"""
[region]
boundary = "county"
[layers.county]
kind = "boundary"
path = "{cpath.name}"
[layers.units]
kind = "control_unit"
path = "{upath.name}"
""", encoding="utf-8")
    r = run("map", "--out", str(tmp_path / "map.html"), cwd=tmp_path)
    assert r.exit_code == 0, r.output
    assert sum("layer units" in line and "GCJ-02" in line for line in r.stderr.splitlines()) == 1


def test_no_false_alarm_for_true_lonlat_data_or_unrelated_layers(tmp_path) -> None:
    cpath, upath = _county_and_units(tmp_path, gcj02=False)
    county = gpd.read_file(cpath)
    assert gcj02_offset_suspected(gpd.read_file(upath), county) is None
    # sites in longitude/latitude inside the county share no edge with it: nothing to say either way
    sites = gpd.GeoDataFrame(geometry=[_true_site_lonlat(X + 200 * k, Y + 150 * k) for k in range(30)], crs=4490)
    assert gcj02_offset_suspected(sites, county) is None
    moved = gpd.GeoDataFrame(geometry=shift_geometries(sites.geometry.values), crs=4490)
    assert gcj02_offset_suspected(moved, county) is None
    r = run("area", str(upath), "--within", str(cpath), "--json")
    assert not any("GCJ-02" in w for w in json.loads(r.stdout)["warnings"])
