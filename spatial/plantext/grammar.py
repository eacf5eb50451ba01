"""The grammar of one figure: qualifier, number, multiplier, unit or %, qualifier; the :class:`Claim`.

Example
-------
>>> [(f.value, f.unit, f.qualifier) for f in _figures("面积约47.89平方千米，占5.11%以上")]
[(47.89, 'km2', '约'), (5.11, '%', '以上')]
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from redline.layers.errors import UsageError
from redline.spatial.units import NUMBER, PERCENT, UNIT_SPELLINGS, UNITS, combine_unit, to_m2


@dataclass
class Claim:
    """One figure about land and space in a plan text.

    ``value``/``unit`` as written (unit a :data:`redline.spatial.units.UNITS` id or ``"%"``); ``value_m2`` for
    areas, ``value_m`` for lengths; ``share_pct`` when the figure is (or comes with) a share of an area
    (``denominator``); ``value_step``/``share_step`` the rounding step of the figure as written.
    """

    line: int
    text: str
    subject: str | None
    subject_id: str | None
    subject_text: str
    kind: str  # area | length | share | rate | ratio
    value: float
    unit: str
    unit_text: str
    value_m2: float | None = None
    value_m: float | None = None
    share_pct: float | None = None
    denominator: str | None = None
    denominator_id: str | None = None
    qualifier: str | None = None
    share_qualifier: str | None = None
    role: str = "status"  # status | target | previous | unknown
    year: int | None = None
    flow: bool = False
    scope: str = "region"  # region | wider
    source: str = "text"  # text | table
    value_step: float = 1.0
    share_step: float | None = None
    share_line: int | None = None
    modifier: str = ""
    sentence: int = 0  # claims of one sentence share it (for parts of a whole stated together)
    change: str | None = None  # "up" / "down": the figure is stated as the result of a change (提高到, 减少到)

    def to_dict(self) -> dict:
        return asdict(self)


_QB = r"约|大约|近|超过|不足|逾|不低于|不少于|不小于|不高于|不超过|不大于|最低为|最高为|最低|最高|>=|<=|≥|≤|>|<"
_QA = r"以上|以下|以内|左右|余|多"
_BOUND_WORDS = ("最低", "最高", "下限", "上限", "超过", "不足", "逾", "以内", "不低于", "不少于", "不小于", "不高于", "不超过", "不大于", ">", "<", "≥", "≤", "以上",
                "以下", "余", "多")
_UNIT_ALT = "|".join(re.escape(s) for s in sorted(UNIT_SPELLINGS, key=len, reverse=True))
#: A number in Chinese numerals (三千, 两, 一百二十, 三点五); 万/亿 are the multiplier, not part of it.
CN_NUMBER = r"[一二两三四五六七八九十百千零〇]+(?:点[零〇一二三四五六七八九]+)?"
_FIGURE_RE = re.compile(
    rf"(?:(?P<qb>{_QB})\s*)?(?<![\d.])(?<!\d,)(?<![第一二两三四五六七八九十百千零〇])"
    rf"(?:(?P<lo>{NUMBER})\s*(?:-|~|—|–|至|到)\s*)?(?P<num>{NUMBER}|{CN_NUMBER})(?![\d])\s*(?P<mult>万|亿)?(?P<mid>余|多)?\s*"
    rf"(?P<unit>%|{_UNIT_ALT})(?![a-z0-9/])(?:\s*(?P<qa>{_QA}))?", re.IGNORECASE)
#: A table cell holding one number: qualifier, number, unit, qualifier, then a footnote mark (35.2*) or a remark
#: in brackets ("52.1（采用2020年变更调查数据计算）").
_CELL_NUMBER_RE = re.compile(
    rf"^\s*(?:(?P<qb>{_QB})\s*)?(?P<num>{NUMBER})\s*(?P<unit>%|{_UNIT_ALT})?\s*(?P<qa>{_QA})?\s*"
    rf"[*※†‡#]*\s*(?:\([^()]{{0,60}}\))?\s*$",
    re.IGNORECASE)
_SENTENCE_END = "。!?;"
_CLAUSE_RE = re.compile(r",(?!\d{3}(?!\d))|:|。|!|\?|;")
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_CHANGE_VERBS = ("增长", "增加", "提高", "提升", "上升", "下降", "减少", "降低", "扩大", "缩小", "减至", "增至")
_TARGET_RE = re.compile("".join(f"(?<!{v})" for v in _CHANGE_VERBS)
                        + r"(?<![截止直])到\s*(?:19|20)\d{2}\s*年|目标|力争|规划期末|规划末期|预期")
_PREVIOUS_AFTER_RE = re.compile(r"^\s*(?:增长|增加|提高|提升|上升|下降|减少|降低|扩大|缩小|变为)(?:为|到|至)")
_PREVIOUS_BEFORE_RE = re.compile(r"(?:由|从)\s*$")


@dataclass
class _Figure:
    start: int
    end: int
    value: float
    unit: str
    unit_text: str
    step: float
    qualifier: str | None

    @property
    def measure(self) -> str:
        return "percent" if self.unit == PERCENT else UNITS[self.unit].measure


_CN_DIGITS = "一二两三四五六七八九"


def chinese_number(text: str) -> str | None:
    """A number written in Chinese numerals as Arabic digits, or None when it is not a number as plans write
    them (a lone 千 or 百 is a unit prefix as in 千米; digit strings such as 四五 are names, not numbers).

    >>> chinese_number("三千"), chinese_number("两"), chinese_number("一百零五"), chinese_number("三点五")
    ('3000', '2', '105', '3.5')
    >>> chinese_number("千"), chinese_number("四五")
    (None, None)
    """
    whole = text.split("点")[0]
    if whole in ("千", "百") or any(a in _CN_DIGITS and b in _CN_DIGITS for a, b in zip(whole, whole[1:], strict=False)):
        return None
    import cn2an

    try:
        value = cn2an.cn2an(text, "normal")
    except (ValueError, KeyError, IndexError):
        return None
    decimals = len(text.split("点")[1]) if "点" in text else 0
    return f"{value:.{decimals}f}"


def _figure_from_match(m: re.Match, offset: int = 0) -> _Figure | None:
    num = m["num"]
    if not num[0].isdigit():
        num = chinese_number(num)
        if num is None:
            return None
    try:
        q = combine_unit(num, m["mult"], m["unit"])
    except (UsageError, ValueError):
        return None
    num = num.replace(",", "")
    step = 10.0 ** -(len(num.split(".")[1]) if "." in num else 0)
    if m["mult"] and not q.unit.startswith("10k_"):  # 万/亿 scaled the value, and its rounding step
        step *= 1e4 if m["mult"] == "万" else 1e8
    quals = [x for x in (m["qb"], m["mid"], m["qa"]) if x]
    return _Figure(offset + m.start(), offset + m.end(), q.value, q.unit, m["unit"], step,
                   "".join(quals) or None)


def _figures(text: str) -> list[_Figure]:
    """The figures of a text; a range ("20-80米") gives two, its bounds ("下限", "上限")."""
    out = []
    for m in _FIGURE_RE.finditer(text):
        f = _figure_from_match(m)
        if f is None:
            continue
        if m["lo"]:
            lo = _figure_from_match(_FIGURE_RE.match(f"{m['lo']}{m['mult'] or ''}{m['unit']}"))
            if lo is not None:
                lo.start, lo.end, lo.qualifier = m.start("lo"), m.start("lo") + len(m["lo"]), "下限"
                f.start, f.qualifier = m.start("num"), "上限" + (f.qualifier or "")
                out.append(lo)
        out.append(f)
    return out


def _fill_measure(claim: Claim) -> None:
    """``value_m2`` for areas, ``value_m`` for lengths (``to_m2`` converts both to base units)."""
    if claim.unit in UNITS:
        if UNITS[claim.unit].measure == "area":
            claim.value_m2 = to_m2(claim.value, claim.unit)
        else:
            claim.value_m = to_m2(claim.value, claim.unit)
