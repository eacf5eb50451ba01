"""``redline inspect`` (spatial/inspect.py, redline/commands/inspect.py) and the bad-input cases of the CLI.

Expected numbers: planar areas of the made-up 国土TXT samples by hand from their coordinates (rectangles),
the real samples' declared 地块面积, EPSG codes from the domain table (zone N → 4488 + N, ...), and
ellipsoidal areas from GeographicLib (``pyproj.Geod``) on the boundary densified in the plane.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import Point, Polygon, box

from redline.cli import main
from redline.layers.guotu import read_guotu

INSPECT_KEYS = ["path", "format", "encoding", "crs", "features", "geometry_types", "invalid", "bounds_lonlat",
                "area_m2", "warnings"]
PARCEL_KEYS = ["index", "id", "name", "rings", "parts", "holes", "declared_area", "declared_unit",
               "area_m2_planar", "area_m2_ellipsoidal", "declared_matches"]
SAMPLES = ["five_parcels_gbk_crlf_m2.txt", "six_degree_zone19_with_hole.txt", "swapped_columns_bom_fullwidth.txt",
           "xian80_zone37_no_prefix_two_parcels.txt", "zhaoqing_one_parcel_ha.txt"]

# made-up samples: planar areas by hand from the coordinates in the files (m²), and the EPSG code
MADE_UP = {
    # 200 m x 150 m with a 50 m x 40 m hole; CGCS2000 6-degree zone 19, prefixed: 4491 + (19 - 13)
    "six_degree_zone19_with_hole.txt": ([200 * 150 - 50 * 40], 4491 + 19 - 13),
    # 120 m x 100 m; then two parts 100 m x 50 m and 50 m x 50 m; Xi'an 1980 3-degree zone 37, no prefix
    "xian80_zone37_no_prefix_two_parcels.txt": ([120 * 100, 100 * 50 + 50 * 50], 2370 + 37 - 25),
    # a 100 m square; CGCS2000 3-degree zone 38 from the easting prefix
    "swapped_columns_bom_fullwidth.txt": ([100 * 100], 4488 + 38),
}
# the real samples' declared 地块面积 as written in the files
DECLARED = {
    "five_parcels_gbk_crlf_m2.txt": ("m2", [109.43, 14969.76, 459.73, 989.25, 165.20]),
    "zhaoqing_one_parcel_ha.txt": ("ha", [8.7423]),
}


def run(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    return result


def one_json_object(stdout: str) -> dict:
    """The single JSON object stdout must hold: nothing before or after it."""
    text = stdout.strip()
    obj, end = json.JSONDecoder().raw_decode(text)
    assert end == len(text), f"more than one JSON value on stdout: {text[end:end + 80]!r}"
    assert isinstance(obj, dict)
    return obj


def geod_area(geom, crs: pyproj.CRS, step: float = 10.0) -> float:
    """Ellipsoidal area with GeographicLib: edges densified to ``step`` metres in the plane, vertices
    inverse-projected to the CRS's own ellipsoid, outer rings minus holes."""
    geod = pyproj.Geod(a=crs.ellipsoid.semi_major_metre, rf=crs.ellipsoid.inverse_flattening)
    to_ll = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    total = 0.0
    for part in shapely.get_parts(geom):
        for k, ring in enumerate([part.exterior, *part.interiors]):
            xy = shapely.get_coordinates(shapely.segmentize(ring, step))
            lon, lat = to_ll.transform(xy[:, 0], xy[:, 1])
            area, _ = geod.polygon_area_perimeter(lon, lat)
            total += abs(area) if k == 0 else -abs(area)
    return total


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    from conftest import GUOTU_SAMPLES

    if not GUOTU_SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {GUOTU_SAMPLES}")
    out = {}
    for name in SAMPLES:
        result = run("inspect", str(GUOTU_SAMPLES / name), "--json")
        assert result.exit_code == 0, result.stderr
        out[name] = {"json": one_json_object(result.stdout), "stderr": result.stderr}
    return out


@pytest.mark.parametrize("name", SAMPLES)
def test_inspect_json_contract(reports, name) -> None:
    r = reports[name]["json"]
    assert all(k in r for k in INSPECT_KEYS)
    assert r["path"].endswith(name) and r["format"] == "guotu-txt"
    assert set(r["encoding"]) >= {"value", "source"} and r["encoding"]["value"] and r["encoding"]["source"]
    assert set(r["crs"]) >= {"epsg", "name", "source"}
    assert set(r["area_m2"]) == {"ellipsoidal", "planar", "counts_overlaps"}   # a sum over features
    assert r["features"] == len(r["parcels"]) and r["invalid"] == 0
    assert r["geometry_types"] and set(r["geometry_types"]) <= {"Polygon", "MultiPolygon"}
    lon0, lat0, lon1, lat1 = r["bounds_lonlat"]
    assert 73 < lon0 <= lon1 < 136 and 3 < lat0 <= lat1 < 54
    for i, p in enumerate(r["parcels"], start=1):
        assert all(k in p for k in PARCEL_KEYS)
        assert p["index"] == i
        assert p["declared_unit"] in ("ha", "m2", "unknown")
        assert p["declared_matches"] in ("planar", "ellipsoidal", "none", "n/a")
        assert p["declared_unit_note"]  # the inference is said
    assert r["area_m2"]["planar"] == pytest.approx(sum(p["area_m2_planar"] for p in r["parcels"]), rel=1e-12)
    assert r["area_m2"]["ellipsoidal"] == pytest.approx(sum(p["area_m2_ellipsoidal"] for p in r["parcels"]),
                                                        rel=1e-12)


@pytest.mark.parametrize("name", sorted(MADE_UP))
def test_inspect_made_up_samples(reports, name) -> None:
    r = reports[name]["json"]
    areas, epsg = MADE_UP[name]
    assert [p["area_m2_planar"] for p in r["parcels"]] == pytest.approx(areas, abs=1e-6)
    assert r["crs"]["epsg"] == epsg
    assert r["crs"]["name"] == pyproj.CRS.from_epsg(epsg).name
    assert [p["declared_matches"] for p in r["parcels"]] == ["planar"] * len(areas)
    assert [p["declared_unit"] for p in r["parcels"]] == ["ha"] * len(areas)
    assert [p["declared_area"] * 10_000 for p in r["parcels"]] == pytest.approx(areas)


def test_inspect_made_up_sample_structure(reports) -> None:
    hole = reports["six_degree_zone19_with_hole.txt"]["json"]["parcels"][0]
    assert (hole["rings"], hole["parts"], hole["holes"]) == (2, 1, 1)
    two = reports["xian80_zone37_no_prefix_two_parcels.txt"]["json"]
    assert [(p["id"], p["name"], p["parts"]) for p in two["parcels"]] == [("A-01", "一号地块", 1), ("A-02", "二号地块", 2)]
    assert any("1980西安坐标系" in w and "not converted" in w for w in two["warnings"])
    swapped = reports["swapped_columns_bom_fullwidth.txt"]["json"]
    assert swapped["crs"]["source"] == "coordinates"
    assert swapped["encoding"]["value"] == "utf-8-sig" and "byte-order mark" in swapped["encoding"]["source"]
    assert any("columns swapped" in w for w in swapped["warnings"])


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_inspect_real_samples_declared_units(reports, name) -> None:
    r = reports[name]["json"]
    unit, declared = DECLARED[name]
    factor = 10_000 if unit == "ha" else 1
    assert [p["declared_unit"] for p in r["parcels"]] == [unit] * len(declared)
    assert [p["declared_area"] for p in r["parcels"]] == pytest.approx(declared)
    assert [p["declared_matches"] for p in r["parcels"]] == ["planar"] * len(declared)
    for p, d in zip(r["parcels"], declared, strict=True):
        # the declared value is the planar area, to its rounding plus millimetre coordinates
        assert abs(p["area_m2_planar"] - d * factor) <= 0.5 * factor * 10 ** -(2 if unit == "m2" else 4) + 0.1
    assert r["crs"]["epsg"] == 4488 + (37 if name.startswith("five") else 38)


def test_five_parcels_encoding_and_structure(reports) -> None:
    r = reports["five_parcels_gbk_crlf_m2.txt"]["json"]
    assert r["encoding"]["value"] == "gbk" and "not as UTF-8" in r["encoding"]["source"]
    assert [p["rings"] for p in r["parcels"]] == [1, 1, 2, 6, 2]


# GeographicLib sums per-edge areas measured from the equator: on parcels of 100-200 m² its own rounding is
# a few 1e-5 m² (its result moves by that much when the same boundary is densified differently), so the
# tolerance is 1e-7 relative plus 1e-4 m².
GEOD_FLOOR_M2 = 1e-4
PARCELS = [(name, i) for name, n in [("five_parcels_gbk_crlf_m2.txt", 5), ("six_degree_zone19_with_hole.txt", 1),
                                     ("swapped_columns_bom_fullwidth.txt", 1),
                                     ("xian80_zone37_no_prefix_two_parcels.txt", 2),
                                     ("zhaoqing_one_parcel_ha.txt", 1)] for i in range(n)]
@pytest.mark.parametrize("name,i", PARCELS)
def test_inspect_ellipsoidal_area_agrees_with_geographiclib(reports, shared_samples, name, i) -> None:
    p = reports[name]["json"]["parcels"][i]
    gdf = read_guotu(shared_samples / name)
    # the official edge is straight in the Gauss-Krüger plane: densify the reference finely there
    expected = geod_area(gdf.geometry.iloc[i], gdf.crs, step=10.0)
    assert abs(p["area_m2_ellipsoidal"] - expected) <= 1e-7 * expected + GEOD_FLOOR_M2
    # Gauss-Krüger planar area overstates (the scale factor is >= 1)
    assert p["area_m2_ellipsoidal"] < p["area_m2_planar"]


def test_inspect_text_output(tmp_path) -> None:
    path = tmp_path / "红线.shp"
    gdf = gpd.GeoDataFrame({"HXMC": ["汾河湿地"]}, geometry=[box(38_401_000, 4_140_000, 38_401_100, 4_140_100)],
                           crs=4526)
    pyogrio.write_dataframe(gdf, path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    result = run("inspect", str(path))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "ESRI Shapefile" in out and "gbk" in out and "no .cpg" in out
    assert "EPSG:4526" in out and "(file)" in out
    assert "1  Polygon" in out
    assert "平面面积:         10000.00 m² = 1.0000 公顷" in out


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_inspect_json_of_a_gbk_shapefile_without_prj(tmp_path) -> None:
    path = tmp_path / "site.shp"
    square = box(38_401_000, 4_140_000, 38_401_100, 4_140_100)
    pyogrio.write_dataframe(gpd.GeoDataFrame({"项目名称": ["测试项目"]}, geometry=[square]), path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    r = one_json_object(run("inspect", str(path), "--json").stdout)
    assert r["encoding"]["value"] == "gbk" and "no .cpg" in r["encoding"]["source"]
    assert r["crs"]["epsg"] == 4526 and r["crs"]["source"] == "coordinates"
    assert any("no CRS in" in w for w in r["warnings"])
    assert r["fields"] == ["项目名称"]
    assert r["area_m2"]["planar"] == pytest.approx(10_000.0)
    assert r["area_m2"]["ellipsoidal"] == pytest.approx(geod_area(square, pyproj.CRS.from_epsg(4526)), rel=1e-7)


def test_inspect_reports_invalid_geometries_and_the_layer_read(tmp_path) -> None:
    path = tmp_path / "two.gpkg"
    bowtie = Polygon([(38_401_000, 4_140_000), (38_401_300, 4_140_300), (38_401_300, 4_140_200),
                      (38_401_000, 4_140_200)])
    gpd.GeoDataFrame({"名称": ["蝴蝶形"]}, geometry=[bowtie], crs=4526).to_file(path, layer="甲")
    gpd.GeoDataFrame({"名称": ["点"]}, geometry=[Point(38_401_000, 4_140_000)], crs=4526).to_file(path, layer="乙")
    two = run("inspect", str(path), "--json")        # two layers, none named: an error listing them
    assert two.exit_code == 3 and not two.stdout
    assert "2 layers (甲, 乙)" in two.stderr and "two.gpkg:甲" in two.stderr
    r = one_json_object(run("inspect", f"{path}:甲", "--json").stdout)
    assert r["layer"] == "甲" and r["invalid"] == 1 and r["invalid_reasons"] == {"Self-intersection": 1}
    r = one_json_object(run("inspect", str(path), "--layer", "乙", "--json").stdout)
    assert r["layer"] == "乙" and r["geometry_types"] == ["Point"] and r["area_m2"]["ellipsoidal"] is None


def test_inspect_with_towgs84(shared_samples) -> None:
    path = shared_samples / "xian80_zone37_no_prefix_two_parcels.txt"
    r = one_json_object(run("inspect", str(path), "--towgs84", "0,0,0,0,0,0,0", "--json").stdout)
    assert r["crs"]["epsg"] == 4509 + 37  # CGCS2000 3-degree, CM 111°E, no prefix
    assert r["transformation"]["from_epsg"] == 2382 and r["transformation"]["towgs84"] == [0.0] * 7
    assert any("converted from Xian 1980" in w for w in r["warnings"])


# ------------------------------------------------------------------------------------------------ bad input
@pytest.fixture
def bad_inputs(tmp_path) -> dict[str, tuple[Path, str]]:
    """Bad files, each with (path, a fragment of the expected message)."""
    good = gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[box(38_401_000, 4_140_000, 38_401_100, 4_140_100)],
                            crs=4526)
    pyogrio.write_dataframe(good, tmp_path / "good.shp", encoding="UTF-8")
    shp = (tmp_path / "good.shp").read_bytes()
    cases: dict[str, tuple[Path, str]] = {}

    def shapefile(name: str, data: bytes, sidecars=(".shx", ".dbf", ".prj")) -> Path:
        (tmp_path / f"{name}.shp").write_bytes(data)
        for ext in sidecars:
            (tmp_path / f"{name}{ext}").write_bytes((tmp_path / f"good{ext}").read_bytes())
        return tmp_path / f"{name}.shp"

    cases["missing file"] = (tmp_path / "缺失.shp", "file not found")
    for ext in (".shp", ".gpkg", ".geojson", ".txt"):
        (tmp_path / f"empty{ext}").write_bytes(b"")
        cases[f"empty {ext}"] = (tmp_path / f"empty{ext}", "empty")
    (tmp_path / "data.xyz").write_text("1 2 3")
    cases["unknown format"] = (tmp_path / "data.xyz", "unknown format '.xyz'")
    (tmp_path / "noext").write_text("1 2 3")
    cases["no extension"] = (tmp_path / "noext", "unknown format")
    cases["truncated shapefile"] = (shapefile("truncated", shp[:150]), "truncated Shapefile")
    cases["truncated header"] = (shapefile("short", shp[:60]), "truncated Shapefile")
    cases["missing .shx"] = (shapefile("noshx", shp, (".dbf", ".prj")), ".shx index file is missing")
    cases["missing .dbf"] = (shapefile("nodbf", shp, (".shx", ".prj")), ".dbf attribute table is missing")
    (tmp_path / "garbage.gpkg").write_bytes(b"not a geopackage at all")
    cases["corrupt gpkg"] = (tmp_path / "garbage.gpkg", "cannot open as GPKG")
    (tmp_path / "broken.geojson").write_text('{"type": "FeatureCollection", "features": [')
    cases["broken geojson"] = (tmp_path / "broken.geojson", "GeoJSON")
    (tmp_path / "notes.txt").write_text("just some notes\n", encoding="utf-8")
    cases["txt not 国土TXT"] = (tmp_path / "notes.txt", "not a 国土TXT")

    def noprj(name: str, geom) -> Path:
        path = tmp_path / f"{name}.shp"
        pyogrio.write_dataframe(gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[geom]), path, encoding="UTF-8")
        return path

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cases["no CRS, 6-digit eastings"] = (noprj("six", box(498_000, 4_160_000, 498_120, 4_160_100)), "--crs")
        cases["prefix of no Chinese zone"] = (noprj("p50", box(50_401_000, 4_140_000, 50_401_100, 4_140_100)),
                                              "no Chinese zone")
        cases["northings of no Chinese zone"] = (noprj("utm", box(401_000, 14_140_000, 401_100, 14_140_100)),
                                                 "no Chinese zone")
    (tmp_path / "noprefix.txt").write_text(
        "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n[地块坐标]\n5,1.0,1,甲,面,,,,@\n"
        "J1,1,4160000,498000\nJ2,1,4160100,498000\nJ3,1,4160100,498100\nJ4,1,4160000,498100\n"
        "J1,1,4160000,498000\n", encoding="gbk")
    cases["国土TXT without zone"] = (tmp_path / "noprefix.txt", "--crs")
    return cases


CASE_NAMES = ["missing file", "empty .shp", "empty .gpkg", "empty .geojson", "empty .txt", "unknown format",
              "no extension", "truncated shapefile", "truncated header", "missing .shx", "missing .dbf",
              "corrupt gpkg", "broken geojson", "txt not 国土TXT", "no CRS, 6-digit eastings",
              "prefix of no Chinese zone", "northings of no Chinese zone", "国土TXT without zone"]


def assert_clean_error(result, path: Path, fragment: str, code: int = 3) -> None:
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)  # no other exception escaped the command
    err = result.stderr.strip()
    assert "\n" not in err, err  # one line
    assert err.startswith("redline: error: ")
    assert str(path) in err or path.name in err
    assert fragment in err
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("case", CASE_NAMES)
def test_bad_input_inspect(bad_inputs, case) -> None:
    path, fragment = bad_inputs[case]
    assert_clean_error(run("inspect", str(path)), path, fragment)
    assert_clean_error(run("inspect", str(path), "--json"), path, fragment)


@pytest.mark.parametrize("case", ["missing file", "empty .shp", "truncated shapefile", "missing .dbf",
                                  "no CRS, 6-digit eastings", "prefix of no Chinese zone"])
def test_bad_input_convert(bad_inputs, tmp_path, case) -> None:
    path, fragment = bad_inputs[case]
    out = tmp_path / "out.gpkg"
    assert_clean_error(run("convert", str(path), str(out)), path, fragment)
    assert not out.exists()


def test_mixed_geometry_types_where_one_is_required(tmp_path) -> None:
    src = tmp_path / "mixed.gpkg"
    gpd.GeoDataFrame({"名称": ["甲", "乙"]}, geometry=[box(38_401_000, 4_140_000, 38_401_100, 4_140_100),
                                                    Point(38_401_000, 4_140_000)], crs=4526).to_file(src)
    for ext, fragment in ((".shp", "mixed geometry types"), (".txt", "must be polygons")):
        out = tmp_path / f"out{ext}"
        assert_clean_error(run("convert", str(src), str(out)), out, fragment)
        assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["mixed.gpkg"]


@pytest.mark.parametrize("args,fragment", [
    (["--crs", "EPSG:99999"], "unknown CRS"),
    (["--encoding", "nosuch"], "unknown encoding"),
    (["--towgs84", "1,2"], "3 numbers dx,dy,dz"),
    (["--towgs84", "0,0,0,0,0,0,0"], "Xi'an 1980 or Beijing 1954"),
])
def test_usage_errors_exit_2(tmp_path, args, fragment) -> None:
    path = tmp_path / "a.gpkg"
    gpd.GeoDataFrame(geometry=[box(38_401_000, 4_140_000, 38_401_100, 4_140_100)], crs=4526).to_file(path)
    result = run("inspect", str(path), *args)
    assert result.exit_code == 2, result.stderr
    assert isinstance(result.exception, SystemExit)
    err = result.stderr.strip()
    assert "\n" not in err and fragment in err and "Traceback" not in err


def test_missing_argument_is_a_usage_error() -> None:
    result = run("inspect")
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_bad_input_in_a_real_process(bad_inputs) -> None:
    """The installed entry point: exit status, one line, no traceback (not only under CliRunner)."""
    path, fragment = bad_inputs["truncated shapefile"]
    proc = subprocess.run([sys.executable, "-m", "redline.cli", "inspect", str(path), "--json"],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and fragment in proc.stderr and str(path) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_exactly_one_json_object_in_a_real_process(shared_samples) -> None:
    proc = subprocess.run([sys.executable, "-m", "redline.cli", "inspect",
                           str(shared_samples / "swapped_columns_bom_fullwidth.txt"), "--json"],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 0, proc.stderr
    r = one_json_object(proc.stdout)
    assert r["parcels"][0]["area_m2_planar"] == pytest.approx(10_000.0)
    assert np.isfinite(r["area_m2"]["ellipsoidal"])
