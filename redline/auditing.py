"""Audits from Python: a project's layers (:func:`audit`), a plan text (:func:`audit_text`), and raster class
shares (:func:`raster_share`).

Example
-------
>>> import redline
>>> t = redline.audit_text("全县国土面积2000平方千米，生态保护红线面积500平方千米，占全县国土面积的30%。")
>>> t.claims[["subject", "value", "unit"]].values.tolist()[:2]
[['国土总面积', 2000.0, 'km2'], ['生态保护红线', 500.0, 'km2']]
>>> t.inconsistent                                  # 500 / 2000 is 25 %, not 30 %
True
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from redline.layers.errors import UsageError
from redline.layers.outputs import file_record, provenance
from redline.reading import as_project, layer_ref

__all__ = ["AuditResult", "TextAudit", "audit", "audit_text", "plan_rules", "raster_share"]


@dataclass
class AuditResult:
    """A layer audit: ``findings`` (one row per finding: ``kind``, ``layer``, ``feature``, ``message``) and
    the full result (``data``: declared areas, totals, stated figures, overlaps, boundary gaps …), whose
    JSON is :meth:`to_dict`."""

    data: dict
    findings: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.findings = pd.DataFrame(self.data["findings"], columns=["kind", "layer", "feature", "message"])

    @property
    def warnings(self) -> list[str]:
        return self.data["warnings"]

    def to_dict(self) -> dict:
        """What ``redline audit --json`` prints."""
        return self.data


def audit(project=None, *, stated: str | None = None, stated_share: float | str | None = None,
          stated_layer: str | None = None, tolerance: float | None = None,
          min_area_m2: float | None = None) -> AuditResult:
    """Audit a project's layers: declared areas against computed ones, stated figures with their implied
    totals, overlaps of the three control lines, protected zones outside the red line, gaps and slivers of
    the townships against the county.

    Parameters
    ----------
    project : Project or path, optional
        Default: ``redline.toml`` in the current folder.
    stated, stated_share : optional
        A stated area as written (``"28466.876公顷"``) and its stated share of the boundary (``13.83``).
    stated_layer : str, optional
        The layer the stated figures are about (default the red line).
    tolerance : float, optional
        Relative tolerance in percent (default 0.5; the rounding of a declared value is always allowed).
    min_area_m2 : float, optional
        Overlaps, gaps and slivers smaller than this are counted, not listed (default 1 m²).
    """
    from redline.spatial.audit import audit_layers

    p = as_project(project)
    if p is None:
        raise UsageError("no project file: give --project or run in a folder with redline.toml")
    result = audit_layers(p, stated=stated, stated_share=stated_share, stated_layer=stated_layer,
                          tolerance=tolerance, min_area_m2=min_area_m2)
    records: dict[str, dict] = {}
    for i in result.pop("inputs"):
        rec = records.get(i["path"])
        if rec is None:
            rec = records[i["path"]] = file_record(i["path"], vintage=i["vintage"], source=i["source"])
            rec["layers"] = []
        rec["layers"].append(i["layer"])
    result["provenance"] = provenance(
        [file_record(p.path), *records.values()], area_method=(result.get("method") or {}).get("description"),
        tolerance_pct=result["tolerance_pct"], min_area_m2=result["min_area_m2"])
    return AuditResult(result)


@dataclass
class TextAudit:
    """A plan-text audit: ``claims`` (one row per figure: ``line``, ``text``, ``subject``, ``value``,
    ``unit``, ``value_m2``, ``share_pct`` …), ``findings`` (``kind``, ``lines``, ``message``), and the full
    result (``data``) whose JSON is :meth:`to_dict`."""

    data: dict
    plan_rules: list = field(default_factory=list)
    claims: pd.DataFrame = field(init=False)
    findings: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.claims = pd.DataFrame(self.data["claims"])
        self.findings = pd.DataFrame(self.data["findings"], columns=["kind", "lines", "message"]
                                     if not self.data["findings"] else None)

    @property
    def inconsistent(self) -> bool:
        """Whether a figure contradicts another or the computed one."""
        from redline.spatial.plantext import INCONSISTENT_KINDS

        return any(f["kind"] in INCONSISTENT_KINDS for f in self.data["findings"])

    def to_dict(self) -> dict:
        """What ``redline audit-text --json`` prints."""
        return self.data

    def labelled_findings(self) -> list[dict]:
        """The findings as :meth:`to_dict` lists them, each with ``label`` (the kind in Chinese, as the
        command's table shows it) and ``inconsistent`` (whether it is a contradiction).

        >>> import redline
        >>> t = redline.audit_text("全县国土面积2000平方千米，生态保护红线面积500平方千米，占全县国土面积的30%。")
        >>> [f["inconsistent"] for f in t.labelled_findings()]
        [True]
        """
        from redline.spatial.plantext import FINDING_LABELS, INCONSISTENT_KINDS

        return [{**f, "label": FINDING_LABELS.get(f["kind"], f["kind"]), "inconsistent": f["kind"] in INCONSISTENT_KINDS}
                for f in self.data["findings"]]

    def rules_toml(self) -> str:
        """The plan's distance rules (``rules=True``) as a draft ``[[rules.distance]]`` TOML block, each rule
        with its clause and a ``where`` on the feature names, for an officer to review and paste into
        ``redline.toml``."""
        from redline.spatial.plantext.rules import rules_toml

        name = Path(self.data["path"]).name if self.data.get("path") else "plan"
        return rules_toml(self.plan_rules, name)


def plan_rules(text: str, project=None) -> list:
    """The spatial rules a plan text states (“…河干流沿岸堤外100米范围内禁止…”): line, clause, features,
    distance, where it is measured from, activities and level; with a project, each named feature is
    matched against the names in its layers (a name matching nothing is marked)."""
    from redline.spatial.plantext.rules import extract_rules, match_features

    rules = extract_rules(text)
    if project is not None and rules:
        wanted = {r.feature_kind for r in rules}
        if None in wanted:
            wanted |= {"river", "road", "protected_area", "water_source_zone"}
        layers = {}
        for spec in project.layers.values():
            if spec.kind in wanted:
                gdf = project.layer(spec.id)
                names = [str(v) for v in gdf["name"].dropna()] if "name" in gdf.columns else []
                layers[spec.id] = (spec.kind, names)
        match_features(rules, layers)
    return rules


def audit_text(plan: str | os.PathLike, *, boundary=None, project=None, encoding: str | None = None,
               rules: bool = False) -> TextAudit:
    """Extract every area, share and length figure of a plan text and check them: implied totals against
    stated totals, one subject stated with different values, shares over 100 %, unit slips and, with a
    boundary or a project, stated against computed areas.

    Parameters
    ----------
    plan : path or str
        A plan text file (UTF-8, GBK/GB18030 or UTF-16), or the text itself (a string that is not the path of
        a file).
    boundary : GeoDataFrame or path, optional
        The plan region's boundary: its ellipsoidal area is compared with the stated totals.
    project : Project or path, optional
        Compare with the project's boundary and the areas of its control layers.
    encoding : str, optional
        The text's encoding (default: detected).
    rules : bool
        Also list the distance rules the plan states (``data["rules"]``, :meth:`TextAudit.rules_toml`).
    """
    from redline.spatial.plantext import audit_text as run
    from redline.spatial.plantext import project_figures, read_plan_text
    from redline.spatial.plantext.audit import boundary_area_m2

    boundary_m2, computed, inputs, p = None, {}, [], None
    if project is not None:
        p = as_project(project)
        boundary_m2, computed = project_figures(p)
        inputs.append(file_record(p.path))
    if boundary is not None:
        gdf, rec = layer_ref(boundary)
        boundary_m2 = boundary_area_m2(gdf)
        if rec is not None:
            inputs.append(rec)
    if isinstance(plan, str) and not os.path.exists(plan) and ("\n" in plan or len(plan) > 255
                                                               or not Path(plan).suffix):
        with tempfile.TemporaryDirectory() as d:   # text given inline: audited as a UTF-8 file of that text
            f = Path(d) / "plan.txt"
            f.write_text(plan, encoding="utf-8")
            result = run(f, boundary_m2=boundary_m2, computed=computed or None)
            text = plan
        result["path"] = None
    else:
        result = run(plan, boundary_m2=boundary_m2, computed=computed or None, encoding=encoding)
        text = read_plan_text(plan, encoding)[0] if rules else ""
        inputs.insert(0, file_record(plan))
    found = plan_rules(text, p) if rules else []
    if rules:
        result["rules"] = [r.to_dict() for r in found]
    result["provenance"] = provenance(inputs, area_method="ellipsoidal (CGCS2000 / the layer's ellipsoid)"
                                      if boundary_m2 is not None or computed else None)
    return TextAudit(result, plan_rules=found)


def raster_share(raster, zones, *, by: str | None = None, band: int = 1, project=None, gcj02: bool = False) -> dict:
    """The share of each raster class (e.g. land cover) inside each zone, partial cells weighted by their
    covered fraction (exactextract); shares of the valid area add up to 100 per zone (平差 to 2 decimals).

    Parameters
    ----------
    raster : path or str
        A raster file, or a raster id of the project's ``[raster]`` table.
    zones : GeoDataFrame, path (``PATH:LAYER`` names a layer inside a file) or layer id
        The zone polygons.
    by : str, optional
        Group zones by this field (a group's features dissolved).
    project : Project or path, optional
        Resolves ids and the land-cover classes; default ``redline.toml`` in the current folder.
    gcj02 : bool
        The zones file is longitude/latitude in GCJ-02 (高德/腾讯 exports): converted on reading.

    Returns
    -------
    dict
        ``raster``, ``area_method``, ``classes``, ``zones`` (each with ``classes`` and their shares),
        ``total``, ``warnings``, ``provenance`` (what ``redline raster-share --json`` prints).
    """
    from redline.layers.info import layer_info
    from redline.spatial.raster import project_classes, raster_shares, resolve_raster

    p = as_project(project)
    path = resolve_raster(raster, p)
    gdf, zrec = layer_ref(zones, p, gcj02=gcj02)
    if gcj02:
        from redline.layers.gcj02 import converted_from_gcj02

        if not converted_from_gcj02(gdf):
            raise UsageError("--from-gcj02: the zones are not a file in longitude/latitude, so they cannot be "
                             "GCJ-02 (a project layer says it with datum = \"gcj02\")")
    result = raster_shares(path, gdf, by=by, classes=project_classes(p), band=band)
    name = "zones" if hasattr(zones, "geometry") else str(zones)
    result["warnings"] = [f"{name}: {w}" for w in layer_info(gdf).warnings] + result["warnings"]
    inputs = [file_record(path)] + ([zrec] if zrec else []) + ([file_record(p.path)] if p is not None else [])
    result["provenance"] = provenance(inputs, area_method=result["area_method"]["description"])
    return result
