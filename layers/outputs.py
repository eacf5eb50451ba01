"""Writing outputs whole or not at all, and the provenance block every output carries.

Example
-------
>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> with atomic_path(os.path.join(d, "a.txt")) as tmp:
...     _ = open(tmp, "w").write("done")
>>> open(os.path.join(d, "a.txt")).read()
'done'
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

from redline.layers.staging import staged_outputs


def tool_version() -> str:
    """The installed version of the redline distribution."""
    try:
        return metadata.version("redline")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def now_iso() -> str:
    """Creation time: local time with offset, to the second. ``SOURCE_DATE_EPOCH`` fixes it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC).isoformat(timespec="seconds")
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_record(path: str | os.PathLike, *, vintage: str | None = None, source: str | None = None) -> dict:
    """``{"path", "size", "sha256", "vintage", "source"}`` for one input file; a Shapefile's sidecars are
    hashed with it (``parts``)."""
    p = Path(path).absolute()
    rec: dict = {"path": str(p), "size": None, "sha256": None, "vintage": vintage, "source": source}
    if p.is_file():
        rec["size"] = p.stat().st_size
        rec["sha256"] = sha256_file(p)
        if p.suffix.lower() == ".shp":
            parts = []
            for ext in (".shx", ".dbf", ".prj", ".cpg"):
                for cand in (p.with_suffix(ext), p.with_suffix(ext.upper())):
                    if cand.is_file():
                        parts.append({"path": str(cand), "size": cand.stat().st_size,
                                      "sha256": sha256_file(cand)})
                        break
            rec["parts"] = parts
    elif p.is_dir():  # a File Geodatabase: hash its files in name order
        h = hashlib.sha256()
        size = 0
        for f in sorted(q for q in p.rglob("*") if q.is_file()):
            h.update(f.name.encode())
            h.update(sha256_file(f).encode())
            size += f.stat().st_size
        rec["size"] = size
        rec["sha256"] = h.hexdigest()
    return rec


def provenance(inputs: list[dict] | None = None, **extra) -> dict:
    """The provenance block: tool version, creation time, inputs (see :func:`file_record`), and extras
    such as ``area_method`` or ``rules_version``."""
    block = {"tool": "redline", "tool_version": tool_version(), "created": now_iso(),
             "inputs": list(inputs or [])}
    block.update(extra)
    return block


# ------------------------------------------------------------------------------------------ writing
@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a block that makes millions of small objects at once
    (a large result's rows, dicts and texts). Each of those allocations would otherwise trigger collections
    that walk every live object, the tables and geometries of the whole check included: for 100,000 sites
    that is half the time of building the outputs. Reference counting still frees what the block drops;
    cycles wait for the collector, which resumes (as it was) when the block ends.

    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path for ``path``; move it into place only if the block succeeds
    (:func:`redline.layers.staging.staged_outputs` with one output)."""
    with staged_outputs([path]) as paths:
        yield str(paths[Path(path)])


def write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write text whole or not at all."""
    write_paths({path: text.encode(encoding)})


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write bytes whole or not at all."""
    write_paths({path: data})


def write_paths(files: dict[str | os.PathLike, bytes]) -> list[Path]:
    """Write several files, in any folders, all together or not at all; returns their paths.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> [p.name for p in write_paths({os.path.join(d, "m.html"): b"<html>", os.path.join(d, "png", "m.png"): b""})]
    ['m.html', 'm.png']
    """
    with staged_outputs(list(files)) as paths:
        for target, data in files.items():
            with open(paths[Path(target)], "wb") as f:
                f.write(data)
    return [Path(t) for t in files]


@contextlib.contextmanager
def staged_files(folder: str | os.PathLike, names: list[str]) -> Iterator[dict[str, Path]]:
    """Temporary paths for several outputs of ``folder``, moved into place all together when the block
    succeeds, or not at all (:func:`redline.layers.staging.staged_outputs`). Other files in ``folder`` are
    left alone.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with staged_files(d, ["a.csv"]) as paths:
    ...     _ = paths["a.csv"].write_bytes(b"x")
    >>> sorted(os.listdir(d))
    ['a.csv']
    """
    out = Path(folder)
    with staged_outputs([out / name for name in names]) as paths:
        yield {name: paths[out / name] for name in names}


def write_files(folder: str | os.PathLike, files: dict[str, bytes]) -> list[Path]:
    """Write several files into ``folder`` all together or not at all; returns the paths written.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> [p.name for p in write_files(d, {"a.csv": b"x", "b.json": b"{}"})]
    ['a.csv', 'b.json']
    """
    return write_paths({Path(folder) / name: data for name, data in files.items()})


def write_parts(folder: str | os.PathLike, names: list[str], files: Iterable[tuple[str, object]]) -> list[Path]:
    """Write files into ``folder`` all together or not at all, each file as its parts come (a file of many
    blocks is never held whole). ``names`` are the files; ``files`` yields ``(name, parts)`` for each of them,
    ``parts`` an iterable of bytes, or a function that writes the file at the path it is given and returns a
    job whose ``result()`` is waited for before anything is moved into place (a file written by another
    process meanwhile, :class:`~redline.layers.forking.Forked`). Returns the paths written.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> files = [("a.csv", iter([b"x,", memoryview(b"y")])), ("b.txt", lambda path: path.write_bytes(b"z") and None)]
    >>> [p.name for p in write_parts(d, ["a.csv", "b.txt"], files)]
    ['a.csv', 'b.txt']
    >>> open(os.path.join(d, "a.csv")).read(), open(os.path.join(d, "b.txt")).read()
    ('x,y', 'z')
    """
    with staged_files(folder, names) as paths:
        made, jobs = set(), []
        try:
            for name, parts in files:
                if callable(parts):
                    jobs.append(parts(paths[name]))
                else:
                    write_blocks(paths[name], parts)
                made.add(name)
            for job in jobs:
                if job is not None:
                    job.result()
        except BaseException:
            for job in jobs:         # a child still writing is stopped (nothing of it is kept)
                if hasattr(job, "cancel"):
                    job.cancel()
            if hasattr(files, "close"):      # a generator: its own children stopped too
                files.close()
            raise
        if made != set(names):       # nothing moved into place
            raise ValueError(f"outputs not made: {sorted(set(names) - made)}")
    return [Path(folder) / name for name in names]


def write_blocks(path: str | os.PathLike, parts: Iterable[bytes | memoryview]) -> None:
    """Write ``parts`` one after the other into a new file at ``path`` (a temporary path of
    :func:`staged_files`: this is not atomic by itself)."""
    with open(path, "wb") as f:
        for part in parts:
            f.write(part)


# ------------------------------------------------------------------------------------------- guards
SHAPEFILE_OUTPUT_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def output_files(path: str | os.PathLike) -> list[Path]:
    """The files an output path stands for: a Shapefile's ``.shp`` with the sidecars redline writes.

    >>> [p.name for p in output_files("红线.shp")]
    ['红线.shp', '红线.shx', '红线.dbf', '红线.prj', '红线.cpg']
    """
    p = Path(path)
    if p.suffix.lower() == ".shp":
        return [p.with_suffix(ext) for ext in SHAPEFILE_OUTPUT_PARTS]
    return [p]


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _inside(path: Path, folder: Path) -> bool:
    """True when ``path`` lies inside ``folder`` (both resolved through links)."""
    try:
        return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))
    except (OSError, ValueError):
        return False


def guard_outputs(outputs, inputs=(), *, folders=()) -> None:
    """Before any work: refuse outputs that would overwrite an input, and outputs that cannot be written.

    Parameters
    ----------
    outputs : iterable of paths
        Every file the command will write (None entries are skipped).
    inputs : iterable of paths
        Every input it reads: files (a Shapefile's sidecars count, :func:`redline.layers.inputs.input_files`)
        and folders (every file in them counts, and nothing may be written inside them).
    folders : iterable of paths
        Output folders the command writes into (``check --out``): each must be, or become, a folder.

    Raises
    ------
    UsageError
        An output is an input (the same path, another spelling of it, a hard or symbolic link to it), lies
        inside an input folder, is given twice, or is an existing folder, device or pipe (exit 2).
    InputError
        An output's folder cannot be written (read-only, no permission, a file where a folder is needed;
        exit 3).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.geojson").write_text("{}")
    >>> guard_outputs([d / "b" / ".." / "a.geojson"], [d / "a.geojson"])
    Traceback (most recent call last):
    ...
    redline.layers.errors.UsageError: .../a.geojson: is the input .../a.geojson: redline never writes onto a file it reads; choose another output
    """
    from redline.layers.errors import UsageError
    from redline.layers.inputs import input_files

    ids: dict[tuple[int, int] | str, Path] = {}    # by device and inode, and by resolved path
    in_folders: list[Path] = []
    for given in inputs:
        if given is None:
            continue
        for f in input_files(given):
            key = _identity(f)
            if key is not None:
                ids.setdefault(key, f)
                ids.setdefault(os.path.realpath(f), f)
                if f.is_dir():
                    in_folders.append(f)
    targets = [Path(o) for o in outputs if o is not None]
    seen: dict[str, Path] = {}
    for out in targets:
        key = os.path.join(os.path.realpath(out.parent), out.name)
        if key in seen:
            raise UsageError(f"the same output is given twice ({seen[key]}, {out})", path=str(out))
        seen[key] = out
        for f in output_files(out):
            same = (ids.get(_identity(f)) if os.path.lexists(f) else None) or ids.get(os.path.realpath(f))
            if same is not None:
                raise UsageError(f"is the input {same}: redline never writes onto a file it reads; choose "
                                 "another output", path=str(f))
            inside = next((d for d in in_folders if _inside(f, d)), None)
            if inside is not None:
                raise UsageError(f"lies inside the input folder {inside}: redline never writes into what it "
                                 "reads; choose another output", path=str(f))
        _check_target(out)
    for folder in folders:
        if folder is None:
            continue
        folder = Path(folder)
        inside = next((d for d in in_folders if _inside(folder, d)), None)
        if inside is not None:
            raise UsageError(f"lies inside the input folder {inside}: redline never writes into what it reads; "
                             "choose another output folder", path=str(folder))
        if os.path.lexists(folder) and not folder.is_dir():
            raise UsageError("exists and is not a folder", path=str(folder))
        _probe_folder(folder, folder)


def _check_target(out: Path) -> None:
    """An output file must be a regular file if it exists, in a folder redline can write."""
    import stat

    from redline.layers.errors import InputError, UsageError

    if os.path.lexists(out):
        try:
            mode = os.stat(out).st_mode
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", path=str(out)) from None
        if stat.S_ISDIR(mode):
            raise UsageError("is a folder; give a file name", path=str(out))
        if not stat.S_ISREG(mode):
            raise UsageError("exists and is not a regular file (a device or a pipe): redline writes files",
                             path=str(out))
    _probe_folder(out.parent, out)


def _probe_folder(folder: Path, target: Path) -> None:
    """Create and remove a hidden folder in ``folder`` (or its nearest existing ancestor): the one sure test
    that it can be written, whatever the permissions say (root, read-only mounts, network drives)."""
    import tempfile

    from redline.layers.errors import InputError

    probe = folder.absolute()
    while not os.path.lexists(probe) and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"cannot write: {probe} is not a folder", path=str(target))
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".redline-probe-", dir=probe))
    except OSError as exc:
        raise InputError(f"cannot write into {probe}: {exc.strerror or exc}", path=str(target)) from None


_BIDI = {ord(c): f"\\u{ord(c):04x}" for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}
_BIDI_BYTES = {chr(c).encode("utf-8"): e.encode("ascii") for c, e in _BIDI.items()}
_BIDI_UTF8 = re.compile(rb"\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])")     # their UTF-8 bytes, found in one pass


def to_json(obj) -> str:
    """JSON as redline writes it: UTF-8 text (Chinese as text, not escaped), 2-space indent, NaN and infinity
    as null, numpy numbers as numbers, paths as text (orjson: a large check.json in a fraction of a second).
    Bidirectional override characters (which make a terminal or editor show text in another order than it is
    stored) are written as JSON escapes: the value is unchanged, its display is not fooled.

    >>> print(to_json({"面积": float("nan"), "n": [1, 2.5]}))
    {
      "面积": null,
      "n": [
        1,
        2.5
      ]
    }
    >>> import json
    >>> rlo = chr(0x202E)
    >>> text = to_json({"名称": "红线" + rlo + "甲"})
    >>> rlo in text, json.loads(text)["名称"] == "红线" + rlo + "甲"
    (False, True)
    """
    return json_bytes(obj).decode("utf-8")


def json_bytes(obj, *, newline: bool = False) -> bytes:
    """:func:`to_json` as UTF-8 bytes; ``newline`` ends them with a line feed (added by orjson as it writes,
    not by copying hundreds of megabytes of a large check.json).

    Keys that are not text (numbers) are written as text, like the values:

    >>> json_bytes({1: "a", "b": [2.5]}, newline=True)
    b'{\\n  "1": "a",\\n  "b": [\\n    2.5\\n  ]\\n}\\n'
    """
    import orjson

    option = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | (orjson.OPT_APPEND_NEWLINE if newline else 0)
    try:        # text keys only, the usual case: orjson's faster path (a large file in ~13 % less time)
        data = orjson.dumps(obj, default=_jsonable, option=option)
    except TypeError:       # a key that is not text
        data = orjson.dumps(obj, default=_jsonable, option=option | orjson.OPT_NON_STR_KEYS)
    if _BIDI_UTF8.search(data):
        data = _BIDI_UTF8.sub(lambda m: _BIDI_BYTES[m.group(0)], data)
    return data


def _jsonable(obj):
    """What orjson does not know: numpy scalars it does not take, pandas' missing values, paths, the rest as
    text."""
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    try:
        import pandas as pd

        if pd.isna(obj):
            return None
    except (TypeError, ValueError):
        pass
    return str(obj)
