"""Reading the TOML files users write (project files, layouts, rule files), with every fault on one line.

:func:`read_toml` gives the data and the text; a syntax error names its line, text that is not UTF-8 the
line of the first bad byte, and tables or arrays nested deeper than any redline file needs (:data:`MAX_DEPTH`:
an array nested 50,000 deep would exhaust Python's recursion) the line where it happens. :func:`key_line`
finds the line of a key, so that a value of the wrong type can be reported where it is written.

Example
-------
>>> text = '[region]\\nname = "示范县"\\n\\n[layers.red_line]\\nkind = "red_line"\\npath = 5\\n'
>>> key_line(text, ("layers", "red_line", "path"))
6
>>> key_line(text, ("region", "name"))
2
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from redline.layers.errors import InputError
from redline.layers.inputs import check_input

__all__ = ["MAX_DEPTH", "key_line", "read_toml", "toml_depth"]

MAX_DEPTH = 24          # levels of tables and arrays; redline's own files use at most 5

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _split_key(text: str) -> list[str] | None:
    """The parts of a TOML key (``a."b.c".d`` → ``['a', 'b.c', 'd']``), or None when it is not a key."""
    parts, i, n = [], 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] in "\"'":
            q = text[i]
            j = text.find(q, i + 1)
            if j < 0:
                return None
            parts.append(text[i + 1:j])
            i = j + 1
        else:
            m = _BARE.match(text, i)
            if not m:
                return None
            parts.append(m.group())
            i = m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n:
            if text[i] != ".":
                return None
            i += 1
    return parts or None


def key_line(text: str, key: tuple | list) -> int | None:
    """The line (1-based) where the key ``key`` (its path of table names and key, array indices skipped)
    is written in a TOML text: its own ``key =`` line, else the header or line of its nearest written parent.
    """
    want = [k for k in key if isinstance(k, str)]
    best, best_len = None, 0
    table: list[str] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            inner = line.strip("[]").split("#")[0].strip().rstrip("]").strip()
            parts = _split_key(inner)
            if parts is None:
                continue
            table, path = parts, parts
        else:
            k, eq, _ = line.partition("=")
            parts = _split_key(k) if eq else None
            if parts is None:
                continue
            path = table + parts
        common = 0
        for a, b in zip(path, want, strict=False):
            if a != b:
                break
            common += 1
        if common == len(want) and len(path) >= len(want):
            return n
        if common == len(path) and common > best_len:
            best, best_len = n, common
    return best


def toml_depth(data) -> int:
    """How deep tables and arrays are nested (without recursion: the data may be 50,000 levels deep).

    >>> toml_depth({"a": [{"b": 1}]}), toml_depth(1)
    (3, 0)
    """
    deepest = 0
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack += [(v, depth + 1) for v in item]
    return deepest


def _deep_line(text: str, limit: int) -> int | None:
    """The line where brackets and braces (outside strings and comments) first nest deeper than ``limit``."""
    depth, line, quote = 0, 1, None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return line
        elif ch in "]}":
            depth -= 1
        i += 1
    return None


def read_toml(path: str | os.PathLike, *, what: str = "TOML file") -> tuple[dict, str]:
    """The data and text of a TOML file.

    Raises
    ------
    InputError
        Missing or unreadable file, not UTF-8 text, a syntax error, or nesting deeper than
        :data:`MAX_DEPTH` (naming the line).
    """
    p = check_input(path, what=what)
    try:
        data = Path(p).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(p)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not UTF-8 text", path=str(p),
                         line=data[:exc.start].count(b"\n") + 1) from None
    text = text.removeprefix("\ufeff")
    deep = _deep_line(text, MAX_DEPTH)
    if deep is not None:
        raise InputError(f"not a valid {what}: arrays or tables nested more than {MAX_DEPTH} levels deep",
                         path=str(p), line=deep)
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = getattr(exc, "lineno", None) or (int(m.group(1)) if m else None)
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        if m:
            reason += f" (column {m.group(2)})"
        raise InputError(f"not a valid TOML {what}: {reason}", path=str(p), line=line) from None
    except RecursionError:
        raise InputError(f"not a valid {what}: nested too deeply", path=str(p)) from None
    if toml_depth(parsed) > MAX_DEPTH:   # dotted keys and headers nest without brackets: [a.b.c. …]
        raise InputError(f"not a valid {what}: tables nested more than {MAX_DEPTH} levels deep",
                         path=str(p), line=_dotted_deep_line(text))
    return parsed, text


def _dotted_deep_line(text: str) -> int | None:
    for n, raw in enumerate(text.splitlines(), 1):
        if raw.count(".") > MAX_DEPTH:
            return n
    return None
