"""The plan-text figure auditor: extraction of claims, consistency findings, the ``audit-text`` command.

Expected values are hand arithmetic on the figures as written (e.g. 47.89 km² ÷ 5.11 % = 937.18 km², the
interval from 5.105–5.115 % and 47.885–47.895 km²), or pyproj.Geod for the boundary areas.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.cli import main
from redline.layers.errors import InputError
from redline.spatial.plantext import INCONSISTENT_KINDS, audit_text, check_claims, extract_claims

# ../shared/plans beside the project root; REDLINE_SHARED points elsewhere (a git worktree, for example)
PLANS = Path(os.environ.get("REDLINE_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "plans"
P000 = PLANS / "000_5b635c6cadf41728.txt"
P002 = PLANS / "002_3c0c0156d9f7a3dc.txt"
P004 = PLANS / "004_cde2ff2d830bb66a.txt"
needs_plans = pytest.mark.skipif(not P000.exists(), reason="shared plan texts not present")
CONTRACT_CLAIM = {"line", "text", "subject", "value", "unit", "value_m2", "share_pct"}
CONTRACT_FINDING = {"kind", "lines", "message"}


def kinds(result) -> list[str]:
    return [f["kind"] for f in result["findings"]]


def finding(result, kind: str, line: int | None = None) -> dict:
    hits = [f for f in result["findings"] if f["kind"] == kind and (line is None or line in f["lines"])]
    assert hits, f"no {kind} finding on line {line}: {result['findings']}"
    return hits[0]


def plan(tmp_path, text: str, name: str = "plan.txt", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def run_cli(*args):
    result = CliRunner().invoke(main, ["audit-text", *args])
    return result


# --------------------------------------------------------------------------------- the three real plans
@needs_plans
def test_000_red_line_share_confirms_the_total():
    r = audit_text(P000)
    got = [(c["line"], c["subject"], c["value"], c["unit"], c["value_m2"], c["share_pct"])
           for c in r["claims"] if c["subject"] in ("生态保护红线", "国土总面积")]
    assert got == [
        (89, "国土总面积", 937.57, "km2", pytest.approx(937_570_000.0), None),
        (115, "生态保护红线", 47.89, "km2", pytest.approx(47_890_000.0), 5.11),
        (207, "国土总面积", 937.57, "km2", pytest.approx(937_570_000.0), None),
    ]
    red = next(c for c in r["claims"] if c["line"] == 115)
    assert red["denominator"] == "国土总面积"
    f = finding(r, "consistent", 115)
    assert {89, 207} <= set(f["lines"])
    # 47.89 / 0.0511 = 937.18199… km²; rounding: 47.885/0.05115 = 936.1681…, 47.895/0.05105 = 938.1978…
    assert f["implied_m2"] == pytest.approx(937.18199608e6, rel=1e-9)
    lo, hi = f["implied_m2_interval"]
    assert lo == pytest.approx(936.16813294e6, rel=1e-9)
    assert hi == pytest.approx(938.19784525e6, rel=1e-9)
    assert not set(kinds(r)) & set(INCONSISTENT_KINDS)


@needs_plans
def test_000_indicator_table_rates():
    r = audit_text(P000)
    forest = [c for c in r["claims"] if c["subject"] == "森林覆盖率"]
    # 33.6 in each of the status columns 2021, 2022, 2023 (the years are the row under the header, line 242)
    assert [(c["line"], c["value"], c["share_pct"], c["source"], c["year"]) for c in forest] == [
        (260, 33.6, 33.6, "table", 2021), (260, 33.6, 33.6, "table", 2022), (260, 33.6, 33.6, "table", 2023)]
    # grassland vegetation cover is cover within grassland: a ratio, not a share of the total area
    grass = [c for c in r["claims"] if c["subject"] == "草原综合植被盖度"]
    assert [(c["line"], c["value"], c["share_pct"], c["kind"]) for c in grass] == [(261, 72.1, None, "ratio")]


@needs_plans
def test_002_red_line_share_contradiction_and_implied_total():
    r = audit_text(P002)
    red = [(c["line"], c["value"], c["unit"], c["value_m2"], c["share_pct"])
           for c in r["claims"] if c["subject"] == "生态保护红线"]
    assert red == [(87, 6649.9, "ha", pytest.approx(66_499_000.0), 11.14), (154, 4.23, "%", None, 4.23)]
    f = finding(r, "conflicting_values", 154)
    assert set(f["lines"]) == {87, 154}
    assert "11.14%" in f["message"] and "4.23%" in f["message"]
    # no total area stated: 6649.9 ha / 0.1114 = 59 693.90 ha = 596.94 km² (≈ 597 km²)
    imp = finding(r, "implied_total", 87)
    assert imp["implied_m2"] == pytest.approx(596.938958707e6, rel=1e-9)
    lo, hi = imp["implied_m2_interval"]  # 6649.85 / 0.11145 … 6649.95 / 0.11135 ha
    assert lo == pytest.approx(596.66666667e6, rel=1e-9)
    assert hi == pytest.approx(597.211495e6, rel=1e-8)
    assert round(imp["implied_m2"] / 1e6) == 597


@needs_plans
def test_002_unit_slip_and_forest_cover_history():
    r = audit_text(P002)
    # indicator 7: 新增水土流失治理面积 0.67 (万平方公里 = 6700 km²) cannot exceed a county of ~597 km²
    slip = finding(r, "area_over_total", 160)
    assert "6,700.00 平方千米" in slip["message"]
    # 森林覆盖率由15.2%增长为16.02%: 15.2 is the earlier value, 16.02 agrees with the table: no conflict
    forest = [(c["line"], c["value"], c["role"]) for c in r["claims"] if c["subject"] == "森林覆盖率"]
    assert (87, 15.2, "previous") in forest and (87, 16.02, "status") in forest and (155, 16.02, "status") in forest
    assert not [f for f in r["findings"] if f["kind"] == "conflicting_values" and "森林" in f["message"]]


@needs_plans
def test_004_red_line_share_confirms_the_total_in_both_places():
    r = audit_text(P004)
    red = [(c["line"], c["value"], c["unit"], c["value_m2"], c["share_pct"])
           for c in r["claims"] if c["subject"] == "生态保护红线"]
    # line 16 has the typo "红线面" for "红线面积"; line 325 is a cell of the indicator table
    assert red == [(16, 28466.876, "ha", pytest.approx(284_668_760.0), 13.83),
                   (325, 28466.876, "ha", pytest.approx(284_668_760.0), 13.83)]
    totals = [(c["line"], c["value"], c["unit"]) for c in r["claims"] if c["subject"] == "国土总面积"]
    assert totals == [(1, 2058.0, "km2"), (47, 2058.0, "km2")]
    f = finding(r, "consistent", 16)
    assert {16, 325, 1, 47} <= set(f["lines"])
    # 284.66876 km² / 0.1383 = 2058.3424…; interval 284.668755/0.13835 … 284.668765/0.13825
    assert f["implied_m2"] == pytest.approx(2058.34244396e6, rel=1e-9)
    lo, hi = f["implied_m2_interval"]
    assert lo == pytest.approx(2057.59851825e6, rel=1e-9) and hi == pytest.approx(2059.08690778e6, rel=1e-9)
    assert not set(kinds(r)) & set(INCONSISTENT_KINDS)


@needs_plans
@pytest.mark.parametrize("path, code", [(P000, 0), (P002, 1), (P004, 0)])
def test_cli_json_contract_and_exit_codes(path, code):
    res = run_cli(str(path), "--json")
    assert res.exit_code == code, res.output
    js = json.loads(res.stdout)
    assert {"path", "claims", "findings"} <= set(js)
    assert js["claims"] and all(CONTRACT_CLAIM <= set(c) for c in js["claims"])
    assert all(CONTRACT_FINDING <= set(f) for f in js["findings"])
    assert js["provenance"]["inputs"][0]["sha256"]


@needs_plans
def test_cli_table_in_chinese():
    res = run_cli(str(P002))
    assert res.exit_code == 1
    assert "生态保护红线" in res.stdout and "前后不一致" in res.stdout and "结论" in res.stdout


# ------------------------------------------------------------------------------- each finding kind
def test_consistent(tmp_path):
    r = audit_text(plan(tmp_path, "国土总面积937.57平方千米。\n划定生态保护红线面积47.89平方千米，占全市土地总面积的5.11%。\n"))
    f = finding(r, "consistent", 2)
    assert f["lines"] == [2, 1]
    assert kinds(r) == ["consistent"]


def test_inconsistent_total(tmp_path):
    # 100 km² / 12.5 % = 800 km² (100 ±0.5 over 12.45–12.55 %: 792.83–807.23 km²), not 1000 km²
    r = audit_text(plan(tmp_path, "国土总面积1000平方千米。生态保护红线面积100平方千米，占国土总面积的12.5%。"))
    f = finding(r, "inconsistent_total", 1)
    assert f["implied_m2"] == pytest.approx(800e6)
    assert f["implied_m2_interval"] == [pytest.approx(99.5e6 / 0.1255), pytest.approx(100.5e6 / 0.1245)]
    res = run_cli(str(tmp_path / "plan.txt"))
    assert res.exit_code == 1


def test_rounding_decides_consistency(tmp_path):
    # 20.00 km² at 2.00 %: implied 997.26–1002.76 km² (19.995/0.02005 … 20.005/0.01995); 1002 fits, 1004 not
    ok = audit_text(plan(tmp_path, "国土总面积1002平方千米。湿地面积20.00平方千米，占国土面积的2.00%。"))
    assert "consistent" in kinds(ok)
    bad = audit_text(plan(tmp_path, "国土总面积1004平方千米。湿地面积20.00平方千米，占国土面积的2.00%。"))
    assert "inconsistent_total" in kinds(bad)


def test_conflicting_areas_in_two_units(tmp_path):
    text = "生态保护红线面积47.89平方千米。\n\n全市生态保护红线面积4890公顷。\n生态保护红线总面积4789公顷。\n"
    r = audit_text(plan(tmp_path, text))
    f = finding(r, "conflicting_values")
    # 4789 公顷 = 47.89 km² agrees with line 1; 4890 公顷 = 48.90 km² does not
    assert f["lines"] == [1, 4, 3]
    assert "4,890 公顷" in f["message"]


def test_conflicting_shares(tmp_path):
    text = "生态保护红线占国土面积的11.14%。\n指标\t单位\t2020年现状\t2025年目标\n生态保护红线占国土面积比例\t%\t4.23\t不降低\n"
    r = audit_text(plan(tmp_path, text))
    f = finding(r, "conflicting_values")
    assert set(f["lines"]) == {1, 3}


def test_values_of_different_years_do_not_conflict(tmp_path):
    r = audit_text(plan(tmp_path, "2015年森林覆盖率为15.2%。2020年森林覆盖率为16.02%。"))
    assert "conflicting_values" not in kinds(r)
    r = audit_text(plan(tmp_path, "森林覆盖率为15.2%。另据统计，森林覆盖率为16.02%。"))
    assert "conflicting_values" in kinds(r)


def test_targets_and_bounds_are_not_compared_as_values(tmp_path):
    text = ("现状森林覆盖率为22%。到2025年，森林覆盖率达到25%。"
            "生态保护红线面积47.89平方千米。生态保护红线面积不低于40平方千米。")
    r = audit_text(plan(tmp_path, text))
    assert "conflicting_values" not in kinds(r)
    roles = {(c["value"], c["role"], c["qualifier"]) for c in r["claims"]}
    assert (25.0, "target", None) in roles and (40.0, "status", "不低于") in roles


def test_implied_total_interval(tmp_path):
    r = audit_text(plan(tmp_path, "划定生态保护红线面积47.89平方千米，占全市土地总面积的5.11%。"))
    f = finding(r, "implied_total", 1)
    assert f["implied_m2"] == pytest.approx(47.89e6 / 0.0511)
    assert f["implied_m2_interval"] == [pytest.approx(47.885e6 / 0.05115), pytest.approx(47.895e6 / 0.05105)]
    assert not set(kinds(r)) & set(INCONSISTENT_KINDS)


def test_area_and_share_in_separate_table_rows_imply_the_total(tmp_path):
    text = "指标\t单位\t2020年现状\n生态保护红线面积\t公顷\t6649.9\n生态保护红线占国土面积比例\t%\t11.14\n"
    r = audit_text(plan(tmp_path, text))
    f = finding(r, "implied_total")
    assert set(f["lines"]) == {2, 3}
    assert f["implied_m2"] == pytest.approx(66_499_000 / 0.1114)


def test_share_over_100(tmp_path):
    r = audit_text(plan(tmp_path, "生态保护红线占国土面积的112.5%。"))
    assert finding(r, "share_over_100", 1)
    r = audit_text(plan(tmp_path, "生态保护红线占国土面积的100%。"))  # 100 % is possible
    assert "share_over_100" not in kinds(r)


def test_area_over_total_unit_slip(tmp_path):
    # 6.5万公顷 = 650 km² in a county of 500 km²: probably 6.5 公顷 or 6.5 平方千米
    r = audit_text(plan(tmp_path, "国土总面积500平方千米。全县湿地面积6.5万公顷。"))
    f = finding(r, "area_over_total", 1)
    assert "650.00 平方千米" in f["message"]
    # the same figure about the whole province is not a slip
    r = audit_text(plan(tmp_path, "国土总面积500平方千米。全省湿地面积6.5万公顷。"))
    assert "area_over_total" not in kinds(r)


def test_computed_mismatch_and_match():
    claims = extract_claims("国土总面积937.57平方千米。划定生态保护红线面积47.89平方千米，占全市土地总面积的5.11%。")
    ok = check_claims(claims, boundary_m2=937.6e6, computed={"red_line": 47.893e6})
    assert not [f for f in ok if f["kind"] in INCONSISTENT_KINDS]
    assert sum(f["kind"] == "consistent" for f in ok) >= 3
    # the red line computed at 45 km² (5.9 % less): both its area and its share (4.80 %) disagree
    bad = check_claims(claims, boundary_m2=937.6e6, computed={"生态保护红线": 45e6})
    mism = [f for f in bad if f["kind"] == "computed_mismatch"]
    assert len(mism) == 2
    assert any(f.get("computed_pct") == pytest.approx(45 / 937.6 * 100) for f in mism)
    # a total that differs from the boundary
    bad = check_claims(claims, boundary_m2=1000e6)
    assert any(f["kind"] == "computed_mismatch" and f["lines"] == [1] for f in bad)


def test_no_figures(tmp_path):
    p = plan(tmp_path, "坚持生态优先、绿色发展。\n加强生态保护红线管理。\n")
    r = audit_text(p)
    assert r["claims"] == []
    assert kinds(r) == ["no_figures"]
    res = run_cli(str(p), "--json")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["claims"] == []
    assert "no area" in res.stderr


def test_economic_percentages_are_not_claims(tmp_path):
    r = audit_text(plan(tmp_path, "第一产业增加值完成8.9亿元，占地区生产总值比重为1.9%。受污染耕地安全利用率100%。"
                                  "距省会太原120千米，年平均风速2.3米/秒，降水量463.9毫米，建筑面积2万平方米。"))
    assert r["claims"] == []


# ------------------------------------------------------------------------------------- noise forms
def test_broken_lines_keep_the_figure_line(tmp_path):
    text = "划定生态保护红线面积47.89\n平方千米，占全市土地总面积的\n\n5.11%。积极开展矿山生态修复。\n"
    [c] = audit_text(plan(tmp_path, text))["claims"]
    assert (c["line"], c["value"], c["unit"], c["share_pct"], c["share_line"]) == (1, 47.89, "km2", 5.11, 4)


def test_markup_full_width_and_typos(tmp_path):
    text = ("**生态保护红线**面积<br>47.89 km<sup>2</sup>，占全市国土总面积的5.11%。\n"
            "[bookmark: _Toc1]划定生态保护红线面４７．８９平方千米，占全市土地总面积的５．１１％。\n"
            "生态红线区域面积约47.89平方公里。\n")
    claims = audit_text(plan(tmp_path, text))["claims"]
    assert [(c["line"], c["subject"], c["value"], c["unit"], c["share_pct"], c["qualifier"]) for c in claims] == [
        (1, "生态保护红线", 47.89, "km2", 5.11, None),
        (2, "生态保护红线", 47.89, "km2", 5.11, None),
        (3, "生态保护红线", 47.89, "km2", None, "约"),
    ]


def test_qualifiers_and_units(tmp_path):
    text = ("永久基本农田保护面积不低于30万亩。耕地保有量35.5万亩以上。"
            "全省生态保护红线面积约2.1万km2。县域以山地丘陵为主，占国土面积的80%以上。")
    claims = audit_text(plan(tmp_path, text))["claims"]
    got = [(c["subject"], c["value"], c["unit"], c["qualifier"], c["share_qualifier"], c["scope"]) for c in claims]
    assert got == [
        ("永久基本农田", 30.0, "10k_mu", "不低于", None, "region"),
        ("耕地", 35.5, "10k_mu", "以上", None, "region"),
        ("生态保护红线", 2.1, "10k_km2", "约", None, "wider"),
        (None, 80.0, "%", "以上", "以上", "region"),
    ]
    assert claims[0]["value_m2"] == pytest.approx(200e6)  # 30万亩 = 200 km²
    assert claims[2]["value_m2"] == pytest.approx(21_000e6)


def test_rates_and_ratios(tmp_path):
    claims = audit_text(plan(tmp_path, "森林覆盖率22%，草原综合植被盖度72.1%，湿地保护率达到60%。"))["claims"]
    got = [(c["subject"], c["kind"], c["value"], c["share_pct"], c["denominator"]) for c in claims]
    assert got == [("森林覆盖率", "rate", 22.0, 22.0, "国土总面积"),
                   ("草原综合植被盖度", "ratio", 72.1, None, None),
                   ("湿地保护率", "ratio", 60.0, None, None)]


def test_lists_with_fenbie(tmp_path):
    text = "全县森林覆盖率、林草覆盖率分别为22.5%、45.3%。生态保护红线和自然保护地面积分别为120.5平方千米、80.2平方千米。"
    claims = audit_text(plan(tmp_path, text))["claims"]
    assert [(c["subject"], c["value"], c["unit"]) for c in claims] == [
        ("森林覆盖率", 22.5, "%"), ("林草覆盖率", 45.3, "%"), ("生态保护红线", 120.5, "km2"), ("自然保护地", 80.2, "km2")]


def test_pipe_table_with_header_roles(tmp_path):
    text = ("| 指标 | 单位 | 现状值 | 目标值 |\n|---|---|---|---|\n"
            "| 生态保护红线面积 | 平方千米 | 47.89 | ≥47.89 |\n| 森林覆盖率 | % | 22.5 | 25 |\n")
    claims = audit_text(plan(tmp_path, text))["claims"]
    got = [(c["line"], c["subject"], c["value"], c["role"], c["qualifier"], c["source"]) for c in claims]
    assert got == [(3, "生态保护红线", 47.89, "status", None, "table"), (3, "生态保护红线", 47.89, "target", "≥", "table"),
                   (4, "森林覆盖率", 22.5, "status", None, "table"), (4, "森林覆盖率", 25.0, "target", None, "table")]


def test_one_cell_per_line_table(tmp_path):
    # a Word table converted with one cell per line, rows separated by blank lines (as in plan 004)
    text = ("表2-1 指标体系\n\t序号\n\t指标名称\n\t单位\n\t指标值\n\t现状值\n（2022年）\n\n"
            "\t1\n\t林草覆盖率\n\t%\n\t≥40\n\t59.03\n\n"
            "\t\n\t2\n\t生态保护红线\n\t-\n\t面积不减少\n\t生态保护红线总面积28466.876公顷，占全县土地总面积的13.83%。\n")
    claims = audit_text(plan(tmp_path, text))["claims"]
    got = [(c["line"], c["subject"], c["value"], c["role"], c["year"]) for c in claims]
    # the header's 单位 column fixes the roles: 指标值 is a target, 现状值（2022年） the current value
    assert got == [(12, "林草覆盖率", 40.0, "target", None), (13, "林草覆盖率", 59.03, "status", 2022),
                   (20, "生态保护红线", 28466.876, "status", None)]


def test_land_use_table_with_units_in_the_column_heads(tmp_path):
    # 45670 ha / 36.99 % = 1234.66 km² (1234.49–1234.83) and 50000 ha / 40.50 % = 1234.57 km²: both fit
    # the 合计 row of 123456 ha; 27788 ha / 12.51 % = 2221.26 km² does not
    text = ("表3 土地利用现状结构\n地类\t面积(公顷)\t占比(%)\n耕地\t45670.00\t36.99\n林地\t50000.00\t40.50\n"
            "园地\t27788.00\t12.51\n合计\t123456.00\t100.00\n")
    r = audit_text(plan(tmp_path, text))
    got = [(c["line"], c["subject"], c["subject_text"], c["value"], c["unit"], c["share_pct"]) for c in r["claims"]]
    assert got == [(3, "耕地", "耕地", 45670.0, "ha", 36.99), (4, "林地", "林地", 50000.0, "ha", 40.5),
                   (5, None, "园地", 27788.0, "ha", 12.51), (6, "国土总面积", "合计", 123456.0, "ha", None)]
    assert finding(r, "consistent", 3)["lines"] == [3, 6]
    assert finding(r, "consistent", 4)["lines"] == [4, 6]
    bad = finding(r, "inconsistent_total", 5)
    assert bad["implied_m2"] == pytest.approx(277_880_000 / 0.1251)


def test_land_use_sentence_with_bare_shares(tmp_path):
    # "占36.99%" after a land area in a structure sentence is its share of the total area
    r = audit_text(plan(tmp_path, "全县国土空间总面积1234.56平方千米，其中耕地面积456.7平方千米，占36.99%；"
                                  "林地面积500平方千米，占40.5%。"))
    assert [f["kind"] for f in r["findings"]] == ["consistent", "consistent"]


def test_generic_total_after_a_named_subject(tmp_path):
    # "总面积" right after a clause about protected areas is theirs, not the county's
    r = audit_text(plan(tmp_path, "全县共有自然保护地5处，总面积86.4平方千米。全县国土总面积1000平方千米。"))
    assert [(c["subject"], c["value"]) for c in r["claims"]] == [("自然保护地", 86.4), ("国土总面积", 1000.0)]
    assert "conflicting_values" not in kinds(r)


def test_named_instances_and_adjusted_figures_do_not_conflict(tmp_path):
    text = ("芦芽山国家级自然保护区面积21453公顷。汾河源头自然保护区面积800公顷。胜溪湖湿地面积50公顷，全市湿地面积3000公顷。"
            "评估调整后的生态保护红线面积为47.89平方千米，原生态保护红线面积为52.3平方千米。")
    r = audit_text(plan(tmp_path, text))
    assert "conflicting_values" not in kinds(r)
    mods = [(c["subject"], c["modifier"]) for c in r["claims"]]
    assert ("自然保护区", "芦芽山国家级") in mods and ("湿地", "胜溪湖") in mods and ("湿地", "") in mods
    # the same named instance stated twice with different values does conflict
    r = audit_text(plan(tmp_path, "胜溪湖湿地面积50公顷。\n据调查，胜溪湖湿地面积65公顷。"))
    assert finding(r, "conflicting_values")["lines"] == [1, 2]


def test_change_statements(tmp_path):
    r = audit_text(plan(tmp_path, "水土流失面积由2015年的560平方千米减少到2020年的480平方千米。城镇开发边界面积控制在25.6平方千米以内。"))
    got = [(c["subject"], c["value"], c["role"], c["year"], c["qualifier"]) for c in r["claims"]]
    assert got == [("水土流失", 560.0, "previous", 2015, None), ("水土流失", 480.0, "status", 2020, None),
                   ("城镇开发边界", 25.6, "status", None, "以内")]
    assert "conflicting_values" not in kinds(r)


@needs_plans
@pytest.mark.parametrize("path", [P000, P002, P004])
@pytest.mark.parametrize("width", [23, 37])
def test_real_plans_rewrapped_give_the_same_figures(path, width):
    """The plans re-broken at a fixed width (as a PDF conversion does) give the same figures and findings."""
    text = path.read_text(encoding="utf-8")
    wrapped = []
    for line in text.split("\n"):
        if "\t" in line or "<" in line or len(line) <= width:
            wrapped.append(line)
        else:
            wrapped += [line[i:i + width] for i in range(0, len(line), width)]
    key = lambda c: (c.subject, c.value, c.unit, c.share_pct)  # noqa: E731
    assert sorted(map(key, extract_claims("\n".join(wrapped))), key=str) == sorted(map(key, extract_claims(text)),
                                                                                 key=str)
    assert sorted(f["kind"] for f in check_claims(extract_claims("\n".join(wrapped)))) == sorted(
        f["kind"] for f in check_claims(extract_claims(text)))


# ------------------------------------------------------------------------------------ encodings, errors
@pytest.mark.parametrize("encoding, label", [("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-8-sig", "utf-8 (BOM)"),
                                             ("utf-16", "utf-16 (BOM)"), ("utf-16-le", "utf-16-le")])
def test_encodings(tmp_path, encoding, label):
    text = "国土总面积937.57平方千米。\r\n划定生态保护红线面积47.89平方千米，占全市土地总面积的5.11%。\r\n"
    r = audit_text(plan(tmp_path, text, encoding=encoding))
    assert r["encoding"] == label
    assert [(c["line"], c["value"]) for c in r["claims"]] == [(1, 937.57), (2, 47.89)]
    assert "consistent" in kinds(r)


@pytest.mark.parametrize("content", [b"", b"  \n\t\n", b"\x00\x01\x02\x03PK\x03\x04" * 50, bytes(range(256)) * 4])
def test_unreadable_inputs_are_input_errors(tmp_path, content):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(InputError) as exc:
        audit_text(p)
    assert "bad.txt" in str(exc.value)
    res = run_cli(str(p))
    assert res.exit_code == 3
    assert "bad.txt" in res.stderr and "Traceback" not in res.output


def test_missing_file_and_folder(tmp_path):
    assert run_cli(str(tmp_path / "nope.txt")).exit_code == 3
    with pytest.raises(InputError):
        audit_text(tmp_path)


# --------------------------------------------------------------------------------- boundary and project
def _square(x0, y0, size):
    from shapely.geometry import box

    return box(x0, y0, x0 + size, y0 + size)


def _geod_area(geom, epsg) -> float:
    """Independent area: densify in the plane, inverse-project with pyproj, GeographicLib on GRS80."""
    import numpy as np
    import pyproj
    import shapely

    to_lonlat = pyproj.Transformer.from_crs(epsg, 4490, always_xy=True)
    total = 0.0
    for poly in getattr(geom, "geoms", [geom]):
        ring = np.asarray(shapely.segmentize(poly, 50).exterior.coords)
        lon, lat = to_lonlat.transform(ring[:, 0], ring[:, 1])
        total += abs(pyproj.Geod(ellps="GRS80").polygon_area_perimeter(lon, lat)[0])
    return total


@pytest.fixture
def county(tmp_path):
    import geopandas as gpd

    # a 10 km square on the central meridian of CGCS2000 3° zone 38 (EPSG:4526, CM 114°E)
    geom = _square(38_495_000, 4_195_000, 10_000)
    path = tmp_path / "county.gpkg"
    gpd.GeoDataFrame({"name": ["示范县"]}, geometry=[geom], crs=4526).to_file(path, driver="GPKG")
    return path, _geod_area(geom, 4526)


def test_boundary_option(tmp_path, county):
    path, geod = county
    assert geod == pytest.approx(100e6, rel=1e-5)
    ok = plan(tmp_path, "国土总面积100平方千米。", "ok.txt")
    res = run_cli(str(ok), "--boundary", str(path), "--json")
    js = json.loads(res.stdout)
    assert res.exit_code == 0, res.output
    assert js["summary"]["boundary_m2"] == pytest.approx(geod, rel=1e-7)
    assert finding(js, "consistent", 1)["computed_m2"] == pytest.approx(geod, rel=1e-7)
    bad = plan(tmp_path, "国土总面积120平方千米。", "bad.txt")
    res = run_cli(str(bad), "--boundary", str(path), "--json")
    assert res.exit_code == 1
    assert finding(json.loads(res.stdout), "computed_mismatch", 1)


def test_boundary_replaces_a_missing_total(tmp_path, county):
    path, _ = county
    p = plan(tmp_path, "生态保护红线面积5.00平方千米，占全县国土面积的5.00%。")
    res = run_cli(str(p), "--boundary", str(path), "--json")
    assert res.exit_code == 0
    assert finding(json.loads(res.stdout), "consistent", 1)["computed_m2"] == pytest.approx(100e6, rel=1e-5)


def test_project_option(tmp_path, county):
    import geopandas as gpd
    import shapely

    path, geod = county
    # red line: two overlapping 2 km squares (union 3 km × 2 km = 6 km²) and one half outside the county
    parts = [_square(38_496_000, 4_196_000, 2000), _square(38_497_000, 4_196_000, 2000),
             _square(38_504_000, 4_200_000, 2000)]
    gpd.GeoDataFrame({"HXMC": ["甲", "乙", "丙"]}, geometry=parts, crs=4526).to_file(tmp_path / "rl.gpkg")
    (tmp_path / "redline.toml").write_text(
        '[region]\nname = "示范县"\nboundary = "county"\n'
        '[layers.county]\nkind = "boundary"\npath = "county.gpkg"\n'
        '[layers.rl]\nkind = "red_line"\npath = "rl.gpkg"\n', encoding="utf-8")
    clipped = shapely.intersection(shapely.union_all(parts), _square(38_495_000, 4_195_000, 10_000))
    assert clipped.area == pytest.approx(8e6)  # 6 km² + the 1 km × 2 km inside: overlaps counted once
    expected = _geod_area(clipped, 4526)
    good = plan(tmp_path, "国土总面积100平方千米。划定生态保护红线面积8.00平方千米，占国土总面积的8.00%。", "good.txt")
    res = run_cli(str(good), "--project", str(tmp_path / "redline.toml"), "--json")
    assert res.exit_code == 0, res.output
    js = json.loads(res.stdout)
    area = [f for f in js["findings"] if f.get("computed_m2") and f.get("subject") == "生态保护红线"]
    assert area and area[0]["kind"] == "consistent"
    assert area[0]["computed_m2"] == pytest.approx(expected, rel=1e-6)
    wrong = plan(tmp_path, "国土总面积100平方千米。划定生态保护红线面积9.00平方千米。", "wrong.txt")
    res = run_cli(str(wrong), "--project", str(tmp_path / "redline.toml"), "--json")
    assert res.exit_code == 1
    assert finding(json.loads(res.stdout), "computed_mismatch")


# ------------------------------------------------------------------------------------------- robustness
FRAGMENTS = ["生态保护红线", "面积", "国土总面积", "占", "的", "47.89", "5.11", "%", "平方千米", "公顷", "万亩", "亩",
             "，", "。", "\n", "\t", "|", "约", "不低于", "以上", "森林覆盖率", "分别为", "、", "2025年", "到",
             "草原综合植被盖度", "<br>", "**", "１２", "万", "km2", "米", "由", "增长为", "其中", "总面积", "0", ",",
             "   ", "$\\geq$", "<sup>2</sup>", "[bookmark: x]", "\r\n", "\u3000"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_extract_and_check_never_crash_on_plan_like_text(text):
    claims = extract_claims(text)
    for c in claims:
        assert c.line >= 1
        assert c.unit == "%" or c.value_m2 is not None or c.value_m is not None
    check_claims(claims, boundary_m2=1e8, computed={"red_line": 1e7})


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_extract_never_crashes_on_arbitrary_text(text):
    check_claims(extract_claims(text))


# ------------------------------------------------------------------------------------ text encodings
PLAN_SENTENCE = "岢岚县生态保护红线面积为1234.5公顷，占全县国土面积的12.3%，涉及隰县、忻州市交界地带。"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-16"])
def test_simplified_plan_text_reads_in_every_chinese_encoding(tmp_path, encoding) -> None:
    from redline.spatial.plantext import read_plan_text

    path = tmp_path / "plan.txt"
    path.write_bytes((PLAN_SENTENCE * 3).encode(encoding))
    text, _ = read_plan_text(path)
    assert text == PLAN_SENTENCE * 3


@pytest.mark.parametrize("encoding, label", [("big5", "Big5"), ("shift_jis", "Shift-JIS")])
def test_text_in_another_double_byte_encoding_is_refused(tmp_path, encoding, label) -> None:
    from redline.spatial.plantext import read_plan_text

    text = {"big5": "生態保護紅線面積為1234.5公頃，佔全縣國土面積的12.3%。" * 2,
            "shift_jis": "生態系保護区域の面積は1234.5ヘクタールで、県土面積の12.3%を占める。" * 2}[encoding]
    path = tmp_path / "plan.txt"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(InputError, match=label) as exc:
        read_plan_text(path)
    assert exc.value.path == str(path)
