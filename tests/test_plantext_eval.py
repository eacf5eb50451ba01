"""The hand annotations of the shared plans (tests/data/plan_figures) and the extractor measured against them.

The annotations are checked against the plan files themselves (each annotated value is written on its line);
the extractor's figures on the three plans are compared with them by ``bench/plantext_eval.py``. These are
the plans the code has now seen: the held-out numbers are in bench/README.md. Skipped without ../shared/plans.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not an installed package: it runs from the project folder
    sys.path.insert(0, str(ROOT))

from bench import plantext_eval  # noqa: E402

PLANS = Path(os.environ.get("REDLINE_SHARED", ROOT.parent / "shared")) / "plans"
needs_plans = pytest.mark.skipif(not PLANS.is_dir(), reason="shared plan texts not present (../shared/plans)")
CN = {"两": "2", "一": "1"}


def test_annotation_files_are_well_formed():
    for plan in plantext_eval.PLANS:
        figures = plantext_eval.read_annotations(plan)
        assert figures and all(f.line > 0 and f.value > 0 and f.measure in ("area", "length", "share")
                               for f in figures)
        assert all(f.value <= 100 for f in figures if f.measure == "share")
    assert sum(len(plantext_eval.read_annotations(p)) for p in plantext_eval.PLANS) == 125


@needs_plans
@pytest.mark.parametrize("plan", list(plantext_eval.PLANS))
def test_every_annotated_value_is_written_on_its_line(plan):
    lines = (PLANS / plantext_eval.PLANS[plan]).read_text(encoding="utf-8").split("\n")
    rows = [r.split("\t") for r in (plantext_eval.ANNOTATIONS / f"{plan}.tsv").read_text(encoding="utf-8").splitlines()
            if r.strip() and not r.startswith("#")][1:]
    for line, value, unit, *_ in rows:
        text = unicodedata.normalize("NFKC", lines[int(line) - 1]).replace(" ", "")
        text = re.sub("|".join(CN), lambda m: CN[m.group(0)], text)
        digits = {value, value.rstrip("0").rstrip(".") if "." in value else value, f"{float(value):g}"}
        if unit == "m2" and float(value) >= 1e4:  # written with 万 (1.3万 m²)
            digits.add(f"{float(value) / 1e4:g}万")
        assert any(d in text for d in digits), f"{plan} line {line}: {value} {unit} not found"


@needs_plans
def test_extractor_on_the_shared_plans():
    """On the plans it has been developed on, the extractor finds every annotated figure but at most a few,
    adds few others, and raises no false contradiction while finding the two true ones."""
    results = {k: plantext_eval.evaluate(k, (PLANS / name).read_text(encoding="utf-8"))
               for k, name in plantext_eval.PLANS.items()}
    for r in results.values():
        assert r["recall"] >= 0.95 and r["headline_recall"] >= 0.95 and r["precision"] >= 0.95, r
        assert r["false_contradictions"] == [], r["false_contradictions"]
    assert results["002"]["contradictions_found"] == 2
