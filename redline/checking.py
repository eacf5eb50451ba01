"""Site checks (压覆分析) from Python: :func:`check` and :func:`check_stream`.

Example
-------
>>> import redline, geopandas as gpd, shapely
>>> rl = gpd.GeoDataFrame({"name": ["红线一"]}, geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000,
...                       4_201_000)], crs=4525)
>>> sites = gpd.GeoDataFrame({"XMMC": ["矿山"]}, geometry=[shapely.box(37_500_500, 4_200_000, 37_501_500,
...                          4_201_000)], crs=4525)
>>> r = redline.check(sites, {"red_line": rl}, project_type="mining")
>>> r.sites[["name", "verdict"]].values.tolist()
[['矿山', '不符合']]
>>> r.hits[["feature_name", "overlap_m2"]].round(-3).values.tolist()        # half the 1 km² site
[['红线一', 500000.0]]
"""

from __future__ import annotations

import dataclasses
import gc
import os
import time
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd

from redline.layers.errors import UsageError
from redline.layers.outputs import provenance
from redline.layers.project import Project
from redline.reading import as_project
from redline.spatial.check import CheckResult as _Tables
from redline.spatial.check import (
    check_chunk,
    finish,
    load_check_layers,
    map_chunks,
    parse_layer_args,
    site_source,
)
from redline.spatial.check.kernel import DEFAULT_MAX_DISTANCE

__all__ = ["OUTPUTS", "OUTPUT_FILES", "CheckResult", "check", "check_stream", "project_types"]

OUTPUT_FILES = ("check.json", "sites.csv", "hits.csv", "check.xlsx", "压覆分析报告.html", "压覆分析报告.docx")
OUTPUTS = ("json", "csv", "xlsx", "report")
DEFAULT_CHUNK = 50_000     # sites per --stream chunk: two workers and this process stay under 2 GB


class CheckResult(_Tables):
    """The result of :func:`check`: the tables of :class:`redline.spatial.check.CheckResult` (``sites``,
    ``site_layers``, ``hits``, ``nearest``, ``distance_rules``, ``findings``), its JSON (:meth:`to_json`),
    and the files an officer attaches (:meth:`to_files`, :meth:`report`)."""

    def report(self, *, maps: bool = True, report_sites: int | None = None) -> dict[str, bytes]:
        """The 压覆分析报告 as ``{"压覆分析报告.html": ..., "压覆分析报告.docx": ...}`` (see
        :func:`redline.check_report`)."""
        from redline.drawing import check_report

        return check_report(self, maps=maps, report_sites=report_sites)

    def outputs(self, *, maps: bool = True, report_sites: int | None = None, notes: list[str] | None = None,
                outputs=OUTPUTS) -> dict[str, bytes]:
        """Output files' content, built in memory: ``check.json``, ``sites.csv``, ``hits.csv``,
        ``check.xlsx`` and the report (HTML, DOCX); see :func:`redline.drawing.check_outputs`."""
        from redline.drawing import check_outputs

        return check_outputs(self, maps=maps, report_sites=report_sites, notes=notes, outputs=outputs)

    def to_files(self, folder: str | os.PathLike, *, maps: bool = True, report_sites: int | None = None,
                 notes: list[str] | None = None, outputs=OUTPUTS) -> list[Path]:
        """Write :meth:`outputs` into ``folder``, all together or not at all; other files there are left alone.
        Returns the paths written.

        Parameters
        ----------
        maps : bool
            Draw the report's maps.
        report_sites : int, optional
            Full report sections for at most this many sites, those not 符合 first (default 50).
        notes : list, optional
            Receives what the user should be told about the outputs.
        outputs : collection of str
            Which outputs: ``json`` (check.json), ``csv`` (sites.csv, hits.csv), ``xlsx`` (check.xlsx),
            ``report`` (压覆分析报告.html, .docx); default all.
        """
        from redline.drawing import write_check_outputs

        return write_check_outputs(self, folder, maps=maps, report_sites=report_sites, notes=notes, outputs=outputs)


def project_types() -> list[dict]:
    """The project types a check knows (``check(..., project_type=...)`` takes the ``id`` or the ``label``),
    in the order of ``spatial/data/project_types.toml``: ``id``, ``label`` (Chinese), ``description``.

    >>> [t["label"] for t in project_types() if t["id"] == "housing"]
    ['住宅及城镇建设']
    """
    from redline.spatial.rules import project_types as table

    return [{"id": t.id, "label": t.label, "description": t.description} for t in table().values()]


def _layers_or_project(layers_or_project) -> tuple[Project | None, list]:
    """A project, or ``--layer``-style ``(kind, path or GeoDataFrame)`` pairs."""
    if isinstance(layers_or_project, Mapping):
        return None, [(str(kind), ref if isinstance(ref, gpd.GeoDataFrame) else str(ref))
                      for kind, ref in layers_or_project.items()]
    if isinstance(layers_or_project, (list, tuple)):
        return None, parse_layer_args(layers_or_project)
    project = as_project(layers_or_project)
    if project is None:
        raise UsageError("nothing to check against: give --project redline.toml (or run in a folder with "
                         "redline.toml), or --layer KIND=PATH")
    return project, []


def _mapped_sites(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A GeoDataFrame of sites given in Python, with the ``site`` kind's canonical columns."""
    from redline.layers.info import LayerInfo, layer_info, with_info
    from redline.layers.kinds import map_attributes

    if layer_info(sites).kind == "site":
        return sites
    mapped, fields, warnings = map_attributes(sites, "site")
    mapped["_type_field"] = fields.get("type")
    return with_info(mapped, LayerInfo(kind="site", fields=fields, warnings=warnings))


def check(sites, layers_or_project=None, *, project_type: str | None = None,
          max_distance: float = DEFAULT_MAX_DISTANCE, engine: str = "local", scheduler: str | None = None,
          workers: int | None = None, partitions: int | None = None, repair: bool = False, crs=None,
          encoding: str | None = None, towgs84=None, gcj02: bool = False, progress=None,
          nearest: bool = True) -> CheckResult:
    """Check project sites against control layers: overlapped area and share, length, containing zone,
    overlapped features, nearest feature, the rule clauses that apply, and a verdict per site
    (符合 / 不符合 / 需论证 / 无法判定).

    Parameters
    ----------
    sites : GeoDataFrame or path
        The sites: a 国土TXT file (each parcel a site), any vector file (KMZ, DXF drawings included), a CSV of
        points, ``PATH:LAYER`` (a layer inside a GeoPackage, zip …), a folder or zip of such files (read
        like a folder), or a GeoDataFrame (its ``name``, ``code`` and ``type`` found under the usual field
        names).
    layers_or_project : Project, path, dict or list, optional
        A :class:`Project` (or its ``redline.toml``), or control layers as ``{kind: path or GeoDataFrame}``
        (e.g. ``{"red_line": "红线.shp"}``, ``{"basic_farmland": "示范县.gpkg:永久基本农田"}``) or
        ``["red_line=红线.shp", ...]``. Default: ``redline.toml`` in the current folder.
    project_type : str, optional
        The project type of every site, identifier or Chinese label (``housing``, ``线性基础设施`` …);
        default each site's own type attribute.
    max_distance : float
        The nearest feature of an untouched layer is searched within this many metres.
    engine : {"local", "dask"}
        ``dask`` checks spatial partitions of the sites on a dask cluster (a local one unless ``scheduler``),
        with the same result.
    scheduler, workers, partitions
        The dask cluster's address, the local cluster's size, the number of partitions.
    repair : bool
        Repair invalid site geometries (reported) instead of refusing them.
    crs, encoding : optional
        The sites' CRS when their file has none; their attribute encoding.
    towgs84 : str or tuple, optional
        Parameters between Xi'an 1980 / Beijing 1954 and CGCS2000 (never converted without).
    gcj02 : bool
        Site files and control-layer files (not project layers: they say it with ``datum = "gcj02"``) in
        longitude/latitude are GCJ-02 (高德/腾讯 exports): converted on reading. A usage error when none is.
    progress : callable, optional
        ``progress(done, total, what)``.
    nearest : bool
        Search the nearest feature of each untouched layer (the ``nearest`` table, in the JSON, the workbook
        and the report). False skips the search when only ``sites.csv`` and ``hits.csv`` are wanted (the
        verdicts, overlaps and findings are the same); ``analysis["nearest_searched"]`` says which.

    Returns
    -------
    CheckResult
        The tables, the JSON blocks and the provenance; ``to_files(folder)`` writes the outputs.

    Raises
    ------
    redline.layers.errors.UsageError
        A bad option (unknown project type, engine, nothing to check against).
    redline.layers.errors.InputError
        A missing or malformed file, a site that cannot be checked.
    """
    from redline.layers.crs import parse_towgs84
    from redline.spatial.rules import resolve_type

    if engine not in ("local", "dask"):
        raise UsageError(f"engine must be 'local' or 'dask', not {engine!r}")
    if not max_distance > 0:
        raise UsageError(f"--max-distance must be a positive number of metres, not {max_distance:g}")
    ptype = resolve_type(project_type) if project_type is not None else None
    params = parse_towgs84(towgs84) if not isinstance(towgs84, tuple) else towgs84
    project, layer_args = _layers_or_project(layers_or_project)
    ctx = load_check_layers(project, layer_args=layer_args, max_distance=max_distance, towgs84=params, gcj02=gcj02)
    if isinstance(sites, gpd.GeoDataFrame):
        if engine == "dask":
            raise UsageError("the dask engine reads the sites from files; give a path")
        from redline.layers.info import layer_info

        frame = _mapped_sites(sites)
        layer_info(frame).warnings = list(layer_info(frame).warnings) + ctx.warnings
        result = finish(check_chunk(frame, ctx, project_type=ptype, progress=progress, nearest=nearest), ctx, [])
    elif engine == "dask":
        from redline.spatial.check.dask import check_dask
        from redline.spatial.dask_engine import dask_client

        with dask_client(scheduler, n_workers=workers) as client:
            result = check_dask(sites, ctx, client=client, npartitions=partitions, project_type=ptype,
                                repair=repair, encoding=encoding, crs=crs, progress=progress)
    else:
        from redline.layers.outputs import gc_paused
        from redline.spatial.check import check_project

        with gc_paused():   # the result tables' rows and texts: no collections walking the layers meanwhile
            result = check_project(sites, project_type=ptype, repair=repair, sites_crs=crs,
                                   sites_encoding=encoding, progress=progress, ctx=ctx, nearest=nearest)
    _gcj02_used(ctx, gcj02)
    result.provenance = provenance(result.inputs, area_method=result.analysis["area_method"], rules=result.rules)
    return CheckResult(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})


def _gcj02_used(ctx, gcj02: bool) -> None:
    """``--from-gcj02`` converted nothing: a usage error (no input file is in longitude/latitude)."""
    if gcj02 and not ctx.gcj02_converted:
        raise UsageError("--from-gcj02: none of the site or --layer files is in longitude/latitude, so none can "
                         "be GCJ-02 (projected layers never are; a project layer says it with datum = \"gcj02\")")


def stream_workers() -> int:
    """How many chunks :func:`check_stream` checks at once: one per core (one where work cannot be forked)."""
    from redline.layers.forking import can_fork

    return (os.cpu_count() or 1) if can_fork() else 1


def _csv_rows(result: _Tables) -> dict:
    """One checked chunk as :func:`check_stream` writes it: the CSV rows of ``sites.csv`` and ``hits.csv`` (and
    their headers), the verdict counts, and the result without its rows (``head``: analysis, layers, rules,
    warnings)."""
    import numpy as np

    from redline.spatial.check import select_sites
    from redline.spatial.check.frames import csv_bytes, hit_frame, site_frame

    sites, hits = site_frame(result), hit_frame(result)
    return {"sites": csv_bytes(sites, header=False, bom=False), "hits": csv_bytes(hits, header=False, bom=False),
            "sites_head": csv_bytes(sites.iloc[:0]), "hits_head": csv_bytes(hits.iloc[:0]),
            "verdicts": result.summary["verdicts"], "sites_n": len(result.sites),
            "head": select_sites(result, np.zeros(0, np.int64))}


def check_stream(sites: str | os.PathLike, layers_or_project=None, out: str | os.PathLike = ".", *,
                 chunk_size: int = DEFAULT_CHUNK, project_type: str | None = None,
                 max_distance: float = DEFAULT_MAX_DISTANCE, crs=None, encoding: str | None = None,
                 towgs84=None, gcj02: bool = False, workers: int | None = None, progress=None) -> dict:
    """Check a large site file chunk by chunk in bounded memory; write ``sites.csv``, ``hits.csv`` and
    ``check.json`` into ``out`` (all together or not at all) and return the ``check.json`` content.

    Each chunk's rows are exactly those the in-memory :func:`check` writes for those sites. ``check.json``
    holds ``summary``, ``analysis``, ``layers``, ``rules``, ``warnings``, ``project``, ``provenance`` and
    ``stream`` (chunk size, chunks, the CSV files' names), not the per-site list.

    Parameters
    ----------
    sites : path
        One site file: GeoParquet, a CSV of points, or any vector format (a 国土TXT file is read whole).
    chunk_size : int
        Sites per chunk; memory grows with it (about 10 kB a point site against a dozen layers).
    workers : int, optional
        Processes checking chunks at once (default :func:`stream_workers`: one per core); each holds its chunk,
        and all share the layers. ``1``: the chunks in turn, in this process.
    progress : callable, optional
        ``progress(sites_done, total_or_None, seconds_elapsed)`` after each chunk.

    Raises
    ------
    redline.layers.errors.InputError
        A bad site (naming the file and row) or an unreadable file; nothing is written then.
    """
    from redline.layers.crs import parse_towgs84
    from redline.layers.outputs import gc_paused, staged_files, to_json
    if chunk_size < 1:
        raise UsageError(f"--chunk-size must be at least 1, not {chunk_size}")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, not {workers}")
    path = Path(sites)
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise UsageError(f"--stream reads one site file, not a folder ({path}); check the files one by one, "
                         "or without --stream")
    if path.suffix.lower() == ".zip" and path.is_file():
        from redline.layers.sites import site_files

        if len(members := site_files(path)) > 1:
            raise UsageError(f"--stream reads one site file, not a zip of {len(members)} ({path}); name one "
                             f"({members[0]}), or check without --stream")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    project, layer_args = _layers_or_project(layers_or_project)
    ctx = load_check_layers(project, layer_args=layer_args, max_distance=max_distance,
                            towgs84=parse_towgs84(towgs84) if not isinstance(towgs84, tuple) else towgs84,
                            gcj02=gcj02)
    source = site_source(path, ctx, encoding=encoding, crs=crs, chunk_size=chunk_size)
    counts: dict[str, int] | None = None
    warnings: list[str] = []
    done = chunks = 0
    first = None
    t0 = time.perf_counter()
    # the collector paused while a chunk's rows are written, and run on their young objects once written: it
    # never walks the layers or the rows of a chunk twice. The chunks are checked on every core (one forked
    # child each, this process reading the next chunk meanwhile), and written in their order.
    with staged_files(out, ["sites.csv", "hits.csv", "check.json"]) as paths, gc_paused(), \
            open(paths["sites.csv"], "wb") as sites_csv, open(paths["hits.csv"], "wb") as hits_csv:
        for rows in map_chunks(source, ctx, _csv_rows, project_type=project_type, nearest=False,   # no nearest
                               workers=workers or stream_workers()):
            if chunks == 0:                  # the byte-order mark and the header once, then rows only
                sites_csv.write(rows["sites_head"])
                hits_csv.write(rows["hits_head"])
            sites_csv.write(rows["sites"])
            hits_csv.write(rows["hits"])
            verdicts = rows["verdicts"]
            counts = dict(verdicts) if counts is None else {k: counts[k] + verdicts[k] for k in counts}
            warnings += [w for w in rows["head"].warnings if w not in warnings]
            done += rows["sites_n"]
            chunks += 1
            first = first or rows["head"]
            if progress is not None:
                progress(done, source.total, time.perf_counter() - t0)
            del rows
            gc.collect(1)
        first = finish(first, ctx, source.records)
        _gcj02_used(ctx, gcj02)
        js = {"summary": {"sites": done, "verdicts": counts}, "analysis": first.analysis, "layers": first.layers,
              "rules": first.rules, "warnings": warnings}
        if first.project is not None:
            js["project"] = first.project
        js["stream"] = {"sites_file": "sites.csv", "hits_file": "hits.csv", "chunk_size": chunk_size,
                        "chunks": chunks, "format": source.records[0]["format"],
                        "encoding": source.records[0]["encoding"], "seconds": round(time.perf_counter() - t0, 3)}
        js["provenance"] = provenance(first.inputs, area_method=js["analysis"]["area_method"], rules=js["rules"])
        paths["check.json"].write_text(to_json(js) + "\n", encoding="utf-8")
    return js
