"""One message shape and one exit code for the same fault in every command (issue 16).

* click's own usage errors — a missing argument, an unknown option (generated names), a value of the wrong
  type, an unknown command — are one ``redline: error: …`` line, exit 2, in every command;
* an input that cannot be read — a file without read permission, a folder given as a file — is one line, exit
  3, in every command that reads it (root reads every file whatever its mode: there the refusal of the read is
  simulated at the one place every reader opens its input first);
* library warnings are ``redline: warning:`` lines or silenced, never Python's two-line warning format.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.cli import main

COMMANDS = ["inspect", "convert", "area", "raster-share", "audit", "audit-text", "check", "map", "verify", "demo",
            "serve"]
OPTIONS = {c: {p.opts[0] for p in main.get_command(click.Context(main), c).params for _ in [0] if p.opts}
           | {"--help", "-h"} for c in COMMANDS}


def run(args, cwd: Path | None = None):
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    finally:
        os.chdir(old)


def one_line(r, code: int) -> str:
    assert r.exit_code == code, (r.exit_code, r.output[-800:])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("redline: error: "), r.stderr
    assert all(ln.startswith("redline: warning: ") for ln in lines[:-1]), r.stderr
    assert "Usage:" not in r.output and "Traceback" not in r.output
    return lines[-1]


@pytest.mark.parametrize("command", ["inspect", "convert", "area", "raster-share", "audit-text", "check", "verify"])
def test_a_missing_argument(command, tmp_path):
    line = one_line(run([command], tmp_path), 2)
    assert f"{command}: Missing argument" in line and f"'redline {command} --help'" in line


@settings(max_examples=60, deadline=None)
@given(command=st.sampled_from(COMMANDS), name=st.from_regex(r"--[a-z][a-z-]{2,14}", fullmatch=True))
def test_an_unknown_option(command, name):
    if name in OPTIONS[command]:
        return
    line = one_line(run([command, name]), 2)
    assert f"No such option: {name}" in line or "No such option" in line


@pytest.mark.parametrize(("args", "what"), [
    (["area", "x", "--decimals", "abc"], "--decimals"),
    (["check", "x", "--max-distance", "far"], "--max-distance"),
    (["check", "x", "--report-sites", "-1"], "--report-sites"),
    (["convert", "a", "b", "--zone", "三十七"], "--zone"),
    (["map", "--out", "m.html", "--paper", "B5"], "--paper"),
    (["raster-share", "r", "--zones", "z", "--band", "one"], "--band"),
    (["demo", "--seed", "x"], "--seed"),
    (["nosuchcommand"], "No such command"),
])
def test_a_value_of_the_wrong_type(args, what, tmp_path):
    assert what in one_line(run(args, tmp_path), 2)


def test_area_decimals_out_of_range(tmp_path):
    for d in ("-3", "11"):
        assert "--decimals must be a whole number from 0 to 10" in one_line(run(["area", "x", "--decimals", d],
                                                                               tmp_path), 2)


# ---------------------------------------------------------------------------------------- unreadable inputs
@pytest.fixture
def unreadable(tmp_path, monkeypatch):
    """A layer, a plan text and a project file the user may not read."""
    import geopandas as gpd
    import shapely

    f = tmp_path / "红线.gpkg"
    gpd.GeoDataFrame({"name": ["甲"]}, geometry=[shapely.box(37465000, 4200000, 37465100, 4200100)],
                     crs=4525).to_file(f)
    plan = tmp_path / "规划.txt"
    plan.write_text("生态保护红线面积为100公顷。\n", encoding="utf-8")
    toml = tmp_path / "redline.toml"
    toml.write_text('[layers.rl]\nkind = "red_line"\npath = "红线.gpkg"\n', encoding="utf-8")
    locked = {f, plan, toml}
    for p in locked:
        p.chmod(0)
    if os.geteuid() == 0:   # root reads anything: refuse the read where every reader opens its input first
        import redline.layers.inputs as inputs

        real_open = open

        def refusing_open(path, *a, **k):
            if Path(path) in locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *a, **k)

        monkeypatch.setattr(inputs, "open", refusing_open, raising=False)
    yield {"layer": f, "plan": plan, "project": toml}
    for p in locked:
        p.chmod(0o644)


@pytest.mark.parametrize("args", [
    ["inspect", "{layer}"], ["convert", "{layer}", "{tmp}/o.geojson"], ["area", "{layer}"],
    ["check", "{layer}", "--layer", "red_line={good}"], ["check", "{good}", "--layer", "red_line={layer}"],
    ["audit-text", "{plan}"], ["audit-text", "{good_plan}", "--boundary", "{layer}"],
    ["audit", "--project", "{project}"], ["area", "red_line", "--project", "{project}"],
    ["map", "--project", "{project}", "--out", "{tmp}/m.html"], ["verify", "{layer}"],
])
def test_an_unreadable_input_is_one_line_exit_3(unreadable, tmp_path, args):
    import geopandas as gpd
    import shapely

    good = tmp_path / "good.gpkg"
    gpd.GeoDataFrame({"name": ["乙"]}, geometry=[shapely.box(37465000, 4200000, 37465050, 4200050)],
                     crs=4525).to_file(good)
    good_plan = tmp_path / "good.txt"
    good_plan.write_text("生态保护红线面积为100公顷。\n", encoding="utf-8")
    names = {"layer": unreadable["layer"], "plan": unreadable["plan"], "project": unreadable["project"],
             "good": good, "good_plan": good_plan, "tmp": tmp_path / "out"}
    r = run([a.format(**names) for a in args], tmp_path / "..")
    line = one_line(r, 3)
    assert "Permission denied" in line and any(Path(v).name in line for v in unreadable.values()), line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [
    ["inspect", "{d}"], ["convert", "{d}", "{tmp}/o.gpkg"], ["area", "{d}"], ["audit-text", "{d}"],
    ["audit-text", "{plan}", "--boundary", "{d}"], ["verify", "{d}"], ["audit", "--project", "{d}/x.toml"],
    ["map", "--project", "{toml}", "--layout", "{d}", "--out", "{tmp}/m.html"],
])
def test_a_folder_given_as_a_file_is_one_line_exit_3(tmp_path, demo_dir, args):
    d = tmp_path / "文件夹.geojson"
    (d / "x.toml").mkdir(parents=True)
    plan = tmp_path / "p.txt"
    plan.write_text("生态保护红线面积为100公顷。\n", encoding="utf-8")
    r = run([a.format(d=d, tmp=tmp_path / "out", plan=plan, toml=demo_dir / "redline.toml") for a in args], tmp_path)
    line = one_line(r, 3)
    assert "folder" in line and d.name in line, line
    assert not (tmp_path / "out").exists()


def test_library_warnings_never_leak_in_python_format(tmp_path):
    """A GeoPackage whose declared geometry type differs from its rows makes pyogrio warn (RuntimeWarning):
    the command says nothing of it in Python's warning format."""
    from tests.hostile_inputs import _curve_gpkg

    f = _curve_gpkg(tmp_path / "曲线.gpkg")
    r = run(["inspect", str(f)], tmp_path)
    one_line(r, 3)
    assert "Warning:" not in r.stderr and "warnings.warn" not in r.stderr, r.stderr
