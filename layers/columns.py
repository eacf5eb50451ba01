"""Columns of a table as plain arrays: text cleaned in one pass, a function applied once per distinct value,
one object repeated over many rows, and object columns told apart by identity (a column of a million rows
that holds a few texts holds the same few objects: no text hashed per row).

>>> per_value(text_values([" 甲 ", None, "甲"]), lambda v: v and v + "区").tolist()
['甲区', None, '甲区']
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd


def text_value(v) -> str | None:
    """A cell as stripped text; None for missing, NaN and blank values.

    >>> text_value(" A1 "), text_value(float("nan")), text_value("  ")
    ('A1', None, None)
    """
    if v is None:
        return None
    if isinstance(v, (float, np.floating)) and not np.isfinite(v):
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    s = str(v).strip()
    return s or None


_SPACE = re.compile(r"\s")


def text_values(values) -> np.ndarray:
    """:func:`text_value` of a whole column: stripped text, None for missing, NaN and blank values (text columns
    are stripped in one vectorized pass).

    >>> text_values(pd.Series([" A1 ", None, "  ", 3.0])).tolist()
    ['A1', None, None, '3.0']
    >>> text_values(np.array(["A1", "B 2"], dtype=object)).tolist(), text_values(["A1", ""]).tolist()
    (['A1', 'B 2'], ['A1', None])
    >>> text_values(["A1", "B2\u3000"]).tolist(), text_values([None, np.nan]).tolist()
    (['A1', 'B2'], [None, None])
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if s.dtype == object:
        kind = pd.api.types.infer_dtype(s, skipna=False)
        if kind == "empty" or (kind == "mixed" and s.isna().all()):       # nothing but missing values
            return np.full(len(s), None, dtype=object)
        joined = "\x00".join(s.tolist()) if kind == "string" else ""
        if joined and not _SPACE.search(joined) and "\x00\x00" not in joined and joined[0] != "\x00" \
                and joined[-1] != "\x00":       # no white space, no empty text (ids made here): as it is
            return np.array(s.to_numpy(), dtype=object)
    if pd.api.types.is_string_dtype(s.dtype) and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        stripped = s.str.strip()
        out = np.array(stripped.to_numpy(dtype=object, na_value=None), dtype=object)
        out[(stripped.fillna("") == "").to_numpy()] = None
        return out
    return np.array([text_value(v) for v in s.tolist()], dtype=object)


def per_value(values, f) -> np.ndarray:
    """``f(v)`` of each value as an object array, ``f`` called once per distinct value (a column of a million rows
    holds a few project types, verdicts or zone names) and once for the missing ones (as ``f(None)``).

    >>> per_value(["a", "b", "a", None], lambda v: (v or "-") * 2).tolist()
    ['aa', 'bb', 'aa', '--']
    >>> per_value(pd.Series(["核心", None, "核心"]), lambda v: v and v + "区").tolist()
    ['核心区', None, '核心区']
    >>> path = "/数据/sites.gpkg"                  # one object over many rows: its text hashed once
    >>> per_value([path] * 1500 + ["".join(["/数据/", "sites.gpkg"])], lambda v: v and len(v))[[0, 1500]].tolist()
    [14, 14]
    """
    values = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if values.dtype == object:
        codes, uniq = factorize_objects(values.to_numpy())
    else:                                   # Arrow text: factorized in Arrow
        codes, uniq = pd.factorize(values)
        uniq = uniq.tolist()
    mapped = [f(v) for v in uniq] + [f(None)]        # missing (None): code -1, the last
    return np.fromiter(mapped, dtype=object, count=len(mapped))[codes]


def factorize_objects(arr: np.ndarray) -> tuple[np.ndarray, list]:
    """``pd.factorize`` of an object array (None, NaN and NA: -1), as codes and a list of the distinct values:
    the objects told apart by identity first when a sample shows few of them (a column of a few texts repeated
    over many rows holds the same few objects: no text hashed per row), then the distinct objects by value;
    mostly distinct objects (site ids), by value at once.

    >>> a = "甲"
    >>> codes, texts = factorize_objects(np.array([a, None, "乙", a, "".join(["甲"])] * 300, dtype=object))
    >>> codes[:5].tolist(), texts
    ([0, -1, 1, 0, 0], ['甲', '乙'])
    >>> codes, texts = factorize_objects(np.array([f"P{i % 1500}" for i in range(3000)], dtype=object))
    >>> codes[[0, 1, 1500]].tolist(), len(texts)
    ([0, 1, 0], 1500)
    """
    if mostly_repeated(arr):
        by_id, first = by_identity(arr)
        if len(first) <= len(arr) // 4:
            codes, uniques = pd.factorize(arr[first], use_na_sentinel=True)
            return np.asarray(codes, dtype=np.int64)[by_id], uniques.tolist()
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), uniques.tolist()


def mostly_repeated(arr: np.ndarray) -> bool:
    """Whether an object array of 1,000 rows or more holds few distinct objects, by a spread sample of 1,000 of
    its rows (at most 250 distinct there): worth telling its objects apart by identity (:func:`by_identity`)
    before hashing them (:func:`factorize_objects`).

    >>> mostly_repeated(np.array(["甲", "乙"] * 1000, dtype=object)), mostly_repeated(np.arange(2000).astype(object))
    (True, False)
    """
    return len(arr) >= 1000 and len(by_identity(arr[::max(1, len(arr) // 1000)])[1]) <= 250


def by_identity(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, first)`` of an object array told apart by identity: each value's index among the distinct
    objects (in order of first appearance) and the position of each distinct object's first appearance.

    >>> a, b = "甲", "乙"
    >>> codes, first = by_identity(np.array([a, b, a], dtype=object))
    >>> codes.tolist(), first.tolist()
    ([0, 1, 0], [0, 1])
    """
    arr = np.ascontiguousarray(arr)
    # an object array's buffer holds its objects' addresses: read as integers, no Python call per row
    codes, _ = pd.factorize(np.frombuffer(arr.data, dtype=np.uint64) if len(arr) else np.zeros(0, np.uint64))
    codes = np.asarray(codes, dtype=np.int64)
    return codes, first_rows(codes)


def first_rows(codes: np.ndarray) -> np.ndarray:
    """The row of each code's first appearance, for codes numbered in order of first appearance (as
    ``pd.factorize`` numbers them).

    >>> first_rows(np.array([0, 1, 0, 2, 1])).tolist()
    [0, 1, 3]
    """
    if len(codes) == 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero(codes > np.maximum.accumulate(np.r_[-1, codes[:-1]]))


def repeated(value, n: int) -> np.ndarray:
    """An object array holding ``value`` ``n`` times: the one object (``np.full`` would copy a text ``n`` times).

    >>> a = repeated("红线", 3)
    >>> a.tolist(), a[0] is a[2]
    (['红线', '红线', '红线'], True)
    """
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out
