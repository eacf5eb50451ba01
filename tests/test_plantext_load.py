"""Load: ``audit-text`` takes time linear in the size of the text, whatever its sentences look like.

Before, one sentence of 4,000 figures took 28 s and a 1.3 MB single-line text over two minutes (every figure
looked at its whole sentence and every subject named in it). The bounds below are generous (a busy 2-core
machine); a quadratic extractor misses them by far.
"""

from __future__ import annotations

import random
import time

import pytest

from redline.spatial.plantext import audit_text, check_claims, extract_claims

FRAGMENTS = ["生态保护红线面积", "47.89平方千米", "，占全市土地总面积的", "5.11%", "森林覆盖率", "达到", "22.5%", "到2025年",
             "湿地", "胜溪湖", "分别为", "、", "国土总面积", "937.57平方千米", "其中", "总面积", "占", "河道长", "12.5公里",
             "由", "增长为", "  ", "<sup>2</sup>", "以上", "约", "2020年", "草原综合植被盖度", "72.1%", "万亩", "3.5",
             "公顷", "现状"]


def plan_like(n_bytes: int, seed: int = 7) -> str:
    """A single line of plan-like fragments with no sentence end: the worst case for sentence context."""
    rng = random.Random(seed)
    out, size = [], 0
    while size < n_bytes:
        frag = rng.choice(FRAGMENTS)
        out.append(frag)
        size += len(frag.encode("utf-8"))
    return "".join(out)


def test_one_sentence_of_many_figures_is_fast():
    # 8,000 figures in one sentence: each is an area claim (one per figure); a figure looks for its subject
    # only in the 400 characters before it, so the first ones are about the red line
    text = "生态保护红线面积" + "、".join(f"{i}.5公顷" for i in range(8000)) + "。"
    t0 = time.perf_counter()
    claims = extract_claims(text)
    check_claims(claims)
    elapsed = time.perf_counter() - t0
    assert len(claims) == 8000
    assert [c.value for c in claims[:3]] == [0.5, 1.5, 2.5]
    assert {c.subject for c in claims[:30]} == {"生态保护红线"}
    assert elapsed < 30, f"{elapsed:.1f} s for 8,000 figures in one sentence"


@pytest.mark.slow
def test_five_megabytes_on_one_line(tmp_path):
    text = plan_like(5_000_000)
    path = tmp_path / "big.txt"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size >= 5_000_000
    t0 = time.perf_counter()
    result = audit_text(path)
    elapsed = time.perf_counter() - t0
    assert result["lines"] == 1 and result["claims"]
    assert all(c["line"] == 1 for c in result["claims"])
    assert elapsed < 180, f"{elapsed:.1f} s for a 5 MB single-line text"


def test_time_grows_linearly():
    """Four times the text takes about four times as long (a quadratic extractor takes sixteen times)."""
    small, large = plan_like(100_000, seed=3), plan_like(400_000, seed=3)

    def run(text: str) -> float:
        t0 = time.perf_counter()
        check_claims(extract_claims(text))
        return time.perf_counter() - t0

    t_small = min(run(small) for _ in range(2))
    t_large = run(large)
    assert t_large < 9 * t_small + 1.0, f"{t_small:.2f} s for 100 kB, {t_large:.2f} s for 400 kB"
