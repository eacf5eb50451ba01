"""The outputs of a site check, built in memory from its result: ``check.json``, ``sites.csv``, ``hits.csv``,
``check.xlsx`` and the 压覆分析报告 (``.html``, ``.docx``).

The result is the dict ``redline check --json`` prints (``sites``, each with its ``layers``, ``hits``,
``nearest`` and ``findings``, and ``summary``, ``analysis``, ``layers``, ``rules``, ``warnings``,
``provenance``). Every output takes time linear in the number of sites: the CSV and XLSX files hold every
site; the report holds at most ``report_sites`` full site sections and a summary of the rest (see
:mod:`redline.maps.report.check_content`).

Example
-------
>>> result = {"sites": [], "summary": {"sites": 0, "verdicts": {}},
...           "provenance": {"tool_version": "0.1", "created": "2026-11-20T10:00:00+08:00", "inputs": []}}
>>> sorted(check_outputs(result))
['check.json', 'check.xlsx', 'hits.csv', 'sites.csv', '压覆分析报告.docx', '压覆分析报告.html']
>>> sorted(check_report(result))
['压覆分析报告.docx', '压覆分析报告.html']
"""

from __future__ import annotations

import warnings

from redline.maps.report.check_content import DEFAULT_REPORT_SITES, detailed_sites, report_content
from redline.maps.report.tables import ReportWarning

__all__ = ["MAX_MAP_SITES", "REPORT_NAME", "ReportWarning", "check_outputs", "check_report", "report_images"]

REPORT_NAME = "压覆分析报告"
MAX_MAP_SITES = 20      # report maps are drawn for the first this many detailed sites


def check_report(result: dict, *, images: dict | None = None,
                 report_sites: int = DEFAULT_REPORT_SITES) -> dict[str, bytes]:
    """The 压覆分析报告 of a check result as HTML (self-contained, UTF-8) and DOCX (A4).

    Parameters
    ----------
    result : dict
        The check result with its ``provenance`` (the content of ``check.json``).
    images : dict, optional
        ``{site_id: {"overview": png bytes, "layers": {layer id: png bytes}}}``, e.g. from
        :func:`redline.maps.report.figures.site_images`.
    report_sites : int
        Full sections for at most this many sites, those not 符合 first; the report summarises the
        others and points to the CSV/XLSX tables.

    Returns
    -------
    dict
        ``{"压覆分析报告.html": bytes, "压覆分析报告.docx": bytes}``.
    """
    from redline.maps.report.check_docx import report_docx
    from redline.maps.report.check_html import report_html

    content = report_content(result, images=images, report_sites=report_sites)
    return {f"{REPORT_NAME}.html": report_html(content).encode("utf-8"),
            f"{REPORT_NAME}.docx": report_docx(content)}


def report_images(result: dict, sites, layers: dict, kinds: dict, labels: dict, *, project=None,
                  report_sites: int = DEFAULT_REPORT_SITES, max_sites: int = MAX_MAP_SITES,
                  region: list | None = None) -> dict:
    """The report's maps, for the first ``max_sites`` of the sites that get a full section.

    Without a CJK font the maps cannot be drawn: a :class:`ReportWarning` says so and no map is returned.
    """
    from redline.layers.errors import RedlineError
    from redline.maps.report.figures import site_images

    all_sites = result.get("sites", [])
    chosen = [str(all_sites[i]["site_id"]) for i in detailed_sites(result, report_sites)]
    if not chosen:
        return {}
    try:
        images = site_images(result, sites, layers, kinds, labels, project=project, max_sites=max_sites,
                             site_ids=chosen, region=region)
    except RedlineError as exc:  # no CJK font: the report is written without maps, and says so
        warnings.warn(f"report maps not drawn: {exc}", ReportWarning, stacklevel=2)
        return {}
    if len(chosen) > max_sites:
        warnings.warn(f"report maps drawn for the first {max_sites} of {len(chosen)} sites in the report",
                      ReportWarning, stacklevel=2)
    return images


def check_outputs(result: dict, *, sites=None, layers: dict | None = None, kinds: dict | None = None,
                  labels: dict | None = None, project=None, maps: bool = True,
                  report_sites: int = DEFAULT_REPORT_SITES, region: list | None = None) -> dict[str, bytes]:
    """Every output file of a check, in memory: ``{file name: bytes}``, ready to be written.

    Parameters
    ----------
    result : dict
        The check result with its ``provenance``.
    sites : GeoDataFrame, optional
        The sites in the analysis CRS (with ``site_id``), for the report's maps.
    layers, kinds, labels : dict, optional
        The control and boundary layers by id (analysis CRS), their kinds and labels, for the maps.
    project : redline.layers.project.Project, optional
        For the map styles.
    region : list of GeoDataFrame, optional
        The region's boundary layers (county and townships) for the overviews' locator; default the
        boundary layers among ``layers``.
    maps : bool
        Draw the report's maps (needs ``sites`` and ``layers``, and a CJK font).
    report_sites : int
        Full report sections for at most this many sites (see :func:`check_report`).
    """
    from redline.layers.outputs import to_json
    from redline.maps.report.tables import check_xlsx
    from redline.spatial.check_tables import hit_rows, site_rows, to_csv

    images = {}
    if maps and sites is not None and layers is not None:
        images = report_images(result, sites, layers, kinds or {}, labels or {}, project=project,
                               report_sites=report_sites, region=region)
    return {
        "check.json": (to_json(result) + "\n").encode("utf-8"),
        "sites.csv": to_csv(site_rows(result)),
        "hits.csv": to_csv(hit_rows(result)),
        "check.xlsx": check_xlsx(result),
        **check_report(result, images=images, report_sites=report_sites),
    }
