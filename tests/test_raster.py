"""Raster class shares inside zones (redline.spatial.raster, ``redline raster-share``).

Expected numbers are hand arithmetic on a 4×4 raster of 10 m cells (100 m² each) in EPSG:4525::

    row 0:  1 1 2 2        x0 = 37 500 000, top y0 = 4 200 040
    row 1:  1 1 2 2
    row 2:  3 3 0 0        0 = nodata
    row 3:  3 3 0 0
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from rasterio.transform import from_origin

from redline.layers.errors import InputError
from redline.spatial.raster import default_classes, raster_shares, resolve_raster

X0, Y0 = 37_500_000.0, 4_200_040.0
GRID = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 0, 0], [3, 3, 0, 0]], dtype=np.uint8)


def write_raster(path, data=GRID, *, crs="EPSG:4525", nodata=0, dtype=None):
    data = np.asarray(data)
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=dtype or data.dtype, crs=crs, transform=from_origin(X0, Y0, 10, 10),
                       nodata=nodata) as dst:
        dst.write(data.astype(dtype or data.dtype), 1)
    return path


@pytest.fixture
def tif(tmp_path):
    return write_raster(tmp_path / "lc.tif")


def cell_box(x1, y1, x2, y2):
    """A box in cell units: x to the right of X0, y down from Y0."""
    return shapely.box(X0 + 10 * x1, Y0 - 10 * y2, X0 + 10 * x2, Y0 - 10 * y1)


def zones(*geoms, names=None, crs=4525, **cols):
    names = names or [f"z{i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"name": names, **cols}, geometry=list(geoms), crs=crs)


def areas(zone):
    return {c["label"]: c["area_m2"] for c in zone["classes"]}


def test_whole_raster(tif):
    r = raster_shares(tif, zones(cell_box(0, 0, 4, 4)))
    z = r["zones"][0]
    # 4 cells of each class (400 m² each), 4 nodata cells
    assert areas(z) == pytest.approx({"耕地": 400.0, "林地": 400.0, "草地": 400.0})
    assert z["valid_m2"] == pytest.approx(1200.0)
    assert z["nodata_m2"] == pytest.approx(400.0)
    assert z["outside_raster_m2"] == pytest.approx(0.0)
    assert z["zone_m2"] == pytest.approx(1600.0)
    assert [c["share_pct"] for c in z["classes"]] == pytest.approx([100 / 3] * 3)
    # 33.333.. ×3 rounds to 33.33 ×3 = 99.99: 平差 gives the first the missing 0.01
    assert [c["share_pct_rounded"] for c in z["classes"]] == [33.34, 33.33, 33.33]
    assert z["rounding_adjusted"] is True
    assert r["raster"]["cell_area_m2"] == 100.0
    assert r["raster"]["nodata"] == 0


def test_partial_cells_are_weighted_by_coverage(tif):
    half_cell = cell_box(0.5, 0, 1, 1)              # right half of a class-1 cell: 50 m²
    straddle = cell_box(1.5, 0, 2.5, 1)             # half a class-1 cell + half a class-2 cell
    # triangle over cell (row 0, col 1) [class 1] whole, lower-left half of (0, 2) [class 2],
    # upper-left half of (1, 1) [class 1]: class 1 = 150 m², class 2 = 50 m²
    tri = shapely.Polygon([(X0 + 10, Y0), (X0 + 30, Y0), (X0 + 10, Y0 - 20)])
    r = raster_shares(tif, zones(half_cell, straddle, tri))
    z0, z1, z2 = r["zones"]
    assert areas(z0) == pytest.approx({"耕地": 50.0})
    assert [c["share_pct"] for c in z0["classes"]] == pytest.approx([100.0])
    assert areas(z1) == pytest.approx({"耕地": 50.0, "林地": 50.0})
    assert [c["share_pct_rounded"] for c in z1["classes"]] == [50.0, 50.0]
    assert areas(z2) == pytest.approx({"耕地": 150.0, "林地": 50.0})
    assert [c["share_pct"] for c in z2["classes"]] == pytest.approx([75.0, 25.0])
    assert z2["rounding_adjusted"] is False


def test_nodata_and_outside_the_raster(tif):
    # 3 cells wide, 2 high over the two nodata cells of column 3 and 2 cells' worth beyond the raster edge
    z = raster_shares(tif, zones(cell_box(3, 2, 6, 4)))["zones"][0]
    assert z["classes"] == []
    assert z["valid_m2"] == pytest.approx(0.0)
    assert z["nodata_m2"] == pytest.approx(200.0)
    assert z["outside_raster_m2"] == pytest.approx(400.0)
    # half nodata, half class 3
    z = raster_shares(tif, zones(cell_box(1, 2, 3, 3)))["zones"][0]
    assert areas(z) == pytest.approx({"草地": 100.0})
    assert z["nodata_m2"] == pytest.approx(100.0)
    assert [c["share_pct"] for c in z["classes"]] == pytest.approx([100.0])


def test_zone_covering_no_cell_is_warned(tif):
    r = raster_shares(tif, zones(cell_box(10, 10, 11, 11), names=["远处"]))
    assert r["zones"][0]["classes"] == []
    assert r["zones"][0]["outside_raster_m2"] == pytest.approx(100.0)
    assert any("远处" in w for w in r["warnings"])


def test_by_dissolves_each_group(tif):
    # two overlapping boxes of group 甲: union = cells (0,0) (0,1) (0,2) → 200 m² class 1, 100 m² class 2
    g = zones(cell_box(0, 0, 2, 1), cell_box(1, 0, 3, 1), cell_box(0, 2, 1, 3), group=["甲", "甲", "乙"])
    r = raster_shares(tif, g, by="group")
    by = {z["key"]: z for z in r["zones"]}
    assert set(by) == {"甲", "乙"}
    assert areas(by["甲"]) == pytest.approx({"耕地": 200.0, "林地": 100.0})
    assert [c["share_pct_rounded"] for c in by["甲"]["classes"]] == [66.67, 33.33]
    assert areas(by["乙"]) == pytest.approx({"草地": 100.0})
    # the total is all zones dissolved
    assert areas(r["total"]) == pytest.approx({"耕地": 200.0, "林地": 100.0, "草地": 100.0})


def test_zones_are_reprojected_to_the_raster(tif):
    g = zones(cell_box(0, 0, 4, 2)).to_crs(4490)     # the top half in longitude/latitude
    z = raster_shares(tif, g)["zones"][0]
    assert areas(z) == pytest.approx({"耕地": 400.0, "林地": 400.0}, abs=1e-3)


def test_class_table_and_unlabelled_values(tmp_path):
    path = write_raster(tmp_path / "c.tif", np.array([[1, 7], [7, 7]] + [[0, 0]] * 2, dtype=np.uint8))
    r = raster_shares(path, zones(cell_box(0, 0, 2, 2)), classes={1: "甲类"})
    labels = [(c["value"], c["label"]) for c in r["zones"][0]["classes"]]
    assert labels == [(1, "甲类"), (7, "类别 7")]
    assert [c["share_pct"] for c in r["zones"][0]["classes"]] == pytest.approx([25.0, 75.0])
    assert r["unlabelled_values"] == [7]
    assert any("7" in w for w in r["warnings"])


def test_default_classes_are_the_demo_land_cover():
    assert default_classes()["classes"] == {1: "耕地", 2: "林地", 3: "草地", 4: "水域", 5: "建设用地", 6: "未利用地"}


def test_float_raster_with_whole_numbers_is_accepted(tmp_path):
    path = write_raster(tmp_path / "f.tif", GRID.astype("float32"), dtype="float32")
    z = raster_shares(path, zones(cell_box(0, 0, 2, 1)))["zones"][0]
    assert areas(z) == pytest.approx({"耕地": 200.0})


def test_fractional_raster_is_refused(tmp_path):
    path = write_raster(tmp_path / "f.tif", GRID.astype("float32") + 0.5, dtype="float32")
    with pytest.raises(InputError, match="whole-number"):
        raster_shares(path, zones(cell_box(0, 0, 2, 1)))


def test_raster_without_crs_is_refused(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8",
                       transform=from_origin(X0, Y0, 10, 10)) as dst:
        dst.write(GRID, 1)
    with pytest.raises(InputError, match="no CRS"):
        raster_shares(path, zones(cell_box(0, 0, 1, 1)))


def test_not_a_raster(tmp_path):
    bad = tmp_path / "x.tif"
    bad.write_text("not a tiff")
    with pytest.raises(InputError, match="cannot open"):
        raster_shares(bad, zones(cell_box(0, 0, 1, 1)))
    with pytest.raises(InputError, match="not found"):
        resolve_raster(tmp_path / "missing.tif")


def test_cli_json_and_exit_codes(tif, tmp_path):
    from redline.cli import main

    zpath = tmp_path / "zones.gpkg"
    zones(cell_box(1.5, 0, 2.5, 1), names=["跨界"]).to_file(zpath)
    runner = CliRunner()
    res = runner.invoke(main, ["raster-share", str(tif), "--zones", str(zpath), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    z = out["zones"][0]
    assert z["key"] == "跨界"
    assert {c["label"]: c["area_m2"] for c in z["classes"]} == pytest.approx({"耕地": 50.0, "林地": 50.0})
    assert out["provenance"]["inputs"][0]["sha256"]
    res = runner.invoke(main, ["raster-share", str(tif), "--zones", str(zpath)])
    assert res.exit_code == 0
    assert "跨界" in res.stdout and "50.00" in res.stdout
    res = runner.invoke(main, ["raster-share", str(tmp_path / "missing.tif"), "--zones", str(zpath)])
    assert res.exit_code == 3
    assert "not found" in res.stderr
    res = runner.invoke(main, ["raster-share", str(tif), "--zones", str(zpath), "--by", "nosuch"])
    assert res.exit_code == 2


def test_demo_land_cover_by_township(demo_dir):
    """Against a second method: counting the cells whose centre lies inside each township."""
    from rasterio import features

    from redline.layers.project import load_project
    from redline.layers.readers import read_project_layer

    project = load_project(demo_dir / "redline.toml")
    towns = read_project_layer(project, "townships")
    path = resolve_raster("landcover", project)
    r = raster_shares(path, towns)
    assert [z["key"] for z in r["zones"]] == towns["name"].tolist()
    with rasterio.open(path) as ds:
        data = ds.read(1)
        transform = ds.transform
    for z, geom in zip(r["zones"], towns.geometry, strict=True):
        assert sum(c["share_pct"] for c in z["classes"]) == pytest.approx(100.0)
        assert sum(c["share_pct_rounded"] for c in z["classes"]) == pytest.approx(100.0)
        # valid + nodata + outside = the zone's planar area
        assert z["valid_m2"] + z["nodata_m2"] + z["outside_raster_m2"] == pytest.approx(z["zone_m2"], rel=1e-9)
        inside = features.geometry_mask([geom], data.shape, transform, invert=True)
        counts = np.bincount(data[inside], minlength=7) * 900.0
        for c in z["classes"]:
            # centre-in-cell counting differs only along the boundary: within 1 % of the township area
            assert c["area_m2"] == pytest.approx(counts[c["value"]], abs=0.01 * z["zone_m2"])
    assert r["total"]["zone_m2"] == pytest.approx(sum(z["zone_m2"] for z in r["zones"]), rel=1e-6)
