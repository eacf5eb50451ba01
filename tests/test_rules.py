"""Rules as data: the package's rule file, project rules, project types."""

from __future__ import annotations

import re

import pytest

from redline.layers.errors import InputError, UsageError
from redline.layers.project import Project
from redline.spatial.rules import (
    ANY,
    RULE_LEVELS,
    format_message,
    load_rules,
    project_types,
    resolve_type,
    rules_for_project,
    type_label,
)

ISSUE_TYPES = ("linear_infrastructure", "tourism_education", "ecological_restoration", "mining",
               "industry_high_pollution", "industry", "housing", "energy", "water_works", "military",
               "residents_production")
# the ten limited activities of 自然资发〔2022〕142号 and the project types that fall under them
LIMITED = {"research_monitoring": 1, "military": 1, "residents_production": 2, "cultural_relics": 3, "forestry": 4,
           "tourism_education": 5, "linear_infrastructure": 6, "water_works": 6, "mineral_exploration": 7,
           "ecological_restoration": 8, "border_works": 9, "other_lawful": 10}
DEVELOPMENT = ("mining", "industry_high_pollution", "industry", "housing", "energy")
CITATION = re.compile(r"《[^》]+》")


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def matching(rules, kind, zone, type_id, attrs=None):
    """The rules for a feature in ``zone`` with canonical attributes ``attrs`` (default: none, e.g. a nature
    reserve whose type the data does not give)."""
    return [r for r in rules.for_kind(kind) if r.applies == "inside" and r.matches_zone(zone)
            and r.matches_feature(attrs or {}) and r.concerns(type_id)]


def test_project_types_cover_the_issue_with_chinese_labels():
    types = project_types()
    for t in ISSUE_TYPES:
        assert t in types
        assert re.search(r"[\u4e00-\u9fff]", types[t].label), t
    labels = [t.label for t in types.values()]
    assert len(labels) == len(set(labels)), "labels must identify a type"


@pytest.mark.parametrize("text, expected", [
    ("linear_infrastructure", "linear_infrastructure"), ("  Mining ", "mining"), ("线性基础设施", "linear_infrastructure"),
    ("高污染工业", "industry_high_pollution"), ("城镇住宅用地", "housing"), ("工业用地", "industry"),
])
def test_resolve_type_by_id_label_or_alias(text, expected):
    assert resolve_type(text) == expected


def test_unknown_type_is_a_usage_error_listing_the_valid_ones():
    with pytest.raises(UsageError) as exc:
        resolve_type("火箭发射场")
    msg = str(exc.value)
    assert "火箭发射场" in msg
    for t in ISSUE_TYPES:
        assert t in msg
    assert resolve_type("公用设施用地", strict=False) is None  # ambiguous land-use class: not guessed
    assert resolve_type(None) is None and resolve_type("") is None
    assert type_label(None) == "未指定" and type_label("mining") == "矿产资源开发"


def test_every_rule_cites_a_document_and_has_a_valid_level(rules):
    ids = [r.id for r in rules.rules]
    assert len(ids) == len(set(ids))
    for r in rules.rules:
        assert r.level in RULE_LEVELS
        assert CITATION.search(r.clause), f"{r.id}: clause cites no document"
        assert r.message


def test_the_red_line_notice_is_cited_exactly(rules):
    notice = "《关于加强生态保护红线管理的通知（试行）》（自然资发〔2022〕142号）"
    for r in rules.for_kind("red_line"):
        assert notice in r.clause


@pytest.mark.parametrize("type_id, activity", sorted(LIMITED.items()))
def test_red_line_limited_activities_need_review_citing_their_number(rules, type_id, activity):
    found = matching(rules, "red_line", None, type_id)
    assert [r.level for r in found] == ["needs_review"]
    assert f"第{activity}项" in found[0].clause


@pytest.mark.parametrize("type_id", DEVELOPMENT)
def test_red_line_forbids_development_and_production(rules, type_id):
    found = matching(rules, "red_line", None, type_id)
    assert [r.id for r in found] == ["red_line.forbidden"]
    assert found[0].level == "prohibited"


def test_national_major_project_needs_the_no_alternative_assessment(rules):
    found = matching(rules, "red_line", None, "national_major")
    assert [r.level for r in found] == ["needs_review"]
    assert "不可避让论证" in found[0].clause


@pytest.mark.parametrize("zone", ["核心区", "缓冲区", "核心保护区"])
@pytest.mark.parametrize("type_id", ISSUE_TYPES)
def test_core_and_buffer_zones_forbid_every_project(rules, zone, type_id):
    assert [r.level for r in matching(rules, "protected_area_zone", zone, type_id)] == ["prohibited"]


def test_experimental_and_general_control_zones(rules):
    lv = lambda zone, t: [r.level for r in matching(rules, "protected_area_zone", zone, t)]  # noqa: E731
    assert lv("实验区", "energy") == ["prohibited"]          # 自然保护区条例 art. 32: no production facilities
    assert lv("实验区", "tourism_education") == ["needs_review"]
    assert lv("一般控制区", "tourism_education") == ["needs_review"]
    # 自然资发〔2022〕142号: outside the core protection zone, development and production construction is forbidden
    assert lv("一般控制区", "energy") == ["prohibited"]
    assert lv("一般控制区", "linear_infrastructure") == ["needs_review"]     # a limited activity
    assert lv(None, "housing") == ["needs_review"]          # no zone in the data: ask
    assert all(lv(z, t) for z in ("实验区", "一般控制区") for t in ISSUE_TYPES), "every type has a rule"


@pytest.mark.parametrize("type_id", ISSUE_TYPES)
def test_basic_farmland(rules, type_id):
    found = matching(rules, "basic_farmland", None, type_id)
    assert len(found) == 1
    key = type_id in ("linear_infrastructure", "water_works", "energy", "military")
    assert found[0].level == ("needs_review" if key or type_id == "residents_production" else "prohibited")
    assert "《中华人民共和国土地管理法》第三十五条" in found[0].clause


def test_water_source_zones(rules):
    lv = lambda zone, t: [r.level for r in matching(rules, "water_source_zone", zone, t)]  # noqa: E731
    assert lv("一级保护区", "housing") == ["prohibited"]
    assert lv("一级保护区", "water_works") == ["needs_review"]
    assert lv("二级保护区", "industry") == ["prohibited"]
    assert lv("二级保护区", "housing") == ["needs_review"]
    assert lv("准保护区", "industry_high_pollution") == ["prohibited"]


def test_urban_boundary_and_control_units(rules):
    outside = [r for r in rules.for_kind("urban_boundary") if r.applies == "outside"]
    assert [r.id for r in outside if r.concerns("housing")] == ["urban_boundary.outside"]
    assert not [r for r in outside if r.concerns("linear_infrastructure")]
    cu = matching(rules, "control_unit", "优先保护单元", "industry")
    assert {r.level for r in cu} == {"info", "needs_review"}
    assert all(r.clause_field == "spatial_constraints" for r in cu)


def test_concerns_semantics(rules):
    forbidden = rules.rule("red_line.forbidden")
    assert forbidden.concerns("mining") is True
    assert forbidden.concerns("linear_infrastructure") is False
    assert forbidden.concerns(None) is None               # depends on the type: cannot decide
    river = rules.rule("river_range.works")
    assert river.types == (ANY,) and river.concerns(None) is True


# ------------------------------------------------------------------------------------- project rules
def project(tmp_path, rules: dict) -> Project:
    return Project.from_dict({"layers": {"rivers": {"kind": "river", "path": "r.geojson"}}, "rules": rules},
                             base=tmp_path, path=tmp_path / "redline.toml")


def test_project_distance_rules_and_rule_files(tmp_path):
    (tmp_path / "local.toml").write_text(
        '[[rules]]\nid = "local.red"\nkind = "red_line"\ntypes = ["housing"]\nlevel = "info"\n'
        'clause = "《示范县规定》第1条"\nmessage = "本地规则"\n', encoding="utf-8")
    p = project(tmp_path, {"files": ["local.toml"], "distance": [
        {"id": "fen_1km", "layer": "rivers", "where": {"name": "汾河"}, "distance_m": 1000,
         "types": ["高污染工业"], "level": "prohibited", "clause": "《新绛县规划》", "message": "{distance_m}米"}]})
    rs = rules_for_project(p)
    d = rs.rule("fen_1km")
    assert d.distance_m == 1000.0 and d.types == ("industry_high_pollution",) and d.where == {"name": "汾河"}
    assert rs.rule("local.red").source == str(tmp_path / "local.toml")
    assert str(tmp_path / "local.toml") in rs.describe()["files"]


@pytest.mark.parametrize("spec, words", [
    ({"id": "x", "kind": "red_line", "level": "prohibited", "message": "m"}, ["x", "clause"]),
    ({"id": "x", "kind": "red_line", "level": "forbidden", "clause": "c", "message": "m"}, ["x", "level"]),
    ({"id": "x", "kind": "red_lines", "level": "info", "clause": "c", "message": "m"}, ["x", "red_lines"]),
    ({"id": "x", "kind": "red_line", "level": "info", "clause": "c", "message": "m", "types": ["rocket"]},
     ["x", "rocket"]),
    ({"id": "x", "kind": "red_line", "level": "info", "clause": "c", "message": "m", "applies": "near"},
     ["x", "applies"]),
    ({"kind": "red_line", "level": "info", "clause": "c", "message": "m"}, ["no id"]),
])
def test_bad_rule_files_name_file_and_rule(tmp_path, spec, words):
    import json

    f = tmp_path / "bad.toml"
    f.write_text("[[rules]]\n" + "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in spec.items()),
                 encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_rules([f])
    assert str(f) in str(exc.value)
    for w in words:
        assert w in str(exc.value)


def test_bad_distance_rules_and_duplicates(tmp_path):
    base = {"id": "d", "layer": "rivers", "level": "prohibited", "clause": "c", "message": "m"}
    with pytest.raises(InputError, match="distance_m must be positive"):
        load_rules(distance=[{**base, "distance_m": 0}])
    with pytest.raises(InputError, match="distance_m must be a number"):
        load_rules(distance=[{**base, "distance_m": "far"}])
    with pytest.raises(InputError, match="defined twice"):
        load_rules(distance=[{**base, "distance_m": 5}, {**base, "distance_m": 6}])
    with pytest.raises(InputError, match="defined twice"):
        load_rules(distance=[{**base, "id": "red_line.forbidden", "distance_m": 5}])
    f = tmp_path / "syntax.toml"
    f.write_text("[[rules]\nid=", encoding="utf-8")
    with pytest.raises(InputError, match="not a valid TOML"):
        load_rules([f])
    with pytest.raises(InputError, match="not found"):
        load_rules([tmp_path / "missing.toml"])


def test_format_message_tolerates_unknown_placeholders():
    assert format_message("{layer}{zone}{nope}", {"layer": "红线", "zone": "核心区"}) == "红线核心区"
    assert format_message("{0} {", {}) == "{0} {"


# --------------------------------------------------------------- protected areas against their sources
WETLAND = {"type": "湿地公园", "level": "国家级", "name": "龙泉河国家湿地公园"}


@pytest.mark.parametrize("type_id", ["mining", "housing", "energy", "industry"])
@pytest.mark.parametrize("zone", ["一般控制区", "合理利用区", "恢复重建区", None])
def test_a_national_wetland_park_forbids_mining_housing_and_power_plants_in_every_zone(rules, type_id, zone):
    # 国家湿地公园管理办法 (2017) 第十九条 (三) 挖沙、采矿, (五) 房地产、度假村、风力发电、光伏发电等
    found = matching(rules, "protected_area_zone", zone, type_id, WETLAND)
    assert "prohibited" in [r.level for r in found], [r.id for r in found]
    wet = next(r for r in found if r.id == "wetland_park.forbidden")
    assert "《国家湿地公园管理办法》" in wet.clause and "第十九条" in wet.clause


def test_wetland_park_rules_concern_wetland_parks_only(rules):
    reserve = {"type": "自然保护区", "level": "国家级"}
    assert not any(r.id.startswith("wetland_park") for r in matching(rules, "protected_area_zone", None, "mining",
                                                                      reserve))
    provincial = {"type": "湿地公园", "level": "省级"}
    assert not any(r.id == "wetland_park.forbidden"
                   for r in matching(rules, "protected_area_zone", None, "mining", provincial))


def test_a_wetland_park_conservation_zone_allows_protection_and_research_only(rules):
    lv = lambda t: sorted(r.level for r in matching(rules, "protected_area_zone", "保育区", t, WETLAND))  # noqa: E731
    assert "prohibited" in lv("tourism_education")        # 第十一条: only protection, monitoring, research
    assert lv("research_monitoring") == ["needs_review"]
    assert lv("ecological_restoration") == ["needs_review"]


def test_the_tenth_limited_activity_has_a_project_type(rules):
    t = project_types()["other_lawful"]
    assert t.label == "其他法律法规允许的活动" and t.limited_activity == 10
    assert [r.id for r in matching(rules, "red_line", None, "other_lawful")] == ["red_line.limited_10"]
    assert [r.level for r in matching(rules, "basic_farmland", None, "other_lawful")] == ["prohibited"]


def test_every_rule_has_a_chinese_title(rules):
    for r in rules.rules:
        assert re.search(r"[\u4e00-\u9fff]", r.title), r.id
        assert "." not in r.title and "_" not in r.title, r.id
