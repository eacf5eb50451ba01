"""The schema of ``redline.toml``: every key redline reads, the type it must have, checked when the project is
loaded, so that a value of the wrong type is reported with its key, the type expected and its line instead
of failing somewhere later.

Keys redline does not know are left alone (a project file may carry notes of its own); a key it knows must
have its type. The layer entries' ``kind``, the ``[region]`` references to layers and the rule files are
checked further in :mod:`redline.layers.project` and :mod:`redline.spatial.rules`.

Example
-------
>>> text = '[region]\\nname = "示范县"\\ncrs = 4525.5\\n'
>>> import tomllib
>>> validate(tomllib.loads(text), text, "redline.toml")
Traceback (most recent call last):
...
redline.layers.errors.InputError: redline.toml, line 3: [region] crs must be a CRS such as "EPSG:4525" or an \
EPSG code (integer), not 4525.5 (a float)
"""

from __future__ import annotations

import codecs
import datetime as _dt

from redline.layers.errors import InputError
from redline.layers.tomlfile import key_line

__all__ = ["SCHEMA", "validate"]

TEXT = "text"
ANY = "any"

# Each entry: key -> expected type name, or a nested table (dict). "*" stands for every key of a table whose
# keys are chosen by the user (layer ids). Type names: text, integer, boolean, date, table, array of tables,
# "text or array of text", "CRS", "encoding", "layer name or index", "text of fields".
LAYER = {
    "kind": TEXT, "path": TEXT, "layer": "layer name or index", "source": TEXT, "date": "date",
    "fields": "table of text", "encoding": "encoding", "label": TEXT, "datum": TEXT, "crs": "CRS",
}
SCHEMA = {
    "region": {"name": TEXT, "boundary": TEXT, "townships": TEXT, "crs": "CRS", "fictional": "boolean",
               "code": TEXT, "note": TEXT, "level": TEXT},
    "layers": {"*": LAYER},
    "rules": {"files": "text or array of text", "distance": "array of tables"},
    "map": {"title": TEXT, "producer": TEXT, "date": "date", "approval_number": TEXT, "layout": TEXT,
            "styles": "table"},
    "raster": {"classes": "table", "*": TEXT},
}

_TYPE_NAMES = {str: "text", int: "an integer", float: "a float", bool: "a boolean", dict: "a table",
               list: "an array", _dt.date: "a date", _dt.datetime: "a date-time", _dt.time: "a time"}


def _describe(value) -> str:
    kind = next((name for t, name in _TYPE_NAMES.items() if type(value) is t), type(value).__name__)
    shown = repr(value) if not isinstance(value, (dict, list)) else ("{…}" if isinstance(value, dict) else "[…]")
    return f"{shown[:60]} ({kind})"


def _ok(expected: str, value) -> str | None:
    """None when ``value`` fits ``expected``, else what was expected, in words."""
    if expected == ANY:
        return None
    if expected == TEXT:
        return None if isinstance(value, str) else "text (in quotes)"
    if expected == "boolean":
        return None if isinstance(value, bool) else "true or false"
    if expected == "date":
        return None if isinstance(value, (str, _dt.date)) else 'a date such as "2026-06-30"'
    if expected == "table":
        return None if isinstance(value, dict) else "a table"
    if expected == "array of tables":
        return None if isinstance(value, list) and all(isinstance(v, dict) for v in value) else \
            "an array of tables ([[rules.distance]])"
    if expected == "text or array of text":
        return None if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)) \
            else 'a file name or an array of file names (["rules/local.toml"])'
    if expected == "table of text":
        return None if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()) else \
            'a table of canonical attribute = "field name" (e.g. { name = "HXMC" })'
    if expected == "layer name or index":
        return None if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)) \
            else "a layer name (text) or index (integer)"
    if expected == "CRS":
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        return None if isinstance(value, str) else 'a CRS such as "EPSG:4525" or an EPSG code (integer)'
    if expected == "encoding":
        if not isinstance(value, str):
            return 'an encoding name such as "gbk" or "utf-8"'
        try:
            codecs.lookup(value)
        except LookupError:
            return 'an encoding name such as "gbk" or "utf-8" (this one is unknown)'
        return None
    raise ValueError(expected)  # pragma: no cover - a schema entry without a check


def _label(path: tuple) -> str:
    """``[layers.red_line] path`` for ``("layers", "red_line", "path")``."""
    if len(path) == 1:
        return str(path[0])
    return f"[{'.'.join(map(str, path[:-1]))}] {path[-1]}"


def validate(data: dict, text: str | None, where: str) -> None:
    """Check a parsed project file against :data:`SCHEMA`.

    Raises
    ------
    InputError
        The first key whose value has the wrong type, with the type expected and the key's line.
    """
    def fail(path: tuple, expected: str, value) -> InputError:
        line = key_line(text, path) if text else None
        return InputError(f"{_label(path)} must be {expected}, not {_describe(value)}", path=where, line=line)

    stack = [((), SCHEMA, data)]
    while stack:
        path, schema, value = stack.pop()
        if not isinstance(value, dict):
            raise fail(path, "a table" + (f" ([{'.'.join(map(str, path))}])" if path else ""), value)
        for key in sorted(value, key=str, reverse=True):
            sub = schema.get(key, schema.get("*"))
            if sub is None:
                continue
            here = (*path, key)
            if isinstance(sub, dict):
                stack.append((here, sub, value[key]))
            else:
                expected = _ok(sub, value[key])
                if expected is not None:
                    raise fail(here, expected, value[key])
    _check_crs(data, text, where)


def _check_crs(data: dict, text: str | None, where: str) -> None:
    """A CRS the project names must be one pyproj knows."""
    from redline.layers.crs import parse_crs
    from redline.layers.errors import UsageError

    places = [(("region", "crs"), (data.get("region") or {}).get("crs"))]
    places += [(("layers", lid, "crs"), spec.get("crs")) for lid, spec in (data.get("layers") or {}).items()
               if isinstance(spec, dict)]
    for path, value in places:
        if value is None:
            continue
        try:
            parse_crs(value)
        except (UsageError, InputError) as exc:
            raise InputError(f"{_label(path)}: {exc.reason}", path=where,
                             line=key_line(text, path) if text else None) from None
