"""Consistency checks on a plan's claims: implied totals, conflicting values, shares over 100 %, unit slips,
stated against computed.

Example
-------
>>> from redline.spatial.plantext.extraction import extract_claims
>>> claims = extract_claims("国土总面积1000平方千米。生态保护红线面积100平方千米，占国土总面积的12.5%。")
>>> [f["kind"] for f in check_claims(claims)]
['inconsistent_total']
"""

from __future__ import annotations

import math
import re

from redline.layers.errors import UsageError
from redline.spatial.plantext.grammar import _BOUND_WORDS, _QB, Claim
from redline.spatial.plantext.vocabulary import TOTAL, subject_label, subjects_measure, vocabulary
from redline.spatial.units import PERCENT, UNITS, from_m2, unit_label

INCONSISTENT_KINDS = ("inconsistent_total", "conflicting_values", "share_over_100", "area_over_total",
                      "computed_mismatch", "parts_mismatch", "parts_exceed_whole", "change_direction")
FINDING_LABELS = {
    "consistent": "一致",
    "inconsistent_total": "与总面积不符",
    "conflicting_values": "前后不一致",
    "implied_total": "推算总面积",
    "share_over_100": "占比超过100%",
    "area_over_total": "面积超过总面积",
    "computed_mismatch": "与计算值不符",
    "parts_mismatch": "部分之和与整体不符",
    "parts_exceed_whole": "部分之和超过整体",
    "change_direction": "目标与现状方向矛盾",
    "no_figures": "未找到面积数字",
}
DEFAULT_REL_TOL = 0.001  # stated vs computed: beyond the rounding of the stated figure, 0.1 %


def _bound(q: str | None) -> bool:
    return bool(q) and any(w in q for w in _BOUND_WORDS)


def _usable(c: Claim) -> bool:
    return c.scope == "region" and not _bound(c.qualifier) and c.role != "target"


def area_interval(c: Claim) -> tuple[float, float]:
    """The m² (or m) interval of a claim's value from its rounding as written."""
    factor = float(UNITS[c.unit].factor)
    half = c.value_step / 2
    return (c.value - half) * factor, (c.value + half) * factor


def share_interval(c: Claim) -> tuple[float, float]:
    half = (c.share_step or 0.0) / 2
    return c.share_pct - half, c.share_pct + half


def _km2(m2: float) -> str:
    return f"{m2 / 1e6:,.2f} 平方千米"


def _in_unit(m2: float, unit: str) -> str:
    v = from_m2(m2, unit)
    return f"{v:,.2f} {unit_label(unit)}"


def format_figure(value: float, step: float | None, unit: str, qualifier: str | None = None,
                  thousands: bool = True) -> str:
    """A figure as a reader expects it: its decimals as written, Chinese unit, qualifier in place
    ("约47.89 平方千米", "80%以上")."""
    v = f"{value:{',' if thousands else ''}.{_decimals(step or 1)}f}"
    u = "%" if unit == PERCENT else " " + unit_label(unit)
    q = qualifier or ""
    m = re.match(rf"(?:{_QB})*", q)
    before, after = q[:m.end()], q[m.end():]
    return f"{before}{v}{u}{after}"


def _fmt_value(c: Claim) -> str:
    return format_figure(c.value, c.value_step, c.unit, c.qualifier)


def _decimals(step: float) -> int:
    if step >= 1:
        return 0
    return max(0, round(-math.log10(step)))


def _fmt_share(c: Claim) -> str:
    return format_figure(c.share_pct, c.share_step, PERCENT)


def _lines(*groups) -> list[int]:
    out: dict[int, None] = {}
    for g in groups:
        for c in g:
            for ln in (c.line, c.share_line):
                if ln is not None:
                    out.setdefault(ln)
    return list(out)


def _cjk_lines(lines: list[int]) -> str:
    return "第" + "、".join(str(x) for x in lines) + "行"


def _clusters(items: list[tuple[float, float, Claim]]) -> list[dict]:
    """Claims grouped into values compatible with each other's rounding: ``{"lo","hi","claims"}``."""
    out: list[dict] = []
    for lo, hi, c in sorted(items, key=lambda t: (t[0] + t[1]) / 2):
        if out and lo <= out[-1]["hi"] and hi >= out[-1]["lo"]:
            out[-1]["lo"], out[-1]["hi"] = max(lo, out[-1]["lo"]), min(hi, out[-1]["hi"])
            out[-1]["claims"].append(c)
        else:
            out.append({"lo": lo, "hi": hi, "claims": [c]})
    return out


def _subject_name(c: Claim) -> str:
    return c.subject or c.subject_text or "（未分类）"


def check_claims(claims: list[Claim], *, boundary_m2: float | None = None, computed: dict | None = None,
                 rel_tol: float = DEFAULT_REL_TOL) -> list[dict]:
    """Consistency findings about a plan's claims.

    Parameters
    ----------
    claims : list of Claim
    boundary_m2 : float, optional
        The region's area computed from its boundary (m², ellipsoidal).
    computed : dict, optional
        Computed areas in m² by subject id, subject label or layer kind (``{"red_line": 4.7e7}``).
    rel_tol : float
        Relative tolerance for stated vs computed, beyond the rounding of the stated figure.

    Returns
    -------
    list of dict
        ``{"kind", "lines", "message", ...}``; kinds: ``consistent``, ``inconsistent_total``,
        ``conflicting_values``, ``implied_total``, ``share_over_100``, ``area_over_total``,
        ``computed_mismatch``.
    """
    subjects, _ = vocabulary()
    computed = _computed_by_subject(computed, boundary_m2)
    findings: list[dict] = []
    totals = [c for c in claims if c.subject_id == TOTAL and c.kind == "area" and _usable(c) and not c.flow
              and not c.modifier]
    total_clusters = _clusters([(*area_interval(c), c) for c in totals])
    implied: list[tuple[float, float]] = []

    # 1. implied totals (area ÷ share) against the stated totals, or the boundary
    pairs: dict[tuple, tuple[Claim, Claim, list[Claim]]] = {}
    for c in claims:
        if c.kind == "area" and c.share_pct and c.share_pct > 0 and c.scope == "region" \
                and not _bound(c.qualifier) and not _bound(c.share_qualifier) and c.subject_id != TOTAL:
            key = (c.subject_id or c.subject_text, c.value, c.unit, c.share_pct, c.denominator_id)
            pairs.setdefault(key, (c, c, []))[2].append(c)
    # a stock's area and its share stated apart (two rows of an indicator table, two sentences)
    by_subject: dict[tuple[str, str], list[Claim]] = {}  # usable status values of each (subject, modifier)
    for c in claims:
        if c.subject_id:
            by_subject.setdefault((c.subject_id, c.modifier), [])
            if _usable(c) and not c.flow and c.role == "status":
                by_subject[(c.subject_id, c.modifier)].append(c)
    combined = {(c.subject_id, c.modifier) for c in claims if c.kind == "area" and c.share_pct is not None}
    for (sid, mod), mine in by_subject.items():
        if (sid, mod) in combined or subjects[sid].measure != "area":
            continue
        areas = _clusters([(*area_interval(c), c) for c in mine if c.kind == "area"])
        shares = _clusters([(*share_interval(c), c) for c in mine if c.kind == "share" and c.share_pct
                            and c.denominator_id in (None, TOTAL) and not _bound(c.share_qualifier)])
        if len(areas) > 1 and len(shares) > 1:
            continue  # which share goes with which area is not known; conflicting_values reports them
        for ac in areas:
            for sc in shares:
                if _years_clash([ac, sc]):
                    a, sh = ac["claims"][0], sc["claims"][0]
                    pairs[(sid, mod, a.value, a.unit, sh.share_pct, TOTAL)] = (a, sh, ac["claims"] + sc["claims"])
    stated_by_den: dict[str, list[dict]] = {}
    for c, sh, group in pairs.values():
        a_lo, a_hi = area_interval(c)
        s_lo, s_hi = share_interval(sh)
        lo, hi = a_lo / (s_hi / 100), a_hi / (max(s_lo, 1e-9) / 100)
        point = c.value_m2 / (sh.share_pct / 100)
        den_id = sh.denominator_id or TOTAL
        den_name = subject_label(den_id)
        if den_id == TOTAL:
            implied.append((lo, hi))
        head = (f"{_subject_name(c)} {_fmt_value(c)} ÷ {_fmt_share(sh)} = {_km2(point)}"
                f"（按所写位数：{_km2(lo)}–{_km2(hi)}）")
        if den_id not in stated_by_den:
            stated_by_den[den_id] = total_clusters if den_id == TOTAL else _clusters(
                [(*area_interval(d), d) for d in claims
                 if d.subject_id == den_id and d.kind == "area" and _usable(d) and not d.flow and d.share_pct is None])
        stated = stated_by_den[den_id]
        base = {"subject": c.subject, "implied_m2": point, "implied_m2_interval": [lo, hi]}
        if stated:
            for cl in stated:
                ok = lo <= cl["hi"] and hi >= cl["lo"]
                d = cl["claims"][0]
                findings.append({
                    "kind": "consistent" if ok else "inconsistent_total",
                    "lines": _lines(group, cl["claims"]),
                    "message": f"{head}，与所述{den_name} {_fmt_value(d)}（{_cjk_lines(_lines(cl['claims']))}）"
                               + ("一致" if ok else "不符"),
                    **base, "stated_m2": d.value_m2})
        elif den_id == TOTAL and boundary_m2:
            ok = lo * (1 - rel_tol) <= boundary_m2 <= hi * (1 + rel_tol)
            findings.append({
                "kind": "consistent" if ok else "computed_mismatch", "lines": _lines(group),
                "message": f"{head}，与边界计算的总面积 {_km2(boundary_m2)} " + ("一致" if ok else "不符"),
                **base, "computed_m2": boundary_m2})
        else:
            findings.append({
                "kind": "implied_total", "lines": _lines(group),
                "message": f"文中未写{den_name}；由{head}", **base})

    # 2. one stock subject stated with different values
    areas_of: dict[tuple[str, str], list[Claim]] = {}
    share_owners: dict[float, list[Claim]] = {}  # a share -> the first claims stating it, of two subjects at most
    for c in claims:
        if c.kind == "area" and _usable(c) and not c.flow:
            areas_of.setdefault((c.subject_id, c.modifier), []).append(c)
        if c.subject_id and c.share_pct is not None:
            owners = share_owners.setdefault(c.share_pct, [])
            if len(owners) < 2 and all(o.subject_id != c.subject_id for o in owners):
                owners.append(c)
    order = list(subjects)
    for sid, mod in sorted(by_subject, key=lambda k: (order.index(k[0]), k[1])):
        if not subjects[sid].stock:
            continue
        mine = by_subject[(sid, mod)]
        for what in ("value", "share"):
            if what == "value":
                items = [(*area_interval(c), c) for c in mine if c.kind in ("area", "length")]
            else:
                items = [(*share_interval(c), c) for c in mine if c.share_pct is not None
                         and not _bound(c.share_qualifier) and (c.denominator_id in (None, TOTAL))]
            cl = _clusters(items)
            if len(cl) < 2 or not _years_clash(cl):
                continue
            cl.sort(key=lambda k: min(c.line for c in k["claims"]))
            parts = []
            for k in cl:
                d = k["claims"][0]
                shown = _fmt_value(d) if what == "value" else _fmt_share(d)
                parts.append(f"{shown}（{_cjk_lines(_lines(k['claims']))}）")
            msg = f"{mod}{subjects[sid].label}{'面积' if what == 'value' and subjects[sid].measure == 'area' else ''}" \
                  f"{'占比' if what == 'share' else ''}前后不一致：" + "；".join(parts)
            if what == "share":
                msg += _share_hints(sid, cl, areas_of.get((sid, mod), []), share_owners)
            findings.append({"kind": "conflicting_values", "lines": _lines(*[k["claims"] for k in cl]),
                             "message": msg, "subject": subjects[sid].label})

    # 3. shares over 100 %
    for c in claims:
        value = c.share_pct if c.share_pct is not None else (c.value if c.kind in ("rate", "ratio") else None)
        if value is not None and value - (c.share_step or c.value_step) / 2 > 100:
            findings.append({"kind": "share_over_100", "lines": _lines([c]),
                             "message": f"{_subject_name(c)} {value:g}% 超过 100%", "subject": c.subject})

    # 4. areas larger than the total (unit slips)
    ref = None
    if total_clusters:
        ref = (max(k["hi"] for k in total_clusters), "所述总面积")
    elif boundary_m2:
        ref = (boundary_m2 * (1 + rel_tol), "边界计算的总面积")
    elif implied:
        ref = (max(hi for _, hi in implied), "推算的总面积")
    if ref:
        for c in claims:
            if c.kind != "area" or c.value_m2 is None or c.subject_id == TOTAL or c.scope != "region":
                continue
            lo, _ = area_interval(c)
            if lo > ref[0]:
                hint = _smaller_unit(c)
                findings.append({
                    "kind": "area_over_total", "lines": _lines([c]),
                    "message": f"{_subject_name(c)} {_fmt_value(c)}（{_km2(c.value_m2)}）大于{ref[1]} "
                               f"{_km2(ref[0])}：可能是单位笔误{hint}", "subject": c.subject})

    # 5. stated against computed
    findings += _computed_findings(claims, computed, boundary_m2, rel_tol)
    # 6. parts against their whole; 7. a change stated against its direction
    findings += _parts_findings(claims)
    findings += _change_findings(claims)
    return findings


_JOIN_RE = re.compile(r"、|和|及|与|以及")
_NAME_STRIP_RE = re.compile(r"^(?:全县|全市|全区|县域|市域|境内|其中|以)|(?:面积|用地|占比|比例|为主)$")


def _name(c: Claim) -> str:
    return _NAME_STRIP_RE.sub("", (c.subject_text or "").strip(" ,:的为"))


def _parts_findings(claims: list[Claim]) -> list[dict]:
    """Parts against their whole: shares of named parts against the share of their union ("山地52.4%，丘陵21.7%"
    against "74%为山地和丘陵"); shares of the region stated together adding up to more than 100 %; areas listed
    after a whole ("总面积X，其中A a、B b") adding up to more than it. Each within the rounding written."""
    out: list[dict] = []
    shares = [c for c in claims if c.share_pct is not None and c.kind in ("share", "rate") and c.scope == "region"
              and not _bound(c.share_qualifier) and c.role != "target" and c.denominator_id in (None, TOTAL)]
    by_name: dict[str, Claim] = {}
    for c in shares:
        by_name.setdefault(_name(c), c)
    for whole in shares:
        names = [n.strip() for n in _JOIN_RE.split(_name(whole))]
        if len(names) < 2 or not all(n in by_name and by_name[n] is not whole for n in names):
            continue
        parts = [by_name[n] for n in names]
        lo = sum(share_interval(p)[0] for p in parts)
        hi = sum(share_interval(p)[1] for p in parts)
        w_lo, w_hi = share_interval(whole)
        ok = lo <= w_hi and hi >= w_lo
        total = sum(p.share_pct for p in parts)
        out.append({"kind": "consistent" if ok else "parts_mismatch", "lines": _lines(parts, [whole]),
                    "message": " + ".join(f"{_name(p)} {_fmt_share(p)}" for p in parts)
                    + f" = {total:.{max(_decimals(p.share_step or 1) for p in parts)}f}%，"
                    f"{'与' if ok else '与所述'}{_name(whole)} {_fmt_share(whole)}" + ("一致（在所写位数内）" if ok else "不符"),
                    "subject": _name(whole)})
    # shares of the region stated together: more than 100 %
    groups: dict[int, list[Claim]] = {}
    for c in shares:
        if c.kind == "share" and c.sentence:
            groups.setdefault(c.sentence, []).append(c)
    for group in groups.values():
        named = {_name(c): c for c in group}
        if len(named) < 2:
            continue
        parts = list(named.values())
        if any(set(_JOIN_RE.split(_name(p))) & set(named) - {_name(p)} for p in parts):
            continue  # a whole and its parts in one sentence: compared above
        lo = sum(share_interval(p)[0] for p in parts)
        if lo > 100:
            out.append({"kind": "parts_exceed_whole", "lines": _lines(parts),
                        "message": " + ".join(f"{_name(p)} {_fmt_share(p)}" for p in parts)
                        + f" = {sum(p.share_pct for p in parts):g}%，超过 100%", "subject": None})
    # areas listed after their whole in one sentence
    areas: dict[int, list[Claim]] = {}
    for c in claims:
        if c.kind == "area" and c.value_m2 is not None and c.sentence and c.scope == "region" and c.role != "target":
            areas.setdefault(c.sentence, []).append(c)
    for group in areas.values():
        if len(group) < 3:
            continue
        whole, parts = group[0], group[1:]
        if _bound(whole.qualifier) or not re.search(r"其中|分别|包括|分为", whole.text):
            continue
        lo = sum(area_interval(p)[0] for p in parts)
        w_lo, w_hi = area_interval(whole)
        if whole.qualifier:  # "约": the whole is approximate; only a clear excess is reported
            w_hi *= 1.01
        total = sum(p.value_m2 for p in parts)
        if lo > w_hi:
            out.append({"kind": "parts_exceed_whole", "lines": _lines([whole], parts),
                        "message": f"{_subject_name(whole)} {_fmt_value(whole)}，其后所列各部分合计 {_in_unit(total, whole.unit)}，"
                                   "超过整体", "subject": whole.subject})
        elif abs(total - whole.value_m2) <= (w_hi - w_lo) / 2 + sum(area_interval(p)[1] - area_interval(p)[0]
                                                                   for p in parts) / 2:
            out.append({"kind": "consistent", "lines": _lines([whole], parts),
                        "message": f"{_subject_name(whole)} {_fmt_value(whole)} 与其后所列各部分之和 "
                                   f"{_in_unit(total, whole.unit)} 一致", "subject": whole.subject})
    return out


def _change_findings(claims: list[Claim]) -> list[dict]:
    """A value stated as a rise ("由23.5%提高到20%") that is below the value it rises from, or as a fall above it."""
    out = []
    previous: dict[tuple, Claim] = {}
    for c in claims:
        key = (c.sentence, c.subject_id or c.subject_text, c.modifier, c.unit)
        if c.role == "previous":
            previous[key] = c
            continue
        p = previous.get(key)
        if c.change is None or p is None or _bound(c.qualifier) or _bound(p.qualifier):
            continue
        lo, hi = area_interval(c) if c.unit != PERCENT else (c.value - c.value_step / 2, c.value + c.value_step / 2)
        p_lo, p_hi = area_interval(p) if p.unit != PERCENT else (p.value - p.value_step / 2, p.value + p.value_step / 2)
        if (c.change == "up" and hi < p_lo) or (c.change == "down" and lo > p_hi):
            verb = "提高/增加" if c.change == "up" else "下降/减少"
            out.append({"kind": "change_direction", "lines": _lines([p, c]),
                        "message": f"{_subject_name(c)} 由 {_fmt_value(p)} “{verb}”到 {_fmt_value(c)}：数值方向与文字相反",
                        "subject": c.subject})
    return out


def _years_clash(clusters: list[dict]) -> bool:
    """Whether two of the clusters (different values) hold claims that may be about the same year: one
    without a year, or the same year in both."""
    seen: dict[int | None, int] = {}  # year -> the first cluster holding it
    for i, k in enumerate(clusters):
        for year in {c.year for c in k["claims"]}:
            seen.setdefault(year, i)
            if seen[year] != i:
                return True
    if None in seen and len(clusters) > 1:
        return True
    return False


def _share_hints(sid: str, clusters: list[dict], areas: list[Claim], share_owners: dict[float, list[Claim]]) -> str:
    """Why two shares of one subject may differ: the other share is another subject's, or the area and a share
    imply a total."""
    hints = []
    for k in clusters:
        d = k["claims"][0]
        for c in [c for c in share_owners.get(d.share_pct, []) if c.subject_id != sid][:1]:
            hints.append(f"{_fmt_share(d)} 也是{_cjk_lines([c.line])}给{c.subject}的占比")
        if areas and not any(d is c for c in areas):
            a = areas[0]
            hints.append(f"按 {_fmt_value(a)} 与 {_fmt_share(d)} 推算总面积为 {_km2(a.value_m2 / (d.share_pct / 100))}"
                         if d.share_pct else "")
    hints = [h for h in hints if h]
    return ("（" + "；".join(hints) + "）") if hints else ""


_SMALLER = {"10k_km2": "km2", "10k_ha": "ha", "10k_mu": "mu", "km2": "ha", "ha": "m2", "mu": "m2"}


def _smaller_unit(c: Claim) -> str:
    u = _SMALLER.get(c.unit)
    if not u:
        return ""
    v = f"{c.value:g}"
    return f"（例如 {v} {unit_label(u)}）"


def _computed_by_subject(computed: dict | None, boundary_m2: float | None) -> dict[str, float]:
    subjects, _ = vocabulary()
    out: dict[str, float] = {}
    for key, value in (computed or {}).items():
        if value is None:
            continue
        sid = key if key in subjects else next(
            (s.id for s in subjects.values() if key in (s.label, s.kind)), None)
        if sid is None:
            raise UsageError(f"computed figure for an unknown subject {key!r}; use a subject id "
                             f"({', '.join(subjects)}) or a layer kind")
        out[sid] = float(value)
    if boundary_m2:
        out[TOTAL] = float(boundary_m2)
    return out


def _computed_findings(claims, computed: dict[str, float], boundary_m2, rel_tol) -> list[dict]:
    findings = []
    for sid, value in computed.items():
        mine = [c for c in claims if c.subject_id == sid and not c.modifier and _usable(c) and not c.flow]
        for c in mine:
            if c.kind == "area" and c.value_m2 is not None:
                lo, hi = area_interval(c)
                ok = lo * (1 - rel_tol) <= value <= hi * (1 + rel_tol)
                diff = (c.value_m2 - value) / value * 100 if value else float("inf")
                findings.append({
                    "kind": "consistent" if ok else "computed_mismatch", "lines": _lines([c]),
                    "message": f"{_subject_name(c)} 所述 {_fmt_value(c)}，计算值 {_in_unit(value, c.unit)}"
                               f"（相差 {diff:+.3f}%）" + ("，在所写位数与容差内一致" if ok else "，不符"),
                    "subject": c.subject, "stated_m2": c.value_m2, "computed_m2": value})
            total = computed.get(TOTAL)
            if sid != TOTAL and c.share_pct is not None and c.denominator_id in (None, TOTAL) and total \
                    and not _bound(c.share_qualifier) and subjects_measure(sid) == "area":
                share = value / total * 100
                lo, hi = share_interval(c)
                ok = lo - c.share_pct * rel_tol <= share <= hi + c.share_pct * rel_tol
                findings.append({
                    "kind": "consistent" if ok else "computed_mismatch", "lines": _lines([c]),
                    "message": f"{_subject_name(c)} 所述占比 {_fmt_share(c)}，计算值 {share:.2f}%"
                               + ("，一致" if ok else "，不符"),
                    "subject": c.subject, "stated_pct": c.share_pct, "computed_pct": share})
    return findings
