"""Indicator and land-use tables: header roles (现状 / 目标 columns), unit cells, and the claims of a row.

Example
-------
>>> from redline.spatial.plantext.layout import _layout
>>> head, row = _layout(["指标\\t单位\\t2020年现状", "森林覆盖率\\t%\\t22.5"])
>>> [(c.subject, c.value, c.role, c.year) for c in _row_claims(row, _header(head))]
[('森林覆盖率', 22.5, 'status', 2020)]
"""

from __future__ import annotations

import re

from redline.layers.errors import UsageError
from redline.spatial.plantext.context import GENERIC_RATE, _crop, _denominator, _modifier, _occurrences
from redline.spatial.plantext.grammar import (
    _CELL_NUMBER_RE,
    _FIGURE_RE,
    Claim,
    _Figure,
    _figure_from_match,
    _figures,
    _fill_measure,
)
from redline.spatial.plantext.layout import _Row, _spans
from redline.spatial.plantext.vocabulary import TOTAL, _not_land, subject_label, vocabulary
from redline.spatial.units import PERCENT, UNITS, parse_unit, unit_label

_STATUS_HEAD = ("现状", "基准", "基期", "现值")
_TARGET_HEAD = ("目标", "指标值", "规划值", "标准值", "预期值")


def _is_unit_cell(text: str) -> str | None:
    t = re.sub(r"[\s()]", "", text)
    if t == "%":
        return PERCENT
    try:
        return parse_unit(t) if t else None
    except UsageError:
        return None


_TOTAL_ROWS = ("合计", "总计", "总面积", "全县", "全市", "全区", "全旗", "全域", "县域", "市域", "国土总面积")


def _column_role(text: str) -> tuple[str | None, int | None]:
    year = re.search(r"(?:19|20)\d{2}", text)
    y = int(year.group(0)) if year else None
    if any(w in text for w in _STATUS_HEAD):
        return "status", y
    if any(w in text for w in _TARGET_HEAD) or "规划" in text:
        return "target", y
    return None, y


def _header(row: _Row) -> dict | None:
    """A table header: either with a 单位 column (indicator tables: the unit is a cell of each row) or with
    units in the column heads ("面积（公顷）", "占比（%）": land-use structure tables)."""
    texts = [re.sub(r"\s", "", c.text) for c in row.cells]
    unit_idx = next((i for i, t in enumerate(texts) if t in ("单位", "计量单位", "指标单位")), None)
    if unit_idx is not None:
        columns = {}
        group = None
        for i in range(unit_idx + 1, len(texts)):
            role, y = _column_role(texts[i])
            if role:
                group = (role, y)
            elif texts[i]:
                group = None
            if group:
                columns[i - unit_idx] = group
        return {"type": "unit_cell", "unit_idx": unit_idx, "columns": columns}
    units = {}
    for i, t in enumerate(texts):
        m = re.search(r"\(([^()]{1,8})\)$", t)
        unit = _is_unit_cell(m.group(1)) if m else None
        if unit is None or (unit == PERCENT and not re.search(r"占|比例|比重|构成|结构", t)):
            continue
        role, y = _column_role(t)
        units[i] = (unit, role or "status", y)
    if any(u != PERCENT for u, _, _ in units.values()):
        return {"type": "unit_columns", "width": len(texts), "units": units}
    return None


def _year_row(row: _Row, header: dict | None) -> bool:
    """A row of years under an indicator header whose 现状值 spans several columns (2021 | 2022 | 2023): each
    column takes its year (the header is updated). Whether the row was such a row."""
    texts = [re.sub(r"\s", "", c.text) for c in row.cells]
    if not header or header["type"] != "unit_cell" or not any(texts) or \
            not all(re.fullmatch(r"(?:19|20)\d{2}年?", t) for t in texts if t):
        return False
    for i, t in enumerate(texts):
        off = i - header["unit_idx"]
        if t and off in header["columns"]:
            header["columns"][off] = (header["columns"][off][0], int(t[:4]))
    return True


def _row_claims_unit_columns(row: _Row, header: dict) -> list[Claim]:
    subjects, words = vocabulary()
    cells = row.cells
    shift = len(cells) - header["width"]  # merged leading cells are missing in some rows
    cols = {i + shift: u for i, u in header["units"].items() if 0 <= i + shift < len(cells)}
    ind = next((c for i, c in enumerate(cells) if i not in cols and re.search(r"[\u3400-\u9fff]", c.text)), None)
    if ind is None or _not_land(ind.text):
        return []
    itext = re.sub(r"\s", "", ind.text)
    _, clauses = _spans(itext)
    occ = [o for o in _occurrences(itext, clauses) if subjects[o.subject_id].measure in ("area", "total")]
    sid = TOTAL if itext in _TOTAL_ROWS else (occ[-1].subject_id if occ else None)
    text = " | ".join(c.text for c in cells if c.text)
    shares = {(role, y): i for i, (u, role, y) in cols.items() if u == PERCENT}
    out = []
    for i, (unit, role, y) in sorted(cols.items()):
        if unit == PERCENT:
            continue
        m = _CELL_NUMBER_RE.match(cells[i].text)
        if not m or (m["unit"] and _is_unit_cell(m["unit"]) != unit):
            continue
        value, _ = _cell_figure(m, unit)
        if value is None:
            continue
        claim = Claim(line=cells[i].line_at(0), text=_crop(text, 0, 0), subject=subject_label(sid), subject_id=sid,
                      subject_text=ind.text, kind=UNITS[unit].measure, value=value.value, unit=value.unit,
                      unit_text=unit_label(unit), qualifier=value.qualifier, role=role, year=y, source="table",
                      value_step=value.step)
        _fill_measure(claim)
        j = shares.get((role, y), next(iter(shares.values())) if len(shares) == 1 else None)
        sm = _CELL_NUMBER_RE.match(cells[j].text) if j is not None else None
        if sm and claim.kind == "area" and sid != TOTAL:
            share, _ = _cell_figure(sm, PERCENT)
            if share is not None:
                claim.share_pct, claim.share_step, claim.share_qualifier = share.value, share.step, share.qualifier
                claim.share_line = cells[j].line_at(0)
                claim.denominator_id, claim.denominator = TOTAL, subject_label(TOTAL)
        claim.flow = any(w in itext for w in words["activity_words"])
        if occ:
            claim.modifier = _modifier(itext, occ[-1].start)
        out.append(claim)
    return out


def _cell_figure(m: re.Match, unit: str) -> tuple[_Figure | None, None]:
    """A table cell's number in the column's or row's unit."""
    spelling = "%" if unit == PERCENT else unit_label(unit)
    fm = _FIGURE_RE.match(f"{m['qb'] or ''}{m['num']}{spelling}{m['qa'] or ''}")
    return (_figure_from_match(fm) if fm else None), None


def _cell_number(text: str, unit: str | None) -> re.Match | None:
    """The number of a value cell: a bare number ("59.03", "≥40"), or the one figure in the row's unit among
    words ("加权后为46.72%")."""
    m = _CELL_NUMBER_RE.match(text)
    if m or unit is None:
        return m
    figs = _figures(text)
    if len(figs) == 1 and figs[0].unit == unit and figs[0].qualifier is None:
        return _CELL_NUMBER_RE.match(text[figs[0].start:figs[0].end])
    return None


def _row_claims(row: _Row, header: dict | None) -> list[Claim]:
    """Indicator claims of one table row (subject, unit and numbers in different cells)."""
    if header and header["type"] == "unit_columns":
        return _row_claims_unit_columns(row, header)
    subjects, _ = vocabulary()
    cells = row.cells
    unit_idx = None
    if header and header["unit_idx"] < len(cells) and _is_unit_cell(cells[header["unit_idx"]].text):
        unit_idx = header["unit_idx"]
    else:
        seen_text = False
        for i, c in enumerate(cells):
            if seen_text and _is_unit_cell(c.text):
                unit_idx = i
                break
            if re.search(r"[\u3400-\u9fff]", c.text):
                seen_text = True
    if unit_idx is None:
        return []
    unit = _is_unit_cell(cells[unit_idx].text)
    ind = next((cells[i] for i in range(unit_idx - 1, -1, -1) if re.search(r"[\u3400-\u9fff]", cells[i].text)),
               None)
    if ind is None or _not_land(ind.text):
        return []
    itext = ind.text
    _, clauses = _spans(itext)
    occ = _occurrences(itext, clauses)
    sid, kind, den_id, named = None, None, None, None
    if unit == PERCENT:
        k = itext.find("占")
        before = [o for o in occ if (k < 0 or o.end <= k)]
        if k >= 0:
            subj = [o for o in before if subjects[o.subject_id].measure == "area"]
            den_id, areaish = _denominator(itext, occ, k + 1, len(itext))
            if subj and (den_id or areaish):
                sid, kind = subj[-1].subject_id, "share"
        if kind is None:
            rates = [o for o in before if subjects[o.subject_id].measure in ("rate", "ratio")]
            if rates:
                sid = rates[-1].subject_id
                kind = subjects[sid].measure
                if sid == GENERIC_RATE:
                    named = itext[rates[-1].start:rates[-1].end]
                den_id = TOTAL if kind == "rate" else None
        if kind is None:
            return []
    else:
        measure = UNITS[unit].measure
        fits = [o for o in occ if subjects[o.subject_id].measure in
                (("total", "area") if measure == "area" else ("length",))]
        if fits:
            sid = fits[-1].subject_id
        elif measure == "length" and not re.search(r"长度|全长|总长|岸线", itext):
            return []
        kind = measure
    # which numbers: by header column, else the first number after the unit
    picks: list[tuple[int, str, int | None]] = []
    if header and header.get("columns"):
        groups: dict[tuple, list[int]] = {}
        for off, grp in header["columns"].items():
            groups.setdefault(grp, []).append(unit_idx + off)
        for (role, year), idxs in groups.items():
            nums = [i for i in idxs if i < len(cells) and _cell_number(cells[i].text, unit)]
            if nums:
                picks.append((nums[-1], role, year))
    else:
        nxt = next((i for i in range(unit_idx + 1, len(cells)) if _CELL_NUMBER_RE.match(cells[i].text)), None)
        if nxt is not None:
            picks.append((nxt, "unknown", None))
    out = []
    text = " | ".join(c.text for c in cells if c.text)
    _, words = vocabulary()
    for idx, role, year in sorted(picks):
        m = _cell_number(cells[idx].text, unit)
        cell_unit = m["unit"]
        if cell_unit and (_is_unit_cell(cell_unit) != unit):
            continue
        f, _ = _cell_figure(m, unit)
        if f is None:
            continue
        claim = Claim(line=cells[idx].line_at(0), text=_crop(text, 0, 0), subject=named or subject_label(sid),
                      subject_id=sid, subject_text=itext, kind=kind, value=f.value, unit=f.unit,
                      unit_text=cells[unit_idx].text.strip(), qualifier=f.qualifier, role=role, year=year,
                      source="table", value_step=f.step)
        _fill_measure(claim)
        if kind in ("share", "rate"):
            claim.share_pct, claim.share_step, claim.share_qualifier = f.value, f.step, f.qualifier
            claim.share_line = claim.line
            claim.denominator_id, claim.denominator = den_id, subject_label(den_id)
        claim.flow = any(w in itext for w in words["activity_words"])
        if any(w in itext for w in words["wider_scope"]):
            claim.scope = "wider"
        if sid is not None:
            at = max(o.start for o in occ if o.subject_id == sid)
            claim.modifier = _modifier(itext, at, max([o.end for o in occ if o.end <= at], default=0))
        out.append(claim)
    return out
