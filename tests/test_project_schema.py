"""The project file's schema (layers/project_schema.py, layers/tomlfile.py): every key redline reads, given a
value of another type (generated), is an input error naming the key, the type expected and the line it is
written on; nesting of any depth is refused with its line; a rule file or layout that is the project itself is
refused whatever its spelling. Valid values of every key load.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline.layers.errors import InputError
from redline.layers.project import load_project
from redline.layers.project_schema import SCHEMA

# a valid project: each entry's value is replaced in turn
BASE = {
    ("region", "name"): '"示范县"',
    ("region", "boundary"): '"county"',
    ("region", "townships"): '"county"',
    ("region", "crs"): '"EPSG:4525"',
    ("region", "fictional"): "true",
    ("layers.county", "kind"): '"boundary"',
    ("layers.county", "path"): '"county.gpkg"',
    ("layers.county", "layer"): '"county"',
    ("layers.county", "source"): '"示范县自然资源局"',
    ("layers.county", "date"): '"2026-06-30"',
    ("layers.county", "fields"): '{ name = "XZQMC" }',
    ("layers.county", "encoding"): '"gbk"',
    ("layers.county", "label"): '"县界"',
    ("rules", "files"): "[]",
    ("map", "title"): '"图"',
    ("map", "producer"): '"示范县自然资源局"',
    ("map", "date"): "2026-06-30",
    ("map", "approval_number"): '""',
    ("map", "layout"): '"structure.toml"',
    ("raster", "landcover"): '"landcover.tif"',
}

# what each key accepts, to keep generated values of another type
ACCEPTS = {
    ("region", "name"): {str}, ("region", "boundary"): {str}, ("region", "townships"): {str},
    ("region", "crs"): {str, int},
    ("region", "fictional"): {bool}, ("layers.county", "kind"): {str}, ("layers.county", "path"): {str},
    ("layers.county", "layer"): {str, int}, ("layers.county", "source"): {str},
    ("layers.county", "date"): {str, dt.date}, ("layers.county", "fields"): set(),
    ("layers.county", "encoding"): set(), ("layers.county", "label"): {str}, ("rules", "files"): set(),
    ("map", "title"): {str}, ("map", "producer"): {str}, ("map", "date"): {str, dt.date},
    ("map", "approval_number"): {str}, ("map", "layout"): {str}, ("raster", "landcover"): {str},
}


def toml_value(v) -> str:
    """A TOML literal (the test's own writer, independent of the reader under test)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if v == v and v not in (float("inf"), float("-inf")) else ("nan" if v != v else
                                                                                  ("inf" if v > 0 else "-inf"))
    if isinstance(v, str):
        return '"' + "".join(c if c not in '"\\' and 32 <= ord(c) != 127 else f"\\u{ord(c):04x}" for c in v) + '"'
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = {toml_value(x)}' for k, x in v.items()) + " }"
    raise TypeError(v)


def project_text(values: dict) -> tuple[str, dict]:
    """The project as TOML text, and the line (1-based) each key is written on."""
    lines, where = [], {}
    tables = list(dict.fromkeys(t for t, _ in values))
    for table in tables:
        lines.append(f"[{table}]")
        for (t, key), v in values.items():
            if t == table:
                lines.append(f"{key if re.fullmatch(r'[A-Za-z0-9_-]+', key) else toml_value(key)} = {v}")
                where[(t, key)] = len(lines)
        lines.append("")
    return "\n".join(lines), where


scalars = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=8), st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text("abc", min_size=1, max_size=3), inner,
                                                                       max_size=3)), max_leaves=6)


def _fits(key, v) -> bool:
    accepted = ACCEPTS[key]
    if type(v) in accepted:
        return True
    if key == ("layers.county", "fields"):
        return isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
    if key == ("rules", "files"):
        return isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
    return False


def _load(text: str):
    d = tempfile.mkdtemp()
    p = Path(d) / "redline.toml"
    p.write_text(text, encoding="utf-8")
    return load_project(p), p


def test_the_test_schema_covers_the_product_schema():
    """Every key of SCHEMA that a user writes in these tables is exercised here."""
    covered = {(t.split(".")[0], k) for t, k in BASE}
    for table in ("region", "map"):
        for key in SCHEMA[table]:
            if key not in ("code", "note", "level", "styles"):
                assert (table, key) in covered, (table, key)
    for key in SCHEMA["layers"]["*"]:
        if key not in ("datum", "crs"):
            assert ("layers", key) in covered, key


def test_the_valid_project_loads():
    text, _ = project_text(BASE)
    project, _ = _load(text)
    assert project.layers["county"].encoding == "gbk" and project.region["crs"] == "EPSG:4525"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(sorted(BASE)), value=values)
def test_a_value_of_the_wrong_type_names_key_type_and_line(key, value):
    if _fits(key, value) or key == ("layers.county", "kind"):
        return  # kind: any text is checked against the kinds (test_kinds_project.py)
    text, where = project_text({**BASE, key: toml_value(value)})
    with pytest.raises(InputError) as info:
        _load(text)
    message = str(info.value)
    table, name = key
    label = f"[{table}] {name}"
    assert f", line {where[key]}: " in message, message
    assert label in message and " must be " in message, message


@settings(max_examples=100, deadline=None)
@given(key=st.sampled_from([k for k, acc in ACCEPTS.items() if acc == {str}]),
       text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\\x7f'), max_size=20))
def test_any_text_loads_where_text_is_expected(key, text):
    if key in (("region", "boundary"), ("region", "townships"), ("layers.county", "kind"),
               ("layers.county", "path")):
        return  # references and kinds are checked against the project's layers and the kinds
    if any(ord(c) < 32 for c in text):
        return  # TOML basic strings hold no control characters unescaped
    _load(project_text({**BASE, key: toml_value(text)})[0])


@settings(max_examples=40, deadline=None)
@given(depth=st.integers(25, 60_000), kind=st.sampled_from(["array", "table"]), at=st.integers(0, 3))
def test_nesting_of_any_depth_is_refused_with_its_line(depth, kind, at):
    deep = ("[" * depth + "]" * depth) if kind == "array" else ("{a = " * depth + "1" + "}" * depth)
    text, where = project_text(BASE)
    lines = text.split("\n")
    # written under [region] (line 1) after `at` of its keys
    lines.insert(1 + at, f"deep = {deep}")
    with pytest.raises(InputError, match=rf", line {2 + at}: .*nested more than 24 levels deep"):
        _load("\n".join(lines))


@settings(max_examples=20, deadline=None)
@given(depth=st.integers(25, 5_000))
def test_deep_dotted_tables_are_refused(depth):
    text, _ = project_text(BASE)
    with pytest.raises(InputError, match="nested more than 24 levels deep"):
        _load(text + "\n[" + ".".join(["t"] * depth) + "]\nx = 1\n")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spelling=st.sampled_from(["redline.toml", "./redline.toml", "sub/../redline.toml", ".//redline.toml",
                                 "ABSOLUTE", "LINK"]),
       where=st.sampled_from(["rules", "layout"]))
def test_a_rule_file_or_layout_that_is_the_project_itself(spelling, where):
    d = Path(tempfile.mkdtemp())
    (d / "sub").mkdir()
    os.symlink(d / "redline.toml", d / "link.toml")
    name = {"ABSOLUTE": str(d / "redline.toml"), "LINK": "link.toml"}.get(spelling, spelling)
    values = dict(BASE)
    if where == "rules":
        values[("rules", "files")] = toml_value([name])
    else:
        values[("map", "layout")] = toml_value(name)
    text, lines = project_text(values)
    (d / "redline.toml").write_text(text, encoding="utf-8")
    key = ("rules", "files") if where == "rules" else ("map", "layout")
    with pytest.raises(InputError, match=rf", line {lines[key]}: .*names the project file itself"):
        load_project(d / "redline.toml")


def test_an_unknown_crs_is_named_with_its_line():
    text, where = project_text({**BASE, ("region", "crs"): '"EPSG:999999"'})
    with pytest.raises(InputError, match=rf", line {where[('region', 'crs')]}: \[region\] crs: "):
        _load(text)


def test_keys_redline_does_not_know_are_left_alone():
    text, _ = project_text({**BASE, ("region", "县长"): '"张三"', ("notes", "any"): "[1, 2]"})
    _load(text)
