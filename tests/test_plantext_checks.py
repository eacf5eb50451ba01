"""The checks a reviewer expects of a plan's figures, on sentences written for these tests.

Sums are hand arithmetic on the figures as written, with the rounding the written decimals allow
(52.4 % + 21.7 % = 74.1 %, ±0.1; "74 %" means 73.5–74.5 %).
"""

from __future__ import annotations

from redline.spatial.plantext import INCONSISTENT_KINDS, check_claims, extract_claims


def findings(text: str) -> list[tuple[str, list[int]]]:
    return [(f["kind"], f["lines"]) for f in check_claims(extract_claims(text))]


def bad(text: str) -> list[str]:
    return [k for k, _ in findings(text) if k in INCONSISTENT_KINDS]


# ------------------------------------------------------------------------------------ parts and whole
def test_shares_of_parts_against_the_share_of_their_union():
    # 52.4 + 21.7 = 74.1 (73.9–74.2 with the rounding written), within 73.5–74.5: consistent
    assert findings("全县山地面积52.4%，\n丘陵面积21.7%，\n全县74%为山地和丘陵。") == [("consistent", [1, 2, 3])]
    # 52.4 + 28.7 = 81.1: not 74
    assert bad("山地面积52.4%，丘陵面积28.7%，全县74%为山地和丘陵。") == ["parts_mismatch"]


def test_shares_of_the_region_stated_together_over_100():
    # 49 + 47 + 14 = 110 %
    assert bad("境内土石山区面积占49%，黄土丘陵区面积占47%，河川区面积占14%。") == ["parts_exceed_whole"]
    # 49 + 37 + 14 = 100 %: nothing to report
    assert bad("境内土石山区面积占49%，黄土丘陵区面积占37%，河川区面积占14%。") == []


def test_areas_listed_after_their_whole():
    # 600 + 450 = 1050 km² > 1000 km²
    assert bad("全县国土总面积1000平方千米，其中汾河流域600平方千米、浍河流域450平方千米。") == ["parts_exceed_whole"]
    # 1200 + 1500 + 2300 = 5000 m²: the parts make up the whole
    assert findings("广场改造总面积约5000平方米，其中东区面积1200平方米，西区面积1500平方米，南区面积2300平方米。") == [
        ("consistent", [1])]


# --------------------------------------------------------------------------------- target and baseline
def test_a_rise_below_its_baseline_and_a_fall_above_it():
    assert bad("全县森林覆盖率由2020年23.5%提高到2025年21%。") == ["change_direction"]
    assert bad("水土流失面积由560平方千米减少到610平方千米。") == ["change_direction"]
    assert bad("全县森林覆盖率由2020年23.5%提高到2025年26%。水土流失面积由560平方千米减少到480平方千米。") == []


# ----------------------------------------------------------------------------- a whole and a part of it
def test_a_whole_and_a_part_of_it_are_not_a_contradiction():
    text = ("全市森林覆盖率为23.5%。\n国有林场森林覆盖率达到85.2%。\n全市国有林区的森林覆盖率为79%。\n"
            "全省森林覆盖率为25.0%。\n海河流域森林覆盖率为31%。\n")
    assert bad(text) == []


def test_the_same_subject_stated_twice_is_still_a_contradiction():
    assert bad("全市森林覆盖率为23.5%。\n据统计，全市森林覆盖率为25.1%。\n") == ["conflicting_values"]


# -------------------------------------------------------------------------------- existing checks hold
def test_existing_checks():
    assert bad("国土总面积1000平方千米。生态保护红线面积100平方千米，占国土总面积的12.5%。") == ["inconsistent_total"]
    assert bad("生态保护红线占国土面积的112.5%。") == ["share_over_100"]
    assert bad("国土总面积500平方千米。全县湿地面积6.5万公顷。") == ["area_over_total"]
