"""Robustness on broken inputs (issue 7): every command on every broken file of ``tests/bad_inputs.py``.

For each (case, command): the exit status is the documented one; a rejected input gives one
``redline: error: <file>[, line N]...: <fault>`` line on stderr (``redline: warning:`` lines allowed
before it), no traceback, no output and no stray temporary file; the input's bytes never change.

Some broken inputs are *documented* to be accepted (``ACCEPTED`` below: e.g. ``inspect`` reports invalid
geometries instead of failing, readers warn about invalid geometries and leave repair to ``--repair``).
Known product faults are ``xfail(strict=True)`` with the exact fault (``XFAIL``), so a fix shows up as an
XPASS failure and the entry must then be removed.

The fast test runs each command in-process with click's ``CliRunner``; ``test_bad_input_subprocess``
(slow) runs the same matrix as a user would, ``python -m redline.cli``.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.bad_inputs import OUT, generate

ROOT = Path(__file__).resolve().parents[1]
EXIT_INPUT = 3


def _label(case_id: str, cmd: list[str], path: Path) -> str:
    """``inspect``, ``convert``, ``area``, ``check`` (the file as the sites), ``check-layer`` (as a control
    layer), ``audit-text``, ``map``."""
    if cmd[0] == "check" and any(a == f"red_line={path}" for a in cmd):
        return "check-layer"
    return cmd[0]


# (case, command label) -> (allowed exit codes, regex the output must contain (stdout+stderr) or None).
# Documented acceptances; everything else must fail with exit 3.
CPG_WARNING = r"\.cpg file says 'UTF-8', but the attribute text is not valid utf-8 \(it decodes as GBK"
ACCEPTED: dict[tuple[str, str], tuple[set[int], str | None]] = {
    # a .cpg that says UTF-8 over GBK attributes: the text is not valid UTF-8 but decodes as GBK, so it is
    # read as GBK with a warning naming the contradiction (check: 1 = findings, the site is outside coverage)
    ("shp_dbf_gbk_cpg_says_utf8", "inspect"): ({0}, CPG_WARNING),
    ("shp_dbf_gbk_cpg_says_utf8", "convert"): ({0}, CPG_WARNING),
    ("shp_dbf_gbk_cpg_says_utf8", "area"): ({0}, CPG_WARNING),
    ("shp_dbf_gbk_cpg_says_utf8", "check"): ({0, 1}, CPG_WARNING),
    ("shp_dbf_gbk_cpg_says_utf8", "check-layer"): ({0, 1}, CPG_WARNING),
    # invalid geometries: inspect reports them (exit 0), readers warn and leave repair to --repair,
    # area repairs while dissolving (spatial/shares.py), check rejects an invalid *site* (exit 3) but
    # accepts an invalid control layer (repaired in the overlay)
    ("geojson_self_intersecting", "inspect"): ({0}, r"(?i)self-intersection|invalid"),
    ("geojson_self_intersecting", "convert"): ({0}, r"(?i)self-intersection|invalid"),
    ("geojson_self_intersecting", "area"): ({0}, r"(?i)self-intersection|invalid"),
    ("geojson_self_intersecting", "check-layer"): ({0, 1}, None),
    ("geojson_zero_area", "inspect"): ({0}, r"(?i)invalid|too few|zero"),
    ("geojson_zero_area", "convert"): ({0}, r"(?i)invalid|too few|zero"),
    ("geojson_zero_area", "area"): ({0}, r"(?i)invalid|too few|zero"),
    # a control layer whose every polygon is degenerate holds no zone: refused, never a 符合 against nothing
    ("geojson_zero_area", "check-layer"): ({3}, r"control layer red_line has no usable geometry"),
    ("geojson_ring_3_points", "inspect"): ({0}, r"(?i)invalid|too few|zero"),
    ("geojson_ring_3_points", "convert"): ({0}, r"(?i)invalid|too few|zero"),
    ("geojson_ring_3_points", "area"): ({0}, r"(?i)invalid|too few|zero"),
    ("geojson_ring_3_points", "check-layer"): ({3}, r"control layer red_line has no usable geometry"),
    ("guotu_self_intersecting", "inspect"): ({0}, r"(?i)self-intersection|invalid"),
    ("guotu_self_intersecting", "convert"): ({0}, r"(?i)self-intersection|invalid"),
    # a 国土TXT without [属性描述]: the zone is taken from the easting prefix, with a warning
    ("guotu_missing_attribute_section", "inspect"): ({0}, r"带号"),
    ("guotu_missing_attribute_section", "convert"): ({0}, r"带号"),
    ("guotu_missing_attribute_section", "check"): ({0, 1}, r"带号"),
    # UTF-32 with a BOM is decoded from the BOM
    ("plan_utf32", "audit-text"): ({0, 1}, None),
}

# (case, command label) -> the exact product fault (strict xfail: an XPASS means it was fixed).
XFAIL: dict[tuple[str, str], str] = {
    # none at present: every case above fails cleanly or is a documented acceptance
}

# files an error may name instead of the case's own file (the fault is in a file the case points at)
NAMES = {"project_missing_layer_file": "不存在.shp", "shp_dbf_truncated": "红线.dbf"}

# the fault the error must state, where the issue names it
FAULT = {
    "shp_prj_unknown_crs": r"(?i)\.prj|\bCRS\b|坐标系",
    "shp_without_shx": r"\.shx", "shp_without_dbf": r"\.dbf", "shp_dbf_truncated": r"\.dbf.*truncated",
    "geojson_string_coordinates": r"not a number",
    "guotu_zone_contradicts_prefix": r"带号=37 .*contradicts the easting prefix 38",
    "plan_big5": r"Big5", "shp_without_shx_dbf": r"\.shx|\.dbf",
    "shp_zero_byte": r"(?i)empty|0 bytes", "gpkg_zero_byte": r"(?i)empty|0 bytes",
    "geojson_zero_byte": r"(?i)empty|0 bytes", "guotu_zero_byte": r"(?i)empty|0 bytes",
    "plan_zero_byte": r"(?i)empty|no text|0 bytes",
    "shp_truncated": r"(?i)truncated", "shp_header_only": r"(?i)truncated",
    "geojson_nan": r"(?i)nan", "geojson_infinite": r"(?i)infinite",
    "guotu_missing_coordinate_section": r"地块坐标", "guotu_unterminated_parcel_line": r"@",
    "guotu_non_numeric_coordinate": r"(?i)non-numeric", "guotu_ring_3_points": r"(?i)ring",
    "csv_non_numeric": r"(?i)non-numeric", "project_syntax_error": r"(?i)TOML",
    "project_unknown_kind": r"red_lion", "project_not_utf8": r"UTF-8",
    "layout_missing_features": r"不存在的河", "layout_missing_layer": r"no_such_layer",
    "layout_syntax_error": r"(?i)TOML", "layout_no_elements": r"elements",
}

# cases whose fault sits on a line: the error names it
LINE_CASES = {
    "guotu_unterminated_parcel_line", "guotu_non_numeric_coordinate", "guotu_nan_coordinate",
    "guotu_infinite_coordinate", "guotu_ring_3_points", "guotu_truncated_mid_line",
    "guotu_five_mb_single_line", "csv_non_numeric", "project_syntax_error", "layout_syntax_error",
}


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, demo_dir):
    folder = tmp_path_factory.mktemp("bad")
    return {case_id: (path, cmds) for case_id, path, cmds in generate(folder, demo_dir)}


def _matrix():
    """(case_id, command index, label) known before generation: generate into a scratch folder once."""
    import tempfile

    items = []
    with tempfile.TemporaryDirectory() as tmp:
        # without the demo: the project/layout cases are listed by hand below (their commands are fixed)
        for case_id, path, cmds in generate(tmp):
            for i, cmd in enumerate(cmds):
                items.append((case_id, i, _label(case_id, cmd, path)))
    for case_id in ("project_syntax_error", "project_missing_layer_file", "project_unknown_kind",
                    "project_boundary_layer_missing", "project_not_utf8"):
        items += [(case_id, 0, "check"), (case_id, 1, "area")]
    for case_id in ("layout_missing_features", "layout_missing_layer", "layout_syntax_error",
                    "layout_no_elements"):
        items.append((case_id, 0, "map"))
    return items


MATRIX = _matrix()


def _params(slow: bool = False):
    params = []
    for case_id, i, label in MATRIX:
        marks = [pytest.mark.slow] if slow else []
        fault = XFAIL.get((case_id, label)) or XFAIL.get((case_id, "*"))
        if fault:
            marks.append(pytest.mark.xfail(strict=True, reason=fault))
        params.append(pytest.param(case_id, i, label, marks=marks, id=f"{case_id}-{label}"))
    return params


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _args(cmd: list[str], out_dir: Path) -> list[str]:
    return [str(out_dir / ("out" + a[len(OUT):])) if a.startswith(OUT) else a for a in cmd]


def _assert_outcome(case_id, label, path, code, stdout, stderr, crashed, out_dir, before):
    text = stdout + "\n" + stderr
    assert "Traceback" not in text, text[-2000:]
    assert not crashed, f"uncaught exception: {crashed!r}"
    assert _hashes(path.parent) == before, "an input file was modified"
    accepted = ACCEPTED.get((case_id, label))
    if accepted is not None:
        codes, pattern = accepted
        assert code in codes, f"exit {code}, expected one of {codes}; stderr: {stderr[-1000:]}"
        if pattern:
            assert re.search(pattern, text), f"no /{pattern}/ in the output: {text[-1000:]}"
        return
    assert code == EXIT_INPUT, f"exit {code}, expected {EXIT_INPUT}; stderr: {stderr[-1000:]}"
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert lines, "nothing on stderr"
    *warnings, error = lines
    assert all(w.startswith("redline: warning:") for w in warnings), lines
    assert error.startswith("redline: error: "), lines
    assert NAMES.get(case_id, path.name) in error, f"the error does not name {path.name}: {error}"
    if case_id in LINE_CASES:
        assert re.search(r"\bline \d+", error), f"the error does not name the line: {error}"
    if case_id in FAULT:
        assert re.search(FAULT[case_id], error), f"the error does not state the fault /{FAULT[case_id]}/: {error}"
    left = sorted(p.name for p in out_dir.iterdir())
    assert left == [], f"left behind in the output folder: {left}"


@pytest.mark.parametrize(("case_id", "index", "label"), _params())
def test_bad_input(corpus, tmp_path, monkeypatch, case_id, index, label):
    from redline.cli import main

    path, cmds = corpus[case_id]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    monkeypatch.chdir(out_dir)  # no redline.toml here; stray files would show up
    before = _hashes(path.parent)
    result = CliRunner().invoke(main, _args(cmds[index], out_dir), catch_exceptions=True)
    crashed = result.exception if result.exception and not isinstance(result.exception, SystemExit) else None
    _assert_outcome(case_id, label, path, result.exit_code, result.stdout, result.stderr, crashed,
                    out_dir, before)


@pytest.mark.parametrize(("case_id", "index", "label"), _params(slow=True))
def test_bad_input_subprocess(corpus, tmp_path, case_id, index, label):
    path, cmds = corpus[case_id]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    before = _hashes(path.parent)
    r = subprocess.run([sys.executable, "-m", "redline.cli", *_args(cmds[index], out_dir)],
                       capture_output=True, text=True, cwd=out_dir, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    _assert_outcome(case_id, label, path, r.returncode, r.stdout, r.stderr, None, out_dir, before)


def test_corpus_size(corpus):
    """The issue asks for at least 30 broken inputs, across every format and command."""
    assert len(corpus) >= 30
    commands = {cmd[0] for _, cmds in corpus.values() for cmd in cmds}
    assert commands >= {"inspect", "convert", "area", "check", "map", "audit-text"}
