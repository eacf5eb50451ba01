"""End-to-end benchmarks: whole commands, file in → results out, against peers doing the same file-to-file work.

A :class:`CommandWorkload` names the commands to compare (ours: a ``redline`` command line; peers: a DuckDB
SQL script, a geopandas script, QGIS's ``qgis_process``), each run as its own process on the same input files.
The commands run **alternately** (ours, peer 1, peer 2, ours, …) for a number of rounds, so that a busy
spell of the shared machine falls on all of them; the median wall time and the median peak resident
memory of each (that process's own peak, or that of the process and the children it forks, whichever is
higher) are reported, with the ratios ours/peer.
After the runs, each command's outputs are read back (``read``) and compared (same sites, same overlaps).

A peer that cannot run here (QGIS not installed, say) is reported as skipped with the reason, never as a
failure of ours.

Example
-------
>>> c = Command("ours", lambda data, out: ["true"], role="ours")
>>> c.argv(Path("."), Path(".")), c.role
(['true'], 'ours')
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REDLINE = str(Path(sys.executable).with_name("redline"))


def python(*args: str) -> list[str]:
    """A peer script of :mod:`bench.peers` run by this Python."""
    return [sys.executable, "-m", "bench.peers", *args]


def qgis_process() -> str | None:
    """The qgis_process binary. Debian's ``/usr/bin/qgis_process`` wrapper passes ``--noversioncheck``
    (from ``/etc/default/qgis``), which qgis_process itself refuses, so the binary beside it is used."""
    for cand in ("/usr/bin/qgis_process.bin", shutil.which("qgis_process")):
        if cand and os.path.exists(cand):
            return cand
    return None


def qgis_env() -> dict:
    """Headless QGIS: the offscreen Qt platform and a private runtime folder."""
    runtime = Path(tempfile.gettempdir()) / f"redline-bench-xdg-{os.getuid()}"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return {"QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)}


@dataclass
class Command:
    """One command of a workload.

    ``argv(data, out)`` gives the command line for the input folder ``data`` and an empty output folder
    ``out``; ``read(out)`` reads its outputs back into a small summary (for :attr:`CommandWorkload.compare`);
    ``unavailable()`` says why it cannot run here (None when it can).
    """

    name: str
    argv: Callable[[Path, Path], list[str]]
    role: str = "baseline"
    read: Callable[[Path], dict] | None = None
    env: dict = field(default_factory=dict)
    unavailable: Callable[[], str | None] | None = None
    note: str = ""
    stdout: str | None = None       # a file name in the output folder that receives the standard output
    ok: tuple[int, ...] = (0,)      # exit codes of success (``redline check`` exits 1 when a site is not 符合)


@dataclass
class CommandWorkload:
    """Whole commands compared on the same files (see the module docstring)."""

    name: str
    title: str
    sizes: dict[str, dict]
    prepare: Callable[[Path, dict], dict]
    commands: list[Command]
    rounds: dict[str, int] = field(default_factory=lambda: {"full": 3, "quick": 3, "tiny": 1})
    compare: Callable[[dict, dict], dict] | None = None
    targets: Callable[[dict], list[dict]] | None = None
    notes: list[str] = field(default_factory=list)
    impls: list = field(default_factory=list)   # the registry's kernel workloads have these; none here


def run_command(argv: list[str], env: dict, cwd: Path, timeout: float, stdout: Path | None = None
                ) -> tuple[float, float, int, str]:
    """Run one command: ``(wall seconds, peak RSS MB, exit code, stderr tail)``."""
    err = tempfile.TemporaryFile()
    out = open(stdout, "wb") if stdout is not None else subprocess.DEVNULL
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(BENCH.parent), **env}   # the peers are bench.peers
    proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd, env=env)
    deadline = time.monotonic() + timeout
    hwm = 0.0
    ticks = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        ticks += 1
        hwm = max(hwm, _vm_hwm_mb(proc.pid), tree_mb(proc.pid) if ticks % 10 == 1 else 0.0)   # the tree: each 0.1 s
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return time.perf_counter() - t0, hwm or usage.ru_maxrss / 1024, -9, f"timed out after {timeout:.0f} s"
        time.sleep(0.01)
    seconds = time.perf_counter() - t0
    if stdout is not None:
        out.close()
    err.seek(0)
    tail = err.read().decode("utf-8", "replace").strip().splitlines()[-5:]
    # the process's own peak (VmHWM of its address space), or that of the process with the children it forked
    # (their proportional set sizes summed: pages they share counted once), read while it ran, whichever is
    # higher (ru_maxrss of a child also counts the memory of this process, which forked it, at the moment of the
    # fork); a command that ended before the first reading falls back to ru_maxrss
    return seconds, hwm or usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), "\n".join(tail)


def tree_mb(pid: int) -> float:
    """Resident memory (MB) of a running process and all its descendants, shared pages counted once: the sum
    of their proportional set sizes (Linux ``/proc/PID/smaps_rollup``); 0 when it cannot be read."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup", "rb") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith(b"Pss:")), 0)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", "rb") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


def _vm_hwm_mb(pid: int) -> float:
    """Peak resident memory (MB) so far of a running process (Linux ``/proc``), 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def run_command_workload(w: CommandWorkload, size_name: str, folder: Path, *, timeout: float = 3600.0,
                         log: Callable[[str], None] | None = None) -> dict:
    """Run every command of ``w`` alternately on the inputs in ``folder``; the workload's record."""
    log = log or (lambda s: None)
    size = w.sizes[size_name]
    rec: dict = {"name": w.name, "title": w.title, "kind": "command", "size": size_name, "params": size,
                 "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "ours_s": None, "baselines": {}, "ratios": {},
                 "peak_mb": None, "variants": {}, "baseline_peak_mb": {}, "impls": {}, "errors": {}, "skipped": {},
                 "notes": list(w.notes)}
    runnable = []
    for c in w.commands:
        why = c.unavailable() if c.unavailable else None
        if why:
            rec["skipped"][c.name] = why
            log(f"[{w.name}] {c.name}: skipped ({why})")
        else:
            runnable.append(c)
    work = Path(tempfile.mkdtemp(prefix=f"redline-bench-{w.name}-"))
    runs: dict[str, list[tuple[float, float]]] = {c.name: [] for c in runnable}
    summaries: dict[str, dict] = {}
    try:
        for k in range(w.rounds.get(size_name, 1)):
            for c in runnable:
                if c.name in rec["errors"]:
                    continue
                out = work / f"{c.name.replace(' ', '_').replace('/', '_')}-{k}"
                out.mkdir()
                argv = c.argv(folder, out)
                seconds, peak, code, tail = run_command(argv, c.env, out, timeout,
                                                        stdout=out / c.stdout if c.stdout else None)
                if code not in c.ok:
                    rec["errors"][c.name] = f"exit {code}: {tail}"
                    log(f"[{w.name}] {c.name} FAILED: {tail.splitlines()[-1] if tail else code}")
                    continue
                runs[c.name].append((seconds, peak))
                log(f"[{w.name}] round {k + 1}: {c.name}: {seconds:.2f} s, peak {peak:.0f} MB")
                if c.name not in summaries and c.read is not None:
                    try:
                        summaries[c.name] = c.read(out)
                    except Exception as exc:  # report, go on
                        rec["errors"][f"{c.name} (reading its outputs)"] = f"{type(exc).__name__}: {exc}"
                shutil.rmtree(out, ignore_errors=True)
        for c in runnable:
            got = runs[c.name]
            if not got:
                continue
            seconds = statistics.median(s for s, _ in got)
            peak = statistics.median(p for _, p in got)
            rec["impls"][c.name] = {"impl": c.name, "seconds": seconds, "runs_s": [round(s, 3) for s, _ in got],
                                    "peak_mb": round(peak, 1), "runs_mb": [round(p) for _, p in got],
                                    "argv": " ".join(Path(a).name if os.sep in a else a for a in c.argv(folder, work)),
                                    "note": c.note}
        ours = next((c.name for c in runnable if c.role == "ours"), None)
        mine = rec["impls"].get(ours, {}).get("seconds") if ours else None
        for c in runnable:
            got = rec["impls"].get(c.name)
            if got is None:
                continue
            if c.role == "ours":
                rec["ours_s"], rec["peak_mb"] = got["seconds"], got["peak_mb"]
            elif c.role == "variant":
                rec["variants"][c.name] = got["seconds"]
                rec.setdefault("variant_peak_mb", {})[c.name] = got["peak_mb"]
            else:
                rec["baselines"][c.name] = got["seconds"]
                rec["baseline_peak_mb"][c.name] = got["peak_mb"]
                rec["ratios"][c.name] = mine / got["seconds"] if mine is not None else None
            if c.note:
                rec["notes"].append(f"{c.name}: {c.note}")
        if w.compare:
            try:
                rec["checks"] = w.compare(summaries, size)
            except Exception as exc:
                rec["checks"] = {"error": f"{type(exc).__name__}: {exc}"}
        rec["targets"] = w.targets(rec) if w.targets else []
        for t in rec["targets"]:
            if t.pop("scales", False) and size_name != "full" and t["met"] is not None:
                t["met"] = None
                t["value"] += f" (at {size_name} size; judged at full size only)"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rec


def ratio_target(rec: dict, peer: str, limit: float, what: str) -> dict:
    """A target "ours / peer ≤ limit", judged at full size."""
    r = rec["ratios"].get(peer)
    if r is None:
        why = rec["skipped"].get(peer) or rec["errors"].get(peer) or "not measured"
        return {"target": what, "met": None, "value": f"{peer}: {why}", "scales": True}
    return {"target": what, "met": r <= limit, "value": f"ours/{peer} = {r:.2f}", "scales": True}


def memory_target(rec: dict, limit_mb: float, what: str) -> dict:
    peak = rec.get("peak_mb")
    return {"target": what, "met": None if peak is None else peak <= limit_mb,
            "value": "not measured" if peak is None else f"{peak:.0f} MB", "scales": True}
