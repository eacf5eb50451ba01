"""Benchmarks of redline against the tools a GIS developer would otherwise reach for.

``python -m bench`` (``make bench``) runs every workload and prints one table; ``--quick`` uses about 1/20
of the sizes, ``--only NAME`` runs one workload. Results go to ``bench/results.json`` (written whole or
not at all).

How a workload is measured
--------------------------
1. Its inputs are generated once, deterministically (seeded), into a cache folder (``--data-dir``,
   default ``~/.cache/redline-bench``), keyed by a fingerprint of the generator code and the sizes.
2. Each implementation (ours, each baseline) runs in a **fresh subprocess** that loads the inputs, then
   times the call (a run under 2 s is repeated, up to 5 runs; one under 60 s is run twice; the fastest
   run is kept). The peak memory
   is the peak resident set size of that subprocess (its ``VmHWM``, read while it runs: the interpreter,
   the libraries, the loaded inputs and the work), so generating the data never counts, and a baseline's
   memory never counts as ours.
3. The outputs are compared (same pairs, same areas...) and the targets of the issue are checked.

A workload module defines :class:`Workload` objects (see ``bench/bench_*.py``); :data:`MODULES` lists them.

Example
-------
>>> from bench import workload_names
>>> "area" in workload_names()
True
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results.json"
DEFAULT_CACHE = Path(os.environ.get("REDLINE_BENCH_CACHE", Path.home() / ".cache" / "redline-bench"))
SIZES = ("full", "quick", "tiny")
# the end-to-end commands first (the headline), then the in-process kernels
MODULES = ("bench.commands", "bench.bench_read", "bench.bench_area", "bench.bench_dissolve", "bench.bench_check",
           "bench.bench_nearest", "bench.bench_raster", "bench.workloads")
REPEAT_BELOW_S = 2.0   # runs shorter than this are repeated up to MAX_RUNS times
MAX_RUNS = 5
TWICE_BELOW_S = 60.0   # runs shorter than this are done at least twice (a busy machine makes one run noisy)


@dataclass
class Measured:
    """What an implementation returns when it times itself (e.g. a sample extrapolated to the full size)."""

    seconds: float
    result: Any = None
    note: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Impl:
    """One implementation of a workload.

    ``role`` is ``"ours"`` (the headline), ``"variant"`` (another of ours, reported beside it) or
    ``"baseline"``; a baseline's ratio is the time of ``vs`` (default ``"ours"``) over its own.
    ``setup(inputs) -> inputs`` (untimed, e.g. loading a database) runs before the timed ``fn``.
    """

    name: str
    fn: Callable[[Any], Any]
    role: str = "baseline"
    vs: str = "ours"
    note: str = ""
    setup: Callable[[Any], Any] | None = None


@dataclass
class Workload:
    """A benchmark: inputs, implementations, output comparison and targets.

    ``prepare(folder, size)`` writes the inputs and returns a description; ``load(folder, size)`` reads
    them; each impl's ``fn(inputs)`` is timed; ``summarize(impl_name, result, inputs)`` (untimed) reduces a
    result to a dict of small numpy arrays or numbers for ``compare(summaries, size) -> dict``;
    ``targets(record) -> [{"target", "met", "value", "scales"}]`` checks the issue's targets; one with
    ``scales`` (speed, memory) is only judged at the full size.
    """

    name: str
    title: str
    sizes: dict[str, dict]
    prepare: Callable[[Path, dict], dict]
    load: Callable[[Path, dict], Any]
    impls: list[Impl]
    summarize: Callable[[str, Any, Any], dict] | None = None
    compare: Callable[[dict, dict], dict] | None = None
    targets: Callable[[dict], list[dict]] | None = None
    notes: list[str] = field(default_factory=list)

    def impl(self, name: str) -> Impl:
        for i in self.impls:
            if i.name == name:
                return i
        raise KeyError(f"workload {self.name!r} has no implementation {name!r}")


# ------------------------------------------------------------------------------------------ registry
def registry() -> dict[str, Workload]:
    """Every workload by name, in the order they run."""
    out: dict[str, Workload] = {}
    for modname in MODULES:
        mod = importlib.import_module(modname)
        for w in mod.WORKLOADS:
            out[w.name] = w
    return out


def workload_names() -> list[str]:
    return list(registry())


def _fingerprint(w: Workload, size: dict) -> str:
    """Changes when the generator code or the sizes change (cached inputs are then rebuilt)."""
    h = hashlib.sha256()
    h.update(inspect.getsource(inspect.getmodule(w.prepare)).encode())
    h.update((ROOT / "data.py").read_bytes())
    h.update(json.dumps(size, sort_keys=True, default=str).encode())
    return h.hexdigest()[:12]


def data_folder(w: Workload, size_name: str, cache: Path) -> Path:
    return Path(cache) / f"{w.name}-{size_name}-{_fingerprint(w, w.sizes[size_name])}"


# ------------------------------------------------------------------------------------------ memory
def _status_mb(key: str) -> float | None:
    """``VmRSS`` / ``VmHWM`` of this process from /proc (MB), or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# ------------------------------------------------------------------------------------------ children
def prepare_inputs(w: Workload, size_name: str, cache: Path) -> tuple[Path, dict]:
    """Generate a workload's inputs (once: later calls find them in the cache)."""
    folder = data_folder(w, size_name, cache)
    ready = folder / "ready.json"
    if ready.exists():
        return folder, json.loads(ready.read_text(encoding="utf-8"))
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent if folder.parent.exists()
                                else _mkdir(folder.parent)))
    t0 = time.perf_counter()
    info = w.prepare(tmp, w.sizes[size_name]) or {}
    info["generate_s"] = round(time.perf_counter() - t0, 2)
    (tmp / "ready.json").write_text(json.dumps(info, ensure_ascii=False, indent=2, default=_jsonable),
                                    encoding="utf-8")
    try:
        os.replace(tmp, folder)
    except OSError:  # another run made it meanwhile
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return folder, json.loads(ready.read_text(encoding="utf-8"))


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def measure(w: Workload, impl_name: str, folder: Path, size_name: str) -> tuple[dict, dict]:
    """Load the inputs, time one implementation; returns ``(record, summary)``."""
    impl = w.impl(impl_name)
    size = w.sizes[size_name]
    t0 = time.perf_counter()
    inputs = w.load(folder, size)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    if impl.setup is not None:
        inputs = impl.setup(inputs)
    setup_s = time.perf_counter() - t0
    base_mb = _status_mb("VmRSS")
    runs: list[float] = []
    note, extra, result = impl.note, {}, None
    while True:
        t0 = time.perf_counter()
        result = impl.fn(inputs)
        elapsed = time.perf_counter() - t0
        if isinstance(result, Measured):
            runs.append(result.seconds)
            note = "; ".join(x for x in (impl.note, result.note) if x)
            extra = result.extra
            result = result.result
            break
        runs.append(elapsed)
        again = (elapsed < REPEAT_BELOW_S and len(runs) < MAX_RUNS) or (elapsed < TWICE_BELOW_S and len(runs) < 2)
        if not again:
            break
        del result
    record = {"impl": impl_name, "seconds": min(runs), "runs_s": [round(r, 4) for r in runs],
              "load_s": round(load_s, 3), "setup_s": round(setup_s, 3), "base_mb": base_mb, "hwm_mb": _status_mb("VmHWM"),
              "note": note, **extra}
    summary = w.summarize(impl_name, result, inputs) if w.summarize else {}
    return record, summary


def _child_main(argv: list[str]) -> int:
    """``python -m bench --child prepare|measure NAME [IMPL] SIZE CACHE OUT``."""
    what, name = argv[0], argv[1]
    w = registry()[name]
    if what == "prepare":
        size_name, cache, out = argv[2], Path(argv[3]), Path(argv[4])
        folder, info = prepare_inputs(w, size_name, cache)
        out.write_text(json.dumps({"folder": str(folder), "info": info}, default=_jsonable), encoding="utf-8")
        return 0
    impl_name, size_name, cache, out = argv[2], argv[3], Path(argv[4]), Path(argv[5])
    folder = data_folder(w, size_name, cache)
    record, summary = measure(w, impl_name, folder, size_name)
    np.savez(out.with_suffix(".npz"), **{k: np.asarray(v) for k, v in summary.items()})
    out.write_text(json.dumps(record, default=_jsonable), encoding="utf-8")
    return 0


def _run_child(args: list[str], out: Path, timeout: float) -> tuple[dict | None, float | None, str]:
    """Run ``python -m bench --child ...`` in a fresh process; ``(json written, peak RSS MB, stderr tail)``."""
    from bench.e2e import run_command

    cmd = [sys.executable, "-m", "bench", "--child", *args, str(out)]
    _, peak_mb, code, tail = run_command(cmd, {}, ROOT.parent, timeout)   # its own peak (VmHWM while it ran)
    if code == -9:
        return None, peak_mb, f"timed out after {timeout:.0f} s"
    if code != 0 or not out.exists():
        return None, peak_mb, tail or f"exit code {code}"
    return json.loads(out.read_text(encoding="utf-8")), peak_mb, ""


# ------------------------------------------------------------------------------------------ one workload
def run_workload(w: Workload, size_name: str = "full", *, cache: Path = DEFAULT_CACHE, isolate: bool = True,
                 timeout: float = 3600.0, log: Callable[[str], None] | None = None) -> dict:
    """Prepare, measure every implementation, compare, check targets: the workload's record.

    ``isolate=False`` runs everything in this process (for the smoke test): no peak memory then.
    """
    log = log or (lambda s: None)
    cache = Path(cache)
    if not hasattr(w, "load"):      # an end-to-end workload (bench.e2e): whole commands on files
        return _run_command_workload(w, size_name, cache=cache, timeout=timeout, log=log)
    rec: dict = {"name": w.name, "title": w.title, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "size": size_name, "params": w.sizes[size_name],
                 "ours_s": None, "baselines": {}, "ratios": {}, "peak_mb": None, "variants": {},
                 "baseline_peak_mb": {}, "impls": {}, "errors": {}, "notes": list(w.notes)}
    work = Path(tempfile.mkdtemp(prefix=f"redline-bench-{w.name}-"))
    log(f"[{w.name}] preparing inputs ({size_name})")
    if isolate:
        got, _, err = _run_child(["prepare", w.name, size_name, str(cache)], work / "prepare.json", timeout)
        if got is None:
            rec["errors"]["prepare"] = err
            return rec
        folder, info = Path(got["folder"]), got["info"]
    else:
        folder, info = prepare_inputs(w, size_name, cache)
    rec["inputs"] = info
    summaries: dict[str, dict] = {}
    for impl in w.impls:
        log(f"[{w.name}] {impl.name}")
        if isolate:
            out = work / f"{len(summaries)}-{impl.name.replace('/', '_').replace(' ', '_')}.json"
            got, peak, err = _run_child(["measure", w.name, impl.name, size_name, str(cache)], out, timeout)
            if got is None:
                rec["errors"][impl.name] = err
                log(f"[{w.name}] {impl.name} FAILED: {err.splitlines()[-1] if err else ''}")
                continue
            got["peak_mb"] = round(peak, 1)
            with np.load(out.with_suffix(".npz"), allow_pickle=False) as z:
                summaries[impl.name] = {k: z[k] for k in z.files}
        else:
            try:
                got, summaries[impl.name] = measure(w, impl.name, folder, size_name)
            except Exception as exc:  # a baseline may be missing; report, go on
                rec["errors"][impl.name] = f"{type(exc).__name__}: {exc}"
                continue
            got["peak_mb"] = None
        rec["impls"][impl.name] = got
        log(f"[{w.name}] {impl.name}: {got['seconds']:.3f} s, peak {got['peak_mb']} MB")
    _fill(rec, w)
    if w.compare:
        try:
            rec["checks"] = w.compare(summaries, w.sizes[size_name])
        except Exception as exc:
            rec["checks"] = {"error": f"{type(exc).__name__}: {exc}"}
    rec["targets"] = w.targets(rec) if w.targets else []
    for t in rec["targets"]:  # speed and memory targets are for the full sizes only
        if t.pop("scales", False) and size_name != "full" and t["met"] is not None:
            t["met"] = None
            t["value"] += f" (at {size_name} size; judged at full size only)"
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    return rec


def _run_command_workload(w, size_name: str, *, cache: Path, timeout: float, log) -> dict:
    from bench.e2e import run_command_workload

    log(f"[{w.name}] preparing inputs ({size_name})")
    work = Path(tempfile.mkdtemp(prefix=f"redline-bench-{w.name}-"))
    try:
        got, _, err = _run_child(["prepare", w.name, size_name, str(cache)], work / "prepare.json", timeout)
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    if got is None:
        return {"name": w.name, "title": w.title, "size": size_name, "errors": {"prepare": err}, "impls": {},
                "ours_s": None, "baselines": {}, "ratios": {}, "peak_mb": None, "variants": {},
                "baseline_peak_mb": {}, "targets": []}
    rec = run_command_workload(w, size_name, Path(got["folder"]), timeout=timeout, log=log)
    rec["inputs"] = got["info"]
    return rec


def _fill(rec: dict, w: Workload) -> None:
    got = rec["impls"]
    for impl in w.impls:
        if impl.name not in got:
            continue
        s, peak = got[impl.name]["seconds"], got[impl.name]["peak_mb"]
        if impl.role == "ours":
            rec["ours_s"], rec["peak_mb"] = s, peak
        elif impl.role == "variant":
            rec["variants"][impl.name] = s
            rec.setdefault("variant_peak_mb", {})[impl.name] = peak
        else:
            rec["baselines"][impl.name] = s
            rec["baseline_peak_mb"][impl.name] = peak
            mine = got.get(impl.vs, {}).get("seconds")
            rec["ratios"][impl.name] = (mine / s) if (mine is not None and s) else None
            if impl.vs != "ours":
                rec.setdefault("ratio_of", {})[impl.name] = impl.vs
        if got[impl.name].get("note"):
            rec["notes"].append(f"{impl.name}: {got[impl.name]['note']}")


# ------------------------------------------------------------------------------------------ everything
def machine() -> dict:
    """CPU model, cores, RAM, Python and library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram_gb = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    from importlib.metadata import PackageNotFoundError, version

    for pkg in ("numpy", "shapely", "geopandas", "pyogrio", "pyarrow", "pyproj", "rasterio", "exactextract",
                "rasterstats", "duckdb", "duckdb-ext-spatial", "pandas", "playwright"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    try:
        import shapely

        versions["GEOS"] = shapely.geos_version_string
        import pyogrio

        versions["GDAL"] = pyogrio.__gdal_version_string__
        import pyproj

        versions["PROJ"] = pyproj.proj_version_str
    except Exception:  # pragma: no cover - reported as missing
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram_gb, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def run_all(names: list[str] | None = None, size_name: str = "full", *, cache: Path = DEFAULT_CACHE,
            out: Path | None = RESULTS, isolate: bool = True, log: Callable[[str], None] | None = None) -> dict:
    """Run workloads (all, or ``names``), write ``out`` atomically, return the results."""
    every = registry()
    unknown = [n for n in (names or []) if n not in every]
    if unknown:
        raise SystemExit(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(every)}")
    chosen = [every[n] for n in (names or every)]
    t0 = time.perf_counter()
    results = {"machine": machine(), "size": size_name, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "note": "times are wall-clock seconds on a shared machine; see bench/README.md", "workloads": []}
    kept = _kept_workloads(out, size_name, [w.name for w in chosen]) if names else []
    for w in chosen:
        results["workloads"].append(run_workload(w, size_name, cache=cache, isolate=isolate, log=log))
        if out is not None:  # keep what is done if a later workload is interrupted
            write_results(_merged(results, kept), out)
    results["total_s"] = round(time.perf_counter() - t0, 1)
    if out is not None:
        write_results(_merged(results, kept), out)
    return results


def _kept_workloads(out: Path | None, size_name: str, rerun: list[str]) -> list[dict]:
    """With ``--only``, the other workloads already in ``out`` (same size) are kept, not dropped."""
    if out is None or not Path(out).exists():
        return []
    try:
        old = json.loads(Path(out).read_text(encoding="utf-8"))
    except ValueError:
        return []
    if old.get("size") != size_name:
        return []
    return [w for w in old.get("workloads", []) if w.get("name") not in rerun]


def _merged(results: dict, kept: list[dict]) -> dict:
    if not kept:
        return results
    order = list(registry())
    every = kept + results["workloads"]
    every.sort(key=lambda w: order.index(w["name"]) if w["name"] in order else len(order))
    return {**results, "workloads": every,
            "note": results["note"] + "; some workloads kept from an earlier run (see each one's 'started')"}


def _jsonable(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, Path):
        return str(o)
    return str(o)


def write_results(results: dict, path: Path) -> None:
    """Write the results JSON whole or not at all."""
    from redline.layers.outputs import write_text

    write_text(path, json.dumps(_clean(results), ensure_ascii=False, indent=2, default=_jsonable) + "\n")


def _clean(o):
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, float | np.floating):
        return float(o) if np.isfinite(o) else None
    return o


# ------------------------------------------------------------------------------------------ the table
def _fmt_s(v) -> str:
    if v is None:
        return "—"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def format_table(results: dict) -> str:
    """One table: workload, our time, each baseline's time, ours/baseline, peak memory, targets."""
    head = ("workload", "ours s", "peak MB", "baseline / variant", "its s", "ours/it", "its MB")
    rows: list[tuple] = []
    target_lines: list[str] = []
    for r in results["workloads"]:
        html = (r["impls"].get("ours") or {}).get("html_mb")
        first = (r["name"] + (f" ({html} MB HTML)" if html is not None else ""), _fmt_s(r["ours_s"]), "—" if r["peak_mb"] is None else f"{r['peak_mb']:.0f}")
        others = []
        for name, s in r.get("variants", {}).items():
            others.append((f"(ours) {name}", _fmt_s(s), "", _mb(r.get("variant_peak_mb", {}).get(name))))
        for name, s in r["baselines"].items():
            ratio = r["ratios"].get(name)
            vs = r.get("ratio_of", {}).get(name)
            rtxt = "—" if ratio is None else f"{ratio:.2f}" + (f" ({vs})" if vs else "")
            others.append((name, _fmt_s(s), rtxt, _mb(r["baseline_peak_mb"].get(name))))
        for name, err in r.get("errors", {}).items():
            others.append((f"{name}: FAILED", "", "", ""))
            target_lines.append(f"  {r['name']}: {name} failed: {err.splitlines()[-1] if err else ''}")
        if not others:
            others = [("", "", "", "")]
        for i, o in enumerate(others):
            rows.append((first if i == 0 else ("", "", "")) + o)
        for t in r.get("targets", []):
            mark = {True: "MET   ", False: "MISSED", None: "n/a   "}[t["met"]]
            target_lines.append(f"  {mark} {r['name']}: {t['target']} — {t['value']}")
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(head), line(["-" * w for w in widths])] + [line(r) for r in rows]
    if target_lines:
        out += ["", "targets:"] + target_lines
    return "\n".join(out)


def _mb(v) -> str:
    return "—" if v is None else f"{v:.0f}"
