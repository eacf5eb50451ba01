"""redline: a GIS toolkit for Chinese land-use and ecological planning.

Load planning layers from the files users have, compute official areas and shares (ellipsoidal, CGCS2000,
dissolved, in 公顷 / km² / 亩 with tables that add up), check project sites against control zones with the
rule clauses that apply, render offline web maps, structure diagrams and print maps, and audit the figures of
layers and plan texts. GeoDataFrames in, GeoDataFrames and DataFrames out, as with geopandas.

The library is in three packages: :mod:`redline.layers` (data in and out), :mod:`redline.spatial`
(computation) and :mod:`redline.maps` (maps, reports, tables). This module exports the public API:

==================================  ===========================================================
:func:`read_layer`                  a planning layer (Shapefile, GeoPackage, 国土TXT …) as a GeoDataFrame
:class:`Project`                    a region's ``redline.toml``: ``Project.load(path)``, ``.layer(id)``
:func:`area`                        dissolved area, share of a boundary, breakdown → :class:`AreaResult`
:func:`check`                       sites against control layers, with verdicts → :class:`CheckResult`
:func:`check_stream`                millions of sites, chunk by chunk, into CSV files
:func:`project_types`               the project types a check knows (id, Chinese label, description)
:func:`area_xlsx`                   an :class:`AreaResult` as an Excel sheet
:func:`audit`                       a project's layers → :class:`AuditResult`
:func:`audit_text`                  the figures of a plan text → :class:`TextAudit`
:func:`raster_share`                raster class shares inside zones
:func:`web_map`, :func:`print_map`  offline web map, print-ready appendix map
:func:`structure_map`               the plan's structure diagram (规划结构图)
:func:`check_report`                the 压覆分析报告 of a check (HTML, DOCX)
:func:`demo`                        write the fictional demo region 示范县
==================================  ===========================================================

The names are imported when first used, so ``import redline`` (and the ``redline`` command) starts fast.

Example
-------
>>> import redline, tempfile, os
>>> project = redline.Project.load(redline.demo(os.path.join(tempfile.mkdtemp(), "demo")))
>>> result = redline.check(project.base / "sites" / "项目选址.gpkg", project)
>>> result.sites["verdict"].value_counts().sort_index().to_dict()
{'不符合': 3, '需论证': 5}
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "read_layer": "redline.reading", "LayerInfo": "redline.reading", "layer_info": "redline.reading",
    "Project": "redline.reading",
    "area": "redline.measuring", "AreaResult": "redline.measuring",
    "check": "redline.checking", "check_stream": "redline.checking", "CheckResult": "redline.checking",
    "project_types": "redline.checking", "area_xlsx": "redline.measuring",
    "audit": "redline.auditing", "AuditResult": "redline.auditing", "audit_text": "redline.auditing",
    "TextAudit": "redline.auditing", "raster_share": "redline.auditing",
    "web_map": "redline.drawing", "print_map": "redline.drawing", "structure_map": "redline.drawing",
    "check_report": "redline.drawing",
}

__all__ = sorted([*_EXPORTS, "demo", "__version__"])


def __getattr__(name: str):
    """Import a public name on first use (PEP 562)."""
    if name == "__version__":
        from redline.layers.outputs import tool_version

        return tool_version()
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'redline' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


def demo(out_dir, *, seed: int = 2026):
    """Write the fictional demo county 示范县（虚构） into ``out_dir``: layers in the formats users have (a GBK
    Shapefile without ``.cpg``, a GeoPackage, GeoJSON, a GeoTIFF), project sites, a structure layout, a plan
    text and ``redline.toml``. Returns the path of ``redline.toml``. The same seed gives the same files."""
    from redline.layers.demo import generate_demo

    return generate_demo(out_dir, seed=seed)
