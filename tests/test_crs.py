"""CRS table and sniffing (layers/crs.py).

Every expected EPSG code here is computed from the table of the domain reference
(``/work/shared/reference/domain.md`` §5), never taken from the module: CGCS2000 3-degree zone N with
prefixed eastings is 4513 + (N - 25) = 4488 + N, and so on. Each formula is also checked against the
EPSG database as PROJ ships it (central meridian and false easting of the code).
"""

from __future__ import annotations

import pyproj
import pytest

from redline.layers.crs import (
    cgcs2000_counterpart,
    datum_of,
    describe_gk,
    epsg_of,
    gk_epsg,
    parse_crs,
    parse_datum,
    parse_towgs84,
    sniff_crs,
)
from redline.layers.errors import InputError, UsageError

# (datum, zone width, prefixed) -> (first EPSG code, first zone), transcribed from the domain table
DOMAIN_TABLE = {
    ("cgcs2000", 3, True): (4513, 25),
    ("cgcs2000", 3, False): (4534, 25),
    ("cgcs2000", 6, True): (4491, 13),
    ("cgcs2000", 6, False): (4502, 13),
    ("xian1980", 3, True): (2349, 25),
    ("xian1980", 3, False): (2370, 25),
    ("xian1980", 6, True): (2327, 13),
    ("xian1980", 6, False): (2338, 13),
    ("beijing1954", 3, True): (2401, 25),
    ("beijing1954", 3, False): (2422, 25),
}
ZONES = {3: range(25, 46), 6: range(13, 24)}
CASES = [(datum, width, prefixed, zone) for (datum, width, prefixed) in DOMAIN_TABLE for zone in ZONES[width]]


def expected_epsg(datum: str, width: int, prefixed: bool, zone: int) -> int:
    first, first_zone = DOMAIN_TABLE[(datum, width, prefixed)]
    return first + zone - first_zone


def central_meridian(width: int, zone: int) -> int:
    return 3 * zone if width == 3 else 6 * zone - 3


def tmerc_params(code: int) -> tuple[float, float]:
    """Central meridian and false easting of an EPSG code, as the EPSG database defines them."""
    params = {p.name: p.value for p in pyproj.CRS.from_epsg(code).coordinate_operation.params}
    return params["Longitude of natural origin"], params["False easting"]


def test_domain_shorthands() -> None:
    # the shorthands the domain reference and the 国土TXT notes use
    assert expected_epsg("cgcs2000", 3, True, 38) == 4488 + 38 == 4526
    assert expected_epsg("cgcs2000", 6, True, 19) == 4497
    assert expected_epsg("xian1980", 3, True, 37) == 2324 + 37
    assert expected_epsg("xian1980", 3, False, 37) == 2382


@pytest.mark.parametrize("datum,width,prefixed,zone", CASES)
def test_gk_epsg_follows_the_domain_table(datum, width, prefixed, zone) -> None:
    code = expected_epsg(datum, width, prefixed, zone)
    assert gk_epsg(datum, width, zone=zone, prefixed=prefixed) == code
    info = describe_gk(code)
    assert info == {"datum": datum, "width": width, "zone": zone, "prefixed": prefixed,
                    "cm": central_meridian(width, zone)}
    # and the EPSG database agrees: central meridian, false easting with or without the zone prefix
    lon0, x0 = tmerc_params(code)
    assert lon0 == central_meridian(width, zone)
    assert x0 == (zone * 1_000_000 + 500_000 if prefixed else 500_000)
    assert datum_of(pyproj.CRS.from_epsg(code)) == datum


@pytest.mark.parametrize("zone", [24, 46, 0])
def test_gk_epsg_rejects_zones_outside_china(zone) -> None:
    with pytest.raises(InputError, match="not a zone that covers China"):
        gk_epsg("cgcs2000", 3, zone=zone, prefixed=True)
    with pytest.raises(InputError):
        gk_epsg("cgcs2000", 6, zone=zone if zone != 24 else 12, prefixed=True)


def test_describe_gk_of_other_codes_is_none() -> None:
    assert describe_gk(4490) is None
    assert describe_gk(3857) is None


# ------------------------------------------------------------------------------------------------ sniffing
@pytest.mark.parametrize("zone", list(ZONES[3]))
def test_sniff_prefixed_3_degree_zone(zone) -> None:
    x = zone * 1_000_000 + 401_000.0
    guess = sniff_crs(x, x + 100, 4_140_000, 4_140_100, what="t.shp")
    assert guess.epsg == 4488 + zone
    assert guess.source == "coordinates"
    assert any(f"prefix {zone}" in w for w in guess.warnings)


@pytest.mark.parametrize("zone", list(ZONES[6]))
def test_sniff_prefixed_6_degree_zone(zone) -> None:
    x = zone * 1_000_000 + 512_000.0
    guess = sniff_crs(x, x + 200, 4_151_000, 4_151_150)
    assert guess.epsg == 4491 + zone - 13
    lon0, _ = tmerc_params(guess.epsg)
    assert lon0 == 6 * zone - 3


@pytest.mark.parametrize("datum,first", [("xian1980", 2349), ("beijing1954", 2401)])
def test_sniff_prefixed_older_datum_keeps_the_datum_and_warns(datum, first) -> None:
    guess = sniff_crs(37_498_000, 37_498_120, 4_160_000, 4_160_100, datum=datum)
    assert guess.epsg == first + 37 - 25
    assert any("never converted to CGCS2000" in w for w in guess.warnings)


def test_sniff_lonlat_is_cgcs2000_geographic() -> None:
    guess = sniff_crs(111.2, 111.9, 37.1, 37.8, what="sites.csv")
    assert guess.epsg == 4490
    assert guess.source == "coordinates"
    assert any("longitude/latitude" in w and "sites.csv" in w for w in guess.warnings)
    # the whole of China's box
    assert sniff_crs(73.5, 135.0, 3.9, 53.5).epsg == 4490


def test_sniff_lonlat_in_older_datum() -> None:
    assert sniff_crs(111.2, 111.9, 37.1, 37.8, datum="xian1980").epsg == 4610
    assert sniff_crs(111.2, 111.9, 37.1, 37.8, datum="beijing1954").epsg == 4214


def test_sniff_wgs84_is_taken_as_cgcs2000_with_a_warning() -> None:
    guess = sniff_crs(38_401_000, 38_401_100, 4_140_000, 4_140_100, datum="wgs84")
    assert guess.epsg == 4526
    assert any("WGS84" in w for w in guess.warnings)


def test_sniff_unprefixed_eastings_without_zone_ask_for_crs() -> None:
    with pytest.raises(InputError, match="--crs") as err:
        sniff_crs(498_000, 498_750, 4_160_000, 4_160_550, what="parcels.shp")
    assert "parcels.shp" in str(err.value)
    assert "zone" in str(err.value)


@pytest.mark.parametrize("datum,width,zone", [("cgcs2000", 3, 37), ("xian1980", 3, 37), ("cgcs2000", 6, 19),
                                              ("beijing1954", 3, 38), ("xian1980", 6, 20)])
def test_sniff_unprefixed_eastings_with_a_known_zone(datum, width, zone) -> None:
    guess = sniff_crs(498_000, 498_750, 4_160_000, 4_160_550, datum=datum, zone=zone, width=width)
    assert guess.epsg == expected_epsg(datum, width, False, zone)


def test_sniff_prefix_wins_over_a_stated_zone() -> None:
    guess = sniff_crs(38_401_000, 38_401_100, 4_140_000, 4_140_100, zone=37, width=6)
    assert guess.epsg == 4526
    assert any("prefix 38" in w for w in guess.warnings)


@pytest.mark.parametrize("x,y", [
    (50_401_000, 4_140_000),   # prefix 50: no zone of China
    (10_401_000, 4_140_000),   # prefix 10
    (24_401_000, 4_140_000),   # prefix 24: between the 6-degree and 3-degree ranges
    (401_000, 14_140_000),     # 8-digit northing
    (401_000, 140_000),        # 6-digit northing
    (1.0, 1.0),                # a local grid
    (5_000_000, 4_140_000),    # 7-digit easting
])
def test_sniff_coordinates_that_fit_no_chinese_zone(x, y) -> None:
    with pytest.raises(InputError, match="no Chinese zone|no Gauss-Krüger zone of China"):
        sniff_crs(x, x + 100, y, y + 100, what="odd.shp")


def test_sniff_mixed_prefixes() -> None:
    with pytest.raises(InputError, match="different zone prefixes"):
        sniff_crs(37_401_000, 38_401_000, 4_140_000, 4_140_100)


# ------------------------------------------------------------------------------------------------ parsing
@pytest.mark.parametrize("text,datum", [
    ("2000国家大地坐标系", "cgcs2000"), ("CGCS2000", "cgcs2000"), ("国家2000", "cgcs2000"),
    ("1980西安坐标系", "xian1980"), ("80国家大地坐标系", "xian1980"), ("西安80", "xian1980"),
    ("1954北京坐标系", "beijing1954"), ("北京54", "beijing1954"), ("Beijing 1954", "beijing1954"),
    ("WGS84坐标系", "wgs84"), ("", None), ("地方坐标系", None),
])
def test_parse_datum(text, datum) -> None:
    assert parse_datum(text) == datum


@pytest.mark.parametrize("text", [4526, "4526", "EPSG:4526", " epsg:4526 ",
                                  pyproj.CRS.from_epsg(4526).to_wkt()])
def test_parse_crs(text) -> None:
    assert epsg_of(parse_crs(text)) == 4526


@pytest.mark.parametrize("text", ["EPSG:99999", "foo", "+proj=nonsense"])
def test_parse_crs_unknown_is_a_usage_error(text) -> None:
    with pytest.raises(UsageError, match="unknown CRS"):
        parse_crs(text)


@pytest.mark.parametrize("code", [4490, 4526, 4546, 4497, 2382, 2401, 4610, 4214])
def test_epsg_of_esri_wkt(code) -> None:
    # ArcGIS writes .prj files in ESRI WKT (e.g. CGCS2000_3_Degree_GK_Zone_38)
    esri = pyproj.CRS.from_epsg(code).to_wkt("WKT1_ESRI")
    assert epsg_of(pyproj.CRS.from_wkt(esri)) == code


def test_datum_of() -> None:
    assert datum_of(pyproj.CRS.from_epsg(4490)) == "cgcs2000"
    assert datum_of(pyproj.CRS.from_epsg(4610)) == "xian1980"
    assert datum_of(pyproj.CRS.from_epsg(4214)) == "beijing1954"
    assert datum_of(pyproj.CRS.from_epsg(4326)) == "wgs84"
    assert datum_of(pyproj.CRS.from_epsg(4258)) is None  # ETRS89
    assert datum_of(None) is None


def test_parse_towgs84() -> None:
    assert parse_towgs84("15.8,-154.4,-82.3,0,0,0,0") == (15.8, -154.4, -82.3, 0, 0, 0, 0)
    assert parse_towgs84(" 1 ，2, 3,0.1,0.2,0.3,1.5") == (1, 2, 3, 0.1, 0.2, 0.3, 1.5)
    assert parse_towgs84("1,2,3") == (1, 2, 3)   # translation only, as PROJ's +towgs84 takes it
    assert parse_towgs84(None) is None
    for bad in ("1,2", "1,2,3,4", "1,2,3,4,5,6,7,8", "a,b,c,d,e,f,g", ",,,,,,", "1,2,3,4,5,6,nan"):
        with pytest.raises(UsageError, match="towgs84"):
            parse_towgs84(bad)


@pytest.mark.parametrize("source,width,prefixed,zone", [
    ("xian1980", 3, False, 37), ("xian1980", 3, True, 37), ("xian1980", 6, True, 19), ("xian1980", 6, False, 20),
    ("beijing1954", 3, True, 25), ("beijing1954", 3, False, 40),
])
def test_cgcs2000_counterpart_has_the_same_central_meridian(source, width, prefixed, zone) -> None:
    src = expected_epsg(source, width, prefixed, zone)
    dst = cgcs2000_counterpart(pyproj.CRS.from_epsg(src))
    assert dst == expected_epsg("cgcs2000", width, prefixed, zone)
    assert tmerc_params(dst) == tmerc_params(src)


def test_cgcs2000_counterpart_of_geographic_and_others() -> None:
    assert cgcs2000_counterpart(pyproj.CRS.from_epsg(4610)) == 4490
    assert cgcs2000_counterpart(pyproj.CRS.from_epsg(4214)) == 4490
    assert cgcs2000_counterpart(pyproj.CRS.from_epsg(4526)) is None
    assert cgcs2000_counterpart(None) is None


# ------------------------------------------------------------------------------ properties (hypothesis)
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
DATUMS = st.sampled_from([None, "cgcs2000", "wgs84", "xian1980", "beijing1954"])


@settings(max_examples=400, deadline=None)
@given(x0=ANY_FLOAT, x1=ANY_FLOAT, y0=ANY_FLOAT, y1=ANY_FLOAT, datum=DATUMS,
       zone=st.none() | st.integers(-5, 200), width=st.none() | st.sampled_from([3, 6]))
def test_sniff_never_crashes(x0, x1, y0, y1, datum, zone, width) -> None:
    """Any coordinates: an EPSG code PROJ knows, or an InputError asking for --crs; nothing else."""
    try:
        guess = sniff_crs(min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1), datum=datum, zone=zone,
                          width=width, what="x.shp")
    except InputError as exc:
        assert "x.shp" in str(exc) or "--crs" in str(exc) or "zone" in str(exc)
        return
    assert pyproj.CRS.from_epsg(guess.epsg) is not None
    assert guess.source in ("coordinates", "header")


@settings(max_examples=300, deadline=None)
@given(zone=st.integers(25, 45), dx=st.floats(100_000, 899_000), span=st.floats(0, 50_000),
       y=st.floats(1_000_000, 5_900_000), datum=st.sampled_from(["cgcs2000", "xian1980", "beijing1954"]))
def test_sniff_prefixed_3_degree_eastings_give_the_zone_of_the_prefix(zone, dx, span, y, datum) -> None:
    x = zone * 1_000_000 + dx
    assume(x + span < (zone + 1) * 1_000_000)
    guess = sniff_crs(x, x + span, y, y + 10, datum=datum)
    assert guess.epsg == expected_epsg(datum, 3, True, zone)
    cm, fe = tmerc_params(guess.epsg)
    assert cm == central_meridian(3, zone) and fe == zone * 1_000_000 + 500_000


@settings(max_examples=200, deadline=None)
@given(lon0=st.floats(73, 136), lon1=st.floats(73, 136), lat0=st.floats(3, 54), lat1=st.floats(3, 54))
def test_sniff_lonlat_inside_china_is_geographic_cgcs2000(lon0, lon1, lat0, lat1) -> None:
    guess = sniff_crs(min(lon0, lon1), max(lon0, lon1), min(lat0, lat1), max(lat0, lat1))
    assert guess.epsg == 4490 and guess.source == "coordinates"
