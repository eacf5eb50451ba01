"""Area, share and length figures in plan texts, and whether they agree (the plan-text auditor).

A *claim* is one figure about land and space with the subject it is about: "划定生态保护红线面积47.89平方
千米，占全市土地总面积的5.11%" is one claim (subject 生态保护红线, 47.89 km², share 5.11 % of the total
area). Subjects come from the vocabulary ``spatial/data/subjects.toml`` (aliases and typo variants
included); an area with no known subject is kept with the words that precede it.

How statements are read (built from the forms such statements take, not from particular files):

* each line is cleaned: NFKC (full-width digits and punctuation, ㎡, ²), markup (``**``, ``<br>``,
  ``<sup>2</sup>``, ``[bookmark: …]``, ``$\\geq$``) removed;
* prose lines broken in mid-sentence are joined to the next (blank lines between are skipped) unless the
  line ends a sentence; a claim keeps the line on which its figure starts;
* table rows (tab- or ``|``-separated, or one cell per line in blocks separated by blank lines) give
  indicator claims: the indicator cell names the subject, the unit cell the unit, and the header row
  (现状 / 目标 columns) says which numbers are current values and which are targets;
* an area figure's subject is the nearest subject before it in its clause; a following "占…的P%" is its
  share, and the words after 占 name the denominator (国土总面积 …);
* a percentage is a claim only when it is such a share ("X占国土面积的P%") or the value of a rate
  subject: 森林覆盖率, 林草覆盖率 and 水土保持率 *are* shares of the total area; 草原综合植被盖度,
  湿地保护率 and 岸线保护率 are ratios of something else and are never treated as area shares;
* "约", "不低于", "≥", "以上" … are kept as the claim's ``qualifier``; bounds (不低于, 以上) are not
  compared as if they were exact values;
* a figure is a ``target`` (到2025年, 目标, 力争), a ``previous`` value (由15.2%增长为…), or a
  ``status``; amounts of work (治理, 新增, 造林 …) are ``flow`` figures, never compared as stocks.

Checks (:func:`check_claims`): the total implied by an area and its share (area ÷ share, as an interval
from the decimals written) against the stated total; the same stock subject stated with different values
(years taken into account); shares over 100 %; areas larger than the total (unit slips); and stated
against computed figures when a boundary area or computed areas are given.

Example
-------
>>> claims = extract_claims("划定生态保护红线面积47.89平方千米，占全市土地总面积的5.11%。")
>>> c = claims[0]
>>> c.subject, c.value, c.unit, c.value_m2, c.share_pct, c.denominator
('生态保护红线', 47.89, 'km2', 47890000.0, 5.11, '国土总面积')
"""

from __future__ import annotations

from redline.spatial.plantext.audit import audit_text, layer_area_m2, project_figures
from redline.spatial.plantext.checks import (
    DEFAULT_REL_TOL,
    FINDING_LABELS,
    INCONSISTENT_KINDS,
    area_interval,
    check_claims,
    format_figure,
    share_interval,
)
from redline.spatial.plantext.decoding import clean_line, read_plan_text
from redline.spatial.plantext.extraction import extract_claims
from redline.spatial.plantext.grammar import Claim
from redline.spatial.plantext.vocabulary import TOTAL, Subject, subject_label, subjects_measure, vocabulary

__all__ = ["DEFAULT_REL_TOL", "FINDING_LABELS", "INCONSISTENT_KINDS", "TOTAL", "Claim", "Subject", "area_interval",
           "audit_text", "check_claims", "clean_line", "extract_claims", "format_figure", "layer_area_m2",
           "project_figures", "read_plan_text", "share_interval", "subject_label", "subjects_measure", "vocabulary"]
