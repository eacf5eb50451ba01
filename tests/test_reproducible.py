"""Re-running a command on the same inputs gives the same outputs, byte for byte, apart from the creation
time (issue 7: "byte-identical JSON apart from the creation time").

Each command runs twice on the demo region in fresh output folders; the only difference allowed is the
``created`` timestamp of the provenance block (and, in the HTML outputs, the same timestamp where it is
printed).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from redline.cli import main

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")


def _without_created(text: str) -> str:
    """The JSON text with every ``"created": "<time>"`` value blanked (nothing else touched)."""
    return re.sub(r'"created": "[^"]*"', '"created": ""', text)


def _run(args: list[str], cwd: Path, monkeypatch) -> str:
    monkeypatch.chdir(cwd)
    r = CliRunner().invoke(main, args, catch_exceptions=False)
    assert r.exit_code in (0, 1), r.output
    return r.stdout


JSON_COMMANDS = {
    "inspect-shp": ["inspect", "data/生态保护红线.shp", "--json"],
    "inspect-guotu": ["inspect", "sites/01_示范县幸福里住宅小区.txt", "--json"],
    "area": ["area", "red_line", "--by-zones", "townships", "--json"],
    "audit": ["audit", "--json"],
    "audit-text": ["audit-text", "示范县生态保护规划.txt", "--project", "redline.toml", "--json"],
    "raster-share": ["raster-share", "data/landcover.tif", "--zones", "townships", "--json"],
    "check": ["check", "sites", "--json"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(JSON_COMMANDS))
def test_json_is_byte_identical_apart_from_the_creation_time(demo_dir, monkeypatch, name) -> None:
    args = JSON_COMMANDS[name]
    assert "/" not in args[1] or Path(args[1]).is_absolute() or (demo_dir / args[1]).exists(), args[1]
    first = _run(args, demo_dir, monkeypatch)
    second = _run(args, demo_dir, monkeypatch)
    json.loads(first)  # one JSON object
    assert _without_created(first) == _without_created(second)
    # the creation time is the only thing blanked: nothing else in the output looks like a timestamp
    assert not ISO_TIME.search(_without_created(first))


@pytest.mark.slow
def test_check_output_folder_is_identical_apart_from_the_creation_time(demo_dir, monkeypatch, tmp_path) -> None:
    outs = []
    for k in (1, 2):
        out = tmp_path / f"run{k}"
        _run(["check", "sites", "--out", str(out), "--no-maps"], demo_dir, monkeypatch)
        outs.append(out)
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(p.name for p in outs[1].iterdir())
    for name in ("check.json", "sites.csv", "hits.csv", "压覆分析报告.html"):
        a, b = ((o / name).read_text(encoding="utf-8") for o in outs)
        a, b = ISO_TIME.sub("<time>", _without_created(a)), ISO_TIME.sub("<time>", _without_created(b))
        assert a == b, name


@pytest.mark.slow
def test_converted_files_are_byte_identical(demo_dir, monkeypatch, tmp_path) -> None:
    for ext in ("geojson", "txt"):
        data = []
        for k in (1, 2):
            out = tmp_path / f"run{k}" / f"out.{ext}"
            _run(["convert", "sites/01_示范县幸福里住宅小区.txt", str(out)], demo_dir, monkeypatch)
            data.append(out.read_bytes())
        assert data[0] == data[1], ext


def _hashes(folder: Path) -> dict[str, str]:
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_no_command_writes_to_its_inputs(demo_dir, monkeypatch, tmp_path) -> None:
    """Every command run on the demo region leaves every file of it byte-identical (and adds none)."""
    before = _hashes(demo_dir)
    out = tmp_path / "out"
    commands = [*JSON_COMMANDS.values(),
                ["convert", "data/生态保护红线.shp", str(out / "红线.gpkg")],
                ["convert", "sites/01_示范县幸福里住宅小区.txt", str(out / "地块.geojson")],
                ["area", "red_line", "--by-zones", "townships", "--xlsx", str(out / "area.xlsx")],
                ["audit", "--xlsx", str(out / "audit.xlsx")],
                ["check", "sites", "--out", str(out / "check"), "--no-maps"],
                ["map", "--out", str(out / "map.html")]]
    for args in commands:
        _run(args, demo_dir, monkeypatch)
    _run(["verify", str(out / "check" / "check.json")], demo_dir, monkeypatch)
    assert _hashes(demo_dir) == before
