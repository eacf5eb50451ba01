"""Site-check jobs: kept on disk, run in a bounded pool of worker processes.

A job is a folder ``<data-dir>/jobs/<id>/`` named by a random 192-bit id: ``job.json`` (its state, replaced
whole on every change), ``sites/`` (the uploaded files), ``progress.json`` (written by the worker),
``out/`` (``check.json``, ``sites.csv``, ``hits.csv``, ``check.xlsx``, the 压覆分析报告 in HTML and DOCX,
written all together or not at all by :meth:`redline.CheckResult.to_files`) and ``map.json`` (the sites and
the overlapped features in EPSG:4326 for the page's map).

Checks run in ``jobs`` worker processes (:class:`concurrent.futures.ProcessPoolExecutor`, spawned): a long
check of hundreds of sites never holds the web server's interpreter, and a crash of a worker fails its job
only. Each worker runs one check at a time in the job's folder, so the result names the sites as
``sites/<file>``, exactly as ``redline check sites/<file> --project P --json`` run there prints it.

At start the store marks jobs that were queued or running as failed (interrupted; their ``out/`` is removed
if a partial one exists) and keeps finished ones; :meth:`JobStore.sweep` removes jobs older than the
retention time.

Example
-------
>>> import tempfile
>>> store = JobStore(tempfile.mkdtemp(), keep_hours=24)
>>> job = store.create(name="示例", kind="check", owner=None)
>>> store.save(job)
>>> len(job.id), store.get(job.id).status, store.get("../../etc") is None
(48, 'queued', True)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("redline.web")

__all__ = ["Job", "JobRunner", "JobStore", "run_check"]

ID_RE = re.compile(r"^[0-9a-f]{48}$")
STATUSES = ("queued", "running", "done", "failed")
OUTPUT_FILES = ("压覆分析报告.docx", "压覆分析报告.html", "check.xlsx", "sites.csv", "hits.csv", "check.json")
INTERRUPTED = "检查在完成前被中断（服务重启），请重新提交"


@dataclass
class Job:
    """A job's state, as ``job.json`` holds it."""

    id: str
    kind: str = "check"
    status: str = "queued"
    created: float = 0.0
    finished: float | None = None
    name: str | None = None
    owner: str | None = None               # a hash of the browser session that created it
    project_type: str | None = None
    sites: str | None = None               # what was checked, relative to the job folder
    inputs: list = field(default_factory=list)     # the user's file names, as shown
    names: dict = field(default_factory=dict)      # stored relative path → the user's name
    notes: list = field(default_factory=list)
    error: str | None = None
    summary: dict | None = None

    def public(self) -> dict:
        """What the API shows of a job (no owner, no server paths)."""
        return {"id": self.id, "status": self.status, "name": self.name, "created": _iso(self.created),
                "finished": _iso(self.finished), "type": self.project_type, "inputs": self.inputs,
                "notes": self.notes, "error": self.error, "summary": self.summary}


def _iso(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def write_json(path: Path, obj) -> None:
    """Replace ``path`` whole with the JSON of ``obj`` (a reader sees the old or the new content)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class JobStore:
    """The jobs under ``root/jobs``: create, read, update, list by owner, sweep old ones."""

    def __init__(self, root: str | os.PathLike, *, keep_hours: float = 24.0):
        self.root = Path(root).resolve() / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.keep_hours = keep_hours
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._recover()

    def folder(self, job_id: str) -> Path:
        if not ID_RE.match(job_id):
            raise KeyError(job_id)
        return self.root / job_id

    def _recover(self) -> None:
        """Load every job; those queued or running when the server stopped are failed (interrupted)."""
        for d in sorted(self.root.iterdir()):
            if not ID_RE.match(d.name) or not (d / "job.json").is_file():
                continue
            try:
                data = json.loads((d / "job.json").read_text(encoding="utf-8"))
                job = Job(**{k: v for k, v in data.items() if k in {f.name for f in dataclasses.fields(Job)}})
            except (OSError, ValueError, TypeError):
                continue
            if job.status in ("queued", "running"):
                job.status, job.error, job.finished = "failed", INTERRUPTED, time.time()
                shutil.rmtree(d / "out", ignore_errors=True)
                (d / "map.json").unlink(missing_ok=True)
                write_json(d / "job.json", dataclasses.asdict(job))
            self._jobs[job.id] = job

    def create(self, *, name: str | None, kind: str, owner: str | None, project_type: str | None = None) -> Job:
        job = Job(id=secrets.token_hex(24), kind=kind, created=time.time(), name=name, owner=owner,
                  project_type=project_type)
        (self.root / job.id / "sites").mkdir(parents=True)
        return job

    def save(self, job: Job) -> None:
        with self._lock:
            write_json(self.folder(job.id) / "job.json", dataclasses.asdict(job))
            self._jobs[job.id] = job

    def discard(self, job: Job) -> None:
        """Remove a job that was refused before it was queued (nothing of it stays)."""
        with self._lock:
            self._jobs.pop(job.id, None)
        shutil.rmtree(self.folder(job.id), ignore_errors=True)

    def get(self, job_id: str) -> Job | None:
        if not isinstance(job_id, str) or not ID_RE.match(job_id):
            return None
        with self._lock:
            return self._jobs.get(job_id)

    def update(self, job_id: str, **changes) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            job = dataclasses.replace(job, **changes)
            if not self.folder(job_id).is_dir():      # swept meanwhile
                self._jobs.pop(job_id, None)
                return None
            write_json(self.folder(job_id) / "job.json", dataclasses.asdict(job))
            self._jobs[job_id] = job
            return job

    def owned_by(self, owner: str | None) -> list[Job]:
        """The jobs of one browser session, newest first; none for a caller without a session."""
        if not owner:
            return []
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.owner == owner]
        return sorted(jobs, key=lambda j: j.created, reverse=True)

    def progress(self, job_id: str) -> dict | None:
        try:
            return json.loads((self.folder(job_id) / "progress.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError):
            return None

    def status(self, job: Job) -> str:
        """``running`` once a worker has started a queued job."""
        if job.status == "queued" and (self.folder(job.id) / "progress.json").exists():
            return "running"
        return job.status

    def sweep(self, now: float | None = None) -> list[str]:
        """Remove the jobs finished (or created, if never finished) more than ``keep_hours`` ago; running and
        queued jobs stay. Returns the ids removed."""
        now = time.time() if now is None else now
        limit = now - self.keep_hours * 3600
        with self._lock:
            old = [j.id for j in self._jobs.values()
                   if j.status in ("done", "failed") and (j.finished or j.created) < limit]
            for job_id in old:
                self._jobs.pop(job_id, None)
        for job_id in old:
            shutil.rmtree(self.root / job_id, ignore_errors=True)
        return old


# ------------------------------------------------------------------------------------------------ worker side
_PROJECTS: dict = {}


def _project(path: str):
    """The project, read once per worker process (again when its file changed)."""
    import redline

    stamp = os.stat(path).st_mtime_ns
    cached = _PROJECTS.get(path)
    if cached is None or cached[0] != stamp:
        _PROJECTS[path] = cached = (stamp, redline.Project.load(path))
    return cached[1]


class _Progress:
    """``progress(done, total, what)`` for :func:`redline.check`, written to ``progress.json`` at most every
    0.3 s (and at the end of each stage)."""

    def __init__(self, path: Path):
        self.path = path
        self.last = 0.0
        self.write({"stage": "checking", "done": 0, "total": None, "what": "读取选址"})

    def write(self, obj: dict) -> None:
        write_json(self.path, obj)
        self.last = time.monotonic()

    def __call__(self, done: int, total: int | None, what: str = "") -> None:
        if done == total or time.monotonic() - self.last > 0.3:
            self.write({"stage": "checking", "done": int(done), "total": None if total is None else int(total),
                        "what": str(what)})


def run_check(job_dir: str, project_path: str, sites: str, project_type: str | None) -> dict:
    """Run one check in a worker process: ``redline.check(sites, project)`` in the job's folder, its outputs
    into ``out/`` and the map's GeoJSON into ``map.json``. Returns ``{"summary", "notes"}``, or
    ``{"error", "status"}`` for an expected fault (a :class:`~redline.layers.errors.RedlineError`: its one
    line) or an unexpected one (logged to ``error.log`` in the job folder)."""
    import redline
    from redline.layers.errors import RedlineError, UsageError
    from redline.web.geo import check_geojson

    folder = Path(job_dir)
    try:
        os.chdir(folder)
        progress = _Progress(folder / "progress.json")
        result = redline.check(sites, _project(project_path), project_type=project_type, progress=progress)
        progress.write({"stage": "report", "done": len(result.sites), "total": len(result.sites),
                        "what": "生成报告"})
        notes: list[str] = []
        result.to_files("out", notes=notes)
        write_json(folder / "map.json", check_geojson(result))
        return {"summary": result.summary, "notes": [*result.warnings, *notes]}
    except RedlineError as exc:
        return {"error": str(exc), "status": 400 if isinstance(exc, UsageError) else 422}
    except MemoryError:
        return {"error": "检查所需内存超出本机可用内存：请分批上传选址", "status": 413}
    except Exception:  # a fault of ours: logged with its traceback, one line for the user
        (folder / "error.log").write_text(traceback.format_exc(), encoding="utf-8")
        return {"error": "内部错误：检查未能完成（详情已记录在服务器的作业日志中）", "status": 500}
    finally:
        os.chdir(folder.parent)


class JobRunner:
    """A bounded pool of worker processes running :func:`run_check` for the jobs of a :class:`JobStore`."""

    def __init__(self, store: JobStore, project_path: str | os.PathLike, *, workers: int = 2):
        self.store = store
        self.project_path = str(Path(project_path).resolve())
        self.workers = max(1, int(workers))
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closing = False

    def _executor(self) -> ProcessPoolExecutor:
        import multiprocessing

        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def submit(self, job: Job) -> Future:
        folder = str(self.store.folder(job.id))
        try:
            fut = self._executor().submit(run_check, folder, self.project_path, job.sites, job.project_type)
        except BrokenProcessPool:
            self._reset()
            fut = self._executor().submit(run_check, folder, self.project_path, job.sites, job.project_type)
        fut.add_done_callback(lambda f, job_id=job.id: self._finished(job_id, f))
        return fut

    def _reset(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _finished(self, job_id: str, fut: Future) -> None:
        try:
            out = fut.result()
        except BrokenProcessPool:
            if not self._closing:
                self._reset()
            out = {"error": INTERRUPTED if self._closing else "检查进程意外退出（可能是内存不足）：请分批上传选址后重试",
                   "status": 500}
        except Exception as exc:   # cancelled at shutdown, or a fault of the pool itself
            log.warning("job %s: %s", job_id, exc)
            out = {"error": INTERRUPTED, "status": 500}
        job = self.store.get(job_id)
        if job is None:
            return
        if "error" in out:
            shutil.rmtree(self.store.folder(job_id) / "out", ignore_errors=True)
            self.store.update(job_id, status="failed", error=public_message(out["error"], job),
                              finished=time.time())
        else:
            self.store.update(job_id, status="done", summary=out["summary"],
                              notes=[*job.notes, *(public_message(n, job) for n in out["notes"])],
                              finished=time.time())

    def shutdown(self) -> None:
        """Stop the workers now (a running check is interrupted: its job is failed, its outputs absent)."""
        self._closing = True
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:         # ProcessPoolExecutor.terminate_workers() from Python 3.14
            if proc.is_alive():
                proc.terminate()


def public_message(message: str, job: Job | None = None, folder: Path | None = None) -> str:
    """A message for the user: the stored names of the job's files replaced by the names the user gave,
    and no path of the server's folders."""
    pairs = sorted((job.names if job else {}).items(), key=lambda kv: -len(kv[0]))
    for stored, shown in pairs:
        message = message.replace(stored, shown)
    if folder is not None:
        message = message.replace(str(folder) + os.sep, "").replace(str(folder), "")
    return message.replace("\n", " ").strip()
