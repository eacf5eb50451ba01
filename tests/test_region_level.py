"""The administrative level of a project's region in legends, audits and area tables: a city's boundary is a
市级行政界线 with its counties as 县级行政界线, its audit speaks of 市界 and 县（区）, its shares are 占全市."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from redline.cli import main
from redline.layers.errors import InputError
from redline.layers.project import Project
from redline.maps.report.audit import text_report
from redline.maps.styles import load_styles
from redline.spatial.region import region_level


@pytest.mark.parametrize("region, level, boundary, sub, share", [
    ({"name": "吕梁市"}, "city", "市级行政界线", "县级行政界线", "占全市"),
    ({"name": "山西省"}, "province", "省级行政界线", "市级行政界线", "占全省"),
    ({"name": "新绛县"}, "county", "县级行政界线", "乡镇界线", "占全县"),
    ({"name": "小店区"}, "county", "县级行政界线", "乡镇界线", "占全区"),
    ({"name": "鄂托克旗"}, "county", "县级行政界线", "乡镇界线", "占全旗"),
    ({"name": "孝义市", "level": "county"}, "county", "县级行政界线", "乡镇界线", "占全市"),   # a 县级市
    ({"name": "示范县（虚构）"}, "county", "县级行政界线", "乡镇界线", "占全县"),
    ({"name": "某地", "level": "市级"}, "city", "市级行政界线", "县级行政界线", "占全市"),
    ({}, "county", "县级行政界线", "乡镇界线", "占全县"),
])
def test_the_level_from_the_project_or_the_name(region, level, boundary, sub, share):
    lv = region_level(region)
    assert (lv.level, lv.boundary_line, lv.sub_line, lv.share) == (level, boundary, sub, share)


def test_an_unknown_level_is_an_input_error():
    with pytest.raises(InputError, match="level"):
        region_level({"name": "吕梁市", "level": "metropolis"})


@pytest.fixture(scope="module")
def city(demo_dir, tmp_path_factory):
    """The demo region as a city: its county boundary the city's, its townships the city's counties."""
    d = tmp_path_factory.mktemp("city") / "demo"
    shutil.copytree(demo_dir, d)
    toml = d / "redline.toml"
    text = toml.read_text(encoding="utf-8").replace('name = "示范县（虚构）"', 'name = "示范市（虚构）"', 1)
    # the boundaries without labels of their own: the legend names them by the region's level
    text = text.replace('label = "示范县县界"\n', "").replace('label = "示范县乡镇界"\n', "")
    toml.write_text(text, encoding="utf-8")
    return d


def test_a_city_legend(city):
    book = load_styles(Project.load(city / "redline.toml"))
    assert book.for_layer("county", "boundary").base.label == "市级行政界线"
    assert book.for_layer("townships", "boundary", township=True).base.label == "县级行政界线"
    import redline

    m = redline.web_map(Project.load(city / "redline.toml"), layout=False)
    assert "市级行政界线" in m.redline_info["legend"] and "县级行政界线" in m.redline_info["legend"]
    assert "乡镇界线" not in m.redline_info["legend"]


def test_a_county_legend_is_unchanged(demo_dir):
    book = load_styles(Project.load(demo_dir / "redline.toml"))
    assert book.for_layer("county", "boundary").base.label == "县级行政界线"
    assert book.for_layer("townships", "boundary", township=True).base.label == "乡镇界线"


def test_a_city_audit_and_area_table(city):
    import redline

    r = redline.audit(Project.load(city / "redline.toml")).to_dict()
    text = text_report(r)
    assert "裁到市界内" in text and "占全市" in text and "五、市界与县界" in text and "县（区）合并面积" in text
    assert "县界外" not in text and "占县域" not in text and "乡镇" not in text
    res = CliRunner().invoke(main, ["area", "red_line", "--by-zones", "townships", "--project",
                                    str(city / "redline.toml"), "--json"])
    import json

    assert json.loads(res.stdout)["table"]["header"][2] == "占全市（%）"
