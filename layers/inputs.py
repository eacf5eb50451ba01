"""Input paths: whether a path can be read as an input file, and every file an input consists of.

Every reader calls :func:`check_input` before opening a path, so that the same fault gives the same message
(and exit 3) in every command: a missing file, a symbolic link loop, a folder where a file is needed, a named
pipe or a device (reading either never ends or gives endless bytes), a file that cannot be read.
:func:`input_files` lists the files behind an input (a Shapefile's sidecars, a folder's files), for the
rule that a command never writes onto anything it reads (:func:`redline.layers.outputs.guard_outputs`).

Example
-------
>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> check_input(os.path.join(d, "无.shp"))
Traceback (most recent call last):
...
redline.layers.errors.InputError: .../无.shp: file not found
>>> os.mkfifo(os.path.join(d, "管道.geojson"))
>>> check_input(os.path.join(d, "管道.geojson"))
Traceback (most recent call last):
...
redline.layers.errors.InputError: .../管道.geojson: a named pipe (FIFO), not a regular file: redline reads files
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from redline.layers.errors import InputError

__all__ = ["SHAPEFILE_SIDECARS", "check_input", "input_files", "is_regular_file"]

# the files of a Shapefile besides the .shp (a command that reads one reads them all)
SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")

_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _stat(p: Path, what: str) -> os.stat_result:
    try:
        return os.stat(p)
    except FileNotFoundError:
        if os.path.islink(p):
            raise InputError(f"a symbolic link to a missing {what} ({os.readlink(p)})", path=str(p)) from None
        raise InputError(f"{what} not found", path=str(p)) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("a symbolic link loop (the link points back at itself)", path=str(p)) from None
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(p)) from None


def check_input(path: str | os.PathLike, *, folder: bool | None = False, what: str = "file") -> Path:
    """Check that ``path`` can be read as an input; return it as a :class:`~pathlib.Path`.

    Parameters
    ----------
    path : path
        The input.
    folder : bool or None
        ``False``: it must be a regular file; ``True``: a folder (e.g. a ``.gdb``); ``None``: either.
    what : str
        How the message names it when it is missing (``file``, ``project file``, ``plan text`` …).

    Raises
    ------
    InputError
        Missing (or a dangling link), a link loop, a folder where a file is needed (or the reverse), a named
        pipe, a device or a socket, an empty file, or a file the user may not read.
    """
    p = Path(path)
    st = _stat(p, what)
    if stat.S_ISDIR(st.st_mode):
        if folder is False:
            raise InputError(f"is a folder, not a {'file' if what == 'file' else what}", path=str(p))
        _readable_folder(p)
        return p
    for test, name in _KINDS:
        if test(st.st_mode):
            raise InputError(f"{name}, not a regular file: redline reads files", path=str(p))
    if folder is True:
        raise InputError("is a file, not a folder", path=str(p))
    try:
        with open(p, "rb"):
            pass
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(p)) from None
    if st.st_size == 0:
        raise InputError("file is empty (0 bytes)", path=str(p))
    return p


def _readable_folder(p: Path) -> None:
    try:
        with os.scandir(p):
            pass
    except OSError as exc:
        raise InputError(f"cannot read the folder: {exc.strerror or exc}", path=str(p)) from None


def is_regular_file(path: str | os.PathLike) -> bool:
    """True for a regular file (following links); False for anything else, a missing path or a link loop.

    >>> is_regular_file("/dev/null"), is_regular_file("/")
    (False, False)
    """
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def input_files(path: str | os.PathLike) -> list[Path]:
    """The files an input consists of: a file itself, with a Shapefile's sidecars (``.shx``, ``.dbf``,
    ``.prj``, ``.cpg`` …, any case); every file under a folder (a File Geodatabase, a folder of sites), and the
    folder itself. A path that does not exist gives nothing.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for ext in (".shp", ".shx", ".DBF"):
    ...     _ = (d / ("红线" + ext)).write_bytes(b"x")
    >>> sorted(p.name for p in input_files(d / "红线.shp"))
    ['红线.DBF', '红线.shp', '红线.shx']
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except (OSError, ValueError):
        return []
    if stat.S_ISDIR(st.st_mode):
        out = [p]
        for root, _dirs, files in os.walk(p):
            out += [Path(root) / f for f in files]
        return out
    out = [p]
    if p.suffix.lower() == ".shp":
        stem = p.name[:-4].lower()
        wanted = {stem + ext for ext in SHAPEFILE_SIDECARS}
        try:
            with os.scandir(p.parent) as it:
                out += [Path(e.path) for e in it if e.name.lower() in wanted]
        except OSError:
            pass
    return out
