"""Claims from the paragraphs of a plan text, and :func:`extract_claims` for a whole text.

Example
-------
>>> c = extract_claims("划定生态保护红线面积47.89平方千米，占全市土地总面积的5.11%。")[0]
>>> c.subject, c.value, c.unit, c.value_m2, c.share_pct, c.denominator
('生态保护红线', 47.89, 'km2', 47890000.0, 5.11, '国土总面积')
"""

from __future__ import annotations

import bisect
import re

from redline.layers.errors import UsageError
from redline.spatial.plantext.context import (
    GENERIC_RATE,
    _context,
    _crop,
    _denominator,
    _modifier,
    _Occurrence,
    _occurrences,
)
from redline.spatial.plantext.grammar import _CELL_NUMBER_RE, _QB, Claim, _figures, _fill_measure
from redline.spatial.plantext.layout import _layout, _Row, _Segment, _span_of, _spans
from redline.spatial.plantext.tables import _header, _row_claims, _year_row
from redline.spatial.plantext.vocabulary import (
    TOTAL,
    _in_quotes,
    _land_area_words,
    _linear_words,
    _not_land,
    subject_label,
    vocabulary,
)
from redline.spatial.units import NUMBER

_ANY_NUMBER_RE = re.compile(r"[0-9一二两三四五六七八九十百千]")
_REGION_WORDS = ("全县", "全市", "全区", "全旗", "县域", "市域", "全域", "境内", "辖区")
_SHARE_AFTER_RE = re.compile(r"\s*(?:以上|左右)?\s*的?\s*(?:国土|土地)?(?:面积|土地|区域)?\s*(?:为|是|属于|属)"
                             r"(?P<what>[^,;。:()]{1,20})")
_AREA_SHARE_BEFORE_RE = re.compile(r"(?:面积|用地)\s*(?:约|为|约为|达|达到|占比为?|比例为?)?\s*$")
_LEAD_RE = re.compile(r"其中|最高|最低|为|达到|达|超过|不足|约|以上|以下|分别|左右|\s")
#: How far (characters) a figure looks before and after itself for its subject, year, role and share.
WINDOW = 400


def _extract_segment(seg: _Segment, source: str = "text", number: int = 0) -> list[Claim]:
    """The claims of one paragraph or cell. Each figure looks at most :data:`WINDOW` characters around it, so
    the work is linear in the length of the text however long its sentences."""
    text = seg.text
    if not text or not _ANY_NUMBER_RE.search(text):
        return []
    subjects, _ = vocabulary()
    sentences, clauses = _spans(text)
    figs = _figures(text)
    if not figs:
        return []
    occ = _occurrences(text, clauses)
    occ_starts = [o.start for o in occ]
    occ_ends = [o.end for o in occ]  # occurrences do not overlap: their ends are sorted too
    used: set[int] = set()

    def span(starts: list[int], pos: int) -> tuple[int, int]:
        """The sentence or clause around ``pos``, cut to WINDOW characters on each side."""
        a, b = _span_of(starts, pos, len(text))
        return max(a, pos - WINDOW), min(b, pos + WINDOW)

    def after(lo: int, hi: int):
        """Occurrences starting in [lo, hi)."""
        return occ[bisect.bisect_left(occ_starts, lo):bisect.bisect_left(occ_starts, hi)]

    def prev_end(at: int) -> int:
        k = bisect.bisect_right(occ_ends, at)
        return occ_ends[k - 1] if k else 0
    claims: list[Claim] = []
    where: dict[int, int] = {}  # id(claim) -> offset of its figure

    def make(fi: int, sid: str | None, subject_text: str, kind: str, at: int | None = None) -> Claim | None:
        f = figs[fi]
        s0, s1 = span(sentences, f.start)
        c0, _ = span(clauses, f.start)
        clause_before = text[c0:f.start]
        if _not_land(clause_before):
            return None
        label = subject_text.strip() if sid == GENERIC_RATE else subject_label(sid)
        claim = Claim(line=seg.line_at(f.start), text=_crop(text[s0:s1], f.start - s0, f.end - s0),
                      subject=label, subject_id=sid,
                      subject_text=re.split(r"\d", subject_text)[0].strip(" ,:(") or subject_text.strip(" ,:"),
                      kind=kind, value=f.value, unit=f.unit, unit_text=f.unit_text, qualifier=f.qualifier,
                      source=source, value_step=f.step)
        _fill_measure(claim)
        if kind == "rate" or (kind == "share"):
            claim.share_pct, claim.share_step, claim.share_qualifier = f.value, f.step, f.qualifier
            claim.share_line = claim.line
        _context(claim, clause_before, text[s0:f.start], text[f.end:s1])
        claim.sentence = number * 1_000_000 + _span_of(sentences, f.start, len(text))[0]
        if at is not None:
            claim.modifier = _modifier(text, at, prev_end(at))
        used.add(fi)
        where[id(claim)] = f.start
        return claim

    def nearest(pos: int, lo: int, measures: tuple[str, ...]) -> _Occurrence | None:
        for o in reversed(after(max(lo, pos - WINDOW), pos)):
            if o.end <= pos and subjects[o.subject_id].measure in measures:
                return o
        return None

    _pair_lists(text, figs, occ, sentences, used, make, claims, span, after)
    last_rate: tuple[int, _Occurrence] | None = None  # (sentence start, subject) of the last rate claim

    for fi, f in enumerate(figs):
        if fi in used:
            continue
        c0, c1 = span(clauses, f.start)
        s0, s1 = span(sentences, f.start)
        if f.measure in ("area", "length"):
            if f.measure == "length" and not _land_length(text, f.start, f.end, c0, c1):
                continue
            if _in_quotes(text[s0:f.start]):
                continue  # a phrase in quotation marks ("“一公里”生活圈")
            measures = ("total", "area") if f.measure == "area" else ("length",)
            o = nearest(f.start, c0, measures)
            words = text[max(c0, f.start - 20):f.start]
            named = _item_words(text, f.start, f.end, c0, c1, s0, sentences)
            if o is not None:
                claim = make(fi, o.subject_id, text[o.start:f.start], f.measure, o.start)
            elif f.measure == "area" and (re.search("建筑面积", text[s0:f.start]) or not _land_area_words(named, f.unit)):
                claim = None  # a floor area, a facility or equipment, a grid cell: not land
            elif f.measure == "length" and not (_linear_words(named) or _zone_after(text, f.end, c1)):
                claim = None  # a distance between places, a size of a thing
            else:
                claim = make(fi, None, words, f.measure)
            if claim is None:
                continue
            # a share in the same statement: "…面积X公顷，占全县国土面积的P%"
            for gi in range(fi + 1, len(figs)):
                g = figs[gi]
                if g.start >= s1 or g.measure != "percent":
                    break
                between = text[f.end:g.start]
                k = between.find("占")
                if k < 0 or len(between) > 40 or "其中" in between[:k + 1]:
                    break
                if any(subjects[o.subject_id].measure != "total" for o in after(f.end, f.end + k)):
                    break
                den_id, areaish = _denominator(text, occ, f.end + k + 1, g.start)
                if den_id is None and not areaish:
                    break
                claim.share_pct, claim.share_step, claim.share_qualifier = g.value, g.step, g.qualifier
                claim.share_line = seg.line_at(g.start)
                claim.denominator_id = den_id
                claim.denominator = subject_label(den_id)
                used.add(gi)
                break
            claims.append(claim)
            continue
        # a percentage: a share "X占…P%" or the value of a rate subject
        clause = text[c0:f.start]
        k = clause.rfind("占")
        if k >= 0 and not _figures(clause[k:]):
            zhan = c0 + k
            o = nearest(zhan, c0, ("area", "total"))
            if o is not None and o.subject_id == TOTAL:
                o = None
            den_id, areaish = _denominator(text, occ, zhan + 1, f.start)
            if o is None:
                words = text[c0:zhan].strip(" ,")
                if not words and c0 > s0:  # "…以山地丘陵为主，占国土面积的80%以上"
                    p0, _ = span(clauses, c0 - 1)
                    po = nearest(c0 - 1, p0, ("area",))
                    if po is not None:
                        o = po
                    words = text[p0:c0].strip(" ,")
                if o is None and (den_id is not None or "面积" in words):
                    claim = make(fi, None, words[-20:], "share")
                    if claim:
                        claim.denominator_id, claim.denominator = den_id, subject_label(den_id)
                        claims.append(claim)
                    continue
            if o is not None and (den_id is not None or areaish):
                claim = make(fi, o.subject_id, text[o.start:zhan], "share", o.start)
                if claim:
                    claim.denominator_id, claim.denominator = den_id, subject_label(den_id)
                    claims.append(claim)
                continue
        o = nearest(f.start, c0, ("rate", "ratio"))
        label = None
        if o is None and c0 > 0 and text[c0 - 1] == ":":  # "林草覆盖率：山区≥60% 丘陵区≥40%": items of a list
            po = nearest(c0 - 1, span(clauses, c0 - 1)[0], ("rate", "ratio"))
            if po is not None and not text[po.end:c0 - 1].strip():
                prev = max([g.end for g in figs if c0 <= g.end <= f.start], default=c0)
                o, label = po, _LEAD_RE.sub("", re.sub(rf"(?:{_QB})\s*$", "", text[prev:f.start])).strip()
        if o is None and last_rate and last_rate[0] == s0 and len(_LEAD_RE.sub("", text[c0:f.start]).strip()) <= 2:
            o = last_rate[1]  # "森林覆盖率最低为12.30%，最高超过60%": the next short clause goes on with it
        if o is not None:
            between = re.sub(rf"(?:{NUMBER})\s*%", "", text[o.end:f.start])
            if not re.search(r"率|比例|比重|指数|度|占", between.replace(text[o.start:o.end], "")) and not any(
                    p.subject_id != o.subject_id for p in after(o.end, f.start)):
                measure = subjects[o.subject_id].measure
                claim = make(fi, o.subject_id, text[o.start:o.end], measure, o.start)
                if claim:
                    if label:
                        claim.modifier = label
                    if measure == "rate":
                        claim.share_pct, claim.share_step = f.value, f.step
                        claim.share_qualifier, claim.denominator_id = f.qualifier, TOTAL
                        claim.denominator = subject_label(TOTAL)
                    claims.append(claim)
                    last_rate = (s0, o)
                continue
        # a share of the region named after the figure ("全县75%的面积为石质山地", "全县74%为山地和丘陵") or an
        # area's share right after it ("山地面积52.4%")
        m = _SHARE_AFTER_RE.match(text, f.end, c1)
        before = text[c0:f.start]
        if m and ("面积" in m.group(0) or before.rstrip().endswith(_REGION_WORDS)):
            inside = [p for p in after(m.start("what"), m.end("what")) if subjects[p.subject_id].measure == "area"]
            claim = make(fi, inside[-1].subject_id if len(inside) == 1 else None, m.group("what"), "share")
        elif _AREA_SHARE_BEFORE_RE.search(before):
            o = nearest(f.start, c0, ("area",))
            claim = make(fi, o.subject_id if o else None, _AREA_SHARE_BEFORE_RE.sub("", before)[-20:], "share",
                         o.start if o else None)
        else:
            continue
        if claim:
            claim.denominator_id, claim.denominator = TOTAL, subject_label(TOTAL)
            claims.append(claim)
    claims.sort(key=lambda c: where[id(c)])
    return claims


def _item_words(text: str, start: int, end: int, c0: int, c1: int, s0: int, sentences: list[int]) -> str:
    """The words that name what a figure is about: the list item before it in its clause (after the last 、,
    at most 20 characters), the words after it up to the next item ("实施0.2万亩人工造林"), and a heading
    sentence right before its clause when the clause opens the sentence ("道路绿化工程。实施150公里")."""
    before = text[max(c0, start - 20):start]
    before = before[before.rfind("、") + 1:]
    after = text[end:min(c1, end + 12)].split("、")[0]
    heading = ""
    if c0 == s0 and s0 > 0:
        h0, _ = _span_of(sentences, s0 - 1, len(text))
        if len(text[h0:s0].strip()) <= 16:
            heading = text[h0:s0]
    return heading + before + after


def _zone_after(text: str, end: int, c1: int) -> bool:
    """Whether a zone word follows a length figure ("2公里范围内", "距水库3公里以内": 以内 read as the figure's
    qualifier): the length bounds a zone."""
    zone = tuple(vocabulary()[1]["zone_words"])
    return text[max(0, end - 2):end] in zone or text[end:min(c1, end + 12)].lstrip(" 的").startswith(zone)


def _land_length(text: str, start: int, end: int, c0: int, c1: int) -> bool:
    """Whether a length figure is about land: not a distance between places (距…, unless a zone word follows
    it), a height, a depth or a pipe (``[text]`` ``not_length_*`` of the vocabulary)."""
    words = vocabulary()[1]
    before, after = text[max(c0, start - 10):start], text[end:min(c1, end + 12)]
    if _zone_after(text, end, c1):
        return True
    return not (any(w in before for w in words["not_length_before"])
                or any(w in after for w in words["not_length_after"]))


def _pair_lists(text, figs, occ, sentences, used, make, claims, span, after) -> None:
    """"A、B分别为X、Y" and "A、B分别占国土面积的X%、Y%": pair subjects and figures in order."""
    subjects, _ = vocabulary()
    fig_starts = [f.start for f in figs]
    for m in re.finditer("分别", text):
        s0, s1 = span(sentences, m.start())
        before = [o for o in after(s0, m.start()) if o.end <= m.start() and subjects[o.subject_id].measure != "total"]
        # the listed subjects: the last run joined by 、/和/及/与
        run: list[_Occurrence] = []
        for o in reversed(before):
            if run and not re.fullmatch(r"[^,;。]{0,12}?(?:、|和|及|与|以及)[^,;。]{0,4}", text[o.end:run[0].start]):
                break
            run.insert(0, o)
        following = [i for i in range(bisect.bisect_left(fig_starts, m.end()), bisect.bisect_left(fig_starts, s1))
                     if i not in used]
        listed: list[int] = []
        for i in following:
            if listed and not re.fullmatch(r"\s*(?:、|和|及|与|,)\s*", text[figs[listed[-1]].end:figs[i].start]):
                break
            listed.append(i)
        if len(run) < 2 or len(run) != len(listed):
            continue
        share = "占" in text[m.start():figs[listed[0]].start]
        for o, fi in zip(run, listed, strict=True):
            f = figs[fi]
            measure = subjects[o.subject_id].measure
            if f.measure == "percent":
                kind = "share" if share else measure if measure in ("rate", "ratio") else None
            else:
                kind = f.measure if (f.measure == "length") == (measure == "length") else None
            if kind is None:
                continue
            claim = make(fi, o.subject_id, text[o.start:o.end], kind, o.start)
            if claim is None:
                continue
            if kind in ("share", "rate"):
                claim.share_pct, claim.share_step, claim.share_qualifier = f.value, f.step, f.qualifier
                claim.denominator_id = TOTAL
                claim.denominator = subject_label(TOTAL)
            elif kind == "ratio":
                claim.share_pct = None
            claims.append(claim)


def extract_claims(text: str) -> list[Claim]:
    """Every area, share and length figure about land and space in a plan text.

    Parameters
    ----------
    text : str
        The whole plan text (lines separated by ``\\n``; line numbers are 1-based).

    Returns
    -------
    list of Claim
        In the order of their lines.

    Example
    -------
    >>> c = extract_claims("国土总面积2058平方公里，辖6镇6乡。")[0]
    >>> c.line, c.subject, c.value, c.unit, c.value_m2
    (1, '国土总面积', 2058.0, 'km2', 2058000000.0)
    """
    if not isinstance(text, str):
        raise UsageError("extract_claims needs the text as str")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    claims: list[Claim] = []
    header = None
    for number, item in enumerate(_layout(lines), start=1):
        if isinstance(item, _Row):
            h = _header(item)
            if h is not None:
                header = h
                continue
            if _year_row(item, header):
                continue
            row = _row_claims(item, header)
            seen = {(c.line, c.value, c.unit) for c in row}
            for cell in item.cells:  # prose in cells; a bare number belongs to the row's indicator
                if not _CELL_NUMBER_RE.match(cell.text):
                    claims += [c for c in _extract_segment(cell, source="table", number=number)
                               if (c.line, c.value, c.unit) not in seen]
            claims += row
        else:
            if item.text.strip():
                header = None
            claims += _extract_segment(item, number=number)
    claims.sort(key=lambda c: c.line)
    return claims
