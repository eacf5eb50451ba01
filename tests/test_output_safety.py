"""Outputs (issue 16): never onto an input, whole or absent, all of a command's outputs or none.

* Generated spellings of an input as an output — the same path, ``./``, ``sub/../``, doubled slashes, the
  absolute path, a symbolic link, a hard link; a Shapefile's sidecar; the project file and the files it names;
  an output folder holding the sites under an output's name — are refused by every command before any work:
  exit 2, every input byte unchanged.
* A full disk (``RLIMIT_FSIZE``: writes beyond the limit fail with EFBIG, a real failing system call, no root
  needed) makes every writer exit 3 with one line, and leaves nothing under any final name and no staging
  folder; with root, the same on a full tmpfs (ENOSPC).
* Destinations are checked before any work; several outputs appear together or not at all, a failure
  while moving them into place puts back what they replaced; staging folders of dead runs are removed by the
  next run, those of live runs are not; SIGTERM leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline.cli import main

ROOT = Path(__file__).resolve().parents[1]
PLAN = "示范县生态保护规划.txt"


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture(scope="module")
def world(tmp_path_factory, demo_dir):
    """A copy of the demo: its files are the inputs the outputs must never overwrite."""
    root = tmp_path_factory.mktemp("safety") / "demo"
    shutil.copytree(demo_dir, root)
    (root / "sub").mkdir()
    return root


# ------------------------------------------------------------------------------------ never onto an input
# (command before the output, the input the output lands on, the output's extension or None to keep the input's)
TARGETS = [
    (["convert", "data/rivers.geojson"], "data/rivers.geojson", None),
    (["convert", "data/生态保护红线.shp"], "data/生态保护红线.shp", None),
    (["convert", "sites/01_示范县幸福里住宅小区.txt"], "sites/01_示范县幸福里住宅小区.txt", None),
    (["convert", "data/示范县.gpkg", "--layer", "示范县县界"], "data/示范县.gpkg", None),
    (["area", "red_line", "--xlsx"], "data/示范县.gpkg", ".xlsx"),
    (["area", "red_line", "--xlsx"], "data/生态保护红线.dbf", ".xlsx"),
    (["audit", "--xlsx"], "redline.toml", ".xlsx"),
    (["audit-text", PLAN, "--rules-out"], PLAN, ".toml"),
    (["audit-text", PLAN, "--project", "redline.toml", "--rules-out"], "redline.toml", ".toml"),
    (["map", "--no-layout", "--out"], "redline.toml", ".html"),
    (["map", "--out", "m.html", "--pdf"], "structure.toml", ".pdf"),
]
SPELLINGS = ["same", "dot", "sub_up", "missing_up", "double_slash", "absolute", "symlink", "hardlink"]


def _spell(world: Path, rel: str, how: str, ext: str | None, made: list[Path]) -> str:
    """``rel`` (an input, relative to the demo folder) spelt another way. When the command writes another
    extension (``--xlsx``), the output is a link of that extension to the input, itself spelt ``how``."""
    def link(kind: str, suffix: str) -> str:
        path = world / f"别名_{how}{suffix}"
        if os.path.lexists(path):
            path.unlink()
        (os.link if kind == "hardlink" else os.symlink)(world / rel, path)
        made.append(path)
        return path.name

    if how in ("symlink", "hardlink"):
        return link(how, ext or Path(rel).suffix)
    name = link("symlink", ext) if ext and not rel.endswith(ext) else rel
    return {"same": name, "dot": "./" + name, "sub_up": "sub/../" + name, "missing_up": "nosuch/../" + name,
            "double_slash": name.replace("/", "//") if "/" in name else ".//" + name,
            "absolute": str(world / name)}[how]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(target=st.sampled_from(TARGETS), how=st.sampled_from(SPELLINGS))
def test_no_command_writes_onto_an_input(world, monkeypatch, target, how):
    monkeypatch.chdir(world)
    made: list[Path] = []
    args, rel, ext = target
    try:
        out = _spell(world, rel, how, ext, made)
        before = _hashes(world)
        r = CliRunner().invoke(main, [*args, out], catch_exceptions=True)
        assert r.exit_code == 2, (args, out, r.output[-800:])
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "redline never writes onto a file it reads" in lines[0], r.stderr
        assert _hashes(world) == before
        assert not [p for p in world.iterdir() if p.name.startswith(".redline-")]
    finally:
        for p in made:
            p.unlink()


def test_check_out_folder_holding_the_sites_under_an_output_name(world, tmp_path, monkeypatch):
    """`check SITES --out DIR` where SITES is DIR/sites.csv (or DIR/check.json, …): refused, SITES kept."""
    monkeypatch.chdir(world)
    for name in ("sites.csv", "hits.csv"):
        d = tmp_path / name.replace(".", "_")
        d.mkdir()
        (d / name).write_text("name,longitude,latitude\n一号,110.60,37.93\n", encoding="utf-8")
        before = (d / name).read_bytes()
        r = CliRunner().invoke(main, ["check", str(d / name), "--out", str(d), "--no-maps"])
        assert r.exit_code == 2 and "is the input" in r.stderr, r.output
        assert (d / name).read_bytes() == before and sorted(p.name for p in d.iterdir()) == [name]


def test_no_output_inside_an_input_folder(world, tmp_path, monkeypatch):
    """A folder of sites (or a File Geodatabase) is an input as a whole: nothing is written inside it."""
    monkeypatch.chdir(world)
    sites = tmp_path / "地块"
    shutil.copytree(world / "sites", sites)
    before = _hashes(sites)
    r = CliRunner().invoke(main, ["check", str(sites), "--out", str(sites / "结果"), "--no-maps"])
    assert r.exit_code == 2 and "inside the input folder" in r.stderr, r.output
    assert _hashes(sites) == before and not (sites / "结果").exists()


def test_an_output_that_is_a_device_or_a_folder(world, tmp_path, monkeypatch):
    monkeypatch.chdir(world)
    for out, word in (("/dev/null", "not a regular file"), (str(tmp_path), "folder|directory")):
        r = CliRunner().invoke(main, ["convert", "data/rivers.geojson", out])
        assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1, r.output
        import re

        assert re.search(word, r.stderr), r.stderr
    assert os.path.exists("/dev/null") and not Path("/dev/null").is_file()


# ------------------------------------------------------------------------------------ a full disk
def _limited(args: list[str], cwd: Path, limit: int) -> subprocess.CompletedProcess:
    """Run redline with writes beyond ``limit`` bytes per file failing (EFBIG; Python ignores SIGXFSZ)."""
    def cap():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "redline.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, preexec_fn=cap, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _nothing_left(folder: Path, finals: list[str]) -> None:
    left = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    assert not [n for n in left if n.startswith(".redline-")], f"staging left behind: {left}"
    assert not [n for n in finals if n in left], f"partial output left behind: {left}"


CONVERT_FORMATS = ["kml", "fgb", "geojson", "gpkg", "shp", "parquet", "txt"]


@pytest.mark.parametrize("ext", CONVERT_FORMATS)
def test_convert_on_a_full_disk(world, tmp_path, ext):
    out = tmp_path / "out"
    out.mkdir()
    src = ["data/示范县.gpkg", "--layer", "示范县乡镇界"] if ext == "txt" else ["data/生态保护红线.shp"]
    r = _limited(["convert", *src, str(out / f"红线.{ext}")], world, 20_000)
    assert r.returncode == 3, r.stderr[-1500:]
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("redline: error:")]
    assert len(lines) == 1 and f"红线.{ext}" in lines[0] and "Traceback" not in r.stderr, r.stderr[-1500:]
    assert "File too large" in lines[0] or "disk I/O error" in lines[0], lines[0]
    _nothing_left(out, [f"红线.{e}" for e in ("kml", "fgb", "geojson", "gpkg", "shp", "shx", "dbf", "prj", "cpg",
                                                "parquet", "txt")])


@pytest.mark.slow
@pytest.mark.parametrize(("args", "finals", "limit"), [
    (["check", "sites/项目选址.gpkg", "--no-maps", "--out", "OUT"],
     ["check.json", "sites.csv", "hits.csv", "check.xlsx", "压覆分析报告.html", "压覆分析报告.docx"], 30_000),
    (["check", "sites/项目选址.gpkg", "--stream", "--out", "OUT"], ["check.json", "sites.csv", "hits.csv"], 8_000),
    (["area", "red_line", "--by-zones", "townships", "--xlsx", "OUT/面积.xlsx"], ["面积.xlsx"], 1_000),
    (["audit", "--xlsx", "OUT/audit.xlsx"], ["audit.xlsx"], 1_000),
    (["audit-text", PLAN, "--project", "redline.toml", "--rules-out", "OUT/draft.toml"], ["draft.toml"], 200),
    (["map", "--no-layout", "--out", "OUT/m.html", "--png", "OUT/m.png", "--pdf", "OUT/m.pdf"],
     ["m.html", "m.png", "m.pdf"], 1_500_000),
])
def test_every_writer_on_a_full_disk(world, tmp_path, args, finals, limit):
    out = tmp_path / "out"
    r = _limited([str(out) if a == "OUT" else a.replace("OUT/", f"{out}/") for a in args], world, limit)
    assert r.returncode == 3, r.stderr[-1500:]
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("redline: error:")]
    assert len(errors) == 1 and "cannot write" in errors[0] and "Traceback" not in r.stderr, r.stderr[-1500:]
    _nothing_left(out, finals)


def _tmpfs(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def test_a_full_filesystem(world, tmp_path):
    """ENOSPC on a real full filesystem (a 32 KiB tmpfs; needs root to mount: skipped otherwise — the
    RLIMIT_FSIZE tests above cover the same code paths for everyone)."""
    disk = tmp_path / "tmpfs"
    if not _tmpfs(disk, "size=32k"):
        pytest.skip("cannot mount a tmpfs here (needs root); the RLIMIT_FSIZE tests cover full disks")
    try:
        for ext in ("kml", "fgb", "gpkg", "shp", "txt"):
            src = ["data/示范县.gpkg", "--layer", "示范县乡镇界"] if ext == "txt" else ["data/生态保护红线.shp"]
            r = subprocess.run([sys.executable, "-m", "redline.cli", "convert", *src, str(disk / f"红线.{ext}")],
                               cwd=world, capture_output=True, text=True, timeout=300,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
            assert r.returncode == 3 and "Traceback" not in r.stderr, r.stderr[-1000:]
            assert "No space left on device" in r.stderr or "disk" in r.stderr, r.stderr[-1000:]
            assert os.listdir(disk) == [], os.listdir(disk)
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


# ------------------------------------------------------------------------------------ before any work, together
def test_destinations_are_checked_before_any_work(world, tmp_path, monkeypatch):
    """`map --out ok/m.html --png blocked/m.png`: refused at once (exit 3, one line), m.html never written."""
    monkeypatch.chdir(world)
    (tmp_path / "blocked").write_text("a file where a folder is needed", encoding="utf-8")
    ok = tmp_path / "ok"
    started = time.perf_counter()
    r = CliRunner().invoke(main, ["map", "--no-layout", "--out", str(ok / "m.html"), "--png",
                                  str(tmp_path / "blocked" / "m.png")])
    assert r.exit_code == 3 and len(r.stderr.strip().splitlines()) == 1 and "cannot write" in r.stderr, r.output
    assert time.perf_counter() - started < 5 and not (ok / "m.html").exists()


def test_a_read_only_destination(world, tmp_path):
    """A read-only folder (a read-only tmpfs: permissions alone do not stop root) is refused before work."""
    ro = tmp_path / "ro"
    if os.geteuid() != 0:
        ro.mkdir()
        ro.chmod(0o555)
    elif not _tmpfs(ro, "ro,size=64k"):
        pytest.skip("cannot mount a read-only tmpfs here")
    try:
        for args in (["map", "--no-layout", "--out", str(tmp_path / "m.html"), "--png", str(ro / "m.png")],
                     ["check", "sites/项目选址.gpkg", "--no-maps", "--out", str(ro / "结果")],
                     ["audit", "--xlsx", str(ro / "audit.xlsx")], ["convert", "data/rivers.geojson", str(ro / "r.kml")]):
            r = subprocess.run([sys.executable, "-m", "redline.cli", *args], cwd=world, capture_output=True, text=True,
                               timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
            assert r.returncode == 3 and "cannot write" in r.stderr and "Traceback" not in r.stderr, r.stderr[-800:]
            assert not (tmp_path / "m.html").exists()
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(ro)], capture_output=True)
        else:
            ro.chmod(0o755)


def test_a_failed_move_puts_back_what_was_replaced(tmp_path, monkeypatch):
    """The third of three renames fails: the two files already moved are put back to their old contents."""
    from redline.layers import staging
    from redline.layers.errors import InputError
    from redline.layers.outputs import write_paths

    old = {tmp_path / "a.html": b"old a", tmp_path / "b" / "b.png": b"old b"}
    for p, data in old.items():
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(data)
    real = os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        if str(src).endswith(".part") or ".redline-" not in str(src) or ".orig" in str(dst):
            return real(src, dst)
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(staging.os, "replace", flaky)
    with pytest.raises(InputError, match="cannot write: No space left on device"):
        write_paths({tmp_path / "a.html": b"new a", tmp_path / "b" / "b.png": b"new b", tmp_path / "c.pdf": b"new c"})
    assert {p: p.read_bytes() for p in old} == old
    assert not (tmp_path / "c.pdf").exists()
    assert not [p for p in tmp_path.rglob(".redline-*")]


def test_stale_staging_of_a_dead_run_is_cleaned_and_a_live_one_kept(world, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    # a live run: another process holds the lock of its staging folder
    live = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from redline.layers.staging import staged_outputs\n"
        f"with staged_outputs([{str(out / 'live.txt')!r}]) as p:\n"
        "    print('ready', flush=True); time.sleep(60)\n")], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert live.stdout.readline().strip() == "ready"
        live_parts = [p for p in out.iterdir() if p.name.startswith(".redline-")]
        assert len(live_parts) == 1
        # a dead run: killed between moving the user's file aside and moving its own in
        dead = out / ".redline-4194303-deadrun.part"
        (dead / ".orig").mkdir(parents=True)
        (dead / "check.json").write_text("half", encoding="utf-8")
        (dead / ".orig" / "notes.txt").write_text("the user's file, moved aside when the run died", encoding="utf-8")
        monkeypatch.chdir(world)
        r = CliRunner().invoke(main, ["check", "sites/项目选址.gpkg", "--no-maps", "--out", str(out)])
        assert r.exit_code in (0, 1), r.output
        assert not dead.exists()
        assert (out / "notes.txt").read_text(encoding="utf-8").startswith("the user's file")
        assert live_parts[0].exists(), "the staging folder of a live run was removed"
        assert (out / "check.json").read_text(encoding="utf-8") != "half"
    finally:
        live.kill()
        live.wait()


@pytest.mark.slow
def test_sigterm_leaves_nothing_behind(world, tmp_path):
    out = tmp_path / "out"
    for delay in (2.0, 1.0, 0.5, 3.0):
        shutil.rmtree(out, ignore_errors=True)
        p = subprocess.Popen([sys.executable, "-m", "redline.cli", "map", "--out", str(out / "m.html"), "--png",
                              str(out / "m.png"), "--pdf", str(out / "m.pdf")], cwd=world, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        time.sleep(delay)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=120)
        if p.returncode == 0:
            continue  # finished before the signal: try again with less time
        assert p.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err[-800:]
        _nothing_left(out, ["m.html", "m.png", "m.pdf"])
        return
    pytest.fail("the map finished before every SIGTERM")


def _child_writes_into_a_full_disk(path):
    """A file written by a forked child that hits a file-size limit (EFBIG) after its first bytes."""
    from redline.layers.forking import Forked

    def work():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4, 4))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        with open(path, "wb") as f:
            f.write(b"x" * 1000)

    return Forked(work)


def test_a_file_written_by_a_child_fails_whole(tmp_path):
    """A file another process writes (a large sites.csv) fails on a full disk: one input error, and none of the
    outputs appears, not even those this process wrote whole."""
    from redline.layers.errors import InputError
    from redline.layers.outputs import write_parts

    files = [("sites.csv", _child_writes_into_a_full_disk), ("hits.csv", iter([b"a,b\r\n"]))]
    with pytest.raises(InputError, match="cannot write: File too large"):
        write_parts(tmp_path, ["sites.csv", "hits.csv"], files)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_here_stops_the_child_writing_a_file(tmp_path):
    """This process fails while a child writes another output: the child is stopped and reaped, nothing is
    moved into place."""
    from redline.layers.forking import Forked
    from redline.layers.outputs import write_parts

    started = tmp_path.parent / f"{tmp_path.name}-started"
    jobs = []

    def slow(path):
        def work():
            started.write_bytes(b"")
            time.sleep(60)
            path.write_bytes(b"late")
        jobs.append(Forked(work))
        return jobs[-1]

    def failing():
        while not started.exists():
            time.sleep(0.01)
        raise RuntimeError("boom")
        yield b""

    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="boom"):
        write_parts(tmp_path, ["sites.csv", "hits.csv"], [("sites.csv", slow), ("hits.csv", failing())])
    assert time.monotonic() - t0 < 30                   # not waited for
    assert jobs[0]._pid is None                          # killed and reaped
    assert list(tmp_path.iterdir()) == []


def test_csv_files_written_by_children_are_the_same_files(world, tmp_path, monkeypatch):
    """``sites.csv`` and ``hits.csv`` of a large check are written by child processes: the same bytes as made in
    memory."""
    import geopandas as gpd
    import shapely

    import redline
    from redline.maps.report import check as report_check

    red = gpd.GeoDataFrame({"name": ["红线一"]}, geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000, 4_201_000)],
                           crs=4525)
    sites = gpd.GeoDataFrame({"code": [f"P{i}" for i in range(40)], "type": ["housing"] * 40},
                             geometry=shapely.points(37_500_025 + np.arange(40) * 50.0, 4_200_500), crs=4525)
    result = redline.check(sites, {"red_line": red})
    in_memory = result.outputs(outputs=("csv",))
    monkeypatch.setattr(report_check, "FORKED_CSV_SITES", 10)
    result.to_files(tmp_path, outputs=("csv",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hits.csv", "sites.csv"]
    assert (tmp_path / "sites.csv").read_bytes() == in_memory["sites.csv"]
    assert (tmp_path / "hits.csv").read_bytes() == in_memory["hits.csv"]
    rows = (tmp_path / "sites.csv").read_bytes().decode("utf-8-sig").splitlines()
    assert len(rows) == 41 and sum(",不符合," in r for r in rows) == 20     # x = 25, 75, …, 975 m in the square
