"""A declared CRS that the coordinates contradict is an input error (issue 12, item 3); legitimate data is not.

Hand-built cases: a zone-38 ``.prj`` on zone-37-prefixed data (placed 1,000 km away before), prefixed
8-digit eastings under a ``.prj`` with central meridian 111°E (area 0 and bounds ``inf`` before),
longitudes/latitudes under a projected ``.prj``, Gauss-Krüger numbers under a geographic CRS. No false
alarm on data near or somewhat beyond a zone's edge, GeoJSON in longitude/latitude, Xi'an 1980 and
Beijing 1954 zones, UTM and Web Mercator. Coordinates of real places are computed with PROJ (pyproj) from
longitudes and latitudes in Shanxi; EPSG codes from the domain table (CGCS2000 3° zone N prefixed = 4488 + N,
without prefix, CM 3N°E = 4509 + N; Xi'an 1980 without prefix = 2345 + N; Beijing 1954 prefixed = 2376 + N).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

from redline.cli import main
from redline.layers.errors import InputError
from redline.layers.info import layer_info
from redline.layers.readers import read_layer
from redline.layers.sites import SiteSource

pytestmark = pytest.mark.filterwarnings("ignore:'crs' was not provided")

ZONE37, ZONE38 = 4488 + 37, 4488 + 38
CM111, CM114 = 4509 + 37, 4509 + 38
ESRI_CM111 = ('PROJCS["CGCS2000_3_Degree_GK_CM_111E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
              'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
              'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],'
              'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",111.0],PARAMETER["Scale_Factor",1.0],'
              'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')


def squares(x0: float, y0: float, n: int = 2, side: float = 100.0) -> list:
    return [box(x0 + 300 * k, y0, x0 + 300 * k + side, y0 + side) for k in range(n)]


def shapefile(path: Path, geoms, prj: str | int | None) -> Path:
    """A Shapefile whose .prj says ``prj`` (an EPSG code, a WKT text, or None for no .prj)."""
    gpd.GeoDataFrame({"名称": [f"地块{k}" for k in range(len(geoms))]}, geometry=geoms).to_file(path, encoding="utf-8")
    prj_path = path.with_suffix(".prj")
    if prj is None:
        prj_path.unlink(missing_ok=True)
    else:
        text = prj if isinstance(prj, str) else pyproj.CRS.from_epsg(prj).to_wkt("WKT1_ESRI")
        prj_path.write_text(text, encoding="ascii")
    return path


def projected(epsg: int, lon: float, lat: float) -> tuple[float, float]:
    return pyproj.Transformer.from_crs(4490, epsg, always_xy=True).transform(lon, lat)


# ---------------------------------------------------------------------------------------- contradictions
def test_zone_38_prj_on_zone_37_prefixed_data(tmp_path) -> None:
    x, y = projected(ZONE37, 111.2, 37.5)
    path = shapefile(tmp_path / "红线.shp", squares(x, y), ZONE38)
    with pytest.raises(InputError) as err:
        read_layer(path)
    msg = str(err.value)
    assert err.value.path == str(path)
    assert "the .prj says" in msg and "zone 38" in msg and "zone prefix 38" in msg          # what the .prj says
    assert "zone prefix 37" in msg and f"EPSG:{ZONE37}" in msg                               # what the data says
    assert "--crs" in msg
    # --crs overrides: the squares are read where they are, 100 m × 100 m each
    gdf = read_layer(path, crs=f"EPSG:{ZONE37}")
    assert gdf.crs.to_epsg() == ZONE37 and gdf.area.tolist() == [10_000.0, 10_000.0]
    assert any("the file says" in w and "--crs" in w for w in layer_info(gdf).warnings)


@pytest.mark.parametrize("prj", [CM111, ESRI_CM111], ids=["epsg-wkt", "esri-wkt"])
def test_prefixed_eastings_under_a_prj_without_prefix(tmp_path, prj) -> None:
    x, y = projected(ZONE38, 113.0, 37.8)
    path = shapefile(tmp_path / "县界.shp", squares(x, y), prj)
    with pytest.raises(InputError) as err:
        read_layer(path)
    msg = str(err.value)
    assert "central meridian 111°E, eastings without zone prefix" in msg
    assert "8-digit eastings with zone prefix 38" in msg and f"EPSG:{ZONE38}" in msg


def test_the_symptom_of_the_issue_area_0_and_inf_bounds_is_now_an_input_error(tmp_path) -> None:
    x, y = projected(ZONE38, 113.0, 37.8)
    path = shapefile(tmp_path / "县界.shp", squares(x, y), ESRI_CM111)
    r = CliRunner().invoke(main, ["area", str(path), "--json"])
    assert r.exit_code == 3 and not r.stdout
    assert r.stderr.startswith(f"redline: error: {path}: the .prj says") and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["area", str(path), "--json", "--planar"])
    assert r.exit_code == 3
    r = CliRunner().invoke(main, ["inspect", str(path), "--crs", f"EPSG:{ZONE38}", "--json"])
    assert r.exit_code == 0
    js = json.loads(r.stdout)
    assert js["area_m2"]["planar"] == pytest.approx(20_000.0)
    lon0, lat0, lon1, lat1 = js["bounds_lonlat"]
    assert 112.9 < lon0 < lon1 < 113.1 and 37.7 < lat0 < lat1 < 37.9


def test_lonlat_under_a_projected_prj(tmp_path) -> None:
    path = shapefile(tmp_path / "选址.shp", [box(111.20, 37.50, 111.21, 37.51)], CM111)
    with pytest.raises(InputError, match=r"the \.prj says .*CM 111E.*but the coordinates are longitude/latitude "
                                         r"\(x 111\.2…111\.21, y 37\.5…37\.51\).*EPSG:4490"):
        read_layer(path)
    assert read_layer(path, crs=4490).crs.to_epsg() == 4490


def test_gauss_krueger_numbers_under_a_geographic_crs(tmp_path) -> None:
    x, y = projected(ZONE37, 111.2, 37.5)
    path = tmp_path / "红线.gpkg"
    gpd.GeoDataFrame(geometry=squares(x, y), crs=4490).to_file(path)
    with pytest.raises(InputError, match=r"the file's CRS says China Geodetic Coordinate System 2000 "
                                         r"\(EPSG:4490\), but the coordinates are 8-digit eastings with zone prefix 37"):
        read_layer(path)


def test_a_stray_feature_is_named(tmp_path) -> None:
    x, y = projected(ZONE37, 111.2, 37.5)
    path = shapefile(tmp_path / "红线.shp", [*squares(x, y), box(0, 0, 100, 100)], ZONE37)
    with pytest.raises(InputError, match=r"feature 2 cannot be in the CRS the \.prj says.*\(1 of 3 features are so\)"):
        read_layer(path)


def test_chunked_site_reading_checks_the_crs_too(tmp_path) -> None:
    x, y = projected(ZONE37, 111.2, 37.5)
    path = shapefile(tmp_path / "选址.shp", squares(x, y, n=5), ZONE38)
    with pytest.raises(InputError, match="zone prefix 37"):
        list(SiteSource(path, chunk_size=2).chunks())
    chunks = list(SiteSource(path, chunk_size=2, crs=f"EPSG:{ZONE37}").chunks())
    assert sum(len(c) for c in chunks) == 5


# ---------------------------------------------------------------------------------------- no false alarm
@pytest.mark.parametrize("lon", [109.0, 112.9, 114.0, 115.4], ids=["west-of-zone", "beyond-edge", "province",
                                                                     "far-beyond"])
def test_data_beyond_the_zone_edge_is_accepted(tmp_path, lon) -> None:
    # zone 37's area of use is 109.5°E-112.5°E; a county across the edge, or a province drawn in one zone,
    # lies up to some 3° beyond it
    x, y = projected(ZONE37, lon, 37.5)
    gdf = read_layer(shapefile(tmp_path / "县界.shp", squares(x, y), ZONE37))
    assert gdf.crs.to_epsg() == ZONE37 and not any("contradict" in w for w in layer_info(gdf).warnings)


def test_geojson_in_lonlat_is_accepted(tmp_path) -> None:
    path = tmp_path / "河流.geojson"
    gpd.GeoDataFrame(geometry=[shapely.LineString([(111.2, 37.5), (111.9, 37.8)])], crs=4326).to_file(path)
    assert read_layer(path).crs.to_epsg() == 4326


@pytest.mark.parametrize("epsg,lon,lat", [
    (2345 + 37, 111.3, 37.6),       # Xi'an 1980 3° CM 111°E, no prefix
    (2376 + 38, 113.1, 37.9),       # Beijing 1954 3° zone 38, prefixed
    (2349 + 38 - 25, 113.1, 37.9),  # Xi'an 1980 3° zone 38, prefixed
    (32649, 111.5, 37.5),           # WGS 84 / UTM zone 49N
    (3857, 112.5, 37.8),            # Web Mercator
    (4214, 112.5, 37.8),            # Beijing 1954 geographic
], ids=["xian80-cm111", "beijing54-zone38", "xian80-zone38", "utm49n", "webmercator", "beijing54-geographic"])
def test_other_datums_and_projections_are_accepted(tmp_path, epsg, lon, lat) -> None:
    if pyproj.CRS.from_epsg(epsg).is_geographic:
        geoms = [box(lon, lat, lon + 0.001, lat + 0.001)]
    else:
        x, y = pyproj.Transformer.from_crs(4326 if epsg in (32649, 3857) else 4490, epsg,
                                           always_xy=True).transform(lon, lat)
        geoms = squares(x, y)
    path = tmp_path / "图层.gpkg"
    gpd.GeoDataFrame(geometry=geoms, crs=epsg).to_file(path)
    assert read_layer(path).crs.to_epsg() == epsg


def test_beijing54_zone_table_matches_proj() -> None:
    # the codes used above, against PROJ: central meridian and false easting
    for epsg, cm, fe in [(2376 + 38, 114, 38_500_000), (2345 + 37, 111, 500_000), (2349 + 13, 114, 38_500_000)]:
        params = {p.name: p.value for p in pyproj.CRS.from_epsg(epsg).coordinate_operation.params}
        assert params["Longitude of natural origin"] == cm and params["False easting"] == fe
