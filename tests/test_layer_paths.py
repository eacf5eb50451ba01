"""A layer inside a multi-layer file, named ``PATH:LAYER`` everywhere a path is accepted (issue 12, item 2),
and the reading warnings of every input said once per file (item 13).

The GeoPackage here holds a county (10 km × 10 km), two townships (its west and east halves), a red line
(1 km × 2 km, across the townships' border: 1 km² in each), basic farmland, and project sites, all in
CGCS2000 3° zone 37 with prefixed eastings (EPSG:4525 = 4488 + 37). Areas asserted are planar (``--planar``)
and come from the rectangles' sides; verdicts from where the sites lie against the rectangles.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import box

import redline
from redline.cli import main
from redline.layers.errors import InputError, UsageError
from redline.layers.info import layer_info
from redline.layers.paths import LayerPath, split_at_layer

CRS = 4525
X, Y = 37_500_000.0, 4_200_000.0
LAYERS = ["县界", "乡镇", "生态保护红线", "永久基本农田", "选址"]


def run(*args: str, cwd: Path | None = None):
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=True)
    finally:
        os.chdir(old)


@pytest.fixture
def gpkg(tmp_path) -> Path:
    path = tmp_path / "示范数据.gpkg"
    gpd.GeoDataFrame({"XZQMC": ["示范县"]}, geometry=[box(X, Y, X + 10_000, Y + 10_000)], crs=CRS).to_file(
        path, layer="县界")
    gpd.GeoDataFrame({"name": ["西乡", "东镇"]}, geometry=[box(X, Y, X + 5_000, Y + 10_000),
                                                        box(X + 5_000, Y, X + 10_000, Y + 10_000)],
                     crs=CRS).to_file(path, layer="乡镇")
    gpd.GeoDataFrame({"HXMC": ["红线甲"]}, geometry=[box(X + 4_000, Y + 1_000, X + 6_000, Y + 2_000)],
                     crs=CRS).to_file(path, layer="生态保护红线")
    gpd.GeoDataFrame({"DLMC": ["水田"]}, geometry=[box(X + 1_000, Y + 5_000, X + 2_000, Y + 6_000)],
                     crs=CRS).to_file(path, layer="永久基本农田")
    gpd.GeoDataFrame({"XMMC": ["红线内", "农田内", "空地上"]},
                     geometry=[box(X + 4_100, Y + 1_100, X + 4_200, Y + 1_200),
                               box(X + 1_100, Y + 5_100, X + 1_200, Y + 5_200),
                               box(X + 8_000, Y + 8_000, X + 8_100, Y + 8_100)], crs=CRS).to_file(path, layer="选址")
    return path


# ------------------------------------------------------------------------------------------------ parsing
def test_parse_plain_paths_layers_and_windows_drive_letters(tmp_path) -> None:
    assert LayerPath.parse("示范.gpkg:生态保护红线") == LayerPath(Path("示范.gpkg"), "生态保护红线")
    assert LayerPath.parse("示范.gpkg").layer is None
    # a drive letter is not a layer name; the colon after the extension is
    assert split_at_layer(r"C:\数据\示范.gpkg:乡镇") == (r"C:\数据\示范.gpkg", "乡镇")
    assert split_at_layer(r"C:\数据\示范.gpkg") is None
    assert split_at_layer("D:/数据/资料.zip:红线") == ("D:/数据/资料.zip", "红线")
    # everything after the first cut is the layer: colons in layer names, layers of files inside zips
    assert LayerPath.parse("规划.gpkg:2024:修编").layer == "2024:修编"
    assert LayerPath.parse("资料.zip:成果/县界.gpkg:乡镇") == LayerPath(Path("资料.zip"), "成果/县界.gpkg:乡镇")
    assert LayerPath.parse("资料.zip:成果/县界.gpkg:乡镇").stem == "乡镇"
    assert LayerPath.parse("示范.gdb/:县界") == LayerPath(Path("示范.gdb"), "县界")
    # a file that exists as written is a file, colon and all
    odd = tmp_path / "图层:甲.gpkg"
    odd.write_bytes(b"x")
    assert LayerPath.parse(str(odd)) == LayerPath(odd)
    # a cut whose file exists wins over an earlier cut whose file does not
    real = tmp_path / "a.gpkg:b.gpkg"
    real.write_bytes(b"x")
    assert LayerPath.parse(f"{real}:层") == LayerPath(real, "层")


# ------------------------------------------------------------------------ several layers and no choice
def test_read_layer_refuses_to_guess_and_lists_the_layers(gpkg) -> None:
    with pytest.raises(InputError) as err:
        redline.read_layer(gpkg)
    message = str(err.value)
    assert err.value.path == str(gpkg)
    assert "5 layers" in message and all(name in message for name in LAYERS)
    assert "示范数据.gpkg:县界" in message          # how to name one
    with pytest.raises(InputError, match="no layer '河流'"):
        redline.read_layer(f"{gpkg}:河流")
    with pytest.raises(UsageError, match="layer named twice"):
        redline.read_layer(f"{gpkg}:县界", layer="乡镇")


def _one_error_line(r, *needles: str) -> None:
    assert r.exit_code == 3, r.output
    assert "Traceback" not in r.output
    assert r.stderr.startswith("redline: error:") and r.stderr.count("\n") == 1
    for n in needles:
        assert n in r.stderr


@pytest.mark.parametrize("args", [
    ["inspect", "{g}"],
    ["convert", "{g}", "{out}/out.gpkg"],
    ["area", "{g}"],
    ["area", "{g}:生态保护红线", "--within", "{g}"],
    ["area", "{g}:生态保护红线", "--within", "{g}:县界", "--by-zones", "{g}"],
    ["check", "{g}", "--layer", "red_line={g}:生态保护红线"],
    ["check", "{g}:选址", "--layer", "red_line={g}"],
    ["raster-share", "{out}/none.tif", "--zones", "{g}"],
], ids=["inspect", "convert", "area", "area-within", "area-by-zones", "check-sites", "check-layer", "raster-zones"])
def test_every_command_refuses_a_multi_layer_file_without_a_choice(gpkg, tmp_path, args) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if args[0] == "raster-share":
        _write_raster(out / "none.tif")
    r = run(*[a.format(g=gpkg, out=out) for a in args])
    _one_error_line(r, "5 layers", "生态保护红线", "示范数据.gpkg:县界")
    assert not (out / "out.gpkg").exists()


# ---------------------------------------------------------------------------------- the syntax everywhere
def test_area_takes_layers_of_one_geopackage(gpkg) -> None:
    r = run("area", f"{gpkg}:生态保护红线", "--within", f"{gpkg}:县界", "--by-zones", f"{gpkg}:乡镇",
            "--planar", "--unit", "ha", "--json")
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    # 2 km × 1 km = 200 ha, half in each township; the county is 100 km² = 10,000 ha: 2 %
    assert js["total_m2"] == pytest.approx(2_000_000.0)
    assert js["boundary_m2"] == pytest.approx(100_000_000.0)
    assert js["share_pct"] == pytest.approx(2.0)
    rows = {row["key"]: row["area_m2"] for row in js["rows"]}
    assert rows == pytest.approx({"西乡": 1_000_000.0, "东镇": 1_000_000.0})
    # the provenance hashes the GeoPackage itself and says which layer of it was read
    recs = js["provenance"]["inputs"]
    assert {rec["file_layer"] for rec in recs} == {"生态保护红线", "县界", "乡镇"}
    assert all(rec["sha256"] and rec["path"].endswith("示范数据.gpkg") for rec in recs)


def test_check_takes_layers_of_one_geopackage_for_sites_and_control_layers(gpkg) -> None:
    r = run("check", f"{gpkg}:选址", "--layer", f"red_line={gpkg}:生态保护红线",
            "--layer", f"basic_farmland={gpkg}:永久基本农田", "--layer", f"boundary={gpkg}:县界", "--type", "housing",
            "--json")
    assert r.exit_code == 1, r.output          # two sites break a control line
    js = json.loads(r.stdout)
    verdicts = {s["name"]: s["verdict"] for s in js["sites"]}
    assert verdicts == {"红线内": "不符合", "农田内": "不符合", "空地上": "符合"}
    hit = {s["name"]: [h["layer"] for h in s["hits"]] for s in js["sites"]}
    assert hit["红线内"] == ["red_line"] and hit["农田内"] == ["basic_farmland"]


def test_inspect_and_convert_take_the_syntax(gpkg, tmp_path) -> None:
    r = run("inspect", f"{gpkg}:乡镇", "--json")
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert js["layer"] == "乡镇" and js["features"] == 2 and js["area_m2"]["planar"] == pytest.approx(1e8)
    out = tmp_path / "乡镇.geojson"
    r = run("convert", f"{gpkg}:乡镇", str(out))
    assert r.exit_code == 0, r.output
    assert sorted(gpd.read_file(out)["name"]) == ["东镇", "西乡"]


def test_raster_share_takes_the_syntax_for_zones(gpkg, tmp_path) -> None:
    tif = _write_raster(tmp_path / "地类.tif")
    r = run("raster-share", str(tif), "--zones", f"{gpkg}:乡镇", "--json")
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    # class 1 covers the west half of the county, class 2 the east: each township is one class
    share = {z["key"]: {c["value"]: c["share_pct"] for c in z["classes"]} for z in js["zones"]}
    assert share["西乡"][1] == pytest.approx(100.0) and share["东镇"][2] == pytest.approx(100.0)


def test_project_layer_path_may_name_the_layer(gpkg) -> None:
    (gpkg.parent / "redline.toml").write_text(f"""
[region]
name = "示范县"
boundary = "county"
[layers.county]
kind = "boundary"
path = "{gpkg.name}:县界"
[layers.red_line]
kind = "red_line"
path = "{gpkg.name}"
layer = "生态保护红线"
""", encoding="utf-8")
    project = redline.Project.load(gpkg.parent / "redline.toml")
    assert len(project.layer("county")) == 1
    r = redline.area("red_line", project=project, planar=True, unit="m2")
    assert r.total == pytest.approx(2_000_000.0) and r.share_pct == pytest.approx(2.0)


def test_python_api_takes_the_same_spelling(gpkg) -> None:
    red = redline.read_layer(f"{gpkg}:生态保护红线", kind="red_line")
    assert red["name"].tolist() == ["红线甲"] and layer_info(red).layer == "生态保护红线"
    assert redline.read_layer(gpkg, layer="乡镇")["name"].tolist() == ["西乡", "东镇"]
    a = redline.area(f"{gpkg}:生态保护红线", within=f"{gpkg}:县界", planar=True, unit="m2")
    assert a.total == pytest.approx(2_000_000.0)
    r = redline.check(f"{gpkg}:选址", {"red_line": f"{gpkg}:生态保护红线", "boundary": f"{gpkg}:县界"},
                      project_type="housing")
    assert r.sites["verdict"].tolist() == ["不符合", "符合", "符合"]


def _write_raster(path: Path) -> Path:
    """A 10 km × 10 km raster over the county, 100 m cells: class 1 west of the townships' border, 2 east."""
    import rasterio
    from affine import Affine

    data = np.ones((100, 100), dtype=np.uint8)
    data[:, 50:] = 2
    with rasterio.open(path, "w", driver="GTiff", width=100, height=100, count=1, dtype="uint8", crs=f"EPSG:{CRS}",
                       transform=Affine(100, 0, X, 0, -100, Y + 10_000), nodata=0) as dst:
        dst.write(data, 1)
    return path


# ---------------------------------------------------------------------- item 13: warned once, everywhere
def _no_prj_boundary(tmp_path: Path) -> Path:
    """The county as a Shapefile without .prj: placed by its prefixed eastings, with a warning."""
    path = tmp_path / "县界无坐标.shp"
    gpd.GeoDataFrame({"name": ["示范县"]}, geometry=[box(X, Y, X + 10_000, Y + 10_000)], crs=CRS).to_file(
        path, encoding="utf-8")
    path.with_suffix(".prj").unlink()
    return path


def _placed(text: str, name: str) -> int:
    return sum(1 for line in text.splitlines() if "no CRS in" in line and name in line and "places it in" in line)


def test_area_warns_of_a_placed_crs_for_within_and_by_zones_once_per_file(gpkg, tmp_path) -> None:
    shp = _no_prj_boundary(tmp_path)
    r = run("area", f"{gpkg}:生态保护红线", "--within", str(shp), "--planar")
    assert r.exit_code == 0, r.output
    assert _placed(r.stderr, shp.name) == 1
    r = run("area", f"{gpkg}:生态保护红线", "--within", str(shp), "--by-zones", str(shp), "--zone-field", "name",
            "--planar")
    assert r.exit_code == 0, r.output
    assert _placed(r.stderr, shp.name) == 1           # the same file in two roles: said once
    res = redline.area(f"{gpkg}:生态保护红线", by_zones=str(shp), zone_field="name", planar=True)
    assert sum("no CRS in" in w for w in res.warnings) == 1


def test_project_layers_warn_in_area_and_map(gpkg, tmp_path) -> None:
    shp = _no_prj_boundary(tmp_path)
    (tmp_path / "redline.toml").write_text(f"""
[region]
name = "示范县"
boundary = "county"
[layers.county]
kind = "boundary"
path = "{shp.name}"
[layers.county_copy]
kind = "boundary"
path = "{shp.name}"
label = "县界（副本）"
[layers.red_line]
kind = "red_line"
path = "{gpkg.name}:生态保护红线"
""", encoding="utf-8")
    r = run("area", "red_line", "--planar", cwd=tmp_path)
    assert r.exit_code == 0, r.output
    assert _placed(r.stderr, shp.name) == 1
    r = run("map", "--out", str(tmp_path / "map.html"), cwd=tmp_path)
    assert r.exit_code == 0, r.output
    assert _placed(r.stderr, shp.name) == 1           # two project layers on one file: said once
