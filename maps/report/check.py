"""The outputs of a site check, built in memory from its result: ``check.json``, ``sites.csv``, ``hits.csv``,
``check.xlsx`` and the 压覆分析报告 (``.html``, ``.docx``).

:func:`check_outputs` takes the result's tables (:class:`~redline.spatial.check.result.CheckResult`): the CSV
files and the workbook are made from them a table at a time (:mod:`redline.spatial.check.frames`,
:mod:`redline.maps.report.xlsx`), the JSON from its ``to_dict()``. :func:`check_report` takes that JSON-shaped
dict. Every output takes time linear in the number of sites: the CSV and XLSX files hold every site; the
report holds at most ``report_sites`` full site sections and a summary of the rest (see
:mod:`redline.maps.report.check_content`).

Example
-------
>>> from redline.spatial.check import CheckResult
>>> result = {"sites": [], "summary": {"sites": 0, "verdicts": {}},
...           "provenance": {"tool_version": "0.1", "created": "2026-11-20T10:00:00+08:00", "inputs": []}}
>>> sorted(check_outputs(CheckResult.from_dict(result)))
['check.json', 'check.xlsx', 'hits.csv', 'sites.csv', '压覆分析报告.docx', '压覆分析报告.html']
>>> sorted(check_report(result))
['压覆分析报告.docx', '压覆分析报告.html']
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

from redline.maps.report.check_content import DEFAULT_REPORT_SITES, detailed_sites, report_content
from redline.maps.report.tables import ReportWarning

__all__ = ["MAX_MAP_SITES", "OUTPUTS", "REPORT_NAME", "ReportWarning", "check_outputs", "check_report",
           "output_names", "output_parts", "report_images"]

REPORT_NAME = "压覆分析报告"
MAX_MAP_SITES = 20      # report maps are drawn for the first this many detailed sites
SPLIT_MAPS_MAX_SITES = 20_000   # up to this many sites checked, the maps are drawn in two children
FORKED_CSV_SITES = 50_000      # from this many sites, the CSV files are written by children (when writing files)


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
    from redline.layers.provenance_formats import html_block
    from redline.maps.report.check_docx import report_docx
    from redline.maps.report.check_html import report_html

    content = report_content(result, images=images, report_sites=report_sites)
    page = report_html(content)
    prov = result.get("provenance")
    if prov is not None:   # a JSON data block, never run: for `redline verify`
        page = page.replace("</head>", html_block(prov) + "\n</head>", 1)
    return {f"{REPORT_NAME}.html": page.encode("utf-8"),
            f"{REPORT_NAME}.docx": report_docx(content, provenance=prov)}


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


OUTPUTS = ("json", "csv", "xlsx", "report")   # check.json; sites.csv and hits.csv; check.xlsx; the report


def check_outputs(result, *, maps: bool = True, report_sites: int = DEFAULT_REPORT_SITES,
                  outputs=OUTPUTS) -> dict[str, bytes]:
    """Output files of a check, in memory: ``{file name: bytes}``, ready to be written.

    Parameters
    ----------
    result : redline.spatial.check.CheckResult
        The check, with its ``provenance``; its ``context`` (the prepared layers and the project) gives the
        report's maps.
    maps : bool
        Draw the report's maps (needs the context, and a CJK font).
    report_sites : int
        Full report sections for at most this many sites (see :func:`check_report`).
    outputs : collection of str
        Which of :data:`OUTPUTS` to build (default all).
    """
    files = {name: b"".join(parts) for name, parts in output_parts(result, maps=maps, report_sites=report_sites,
                                                                    outputs=outputs)}
    return {name: files[name] for name in FILES if name in files}


def output_names(outputs=OUTPUTS) -> list[str]:
    """The files :func:`output_parts` makes for ``outputs``.

    >>> output_names(("csv", "report"))
    ['sites.csv', 'hits.csv', '压覆分析报告.html', '压覆分析报告.docx']
    """
    return [name for name in FILES if any(name in MADE[o] for o in outputs)]


def output_parts(result, *, maps: bool = True, report_sites: int = DEFAULT_REPORT_SITES,
                 outputs=OUTPUTS, files: bool = False) -> Iterator[tuple[str, object]]:
    """:func:`check_outputs` one file at a time: ``(file name, its content in parts)``, each file's parts to be
    taken (written) before the next file is asked for. The CSV files come in blocks of rows, so that they are
    written without being held whole; :func:`output_names` lists the files.

    With ``files`` (for :func:`redline.layers.outputs.write_parts`), a large ``sites.csv`` comes as a function
    that writes it at a given path in a child process, while this one makes ``hits.csv``.
    """
    from redline.layers.forking import Forked
    from redline.layers.outputs import gc_paused
    from redline.maps.report.tables import check_xlsx
    from redline.spatial.check import select_sites
    from redline.spatial.check.frames import hit_frame, site_frame

    # the workbook and the report's maps are made in child processes (the other core) meanwhile; the maps,
    # the longest part for a few thousand sites, in two halves. The site and hit tables, in both the CSV files
    # and the workbook, are made once, before the workbook's child.
    tables = {}
    if "xlsx" in outputs:
        with gc_paused():
            tables = {"sites": site_frame(result), "hits": hit_frame(result)}
    xlsx_job = Forked(lambda: check_xlsx(result, **tables)) if "xlsx" in outputs else None
    image_jobs = []
    ctx = result.context
    if "report" in outputs and maps and ctx is not None and len(result.sites):
        verdicts = [{"verdict": v} for v in result.sites["verdict"].tolist()]
        detailed = detailed_sites({"sites": verdicts}, report_sites)
        if len(detailed) > MAX_MAP_SITES:
            warnings.warn(f"report maps drawn for the first {MAX_MAP_SITES} of {len(detailed)} sites in the report",
                          ReportWarning, stacklevel=2)
        p = ctx.prepared
        # the region for the overviews' locator: its boundary layers, and the townships (a city's counties)
        region = [g for lid, g in p.layers.items() if p.kinds[lid] == "boundary"]
        if ctx.towns is not None:
            region.append(ctx.towns)
        chosen = list(detailed[:MAX_MAP_SITES])
        # two children (two halves) when the maps are the longest part; with many sites the tables keep both
        # cores busy, and one child imports matplotlib once
        halves = len(result.sites) <= SPLIT_MAPS_MAX_SITES
        parts = (chosen[: (len(chosen) + 1) // 2], chosen[(len(chosen) + 1) // 2:]) if halves else (chosen,)
        for part in parts:
            if part:
                drawn = select_sites(result, part)
                image_jobs.append(Forked(lambda drawn=drawn: report_images(
                    drawn.to_dict(), drawn.sites, p.layers, p.kinds, p.labels, project=ctx.project,
                    report_sites=len(drawn.sites), region=region)))
    try:
        yield from _made_files(result, outputs, files, tables, image_jobs, report_sites)
        if xlsx_job is not None:
            yield "check.xlsx", iter([xlsx_job.result()])
    except BaseException:        # a failed write (or one given up): the children still working are stopped
        for job in [xlsx_job, *image_jobs]:
            if job is not None:
                job.cancel()
        raise


def _made_files(result, outputs, files: bool, tables: dict, image_jobs: list, report_sites: int
                ) -> Iterator[tuple[str, object]]:
    """The files this process makes, as :func:`output_parts` gives them."""
    from redline.layers.forking import Forked, can_fork
    from redline.layers.outputs import gc_paused, json_bytes, write_blocks
    from redline.spatial.check.frames import csv_blocks, hit_frame, site_frame

    sites, hits = tables.get("sites"), tables.get("hits")
    csv = "csv" in outputs
    with gc_paused():       # millions of rows, dicts and texts made at once: no collections meanwhile
        if csv and files and len(result.sites) >= FORKED_CSV_SITES and can_fork():
            # the CSV files made and written by children (the other core) while this process makes the JSON
            csv = False
            yield "sites.csv", lambda path: Forked(lambda: write_blocks(path, csv_blocks(
                sites if sites is not None else site_frame(result))))
            yield "hits.csv", lambda path: Forked(lambda: write_blocks(path, csv_blocks(
                hits if hits is not None else hit_frame(result))))
        js = result.to_dict() if {"json", "report"} & set(outputs) else None
        if "json" in outputs:
            yield "check.json", iter([json_bytes(js, newline=True)])
        if csv:
            yield "sites.csv", csv_blocks(sites if sites is not None else site_frame(result))
            yield "hits.csv", csv_blocks(hits if hits is not None else hit_frame(result))
        if "report" in outputs:
            images = {k: v for job in image_jobs for k, v in job.result().items()}
            for name, data in check_report(js, images=images, report_sites=report_sites).items():
                yield name, iter([data])
        # the dict's millions of objects freed now (0.3 s for 100,000 sites), while the workbook's child works
        del js


FILES = ("check.json", "sites.csv", "hits.csv", "check.xlsx", f"{REPORT_NAME}.html", f"{REPORT_NAME}.docx")
MADE = {"json": ("check.json",), "csv": ("sites.csv", "hits.csv"), "xlsx": ("check.xlsx",),
        "report": (f"{REPORT_NAME}.html", f"{REPORT_NAME}.docx")}
