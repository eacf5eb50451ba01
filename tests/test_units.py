"""Area and length units, quantities as written in plans, and 平差 rounding. Expected values by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.layers.errors import InputError, UsageError
from redline.spatial.units import (
    UNITS,
    from_m2,
    largest_remainder_round,
    parse_quantity,
    parse_unit,
    to_m2,
    unit_label,
)


@pytest.mark.parametrize("value, unit, m2", [
    (1, "m2", 1.0),
    (1, "ha", 10_000.0),
    (1, "km2", 1_000_000.0),
    (15, "mu", 10_000.0),                  # 15 亩 = 1 公顷, exactly
    (1, "10k_mu", 10_000 * 10_000 / 15),   # 万亩 ≈ 666.67 公顷
    (30, "10k_mu", 200_000_000.0),         # 30万亩 = 300 000 亩 = 20 000 公顷 = 200 km²
    (1, "10k_ha", 100_000_000.0),
    (2.1, "10k_km2", 21_000_000_000.0),    # 2.1万km² = 21 000 km²
    (28466.876, "ha", 284_668_760.0),
    (47.89, "平方千米", 47_890_000.0),
    (1, "km", 1000.0),
    (120, "公里", 120_000.0),
    (5, "米", 5.0),
])
def test_to_m2(value, unit, m2):
    assert to_m2(value, unit) == pytest.approx(m2, rel=1e-15)


def test_mu_is_exact():
    # 1 亩 = 10000/15 m²: 3 亩 is exactly 2000 m², 45 亩 exactly 3 公顷 (no float drift in the factor)
    assert to_m2(3, "mu") == 2000.0
    assert to_m2(45, "mu") == 30_000.0
    assert from_m2(10_000, "mu") == 15.0
    assert from_m2(2000, "亩") == 3.0


@pytest.mark.parametrize("m2, unit, value", [
    (2_058_000_000, "km2", 2058.0),
    (284_668_760, "ha", 28466.876),
    (200_000_000, "10k_mu", 30.0),
    (21_000_000_000, "10k_km2", 2.1),
    (2500, "km", 2.5),
])
def test_from_m2(m2, unit, value):
    assert from_m2(m2, unit) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text, uid", [
    ("m2", "m2"), ("平方米", "m2"), ("㎡", "m2"), ("m²", "m2"),
    ("公顷", "ha"), ("ha", "ha"), ("HA", "ha"), ("hectares", "ha"), ("hm2", "ha"),
    ("平方千米", "km2"), ("平方公里", "km2"), ("km2", "km2"), ("km²", "km2"), ("㎢", "km2"), ("ｋｍ２", "km2"),
    ("sq km", "km2"), ("亩", "mu"), ("万亩", "10k_mu"), ("万公顷", "10k_ha"), ("万平方千米", "10k_km2"),
    ("万平方公里", "10k_km2"), ("万km2", "10k_km2"), ("米", "m"), ("千米", "km"), ("公里", "km"), ("km", "km"),
    ("10k_mu", "10k_mu"), (" 公顷 ", "ha"),
])
def test_parse_unit(text, uid):
    assert parse_unit(text) == uid


def test_parse_unit_unknown_lists_valid_units():
    with pytest.raises(UsageError) as exc:
        parse_unit("英亩")
    msg = str(exc.value)
    assert "英亩" in msg
    for uid in UNITS:
        assert uid in msg
    assert "公顷" in msg and "万亩" in msg


def test_unit_label():
    assert unit_label("km2") == "平方千米"
    assert unit_label("平方公里") == "平方千米"
    assert unit_label("ha", "en") == "ha"
    assert unit_label("10k_mu") == "万亩"
    with pytest.raises(UsageError):
        unit_label("ha", "fr")


@pytest.mark.parametrize("text, expected", [
    ("28466.876公顷", (28466.876, "ha")),
    ("47.89平方千米", (47.89, "km2")),
    ("2.1万km2", (2.1, "10k_km2")),
    ("30万亩", (30.0, "10k_mu")),
    ("6649.9 ha", (6649.9, "ha")),
    ("约5833.01平方千米", (5833.01, "km2")),
    ("不低于5833.01平方千米", (5833.01, "km2")),
    ("２０５８平方公里", (2058.0, "km2")),        # full-width digits
    ("28,466.876 公顷", (28466.876, "ha")),       # thousands separator
    ("5.11%", (5.11, "%")),
    ("5.11％", (5.11, "%")),
    ("80%以上", (80.0, "%")),
    ("4万余亩", (4.0, "10k_mu")),
    ("2万平方米", (20000.0, "m2")),               # 万 + a unit with no 万 form scales the value
    ("199.43km²", (199.43, "km2")),
    ("22.5 公里", (22.5, "km")),
    ("1600 亩左右", (1600.0, "mu")),
])
def test_parse_quantity(text, expected):
    value, unit = parse_quantity(text)
    assert unit == expected[1]
    assert value == pytest.approx(expected[0], rel=1e-15)


@pytest.mark.parametrize("text", ["", "公顷", "47.89", "面积47.89平方千米", "47.89 英亩", "abc", "5.11%%",
                                  "1平方千米2平方千米", None])
def test_parse_quantity_rejects(text):
    with pytest.raises(InputError):
        parse_quantity(text)


def test_largest_remainder_round_parts_sum_to_total():
    # 33.333 + 33.333 + 33.334 = 100: plain rounding gives 33 + 33 + 33 = 99, so one part takes the unit
    assert largest_remainder_round([33.333, 33.333, 33.334], 0) == ([33.0, 33.0, 34.0], True)
    # 0.125 ×3 = 0.375 → 0.38 (half up); the floors 0.12 ×3 = 0.36 miss 2 units; equal remainders: first two
    assert largest_remainder_round([0.125, 0.125, 0.125], 2) == ([0.13, 0.13, 0.12], True)
    # 1.004 ×3 = 3.012 → 3.01: one part of 1.01
    assert largest_remainder_round([1.004, 1.004, 1.004], 2) == ([1.01, 1.0, 1.0], True)


def test_largest_remainder_round_no_adjustment_needed():
    # 1.2 + 2.7 = 3.9 → 4; plain rounding 1 + 3 = 4 already
    assert largest_remainder_round([1.2, 2.7], 0) == ([1.0, 3.0], False)
    assert largest_remainder_round([12.34, 56.78], 2) == ([12.34, 56.78], False)


def test_largest_remainder_round_given_total():
    # parts of 100 %: 10.4 + 20.4 + 69.2 = 100.0; floors 10 + 20 + 69 = 99; largest remainder .4 (first)
    assert largest_remainder_round([10.4, 20.4, 69.2], 0, total=100) == ([11.0, 20.0, 69.0], True)


def test_largest_remainder_round_rejects_a_total_that_is_not_a_rounding_difference():
    with pytest.raises(UsageError):
        largest_remainder_round([1.0, 2.0], 0, total=10)
    with pytest.raises(UsageError):
        largest_remainder_round([1.0], -1)


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=20),
       st.integers(min_value=0, max_value=3))
def test_largest_remainder_round_properties(values, decimals):
    rounded, _ = largest_remainder_round(values, decimals)
    step = 10.0 ** -decimals
    # each part moved by less than one unit of the last place, and the parts add up to the rounded sum
    for v, r in zip(values, rounded, strict=True):
        assert abs(v - r) < step * (1 + 1e-9) + 1e-9 * abs(v)
    from decimal import ROUND_HALF_UP, Decimal
    total = sum(Decimal(repr(v)) for v in values)
    target = (total / Decimal(repr(step))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert round(sum(rounded) / step) == int(target)


@given(st.text(max_size=40))
def test_parse_quantity_never_crashes(text):
    try:
        value, unit = parse_quantity(text)
    except InputError:
        return
    assert unit == "%" or unit in UNITS
    assert value >= 0


@given(st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False, allow_infinity=False),
       st.sampled_from(["公顷", "平方千米", "平方公里", "亩", "万亩", "km2", "ha", "米", "公里"]))
def test_parse_quantity_round_trip(number, spelling):
    value, unit = parse_quantity(f"{number}{spelling}")
    assert value == pytest.approx(float(number), rel=1e-12, abs=1e-12)
    assert unit == parse_unit(spelling)
