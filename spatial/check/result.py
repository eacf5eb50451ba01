"""The result of a site check, held as tables; its JSON is made from them at the output edge.

:class:`CheckResult` holds one row per site (``sites``, a GeoDataFrame with the verdict), one per site and
control layer (``site_layers``), one per overlapped feature (``hits``), one per nearest untouched layer
(``nearest``), one per distance-rule match (``distance_rules``) and one per finding with its clause
(``findings``). Every child table has ``site`` (the row of the site in ``sites``) and ``site_id``.
:meth:`CheckResult.to_dict` gives what ``redline check --json`` prints: per site, its layers, hits,
nearest features, distance rules and findings nested as lists.

Example
-------
>>> import geopandas as gpd, shapely
>>> from redline.spatial.check import check_sites
>>> rl = gpd.GeoDataFrame({"name": ["红线一"]}, geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000,
...                       4_201_000)], crs=4525)
>>> site = gpd.GeoDataFrame({"name": ["矿山"], "type": ["mining"]},
...                         geometry=[shapely.box(37_500_500, 4_200_000, 37_501_500, 4_201_000)], crs=4525)
>>> r = check_sites(site, {"red_line": rl}, kinds={"red_line": "red_line"})
>>> r.sites[["name", "verdict"]].values.tolist()
[['矿山', '不符合']]
>>> round(float(r.hits["pct_of_site"].iloc[0]), 4), r.summary["verdicts"]["不符合"]
(50.0, 1)
>>> r.to_dict()["sites"][0]["hits"][0]["feature_name"]
'红线一'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from redline.spatial.check.findings import VERDICTS

TABLES = ("sites", "site_layers", "hits", "nearest", "distance_rules", "findings")
_SITE_LAYER_KEYS = ("layer", "kind", "label", "overlap_m2", "overlap_length_m", "pct_of_site", "touched", "features",
                    "self_overlap", "nearest_m")
_HIT_KEYS = ("layer", "kind", "feature_id", "feature_name", "zone", "overlap_m2", "overlap_length_m", "pct_of_site",
             "pct_of_feature", "feature_index", "crossings", "attributes", "label")
_NEAREST_KEYS = ("layer", "kind", "feature_id", "feature_name", "distance_m", "label")
_DISTANCE_KEYS = ("rule", "title", "layer", "feature_name", "distance_m", "limit_m")
_FINDING_KEYS = ("rule", "title", "level", "clause", "message", "source", "layer", "kind", "features", "distance_m")


_PLAIN = {str, int, float, bool, dict, list, tuple, type(None)}


def _py(values) -> list:
    """A column as Python values: NaN and pandas' missing values as None, numpy scalars as Python ones.

    >>> _py(pd.Series([1.5, np.nan])), _py(pd.Series(["甲", None, np.nan, np.int64(3)], dtype=object))
    ([1.5, None], ['甲', None, None, 3])
    """
    arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) and values.dtype.kind not in "biuf" \
        else np.asarray(values)
    out = arr.tolist()
    if arr.dtype.kind == "f":
        for i in np.flatnonzero(np.isnan(arr)).tolist():
            out[i] = None
    elif arr.dtype.kind == "O":
        types = set(map(type, out))
        if types <= _PLAIN:        # the usual case: only NaN to replace, found in one vectorized pass
            if float in types:
                for i in np.flatnonzero(pd.isna(arr)).tolist():
                    out[i] = None
        else:
            out = [None if (v.__class__ is float and v != v) or v is pd.NA else
                   (v.item() if isinstance(v, np.generic) else v) for v in out]
    return out


def _columns(df: pd.DataFrame, keys: tuple[str, ...]) -> list[list]:
    """The columns ``keys`` of ``df`` as lists of Python values (:func:`_py`)."""
    return [_py(df[k]) for k in keys]


# One function per child table makes its JSON records: a dict display with the keys written out takes 1/2 to
# 2/3 of the time of ``dict(zip(keys, row))`` (100,000 sites have some 500,000 records). Their parameters and
# keys are in the order of the ``_*_KEYS`` above, which ``from_dict`` reads back.
def _site_layer_record(layer, kind, label, overlap_m2, overlap_length_m, pct_of_site, touched, features,
                       self_overlap, nearest_m) -> dict:
    return {"layer": layer, "kind": kind, "label": label, "overlap_m2": overlap_m2,
            "overlap_length_m": overlap_length_m, "pct_of_site": pct_of_site, "touched": touched,
            "features": features, "self_overlap": self_overlap, "nearest_m": nearest_m}


def _hit_record(layer, kind, feature_id, feature_name, zone, overlap_m2, overlap_length_m, pct_of_site,
                pct_of_feature, feature_index, crossings, attributes, label) -> dict:
    # hits of one feature share its attributes dict: each record gets its own
    return {"layer": layer, "kind": kind, "feature_id": feature_id, "feature_name": feature_name, "zone": zone,
            "overlap_m2": overlap_m2, "overlap_length_m": overlap_length_m, "pct_of_site": pct_of_site,
            "pct_of_feature": pct_of_feature, "feature_index": feature_index, "crossings": crossings,
            "attributes": dict(attributes), "label": label}


def _nearest_record(layer, kind, feature_id, feature_name, distance_m, label) -> dict:
    return {"layer": layer, "kind": kind, "feature_id": feature_id, "feature_name": feature_name,
            "distance_m": distance_m, "label": label}


def _distance_record(rule, title, layer, feature_name, distance_m, limit_m) -> dict:
    return {"rule": rule, "title": title, "layer": layer, "feature_name": feature_name, "distance_m": distance_m,
            "limit_m": limit_m}


def _finding_record(rule, title, level, clause, message, source, layer, kind, features, distance_m) -> dict:
    """A finding as the JSON gives it: a finding of a layer's rule has ``layer`` and ``kind``, a zone rule's
    ``features``, a distance rule's ``distance_m``."""
    rec = {"rule": rule, "title": title, "level": level, "clause": clause, "message": message, "source": source}
    if layer is not None:
        rec["layer"] = layer
        rec["kind"] = kind
        if features is not None:
            rec["features"] = features
        if distance_m is not None:
            rec["distance_m"] = distance_m
    return rec


# the columns of ``sites`` a site's JSON object holds, in the order of :func:`_site_record`'s parameters
_SITE_COLUMNS = ("site_id", "name", "geometry_type", "area_m2", "area_ha", "length_m", "verdict", "verdict_text",
                 "project_type", "project_type_label", "type_source", "source", "inside_coverage", "outside_m2",
                 "outside_length_m", "warnings")


def _site_record(site_id, name, geometry_type, area_m2, area_ha, length_m, verdict, verdict_text, project_type,
                 project_type_label, type_source, source, inside, outside_m2, outside_length_m, warnings, layers,
                 hits, nearest, distance_rules, findings) -> dict:
    return {"site_id": site_id, "name": name, "geometry_type": geometry_type, "area_m2": area_m2,
            "area_ha": area_ha, "length_m": length_m, "verdict": verdict, "verdict_text": verdict_text,
            "project_type": project_type, "project_type_label": project_type_label, "type_source": type_source,
            "source": source, "coverage": {"inside": inside, "outside_m2": outside_m2,
                                           "outside_length_m": outside_length_m},
            "layers": layers, "hits": hits, "nearest": nearest, "distance_rules": distance_rules,
            "findings": findings, "warnings": list(warnings)}


def _records(df: pd.DataFrame, keys: tuple[str, ...], record) -> list[dict]:
    """The rows of ``df`` as JSON records: ``record(*row)`` over its columns ``keys``.

    >>> df = pd.DataFrame({"rule": ["r1"], "title": ["甲"], "distance_m": [np.nan], "limit_m": [500.0],
    ...                    "layer": ["rivers"], "feature_name": [None]})
    >>> _records(df, _DISTANCE_KEYS, _distance_record)
    [{'rule': 'r1', 'title': '甲', 'layer': 'rivers', 'feature_name': None, 'distance_m': None, 'limit_m': 500.0}]
    """
    return list(map(record, *_columns(df, keys)))


def _per_site(df: pd.DataFrame, n: int, records: list) -> list[list]:
    """``records`` (one per row of ``df``, ordered by site) split into one list per site."""
    site = df["site"].to_numpy(dtype=np.int64)
    bounds = np.searchsorted(site, np.arange(n + 1)).tolist()
    return [records[bounds[s]:bounds[s + 1]] for s in range(n)]


@dataclass
class CheckResult:
    """A site check: the tables, and the blocks its JSON carries.

    Attributes
    ----------
    sites : GeoDataFrame
        One row per site, in input order, in the analysis CRS: ``site_id``, ``name``, ``location`` (the
        townships, when the project has them), ``geometry_type``, ``area_m2``, ``area_ha``, ``length_m``,
        ``verdict`` (符合/不符合/需论证/无法判定), ``verdict_text`` (the verdict with the core control layers
        that were not checked: 符合（未核查：永久基本农田）), ``project_type``, ``project_type_label``, ``type_source``,
        ``source`` (the file), ``inside_coverage``, ``outside_m2``, ``outside_length_m``, ``warnings``.
    site_layers : DataFrame
        One row per site and control layer: ``overlap_m2`` and ``overlap_length_m`` (the layer's own
        overlaps counted once), ``pct_of_site``, ``touched``, ``features`` (how many), ``self_overlap``,
        ``nearest_m`` (untouched layers, within the search distance).
    hits : DataFrame
        One row per overlapped feature: ``feature_id``, ``feature_name``, ``zone``, ``overlap_m2``,
        ``overlap_length_m``, ``pct_of_site``, ``pct_of_feature``, ``crossings`` (line across line),
        ``attributes`` (a dict of the feature's canonical attributes).
    nearest : DataFrame
        The nearest feature of each layer a site does not touch, within the search distance.
    distance_rules : DataFrame
        Each distance rule a site falls under: the feature, the distance and the limit.
    findings : DataFrame
        One row per finding: ``rule`` (its id), ``title`` (its Chinese title), ``level`` (prohibited, no_data, needs_review, allowed, info),
        ``clause``, ``message`` (Chinese), ``source``, ``layer``, ``kind``, ``features``, ``distance_m``.
    analysis, layers, rules, warnings, project, provenance
        The blocks of the JSON (CRS and methods, the layers checked, the rules applied, warnings, the
        project, the provenance).
    inputs : list of dict
        File records of every input (for the provenance).
    context : object
        What the check was run with (:class:`~redline.spatial.check.prepare.CheckContext`), for maps and
        reports; not serialized.
    """

    sites: gpd.GeoDataFrame
    site_layers: pd.DataFrame
    hits: pd.DataFrame
    nearest: pd.DataFrame
    distance_rules: pd.DataFrame
    findings: pd.DataFrame
    analysis: dict = field(default_factory=dict)
    layers: list = field(default_factory=list)
    rules: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    project: dict | None = None
    provenance: dict | None = None
    inputs: list = field(default_factory=list)
    context: object | None = None

    @property
    def summary(self) -> dict:
        """``{"sites": n, "verdicts": {verdict: count}}``."""
        counts = self.sites["verdict"].value_counts()
        return {"sites": int(len(self.sites)), "verdicts": {v: int(counts.get(v, 0)) for v in VERDICTS}}

    @property
    def conforming(self) -> bool:
        """Whether every site is 符合."""
        return bool((self.sites["verdict"] == "符合").all())

    def site_dicts(self) -> list[dict]:
        """One JSON-shaped object per site (what ``check.json`` lists under ``sites``).

        Each child table's records are made in one pass over its columns, then split into one list per site.
        """
        s = self.sites
        n = len(s)
        children = [_per_site(df, n, _records(df, keys, record)) for df, keys, record in (
            (self.site_layers, _SITE_LAYER_KEYS, _site_layer_record), (self.hits, _HIT_KEYS, _hit_record),
            (self.nearest, _NEAREST_KEYS, _nearest_record), (self.distance_rules, _DISTANCE_KEYS, _distance_record),
            (self.findings, _FINDING_KEYS, _finding_record))]
        cols = {c: _py(s[c]) for c in _SITE_COLUMNS if c != "verdict_text"}
        cols["verdict_text"] = _py(s["verdict_text"]) if "verdict_text" in s.columns else cols["verdict"]
        out = list(map(_site_record, *(cols[c] for c in _SITE_COLUMNS), *children))
        if "location" in s.columns:
            for rec, location in zip(out, _py(s["location"]), strict=True):
                rec["location"] = location
        return out

    def to_dict(self) -> dict:
        """The JSON-shaped result, as ``redline check --json`` prints it."""
        out = {"sites": self.site_dicts(), "summary": self.summary, "analysis": self.analysis,
               "layers": self.layers, "rules": self.rules, "warnings": self.warnings}
        if self.project is not None:
            out["project"] = self.project
        if self.provenance is not None:
            out["provenance"] = self.provenance
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text (UTF-8 Chinese as text, 2-space indent)."""
        from redline.layers.outputs import to_json

        return to_json(self.to_dict())

    @classmethod
    def from_dict(cls, js: dict) -> CheckResult:
        """The tables of a check from its JSON (what :meth:`to_dict` gives and ``check.json`` holds): the
        inverse of :meth:`to_dict`, without the sites' geometries (not in the JSON)."""
        sites = js.get("sites", [])
        n = len(sites)
        keys = ("site_id", "name", "geometry_type", "area_m2", "area_ha", "length_m", "verdict", "project_type",
                "project_type_label", "type_source", "source")
        table = {k: [s.get(k) for s in sites] for k in keys}
        table["verdict_text"] = [s.get("verdict_text") or s.get("verdict") for s in sites]
        table["inside_coverage"] = [(s.get("coverage") or {}).get("inside", True) for s in sites]
        table["outside_m2"] = [(s.get("coverage") or {}).get("outside_m2", 0.0) for s in sites]
        table["outside_length_m"] = [(s.get("coverage") or {}).get("outside_length_m", 0.0) for s in sites]
        table["warnings"] = [list(s.get("warnings") or []) for s in sites]
        if any("location" in s for s in sites):
            table["location"] = [s.get("location") for s in sites]
        frame = gpd.GeoDataFrame(pd.DataFrame(table), geometry=gpd.GeoSeries([None] * n))
        for col in ("area_m2", "area_ha", "length_m", "outside_m2", "outside_length_m"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)

        def child(key: str, columns: tuple[str, ...]) -> pd.DataFrame:
            rows = [(i, s["site_id"], *(item.get(c) for c in columns))
                    for i, s in enumerate(sites) for item in s.get(key) or []]
            return pd.DataFrame(rows, columns=["site", "site_id", *columns])

        hits = child("hits", _HIT_KEYS)
        # line-across-line crossings are counts or None: kept as they are (not floats, 1 written back as 1.0)
        hits["crossings"] = pd.Series([h.get("crossings") for s in sites for h in s.get("hits") or []],
                                      dtype=object)

        findings = child("findings", _FINDING_KEYS)
        return cls(sites=frame, site_layers=child("layers", _SITE_LAYER_KEYS), hits=hits,
                   nearest=child("nearest", _NEAREST_KEYS), distance_rules=child("distance_rules", _DISTANCE_KEYS),
                   findings=findings, analysis=js.get("analysis", {}), layers=js.get("layers", []),
                   rules=js.get("rules", []), warnings=js.get("warnings", []), project=js.get("project"),
                   provenance=js.get("provenance"))

    def head(self, n: int) -> CheckResult:
        """The result of the first ``n`` sites only (e.g. for a report's maps)."""
        return select_sites(self, np.arange(min(n, len(self.sites))))


def select_sites(result: CheckResult, rows: np.ndarray) -> CheckResult:
    """The result restricted to the sites at positions ``rows`` (in that order), renumbered."""
    rows = np.asarray(rows, dtype=np.int64)
    new = np.full(len(result.sites), -1, dtype=np.int64)
    new[rows] = np.arange(len(rows))
    tables = {"sites": result.sites.iloc[rows].reset_index(drop=True)}
    for name in TABLES[1:]:
        df = getattr(result, name)
        keep = df[new[df["site"].to_numpy(dtype=np.int64)] >= 0].copy()
        keep["site"] = new[keep["site"].to_numpy(dtype=np.int64)]
        tables[name] = keep.iloc[np.argsort(keep["site"].to_numpy(), kind="stable")].reset_index(drop=True)
    return dataclasses.replace(result, **tables)


def concat_results(parts: list[CheckResult]) -> CheckResult:
    """One result from the results of batches of sites, in the order given.

    The tables are concatenated (site rows renumbered), and the warnings are the first batch's followed by
    those of later batches not already there (the batches share the layers' warnings).
    """
    if not parts:
        raise ValueError("no batch to combine")
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [len(p.sites) for p in parts[:-1]])
    tables = {"sites": gpd.GeoDataFrame(pd.concat([p.sites for p in parts], ignore_index=True),
                                        geometry=parts[0].sites.geometry.name, crs=parts[0].sites.crs)}
    for name in TABLES[1:]:
        frames = []
        for off, p in zip(offsets.tolist(), parts, strict=True):
            df = getattr(p, name)
            if len(df):
                df = df.copy()
                df["site"] = df["site"].to_numpy(dtype=np.int64) + off
                frames.append(df)
        tables[name] = pd.concat(frames, ignore_index=True) if frames else getattr(parts[0], name)
    warnings = list(parts[0].warnings)
    seen = set(warnings)
    for p in parts[1:]:
        for w in p.warnings:
            if w not in seen:
                seen.add(w)
                warnings.append(w)
    return dataclasses.replace(parts[0], warnings=warnings, **tables)
