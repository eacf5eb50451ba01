"""Robustness, round two (issue 16): every command on every case of the hostile corpus
(:mod:`tests.hostile_inputs`).

For each (case, command): the exit status and the text the corpus expects; a refused input gives one
``redline: error: <file>[, line N][, feature K]: …`` line (``redline: warning:`` lines allowed before it) naming
the file; never a traceback; the input's bytes never change; no output and no staging folder is left behind
when the command fails, and no staging folder when it succeeds.

The fast test runs each command in-process (click's ``CliRunner``); ``test_hostile_input_subprocess`` (slow)
runs the same matrix as a user would, ``python -m redline.cli``.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.hostile_inputs import OUT, PROJECT_CASES, generate, label

ROOT = Path(__file__).resolve().parents[1]


def _matrix():
    items = []
    with tempfile.TemporaryDirectory() as tmp:
        for case_id, path, cmds, _ in generate(tmp):
            items += [(case_id, i, label(case_id, path, c)) for i, c in enumerate(cmds)]
    for case_id in PROJECT_CASES:
        items += [(case_id, i, f"project-{cmd}") for i, cmd in enumerate(("check", "area", "audit", "map"))]
    # the map --layout command of the path cases needs the demo project
    for case_id in sorted({c for c, _, lab in items if c.startswith("path_")}):
        n = sum(1 for c, _, _ in items if c == case_id)
        items.append((case_id, n, "layout"))
    return items


MATRIX = _matrix()


@pytest.fixture(scope="session")
def hostile(tmp_path_factory, demo_dir):
    folder = tmp_path_factory.mktemp("hostile")
    return {case_id: (path, cmds, expect) for case_id, path, cmds, expect in generate(folder, demo_dir)}


def _hashes(folder: Path) -> dict[str, str]:
    """Bytes of every regular file (a pipe or a device is never opened)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _args(cmd: list[str], out_dir: Path) -> list[str]:
    return [str(out_dir / ("out" + a[len(OUT):])) if a.startswith(OUT) else a for a in cmd]


def _check(case_id, lab, path, expect, code, stdout, stderr, out_dir, before):
    text = stdout + "\n" + stderr
    assert "Traceback" not in text, text[-3000:]
    assert not re.search(r"\b\w*Warning: ", stderr), f"a library warning leaked: {stderr[-1500:]}"
    assert _hashes(path.parent) == before, "an input file was modified"
    codes, pattern = expect[lab]
    assert code in codes, f"exit {code}, expected {codes}; stderr: {stderr[-1500:]}"
    if pattern:
        assert re.search(pattern, text, re.S), f"no /{pattern}/ in: {text[-1500:]}"
    left = sorted(p.name for p in out_dir.iterdir())
    assert not [n for n in left if n.startswith(".redline-")], f"staging left behind: {left}"
    if code in (2, 3):
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        *warnings, error = lines
        assert all(w.startswith("redline: warning:") for w in warnings), lines
        assert error.startswith("redline: error: "), lines
        assert path.name in error, f"the error does not name {path.name}: {error}"
        assert left == [], f"left behind in the output folder: {left}"


def _run_case(hostile, tmp_path, case_id, index):
    path, cmds, expect = hostile[case_id]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    return path, cmds[index], expect, out_dir, _hashes(path.parent)


@pytest.mark.parametrize(("case_id", "index", "lab"), [pytest.param(*m, id=f"{m[0]}-{m[2]}") for m in MATRIX])
def test_hostile_input(hostile, tmp_path, monkeypatch, case_id, index, lab):
    from redline.cli import main

    path, cmd, expect, out_dir, before = _run_case(hostile, tmp_path, case_id, index)
    monkeypatch.chdir(out_dir)
    result = CliRunner().invoke(main, _args(cmd, out_dir), catch_exceptions=True)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    _check(case_id, lab, path, expect, result.exit_code, result.stdout, result.stderr, out_dir, before)


@pytest.mark.slow
@pytest.mark.parametrize(("case_id", "index", "lab"), [pytest.param(*m, id=f"{m[0]}-{m[2]}") for m in MATRIX])
def test_hostile_input_subprocess(hostile, tmp_path, case_id, index, lab):
    path, cmd, expect, out_dir, before = _run_case(hostile, tmp_path, case_id, index)
    r = subprocess.run([sys.executable, "-m", "redline.cli", *_args(cmd, out_dir)], capture_output=True, text=True,
                       cwd=out_dir, timeout=180, env={**os.environ, "PYTHONPATH": str(ROOT)})
    _check(case_id, lab, path, expect, r.returncode, r.stdout, r.stderr, out_dir, before)


def test_corpus_covers_every_class(hostile):
    """Each class of issue 16 comes in several generated cases, across formats and commands."""
    ids = set(hostile)
    for prefix, at_least in (("gc_", 4), ("huge_", 5), ("path_", 5), ("project_", 6)):
        assert len([i for i in ids if i.startswith(prefix)]) >= at_least, prefix
    assert {"empty_feature_collection", "missing_geometry_gpkg", "curve_polygon_gpkg", "geojson_unknown_crs"} <= ids
    commands = {c[0] for _, cmds, _ in hostile.values() for c in cmds}
    assert commands >= {"inspect", "convert", "area", "check", "audit", "audit-text", "map"}
