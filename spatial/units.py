"""Area and length units of Chinese planning documents, quantities as written, and 平差 rounding.

Unit ids are short ASCII names; every unit has a factor to square metres (areas) or metres (lengths), a
Chinese label and an English label:

==========  ===========  =====================  ==========
id          Chinese      factor                 measure
==========  ===========  =====================  ==========
``m2``      平方米        1 m²                   area
``ha``      公顷          10 000 m²              area
``km2``     平方千米      1 000 000 m²           area
``mu``      亩            10 000 / 15 m²         area
``10k_mu``  万亩          10 000 亩              area
``10k_ha``  万公顷        10 000 公顷             area
``10k_km2`` 万平方千米    10 000 平方千米          area
``m``       米            1 m                    length
``km``      千米          1 000 m                length
==========  ===========  =====================  ==========

1 亩 is exactly 10 000/15 m² (15 亩 = 1 公顷); factors are kept as exact fractions and applied once.

Example
-------
>>> parse_quantity("28466.876公顷")
(28466.876, 'ha')
>>> round(to_m2(30, "10k_mu") / 1e6, 4)   # 30万亩 in km²
200.0
>>> largest_remainder_round([33.333, 33.333, 33.334], 0, total=100)   # 33+33+33 would be 99
([33.0, 33.0, 34.0], True)
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction

from redline.layers.errors import InputError, UsageError


@dataclass(frozen=True)
class Unit:
    """One unit: ``factor`` converts a value to m² (areas) or m (lengths)."""

    id: str
    measure: str  # "area" or "length"
    factor: Fraction
    zh: str
    en: str


UNITS: dict[str, Unit] = {u.id: u for u in (
    Unit("m2", "area", Fraction(1), "平方米", "m²"),
    Unit("ha", "area", Fraction(10_000), "公顷", "ha"),
    Unit("km2", "area", Fraction(1_000_000), "平方千米", "km²"),
    Unit("mu", "area", Fraction(10_000, 15), "亩", "mu"),
    Unit("10k_mu", "area", Fraction(10_000 * 10_000, 15), "万亩", "10,000 mu"),
    Unit("10k_ha", "area", Fraction(10_000 * 10_000), "万公顷", "10,000 ha"),
    Unit("10k_km2", "area", Fraction(10_000 * 1_000_000), "万平方千米", "10,000 km²"),
    Unit("m", "length", Fraction(1), "米", "m"),
    Unit("km", "length", Fraction(1_000), "千米", "km"),
)}

# Spellings (after NFKC normalisation, lower-cased for Latin letters) -> unit id.
_BASE_SPELLINGS: dict[str, str] = {
    "m2": "m2", "平方米": "m2", "平米": "m2", "sqm": "m2", "sq m": "m2", "square metre": "m2",
    "square metres": "m2", "square meter": "m2", "square meters": "m2",
    "ha": "ha", "公顷": "ha", "hm2": "ha", "hectare": "ha", "hectares": "ha",
    "km2": "km2", "平方千米": "km2", "平方公里": "km2", "sq km": "km2", "sqkm": "km2",
    "square kilometre": "km2", "square kilometres": "km2", "square kilometer": "km2",
    "square kilometers": "km2",
    "mu": "mu", "亩": "mu",
    "m": "m", "米": "m", "metre": "m", "metres": "m", "meter": "m", "meters": "m",
    "km": "km", "千米": "km", "公里": "km", "kilometre": "km", "kilometres": "km", "kilometer": "km",
    "kilometers": "km",
}
# "万" + a base unit that is a unit of its own.
_TEN_THOUSAND = {"mu": "10k_mu", "ha": "10k_ha", "km2": "10k_km2"}

UNIT_SPELLINGS: dict[str, str] = {**{u: u for u in UNITS}, **_BASE_SPELLINGS}
for _text, _uid in list(_BASE_SPELLINGS.items()):
    if _uid in _TEN_THOUSAND:
        UNIT_SPELLINGS["万" + _text] = _TEN_THOUSAND[_uid]

PERCENT = "%"


def _norm(text: str) -> str:
    """NFKC (full-width digits, ㎡, ㎢, ² → ASCII), lower-case, single spaces."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\u3000", " ")
    return re.sub(r"\s+", " ", text).strip().lower()


def _unit(unit: str) -> Unit:
    if isinstance(unit, Unit):
        return unit
    return UNITS[parse_unit(unit)]


def parse_unit(text: str) -> str:
    """The unit id of a unit written in Chinese, English or as an id.

    Parameters
    ----------
    text : str
        "公顷", "ha", "平方公里", "km²", "km2", "万亩", "亩", "米", "公里", "10k_mu", ...

    Returns
    -------
    str
        A key of :data:`UNITS`.

    Raises
    ------
    UsageError
        The text is no known unit; the message lists the valid ones.

    Example
    -------
    >>> parse_unit("平方公里"), parse_unit("km²"), parse_unit("万亩")
    ('km2', 'km2', '10k_mu')
    """
    key = _norm(text)
    if key in UNIT_SPELLINGS:
        return UNIT_SPELLINGS[key]
    compact = key.replace(" ", "")
    if compact in UNIT_SPELLINGS:
        return UNIT_SPELLINGS[compact]
    valid = ", ".join(f"{u.id} ({u.zh})" for u in UNITS.values())
    raise UsageError(f"unknown unit {text!r}; valid units: {valid}")


def unit_label(unit: str, lang: str = "zh") -> str:
    """The unit's label: ``lang="zh"`` (公顷) or ``"en"`` (ha).

    >>> unit_label("km2"), unit_label("km2", "en")
    ('平方千米', 'km²')
    """
    u = _unit(unit)
    if lang not in ("zh", "en"):
        raise UsageError(f"unknown language {lang!r}; valid: zh, en")
    return u.zh if lang == "zh" else u.en


def to_m2(value: float, unit: str) -> float:
    """A value in ``unit`` in m² (areas) or m (lengths).

    >>> to_m2(15, "亩"), to_m2(47.89, "km2")
    (10000.0, 47890000.0)
    """
    factor = _unit(unit).factor
    value = float(value)
    if not math.isfinite(value):
        return value * float(factor)
    return float(Fraction(value) * factor)  # exact product, rounded once


def from_m2(m2: float, unit: str) -> float:
    """A value in m² (or m) expressed in ``unit``.

    >>> from_m2(10000, "mu"), from_m2(2_058_000_000, "平方公里")
    (15.0, 2058.0)
    """
    factor = _unit(unit).factor
    m2 = float(m2)
    if not math.isfinite(m2):
        return m2 / float(factor)
    return float(Fraction(m2) / factor)


# A number as written: digits with optional thousands separators and decimals.
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# Unit spellings longest first, so that 平方公里 wins over 公里 and 万亩 over 亩.
_UNIT_ALTERNATION = "|".join(re.escape(s) for s in sorted(UNIT_SPELLINGS, key=len, reverse=True))
_QUALIFIERS_BEFORE = r"(?:约|大约|近|超过|不足|逾|不低于|不少于|不小于|不高于|不超过|不大于|达到|达|为|共|计|合计|总计|>=|<=|≥|≤|>|<|＞|＜)"
_QUALIFIERS_AFTER = r"(?:以上|以下|以内|左右|余|多)"
_QUANTITY_RE = re.compile(
    rf"^\s*(?P<before>{_QUALIFIERS_BEFORE}\s*)*(?P<num>{NUMBER})\s*(?P<mult>万|亿)?(?P<mid>余|多)?\s*"
    rf"(?P<unit>{_UNIT_ALTERNATION}|%)\s*(?P<after>{_QUALIFIERS_AFTER})?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Quantity:
    """A figure as written: value in its unit, decimals written, and the qualifier words around it."""

    value: float
    unit: str  # a UNITS id or "%"
    decimals: int
    qualifier: str | None = None


def read_number(text: str) -> tuple[float, int]:
    """``(value, decimals written)`` of a number such as ``"28,466.876"``."""
    text = text.replace(",", "")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return float(text), decimals


def combine_unit(number: str, multiplier: str | None, unit_text: str) -> Quantity:
    """A number, an optional 万/亿 multiplier and a unit spelling as one :class:`Quantity`.

    万 + 亩/公顷/平方千米 is a unit of its own (万亩); with any other unit the multiplier scales the value
    ("2万平方米" = 20000 m²).
    """
    value, decimals = read_number(number)
    if unit_text == "%":
        uid = PERCENT
    else:
        uid = parse_unit(unit_text)
    if multiplier == "万" and uid in _TEN_THOUSAND:
        uid = _TEN_THOUSAND[uid]
    elif multiplier == "万":
        value, decimals = value * 1e4, max(decimals - 4, 0)
    elif multiplier == "亿":
        value, decimals = value * 1e8, max(decimals - 8, 0)
    return Quantity(value, uid, decimals)


def parse_quantity(text: str) -> tuple[float, str]:
    """A figure as written in a plan: ``(value, unit id)``; percentages give the unit ``"%"``.

    Accepts full-width digits, thousands separators, "约"/"不低于"/"≥" before and "以上"/"左右" after.

    Raises
    ------
    InputError
        The text is not a single quantity with a unit.

    Example
    -------
    >>> parse_quantity("约5833.01平方千米"), parse_quantity("2.1万km2"), parse_quantity("6649.9 ha")
    ((5833.01, 'km2'), (2.1, '10k_km2'), (6649.9, 'ha'))
    """
    q = parse_quantity_full(text)
    return q.value, q.unit


def parse_quantity_full(text: str) -> Quantity:
    """Like :func:`parse_quantity`, also giving the decimals written and the qualifier."""
    norm = _norm(text) if isinstance(text, str) else ""
    m = _QUANTITY_RE.match(norm)
    if not m:
        raise InputError(f"not a quantity with a unit: {str(text)[:60]!r}")
    q = combine_unit(m["num"], m["mult"], m["unit"])
    before = re.findall(_QUALIFIERS_BEFORE, m.group(0)[: m.start("num")])
    quals = [b for b in before if b not in ("为", "达", "达到", "共", "计", "合计", "总计")]
    quals += [x for x in (m["mid"], m["after"]) if x]
    return Quantity(q.value, q.unit, q.decimals, "".join(quals) or None)


def largest_remainder_round(values, decimals: int, total: float | None = None) -> tuple[list[float], bool]:
    """Round parts so that they add up to their rounded total (平差, largest-remainder method).

    Each part is first cut down to ``decimals``; the units of the last place still missing to reach the
    rounded total go, one each, to the parts with the largest remainders (ties: the earlier part).
    Rounding is half up (四舍五入).

    Parameters
    ----------
    values : sequence of float
        The unrounded parts.
    decimals : int
        Decimal places of the result.
    total : float, optional
        The total the parts must add up to once rounded; default the sum of the parts.

    Returns
    -------
    (list of float, bool)
        The rounded parts, and whether any part differs from its plain half-up rounding.

    Raises
    ------
    UsageError
        ``total`` differs from the sum of the parts by more than rounding can absorb.

    Example
    -------
    >>> largest_remainder_round([1.004, 1.004, 1.004], 2)   # plain rounding gives 3.00, the total is 3.01
    ([1.01, 1.0, 1.0], True)
    """
    if decimals < 0:
        raise UsageError("decimals must be 0 or more")
    parts = [Decimal(repr(float(v))) for v in values]
    step = Decimal(1).scaleb(-decimals)
    whole = Decimal(repr(float(total))) if total is not None else sum(parts, Decimal(0))
    target = (whole / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    floors = [(p / step).to_integral_value(rounding=ROUND_FLOOR) for p in parts]
    missing = int(target - sum(floors, Decimal(0)))
    if missing < 0 or missing > len(parts):
        raise UsageError(f"the parts add up to {sum(parts, Decimal(0))}, not to the total {whole}: "
                         "more than a rounding difference")
    order = sorted(range(len(parts)), key=lambda i: (-(parts[i] / step - floors[i]), i))
    units = list(floors)
    for i in order[:missing]:
        units[i] += 1
    plain = [(p / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) for p in parts]
    rounded = [float(u * step) for u in units]
    return rounded, any(u != p for u, p in zip(units, plain, strict=True))
