"""The tables of a site check, built from the layer passes: one row per site, per site and layer, per hit,
per nearest feature, per distance-rule match and per finding.

Columns are arrays built per layer (no per-site Python objects except the findings, whose messages are
per-site text anyway). Every child table carries ``site`` (the site's row in the sites table) and
``site_id``, and is ordered by site, then as the JSON lists them.
"""

from __future__ import annotations

import math
import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from redline.layers.columns import first_rows, per_value, repeated, text_values
from redline.spatial.check.findings import (
    LEVEL_ORDER,
    ZONE_ATTRIBUTE,
    coverage_finding,
    finding,
    floats,
    fmt_m,
    layer_view,
    object_array,
    type_finding,
    verdict_of,
    zone_findings,
)
from redline.spatial.check.kernel import LayerIndex, LayerResult
from redline.spatial.rules import RuleSet, type_label

GEOMETRY_TYPES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
                  6: "MultiPolygon", 7: "GeometryCollection"}
SITE_LAYER_COLUMNS = ["site", "site_id", "layer", "kind", "label", "overlap_m2", "overlap_length_m", "pct_of_site",
                      "touched", "features", "self_overlap", "nearest_m"]
HIT_COLUMNS = ["site", "site_id", "layer", "kind", "label", "feature_id", "feature_name", "zone", "overlap_m2",
               "overlap_length_m", "pct_of_site", "pct_of_feature", "feature_index", "crossings", "attributes"]
NEAREST_COLUMNS = ["site", "site_id", "layer", "kind", "label", "feature_id", "feature_name", "distance_m"]
DISTANCE_COLUMNS = ["site", "site_id", "rule", "title", "layer", "feature_name", "distance_m", "limit_m"]
FINDING_COLUMNS = ["site", "site_id", "rule", "title", "level", "clause", "message", "source", "layer", "kind", "features",
                   "distance_m"]


def _columns(p: dict, columns: list[str]) -> pd.DataFrame:
    """A frame of columns; text columns stay Python objects (not inferred as Arrow strings: they are read
    back value by value for the JSON)."""
    n = max((len(v) for v in p.values() if not isinstance(v, str)), default=0)
    data = {}
    for c in columns:
        v = p[c]
        if isinstance(v, str):
            v = repeated(v, n)
        data[c] = pd.Series(v, dtype=object, copy=False) if isinstance(v, list) or \
            getattr(v, "dtype", None) is np.dtype(object) else v
    # no copies: the arrays are made for the table (pandas 3 copies an array given to a Series unless told);
    # no consolidation copy: each column its own block
    return pd.DataFrame(data, columns=columns, copy=False)


def _frame(columns: list[str], parts: list[dict]) -> pd.DataFrame:
    """One frame from per-layer column dicts, stably ordered by site (layers keep their order).

    >>> a = {"site": np.array([0, 2]), "layer": "甲", "m2": np.array([1.0, 2.0])}
    >>> b = {"site": np.array([1]), "layer": "乙", "m2": np.array([3.0])}
    >>> _frame(["site", "layer", "m2"], [a, b]).values.tolist()
    [[0, '甲', 1.0], [1, '乙', 3.0], [2, '甲', 2.0]]
    >>> c = {"site": np.arange(2), "layer": "丙", "m2": np.array([5.0, 6.0])}      # a row per site in each part
    >>> d = {"site": np.arange(2), "layer": "丁", "m2": np.array([7.0, 8.0])}
    >>> _frame(["site", "layer", "m2"], [c, d]).values.tolist()
    [[0, '丙', 5.0], [0, '丁', 7.0], [1, '丙', 6.0], [1, '丁', 8.0]]
    """
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    lengths = [len(p["site"]) for p in parts]
    dtypes = {c: [_dtype(p[c]) for p in parts] for c in columns}
    if any(d != dtypes[c][0] for c in columns for d in dtypes[c]):
        # columns of other dtypes in some layer: as pandas concatenates them
        out = pd.concat([_columns(p, columns) for p in parts], ignore_index=True)
        return out.iloc[_site_order(parts)].reset_index(drop=True)
    if all(len(p["site"]) == lengths[0] and np.array_equal(p["site"], np.arange(lengths[0])) for p in parts):
        # a row per site in every part (the site-layer table): the parts' rows interleaved, written in place
        k = len(parts)
        data = {}
        for c in columns:
            a = np.empty(k * lengths[0], dtype=dtypes[c][0])
            for j, p in enumerate(parts):
                a[j::k] = p[c] if isinstance(p[c], str) else _column(p[c], lengths[0])
            data[c] = pd.Series(a, dtype=object, copy=False) if a.dtype == object else a
        return pd.DataFrame(data, columns=columns, copy=False)
    order = _site_order(parts)
    # each column's arrays concatenated and ordered once; a text repeated over a layer's rows stays one object
    data = {}
    for c in columns:
        if all(isinstance(p[c], str) for p in parts):
            a = np.repeat(object_array([p[c] for p in parts]), lengths)[order]
        else:
            a = np.concatenate([_column(p[c], k) for p, k in zip(parts, lengths, strict=True)])[order]
        data[c] = pd.Series(a, dtype=object, copy=False) if a.dtype == object else a
    return pd.DataFrame(data, columns=columns, copy=False)


def _site_order(parts: list[dict]) -> np.ndarray:
    """The order of the parts' rows, concatenated, by site (stable: the parts keep their order)."""
    return np.argsort(np.concatenate([np.asarray(p["site"]) for p in parts]), kind="stable")


def _dtype(value) -> np.dtype:
    """The dtype of a part's column as :func:`_column` makes it (without making it)."""
    return np.dtype(object) if isinstance(value, (str, list)) else np.asarray(value).dtype


def _column(value, n: int) -> np.ndarray:
    """A column of a part: a text repeated ``n`` times, a list as objects, an array as it is."""
    if isinstance(value, str):
        return repeated(value, n)
    if isinstance(value, list):
        return object_array(value)
    return np.asarray(value)


def _texts(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Cleaned text of ``values[idx]``, each distinct index cleaned once."""
    if len(idx) == 0:
        return np.zeros(0, dtype=object)
    inv, uniq = pd.factorize(np.asarray(idx, dtype=np.int64))
    return text_values(pd.Series(values[uniq], dtype=object))[inv]


def first_of_groups(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by equal values in every one of ``columns`` (integer arrays of one length): each row's
    group (numbered in order of first appearance) and the first row of each group.

    >>> g, first = first_of_groups([np.array([1, 2, 1, 1]), np.array([0, 5, 0, 3])])
    >>> g.tolist(), first.tolist()
    ([0, 1, 0, 2], [0, 1, 3])
    """
    group = np.zeros(len(columns[0]), np.int64)
    for c in columns:            # mixed radix over the groups so far (factorized at each step: no overflow)
        c = pd.factorize(np.asarray(c, dtype=np.int64))[0]
        group = pd.factorize(group * (int(c.max(initial=0)) + 1) + c)[0]
    return group, first_rows(group)


_DESCRIBING = threading.Lock()


def feature_columns(index: LayerIndex, features: np.ndarray, zone_attr: str) -> dict[str, np.ndarray]:
    """Per feature of a layer (by row), for those among ``features`` at least: its attributes as one dict
    (the hits of a feature share it), its id, name and zone (``zone_attr``), as object arrays. Features are
    described once and kept in the layer's index (``described``) for the next batch of sites: a streamed
    check's chunks hit the same features again.

    >>> from redline.spatial.check.kernel import layer_index
    >>> g = gpd.GeoDataFrame({"name": [" 红线甲", None], "code": ["A", "B"]}, geometry=[shapely.box(0, 0, 1, 1)] * 2)
    >>> ix = layer_index(g, "rl")
    >>> cols = feature_columns(ix, np.array([1, 0, 1]), "zone")
    >>> cols["feature_id"].tolist(), cols["name"].tolist(), cols["attributes"].tolist()
    (['A', 'B'], ['红线甲', None], [{'name': '红线甲', 'code': 'A'}, {'code': 'B'}])
    >>> feature_columns(ix, np.array([0]), "zone")["attributes"][0] is cols["attributes"][0]     # kept
    True
    """
    cols = index.described
    with _DESCRIBING:         # a dask worker's threads check batches against one shared index
        if not cols:
            n = len(index.feature_ids)
            cols.update(known=np.zeros(n, bool),
                        **{c: np.full(n, None, dtype=object) for c in ("attributes", "feature_id", "name", "zone")})
        new = pd.unique(features[~cols["known"][features]])
        if len(new):
            attrs = {a: text_values(pd.Series(arr[new], dtype=object)) for a, arr in index.attrs.items()}
            cols["attributes"][new] = object_array([{a: v[j] for a, v in attrs.items() if v[j] is not None}
                                                    for j in range(len(new))])
            cols["feature_id"][new] = object_array([str(v) for v in index.feature_ids[new]])
            for name, attr in (("name", "name"), ("zone", zone_attr)):
                if attr in attrs:
                    cols[name][new] = attrs[attr]
            cols["known"][new] = True
    return cols


def _layer_tables(res: LayerResult, ids: np.ndarray, sdim: np.ndarray, n: int) -> tuple[dict, dict, dict]:
    """One layer's site-layer, hit and nearest columns."""
    nearest_m = np.full(n, np.nan)
    nearest_m[res.near_site] = res.near_dist
    site_layers = {"site": np.arange(n), "site_id": ids, "layer": res.id, "kind": res.kind, "label": res.label,
                   "overlap_m2": res.ov_m2, "overlap_length_m": res.ov_len, "pct_of_site": res.pct,
                   "touched": res.touched, "features": np.bincount(res.site, minlength=n),
                   "self_overlap": res.self_overlap, "nearest_m": nearest_m}
    names = res.attrs.get("name")
    f = np.asarray(res.feature, dtype=np.int64)
    fdim = int(res.index.fdim.max(initial=-1)) if len(res.gdf) else 2
    zone_attr = ZONE_ATTRIBUTE.get(res.kind, "zone")
    line_line = (sdim[res.site] == 1) & (fdim == 1)
    none = np.full(len(f), None, dtype=object)
    per_feature = feature_columns(res.index, f, zone_attr) if len(f) else {}

    def column(name: str) -> np.ndarray:
        return per_feature[name][f] if len(f) else none

    hits = {"site": res.site, "site_id": ids[res.site], "layer": res.id, "kind": res.kind, "label": res.label,
            "feature_id": column("feature_id"), "feature_name": column("name") if names is not None else none,
            "zone": column("zone") if zone_attr in res.attrs else none,
            "overlap_m2": res.m2, "overlap_length_m": res.length, "pct_of_site": res.pct_site,
            "pct_of_feature": res.pct_feature, "feature_index": f,
            "crossings": np.where(line_line, res.pieces, None) if len(f) else none,
            "attributes": column("attributes")}
    nf = res.near_feature
    nearest = {"site": res.near_site, "site_id": ids[res.near_site], "layer": res.id, "kind": res.kind,
               "label": res.label,
               "feature_id": object_array([str(v) for v in res.feature_ids])[nf] if len(nf) else np.zeros(0, dtype=object),
               "feature_name": _texts(names, nf) if names is not None else np.full(len(nf), None, dtype=object),
               "distance_m": res.near_dist}
    return site_layers, hits, nearest


def _point_columns(n: int, results: list[LayerResult], sdim: np.ndarray, types: list, outside: np.ndarray,
                   alone: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The point sites whose findings depend only on their project type, whether they lie outside the data's
    coverage and the feature of each layer they lie in (at most one per layer, none in ``alone``), and
    those columns for all ``n`` sites (type codes, outside, then each layer's feature, -1 for none)."""
    points = (sdim == 0) & ~alone
    codes = pd.factorize(pd.Series(types, dtype=object))[0]     # None → -1
    columns = [codes.astype(np.int64), outside.astype(np.int64)]
    for res in results:
        counts = np.bincount(res.site, minlength=n)
        points &= counts <= 1
        first = np.full(n, -1, np.int64)
        first[res.site] = res.feature                          # one feature per point left: its index
        columns.append(first)
    return np.flatnonzero(points), columns


def shared_findings(n: int, points: tuple[np.ndarray, list[np.ndarray]]) -> np.ndarray:
    """For each site, the site whose findings it shares (itself when it has its own).

    The findings of a point site depend only on its project type, whether it lies outside the data's coverage
    and which feature of each layer it lies in: point sites alike in these share the findings of the first of
    them, worked out once (a million points in a few hundred control units need a few hundred rule
    evaluations, not a million). Lines and polygons (their messages hold their own areas and lengths), points
    inside two features of one layer, and the sites in ``alone`` have their own. ``points``: the
    :func:`_point_columns` of the sites.
    """
    rep = np.arange(n)
    idx, columns = points
    if len(idx) < 2:
        return rep
    group, first_of = first_of_groups([c[idx] for c in columns])
    rep[idx] = idx[first_of][group]
    return rep


class PointCombinations:
    """The findings and verdict of point sites alike in every layer (:func:`shared_findings`), per combination of
    project type, coverage and the feature of each layer, kept from one batch of sites to the next (in the
    streaming engine's memo): a batch looks its combinations up at once and works out only new ones.

    Combinations are numbered by an integer code (the project type's number, whether outside the coverage and
    each layer's feature, in mixed radix); their findings' rows are kept column by column (``rows``).
    """

    TYPES = 256             # project types told apart in a code (the rules name a few dozen)

    def __init__(self):
        self.number: dict[int, int] = {}          # code → the combination's number
        self.start: list[int] = []                # its first row in ``rows``
        self.count: list[int] = []
        self.verdict: list[str] = []
        self.rows: dict[str, list] = {c: [] for c in FINDING_COLUMNS[2:]}
        self.type_number: dict = {}               # project type (or None) → its number in a code

    def __len__(self) -> int:
        return len(self.start)

    def codes(self, sites: np.ndarray, points: tuple[np.ndarray, list[np.ndarray]], types: list,
              sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The point sites among ``sites`` that share findings (``points``, see :func:`_point_columns`) and the
        code of each one's combination; none when the codes would not fit 63 bits (then every site is worked
        out as before)."""
        idx, columns = points
        wanted = np.zeros(len(columns[0]), bool)
        wanted[sites] = True
        idx = idx[wanted[idx]]
        if len(idx) == 0 or self.TYPES * 2 * math.prod(k + 1 for k in sizes) >= 2 ** 62:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        number = per_value(object_array(types)[idx],
                           lambda t: self.type_number.setdefault(t, len(self.type_number)))
        if len(self.type_number) > self.TYPES:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        code = number.astype(np.int64) * 2 + columns[1][idx]
        for column, size in zip(columns[2:], sizes, strict=True):
            code = code * (size + 1) + (column[idx] + 1)           # feature -1 (none): 0
        return idx, code

    def find(self, codes: np.ndarray) -> np.ndarray:
        """The number of each code's combination, -1 for those not worked out yet."""
        if not self.number or len(codes) == 0:
            return np.full(len(codes), -1, np.int64)
        return pd.Index(list(self.number)).get_indexer(codes)

    def add(self, code: int, found: list[dict], verdict: str) -> int:
        """Keep a new combination's findings (in level order) and verdict; its number."""
        self.number[code] = len(self.start)
        self.start.append(len(self.rows["rule"]))
        self.count.append(len(found))
        self.verdict.append(verdict)
        for f in found:
            for col, values in self.rows.items():
                values.append(f.get(col))
        return self.number[code]


def _alike_points(todo: np.ndarray, res: LayerResult, sdim: np.ndarray, type_codes: np.ndarray,
                  outside: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The point sites of ``todo`` in at most one feature of the layer, grouped by project type, whether they lie
    outside the data's coverage and their feature (a point's findings from the layer depend on nothing else):
    the sites, each one's group, the first site of each group and each site's feature (-1: none)."""
    counts = np.bincount(res.site, minlength=n)
    alike = todo[(sdim[todo] == 0) & (counts[todo] <= 1)]
    if len(alike) == 0:
        return alike, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(n, np.int64)
    feature = np.full(n, -1, np.int64)
    feature[res.site] = res.feature
    group, first = first_of_groups([type_codes[alike], outside[alike].astype(np.int64), feature[alike]])
    return alike, group, alike[first], feature


def assemble(sites: gpd.GeoDataFrame, sg: np.ndarray, sdim: np.ndarray, site_area: np.ndarray,
             site_len: np.ndarray, results: list[LayerResult], rules: RuleSet, dist_hits: list, types: list,
             type_sources: list, type_warns: list, outside: np.ndarray, out_m2: np.ndarray, out_len: np.ndarray,
             cov_label: str, lay: dict, crs, memo: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every table of a batch of checked sites: ``sites`` (a GeoDataFrame in the analysis CRS),
    ``site_layers``, ``hits``, ``nearest``, ``distance_rules`` and ``findings``.

    ``memo`` keeps the findings of point sites per layer, project type, coverage and feature, and the findings
    and verdict of point sites per combination of these over all layers, from one batch to the next (the
    streaming engine passes the same dict for every chunk of one check).
    """
    n = len(sg)
    names = text_values(sites["name"]) if "name" in sites.columns else np.full(n, None, dtype=object)
    if "site_id" in sites.columns:
        ids = text_values(sites["site_id"])
    else:
        codes = text_values(sites["code"]) if "code" in sites.columns else np.full(n, None, dtype=object)
        ids = codes.copy()
        missing = np.flatnonzero(pd.isna(codes) | (codes == ""))
        ids[missing] = object_array([str(i + 1) for i in missing.tolist()])
    alone = np.zeros(n, bool)
    for _, _, li, _, _ in dist_hits:     # a distance rule's message holds the site's own distance
        alone[li] = True
    points = _point_columns(n, results, sdim, types, outside, alone)
    rep = shared_findings(n, points)
    type_codes = pd.factorize(pd.Series(types, dtype=object))[0]     # None → -1
    own = rep == np.arange(n)            # the sites whose findings are worked out (the others share them)
    memo = {} if memo is None else memo
    # point sites alike in every layer: their findings and verdict, kept from one batch to the next
    combinations = memo.setdefault("combinations", PointCombinations())
    combo_sites, combo_codes = combinations.codes(np.flatnonzero(own), points, types, [len(r.gdf) for r in results])
    combo = np.full(n, -1, np.int64)                 # each such site's combination number (-1: not known yet)
    combo[combo_sites] = combinations.find(combo_codes)
    code_of = dict(zip(combo_sites.tolist(), combo_codes.tolist(), strict=True))
    own_todo = own & (combo < 0)
    # the Python values of the sites worked out here (not of a million points that share their findings)
    todo_sites = np.flatnonzero(own_todo).tolist()

    def per_todo(values) -> dict:
        return dict(zip(todo_sites, values, strict=True))

    sdim_l = per_todo(sdim[own_todo].tolist())
    area_l, len_l = per_todo(floats(site_area[own_todo])), per_todo(floats(site_len[own_todo]))

    site_layer_parts, hit_parts, nearest_parts = [], [], []
    entries = {s: {"findings": [], "skipped": []} for s in todo_sites}
    with np.errstate(invalid="ignore"):
        whole_out = (outside & ((sdim == 0) | ((sdim == 2) & (out_m2 >= site_area * (1 - 1e-9)))
                                | ((sdim == 1) & (out_len >= site_len * (1 - 1e-9)))))[own_todo]
    uncovered = per_todo(zip(out_m2[own_todo].tolist(), out_len[own_todo].tolist(), whole_out.tolist(), strict=True))
    for res in results:
        sl, h, near = _layer_tables(res, ids, sdim, n)
        site_layer_parts.append(sl)
        hit_parts.append(h)
        nearest_parts.append(near)
        kind_rules = rules.for_kind(res.kind)
        if not kind_rules:
            continue
        cache: dict = {}
        todo = own_todo if any(r.applies == "outside" for r in kind_rules) else \
            np.isin(np.arange(n), res.site) & own_todo
        alike, group, firsts, feature = _alike_points(np.flatnonzero(todo), res, sdim, type_codes, outside, n)
        own_sites = np.flatnonzero(todo & ~np.isin(np.arange(n), alike)).tolist()
        # points alike in this layer: the layer's findings worked out once (kept in ``memo`` for later batches)
        keys = [(res.id, types[s], bool(outside[s]), int(feature[s])) for s in firsts.tolist()]
        new = [s for s, key in zip(firsts.tolist(), keys, strict=True) if key not in memo]
        # the layer's view, made only for the sites whose findings are worked out here
        v = layer_view(res, n, np.asarray(own_sites + new, dtype=np.int64)) if own_sites or new else None
        for s in own_sites:
            zone_findings(entries[s], v, kind_rules, s, int(v.starts[s]), int(v.ends[s]), sdim_l[s], types[s], area_l[s],
                          len_l[s], cache, uncovered[s])
        shared = []
        for s, key in zip(firsts.tolist(), keys, strict=True):
            if key not in memo:
                memo[key] = {"findings": [], "skipped": []}
                zone_findings(memo[key], v, kind_rules, s, int(v.starts[s]), int(v.ends[s]), 0, types[s], area_l[s],
                              len_l[s], cache, uncovered[s])
            shared.append(memo[key])
        for s, g in zip(alike.tolist(), group.tolist(), strict=True):
            entries[s]["findings"] += shared[g]["findings"]
            entries[s]["skipped"] += shared[g]["skipped"]

    distance_rows: dict[str, list] = {c: [] for c in DISTANCE_COLUMNS}
    for dr, lid, li, fi, d in dist_hits:
        res_label = next((r.label for r in results if r.id == lid), lid)
        g = lay[lid]
        fnames = _texts(g["name"].to_numpy(dtype=object), fi) if "name" in g.columns else [None] * len(fi)
        for s, fname, dist in zip(li.tolist(), fnames, d.tolist(), strict=True):
            for col, value in zip(DISTANCE_COLUMNS, (s, ids[s], dr.id, dr.title, lid, fname, dist, dr.distance_m),
                                  strict=True):
                distance_rows[col].append(value)
            concern = dr.concerns(types[s])
            if concern is None:
                entries[s]["skipped"].append(dr)
            elif concern:
                vals = {"layer": res_label, "features": f"（{fname}）" if fname else "", "distance_m": fmt_m(dist),
                        "limit_m": f"{dr.distance_m:g}", "type_label": type_label(types[s]),
                        "extent": f"距离{fmt_m(dist)}米"}
                entries[s]["findings"].append(finding(dr, vals, layer=lid, kind=None, distance_m=dist))

    # each worked-out site's findings in level order and its verdict; then every site's rows from them
    template: dict[str, list] = {c: [] for c in FINDING_COLUMNS[2:]}
    start, count = np.zeros(n, np.int64), np.zeros(n, np.int64)
    verdict_of_site = np.empty(n, dtype=object)
    outside_l = per_todo(outside[own_todo].tolist())
    out_m2_l, out_len_l = per_todo(out_m2[own_todo].tolist()), per_todo(out_len[own_todo].tolist())
    for s in todo_sites:
        found = entries[s]["findings"]
        if outside_l[s]:
            found.insert(0, coverage_finding(sdim_l[s], out_m2_l[s], out_len_l[s], area_l[s], len_l[s], cov_label))
        if types[s] is None:
            found.append(type_finding(list({r.id: r for r in entries[s]["skipped"]}.values())))
        found.sort(key=lambda f: LEVEL_ORDER.get(f["level"], 9))
        verdict_of_site[s] = verdict_of(found)
        if s in code_of:
            combo[s] = combinations.add(code_of[s], found, verdict_of_site[s])
            continue
        start[s], count[s] = len(template["rule"]), len(found)
        for f in found:
            for col in FINDING_COLUMNS[2:]:
                template[col].append(f.get(col))
    # the sites of known combinations: their rows among the combinations' (before this batch's own rows)
    at = np.flatnonzero(combo >= 0)
    kept = len(combinations.rows["rule"])
    start[own & (combo < 0)] += kept
    start[at] = np.asarray(combinations.start, dtype=np.int64)[combo[at]]
    count[at] = np.asarray(combinations.count, dtype=np.int64)[combo[at]]
    verdict_of_site[at] = object_array(combinations.verdict)[combo[at]]
    template = {c: combinations.rows[c] + template[c] for c in template}
    verdicts = verdict_of_site[rep]
    per_site = count[rep]
    site_of_row = np.repeat(np.arange(n), per_site)
    row = np.repeat(start[rep] - (np.cumsum(per_site) - per_site), per_site) + np.arange(per_site.sum())
    finding_rows = {"site": site_of_row, "site_id": ids[site_of_row],
                    **{c: object_array(v)[row] for c, v in template.items()}}

    area = np.where(sdim == 2, site_area, np.nan)
    columns = {
        "site_id": ids, "name": names,
        "geometry_type": per_value(shapely.get_type_id(sg), lambda t: GEOMETRY_TYPES.get(t, "None")),
        "area_m2": area, "area_ha": area / 10_000, "length_m": np.where(sdim == 1, site_len, np.nan),
        "verdict": verdicts, "project_type": types, "project_type_label": per_value(types, type_label),
        "type_source": type_sources,
        "source": per_value(sites["_source"], lambda v: v) if "_source" in sites.columns
        else [None] * n,
        "inside_coverage": ~outside, "outside_m2": out_m2, "outside_length_m": out_len,
        "warnings": per_value(type_warns, lambda w: (w,) if w else ()),
    }
    table = gpd.GeoDataFrame(_columns(columns, list(columns)), geometry=gpd.GeoSeries(sg, crs=crs), crs=crs, copy=False)
    return {
        "sites": table,
        "site_layers": _frame(SITE_LAYER_COLUMNS, site_layer_parts),
        "hits": _frame(HIT_COLUMNS, hit_parts),
        "nearest": _frame(NEAREST_COLUMNS, nearest_parts),
        "distance_rules": _frame(DISTANCE_COLUMNS, [distance_rows] if distance_rows["site"] else []),
        "findings": _columns(finding_rows, FINDING_COLUMNS),
    }
