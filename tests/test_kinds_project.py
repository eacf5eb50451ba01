"""Layer kinds and field mapping (layers/kinds.py), and the project file (layers/project.py)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from redline.layers.errors import InputError, UsageError
from redline.layers.info import layer_info
from redline.layers.kinds import (
    KIND_IDS,
    is_control_kind,
    kind_info,
    kind_label,
    map_attributes,
    normalise_zone,
)
from redline.layers.project import find_project, load_project
from redline.layers.readers import read_project_layer

X0, Y0 = 37_465_000.0, 4_200_000.0


def frame(columns: dict) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    return gpd.GeoDataFrame(columns, geometry=[box(X0 + i, Y0, X0 + i + 1, Y0 + 1) for i in range(n)], crs=4525)


# ------------------------------------------------------------------------------------------------- kinds
def test_every_kind_has_a_label_geometry_and_field_lists() -> None:
    for kind in KIND_IDS:
        info = kind_info(kind)
        assert info["label"] and info["geometry"] in ("polygon", "line", "point", "any")
        assert "name" in info["attributes"]
        for attr in info["attributes"]:
            assert info["fields"].get(attr), f"{kind}.{attr} has no field names"
    assert kind_label("red_line") == "生态保护红线"
    assert kind_label("protected_area") == "自然保护地"
    assert is_control_kind("red_line") and not is_control_kind("boundary") and not is_control_kind("site")


def test_unknown_kind() -> None:
    with pytest.raises(UsageError, match="unknown layer kind 'redline'"):
        kind_info("redline")


@pytest.mark.parametrize("kind,columns,expected", [
    # pinyin abbreviations
    ("red_line", {"HXMC": ["汾河红线"], "HXBM": ["140000-01"], "HXLX": ["水源涵养"]},
     {"name": "汾河红线", "code": "140000-01", "type": "水源涵养"}),
    # Chinese field names
    ("protected_area", {"保护地名称": ["汾河湿地公园"], "保护级别": ["省级"], "功能分区": ["核心"]},
     {"name": "汾河湿地公园", "level": "省级", "zone": "核心区"}),
    ("protected_area_zone", {"BHDMC": ["五鹿山保护区"], "GNFQ": ["SYQ"], "BHDLX": ["自然保护区"]},
     {"name": "五鹿山保护区", "zone": "实验区", "type": "自然保护区"}),
    ("control_unit", {"环境管控单元编码": ["ZH14110010001"], "DYMC": ["孝义市优先保护单元"], "DYLB": ["优先保护"],
                      "空间布局约束": ["禁止新建..."]},
     {"code": "ZH14110010001", "name": "孝义市优先保护单元", "unit_class": "优先保护单元",
      "spatial_constraints": "禁止新建..."}),
    ("shoreline_zone", {"AXMC": ["汾河左岸"], "功能区类型": ["保留区"], "HLMC": ["汾河"]},
     {"name": "汾河左岸", "zone": "岸线保留区", "river": "汾河"}),
    ("water_source_zone", {"SYDMC": ["郭庄泉"], "保护区级别": ["一级"]}, {"name": "郭庄泉", "zone": "一级保护区"}),
    # English, any case
    ("boundary", {"name": ["孝义市"], "Code": ["141181"]}, {"name": "孝义市", "code": "141181"}),
])
def test_map_attributes_from_real_field_names(kind, columns, expected) -> None:
    gdf = frame(columns)
    out, used, warnings = map_attributes(gdf, kind)
    assert warnings == []
    for attr, value in expected.items():
        assert out[attr].iloc[0] == value, attr
    for col in columns:  # the original columns are kept
        assert col in out.columns
    for attr in kind_info(kind)["attributes"]:  # every canonical attribute exists
        assert attr in out.columns


def test_unmapped_attributes_are_none() -> None:
    out, used, _ = map_attributes(frame({"其他": ["x"]}), "red_line")
    assert used == {"name": None, "code": None, "type": None, "area": None}
    assert out["name"].iloc[0] is None


def test_project_override_wins_and_a_missing_field_is_a_warning() -> None:
    gdf = frame({"HXMC": ["默认名称"], "备用名称": ["覆盖名称"], "HXBM": ["B1"]})
    out, used, warnings = map_attributes(gdf, "red_line", {"name": "备用名称"})
    assert out["name"].iloc[0] == "覆盖名称" and used["name"] == "备用名称"
    assert warnings == []
    out, used, warnings = map_attributes(gdf, "red_line", {"code": "不存在的字段"})
    # the missing field is reported and the kind's defaults still apply
    assert used["code"] == "HXBM" and out["code"].iloc[0] == "B1"
    assert len(warnings) == 1 and "'不存在的字段'" in warnings[0] and "names no field" in warnings[0]
    _, _, warnings = map_attributes(gdf, "red_line", {"colour": "HXMC"})
    assert warnings and "'colour'" in warnings[0] and "not an attribute" in warnings[0]


def test_normalise_zone() -> None:
    assert normalise_zone("核心") == "核心区"
    assert normalise_zone(" HXBHQ ") == "核心保护区"
    assert normalise_zone("general control") == "一般控制区"
    assert normalise_zone("未知区") == "未知区"  # kept as written
    assert normalise_zone(None) is None and normalise_zone(float("nan")) is None and normalise_zone(" ") is None


# ----------------------------------------------------------------------------------------------- project
def write_project(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "redline.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
[region]
name = "测试县"
boundary = "county"

[layers.county]
kind = "boundary"
path = "data/county.gpkg"

[layers.red_line]
kind = "red_line"
path = "data/rl.gpkg"
source = "测试县自然资源局"
date = 2026-06-30
fields = { name = "备用名称", code = "不存在的字段" }
"""


@pytest.fixture
def project_dir(tmp_path) -> Path:
    (tmp_path / "data").mkdir()
    frame({"XZQMC": ["测试县"]}).to_file(tmp_path / "data" / "county.gpkg")
    frame({"HXMC": ["默认"], "备用名称": ["覆盖"], "HXBM": ["B1"]}).to_file(tmp_path / "data" / "rl.gpkg")
    write_project(tmp_path, GOOD)
    return tmp_path


def test_load_project_and_read_a_layer_with_overrides(project_dir, monkeypatch) -> None:
    project = load_project(project_dir / "redline.toml")
    assert project.name == "测试县"
    assert project.boundary_id() == "county"
    assert project.layers["red_line"].path == project_dir / "data" / "rl.gpkg"
    assert project.layers["red_line"].date == "2026-06-30"
    assert [s.id for s in project.control_layers()] == ["red_line"]
    gdf = read_project_layer(project, "red_line")
    meta = layer_info(gdf)
    assert gdf["name"].tolist() == ["覆盖"] and gdf["code"].tolist() == ["B1"]
    assert meta.id == "red_line" and meta.source == "测试县自然资源局" and meta.date == "2026-06-30"
    assert any("'不存在的字段'" in w for w in meta.warnings)
    # by kind when one layer has it; the folder finds redline.toml
    assert project.spec("boundary").id == "county"
    assert load_project(project_dir).path == project_dir / "redline.toml"
    monkeypatch.chdir(project_dir)
    assert find_project(None).name == "测试县"


def test_project_syntax_error_names_the_line(tmp_path) -> None:
    path = write_project(tmp_path, '[region]\nname = "x"\n\n[layers.a]\nkind = \n')
    with pytest.raises(InputError) as err:
        load_project(path)
    assert err.value.path == str(path) and err.value.line == 5
    assert str(err.value).startswith(f"{path}, line 5: not a valid TOML project file")


def test_project_missing_layer_path(tmp_path) -> None:
    path = write_project(tmp_path, '[layers.rl]\nkind = "red_line"\n')
    with pytest.raises(InputError, match=r"\[layers.rl\] has no path") as err:
        load_project(path)
    assert err.value.path == str(path)


def test_project_layer_file_not_found(tmp_path) -> None:
    path = write_project(tmp_path, '[layers.rl]\nkind = "red_line"\npath = "data/缺失.shp"\n')
    project = load_project(path)
    with pytest.raises(InputError, match="layer 'rl' of the project: file not found") as err:
        read_project_layer(project, "rl")
    assert err.value.path == str(tmp_path / "data" / "缺失.shp")


def test_project_unknown_kind(tmp_path) -> None:
    path = write_project(tmp_path, '[layers.rl]\nkind = "redline"\npath = "rl.gpkg"\n')
    with pytest.raises(InputError, match=r"\[layers.rl\] kind 'redline' is not a layer kind; valid kinds: red_line"):
        load_project(path)


def test_project_region_references_a_missing_layer(tmp_path) -> None:
    path = write_project(tmp_path, '[region]\nboundary = "county"\ntownships = "towns"\n'
                                   '[layers.county]\nkind = "boundary"\npath = "c.gpkg"\n')
    with pytest.raises(InputError, match=r"\[region\] townships = 'towns' names no layer of the project"):
        load_project(path)


def test_project_malformed_entries(tmp_path) -> None:
    path = write_project(tmp_path, '[layers.rl]\nkind = "red_line"\npath = "rl.gpkg"\nfields = "HXMC"\n')
    with pytest.raises(InputError, match="fields must be a table"):
        load_project(path)
    path = write_project(tmp_path, '[layers.rl]\nkind = "red_line"\npath = 3\n')
    with pytest.raises(InputError, match=r"line 3: \[layers.rl\] path must be text \(in quotes\), not 3 \(an integer\)"):
        load_project(path)
    path = write_project(tmp_path, 'layers = 3\n')
    with pytest.raises(InputError, match="layers must be a table"):
        load_project(path)


def test_project_file_missing_or_not_utf8(tmp_path, monkeypatch) -> None:
    with pytest.raises(InputError, match="project file not found"):
        load_project(tmp_path / "nope.toml")
    (tmp_path / "redline.toml").write_bytes('[region]\nname = "测试县"\n'.encode("gbk"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_project(tmp_path / "redline.toml")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    assert find_project(None) is None


def test_unknown_layer_reference(project_dir) -> None:
    project = load_project(project_dir)
    with pytest.raises(UsageError, match="no layer 'rivers'"):
        project.spec("rivers")
