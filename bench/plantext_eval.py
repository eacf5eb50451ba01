"""Held-out measurement of the plan-text extractor against hand annotations.

``python -m bench.plantext_eval [--plans DIR] [--json OUT]`` compares the figures ``audit-text`` extracts
from each shared plan with the figures annotated by hand in ``tests/data/plan_figures/<plan>.tsv``
(every area, share and length figure: line, value, unit, subject, headline flag; rules in that folder's
README) and counts the contradictions it reports against ``contradictions.tsv``. It prints, per plan and
for the three rotations (develop on two plans, measure on the third):

* recall: annotated figures found (same line, same value in m², m or %), all and headline only;
* precision: extracted figures that are annotated figures;
* false contradictions: inconsistency findings that are not an annotated contradiction.

An extracted claim gives one figure (its value) and, when it carries a share of another unit ("47.89平方千米，
占…的5.11%"), a second one (the share, on the share's line).

The numbers of one run are those of the code as it is: which of them are *held out* depends on which
plans the code was developed on. ``bench/README.md`` records the runs and how development was kept off
the measured plan.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANNOTATIONS = ROOT / "tests" / "data" / "plan_figures"
PLANS = {"000": "000_5b635c6cadf41728.txt", "002": "002_3c0c0156d9f7a3dc.txt", "004": "004_cde2ff2d830bb66a.txt"}
ROTATIONS = [(("000", "002"), "004"), (("000", "004"), "002"), (("002", "004"), "000")]
INCONSISTENT = ("inconsistent_total", "conflicting_values", "share_over_100", "area_over_total", "computed_mismatch",
                "parts_exceed_whole", "parts_mismatch", "change_direction")
_FACTORS = {"m2": 1.0, "ha": 1e4, "km2": 1e6, "mu": 1e4 / 15, "10k_mu": 1e8 / 15, "10k_ha": 1e8, "10k_km2": 1e10,
            "m": 1.0, "km": 1e3, "%": 1.0}
_MEASURE = {"m2": "area", "ha": "area", "km2": "area", "mu": "area", "10k_mu": "area", "10k_ha": "area",
            "10k_km2": "area", "m": "length", "km": "length", "%": "share"}


@dataclass
class Figure:
    line: int
    value: float  # in m², m or %
    measure: str  # area | length | share
    subject: str = ""
    headline: bool = False
    text: str = ""


def default_plans_dir() -> Path:
    return Path(os.environ.get("REDLINE_SHARED", ROOT.parent / "shared")) / "plans"


def read_annotations(plan: str) -> list[Figure]:
    """The hand-annotated figures of one plan."""
    out = []
    rows = [r for r in (ANNOTATIONS / f"{plan}.tsv").read_text(encoding="utf-8").splitlines()
            if r.strip() and not r.startswith("#")]
    head = rows[0].split("\t")
    for row in rows[1:]:
        d = dict(zip(head, row.split("\t"), strict=False))
        unit = d["unit"]
        out.append(Figure(int(d["line"]), float(d["value"]) * _FACTORS[unit], _MEASURE[unit], d["subject"],
                          d["headline"] == "1"))
    return out


def read_contradictions() -> dict[str, list[tuple[str, set[int]]]]:
    out: dict[str, list[tuple[str, set[int]]]] = {}
    rows = [r for r in (ANNOTATIONS / "contradictions.tsv").read_text(encoding="utf-8").splitlines()
            if r.strip() and not r.startswith("#")]
    for row in rows[1:]:
        plan, kind, lines, *_ = row.split("\t")
        out.setdefault(plan, []).append((kind, {int(x) for x in lines.split(",")}))
    return out


def extracted_figures(claims) -> list[Figure]:
    """The figures of the extracted claims (a claim with a share of another unit gives two)."""
    out = []
    for c in claims:
        c = c if isinstance(c, dict) else c.to_dict()
        unit = c["unit"]
        value = c["value"] * _FACTORS[unit] if unit in _FACTORS else c["value"]
        out.append(Figure(c["line"], value, _MEASURE.get(unit, "share"), c.get("subject") or c.get("subject_text", ""),
                          text=c.get("text", "")))
        if c.get("share_pct") is not None and unit != "%":
            out.append(Figure(c.get("share_line") or c["line"], c["share_pct"], "share", c.get("subject") or "",
                              text=c.get("text", "")))
    return out


def match(annotated: list[Figure], extracted: list[Figure]) -> tuple[list[tuple[Figure, Figure]], list[Figure],
                                                                      list[Figure]]:
    """Pairs (annotated, extracted) with the same line, measure and value; the unmatched of each side."""
    free = list(extracted)
    pairs, missed = [], []
    for a in annotated:
        hit = next((e for e in free if e.line == a.line and e.measure == a.measure
                    and abs(e.value - a.value) <= 1e-9 * max(1.0, abs(a.value))), None)
        if hit is None:
            missed.append(a)
        else:
            free.remove(hit)
            pairs.append((a, hit))
    return pairs, missed, free


def evaluate(plan: str, text: str) -> dict:
    """Recall, precision and false contradictions of the extractor on one plan."""
    from redline.spatial.plantext import check_claims, extract_claims

    claims = extract_claims(text)
    findings = check_claims(claims)
    annotated = read_annotations(plan)
    extracted = extracted_figures(claims)
    pairs, missed, extra = match(annotated, extracted)
    head = [a for a in annotated if a.headline]
    head_found = sum(1 for a, _ in pairs if a.headline)
    true = read_contradictions().get(plan, [])
    bad = [f for f in findings if f["kind"] in INCONSISTENT]
    false_alarms = [f for f in bad if not any(f["kind"] == k and set(f["lines"]) & lines for k, lines in true)]
    found_true = [t for t in true if any(f["kind"] == t[0] and set(f["lines"]) & t[1] for f in bad)]
    return {
        "plan": plan, "annotated": len(annotated), "extracted": len(extracted), "matched": len(pairs),
        "recall": len(pairs) / max(len(annotated), 1), "headline": len(head), "headline_found": head_found,
        "headline_recall": head_found / max(len(head), 1), "precision": len(pairs) / max(len(extracted), 1),
        "contradictions": len(true), "contradictions_found": len(found_true),
        "false_contradictions": [{"kind": f["kind"], "lines": f["lines"], "message": f["message"]} for f in false_alarms],
        "missed": [{"line": a.line, "subject": a.subject, "value": a.value, "measure": a.measure,
                    "headline": a.headline} for a in missed],
        "extra": [{"line": e.line, "subject": e.subject, "value": e.value, "measure": e.measure} for e in extra],
    }


def _pct(x: float) -> str:
    return f"{100 * x:5.1f} %"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.plantext_eval", description=__doc__.split("\n\n")[0])
    p.add_argument("--plans", type=Path, default=default_plans_dir(), help="folder of the shared plan texts")
    p.add_argument("--json", type=Path, help="write the full results (missed and extra figures) here")
    p.add_argument("--verbose", action="store_true", help="list missed and extra figures")
    a = p.parse_args(argv)
    if not a.plans.is_dir():
        print(f"plan texts not found in {a.plans} (set REDLINE_SHARED or --plans)", file=sys.stderr)
        return 2
    results = {k: evaluate(k, (a.plans / name).read_text(encoding="utf-8")) for k, name in PLANS.items()}
    print("plan  figures  found  recall   headline  recall   extracted  precision  contradictions  false alarms")
    for k, r in results.items():
        print(f"{k}   {r['annotated']:7d}  {r['matched']:5d}  {_pct(r['recall'])}  {r['headline']:8d}  "
              f"{_pct(r['headline_recall'])}  {r['extracted']:9d}  {_pct(r['precision'])}  "
              f"{r['contradictions_found']}/{r['contradictions']:<13d} {len(r['false_contradictions'])}")
    print("\nrotation (develop on / measure on): recall, headline recall, precision, false alarms of the measured plan")
    for dev, test in ROTATIONS:
        r = results[test]
        print(f"  {'+'.join(dev)} / {test}: {_pct(r['recall'])}, {_pct(r['headline_recall'])}, {_pct(r['precision'])}, "
              f"{len(r['false_contradictions'])}")
    tot = {key: sum(r[key] for r in results.values()) for key in ("annotated", "matched", "headline",
                                                                    "headline_found", "extracted")}
    print(f"\nall three: recall {_pct(tot['matched'] / tot['annotated'])}, headline "
          f"{_pct(tot['headline_found'] / tot['headline'])}, precision {_pct(tot['matched'] / max(tot['extracted'], 1))}")
    if a.verbose:
        for k, r in results.items():
            for m in r["missed"]:
                print(f"{k} missed  line {m['line']:4d} {m['measure']:6s} {m['value']:<14g} {m['subject']}"
                      + ("  [headline]" if m["headline"] else ""))
            for e in r["extra"]:
                print(f"{k} extra   line {e['line']:4d} {e['measure']:6s} {e['value']:<14g} {e['subject']}")
            for f in r["false_contradictions"]:
                print(f"{k} false alarm {f['kind']} {f['lines']}: {f['message'][:100]}")
    if a.json:
        a.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
