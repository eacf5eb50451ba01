"""The README's Python walk-through runs as it is written, in a fresh folder, and its numbers are the demo's.

The block is taken from the README's "## Python" section, so the README cannot drift from the API.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(section: str) -> list[str]:
    """The ```python blocks of a ``## section`` of the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)


def test_the_python_walk_through_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks("Python")
    assert blocks, "no python block in the README's Python section"
    out = io.StringIO()
    names: dict = {}
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), names)
    r, a = names["r"], names["a"]
    # what the walk-through shows, against what the demo was built to hold (layers/demo/, sites/README.md)
    assert len(r.sites) == 8 and set(r.sites["verdict"]) <= {"符合", "不符合", "需论证", "无法判定"}
    assert a.rows["area"].sum().round(4) == a.total          # the rounded rows add up (平差)
    assert {p.name for p in (tmp_path / "压覆分析").iterdir()} == {
        "check.json", "sites.csv", "hits.csv", "check.xlsx", "压覆分析报告.html", "压覆分析报告.docx"}
    assert (tmp_path / "map.html").stat().st_size > 100_000 and (tmp_path / "附图.pdf").read_bytes()[:4] == b"%PDF"
    assert set(names["report"]) == {"压覆分析报告.html", "压覆分析报告.docx"}
    assert "gbk" in out.getvalue()                           # the Shapefile's encoding, detected
