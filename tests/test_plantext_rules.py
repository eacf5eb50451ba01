"""Distance rules stated in plan texts (``audit-text --rules`` / ``--rules-out``) and their use by ``check``.

The sentences are written for these tests in the forms plans use (not copied from the shared plans); the
expected distances are the written figures converted by hand (2公里 = 2000 m, 两公里 = 2000 m).
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from redline.cli import main
from redline.spatial.plantext.rules import extract_rules, match_features, rules_toml
from redline.spatial.rules import load_rules

SHARED = Path(os.environ.get("REDLINE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
P002 = SHARED / "plans" / "002_3c0c0156d9f7a3dc.txt"


def got(text: str) -> list[tuple]:
    return [(r.features, r.distance_m, r.measured_from, r.level, r.types) for r in extract_rules(text)]


def test_two_rivers_two_distances_prohibited():
    assert got("严禁在清江干流2公里范围、白水河岸线1公里范围内新建化工、焦化等高污染项目。") == [
        (["清江"], 2000.0, "unspecified", "prohibited", ["industry_high_pollution"]),
        (["白水河"], 1000.0, "bank", "prohibited", ["industry_high_pollution"]),
    ]


def test_chinese_numerals_and_list_before_one_zone_word():
    # the zone word after the last distance holds for the first one too
    assert got("大沙河干流两公里、小沙河一公里范围内禁止布设钢铁项目。") == [
        (["大沙河"], 2000.0, "unspecified", "prohibited", ["industry_high_pollution"]),
        (["小沙河"], 1000.0, "unspecified", "prohibited", ["industry_high_pollution"]),
    ]


def test_levee_distances_and_unnamed_features():
    assert got("青水河干流沿岸堤外100米、其他支流堤外40米范围内严格控制新建建设项目。") == [
        (["青水河"], 100.0, "levee", "needs_review", []),
        (["其他支流"], 40.0, "levee", "needs_review", []),
    ]


def test_several_features_one_distance_screening():
    [r] = extract_rules("对石门河、杨家沟3 km范围内的工业企业开展排查。")
    assert (r.features, r.distance_m, r.level, r.level_word, r.types) == (
        ["石门河", "杨家沟"], 3000.0, "needs_review", "排查", ["industry"])


def test_roads_and_reserves_get_their_layer_kind():
    rules = extract_rules("国道208线两侧200米范围内禁止新建采砂场。距卧龙自然保护区边界500米范围内限制建设光伏电站。")
    assert [(r.features, r.feature_kind, r.distance_m, r.types) for r in rules] == [
        (["国道208线"], "road", 200.0, ["mining"]),
        (["卧龙自然保护区"], "protected_area", 500.0, ["energy"]),
    ]
    assert rules[1].measured_from == "boundary"


def test_sentences_without_a_rule():
    # a length that bounds no zone, a zone without a level word, a level word without a distance
    assert extract_rules("建设河岸生态缓冲带120公里。清江2公里范围内分布有湿地。严禁新建焦化项目。") == []


def test_draft_toml_loads_as_project_rules(tmp_path):
    rules = extract_rules("严禁在清江干流2公里范围、白水河岸线1公里范围内新建化工、焦化等高污染项目。")
    match_features(rules, {"rivers": ("river", ["清江干流", "白水河", "黑水河"])})
    draft = rules_toml(rules, "规划.txt")
    table = tomllib.loads("[rules]\n" + draft)
    specs = table["rules"]["distance"]
    assert [s["where"] for s in specs] == [{"name": ["清江干流"]}, {"name": ["白水河"]}]
    assert all(s["layer"] == "rivers" and s["message"] and s["clause"].startswith("《规划.txt》第1行") for s in specs)
    loaded = load_rules(distance=specs, distance_source="draft")
    assert [(d.id, d.distance_m, d.level, d.types) for d in loaded.distance] == [
        ("plan_1_1", 2000.0, "prohibited", ("industry_high_pollution",)),
        ("plan_1_2", 1000.0, "prohibited", ("industry_high_pollution",))]


def test_unmatched_feature_is_listed(tmp_path):
    rules = extract_rules("清江2公里范围内禁止新建化工项目。")
    match_features(rules, {"rivers": ("river", ["白水河"])})
    assert rules[0].unmatched == ["清江"]
    assert "清江 在项目图层中没有同名要素" in rules_toml(rules, "规划.txt")


def test_cli_rules_json_and_text(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text("国土总面积1000平方千米。\n严禁在清江干流2公里范围内新建化工项目。\n", encoding="gbk")
    res = CliRunner().invoke(main, ["audit-text", str(plan), "--rules", "--json"])
    assert res.exit_code == 0, res.output
    [r] = json.loads(res.stdout)["rules"]
    assert (r["line"], r["features"], r["distance_m"], r["level"]) == (2, ["清江"], 2000.0, "prohibited")
    res = CliRunner().invoke(main, ["audit-text", str(plan), "--rules"])
    assert "距离规则：1 条" in res.stdout and "清江 2公里（2000 米）" in res.stdout


def test_rules_out_to_an_unwritable_place_is_one_error_line(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text("清江2公里范围内禁止新建化工项目。", encoding="utf-8")
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o500)
    target = tmp_path / "ro" / "draft.toml" if os.geteuid() != 0 else Path("/proc/draft.toml")
    res = CliRunner().invoke(main, ["audit-text", str(plan), "--rules-out", str(target)])
    assert res.exit_code == 3 and "redline: error:" in res.stderr and "draft.toml" in res.stderr
    assert "Traceback" not in res.output and not target.exists()


@pytest.mark.skipif(not P002.exists(), reason="shared plan texts not present")
def test_shared_plan_002_rule():
    """The plan's own sentence (002, line 382) gives the two rules the domain notes list."""
    rules = extract_rules(P002.read_text(encoding="utf-8"))
    assert [(r.line, r.features, r.distance_m, r.level, r.types) for r in rules] == [
        (382, ["黄河"], 2000.0, "prohibited", ["industry_high_pollution"]),
        (382, ["汾河"], 1000.0, "prohibited", ["industry_high_pollution"]),
    ]


def test_demo_rules_out_then_check_applies_them(tmp_path):
    """On the demo: the plan's rule sentence → --rules-out draft → pasted into redline.toml → check applies it."""
    demo = tmp_path / "demo"
    assert CliRunner().invoke(main, ["demo", "--out", str(demo)]).exit_code == 0
    draft = tmp_path / "draft.toml"
    res = CliRunner().invoke(main, ["audit-text", str(demo / "示范县生态保护规划.txt"), "--project",
                                    str(demo / "redline.toml"), "--rules-out", str(draft), "--json"])
    assert res.exit_code == 1, res.output  # the planted contradiction is still there
    rules = json.loads(res.stdout)["rules"]
    assert [(r["features"], r["distance_m"], r["unmatched"], r["layer"]) for r in rules] == [
        (["龙泉河"], 1000.0, [], "rivers"), (["东沟河"], 500.0, [], "rivers")]
    text = draft.read_text(encoding="utf-8")
    project = demo / "redline.toml"
    project.write_text(project.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    res = CliRunner().invoke(main, ["check", str(demo / "sites" / "项目选址.gpkg"), "--project", str(project),
                                    "--json"])
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert {"plan_11_1", "plan_11_2"} <= set(out["rules"]["distance_rules"])
    hits = {(s["site_id"], f["rule"]) for s in out["sites"] for f in s["findings"] if f["rule"].startswith("plan_")}
    # SF-04, the chemical plant about 600 m from 龙泉河 (layers/demo/), is the only high-pollution site
    assert ("SF-04", "plan_11_1") in hits
    sf04 = next(s for s in out["sites"] if s["site_id"] == "SF-04")
    assert sf04["verdict"] == "不符合"
