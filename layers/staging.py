"""Writing a command's outputs all together or not at all.

Every output is first written into a hidden staging folder beside its final place (``.redline-<pid>-<random>.part``
in the destination folder, so that the final move is a rename on one filesystem). When every output is written,
each file is flushed to disk (``fsync``) and renamed into place; a file it replaces is kept aside until all the
renames succeeded, and put back if one fails. On any failure nothing new is left under a final name and the
staging folders are removed.

A run that dies before cleaning up (killed, power cut) leaves its staging folder behind: the next run writing
into the same folder removes it (:func:`clean_stale`), after putting back a replaced file whose new version had
not yet been moved in. A staging folder is recognised as stale because no process holds the lock on its
``.lock`` file any more, which works for processes on this machine on every platform.

Example
-------
>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> with staged_outputs([d / "a.csv", d / "b" / "c.json"]) as tmp:
...     _ = tmp[d / "a.csv"].write_bytes(b"x")
...     _ = tmp[d / "b" / "c.json"].write_bytes(b"{}")
>>> sorted(str(p.relative_to(d)) for p in d.rglob("*"))
['a.csv', 'b', 'b/c.json']
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from redline.layers.errors import InputError, UsageError

__all__ = ["PART_PATTERN", "clean_stale", "staged_outputs"]

PART_PATTERN = re.compile(r"^\.redline-\d+-[A-Za-z0-9_]+\.(part|new)$")
_LOCK = ".lock"
_ORIG = ".orig"


# ---------------------------------------------------------------------------------------------- locks
def _lock(fd: int, *, block: bool) -> bool:
    """Take an exclusive lock on an open file; False when another process holds it (non-blocking)."""
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK if not block else msvcrt.LK_LOCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
        return True
    except OSError:
        return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def clean_stale(folder: str | os.PathLike) -> list[Path]:
    """Remove the staging folders of dead redline runs in ``folder``; return what was removed.

    A file such a run had moved aside to replace it is put back when its final name is empty (the run died
    between the two renames); otherwise it is removed with the folder.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> (d / ".redline-999999-dead.part").mkdir()
    >>> [p.name for p in clean_stale(d)]
    ['.redline-999999-dead.part']
    """
    folder = Path(folder)
    removed: list[Path] = []
    try:
        entries = [e for e in os.scandir(folder) if PART_PATTERN.match(e.name) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return removed
    for entry in entries:
        part = Path(entry.path)
        with contextlib.suppress(OSError):
            if part.suffix == ".new" and time.time() - entry.stat(follow_symlinks=False).st_mtime < 60:
                continue  # a run between creating and locking it
        lock = part / _LOCK
        fd = None
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            if not _lock(fd, block=False):
                continue  # a live run holds it
            orig = part / _ORIG
            if orig.is_dir():
                for kept in orig.iterdir():
                    dest = folder / kept.name
                    if not os.path.lexists(dest):
                        os.replace(kept, dest)
            removed.append(part)
        except OSError:
            continue
        finally:
            if fd is not None:
                os.close(fd)
        shutil.rmtree(part, ignore_errors=True)
    return removed


# --------------------------------------------------------------------------------------------- signals
@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while files are renamed into place, then deliver them (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    sigs = [s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None]
    previous = {}
    for s in sigs:
        try:
            previous[s] = signal.signal(s, lambda num, _frame: caught.append(num))
        except (ValueError, OSError):  # pragma: no cover - not settable here
            pass
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            signal.raise_signal(caught[0])


# -------------------------------------------------------------------------------------------- staging
class _Staging:
    """The staging folders of one set of outputs, one per destination folder."""

    def __init__(self, targets: Iterable[str | os.PathLike]):
        self.targets = [Path(t) for t in targets]
        seen: set[str] = set()
        for t in self.targets:
            key = os.path.normcase(os.path.join(os.path.realpath(t.parent), t.name))
            if key in seen:
                raise UsageError(f"the output {t} is given twice")
            seen.add(key)
        self.parts: dict[str, Path] = {}      # destination folder (absolute) -> its staging folder
        self.locks: list[int] = []
        self.paths: dict[Path, Path] = {}
        self.moved: list[tuple[Path, Path | None]] = []   # (final path, the file it replaced, kept aside)

    def open(self) -> None:
        for t in self.targets:
            folder = str(t.parent.absolute())   # as given: "a/../b" is resolved by the system, not by hand
            if folder not in self.parts:
                Path(folder).mkdir(parents=True, exist_ok=True)
                clean_stale(folder)
                # locked under a name no cleaner looks at, then given its .part name
                new = Path(tempfile.mkdtemp(prefix=f".redline-{os.getpid()}-", suffix=".new", dir=folder))
                try:
                    fd = os.open(new / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
                    self.locks.append(fd)
                    _lock(fd, block=True)
                    part = new.with_suffix(".part")
                    os.rename(new, part)
                except BaseException:
                    shutil.rmtree(new, ignore_errors=True)
                    raise
                self.parts[folder] = part
            self.paths[t] = self.parts[folder] / t.name

    def final_name(self, filename: str | None) -> Path | None:
        """The final path of a file named by an OSError (a staging path), or None."""
        if not filename:
            return None
        f = str(Path(filename).absolute())
        for folder, part in self.parts.items():
            if f == str(part) or f.startswith(str(part) + os.sep):
                rel = os.path.relpath(f, part)
                return Path(folder) / rel.split(os.sep)[0] if rel != "." else Path(folder)
        for t in self.targets:
            if str(t.absolute()) == f:
                return t
        return None

    def commit(self) -> None:
        staged = []
        for folder, part in self.parts.items():
            for entry in sorted(os.listdir(part)):
                if entry not in (_LOCK, _ORIG):
                    staged.append((part / entry, Path(folder) / entry))
        for src, _ in staged:
            _fsync_tree(src)
        with _signals_deferred():
            try:
                for src, dest in staged:
                    kept = None
                    if os.path.lexists(dest):
                        orig = src.parent / _ORIG
                        orig.mkdir(exist_ok=True)
                        kept = orig / dest.name
                        os.replace(dest, kept)
                    self.moved.append((dest, kept))
                    os.replace(src, dest)
                for folder in self.parts:
                    _fsync_dir(folder)
            except BaseException:
                self.rollback()
                raise

    def rollback(self) -> None:
        for dest, kept in reversed(self.moved):
            with contextlib.suppress(OSError):
                if os.path.lexists(dest) and (kept is None or os.path.lexists(kept)):
                    _remove(dest)
                if kept is not None and os.path.lexists(kept):
                    os.replace(kept, dest)
        self.moved = []

    def close(self) -> None:
        for fd in self.locks:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.locks = []
        for part in self.parts.values():
            shutil.rmtree(part, ignore_errors=True)


def _fsync_tree(path: Path) -> None:
    """Flush a written file (or every file of a written folder, such as a File Geodatabase) to disk."""
    if path.is_dir():
        for root, _dirs, files in os.walk(path):
            for f in files:
                _fsync_file(Path(root) / f)
            _fsync_dir(root)
    else:
        _fsync_file(path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path) -> None:
    if os.name == "nt":  # pragma: no cover - folders cannot be opened on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on a folder: the renames are still done
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def staged_outputs(targets: Iterable[str | os.PathLike]) -> Iterator[dict[Path, Path]]:
    """Temporary paths for ``targets``, moved into place all together when the block succeeds.

    Yields ``{target: temporary path}``; the temporary path has the target's own name (inside the staging
    folder), so writers that add files beside it (a Shapefile's ``.shx``, ``.dbf``, ``.prj``, ``.cpg``) have
    them moved too. A writer may also create a folder there (a File Geodatabase).

    Raises
    ------
    InputError
        A write error of the filesystem (full disk, file too large, read-only, permission denied), naming
        the final path; nothing new is left under any final name.
    """
    stage = _Staging(targets)
    try:
        stage.open()
        yield dict(stage.paths)
        stage.commit()
    except OSError as exc:
        final = stage.final_name(getattr(exc, "filename", None))
        if getattr(exc, "filename", None) and final is None:
            raise  # not about an output: a fault of an input, reported as it is
        where = final or (stage.targets[0] if len(stage.targets) == 1 else
                          Path(os.path.commonpath([str(t.absolute()) for t in stage.targets])))
        raise InputError(f"cannot write: {exc.strerror or exc} (nothing was written)", path=str(where)) from None
    finally:
        stage.close()
