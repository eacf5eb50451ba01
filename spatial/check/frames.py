"""The tables an officer reads, made from a :class:`~redline.spatial.check.result.CheckResult` at the output
edge: Chinese column names, fixed decimals, text made safe, one vectorized pass per table (no Python object
per site), as ``sites.csv``, ``hits.csv`` and the sheets of ``check.xlsx`` hold them.

========================  ===============================================================
:func:`site_frame`        项目汇总 / ``sites.csv``: one row per site, its verdict
:func:`hit_frame`         压覆明细 / ``hits.csv``: one row per overlapped feature
:func:`layer_frame`       图层汇总: one row per site and control layer
:func:`nearest_frame`     最近距离: the nearest feature of each untouched layer
:func:`finding_frame`     审查意见: one row per finding, with its clause
========================  ===============================================================

Numbers are rounded as Python's ``round`` rounds them (the decimal nearest the binary value: ``round(0.285, 2)``
is 0.28), vectorized; text passes through :func:`safe_column` (control and bidirectional-override characters
dropped, values otherwise unchanged; each distinct text once, the rows as categorical codes). :func:`csv_bytes`
writes a frame as Excel on Chinese Windows opens it, a cell that starts like a formula (``= + - @``) in quotes.

Example
-------
>>> import geopandas as gpd, shapely
>>> from redline.spatial.check import check_sites
>>> rl = gpd.GeoDataFrame({"name": ["红线一"]}, geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000,
...                       4_201_000)], crs=4525)
>>> site = gpd.GeoDataFrame({"name": ["=矿山"], "type": ["mining"]},
...                         geometry=[shapely.box(37_500_500, 4_200_000, 37_501_500, 4_201_000)], crs=4525)
>>> r = check_sites(site, {"red_line": rl}, kinds={"red_line": "red_line"})
>>> site_frame(r)[["项目名称", "结论", "压覆图层", "禁止条款数"]].values.tolist()
[['=矿山', '不符合', '生态保护红线', 1]]
>>> csv_bytes(hit_frame(r)[["要素名称", "占项目用地（%）"]]).decode("utf-8-sig").splitlines()
['要素名称,占项目用地（%）', '红线一,50.0']
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from redline.layers.columns import by_identity, factorize_objects
from redline.spatial.check.findings import object_array
from redline.spatial.check_tables import CONTROL_CHARACTERS, FORMULA_PREFIXES, safe_cell
from redline.spatial.rules import LEVEL_LABELS


def rounded(values, decimals: int) -> np.ndarray:
    """Numbers rounded as Python's ``round(x, decimals)`` rounds each (vectorized; where ``x·10^decimals``
    lies within 1e-6 of a half, Python's ``round`` decides); NaN stays NaN.

    >>> rounded([0.285, 1.005, 2.5, np.nan], 2).tolist()
    [0.28, 1.0, 2.5, nan]
    """
    a = np.asarray(values, dtype=float)
    out = np.round(a, decimals)
    scaled = np.abs(a) * 10.0 ** decimals
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    for i in np.flatnonzero(near_half & np.isfinite(a)):
        out[i] = round(float(a[i]), decimals)
    return out


# a field after the first (in text joined by NUL) that starts like a formula: the pattern opens with a literal,
# which the regex engine finds by a fast scan (an alternation with ``^`` first is tried at every position)
_FORMULA_AFTER_NUL = re.compile("\x00[" + re.escape("".join(FORMULA_PREFIXES)) + "]")


def _factorized(values) -> tuple[np.ndarray, list] | None:
    """``(codes, texts)``: each value's index into its distinct texts (-1 for None, NaN and NA), when every
    value is text or missing; None otherwise (numbers among the text: worked value by value).

    >>> codes, texts = _factorized(np.array(["甲", None, "乙", "甲"], dtype=object))
    >>> codes.tolist(), texts
    ([0, -1, 1, 0], ['甲', '乙'])
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes, texts = np.asarray(values.cat.codes, dtype=np.int64), values.cat.categories.tolist()
    elif isinstance(values, pd.Series) and values.dtype != object:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)       # Arrow text: its own dictionary
        codes, texts = np.asarray(codes, dtype=np.int64), uniques.tolist()
    else:
        arr = values.to_numpy() if isinstance(values, pd.Series) else \
            values if isinstance(values, np.ndarray) and values.dtype == object else object_array(values)
        codes, texts = factorize_objects(arr)
    if not set(map(type, texts)) <= {str}:         # one pass in C over a million distinct ids
        return None
    return codes, texts


def safe_text(values) -> np.ndarray:
    """Text cells safe to show: control and bidirectional-override characters dropped (:func:`safe_cell`),
    the value otherwise unchanged (the writers keep a leading ``= + - @`` as text: quoted in CSV, a string
    cell in XLSX); None stays None. Each distinct text is looked at once.

    >>> safe_text(["=HYPERLINK(1)", "红线\x01甲\u202e", None]).tolist()
    ['=HYPERLINK(1)', '红线甲', None]
    """
    column = safe_column(values)
    if isinstance(column, pd.Categorical):
        return object_array(column.categories.tolist() + [None])[column.codes]    # code -1 (missing): the None
    return column


def safe_column(values) -> pd.Categorical | np.ndarray:
    """:func:`safe_text` as a column for a frame: text as a categorical (each distinct text once, the rows as
    codes, missing values as NaN), so that the writers never handle a Python object per row; values that
    are not all text as an object array.

    >>> safe_column(["甲", None, "甲\x01"]).tolist()
    ['甲', nan, '甲']
    """
    coded = _factorized(values)
    if coded is None:
        items = values.tolist() if hasattr(values, "tolist") else list(values)
        texts = [None if v is None or (v.__class__ is float and v != v) or v is pd.NA else
                 (v if v.__class__ is str else str(v)) for v in items]
        if CONTROL_CHARACTERS.search("\n".join(v for v in texts if v)):
            texts = [None if v is None else safe_cell(v) for v in texts]
        return object_array(texts)
    codes, texts = coded
    if CONTROL_CHARACTERS.search("\n".join(texts)):      # cleaned texts may coincide: distinct again
        inv, uniq = pd.factorize(object_array([safe_cell(v) for v in texts]))
        codes = np.where(codes >= 0, np.asarray(inv, dtype=np.int64)[codes], -1)
        texts = uniq.tolist()
    return _coded(codes, texts)


def _as_column(values) -> pd.Categorical | np.ndarray:
    """Text the program wrote (identifiers, verdicts) as a categorical, like :func:`safe_column` without
    cleaning; values that are not all text as they are."""
    coded = _factorized(values)
    return values if coded is None else _coded(*coded)


def _coded(codes: np.ndarray, texts: list[str]) -> pd.Categorical:
    """A categorical of distinct ``texts`` from codes (-1: missing)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(object_array(texts), dtype=object), validate=False)


def _repeated_text(text: str | None, n: int) -> pd.Categorical:
    """One text (or None) in each of ``n`` rows."""
    return _coded(np.zeros(n, np.int64) if text is not None else np.full(n, -1, np.int64),
                  [text] if text is not None else [])


def _yes_no(flags: np.ndarray) -> pd.Categorical:
    """是 where ``flags``, else 否."""
    return _coded(np.where(np.asarray(flags, dtype=bool), 0, 1), ["是", "否"])


def _table(columns: dict) -> pd.DataFrame:
    """A frame of the columns: categoricals as they are, other text kept as Python objects (None for missing),
    not converted to Arrow text."""
    return pd.DataFrame({k: pd.Series(v, dtype=object) if isinstance(v, np.ndarray) and v.dtype == object else v
                         for k, v in columns.items()}, copy=False)


def _label(df: pd.DataFrame) -> np.ndarray:
    """A layer's label, else its id."""
    label = df["label"].to_numpy(dtype=object)
    return np.where(pd.isna(label) | (label == ""), df["layer"].to_numpy(dtype=object), label)


def _site_values(result, column: str, rows: np.ndarray) -> np.ndarray:
    return result.sites[column].to_numpy(dtype=object)[rows]


def _touched_labels(n: int, sl: pd.DataFrame, touched: pd.DataFrame) -> np.ndarray:
    """Per site, the labels of the layers it touches in layer order, joined by 、 (each combination once)."""
    rows, ids, labels = touched["site"].to_numpy(dtype=np.int64), touched["layer"].to_numpy(dtype=object), \
        _label(touched)
    order = list(dict.fromkeys(sl["layer"].tolist()))   # every site has a row per layer: the layers' order
    same_label = all(len(set(labels[ids == layer].tolist())) <= 1 for layer in order)
    if len(order) <= 62 and same_label:
        mask = np.zeros(n, np.int64)                    # bit k: the site touches layer k
        label_of = {}
        for k, layer in enumerate(order):
            mine = ids == layer
            if mine.any():
                mask[rows[mine]] |= 1 << k
                label_of[k] = labels[mine][0]
        codes, combos = pd.factorize(mask)
        return object_array(["、".join(label_of[k] for k in range(len(order)) if c >> k & 1)
                         for c in combos.tolist()])[codes]
    layers = np.full(n, "", dtype=object)
    for layer in order:
        mine = ids == layer
        if mine.any():
            at, label = rows[mine], labels[mine]
            layers[at] = np.where(layers[at] == "", label, layers[at] + "、" + label)
    return layers


def site_frame(result) -> pd.DataFrame:
    """项目汇总 / ``sites.csv``: one row per site."""
    s = result.sites
    n = len(s)
    sl = result.site_layers
    touched = sl[sl["touched"].to_numpy(dtype=bool)]
    layers = _touched_labels(n, sl, touched)
    found = result.findings
    level = found["level"].to_numpy(dtype=object)
    where = found["site"].to_numpy(dtype=np.int64)
    area = s["area_m2"].to_numpy(dtype=float)
    unchecked = "、".join((result.analysis or {}).get("unchecked_core_layers") or []) or None
    return _table({
        "项目编号": safe_column(s["site_id"]), "项目名称": safe_column(s["name"]),
        "位置": safe_column(s["location"]) if "location" in s.columns else _repeated_text(None, n),
        "项目类型": safe_column(s["project_type_label"]), "类型标识": _as_column(s["project_type"].to_numpy(dtype=object)),
        "类型来源": safe_column(s["type_source"]), "几何类型": _as_column(s["geometry_type"].to_numpy(dtype=object)),
        "用地面积（平方米）": rounded(area, 2), "用地面积（公顷）": rounded(area / 1e4, 4),
        "线路长度（米）": rounded(s["length_m"], 2), "结论": _as_column(s["verdict"].to_numpy(dtype=object)),
        "未核查的核心图层": _repeated_text(unchecked, n), "压覆图层": safe_column(layers),
        "禁止条款数": np.bincount(where[level == "prohibited"], minlength=n),
        "需论证条款数": np.bincount(where[level == "needs_review"], minlength=n),
        "在数据覆盖范围内": _yes_no(s["inside_coverage"].to_numpy(dtype=bool)),
        "来源文件": safe_column(s["source"]),
    })


def hit_frame(result) -> pd.DataFrame:
    """压覆明细 / ``hits.csv``: one row per overlapped feature of each site."""
    h = result.hits
    rows = h["site"].to_numpy(dtype=np.int64)
    attrs = h["attributes"].to_numpy(dtype=object)
    # the hits of one feature share its attributes' dict: each dict read once
    codes, first = by_identity(attrs)
    dicts = attrs[first].tolist()

    def attribute(name: str) -> pd.Categorical | np.ndarray:
        per_dict = safe_column(object_array([a.get(name) for a in dicts]))
        if isinstance(per_dict, pd.Categorical):
            return _coded(per_dict.codes.astype(np.int64)[codes], per_dict.categories.tolist())
        return per_dict[codes]

    m2 = h["overlap_m2"].to_numpy(dtype=float)
    return _table({
        "项目编号": safe_column(h["site_id"]), "项目名称": safe_column(_site_values(result, "name", rows)),
        "图层": safe_column(_label(h)), "图层标识": _as_column(h["layer"].to_numpy(dtype=object)),
        "要素编号": safe_column(h["feature_id"]), "要素名称": safe_column(h["feature_name"]),
        "类型": attribute("type"), "级别": attribute("level"),
        "功能分区": safe_column(h["zone"]), "编码": attribute("code"),
        "压覆面积（平方米）": rounded(m2, 2), "压覆面积（公顷）": rounded(m2 / 1e4, 4),
        "压覆长度（米）": rounded(h["overlap_length_m"], 2), "占项目用地（%）": rounded(h["pct_of_site"], 2),
        "占该要素（%）": rounded(h["pct_of_feature"], 2),
    })


def layer_frame(result) -> pd.DataFrame:
    """图层汇总: one row per site and control layer, the layer's summary (its own overlaps counted once) or
    the nearest feature."""
    sl = result.site_layers
    rows = sl["site"].to_numpy(dtype=np.int64)
    near = result.nearest
    key = pd.MultiIndex.from_arrays([near["site"].to_numpy(dtype=np.int64), near["layer"].to_numpy(dtype=object)])
    at = key.get_indexer(pd.MultiIndex.from_arrays([rows, sl["layer"].to_numpy(dtype=object)])) \
        if len(near) else np.full(len(sl), -1)
    found = at >= 0
    name = np.full(len(sl), None, dtype=object)
    dist = np.full(len(sl), np.nan)
    name[found] = near["feature_name"].to_numpy(dtype=object)[at[found]]
    dist[found] = near["distance_m"].to_numpy(dtype=float)[at[found]]
    m2 = sl["overlap_m2"].to_numpy(dtype=float)
    # not touched, and the site not wholly inside the data's coverage: no absence is stated where there is no data
    inside = result.sites["inside_coverage"].to_numpy(dtype=bool)[rows]
    return _table({
        "项目编号": safe_column(sl["site_id"]), "项目名称": safe_column(_site_values(result, "name", rows)),
        "图层": safe_column(_label(sl)), "图层标识": sl["layer"].to_numpy(dtype=object),
        "图层类型": sl["kind"].to_numpy(dtype=object),
        "是否压覆": _coded(np.where(sl["touched"].to_numpy(dtype=bool), 0, np.where(inside, 1, 2)),
                         ["是", "否", "数据未完全覆盖，覆盖范围内否"]),
        "压覆图斑数": sl["features"].to_numpy(dtype=np.int64),
        "压覆面积（平方米）": rounded(m2, 2), "压覆面积（公顷）": rounded(m2 / 1e4, 4),
        "压覆长度（米）": rounded(sl["overlap_length_m"], 2), "占项目用地（%）": rounded(sl["pct_of_site"], 2),
        "最近要素": safe_column(name), "最近距离（米）": rounded(dist, 2),
    })


def nearest_frame(result) -> pd.DataFrame:
    """最近距离: the nearest feature of each layer a site does not touch, within the search distance."""
    n = result.nearest
    rows = n["site"].to_numpy(dtype=np.int64)
    return _table({
        "项目编号": safe_column(n["site_id"]), "项目名称": safe_column(_site_values(result, "name", rows)),
        "图层": safe_column(_label(n)), "要素编号": safe_column(n["feature_id"]),
        "要素名称": safe_column(n["feature_name"]), "距离（米）": rounded(n["distance_m"], 2),
    })


def finding_frame(result) -> pd.DataFrame:
    """审查意见: one row per finding (a rule applied to a site), with its level and clause."""
    f = result.findings
    rows = f["site"].to_numpy(dtype=np.int64)
    level = f["level"].to_numpy(dtype=object)
    return _table({
        "项目编号": safe_column(f["site_id"]), "项目名称": safe_column(_site_values(result, "name", rows)),
        "结论": _site_values(result, "verdict_text" if "verdict_text" in result.sites.columns else "verdict", rows),
        "规则": np.where(pd.isna(f["title"]).to_numpy(), f["rule"].to_numpy(dtype=object),
                       f["title"].to_numpy(dtype=object)) if "title" in f.columns else f["rule"].to_numpy(dtype=object),
        "级别": np.array([LEVEL_LABELS.get(v, v) for v in level], dtype=object),
        "情形": safe_column(f["message"]), "依据条款": safe_column(f["clause"]),
    })


def _csv_field(text: str) -> str:
    """A text field as the csv module writes it (minimal quoting), and quoted too when it starts with
    ``= + - @`` or a tab/CR, so that a spreadsheet takes it as text (OWASP's advice against CSV injection)."""
    if any(c in text for c in ',"\r\n') or text.startswith(FORMULA_PREFIXES):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_texts(texts: list[str]) -> list[str]:
    """Text fields, quoted where needed (the joined text is searched once: most columns need no quotes).

    >>> _csv_texts(["甲", "乙"]), _csv_texts(["甲", "=1"]), _csv_texts(["-2", "乙"]), _csv_texts(["a,b", "c"])
    (['甲', '乙'], ['甲', '"=1"'], ['"-2"', '乙'], ['"a,b"', 'c'])
    """
    joined = "\x00".join(texts)
    if any(c in joined for c in ',"\r\n') or joined.startswith(FORMULA_PREFIXES) or _FORMULA_AFTER_NUL.search(joined):
        return [_csv_field(v) for v in texts]
    return texts


def _csv_column(col: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A column's fields as ``(codes, fields)``, row ``i`` holding ``fields[codes[i]]``: numbers as Python writes
    them, NaN and None empty, text quoted if needed; each distinct value formatted once."""
    if pd.api.types.is_integer_dtype(col.dtype):
        codes, uniq = pd.factorize(col.to_numpy(dtype=np.int64))
        return np.asarray(codes, dtype=np.int64), [str(v) for v in uniq.tolist()]
    if pd.api.types.is_float_dtype(col.dtype):
        values = np.ascontiguousarray(col.to_numpy(dtype=float))
        codes, bits = pd.factorize(values.view(np.int64))     # distinct bit patterns: −0.0 is not 0.0
        uniq = bits.view(np.float64) if len(bits) else np.zeros(0)
        fields = repr(uniq.tolist())[1:-1].split(", ") if len(uniq) else []     # each value's repr, in one call
        return np.asarray(codes, dtype=np.int64), ["" if f == "nan" else f for f in fields]
    coded = _factorized(col) if not pd.api.types.is_bool_dtype(col.dtype) else None
    if coded is None:           # not all text: each value as str
        texts = ["" if v is None or (v.__class__ is float and v != v) else str(v) for v in col.tolist()]
        return np.arange(len(texts)), _csv_texts(texts)
    codes, texts = coded
    if (codes < 0).any():                     # missing (code -1): the empty field at the end
        return np.where(codes < 0, len(texts), codes), _csv_texts(texts) + [""]
    return codes, _csv_texts(texts)


def _combinations(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, distinct)`` of integers in ``range(size)``: each value's index among the distinct values and the
    distinct values (sorted, found by counting when ``size`` is not much larger than the array; else in order of
    first appearance, by hashing).

    >>> codes, distinct = _combinations(np.array([5, 2, 5, 0]), 6)
    >>> codes.tolist(), distinct.tolist()
    ([2, 1, 2, 0], [0, 2, 5])
    """
    if size <= 4 * len(values) + 1024:
        used = np.bincount(values, minlength=size) > 0
        return (np.cumsum(used) - 1)[values], np.flatnonzero(used)
    codes, distinct = pd.factorize(values)
    return np.asarray(codes, dtype=np.int64), distinct


def _merged(columns: list[tuple[np.ndarray, list[str]]], n: int,
            sep: str = ",") -> list[tuple[np.ndarray, list[str]]]:
    """Neighbouring columns with few distinct fields made one (their distinct combinations joined by ``sep``
    once each), so that the rows join few columns: a point check's sites share most of their fields."""
    limit = max(1024, n // 32)
    out = [columns[0]]
    for codes, fields in columns[1:]:
        last_codes, last_fields = out[-1]
        if len(last_fields) <= limit and len(fields) <= limit:
            combined, combos = _combinations(last_codes * len(fields) + codes, len(last_fields) * len(fields))
            if len(combos) <= limit:
                m = len(fields)
                out[-1] = (np.asarray(combined, dtype=np.int64),
                           [last_fields[k // m] + sep + fields[k % m] for k in combos.tolist()])
                continue
        out.append((codes, fields))
    return out


def _arrow_column(codes: np.ndarray, fields: list[str]) -> tuple[pa.Array, np.ndarray | None]:
    """A column's distinct fields as Arrow text, and the codes its rows take them by (None: row ``i`` holds
    field ``i``). Rows are taken in Arrow: no Python string per row."""
    arr = pa.array(fields, type=pa.large_string())
    if len(fields) == len(codes) and np.array_equal(codes, np.arange(len(codes))):
        return arr, None
    return arr, codes


def _block_view(parts: list[tuple[pa.Array, np.ndarray | None]], sep: str, a: int, b: int) -> memoryview:
    """Rows ``a:b``, each row's fields joined by ``sep``, as a view of Arrow's buffer (not copied)."""
    taken = [arr.slice(a, b - a) if codes is None else arr.take(pa.array(codes[a:b])) for arr, codes in parts]
    rows = pc.binary_join_element_wise(*taken, pa.scalar(sep, pa.large_string())) if len(taken) > 1 else taken[0]
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset: rows.offset + len(rows) + 1]
    return memoryview(rows.buffers()[2])[int(offsets[0]): int(offsets[-1])]


def _at_row(codes: np.ndarray, fields: list[str], row: int, text: str,
            before: bool) -> tuple[np.ndarray, list[str]]:
    """The column with ``text`` written before (or after) its field in one row: that row a field of its own."""
    codes = np.array(codes, dtype=np.int64)
    field = fields[codes[row]]
    codes[row] = len(fields)
    return codes, [*fields, text + field if before else field + text]


ROWS_PER_BLOCK = 65_536      # rows joined at a time: a few MB each, the memory reused from block to block


def joined_blocks(columns: list[tuple[np.ndarray, list[str]]], n: int, *, sep: str = ",", start: str = "",
                  end: str = "\r\n", head: str = "", tail: str = "", block: int = ROWS_PER_BLOCK
                  ) -> Iterator[memoryview]:
    r"""``head``, ``n`` rows, ``tail`` as UTF-8, in blocks of ``block`` rows: each row ``start``, its fields
    joined by ``sep``, ``end``. The columns are given as ``(codes, fields)``, row ``i`` holding
    ``fields[codes[i]]``. Each distinct field is a Python string once; the rows are joined column-wise in
    Arrow, and each block is a view of Arrow's buffer, so that a file of 300 MB is written block by block
    without being held whole.

    >>> columns = [(np.array([0, 1, 0]), ["甲", ""]), (np.array([0, 0, 1]), ["1.5", "2.0"])]
    >>> [bytes(b) for b in joined_blocks(columns, 3, block=2)]
    [b'\xe7\x94\xb2,1.5\r\n,1.5\r\n', b'\xe7\x94\xb2,2.0\r\n']
    >>> [bytes(b) for b in joined_blocks([(np.array([1, 0]), ["<c>a</c>", "<c/>"])], 2, sep="", start="<row>",
    ...                                  end="</row>", head="<t>", tail="</t>")]
    [b'<t><row><c/></row><row><c>a</c></row></t>']
    """
    if n == 0 or not columns:
        yield memoryview((head + tail).encode("utf-8"))
        return
    columns = _merged(columns, n, sep)
    codes, fields = columns[0]
    columns[0] = _at_row(codes, [start + f for f in fields], 0, head, before=True) if head else \
        (codes, [start + f for f in fields])
    codes, fields = columns[-1]
    columns[-1] = _at_row(codes, [f + end for f in fields], n - 1, tail, before=False) if tail else \
        (codes, [f + end for f in fields])
    parts = [_arrow_column(c, f) for c, f in columns]
    for a in range(0, n, block):
        yield _block_view(parts, sep, a, min(n, a + block))


def joined_rows(columns: list[tuple[np.ndarray, list[str]]], n: int, *, sep: str = ",", start: str = "",
                end: str = "\r\n", head: str = "", tail: str = "") -> memoryview:
    r""":func:`joined_blocks` all in one block: one view of Arrow's buffer (a table of 100 MB is not copied).

    >>> bytes(joined_rows([(np.array([0, 1, 0]), ["甲", ""]), (np.array([0, 0, 1]), ["1.5", "2.0"])], 3))
    b'\xe7\x94\xb2,1.5\r\n,1.5\r\n\xe7\x94\xb2,2.0\r\n'
    """
    return next(joined_blocks(columns, n, sep=sep, start=start, end=end, head=head, tail=tail, block=max(n, 1)))


def csv_blocks(frame: pd.DataFrame, *, header: bool = True, bom: bool = True,
               block: int = ROWS_PER_BLOCK) -> Iterator[memoryview]:
    r""":func:`csv_bytes` in blocks of ``block`` rows (the header with the first), to be written one after the
    other.

    >>> frame = pd.DataFrame({"名称": ["甲", "乙", "丙"]})
    >>> [bytes(b).decode("utf-8-sig") for b in csv_blocks(frame, block=2)]
    ['名称\r\n甲\r\n乙\r\n', '丙\r\n']
    """
    if frame.shape[1] == 0:
        yield memoryview(b"\xef\xbb\xbf" if bom else b"")
        return
    head = ("\ufeff" if bom else "") + (",".join(_csv_field(str(c)) for c in frame.columns) + "\r\n"
                                        if header else "")
    columns = [_csv_column(frame.iloc[:, k]) for k in range(frame.shape[1])]
    yield from joined_blocks(columns, len(frame), head=head, block=block)


def csv_bytes(frame: pd.DataFrame, *, header: bool = True, bom: bool = True) -> bytes:
    r"""A frame as CSV the way Excel on Chinese Windows opens it: UTF-8 with a byte-order mark, CRLF, minimal
    quoting (as Python's csv module writes it), empty cells for None and NaN, numbers as Python writes them.
    A frame with no column is the byte-order mark alone.

    Each distinct value is formatted once in Python; the rows are joined column-wise in Arrow.

    >>> csv_bytes(pd.DataFrame({"名称": ["甲,乙", None], "面积": [1.5, np.nan]})).decode("utf-8-sig")
    '名称,面积\r\n"甲,乙",1.5\r\n,\r\n'
    >>> csv_bytes(pd.DataFrame({"名称": ["=1+1", "+86 351"], "面积": [-1.5, 2.0]})).decode("utf-8-sig")
    '名称,面积\r\n"=1+1",-1.5\r\n"+86 351",2.0\r\n'
    """
    return b"".join(csv_blocks(frame, header=header, bom=bom))
