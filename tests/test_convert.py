"""``redline convert`` (redline/commands/convert.py) between the formats that matter.

Geometry is compared vertex by vertex with the shapes written here; a reprojection is checked against the
meridian arc from GeographicLib (a point on the central meridian of a Gauss-Krüger zone lies at exactly the
central longitude, at the latitude whose meridian arc from the equator equals its northing).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import MultiPolygon, Polygon, box

from redline.cli import main
from redline.layers.readers import read_layer

X0, Y0 = 38_401_000.0, 4_140_000.0  # CGCS2000 3-degree zone 38 (EPSG 4488 + 38)
NAMES = ["汾河湿地", "带孔地块", "两块地"]


@pytest.fixture
def parcels() -> gpd.GeoDataFrame:
    """A square, a square with a hole, and a two-part parcel, with Chinese names, in zone 38."""
    hole = Polygon(box(X0 + 300, Y0, X0 + 500, Y0 + 150).exterior.coords,
                   [box(X0 + 350, Y0 + 50, X0 + 400, Y0 + 90).exterior.coords])
    two = MultiPolygon([box(X0 + 700, Y0, X0 + 800, Y0 + 50), box(X0 + 900, Y0, X0 + 950, Y0 + 50)])
    return gpd.GeoDataFrame({"name": NAMES, "id": ["D1", "D2", "D3"]},
                            geometry=[box(X0, Y0, X0 + 100, Y0 + 100), hole, two], crs=4526)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def single(geoms) -> np.ndarray:
    arr = np.asarray(geoms, dtype=object).copy()
    one = (shapely.get_num_geometries(arr) == 1) & np.isin(shapely.get_type_id(arr), (4, 5, 6))
    arr[one] = shapely.get_geometry(arr[one], 0)
    return shapely.normalize(arr)


def same_geometries(a, b, tol: float) -> bool:
    """Same shapes: same parts, rings and vertex counts, no vertex farther than ``tol`` from the other."""
    a, b = single(a), single(b)
    return (len(a) == len(b) and bool(np.all(shapely.get_type_id(a) == shapely.get_type_id(b)))
            and bool(np.all(shapely.get_num_coordinates(a) == shapely.get_num_coordinates(b)))
            and bool(np.all(shapely.hausdorff_distance(a, b) <= tol)))


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_gbk_shapefile_to_geopackage(tmp_path, parcels) -> None:
    src = tmp_path / "in" / "地块.shp"
    src.parent.mkdir()
    pyogrio.write_dataframe(parcels, src, encoding="GBK")
    src.with_suffix(".cpg").unlink()
    before = digest(src.parent)
    out = tmp_path / "地块.gpkg"
    result = run("convert", str(src), str(out))
    assert result.exit_code == 0, result.stderr
    assert f"wrote {out}: 3 features" in result.stderr
    back = gpd.read_file(out)  # read back without redline
    assert back["name"].tolist() == NAMES
    assert back.crs.to_epsg() == 4526
    assert same_geometries(back.geometry, parcels.geometry, tol=1e-9)
    assert digest(src.parent) == before  # the input is never modified


def test_geopackage_to_guotu_txt_and_back(tmp_path, parcels) -> None:
    src = tmp_path / "地块.gpkg"
    parcels.to_file(src)
    txt = tmp_path / "地块.txt"
    result = run("convert", str(src), str(txt))
    assert result.exit_code == 0, result.stderr
    text = txt.read_bytes().decode("gbk")  # 国土TXT is GBK by default
    assert "[地块坐标]" in text and "带号=38" in text
    # declared 地块面积 in 公顷: 100x100, 200x150 - 50x40, 100x50 + 50x50 (m²)
    assert [line.split(",")[1] for line in text.splitlines() if line.endswith(",@")] == ["1.0000", "2.8000", "0.7500"]
    back_path = tmp_path / "back.gpkg"
    result = run("convert", str(txt), str(back_path))
    assert result.exit_code == 0, result.stderr
    back = read_layer(back_path)
    assert back.crs.to_epsg() == 4526
    assert back["name"].tolist() == NAMES and back["id"].tolist() == ["D1", "D2", "D3"]
    assert same_geometries(back.geometry, parcels.geometry, tol=1e-3)
    assert back.geometry.area.tolist() == pytest.approx([100 * 100, 200 * 150 - 50 * 40, 100 * 50 + 50 * 50])


def test_reprojection_4525_to_4490(tmp_path) -> None:
    # three vertices on the central meridian of zone 37 (111°E: easting 37 500 000) and one 1 km east
    ring = [(37_500_000.0, 4_100_000.0), (37_501_000.0, 4_100_000.0), (37_500_000.0, 4_102_000.0),
            (37_500_000.0, 4_101_000.0)]
    src = tmp_path / "zone37.gpkg"
    gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[Polygon(ring)], crs=4488 + 37).to_file(src)
    out = tmp_path / "lonlat.geojson"
    result = run("convert", str(src), str(out), "--to-crs", "EPSG:4490")
    assert result.exit_code == 0, result.stderr
    back = read_layer(out)
    assert back.crs.to_epsg() == 4490
    lonlat = shapely.get_coordinates(back.geometry.iloc[0].exterior)[:-1]
    geod = pyproj.Geod(ellps="GRS80")
    for (x, y), (lon, lat) in zip(ring, lonlat, strict=True):
        if x == 37_500_000.0:
            assert abs(lon - 111.0) < 1e-10
            # the meridian arc from the equator to the point is its northing (scale factor 1 on the meridian)
            _, _, arc = geod.inv(111.0, 0.0, 111.0, lat)
            assert abs(arc - y) < 1e-4
        else:
            assert lon > 111.0
    assert back["名称"].tolist() == ["甲"]


@pytest.mark.parametrize("ext", [".geojson", ".kml", ".gdb", ".parquet", ".fgb", ".shp"])
def test_geopackage_to_other_formats(tmp_path, parcels, ext) -> None:
    src = tmp_path / "地块.gpkg"
    parcels.to_file(src)
    out = tmp_path / f"out{ext}"
    result = run("convert", str(src), str(out))
    assert result.exit_code == 0, result.stderr
    back = read_layer(out)
    # KML keeps a "name" column as the placemark's <name>, which GDAL reads back as "Name"
    assert back["Name" if ext == ".kml" else "name"].tolist() == NAMES
    assert same_geometries(back.to_crs(4526).geometry, parcels.geometry, tol=1e-3 if ext == ".kml" else 1e-9)


def test_shapefile_output_encoding(tmp_path, parcels) -> None:
    src = tmp_path / "a.gpkg"
    parcels.to_file(src)
    out = tmp_path / "gbk.shp"
    result = run("convert", str(src), str(out), "--out-encoding", "gbk")
    assert result.exit_code == 0, result.stderr
    assert out.with_suffix(".cpg").read_text().strip().upper() == "GBK"
    raw = out.with_suffix(".dbf").read_bytes()
    assert "汾河湿地".encode("gbk") in raw


def test_xian80_is_not_reprojected_to_cgcs2000_without_parameters(tmp_path, shared_samples) -> None:
    src = shared_samples / "xian80_zone37_no_prefix_two_parcels.txt"
    out = tmp_path / "x.gpkg"
    result = run("convert", str(src), str(out), "--to-crs", "EPSG:4490")
    assert result.exit_code == 2
    assert "--towgs84" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    # kept in its datum when no CRS change is asked, with a warning
    result = run("convert", str(src), str(out))
    assert result.exit_code == 0 and "1980西安坐标系" in result.stderr
    assert read_layer(out).crs.to_epsg() == 2370 + 37 - 25
    # converted with the parameters given
    out2 = tmp_path / "x2.gpkg"
    result = run("convert", str(src), str(out2), "--towgs84", "0,0,0,0,0,0,0", "--to-crs", "EPSG:4490")
    assert result.exit_code == 0, result.stderr
    assert "converted from Xian 1980" in result.stderr
    assert read_layer(out2).crs.to_epsg() == 4490


def test_xian80_guotu_round_trip_keeps_the_datum(tmp_path, shared_samples) -> None:
    src = shared_samples / "xian80_zone37_no_prefix_two_parcels.txt"
    out = tmp_path / "x.txt"
    result = run("convert", str(src), str(out))
    assert result.exit_code == 0, result.stderr
    assert "坐标系=1980西安坐标系" in out.read_bytes().decode("gbk")
    back = read_layer(out)
    assert back.crs.to_epsg() == 2324 + 37  # now with zone-prefixed eastings
    assert back.geometry.area.tolist() == pytest.approx([120 * 100, 100 * 50 + 50 * 50], abs=1e-6)


def test_repair_on_convert(tmp_path) -> None:
    # bow-tie lobes: 200*200/2 + 100*100/2 m²
    bowtie = Polygon([(X0, Y0), (X0 + 300, Y0 + 300), (X0 + 300, Y0 + 200), (X0, Y0 + 200)])
    src = tmp_path / "bowtie.gpkg"
    gpd.GeoDataFrame({"名称": ["蝴蝶形"]}, geometry=[bowtie], crs=4526).to_file(src)
    out = tmp_path / "fixed.gpkg"
    result = run("convert", str(src), str(out), "--repair")
    assert result.exit_code == 0, result.stderr
    assert "repaired 1 feature(s)" in result.stderr and "15000.000 → 25000.000" in result.stderr
    back = read_layer(out)
    assert back.geometry.iloc[0].is_valid and back.geometry.iloc[0].area == pytest.approx(25_000.0)


def test_failed_conversion_writes_nothing(tmp_path, parcels) -> None:
    src = tmp_path / "a.gpkg"
    parcels.to_file(src)
    for args, code in ((["--to-crs", "EPSG:99999"], 2), (["--zone", "50"], 2)):
        out = tmp_path / ("bad.gpkg" if "--to-crs" in args else "bad.txt")
        result = run("convert", str(src), str(out), *args)
        assert result.exit_code == code, result.stderr
        assert not out.exists() and "Traceback" not in result.stderr
    out = tmp_path / "out.xyz"
    result = run("convert", str(src), str(out))
    assert result.exit_code == 2 and "cannot write format '.xyz'" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gpkg"]


def test_existing_shapefile_is_not_overwritten(tmp_path, parcels) -> None:
    src = tmp_path / "a.gpkg"
    parcels.to_file(src)
    out = tmp_path / "o.shp"
    assert run("convert", str(src), str(out)).exit_code == 0
    before = digest(tmp_path)
    result = run("convert", str(src), str(out))
    assert result.exit_code == 3 and "exists" in result.stderr
    assert digest(tmp_path) == before
