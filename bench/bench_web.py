"""The web app under load: single-site checks of the demo region through ``redline serve`` on loopback.

Ours: ``redline serve`` started in a subprocess on a free loopback port with ``--jobs 2`` (one worker process
per core here); ``requests`` single-site checks (a demo 国土TXT each, cycling through the four with their
project types) are submitted from ``concurrency`` client threads, each waiting for its check to finish
(polling ``GET /api/checks/{id}`` every 50 ms) before submitting the next. Reported: requests per second
(checks finished per second of wall clock, first submit to last result) and the 50th/95th percentile of the
time from submitting a check to its result being ready (upload, queue, check, the 压覆分析报告 with its maps,
XLSX, CSV and JSON written). Time to start the server is not counted.

Baseline: the same checks in one process, one after another, with the public API (``redline.check`` and
``CheckResult.to_files``): what the server adds (HTTP, uploads, worker processes) or gains (two checks at
once) against it.

Only loopback is used, the number of requests is fixed and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import Impl, Measured, Workload

SIZES = {"full": {"requests": 40, "concurrency": 4}, "quick": {"requests": 12, "concurrency": 4},
         "tiny": {"requests": 4, "concurrency": 2}}
# the demo's 国土TXT files and the project type each was built for (sites/README.md)
SITES = [("01_示范县幸福里住宅小区.txt", "housing"), ("02_示范县农产品加工园.txt", "industry"),
         ("03_示范县东山风电场升压站.txt", "energy"), ("04_示范县城区安置房项目.txt", "housing")]
WAIT_S = 600.0


def prepare(folder: Path, size: dict) -> dict:
    import redline

    toml = redline.demo(folder / "demo")
    return {"project": str(toml)}


def load(folder: Path, size: dict) -> dict:
    return {"project": folder / "demo" / "redline.toml", "sites": folder / "demo" / "sites", **size}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(project: Path, data_dir: Path, *, jobs: int = 2, wait_s: float = 60.0):
    """``redline serve`` on a free loopback port; yields the base URL; stopped on exit."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "redline.cli", "serve", "--project", str(project), "--port",
                             str(port), "--data-dir", str(data_dir), "--jobs", str(jobs)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        t0 = time.monotonic()
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                raise RuntimeError("redline serve stopped: " + proc.stderr.read().decode(errors="replace"))
            if time.monotonic() - t0 > wait_s:
                raise RuntimeError(f"redline serve did not start within {wait_s:g} s")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(base: str, sites: Path, requests: int, concurrency: int) -> dict:
    """Submit ``requests`` single-site checks from ``concurrency`` threads; returns the latencies, the wall
    time and every job's final state (``id``, ``status``, ``error``, ``result``), in submission order."""
    import httpx

    jobs: list[dict | None] = [None] * requests
    latencies: list[float | None] = [None] * requests
    counter = iter(range(requests))
    lock = threading.Lock()

    def worker():
        with httpx.Client(base_url=base, timeout=120.0) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                name, ptype = SITES[i % len(SITES)]
                t0 = time.perf_counter()
                r = client.post("/api/checks", files=[("sites", (name, (sites / name).read_bytes()))],
                                data={"type": ptype})
                if r.status_code != 201:
                    jobs[i] = {"status": f"HTTP {r.status_code}", "error": r.text, "file": name}
                    continue
                job_id = r.json()["id"]
                while True:
                    d = client.get(f"/api/checks/{job_id}").json()
                    if d["status"] in ("done", "failed") or time.perf_counter() - t0 > WAIT_S:
                        break
                    time.sleep(0.05)
                latencies[i] = time.perf_counter() - t0
                jobs[i] = {**d, "file": name, "type": ptype}

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "latencies": latencies, "jobs": jobs}


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) by linear interpolation between order statistics."""
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def ours(inputs: dict) -> Measured:
    with tempfile.TemporaryDirectory(prefix="redline-bench-web-") as d, \
            serve(inputs["project"], Path(d) / "serve") as base:
        r = run(base, inputs["sites"], inputs["requests"], inputs["concurrency"])
    done = [j for j in r["jobs"] if j and j["status"] == "done"]
    lat = [x for x in r["latencies"] if x is not None]
    extra = {"requests": inputs["requests"], "concurrency": inputs["concurrency"], "done": len(done),
             "rps": round(len(done) / r["wall_s"], 3), "p50_s": round(statistics.median(lat), 3),
             "p95_s": round(percentile(lat, 0.95), 3), "max_s": round(max(lat), 3)}
    verdicts = [j["result"]["summary"]["verdicts"] if j and j.get("result") else None for j in r["jobs"]]
    note = (f"{extra['done']}/{inputs['requests']} checks, {inputs['concurrency']} clients: {extra['rps']} req/s, "
            f"p50 {extra['p50_s']} s, p95 {extra['p95_s']} s")
    return Measured(r["wall_s"], {"verdicts": verdicts}, note=note, extra=extra)


def in_process(inputs: dict) -> Measured:
    import redline

    project = redline.Project.load(inputs["project"])
    verdicts, times = [], []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="redline-bench-web-") as d:
        for i in range(inputs["requests"]):
            name, ptype = SITES[i % len(SITES)]
            t1 = time.perf_counter()
            res = redline.check(inputs["sites"] / name, project, project_type=ptype)
            res.to_files(Path(d) / str(i))
            times.append(time.perf_counter() - t1)
            verdicts.append(res.summary["verdicts"])
    wall = time.perf_counter() - t0
    extra = {"rps": round(len(times) / wall, 3), "p50_s": round(statistics.median(times), 3),
             "p95_s": round(percentile(times, 0.95), 3)}
    return Measured(wall, {"verdicts": verdicts}, note="redline.check + to_files, one after another", extra=extra)


def summarize(name: str, result, inputs) -> dict:
    return {"verdicts": json.dumps(result["verdicts"], ensure_ascii=False, sort_keys=True)}


def compare(summaries: dict, size: dict) -> dict:
    ours_v = summaries.get("ours", {}).get("verdicts")
    return {"same_verdicts_as_in_process": all(s.get("verdicts") == ours_v for s in summaries.values())}


def targets(rec: dict) -> list[dict]:
    r = rec["impls"].get("ours")
    if not r:
        return [{"target": "every check completes", "met": None, "value": "not measured"}]
    return [{"target": "every submitted check completes (no job lost)", "met": r["done"] == r["requests"],
             "value": f"{r['done']}/{r['requests']}; {r['rps']} req/s, p95 {r['p95_s']} s"},
            {"target": "same verdicts as the checks run in process",
             "met": rec.get("checks", {}).get("same_verdicts_as_in_process"), "value": ""}]


WEB = Workload(
    name="web", title="redline serve: single-site checks of the demo over HTTP (loopback), req/s and p95",
    sizes=SIZES, prepare=prepare, load=load,
    impls=[Impl("ours", ours, role="ours", note="redline serve --jobs 2, clients on loopback"),
           Impl("in-process, sequential", in_process, note="redline.check + CheckResult.to_files")],
    summarize=summarize, compare=compare, targets=targets)

WORKLOADS = [WEB]

if __name__ == "__main__":  # pragma: no cover
    with tempfile.TemporaryDirectory() as tmp:
        info = prepare(Path(tmp), SIZES["quick"])
        m = ours(load(Path(tmp), SIZES["quick"]))
        print(json.dumps({"seconds": m.seconds, **m.extra}, indent=2), file=sys.stderr if os.isatty(1) else sys.stdout)
