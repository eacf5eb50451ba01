"""``redline serve`` under load, on loopback only: 20 uploads of demo sites at once, all complete, none lost,
each result the CLI's for the same file (the time per check under load is reported by ``bench/bench_web.py``,
never asserted here).

Marked slow (about a minute here): it runs in CI, not in a quick ``-m "not slow"`` run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not an installed package: it runs from the project folder
    sys.path.insert(0, str(ROOT))

from bench import bench_web  # noqa: E402

pytestmark = pytest.mark.slow
UPLOADS = 20


def test_twenty_concurrent_uploads_all_complete_with_the_cli_results(demo_dir, tmp_path):
    data_dir = tmp_path / "serve"
    with bench_web.serve(demo_dir / "redline.toml", data_dir, jobs=2) as base:
        r = bench_web.run(base, demo_dir / "sites", requests=UPLOADS, concurrency=UPLOADS)
    jobs = r["jobs"]
    assert all(j is not None for j in jobs)
    assert [j["status"] for j in jobs] == ["done"] * UPLOADS, [j.get("error") for j in jobs]
    assert len({j["id"] for j in jobs}) == UPLOADS                                  # no job lost or shared
    assert len(list((data_dir / "jobs").iterdir())) == UPLOADS
    # the CLI's result for each file, run once in a folder laid out like a job's
    expected = {}
    for name, ptype in bench_web.SITES:
        folder = tmp_path / "cli" / name
        (folder / "sites").mkdir(parents=True)
        shutil.copy(demo_dir / "sites" / name, folder / "sites" / name)
        p = subprocess.run([sys.executable, "-m", "redline.cli", "check", f"sites/{name}", "--project",
                            str(demo_dir / "redline.toml"), "--type", ptype, "--json"], cwd=folder,
                           capture_output=True)
        assert p.returncode in (0, 1), p.stderr.decode()
        expected[name] = (folder, json.loads(p.stdout))
    for j in jobs:
        folder, cli = expected[j["file"]]
        text = json.dumps(j["result"], ensure_ascii=False).replace(str(data_dir / "jobs" / j["id"]), str(folder))
        got = json.loads(text)
        for d in (got, cli):
            d["provenance"].pop("created", None)
        assert got == cli, j["file"]
    assert all(x is not None for x in r["latencies"])
