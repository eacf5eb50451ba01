"""国土TXT reader and writer (layers/guotu.py).

Areas asserted here come from hand arithmetic on the shapes written in the test (rectangles), from a
shoelace sum written in this file, or from the declared 地块面积 of the real shared samples; never from
the module's own output.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from redline.layers.errors import InputError, UsageError
from redline.layers.guotu import is_guotu, read_guotu, write_guotu
from redline.layers.info import layer_info

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "formats" / "guotu-txt-samples"


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared 国土TXT samples not found at {SAMPLES}")
    return SAMPLES


HEADER = ["[属性描述]", "格式版本号=1.01版本", "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格",
          "计量单位=米", "带号=38", "精度=0.001", "转换参数=,,,,,,", "[地块坐标]"]
# a 100 m x 100 m square in CGCS2000 3-degree zone 38, prefixed eastings (1 公顷)
SQUARE = ["5,1.0000,S1,方块地,面,,工业用地,,@",
          "J1,1,4140000.000,38401000.000",
          "J2,1,4140100.000,38401000.000",
          "J3,1,4140100.000,38401100.000",
          "J4,1,4140000.000,38401100.000",
          "J1,1,4140000.000,38401000.000"]


def write_lines(tmp_path: Path, lines: list[str], *, encoding: str = "utf-8", newline: str = "\r\n",
                name: str = "site.txt", final: bool = True) -> Path:
    path = tmp_path / name
    text = newline.join(lines) + (newline if final else "")
    path.write_bytes(text.encode(encoding))
    return path


def shoelace(points: list[tuple[float, float]]) -> float:
    """Absolute area of a ring given as (x, y) points (closing point optional)."""
    x = np.array([p[0] for p in points]) - points[0][0]  # shift to the first point: products of 8-digit
    y = np.array([p[1] for p in points]) - points[0][1]  # eastings and 7-digit northings lose centimetres
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))) / 2


def raw_rings(path: Path, encoding: str) -> list[dict[str, list[tuple[float, float]]]]:
    """Per parcel, the rings of a 国土TXT file as (easting, northing) points, read without the module."""
    text = path.read_bytes().decode(encoding)
    parcels: list[dict[str, list[tuple[float, float]]]] = []
    section = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.startswith("["):
            section = line
        elif section == "[地块坐标]" and line.endswith("@"):
            parcels.append({})
        elif section == "[地块坐标]" and line:
            _, ring, x, y = line.split(",")
            parcels[-1].setdefault(ring, []).append((float(y), float(x)))
    return parcels


def same_geometry(a, b, tol: float = 1e-3) -> bool:
    return bool(shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=tol))


# ------------------------------------------------------------------------------------- shared samples

SAMPLE_FACTS = {
    # file: (parcels, rings, parts, holes, EPSG, swapped, encoding)
    "six_degree_zone19_with_hole.txt": (1, [2], [1], [1], 4497, False, "utf-8"),
    "xian80_zone37_no_prefix_two_parcels.txt": (2, [1, 2], [1, 2], [0, 0], 2382, False, "utf-8"),
    "swapped_columns_bom_fullwidth.txt": (1, [1], [1], [0], 4526, True, "utf-8-sig"),
    "zhaoqing_one_parcel_ha.txt": (1, [1], [1], [0], 4526, False, "utf-8"),
    "five_parcels_gbk_crlf_m2.txt": (5, [1, 1, 2, 6, 2], [1, 1, 1, 5, 2], [0, 0, 1, 1, 0], 4525, False, "gbk"),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_FACTS))
def test_samples_structure_and_crs(samples, name):
    n, rings, parts, holes, epsg, swapped, encoding = SAMPLE_FACTS[name]
    gdf = read_guotu(samples / name)
    meta = layer_info(gdf)
    assert len(gdf) == n
    assert gdf["index"].tolist() == list(range(1, n + 1))
    assert gdf["rings"].tolist() == rings
    assert gdf["parts"].tolist() == parts
    assert gdf["holes"].tolist() == holes
    assert gdf.crs.to_epsg() == epsg
    assert meta.crs["epsg"] == epsg
    assert meta.format == "guotu-txt"
    assert meta.guotu["swapped"] is swapped
    assert meta.encoding["value"] == encoding
    assert shapely.is_valid(gdf.geometry.array).all()
    assert is_guotu(samples / name)


@pytest.mark.parametrize("name, areas", [
    ("six_degree_zone19_with_hole.txt", [200 * 150 - 50 * 40]),
    ("xian80_zone37_no_prefix_two_parcels.txt", [100 * 120, 50 * 100 + 50 * 50]),
    ("swapped_columns_bom_fullwidth.txt", [100 * 100]),
])
def test_made_up_samples_planar_area_exact(samples, name, areas):
    gdf = read_guotu(samples / name)
    assert gdf.area.tolist() == pytest.approx(areas, abs=1e-6)
    # the declared 公顷 values are the same areas
    assert [float(v) for v in gdf["declared_area"]] == pytest.approx([a / 10_000 for a in areas], abs=1e-9)


def test_six_degree_sample_header_and_attributes(samples):
    gdf = read_guotu(samples / "six_degree_zone19_with_hole.txt")
    row = gdf.iloc[0]
    assert (row["id"], row["name"], row["地块用途"], row["记录图形属性"]) == ("1", "带孔地块", "工业用地", "面")
    assert row["declared_area_text"] == "2.8000"
    assert row["ring_roles"] == "outer,hole"
    header = layer_info(gdf).guotu["header"]
    assert header["几度分带"] == "6" and header["带号"] == "19" and header["转换参数"] == ",,,,,,"
    assert layer_info(gdf).crs["source"] == "header"


def test_xian80_sample_kept_in_datum_with_warning(samples):
    gdf = read_guotu(samples / "xian80_zone37_no_prefix_two_parcels.txt")
    assert gdf.crs.to_epsg() == 2382
    assert any("1980西安坐标系" in w and "not converted" in w for w in layer_info(gdf).warnings)
    assert gdf["id"].tolist() == ["A-01", "A-02"]
    assert gdf["ring_roles"].tolist() == ["outer", "outer,part"]
    assert gdf.geom_type.tolist() == ["Polygon", "MultiPolygon"]


def test_swapped_sample(samples):
    gdf = read_guotu(samples / "swapped_columns_bom_fullwidth.txt")
    meta = layer_info(gdf)
    assert any("swapped" in w for w in meta.warnings)
    assert any("带号" in w for w in meta.warnings)  # zone taken from the prefix, said so
    xmin, ymin, xmax, ymax = gdf.total_bounds
    assert (xmin, ymin, xmax, ymax) == (38401000, 4140000, 38401100, 4140100)
    assert gdf.loc[0, "name"] == "交换列地块"


def test_zhaoqing_planar_area_matches_declared_hectares(samples):
    gdf = read_guotu(samples / "zhaoqing_one_parcel_ha.txt")
    row = gdf.iloc[0]
    assert row["declared_area"] == 8.7423
    # placeholders DKMC, TFH, DKYT, DLBM are empty fields
    assert row["name"] is None and row["图幅号"] is None and row["地块用途"] is None and row["地类编码"] is None
    assert row["id"] == "FID_0"
    # independent shoelace sum over the file's own numbers; coordinates are rounded to 1 mm, so the
    # area is known to within perimeter * 0.5 mm, plus the 0.00005 ha rounding of the declared value
    rings = raw_rings(samples / "zhaoqing_one_parcel_ha.txt", "utf-8")
    area = shoelace(rings[0]["1"])
    tol = 0.00005 + gdf.length.iloc[0] * 0.0005 / 10_000
    assert abs(area / 10_000 - 8.7423) <= tol
    assert gdf.area.iloc[0] == pytest.approx(area, abs=1e-6)


def test_five_parcels_areas_match_declared_square_metres(samples):
    path = samples / "five_parcels_gbk_crlf_m2.txt"
    gdf = read_guotu(path)
    declared = [109.43, 14969.76, 459.73, 989.25, 165.20]
    assert [float(v) for v in gdf["declared_area"]] == declared
    tol = gdf.length.to_numpy() * 0.0005 + 0.005  # 1 mm coordinates, 0.01 m2 declared values
    assert np.all(np.abs(gdf.area.to_numpy() - declared) <= tol)

    # parcel 4, ring by ring with an independent shoelace sum: rings 1, 2 separate parts; 3 outer;
    # 4 a hole in 3; 5 and 6 islands in the hole
    rings = raw_rings(path, "gbk")[3]
    a = {k: shoelace(v) for k, v in rings.items()}
    expected = a["1"] + a["2"] + a["3"] - a["4"] + a["5"] + a["6"]
    assert abs(expected - 989.25) <= tol[3]
    assert gdf.area.iloc[3] == pytest.approx(expected, abs=1e-6)
    assert gdf.loc[3, "ring_roles"] == "part,part,outer,hole,island,island"
    geom = gdf.geometry.iloc[3]
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 5
    assert sum(len(p.interiors) for p in geom.geoms) == 1
    # parcel 3: ring 2 is a hole, parcel 5: two separate parts
    assert gdf.loc[2, "ring_roles"] == "outer,hole"
    assert gdf.geometry.iloc[4].geom_type == "MultiPolygon"
    # 界址点数 equals the point lines in this file: no warning about it
    assert not any("界址点数" in w for w in layer_info(gdf).warnings)


# ------------------------------------------------------------------------------------- encodings, line ends

@pytest.mark.parametrize("encoding, expected", [
    ("gbk", "gbk"), ("gb18030", "gbk"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16")])
@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_encodings_and_line_endings(tmp_path, encoding, expected, newline):
    path = write_lines(tmp_path, HEADER + SQUARE, encoding=encoding, newline=newline)
    gdf = read_guotu(path)
    assert layer_info(gdf).encoding["value"] == expected
    assert gdf.loc[0, "name"] == "方块地"
    assert gdf.area.iloc[0] == 10_000
    assert gdf.crs.to_epsg() == 4526


def test_final_bare_cr_and_no_final_newline(tmp_path):
    lines = HEADER + SQUARE
    p1 = write_lines(tmp_path, lines, newline="\r\n", final=False, name="a.txt")
    p1.write_bytes(p1.read_bytes() + b"\r")
    p2 = write_lines(tmp_path, lines, newline="\n", final=False, name="b.txt")
    for p in (p1, p2):
        gdf = read_guotu(p)
        assert gdf.loc[0, "points"] == 5 and gdf.area.iloc[0] == 10_000


def test_encoding_override(tmp_path):
    path = write_lines(tmp_path, HEADER + SQUARE, encoding="gbk")
    gdf = read_guotu(path, encoding="gb18030")
    assert layer_info(gdf).encoding == {"value": "gb18030", "source": "user"}
    assert gdf.loc[0, "name"] == "方块地"
    with pytest.raises(InputError, match="utf-8"):
        read_guotu(path, encoding="utf-8")


def test_fullwidth_brackets_extra_sections_and_variant_header_keys(tmp_path):
    lines = ["【项目信息】", "项目名称=示范项目", "【属性描述】", "坐标系=CGCS2000", "分带=3度带", "带号=",
             "【地块坐标】"] + SQUARE
    gdf = read_guotu(write_lines(tmp_path, lines))
    meta = layer_info(gdf)
    assert meta.guotu["sections"]["项目信息"]["项目名称"] == "示范项目"
    assert meta.guotu["header"]["分带"] == "3度带"
    assert gdf.crs.to_epsg() == 4526
    assert meta.crs["source"] == "coordinates"  # 带号 empty: zone from the prefix


# ------------------------------------------------------------------------------------- CRS

def _square_lines(northing0: float, easting0: float) -> list[str]:
    pts = [(northing0, easting0), (northing0 + 100, easting0), (northing0 + 100, easting0 + 100),
           (northing0, easting0 + 100), (northing0, easting0)]
    return ["5,1.0,1,,面,,,,@"] + [f"J{k % 4 + 1},1,{n:.3f},{e:.3f}" for k, (n, e) in enumerate(pts)]


@pytest.mark.parametrize("header, easting, epsg, source", [
    (["坐标系=2000国家大地坐标系", "几度分带=3", "带号=37"], 37_465_000, 4525, "header"),
    (["坐标系=2000国家大地坐标系", "几度分带=3"], 37_465_000, 4525, "coordinates"),
    (["坐标系=2000国家大地坐标系", "几度分带=3", "带号=37"], 465_000, 4546, "header"),
    (["坐标系=2000国家大地坐标系", "几度分带=6", "带号=19"], 19_512_000, 4497, "header"),
    (["坐标系=2000国家大地坐标系", "几度分带=6", "带号=19"], 512_000, 4508, "header"),
    (["坐标系=1980西安坐标系", "几度分带=3", "带号=37"], 37_465_000, 2361, "header"),
    (["坐标系=1954北京坐标系", "几度分带=3", "带号=37"], 465_000, 2434, "header"),
    (["坐标系=80国家大地坐标系", "几度分带=3", "带号=37"], 465_000, 2382, "header"),
])
def test_crs_from_header_and_prefix(tmp_path, header, easting, epsg, source):
    lines = ["[属性描述]", *header, "[地块坐标]", *_square_lines(4_160_000, easting)]
    gdf = read_guotu(write_lines(tmp_path, lines))
    assert gdf.crs.to_epsg() == epsg
    assert layer_info(gdf).crs["source"] == source


def test_prefix_contradicting_zone_is_an_error_resolved_with_crs(tmp_path):
    lines = ["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=3", "带号=38", "[地块坐标]",
             *_square_lines(4_160_000, 37_465_000)]
    path = write_lines(tmp_path, lines)
    with pytest.raises(InputError, match=r"带号=38 in the header contradicts the easting prefix 37.*EPSG:4525"):
        read_guotu(path)
    # the user decides: zone 37 as the prefix says (EPSG 4488 + 37, the domain table)
    gdf = read_guotu(path, crs="EPSG:4525")
    assert gdf.crs.to_epsg() == 4525


def test_unprefixed_without_zone_asks_for_crs(tmp_path):
    lines = ["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=3", "[地块坐标]", *_square_lines(4_160_000, 465_000)]
    path = write_lines(tmp_path, lines)
    with pytest.raises(InputError, match="--crs") as exc:
        read_guotu(path)
    assert exc.value.path == str(path)
    gdf = read_guotu(path, crs="EPSG:4546")
    assert gdf.crs.to_epsg() == 4546
    assert layer_info(gdf).crs["source"] == "user"


def test_user_crs_overrides_header(tmp_path):
    gdf = read_guotu(write_lines(tmp_path, HEADER + SQUARE), crs=4526)
    assert layer_info(gdf).crs == {"epsg": 4526, "name": gdf.crs.name, "source": "user"}
    with pytest.raises(UsageError):
        read_guotu(write_lines(tmp_path, HEADER + SQUARE), crs="not a crs")


def test_swapped_unprefixed_columns_detected(tmp_path):
    lines = ["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=3", "带号=37", "[地块坐标]", "5,1.0,1,,面,,,,@",
             "J1,1,465000.000,4160000.000", "J2,1,465000.000,4160100.000", "J3,1,465100.000,4160100.000",
             "J4,1,465100.000,4160000.000", "J1,1,465000.000,4160000.000"]
    gdf = read_guotu(write_lines(tmp_path, lines))
    assert layer_info(gdf).guotu["swapped"] is True
    assert tuple(gdf.total_bounds) == (465000, 4160000, 465100, 4160100)


# ------------------------------------------------------------------------------------- parcel lines

def test_field_variants_placeholders_and_extras(tmp_path):
    body = SQUARE[1:]
    lines = HEADER + [
        "5,1.0000,A,甲地块,面,,工业用地,@", *body,                     # 7 fields
        "5,1.0000,B,乙地块,面, ,DKYT,0601,水田,1,2,3,备注文字,@", *body,  # 13 fields
        "5,,C,DKMC,面,TFH,DKYT,DLBM,@", *body,                     # empty area, placeholders
        "5,约一公顷,D,丁,面,,,,@", *body,                            # text area
    ]
    gdf = read_guotu(write_lines(tmp_path, lines))
    assert gdf["id"].tolist() == ["A", "B", "C", "D"]
    assert gdf["name"].tolist() == ["甲地块", "乙地块", None, "丁"]
    assert gdf.loc[0, "地块用途"] == "工业用地" and gdf.loc[0, "地类编码"] is None
    assert gdf.loc[1, "图幅号"] is None and gdf.loc[1, "地块用途"] is None and gdf.loc[1, "地类编码"] == "0601"
    assert [gdf.loc[1, f"字段{k}"] for k in range(9, 14)] == ["水田", "1", "2", "3", "备注文字"]
    assert gdf.loc[0, "字段9"] is None
    assert gdf["declared_area"].tolist() == [1.0, 1.0, None, None]
    assert gdf["declared_area_text"].tolist() == ["1.0000", "1.0000", "", "约一公顷"]
    warnings = layer_info(gdf).warnings
    assert any("parcel 3" in w and "empty" in w for w in warnings)
    assert any("parcel 4" in w and "not a number" in w for w in warnings)
    assert (gdf.area == 10_000).all()


def test_closing_point_renumbered_missing_and_point_counts(tmp_path):
    lines = HEADER + [
        "5,1.0,renumbered,,面,,,,@", *SQUARE[1:5], "J5,1,4140000.000,38401000.000",
        "4,1.0,open,,面,,,,@", *SQUARE[1:5],
        "0,1.0,zero,,面,,,,@", *SQUARE[1:],
        "4,1.0,without-closing,,面,,,,@", *SQUARE[1:],
    ]
    gdf = read_guotu(write_lines(tmp_path, lines))
    assert (gdf.area == 10_000).all()
    assert gdf["rings"].tolist() == [1, 1, 1, 1]
    warnings = layer_info(gdf).warnings
    assert any("parcel 2" in w and "not closed" in w for w in warnings)
    assert any("parcel 3" in w and "界址点数=0" in w for w in warnings)
    assert not any("parcel 1 " in w or "parcel 4 " in w for w in warnings)


def _ring(e0, n0, e1, n1, cw=True):
    """Rectangle ring as (northing, easting) points, clockwise or not on a north-up map."""
    pts = [(n0, e0), (n1, e0), (n1, e1), (n0, e1)]
    if not cw:
        pts = pts[::-1]
    return pts + pts[:1]


def _parcel_lines(rings):
    out, k = [], 0
    for r, pts in enumerate(rings, start=1):
        for n, e in pts:
            k += 1
            out.append(f"J{k},{r},{4_140_000 + n:.3f},{38_400_000 + e:.3f}")
    return [f"{len(out)},,P,,面,,,,@", *out]


@pytest.mark.parametrize("cw_outer", [True, False])
def test_ring_classification_is_by_containment_not_orientation(tmp_path, cw_outer):
    # outer 0..1000 x 0..1000, hole 100..900, island 200..800 in the hole, hole 300..700 in the island,
    # a separate part 2000..2100, all written with the same orientation
    rings = [_ring(2000, 0, 2100, 100, cw_outer), _ring(200, 200, 800, 800, cw_outer),
             _ring(0, 0, 1000, 1000, cw_outer), _ring(100, 100, 900, 900, cw_outer),
             _ring(300, 300, 700, 700, cw_outer)]
    gdf = read_guotu(write_lines(tmp_path, HEADER + _parcel_lines(rings)))
    row = gdf.iloc[0]
    assert row["ring_roles"] == "part,island,outer,hole,hole"
    assert (row["rings"], row["parts"], row["holes"]) == (5, 3, 2)
    expected = 100 * 100 + (600 * 600 - 400 * 400) + (1000 * 1000 - 800 * 800)
    assert gdf.area.iloc[0] == expected
    assert gdf.geometry.iloc[0].is_valid


def test_two_rings_under_one_ring_number(tmp_path):
    rings = [_ring(0, 0, 100, 100) + _ring(200, 0, 300, 100)]
    gdf = read_guotu(write_lines(tmp_path, HEADER + _parcel_lines(rings)))
    assert (gdf.loc[0, "rings"], gdf.loc[0, "parts"]) == (2, 2)
    assert gdf.area.iloc[0] == 20_000
    assert any("圈号 1 holds 2 rings" in w for w in layer_info(gdf).warnings)


def test_line_and_point_parcels(tmp_path):
    lines = HEADER + ["2,,L1,道路,线,,,,@", "J1,1,4140000.000,38401000.000", "J2,1,4140300.000,38401400.000",
                      "1,,P1,井,点,,,,@", "J1,1,4140000.000,38401000.000"]
    gdf = read_guotu(write_lines(tmp_path, lines))
    assert gdf.geom_type.tolist() == ["LineString", "Point"]
    assert gdf.length.iloc[0] == 500  # 300-400-500 triangle
    assert gdf.geometry.iloc[1].equals(Point(38401000, 4140000))


# ------------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("lines, line_no, message", [
    (HEADER[:-1] + SQUARE, None, "no \\[地块坐标\\] section"),
    (HEADER + SQUARE[1:] , 11, "point line before any parcel line"),
    (HEADER + SQUARE[:2] + ["J2,1,4140100.00O,38401000.000"] + SQUARE[3:], 13, "non-numeric coordinate"),
    (HEADER + SQUARE[:3] + ["J3,1,4140000.000,38401000.000"], 12, "2 distinct point"),
    (HEADER + ["5,1.0000,S1,方块地,面,,,,"] + SQUARE[1:], 11, "does not end with ',@'"),
    (HEADER + SQUARE[:2] + ["J2,1,4140100.000"] + SQUARE[3:], 13, "expected 点号,圈号,X,Y"),
    (HEADER, 10, "no parcel line"),
    (HEADER + SQUARE[:1], 11, "without point lines"),
])
def test_malformed_lines_name_the_line(tmp_path, lines, line_no, message):
    path = write_lines(tmp_path, lines)
    with pytest.raises(InputError, match=message) as exc:
        read_guotu(path)
    assert exc.value.path == str(path)
    assert exc.value.line == line_no
    if line_no is not None:
        assert f"line {line_no}:" in str(exc.value)


@pytest.mark.parametrize("content, message", [
    (b"", "empty \\(0 bytes\\)"),
    (b"  \r\n\r\n  \n", "no text"),
    (bytes(range(256)) * 8, "binary"),
    (b"\x81\x30\xff\xfe\xfd\x80\x80\xa0" * 64, "not a text file"),
    ("一些说明文字\n没有任何小节\n".encode(), "no \\[地块坐标\\] section"),
])
def test_empty_binary_and_foreign_files(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as exc:
        read_guotu(path)
    assert str(path) in str(exc.value)
    assert not is_guotu(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_guotu(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="folder"):
        read_guotu(tmp_path)
    assert not is_guotu(tmp_path / "nope.txt")


def test_is_guotu_on_each_encoding(tmp_path):
    for enc in ("gbk", "utf-8", "utf-8-sig", "utf-16"):
        assert is_guotu(write_lines(tmp_path, HEADER + SQUARE, encoding=enc, name=f"{enc}.txt"))
    plain = tmp_path / "plain.txt"
    plain.write_text("x,y\n1,2\n", encoding="utf-8")
    assert not is_guotu(plain)


# ------------------------------------------------------------------------------------- writer

E0, N0 = 38_401_000.0, 4_140_000.0


def _layer(geoms, crs=4526, **columns):
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=crs)


def _complex_polygon():
    """Outer 300 x 200 m with a 200 x 100 m hole holding a 50 x 40 m island, plus a 30 x 30 m part."""
    outer = Polygon(box(E0, N0, E0 + 300, N0 + 200).exterior.coords,
                    [box(E0 + 50, N0 + 50, E0 + 250, N0 + 150).exterior.coords])
    island = box(E0 + 100, N0 + 80, E0 + 150, N0 + 120)
    part = box(E0 + 400, N0, E0 + 430, N0 + 30)
    return MultiPolygon([outer, island, part]), 300 * 200 - 200 * 100 + 50 * 40 + 30 * 30


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_round_trip(tmp_path, encoding):
    multi, area = _complex_polygon()
    simple = box(E0 + 1000, N0, E0 + 1100.5, N0 + 100)
    gdf = _layer([multi, simple], id=["A-1", "A-2"], name=["复杂地块", "简单,地块"], type=["工业用地", None])
    path = tmp_path / "out.txt"
    result = write_guotu(gdf, path, encoding=encoding, producer="示范县自然资源局", date="2026-11-20")
    assert result["epsg"] == 4526 and result["zone"] == 38 and result["parcels"] == 2

    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") and b"\r\n" in data
    text = data.decode(encoding)
    assert "数据产生单位=示范县自然资源局" in text and "带号=38" in text and "数据产生日期=2026-11-20" in text

    back = read_guotu(path)
    assert layer_info(back).encoding["value"] == encoding
    assert back.crs.to_epsg() == 4526
    assert layer_info(back).warnings == []
    assert same_geometry(back.geometry.iloc[0], multi)
    assert same_geometry(back.geometry.iloc[1], simple)
    assert back["id"].tolist() == ["A-1", "A-2"]
    assert back["name"].tolist() == ["复杂地块", "简单，地块"]  # an ASCII comma would split the field
    assert back["地块用途"].tolist() == ["工业用地", None]
    assert back["declared_area"].tolist() == [round(area / 10_000, 4), round(100.5 * 100 / 10_000, 4)]
    assert back.loc[0, "ring_roles"] == "outer,hole,island,part"
    assert (back.loc[0, "parts"], back.loc[0, "holes"]) == (3, 1)


def test_written_file_conventions(tmp_path):
    multi, _ = _complex_polygon()
    # feed the writer counter-clockwise outer rings and clockwise holes: it must reorient them
    gdf = _layer([shapely.orient_polygons(multi, exterior_cw=False)])
    path = tmp_path / "out.txt"
    write_guotu(gdf, path, date="2026-11-20")
    text = path.read_bytes().decode("gbk")
    body = text.split("[地块坐标]\r\n")[1].strip("\r\n").split("\r\n")
    parcel, points = body[0].split(","), [p.split(",") for p in body[1:]]
    assert parcel[0] == str(len(points)) and parcel[-1] == "@" and len(parcel) == 9
    assert parcel[4] == "面" and parcel[2] == "1"  # no id column: the row number
    rings: dict[str, list[list[str]]] = {}
    for p in points:
        rings.setdefault(p[1], []).append(p)
    assert list(rings) == ["1", "2", "3", "4"]
    signs = []
    for pts in rings.values():
        assert pts[0][0] == pts[-1][0] and pts[0][2:] == pts[-1][2:]  # closed, closing repeats the name
        for _, _, x, y in pts:
            assert len(x.split(".")[1]) == 3 and len(y.split(".")[1]) == 3
            assert y.startswith("38") and len(y.split(".")[0]) == 8
        e = np.array([float(p[3]) for p in pts])
        n = np.array([float(p[2]) for p in pts])
        signs.append(np.sign(np.dot(e[:-1], n[1:]) - np.dot(e[1:], n[:-1])))  # > 0: counter-clockwise
    assert signs == [-1, 1, -1, -1]  # outer cw, hole ccw, island and part (outer rings) cw
    names = [p[0] for pts in rings.values() for p in pts[:-1]]  # without the closing points
    assert names == [f"J{k}" for k in range(1, len(names) + 1)]


def test_writer_reprojects_from_geographic_to_the_zone_of_the_centroid(tmp_path):
    # about 100 m x 100 m near 111.5E 37.5N: zone 37 (CM 111E), EPSG:4525
    geo = _layer([box(111.5, 37.5, 111.5011, 37.5009)], crs=4490)
    path = tmp_path / "geo.txt"
    result = write_guotu(geo, path)
    assert (result["zone"], result["epsg"]) == (37, 4525)
    back = read_guotu(path)
    assert back.crs.to_epsg() == 4525
    expected = geo.to_crs(4525).geometry.iloc[0]
    assert same_geometry(back.geometry.iloc[0], expected)
    # forced zone 38
    result = write_guotu(geo, tmp_path / "z38.txt", zone=38)
    assert result["epsg"] == 4526
    assert read_guotu(tmp_path / "z38.txt").crs.to_epsg() == 4526


def test_writer_keeps_xian80_in_its_datum(tmp_path, samples):
    gdf = read_guotu(samples / "xian80_zone37_no_prefix_two_parcels.txt")
    with pytest.raises(InputError, match="not convert"):
        write_guotu(gdf, tmp_path / "x.txt")
    write_guotu(gdf, tmp_path / "x.txt", datum="xian1980")
    back = read_guotu(tmp_path / "x.txt")
    assert back.crs.to_epsg() == 2361  # Xi'an 1980 3-degree zone 37 with prefix
    assert back.area.tolist() == pytest.approx([12000, 7500], abs=1e-6)
    assert [float(v) for v in back["declared_area"]] == [1.2, 0.75]


def test_writer_round_trips_the_five_parcels_sample(tmp_path, samples):
    gdf = read_guotu(samples / "five_parcels_gbk_crlf_m2.txt")
    write_guotu(gdf, tmp_path / "five.txt")
    back = read_guotu(tmp_path / "five.txt")
    assert back["ring_roles"].tolist() == ["outer", "outer", "outer,hole", "part,part,outer,hole,island,island",
                                           "part,outer"]
    for a, b in zip(gdf.geometry, back.geometry, strict=True):
        assert same_geometry(a, b)
    # hectares of the declared square metres, to 4 decimals
    assert back["declared_area"].tolist() == [round(a / 10_000, 4) for a in gdf.area]


@pytest.mark.parametrize("geoms, crs, message", [
    ([LineString([(E0, N0), (E0 + 10, N0)])], 4526, "must be polygons"),
    ([Point(E0, N0)], 4526, "must be polygons"),
    ([box(E0, N0, E0 + 1, N0 + 1)], None, "no CRS"),
    ([], 4526, "no features"),
    ([Polygon()], 4526, "empty"),
    ([box(E0, N0, E0 + 0.0004, N0 + 0.0004)], 4526, "millimetre"),
])
def test_writer_rejects_bad_layers(tmp_path, geoms, crs, message):
    path = tmp_path / "bad.txt"
    with pytest.raises(InputError, match=message):
        write_guotu(gpd.GeoDataFrame(geometry=geoms, crs=crs), path)
    assert not path.exists()


def test_writer_is_all_or_nothing_and_checks_options(tmp_path):
    path = tmp_path / "site.txt"
    path.write_bytes(b"old content")
    gdf = _layer([box(E0, N0, E0 + 10, N0 + 10), box(E0 + 20, N0, E0 + 30, N0 + 10)], name=["好", "😀"])
    with pytest.raises(InputError, match="gbk") as exc:
        write_guotu(gdf, path)
    assert exc.value.feature == 2
    assert path.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["site.txt"]
    write_guotu(gdf, path, encoding="utf-8")
    assert read_guotu(path)["name"].tolist() == ["好", "😀"]
    with pytest.raises(UsageError):
        write_guotu(gdf, path, encoding="latin-1")
    with pytest.raises(UsageError):
        write_guotu(gdf, path, datum="wgs84")
    with pytest.raises(UsageError, match="zone 19"):
        write_guotu(gdf, path, zone=19)


# ------------------------------------------------------------------------------------- property test

MM = st.integers


@st.composite
def parcels(draw):
    """A rectangle (sizes in mm), maybe with a hole, an island in the hole and a separate part;
    returns the geometry in EPSG:4526 and its area by hand arithmetic (m2)."""
    e = draw(MM(400_000_000, 600_000_000)) + 38_000_000_000
    n = draw(MM(2_000_000_000, 5_000_000_000))
    w, h = draw(MM(1_000, 800_000)), draw(MM(1_000, 800_000))
    shell = box(e, n, e + w, n + h)
    area = w * h
    parts = []
    holes = []
    if w >= 40 and h >= 40 and draw(st.booleans()):
        hx0, hx1 = sorted(draw(st.lists(MM(1, w - 1), min_size=2, max_size=2, unique=True)))
        hy0, hy1 = sorted(draw(st.lists(MM(1, h - 1), min_size=2, max_size=2, unique=True)))
        holes.append(box(e + hx0, n + hy0, e + hx1, n + hy1).exterior.coords)
        area -= (hx1 - hx0) * (hy1 - hy0)
        if hx1 - hx0 >= 3 and hy1 - hy0 >= 3 and draw(st.booleans()):
            ix0, ix1 = sorted(draw(st.lists(MM(hx0 + 1, hx1 - 1), min_size=2, max_size=2, unique=True)))
            iy0, iy1 = sorted(draw(st.lists(MM(hy0 + 1, hy1 - 1), min_size=2, max_size=2, unique=True)))
            parts.append(box(e + ix0, n + iy0, e + ix1, n + iy1))
            area += (ix1 - ix0) * (iy1 - iy0)
    parts.insert(0, Polygon(shell.exterior.coords, holes))
    if draw(st.booleans()):
        pw, ph = draw(MM(1_000, 100_000)), draw(MM(1_000, 100_000))
        parts.append(box(e + w + 1_000, n, e + w + 1_000 + pw, n + ph))
        area += pw * ph
    geom = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    geom = shapely.transform(geom, lambda c: c / 1000)  # millimetres to metres
    return geom, area / 1e6


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parcels(), st.sampled_from(["gbk", "utf-8"]))
def test_property_write_read_same_geometry_and_area(tmp_path, parcel, encoding):
    geom, area = parcel
    path = tmp_path / f"p_{encoding}.txt"
    write_guotu(_layer([geom]), path, encoding=encoding)
    back = read_guotu(path)
    got = back.geometry.iloc[0]
    assert same_geometry(got, geom)
    assert got.area == pytest.approx(area, abs=1e-4)  # GEOS float error at 8-digit eastings ~1e-6 m2
    assert abs(float(back["declared_area"].iloc[0]) - area / 10_000) <= 0.00005 + 1e-9
    assert back.loc[0, "parts"] == (len(geom.geoms) if geom.geom_type == "MultiPolygon" else 1)


@st.composite
def convex_with_hole(draw):
    """A convex polygon on a 1 m grid with a hole: the polygon scaled by 1/2 about its centroid."""
    pts = draw(st.lists(st.tuples(MM(0, 500), MM(0, 500)), min_size=3, max_size=12, unique=True))
    hull = shapely.convex_hull(shapely.multipoints(np.array(pts, dtype=float)))
    assume(hull.geom_type == "Polygon" and hull.area >= 100)
    hull = shapely.affinity.translate(hull, 38_401_000, 4_140_000)
    hole = shapely.affinity.scale(hull, 0.5, 0.5, origin="centroid")
    return Polygon(hull.exterior.coords, [hole.exterior.coords])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(convex_with_hole())
def test_property_convex_polygon_with_hole(tmp_path, geom):
    path = tmp_path / "convex.txt"
    write_guotu(_layer([geom]), path)
    got = read_guotu(path).geometry.iloc[0]
    assert same_geometry(got, geom)
    # a hole scaled by 1/2 has a quarter of the area: 3/4 of the hull remains
    hull_area = Polygon(geom.exterior.coords).area
    assert got.area == pytest.approx(0.75 * hull_area, abs=geom.length * 0.0005 + 1e-4)


def test_self_crossing_and_collinear_rings_are_read_with_a_warning(tmp_path):
    bowtie = ["5,,B,,面,,,,@", "J1,1,4140000,38401000", "J2,1,4140100,38401100", "J3,1,4140000,38401100",
              "J4,1,4140100,38401000", "J1,1,4140000,38401000"]
    flat = ["4,,F,,面,,,,@", "J1,1,4140000,38401000", "J2,1,4140050,38401050", "J3,1,4140100,38401100",
            "J1,1,4140000,38401000"]
    gdf = read_guotu(write_lines(tmp_path, HEADER + bowtie + flat))
    assert gdf.is_valid.tolist() == [False, False]
    warnings = layer_info(gdf).warnings
    assert any("parcel 1" in w and "crosses or touches itself" in w for w in warnings)
    assert any("parcel 2" in w and "collinear" in w for w in warnings)


@pytest.mark.parametrize("precision, expected", [("0.001", 0.001), ("3", 0.001), ("0.01", 0.01), ("", None)])
def test_precision_and_transformation_parameters(tmp_path, precision, expected):
    header = ["[属性描述]", "坐标系=2000国家大地坐标系", "带号=38", f"精度={precision}",
              "转换参数=1.2,3.4,,,,,", "[地块坐标]"]
    gdf = read_guotu(write_lines(tmp_path, header + SQUARE))
    got = layer_info(gdf).guotu["precision"]
    assert (got is None) if expected is None else got == pytest.approx(expected)
    assert any("转换参数" in w and "not applied" in w for w in layer_info(gdf).warnings)
