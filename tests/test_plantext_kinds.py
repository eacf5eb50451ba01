"""Each kind of figure the plan-text extractor reads, pinned with sentences written for these tests (not
copied from the shared plans). Expected values are the figures as written, converted by hand
(三千亩 = 3000 亩 = 2,000,000 m²; 1.2万公顷 = 12,000 ha; 2.1亿平方米 = 2.1e8 m²; 两公里 = 2000 m).
"""

from __future__ import annotations

import pytest

from redline.spatial.plantext import check_claims, extract_claims


def rows(text: str, *fields: str) -> list[tuple]:
    return [tuple(getattr(c, f) for f in fields) for c in extract_claims(text)]


# ------------------------------------------------------------------------------------ rates and shares
def test_rate_stated_as_change():
    assert rows("全县林草覆盖率由2020年41.5%提高到2025年45%。", "subject", "value", "role", "year") == [
        ("林草覆盖率", 41.5, "previous", 2020), ("林草覆盖率", 45.0, "status", 2025)]


def test_treatment_degree_is_a_ratio_not_a_share_of_the_region():
    [c] = extract_claims("累计水土流失治理度达到 61%。")
    assert (c.subject, c.kind, c.value, c.share_pct) == ("水土流失治理度", "ratio", 61.0, None)


def test_green_cover_of_places_are_different_things():
    claims = extract_claims("建成区绿化覆盖率为41.2%。村庄绿化覆盖率为28%。")
    assert [(c.subject, c.modifier, c.value) for c in claims] == [("绿化覆盖率", "建成区", 41.2), ("绿化覆盖率", "村庄", 28.0)]
    assert not [f for f in check_claims(claims) if f["kind"] == "conflicting_values"]


def test_share_stated_before_its_subject():
    [c] = extract_claims("全县68%的面积为黄土丘陵。")
    assert (c.kind, c.value, c.subject_text, c.denominator) == ("share", 68.0, "黄土丘陵", "国土总面积")
    [c] = extract_claims("全市81%为山区。")
    assert (c.value, c.subject_text) == (81.0, "山区")


def test_comparative_forms_are_bounds_not_values():
    claims = extract_claims("各乡镇森林覆盖率最低为9.85%，最高超过57%。全县森林覆盖率为23.4%。")
    assert [(c.subject, c.value, c.qualifier) for c in claims] == [
        ("森林覆盖率", 9.85, "最低为"), ("森林覆盖率", 57.0, "超过"), ("森林覆盖率", 23.4, None)]
    assert not [f for f in check_claims(claims) if f["kind"] == "conflicting_values"]


def test_area_share_right_after_the_area_word():
    claims = extract_claims("其中林地面积43.1%，草地面积12.6%。")
    assert [(c.subject, c.value, c.kind) for c in claims] == [("林地", 43.1, "share"), ("草地", 12.6, "share")]


# ------------------------------------------------------------------------------------------------ tables
def test_flattened_indicator_table_with_marks_and_remarks():
    text = ("指标\t单位\t现状值\t目标值\n"
            "森林覆盖率\t%\t27.4*\t≥30\n"
            "湿地保护率\t%\t51.3②\t不低于55\n"
            "林草覆盖率\t%\t48.9（采用2021年国土变更调查数据计算）\t50\n")
    got = rows(text, "line", "subject", "value", "role", "qualifier")
    assert got == [(2, "森林覆盖率", 27.4, "status", None), (2, "森林覆盖率", 30.0, "target", "≥"),
                   (3, "湿地保护率", 51.3, "status", None), (3, "湿地保护率", 55.0, "target", "不低于"),
                   (4, "林草覆盖率", 48.9, "status", None), (4, "林草覆盖率", 50.0, "target", None)]


def test_table_cells_separated_by_runs_of_spaces():
    # a PDF table flattened with spaces: the unit in its own column, the subject several columns away
    text = "序号  指标              单位    现状值    目标值\n1     森林覆盖率        %       31.2      35\n"
    assert rows(text, "subject", "value", "role") == [("森林覆盖率", 31.2, "status"), ("森林覆盖率", 35.0, "target")]


# ----------------------------------------------------------------------------------------------- lengths
@pytest.mark.parametrize("text, value_m, qualifier", [
    ("清水河干流境内长约312公里。", 312_000.0, "约"),
    ("建设河岸生态缓冲带86公里。", 86_000.0, None),
    ("湿地缓冲带 7 公里。", 7_000.0, None),
    ("新建绿道两公里。", 2_000.0, None),
    ("实施堤防加固3.5km。", 3_500.0, None),
])
def test_lengths(text, value_m, qualifier):
    [c] = extract_claims(text)
    assert (c.kind, c.value_m, c.qualifier) == ("length", pytest.approx(value_m), qualifier)


def test_length_ranges_give_both_bounds():
    claims = extract_claims("防护林带宽30-60米，生态廊道宽2～5公里。")
    assert [(c.value_m, c.qualifier) for c in claims] == [(30.0, "下限"), (60.0, "上限"), (2000.0, "下限"),
                                                           (5000.0, "上限")]


def test_zone_distances_are_lengths_but_distances_between_places_are_not():
    claims = extract_claims("沿岸堤外80米范围内禁止取土。距离河道50米范围内禁止堆放。县城距省城95公里，西北2.4km处建电站。"
                            "管径0.5米，铺设污水管网12公里，焦炉高度6米。")
    assert [c.value_m for c in claims] == [80.0, 50.0]
    # 以内 right after the unit is read as the figure's qualifier: the distance still bounds a zone
    assert [c.value_m for c in extract_claims("距离水库3公里以内禁止建设养殖场。")] == [3000.0]


# ------------------------------------------------------------------------------------- numbers and units
@pytest.mark.parametrize("text, unit, value, value_m2", [
    ("完成造林三千亩。", "mu", 3000.0, 2_000_000.0),
    ("湿地面积1.2万公顷。", "10k_ha", 1.2, 1.2e8),
    ("绿地面积2.1亿平方米。", "m2", 2.1e8, 2.1e8),
    ("退耕还林一百二十亩。", "mu", 120.0, 80_000.0),
])
def test_chinese_numerals_and_multipliers(text, unit, value, value_m2):
    [c] = extract_claims(text)
    assert (c.unit, c.value, c.value_m2) == (unit, pytest.approx(value), pytest.approx(value_m2))


def test_floor_areas_and_facilities_are_not_land():
    text = "项目总建筑面积5200平方米，其中办公用房800平方米，地下车库1500平方米，供热面积3万平方米。绿化面积2600平方米。"
    assert [c.value for c in extract_claims(text)] == [2600.0]


def test_status_columns_with_a_row_of_years():
    # 现状值 spans three columns; the row under the header gives each its year
    text = ("指标名称\t单位\t指标值\t现状值\t\t\t近期目标（2025年）\n\t\t\t2019\t2020\t2021\t\n"
            "森林覆盖率\t%\t≥30\t28.1\t28.9\t29.6\t≥31\n")
    assert rows(text, "value", "role", "year") == [(30.0, "target", None), (28.1, "status", 2019),
                                                   (28.9, "status", 2020), (29.6, "status", 2021),
                                                   (31.0, "target", 2025)]


def test_parts_of_a_floor_area_statement_are_not_land():
    text = "地上建筑部分：商场约6200平方米，文化站约900平方米。广场绿地4500平方米，景观凉亭120平方米。"
    assert [c.value for c in extract_claims(text)] == [4500.0]


def test_rate_criteria_listed_after_a_colon():
    # one cell per line: the criteria by terrain, the weighted criterion among words, the current value
    text = ("\t序号\n\t指标名称\n\t单位\n\t指标值\n\t现状值（2021年）\n\n"
            "\t5\n\t林草覆盖率：\n山区≥55%\n丘陵区≥35%\n\t%\n\t加权后为41.30%\n\t47.2\n")
    got = rows(text, "line", "subject", "modifier", "value", "qualifier", "role")
    assert got == [(9, "林草覆盖率", "山区", 55.0, "≥", "status"), (10, "林草覆盖率", "丘陵区", 35.0, "≥", "status"),
                   (12, "林草覆盖率", "", 41.3, None, "target"), (13, "林草覆盖率", "", 47.2, None, "status")]


def test_a_list_of_distances_between_places_and_idioms():
    text = "县城距市府120公里，省城96公里，处在首都300公里旅游辐射圈中。打通服务群众“最后一公里”。"
    assert extract_claims(text) == []
