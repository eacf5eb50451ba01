"""The demo-map workload: an adapter around ``bench.bench_map.run()`` (written with the maps).

``bench_map.run(target_vertices)`` builds a synthetic county of about 300,000 vertices, writes its web map
and loads it three times in headless Chromium; the time reported is the median time to first full draw,
with the HTML size beside it. It generates its own data inside the timed subprocess, so its peak memory
includes building the county (and Chromium's peak as a child of that process).
"""

from __future__ import annotations

from pathlib import Path

from bench import Impl, Measured, Workload

# bench_map.make_county fails below about 20,000 vertices (its coverage is not noded there), so the quick
# and tiny sizes use 60,000
SIZES = {"full": {"vertices": 300_000}, "quick": {"vertices": 60_000}, "tiny": {"vertices": 60_000}}


def prepare(folder: Path, size: dict) -> dict:
    return {"note": "bench_map.run() builds its own county"}


def load(folder: Path, size: dict) -> dict:
    return size


def ours(size: dict) -> Measured:
    from bench import bench_map  # ImportError (not written yet) is reported as a failed run

    r = bench_map.run(target_vertices=size["vertices"])
    if r.get("ours_s") is None:
        raise RuntimeError(r.get("error", "no draw time"))
    extra = {k: r[k] for k in ("html_mb", "build_s", "vertices_in", "vertices_out", "draw_runs_s", "ok", "budget")
             if k in r}
    return Measured(r["ours_s"], r, note="median time to first draw of 3 cold loads in headless Chromium",
                    extra=extra)


def targets(rec: dict) -> list[dict]:
    r = rec["impls"].get("ours")
    if not r:
        return [{"target": "demo map: HTML size and first draw within budget", "met": None, "value": "not measured"}]
    b = r.get("budget", {"html_mb": 10.0, "draw_s": 1.5})
    return [{"target": f"HTML at most {b['html_mb']:g} MB", "met": r["html_mb"] <= b["html_mb"],
             "value": f"{r['html_mb']} MB", "scales": True},
            {"target": f"first draw at most {b['draw_s']:g} s", "met": r["seconds"] <= b["draw_s"],
             "value": f"{r['seconds']:.3f} s", "scales": True}]


MAP = Workload(
    name="map", title="demo web map: HTML size and time to first draw (headless Chromium)", sizes=SIZES,
    prepare=prepare, load=load, impls=[Impl("ours", ours, role="ours", note="bench.bench_map.run()")],
    targets=targets)


def _web_workloads() -> list[Workload]:
    # redline serve under load: req/s and p95 of single-site checks
    from bench.bench_web import WORKLOADS as WEB

    return WEB


WORKLOADS = [MAP, *_web_workloads()]
