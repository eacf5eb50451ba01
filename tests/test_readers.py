"""Reading layers (layers/readers.py): every format, encodings, CRS, validity, datum conversion.

Every file is written here, in tmp_path, by geopandas/pyogrio from a small GeoDataFrame with Chinese
attributes. Areas asserted come from hand arithmetic on the shapes; EPSG codes from the domain table
(zone N → 4488 + N, ...); converted coordinates from a Helmert transformation written out in this file.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from redline.layers.errors import InputError, UsageError
from redline.layers.info import layer_info
from redline.layers.readers import (
    check_geometry_kind,
    convert_old_datum,
    detect_dbf_encoding,
    detect_format,
    read_layer,
)
from redline.layers.writers import write_layer

X0, Y0 = 38_401_000.0, 4_140_000.0  # CGCS2000 3-degree zone 38, prefixed eastings: EPSG 4488 + 38
NAMES = ["汾河湿地生态保护红线", "吕梁山水源涵养区"]


@pytest.fixture
def layer() -> gpd.GeoDataFrame:
    """Two parcels in zone 38 with Chinese attributes: a 100 m square and a 200 m x 100 m rectangle."""
    return gpd.GeoDataFrame(
        {"HXMC": NAMES, "HXBM": ["HX-01", "HX-02"], "类型": ["水源涵养", "生物多样性维护"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 300, Y0, X0 + 500, Y0 + 100)],
        crs=4488 + 38,
    )


def _single(geoms) -> np.ndarray:
    """Geometries with one-part multi-geometries (as File Geodatabase and Shapefile return) made single."""
    arr = np.asarray(geoms, dtype=object)
    one = (shapely.get_num_geometries(arr) == 1) & np.isin(shapely.get_type_id(arr), (4, 5, 6))
    arr = arr.copy()
    arr[one] = shapely.get_geometry(arr[one], 0)
    return shapely.normalize(arr)


def same_geometries(a, b, tol: float = 1e-6) -> bool:
    """Same shapes: same parts, rings and vertex counts, no vertex farther than ``tol`` from the other."""
    a, b = _single(a), _single(b)
    return (len(a) == len(b) and bool(np.all(shapely.get_type_id(a) == shapely.get_type_id(b)))
            and bool(np.all(shapely.get_num_coordinates(a) == shapely.get_num_coordinates(b)))
            and bool(np.all(shapely.hausdorff_distance(a, b) <= tol)))


def write_shp(gdf: gpd.GeoDataFrame, path: Path, encoding: str, *, cpg: bool) -> Path:
    pyogrio.write_dataframe(gdf, path, encoding=encoding)
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def drop_prj(path: Path) -> Path:
    path.with_suffix(".prj").unlink(missing_ok=True)
    return path


# ------------------------------------------------------------------------------------------------ formats
def test_detect_format(tmp_path) -> None:
    for name, fmt in [("a.shp", "ESRI Shapefile"), ("a.GPKG", "GPKG"), ("a.geojson", "GeoJSON"), ("a.kml", "KML"),
                      ("a.parquet", "GeoParquet"), ("a.csv", "CSV"), ("a.txt", "guotu-txt")]:
        (tmp_path / name).write_bytes(b"x")
        assert detect_format(tmp_path / name) == fmt
    (tmp_path / "a.gdb").mkdir()
    assert detect_format(tmp_path / "a.gdb") == "OpenFileGDB"


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
@pytest.mark.parametrize("cpg", [True, False])
def test_shapefile_encodings(tmp_path, layer, encoding, cpg) -> None:
    path = write_shp(layer, tmp_path / "红线.shp", encoding, cpg=cpg)
    gdf = read_layer(path)
    assert gdf["HXMC"].tolist() == NAMES
    assert gdf["类型"].tolist() == ["水源涵养", "生物多样性维护"]
    enc = layer_info(gdf).encoding
    assert enc["value"] == encoding.lower()
    if cpg:
        assert enc["source"] == f".cpg file says {encoding!r}"
    elif encoding == "GBK":
        assert "no .cpg" in enc["source"] and "not UTF-8" in enc["source"] and "GBK" in enc["source"]
    else:
        assert "no .cpg" in enc["source"] and "decodes as UTF-8" in enc["source"]
    assert layer_info(gdf).crs == {"epsg": 4526, "name": "CGCS2000 / 3-degree Gauss-Kruger zone 38",
                                           "source": "file"}
    assert same_geometries(gdf.geometry, layer.geometry)


def test_gbk_shapefile_with_chinese_field_names_and_ascii_values(tmp_path) -> None:
    # only the field names carry GBK bytes: they must count for the detection
    gdf = gpd.GeoDataFrame({"名称": ["A1"], "编码": ["B2"]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs=4526)
    path = write_shp(gdf, tmp_path / "t.shp", "GBK", cpg=False)
    out = read_layer(path)
    assert list(out.columns[:2]) == ["名称", "编码"]
    assert layer_info(out).encoding["value"] == "gbk"


def test_ascii_shapefile_without_cpg(tmp_path) -> None:
    gdf = gpd.GeoDataFrame({"NAME": ["A1"]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs=4526)
    path = write_shp(gdf, tmp_path / "t.shp", "UTF-8", cpg=False)
    assert detect_dbf_encoding(path) == ("utf-8", "no .cpg; attribute text is plain ASCII")


def test_cpg_code_page_936_and_language_driver(tmp_path, layer) -> None:
    path = write_shp(layer, tmp_path / "t.shp", "GBK", cpg=False)
    path.with_suffix(".cpg").write_text("936")
    assert detect_dbf_encoding(path) == ("gbk", ".cpg file says '936'")
    path.with_suffix(".cpg").unlink()
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = 0x4D  # ArcGIS's language driver id for code page 936
    dbf.write_bytes(bytes(data))
    value, source = detect_dbf_encoding(path)
    assert value == "gbk" and "0x4D" in source


def test_cpg_naming_no_encoding_falls_back_to_detection(tmp_path, layer) -> None:
    path = write_shp(layer, tmp_path / "t.shp", "GBK", cpg=False)
    path.with_suffix(".cpg").write_text("NOT-A-CODEPAGE")
    value, source = detect_dbf_encoding(path)
    assert value == "gbk"
    assert "NOT-A-CODEPAGE" in source


def test_encoding_option_overrides_cpg_and_detection(tmp_path, layer) -> None:
    path = write_shp(layer, tmp_path / "t.shp", "GBK", cpg=False)
    path.with_suffix(".cpg").write_text("UTF-8")  # a .cpg that lies
    gdf = read_layer(path, encoding="gbk")
    assert gdf["HXMC"].tolist() == NAMES
    assert layer_info(gdf).encoding == {"value": "gbk", "source": "given with --encoding"}


def test_wrong_encoding_is_one_clear_error(tmp_path, layer) -> None:
    path = write_shp(layer, tmp_path / "t.shp", "GBK", cpg=True)
    with pytest.raises(InputError, match="not valid utf-8.*--encoding") as err:
        read_layer(path, encoding="utf-8")
    assert err.value.path == str(path)
    with pytest.raises(UsageError, match="unknown encoding 'nosuch'"):
        read_layer(path, encoding="nosuch")


def test_geopackage_two_layers(tmp_path, layer) -> None:
    path = tmp_path / "示范县.gpkg"
    layer.to_file(path, layer="生态保护红线")
    layer.iloc[[1]].assign(HXMC="自然保护地").to_file(path, layer="自然保护地")
    # several layers and no choice: an error listing them, never the first one read as if chosen
    with pytest.raises(InputError, match=r"2 layers \(生态保护红线, 自然保护地\).*示范县.gpkg:生态保护红线") as err:
        read_layer(path)
    assert err.value.path == str(path)
    first = read_layer(f"{path}:生态保护红线")
    meta = layer_info(first)
    assert meta.layer == "生态保护红线" and meta.path == str(path)
    assert len(first) == 2
    second = read_layer(path, "自然保护地")
    assert second["HXMC"].tolist() == ["自然保护地"]
    assert layer_info(second).layer == "自然保护地"
    assert not any("layers" in w for w in layer_info(second).warnings)
    assert same_geometries(second.geometry, layer.geometry.iloc[[1]])
    with pytest.raises(InputError, match="no layer '河流'"):
        read_layer(path, "河流")


def test_geojson(tmp_path, layer) -> None:
    path = tmp_path / "红线.geojson"
    layer.to_crs(4490).to_file(path)
    gdf = read_layer(path)
    assert gdf["HXMC"].tolist() == NAMES
    assert layer_info(gdf).crs["epsg"] == 4490
    assert layer_info(gdf).encoding == {"value": "utf-8", "source": "GeoJSON text is UTF-8 by specification"}
    assert same_geometries(gdf.to_crs(4526).geometry, layer.geometry, tol=1e-3)


def test_encoding_option_on_a_utf8_format_is_reported_as_ignored(tmp_path, layer) -> None:
    path = tmp_path / "a.geojson"
    layer.to_file(path)
    gdf = read_layer(path, encoding="gbk")
    assert gdf["HXMC"].tolist() == NAMES
    assert any("--encoding gbk ignored" in w for w in layer_info(gdf).warnings)


def test_kml(tmp_path, layer) -> None:
    path = tmp_path / "红线.kml"
    layer.to_crs(4326).to_file(path, driver="KML")
    gdf = read_layer(path)
    assert gdf["HXMC"].tolist() == NAMES
    assert layer_info(gdf).crs["epsg"] == 4326
    assert same_geometries(gdf.to_crs(4526).geometry, layer.geometry, tol=1e-3)


def test_file_geodatabase(tmp_path, layer) -> None:
    path = tmp_path / "示范县.gdb"
    layer.to_file(path, driver="OpenFileGDB", layer="生态保护红线")
    gdf = read_layer(path)
    assert gdf["HXMC"].tolist() == NAMES
    assert layer_info(gdf).format == "OpenFileGDB"
    assert layer_info(gdf).layer == "生态保护红线"
    assert layer_info(gdf).crs["epsg"] == 4526
    assert same_geometries(gdf.geometry, layer.geometry)


def test_geoparquet(tmp_path, layer) -> None:
    path = tmp_path / "红线.parquet"
    layer.to_parquet(path)
    gdf = read_layer(path)
    assert gdf["HXMC"].tolist() == NAMES
    assert layer_info(gdf).crs["epsg"] == 4526
    assert same_geometries(gdf.geometry, layer.geometry)


@pytest.mark.parametrize("encoding,bom,source", [
    ("utf-8", False, "decodes as UTF-8"), ("utf-8", True, "byte-order mark"), ("gbk", False, "GBK"),
])
def test_csv_of_points(tmp_path, encoding, bom, source) -> None:
    text = "名称,经度,纬度\n孝义市,111.78,37.14\n汾阳市,111.79,37.27\n"
    data = text.encode(encoding)
    path = tmp_path / "towns.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    gdf = read_layer(path)
    assert gdf["名称"].tolist() == ["孝义市", "汾阳市"]
    assert gdf.geometry.x.tolist() == [111.78, 111.79] and gdf.geometry.y.tolist() == [37.14, 37.27]
    assert layer_info(gdf).encoding["value"] == ("utf-8-sig" if bom else encoding)
    assert source in layer_info(gdf).encoding["source"]
    assert layer_info(gdf).crs["epsg"] == 4490
    assert layer_info(gdf).crs["source"] == "coordinates"


def test_csv_with_a_bad_coordinate_names_the_line(tmp_path) -> None:
    path = tmp_path / "towns.csv"
    path.write_text("name,lon,lat\na,111.7,37.1\nb,abc,37.2\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_layer(path)
    assert err.value.line == 3 and err.value.path == str(path)


def test_guotu_txt(shared_samples) -> None:
    gdf = read_layer(shared_samples / "five_parcels_gbk_crlf_m2.txt")
    meta = layer_info(gdf)
    assert meta.format == "guotu-txt"
    assert meta.encoding["value"] == "gbk"
    assert "not as UTF-8" in meta.encoding["source"]
    assert meta.crs["epsg"] == 4488 + 37 and meta.crs["source"] == "header"
    assert len(gdf) == 5


# -------------------------------------------------------------------------------------------- CRS sniffing
@pytest.mark.filterwarnings("ignore:'crs' was not provided")
@pytest.mark.parametrize("geom,epsg", [
    (box(111.1, 37.1, 111.2, 37.2), 4490),                                          # lon/lat
    (box(X0, Y0, X0 + 100, Y0 + 100), 4488 + 38),                                   # 3-degree zone 38
    (box(37_465_000, 4_200_000, 37_466_000, 4_201_000), 4488 + 37),                 # 3-degree zone 37
    (box(19_512_000, 4_151_000, 19_512_200, 4_151_150), 4491 + 19 - 13),            # 6-degree zone 19
    (box(20_512_000, 4_151_000, 20_512_200, 4_151_150), 4491 + 20 - 13),            # 6-degree zone 20
])
def test_shapefile_without_prj_is_placed_by_its_coordinates(tmp_path, geom, epsg) -> None:
    gdf = gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[geom])
    path = tmp_path / "noprj.shp"
    pyogrio.write_dataframe(gdf, path, encoding="UTF-8")
    out = read_layer(path)
    assert out.crs.to_epsg() == epsg
    assert layer_info(out).crs["epsg"] == epsg
    assert layer_info(out).crs["source"] == "coordinates"
    assert any("no CRS in" in w for w in layer_info(out).warnings)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_unprefixed_eastings_without_prj_ask_for_crs(tmp_path) -> None:
    path = tmp_path / "six.shp"
    pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=[box(498_000, 4_160_000, 498_120, 4_160_100)]), path)
    with pytest.raises(InputError, match="--crs"):
        read_layer(path)
    out = read_layer(path, crs="EPSG:4546")
    assert layer_info(out).crs == {"epsg": 4546, "name": "CGCS2000 / 3-degree Gauss-Kruger CM 111E",
                                           "source": "given with --crs"}


def test_crs_option_overrides_a_wrong_prj_with_a_warning(tmp_path, layer) -> None:
    path = tmp_path / "a.gpkg"
    layer.set_crs(4525, allow_override=True).to_file(path)
    out = read_layer(path, crs=4526)
    assert out.crs.to_epsg() == 4526
    assert any("the file says" in w for w in layer_info(out).warnings)


def test_unknown_crs_option_is_a_usage_error(tmp_path, layer) -> None:
    path = tmp_path / "a.gpkg"
    layer.to_file(path)
    with pytest.raises(UsageError, match="unknown CRS"):
        read_layer(path, crs="EPSG:99999")


@pytest.mark.parametrize("epsg", [2324 + 37, 2345 + 37, 4610, 2376 + 38, 4214])
def test_older_datum_is_kept_with_a_warning(tmp_path, epsg) -> None:
    geom = {4610: box(111.1, 37.1, 111.2, 37.2), 4214: box(111.1, 37.1, 111.2, 37.2),
            2361: box(37_498_000, 4_160_000, 37_498_100, 4_160_100),
            2382: box(498_000, 4_160_000, 498_100, 4_160_100),
            2414: box(38_401_000, 4_140_000, 38_401_100, 4_140_100)}[epsg]
    for path in (tmp_path / "old.gpkg", tmp_path / "old.shp"):  # the .prj of a Shapefile is ESRI WKT
        gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[geom], crs=epsg).to_file(path)
        out = read_layer(path)
        assert out.crs.to_epsg() == epsg  # never converted silently
        assert layer_info(out).crs["epsg"] == epsg
        assert same_geometries(out.geometry, [geom])
        assert layer_info(out).transformation is None
        assert any("older datum, kept as is" in w and "--towgs84" in w for w in layer_info(out).warnings)


# ------------------------------------------------------------------------------------- datum conversion
def helmert_by_hand(lon, lat, src_ellps, dst_ellps, params):
    """Geodetic (h = 0) on ``src_ellps`` → geocentric → 7-parameter Helmert (position vector) → geodetic on
    ``dst_ellps``: the transformation PROJ's ``+towgs84`` describes, written out."""
    dx, dy, dz, rx, ry, rz, ds = params
    sec = math.pi / (180 * 3600)
    rx, ry, rz, s = rx * sec, ry * sec, rz * sec, ds * 1e-6

    def cart(lon, lat, a, f):
        e2 = f * (2 - f)
        lam, phi = np.radians(lon), np.radians(lat)
        n = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
        return n * np.cos(phi) * np.cos(lam), n * np.cos(phi) * np.sin(lam), n * (1 - e2) * np.sin(phi)

    def geodetic(x, y, z, a, f):
        e2 = f * (2 - f)
        p = np.hypot(x, y)
        phi = np.arctan2(z, p * (1 - e2))
        for _ in range(10):
            n = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
            h = p / np.cos(phi) - n
            phi = np.arctan2(z, p * (1 - e2 * n / (n + h)))
        return np.degrees(np.arctan2(y, x)), np.degrees(phi)

    x, y, z = cart(lon, lat, *src_ellps)
    x2 = dx + (1 + s) * (x - rz * y + ry * z)
    y2 = dy + (1 + s) * (rz * x + y - rx * z)
    z2 = dz + (1 + s) * (-ry * x + rx * y + z)
    return geodetic(x2, y2, z2, *dst_ellps)


IAG75 = (6_378_140.0, 1 / 298.257)           # Xi'an 1980 ellipsoid
KRASSOWSKY = (6_378_245.0, 1 / 298.3)        # Beijing 1954 ellipsoid
GRS80 = (6_378_137.0, 1 / 298.257222101)     # CGCS2000 ellipsoid (flattening as GRS80 to 1e-12)


def tmerc(lon_0: float, ellps: tuple[float, float], x_0: float = 500_000.0) -> pyproj.Proj:
    a, f = ellps
    return pyproj.Proj(proj="tmerc", lat_0=0, lon_0=lon_0, k=1, x_0=x_0, y_0=0, a=a, rf=1 / f)


@pytest.mark.parametrize("params", ["0,0,0,0,0,0,0", "12.5,-31.2,20.1,0.4,-0.25,0.8,2.3"])
def test_towgs84_converts_xian80_to_cgcs2000_same_central_meridian(tmp_path, params) -> None:
    ring = [(498_000.0, 4_160_000.0), (498_120.0, 4_160_000.0), (498_120.0, 4_160_100.0), (498_000.0, 4_160_100.0)]
    path = tmp_path / "xian80.gpkg"
    gpd.GeoDataFrame({"名称": ["一号地块"]}, geometry=[Polygon(ring)], crs=2345 + 37).to_file(path)
    out = read_layer(path, towgs84=params)
    meta = layer_info(out)
    assert out.crs.to_epsg() == 4509 + 37 == 4546  # CGCS2000 3-degree CM 111°E, no prefix
    assert meta.crs["epsg"] == 4546
    assert meta.transformation["from_epsg"] == 2382 and meta.transformation["to_epsg"] == 4546
    assert any("converted from Xian 1980" in w for w in meta.warnings)
    assert not any("kept as is" in w for w in meta.warnings)

    values = [float(v) for v in params.split(",")]
    xs, ys = np.array([p[0] for p in ring]), np.array([p[1] for p in ring])
    lon, lat = tmerc(111, IAG75)(xs, ys, inverse=True)
    lon2, lat2 = helmert_by_hand(lon, lat, IAG75, GRS80, values)
    ex, ey = tmerc(111, GRS80)(lon2, lat2)
    got = shapely.get_coordinates(out.geometry.iloc[0].exterior)[:-1]
    order = [ring.index(tuple(p)) for p in shapely.get_coordinates(Polygon(ring).exterior)[:-1]]
    assert np.allclose(got[:, 0], ex[order], atol=1e-3) and np.allclose(got[:, 1], ey[order], atol=1e-3)
    # the conversion moves the data: by metres for the zero-parameter change of ellipsoid alone
    assert np.abs(got[:, 1] - ys[order]).max() > 1.0


def test_towgs84_on_a_prefixed_guotu_layer_and_geographic_beijing54(tmp_path, shared_samples) -> None:
    out = read_layer(shared_samples / "xian80_zone37_no_prefix_two_parcels.txt", towgs84="0,0,0,0,0,0,0")
    assert out.crs.to_epsg() == 4546
    assert not any("not converted to CGCS2000" in w for w in layer_info(out).warnings)
    path = tmp_path / "bj54.gpkg"
    gpd.GeoDataFrame(geometry=[Point(111.5, 37.5)], crs=4214).to_file(path)
    params = [-15.8, 154.4, 82.3, 0, 0, 0, 0]
    got = read_layer(path, towgs84=",".join(map(str, params)))
    assert got.crs.to_epsg() == 4490
    lon, lat = helmert_by_hand(np.array([111.5]), np.array([37.5]), KRASSOWSKY, GRS80, params)
    assert abs(got.geometry.iloc[0].x - lon[0]) < 1e-8 and abs(got.geometry.iloc[0].y - lat[0]) < 1e-8


def test_towgs84_errors(tmp_path, layer) -> None:
    path = tmp_path / "a.gpkg"
    layer.to_file(path)
    with pytest.raises(UsageError, match="Xi'an 1980 or Beijing 1954"):
        read_layer(path, towgs84="0,0,0,0,0,0,0")
    with pytest.raises(UsageError, match="7 numbers"):
        convert_old_datum(layer.set_crs(2382, allow_override=True), "1,2,3,4")


def test_towgs84_three_parameters_are_a_translation() -> None:
    """dx,dy,dz alone is the seven-parameter transformation with no rotation and no scale (PROJ's +towgs84):
    the same coordinates either way, and a 100 m geocentric shift moves the data (by tens of metres)."""
    xian = gpd.GeoDataFrame(geometry=[Point(498_000, 4_160_000), Point(510_000, 4_170_000)], crs=2382)
    three, _, _ = convert_old_datum(xian, "100,0,0")
    seven, _, _ = convert_old_datum(xian, "100,0,0,0,0,0,0")
    none, _, _ = convert_old_datum(xian, "0,0,0")
    a, b, c = (shapely.get_coordinates(g.geometry.values) for g in (three, seven, none))
    assert np.array_equal(a, b)
    assert 1.0 < np.hypot(*(a - c).T).max() < 100.0


# ------------------------------------------------------------------------------------------------ validity
# A bow-tie: (0,0) → (300,300) → (300,200) → (0,200) crosses itself at (200,200). Its lobes are the
# triangles (0,0),(200,200),(0,200) of area 200*200/2 = 20000 m² and (200,200),(300,300),(300,200) of area
# 100*100/2 = 5000 m². The signed shoelace sum of the ring is 20000 - 5000 = 15000 m².
BOWTIE = Polygon([(X0, Y0), (X0 + 300, Y0 + 300), (X0 + 300, Y0 + 200), (X0, Y0 + 200)])


@pytest.fixture
def bowtie_file(tmp_path) -> Path:
    path = tmp_path / "bowtie.gpkg"
    gpd.GeoDataFrame({"名称": ["蝴蝶形", "正方形"]}, geometry=[BOWTIE, box(X0 + 1000, Y0, X0 + 1100, Y0 + 100)],
                     crs=4526).to_file(path)
    return path


def test_invalid_geometries_are_counted_not_repaired(bowtie_file) -> None:
    gdf = read_layer(bowtie_file)
    meta = layer_info(gdf)
    assert {k: meta.invalid[k] for k in ("count", "reasons", "features")} == \
        {"count": 1, "reasons": {"Self-intersection": 1}, "features": [0]}
    assert meta.invalid["items"][0]["feature"] == 0 and meta.invalid["items"][0]["reason_zh"].startswith("自相交")
    assert meta.repair is None
    assert any("1 invalid geometry (Self-intersection ×1; feature 0 (蝴蝶形)); not repaired" in w for w in meta.warnings)
    assert same_geometries(gdf.geometry, [BOWTIE, box(X0 + 1000, Y0, X0 + 1100, Y0 + 100)])


def test_repair_reports_features_and_areas(bowtie_file) -> None:
    gdf = read_layer(bowtie_file, repair=True)
    rep = layer_info(gdf).repair
    assert len(gdf) == 2  # nothing dropped
    assert rep["features"] == 1 and rep["feature_index"] == [0]
    assert rep["area_before"] == pytest.approx(15_000.0, abs=1e-6)
    assert rep["area_after"] == pytest.approx(25_000.0, abs=1e-6)
    assert gdf.geometry.iloc[0].is_valid and gdf.geometry.iloc[0].area == pytest.approx(25_000.0, abs=1e-6)
    assert gdf.geometry.iloc[1].area == pytest.approx(10_000.0)
    assert any("repaired 1 feature(s)" in w and "15000.000 → 25000.000" in w
               for w in layer_info(gdf).warnings)


# -------------------------------------------------------------------------------------------- layer kinds
def test_kind_adds_canonical_columns(tmp_path, layer) -> None:
    path = tmp_path / "rl.shp"
    write_shp(layer, path, "GBK", cpg=False)
    gdf = read_layer(path, kind="red_line")
    assert gdf["name"].tolist() == NAMES and gdf["code"].tolist() == ["HX-01", "HX-02"]
    assert gdf["type"].tolist() == ["水源涵养", "生物多样性维护"]
    assert layer_info(gdf).fields["name"] == "HXMC"


def test_kind_with_mixed_geometry_types_is_an_error(tmp_path) -> None:
    path = tmp_path / "mixed.gpkg"
    gpd.GeoDataFrame({"名称": ["甲", "乙", "丙"]}, crs=4526,
                     geometry=[box(X0, Y0, X0 + 10, Y0 + 10), Point(X0, Y0), box(X0, Y0, X0 + 5, Y0 + 5)]
                     ).to_file(path)
    gdf = read_layer(path)  # fine without a kind
    assert len(gdf) == 3
    with pytest.raises(InputError, match="mixed geometry types") as err:
        read_layer(path, kind="red_line")
    assert err.value.path == str(path) and err.value.feature == 1
    assert read_layer(path, kind="site")["name"].tolist() == ["甲", "乙", "丙"]  # a site may be anything


def test_kind_of_the_wrong_single_type_is_a_warning() -> None:
    lines = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])])
    assert check_geometry_kind(lines, "river") == []
    warns = check_geometry_kind(lines, "red_line")
    assert warns and "polygons" in warns[0]


# ------------------------------------------------------------------------------------------------ writing
@pytest.mark.parametrize("ext", [".gpkg", ".geojson", ".shp", ".gdb", ".parquet", ".fgb", ".kml", ".txt"])
def test_write_then_read_back(tmp_path, layer, ext) -> None:
    path = write_layer(layer, tmp_path / f"红线{ext}")
    back = read_layer(path)
    tol = 1e-3 if ext in (".kml", ".txt") else 1e-6  # KML is lon/lat; 国土TXT keeps millimetres
    assert same_geometries(back.to_crs(4526).geometry, layer.geometry, tol=tol)
    if ext == ".txt":
        assert layer_info(back).crs["epsg"] == 4526
    else:
        assert back["HXMC"].tolist() == NAMES


def test_write_shapefile_with_gbk_writes_a_cpg(tmp_path, layer) -> None:
    path = write_layer(layer, tmp_path / "gbk.shp", encoding="gbk")
    assert path.with_suffix(".cpg").read_text().strip().upper() == "GBK"
    assert read_layer(path)["HXMC"].tolist() == NAMES


def test_write_errors_name_the_output(tmp_path, layer) -> None:
    mixed = gpd.GeoDataFrame({"名称": ["甲", "乙"]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1), Point(X0, Y0)],
                             crs=4526)
    with pytest.raises(InputError, match=r"mixed geometry types \(Polygon and Point\).*feature 1") as err:
        write_layer(mixed, tmp_path / "m.shp")
    assert err.value.path == str(tmp_path / "m.shp")
    assert list(tmp_path.iterdir()) == []  # nothing written, no leftovers
    with pytest.raises(InputError, match="must be polygons") as err:
        write_layer(mixed, tmp_path / "m.txt")
    assert err.value.path == str(tmp_path / "m.txt")
    assert not (tmp_path / "m.txt").exists()
    with pytest.raises(UsageError, match="cannot write format '.xyz'"):
        write_layer(layer, tmp_path / "m.xyz")
    write_layer(layer, tmp_path / "a.shp")
    before = (tmp_path / "a.shp").read_bytes()
    with pytest.raises(InputError, match="exists"):
        write_layer(layer.iloc[:1], tmp_path / "a.shp")
    assert (tmp_path / "a.shp").read_bytes() == before


def test_inputs_are_never_modified(tmp_path, layer) -> None:
    path = write_shp(layer, tmp_path / "rl.shp", "GBK", cpg=False)
    drop_prj(path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    read_layer(path, kind="red_line", repair=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_geodatabase_output_replaces_whole(tmp_path, layer) -> None:
    path = tmp_path / "out.gdb"
    write_layer(layer, path)
    write_layer(layer.iloc[:1], path)
    assert len(read_layer(path)) == 1
    shutil.rmtree(path)


# ------------------------------------------------------------------------------- read path and robustness
def test_validate_false_skips_the_validity_report_unless_repairing(bowtie_file) -> None:
    assert layer_info(read_layer(bowtie_file, validate=False)).invalid is None
    assert not any("invalid" in w for w in layer_info(read_layer(bowtie_file, validate=False)).warnings)
    assert layer_info(read_layer(bowtie_file, validate=False, repair=True)).repair["features"] == 1


@pytest.mark.parametrize("n", [0, 1, 4095, 4096, 9000])  # empty, one, around the batch size
def test_pipelined_read_equals_pyogrio_read_dataframe(tmp_path, n) -> None:
    rng = np.random.default_rng(n)
    x = X0 + rng.uniform(0, 50_000, n)
    y = Y0 + rng.uniform(0, 50_000, n)
    gdf = gpd.GeoDataFrame({"名称": [f"图斑{i}" for i in range(n)], "面积": rng.uniform(0, 10, n),
                            "编号": np.arange(n, dtype="int64")},
                           geometry=shapely.buffer(shapely.points(x, y), 30, quad_segs=3), crs=4526)
    path = tmp_path / "many.gpkg"
    gdf.to_file(path)
    ours = read_layer(path)
    ref = pyogrio.read_dataframe(path, use_arrow=True)
    assert list(ours.columns) == list(ref.columns) and len(ours) == n
    for col in ("名称", "面积", "编号"):
        assert ours[col].tolist() == ref[col].tolist()
    assert bool(np.all(shapely.equals_exact(ours.geometry.values, ref.geometry.values, 0)))
    assert ours.crs.equals(ref.crs)


def test_cpg_contradicted_by_the_text_is_read_as_what_the_text_is(tmp_path, layer) -> None:
    path = write_shp(layer, tmp_path / "gbk.shp", "GBK", cpg=True)
    path.with_suffix(".cpg").write_text("UTF-8")  # a .cpg that lies
    gdf = read_layer(path)
    meta = layer_info(gdf)
    assert gdf["HXMC"].tolist() == NAMES
    assert meta.encoding["value"] == "gbk" and "not valid utf-8" in meta.encoding["source"]
    assert any(".cpg file says 'UTF-8', but the attribute text is not valid utf-8" in w
               for w in meta.warnings)


def test_truncated_dbf_is_an_error_naming_the_dbf(tmp_path, layer) -> None:
    path = write_shp(layer, tmp_path / "t.shp", "UTF-8", cpg=True)
    dbf = path.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes()[:-20])  # the last record cut short
    with pytest.raises(InputError, match=r"t\.dbf.*truncated: its header declares 2 records"):
        read_layer(path)


def test_geojson_coordinates_as_strings_are_an_error_not_a_dropped_geometry(tmp_path) -> None:
    path = tmp_path / "s.geojson"
    path.write_text('{"type": "FeatureCollection", "features": ['
                    '{"type": "Feature", "properties": {"n": "好"}, "geometry": null},'
                    '{"type": "Feature", "properties": {"n": "坏"}, "geometry": {"type": "Point", '
                    '"coordinates": ["110.5", 21.4]}}]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"feature 1: the geometry cannot be read: a coordinate is not a "
                                         r"number \('110\.5'\)"):
        read_layer(path)


def test_geojson_null_geometry_is_a_warning(tmp_path) -> None:
    path = tmp_path / "n.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
                    '"geometry": null}, {"type": "Feature", "properties": {}, "geometry": {"type": "Point", '
                    '"coordinates": [110.5, 21.4]}}]}', encoding="utf-8")
    gdf = read_layer(path)
    assert len(gdf) == 2 and any("1 feature(s) with empty or missing geometry" in w
                                 for w in layer_info(gdf).warnings)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("ext", ["gpkg", "parquet"])
def test_nan_coordinate_is_an_error_naming_the_feature(tmp_path, ext) -> None:
    """Also past the first Arrow batch (the read is pipelined in batches of 4096 features)."""
    n = 5000
    geoms = [box(X0 + 10 * i, Y0, X0 + 10 * i + 5, Y0 + 5) for i in range(n)]
    geoms[4500] = Polygon([(X0, Y0), (np.nan, Y0), (X0 + 5, Y0 + 5), (X0, Y0)])
    gdf = gpd.GeoDataFrame({"i": np.arange(n)}, geometry=geoms, crs=4526)
    path = tmp_path / f"nan.{ext}"
    gdf.to_parquet(path) if ext == "parquet" else gdf.to_file(path)
    with pytest.raises(InputError, match=r"feature 4500: NaN or infinite coordinate"):
        read_layer(path)
