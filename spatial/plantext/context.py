"""What surrounds a figure: the subjects named in a text, their modifiers, a claim's role, year and scope.

Example
-------
>>> text = "胜溪湖湿地面积50公顷"
>>> [(o.subject_id, _modifier(text, o.start)) for o in _occurrences(text, [0])]
[('wetland', '胜溪湖')]
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache

from redline.spatial.plantext.grammar import (
    _PREVIOUS_AFTER_RE,
    _PREVIOUS_BEFORE_RE,
    _QB,
    _TARGET_RE,
    _YEAR_RE,
    Claim,
)
from redline.spatial.plantext.layout import _span_of
from redline.spatial.plantext.vocabulary import _alias_table, _is_cjk, vocabulary

#: The subject id of a rate of land not named in the vocabulary ("城市绿化覆盖率"); its claims show the words.
GENERIC_RATE = "land_rate"
_UP_VERBS = ("增长", "增加", "提高", "提升", "上升", "扩大", "增至")
_DOWN_VERBS = ("下降", "减少", "降低", "缩小", "减至")
_CHANGE_BEFORE_RE = re.compile(rf"({'|'.join(_UP_VERBS + _DOWN_VERBS)})(?:为|到|至)?\s*(?:(?:19|20)\d{{2}}\s*年)?\s*的?"
                               rf"\s*(?:{_QB})?\s*$")


@dataclass
class _Occurrence:
    start: int
    end: int
    subject_id: str


def _occurrences(text: str, clauses: list[int]) -> list[_Occurrence]:
    """The subjects named in a text. A generic alias (总面积) names the region's total only at the start
    of a clause or after a place or scope word; at a clause start right after a clause that names an area
    subject ("共有自然保护地5处，总面积86.4平方千米") it is that subject's total."""
    pattern, owner = _alias_table()
    subjects, words = vocabulary()
    prefixes = tuple(words["total_prefixes"])
    out: list[_Occurrence] = []
    for m in pattern.finditer(text):
        sid = owner[m.group(0)]
        if m.group(0) in subjects[sid].generic:
            cstart, _ = _span_of(clauses, m.start(), len(text))
            before = text[max(cstart, m.start() - 40):m.start()].strip()
            if before and not before.endswith(prefixes):
                continue
            if not before and cstart > 0 and text[cstart - 1] in ",:":
                pstart, _ = _span_of(clauses, cstart - 1, len(text))
                prev = next((o for o in reversed(out[-8:]) if pstart <= o.start < cstart
                             and subjects[o.subject_id].measure == "area"), None)
                if prev:
                    sid = prev.subject_id
        out.append(_Occurrence(m.start(), m.end(), sid))
    return _with_generic_rates(text, out)


@cache
def _generic_rate_re() -> re.Pattern:
    words = vocabulary()[1]
    lead = "|".join(sorted(words["rate_lead_words"], key=len, reverse=True))
    rate = "|".join(sorted(words["rate_words"], key=len, reverse=True))
    return re.compile(rf"(?:{lead})(?:{rate})|绿化率|绿地率")


def _with_generic_rates(text: str, out: list[_Occurrence]) -> list[_Occurrence]:
    """Add the rates of land not named in the vocabulary (:data:`GENERIC_RATE`): a rate word after a land or
    green word ("城市绿化覆盖率": 绿化覆盖率, modifier 城市), where no named subject is."""
    extra = []
    starts = [o.start for o in out]
    for m in _generic_rate_re().finditer(text):
        k = bisect.bisect_left(starts, m.end())  # the named subjects starting before this rate ends
        if not (k and out[k - 1].end > m.start()):  # out does not overlap itself: only the last can reach in
            extra.append(_Occurrence(m.start(), m.end(), GENERIC_RATE))
    return sorted(out + extra, key=lambda o: o.start) if extra else out


# Names ending like a region's (…区) that are parts of it: 国有林区, 山区, 建成区, 保护区 …
_PART_OF_REGION_RE = re.compile(r"(?:林|山|城|建成|景|保护|示范|开发|园|矿|库|灌|片|社|功能|流域|湿地|牧|丘陵|平原|河川)区$")


def _modifier(text: str, start: int, lo: int = 0) -> str:
    """The words right before a subject that make it a part or a named instance ("胜溪湖" in
    "胜溪湖湿地面积", "调整后" in "调整后的生态保护红线"); scope words of the region itself are dropped."""
    i = start
    lo = max(lo, start - 40)
    while i > lo and (_is_cjk(text[i - 1]) or (text[i - 1].isascii() and text[i - 1].isalpha())):
        i -= 1
    run = text[i:start]
    neutral = sorted(vocabulary()[1]["neutral_words"], key=len, reverse=True)
    changed = True
    while changed and run:  # neutral words at either end, whole words only ("国有林场" keeps its 有)
        changed = False
        for w in neutral:
            if run.startswith(w):
                run, changed = run[len(w):], True
            if run.endswith(w):
                run, changed = run[:-len(w)], True
    if len(run) <= 8 and re.search(r"(?:县|市|区|旗|州)$", run) and not _PART_OF_REGION_RE.search(run):
        run = ""  # the region's own name: 孝义市生态保护红线
    return run


def _crop(text: str, start: int, end: int, width: int = 120) -> str:
    text_s = text.strip()
    if len(text_s) <= width:
        return text_s
    lead = text[:start]
    first = max(0, len(lead) - width // 2)
    piece = text[first:first + width].strip()
    return ("…" if first > 0 else "") + piece + ("…" if first + width < len(text) else "")


def _context(claim: Claim, clause_before: str, sentence_before: str, after: str) -> None:
    """Role, year, flow and scope of a claim from the words around its figure."""
    _, words = vocabulary()
    if _PREVIOUS_AFTER_RE.search(after) or _PREVIOUS_BEFORE_RE.search(
            re.sub(rf"(?:{_QB})\s*$", "", sentence_before)):
        claim.role = "previous"
    elif _TARGET_RE.search(sentence_before):
        claim.role = "target"
    m = _CHANGE_BEFORE_RE.search(sentence_before[-30:])
    if m and claim.role != "previous":
        claim.change = "up" if m.group(1) in _UP_VERBS else "down"
    years = _YEAR_RE.findall(sentence_before)
    claim.year = int(years[-1]) if years else None
    if claim.role == "previous" and len(years) >= 2 and not re.search(
            rf"(?:19|20)\d{{2}}\s*年\s*的?\s*(?:{_QB})?\s*$", sentence_before):
        claim.year = int(years[-2])  # "2015年至2020年…由15.2%增长为16.02%": the earlier year
    claim.flow = claim.flow or any(w in clause_before for w in words["activity_words"])
    if any(w in clause_before for w in words["wider_scope"]):
        claim.scope = "wider"


def _strip_den(text: str) -> str:
    text = text.strip()
    text = re.sub(r"(?:的)?(?:比例|比重|份额)?(?:为|是|达到|达|约为|约|已达|近)?\s*$", "", text)
    return text.strip().rstrip("的").strip()


def _denominator(text: str, occ: list[_Occurrence], lo: int, hi: int) -> tuple[str | None, bool]:
    """The subject named between ``lo`` and ``hi`` (after 占), and whether it names an area at all."""
    subjects, _ = vocabulary()
    window = occ[bisect.bisect_left(occ, lo, key=lambda o: o.start):bisect.bisect_left(occ, hi, key=lambda o: o.start)]
    inside = [o for o in window if subjects[o.subject_id].measure in ("total", "area")]
    if inside:
        return inside[-1].subject_id, True
    den = _strip_den(text[lo:hi])
    return None, ("面积" in den or den in ("", "比", "地"))
