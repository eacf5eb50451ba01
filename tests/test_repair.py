"""One repair of invalid geometries everywhere (make_valid, structure method), reported with the features' ids;
``inspect`` names the invalid features and why; no warning asks for a ``--repair`` the command lacks.

The layer: one 2 km × 2 km parcel on the central meridian of CGCS2000 3° zone 37 whose ring runs round the
square and then round a 1 km square inside it (a ring touching itself, as digitising errors make). Drawn as
one parcel it covers the whole square: 400 ha by hand (the scale factor is 1 on the central meridian, so the
ellipsoidal area is the planar one to about 1e-6; checked against pyproj.Geod). The odd-even repair that
``area`` used (make_valid's default) cut the inner square out: 300 ha, while ``convert --repair`` gave 400.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from click.testing import CliRunner

from redline.cli import main
from redline.layers.info import LayerInfo, with_info
from redline.layers.repair import repair_array
from redline.spatial.check import check_sites

X, Y = 37_500_000.0, 4_250_000.0
GEOD = pyproj.Geod(a=6378137.0, f=1 / 298.257222101)
TO_LL = pyproj.Transformer.from_crs(4525, 4490, always_xy=True)
LOOP = shapely.Polygon([(X, Y), (X + 2000, Y), (X + 2000, Y + 2000), (X, Y + 2000), (X, Y), (X + 500, Y + 500),
                        (X + 1500, Y + 500), (X + 1500, Y + 1500), (X + 500, Y + 1500), (X + 500, Y + 500)])


def geod_ha(geom) -> float:
    ll = shapely.transform(shapely.segmentize(geom, 10.0),
                           lambda xy: np.column_stack(TO_LL.transform(xy[:, 0], xy[:, 1])))
    return abs(GEOD.geometry_area_perimeter(ll)[0]) / 1e4


SQUARE_HA = geod_ha(shapely.box(X, Y, X + 2000, Y + 2000))


@pytest.fixture
def loop_shp(tmp_path):
    assert not LOOP.is_valid
    path = tmp_path / "红线.shp"
    gpd.GeoDataFrame({"HXBM": ["HX01"]}, geometry=[LOOP], crs=4525).to_file(path)
    return str(path)


def test_area_and_convert_repair_give_the_same_area(tmp_path, loop_shp):
    assert SQUARE_HA == pytest.approx(400.0, abs=1e-3)
    r = CliRunner().invoke(main, ["area", loop_shp, "--unit", "ha", "--json"])
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert js["total_m2"] / 1e4 == pytest.approx(SQUARE_HA, abs=1e-4)
    # the repair is said, with the feature's id and the method
    assert any("repaired 1 feature" in w and "HX01" in w and "structure" in w for w in js["warnings"])
    fixed = tmp_path / "fixed.gpkg"
    assert CliRunner().invoke(main, ["convert", loop_shp, str(fixed), "--repair"]).exit_code == 0
    js2 = json.loads(CliRunner().invoke(main, ["area", str(fixed), "--unit", "ha", "--json"]).stdout)
    assert js2["total_m2"] == pytest.approx(js["total_m2"], rel=1e-12)


def test_a_check_repairs_a_layer_given_in_python_the_same_way():
    rl = with_info(gpd.GeoDataFrame({"name": ["红线"]}, geometry=[LOOP], crs=4525), LayerInfo(kind="red_line"))
    site = gpd.GeoDataFrame({"name": ["场地"], "type": ["mining"]}, geometry=[shapely.box(X, Y, X + 2000, Y + 2000)],
                            crs=4525)
    r = check_sites(site, {"red_line": rl}, coverage=shapely.box(X - 1e4, Y - 1e4, X + 1e4, Y + 1e4))
    assert r.site_layers["overlap_m2"].iloc[0] / 1e4 == pytest.approx(SQUARE_HA, abs=1e-4)
    assert any("structure" in w and "red_line" in w for w in r.warnings)


def test_one_method_in_every_module():
    fixed = repair_array(np.array([LOOP], dtype=object))[0]
    assert fixed.is_valid and fixed.area == pytest.approx(4e6)
    # no module calls make_valid on its own: every repair goes through redline.layers.repair
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1]
    callers = [p.relative_to(root).as_posix() for d in ("layers", "spatial", "maps", "redline")
               for p in (root / d).rglob("*.py") if "make_valid(" in p.read_text(encoding="utf-8")]
    assert sorted(callers) == ["layers/demo/shapes.py", "layers/repair.py", "maps/structure.py"]   # drawing, not data


def test_inspect_names_the_invalid_features_and_the_reasons(loop_shp):
    r = CliRunner().invoke(main, ["inspect", loop_shp, "--json"])
    js = json.loads(r.stdout)
    (item,) = js["invalid_features"]
    assert item["feature"] == 0 and item["id"] == "HX01" and item["reason"].startswith("Ring Self-intersection")
    assert item["reason_zh"].startswith("环自相交")
    text = CliRunner().invoke(main, ["inspect", loop_shp]).stdout
    assert "要素 feature 0（HX01）：环自相交" in text
    assert "HXBM（文本）" in text                       # the fields are listed
    assert "重复计入" in text and "未融合" in text         # the total counts overlaps, and says so


@pytest.mark.parametrize("command", ["inspect", "area"])
def test_no_warning_asks_for_an_option_the_command_lacks(loop_shp, command):
    r = CliRunner().invoke(main, [command, loop_shp])
    help_text = CliRunner().invoke(main, [command, "--help"]).stdout
    for line in (r.stderr + r.stdout).splitlines():
        if "--repair" in line and "--repair" not in help_text:
            assert "redline convert --repair" in line, line
