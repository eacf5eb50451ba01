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
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path


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


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part" + path.suffix, dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        if os.path.isdir(tmp):
            if path.exists():
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            os.replace(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        elif os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write text whole or not at all."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding, newline="") as f:
        f.write(text)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)


@contextlib.contextmanager
def staged_files(folder: str | os.PathLike, names: list[str]) -> Iterator[dict[str, Path]]:
    """Temporary paths for several outputs of ``folder``, moved into place all together when the block
    succeeds, or not at all.

    The paths lie in a hidden temporary folder inside ``folder`` (created if needed), so the move is a
    rename on the same filesystem. When the block ends without error, every file is synced and moved into
    place; on any failure nothing is left under a final name (files already moved are removed again) and
    the temporary folder is removed. Other files in ``folder`` are left alone.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with staged_files(d, ["a.csv"]) as paths:
    ...     _ = paths["a.csv"].write_bytes(b"x")
    >>> sorted(os.listdir(d))
    ['a.csv']
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".redline-", suffix=".part", dir=out))
    moved: list[Path] = []
    try:
        paths = {name: tmp / name for name in names}
        yield paths
        for p in paths.values():
            with open(p, "rb+") as f:
                os.fsync(f.fileno())
        for name, p in paths.items():
            os.replace(p, out / name)
            moved.append(out / name)
    except BaseException:
        for p in moved:
            p.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_files(folder: str | os.PathLike, files: dict[str, bytes]) -> list[Path]:
    """Write several files into ``folder`` all together or not at all (:func:`staged_files`); returns the
    paths written.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> [p.name for p in write_files(d, {"a.csv": b"x", "b.json": b"{}"})]
    ['a.csv', 'b.json']
    """
    with staged_files(folder, list(files)) as paths:
        for name, data in files.items():
            paths[name].write_bytes(data)
    return [Path(folder) / name for name in files]


def to_json(obj) -> str:
    """JSON as redline writes it: UTF-8 text (Chinese as text, not escaped), 2-space indent, NaN and infinity
    as null, numpy numbers as numbers, paths as text (orjson: a large check.json in a fraction of a second).

    >>> print(to_json({"面积": float("nan"), "n": [1, 2.5]}))
    {
      "面积": null,
      "n": [
        1,
        2.5
      ]
    }
    """
    return json_bytes(obj).decode("utf-8")


def json_bytes(obj) -> bytes:
    """:func:`to_json` as UTF-8 bytes."""
    import orjson

    return orjson.dumps(obj, default=_jsonable,
                        option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)


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
