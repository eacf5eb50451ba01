"""Running a site check: a batch of sites against prepared layers, and the local engine over a project.

Every engine does the same per batch of sites (:func:`check_chunk`): the overlay of every control layer
(:func:`~redline.spatial.check.kernel.layer_pass`), the rules and verdicts, the townships each site lies
in, with GEOS errors turned into one-line input errors (:func:`geos_errors`). The engines differ only in how
they schedule the batches: the local engine checks all the sites as one batch (:func:`check_project`),
the streaming engine chunk by chunk (:func:`check_chunks`), the dask engine partitions on a cluster
(:mod:`redline.spatial.check.dask`). Sites always come from :class:`redline.layers.sites.SiteSource`.

Example
-------
>>> import geopandas as gpd, shapely
>>> rl = gpd.GeoDataFrame(geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000, 4_201_000)], crs=4525)
>>> p = prepare_layers({"red_line": rl}, kinds={"red_line": "red_line"})
>>> site = gpd.GeoDataFrame({"type": ["mining"]}, geometry=[shapely.Point(37_500_500, 4_200_500)], crs=4525)
>>> check_prepared(site, p).sites["verdict"].tolist()
['不符合']
"""

from __future__ import annotations

import collections
import contextlib
import gc
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from redline.layers.columns import per_value
from redline.layers.errors import InputError
from redline.layers.info import layer_info
from redline.layers.reproject import to_analysis_crs
from redline.layers.sites import SiteSource, validate_sites
from redline.spatial.areas import ellipsoidal_area, geodesic_length
from redline.spatial.check.findings import site_types, verdict_text
from redline.spatial.check.kernel import (
    DEFAULT_MAX_DISTANCE,
    MIN_OVERLAP_M,
    MIN_OVERLAP_M2,
    distance_hits,
    layer_pass,
    measure,
    point_tree,
)
from redline.spatial.check.prepare import (
    CheckContext,
    PreparedLayers,
    load_check_layers,
    locate,
    prepare_layers,
    project_block,
)
from redline.spatial.check.result import CheckResult
from redline.spatial.check.tables import assemble
from redline.spatial.overlay import as_array
from redline.spatial.rules import RuleSet, resolve_type

Progress = Callable[[int, "int | None", str], None]
"""``progress(done, total, what)``: ``what`` is the Chinese phrase to show (e.g. ``检查图层：生态保护红线``)."""


@contextlib.contextmanager
def geos_errors():
    """A GEOS error while checking → an InputError saying what to do."""
    try:
        yield
    except shapely.errors.GEOSException as exc:
        raise InputError(f"geometry error during the overlay: {exc}; check the layers with `redline inspect` "
                         "and repair invalid geometries") from None


def _coverage(sg: np.ndarray, sdim: np.ndarray, site_area: np.ndarray, site_len: np.ndarray,
              prepared: PreparedLayers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per site: whether a part lies outside the data's coverage, and that part's area and length."""
    n = len(sg)
    coverage = prepared.coverage
    outside = np.zeros(n, bool)
    if coverage is None or coverage.is_empty:
        outside[:] = True
        return outside, np.where(sdim == 2, site_area, 0.0), np.where(sdim == 1, site_len, 0.0)
    out_m2, out_len = np.zeros(n), np.zeros(n)
    rest = np.flatnonzero(~shapely.covers(coverage, sg))
    if len(rest):
        diff = shapely.difference(sg[rest], coverage)
        m2, ln = measure(diff, sdim[rest], prepared.crs)
        out_m2[rest], out_len[rest] = m2, ln
        big = np.where(sdim[rest] == 2, m2 > prepared.min_overlap_m2,
                       np.where(sdim[rest] == 1, ln > MIN_OVERLAP_M, ~shapely.is_empty(diff)))
        outside[rest[big]] = True
    return outside, out_m2, out_len


def check_prepared(sites: gpd.GeoDataFrame, prepared: PreparedLayers, *, project_type: str | None = None,
                   progress: Progress | None = None, memo: dict | None = None, nearest: bool = True) -> CheckResult:
    """Check a batch of sites against prepared layers.

    Parameters
    ----------
    sites : GeoDataFrame
        Sites with canonical columns of kind ``site`` (``name``, ``code``, ``type``), e.g. from
        :class:`~redline.layers.sites.SiteSource`; optional ``site_id``, ``_source``, ``_row``.
    prepared : PreparedLayers
        From :func:`~redline.spatial.check.prepare.prepare_layers`.
    project_type : str, optional
        The project type of every site (identifier or Chinese label); else each site's ``type``.
    progress : callable, optional
        ``progress(k, n, what)`` before each control layer.
    memo : dict, optional
        Findings of point sites kept from one batch to the next (one dict for the batches of one check).
    nearest : bool
        Search the nearest feature of each layer a site does not touch (the ``nearest`` table and the
        ``nearest_m`` column); False leaves them empty, for outputs that do not show them (the CSV files):
        the verdicts, overlaps and findings do not depend on them.

    Returns
    -------
    CheckResult
        The tables, ``analysis``, ``layers``, ``rules`` and ``warnings`` (the sites' own, then the
        preparation's).
    """
    acrs = prepared.crs
    info = layer_info(sites)
    warnings: list[str] = list(info.warnings) + prepared.crs_notes
    sites_a, notes = to_analysis_crs(sites, acrs, "sites", path=info.path, towgs84=prepared.towgs84)
    warnings += notes + prepared.layer_notes
    sites_a.attrs = sites.attrs
    lay, kinds, labels, rules = prepared.layers, prepared.kinds, prepared.labels, prepared.rules

    validate_sites(sites_a)
    sg = as_array(sites_a)
    sdim = shapely.get_dimensions(sg)
    site_area = np.where(sdim == 2, ellipsoidal_area(sg, acrs), np.nan)
    site_len = np.full(len(sg), np.nan)
    if (sdim == 1).any():
        site_len[sdim == 1] = geodesic_length(sg[sdim == 1], acrs)
    outside, out_m2, out_len = _coverage(sg, sdim, site_area, site_len, prepared)

    results = []
    points = point_tree(sg, sdim)
    for k, lid in enumerate(prepared.control, 1):
        if progress is not None:
            progress(k, len(prepared.control), f"检查图层：{labels[lid]}")
        results.append(layer_pass(sg, sdim, site_area, site_len, lay[lid], acrs, layer_id=lid, kind=kinds[lid],
                                  label=labels[lid], max_distance=prepared.max_distance if nearest else 0.0,
                                  min_m2=prepared.min_overlap_m2, edges=lambda lid=lid: prepared.edges(lid),
                                  points=points, index=prepared.index(lid)))
    dist = distance_hits(prepared.distance_targets, sg, lay, acrs)
    types, type_sources, type_warns = site_types(sites_a, project_type)
    tables = assemble(sites_a, sg, sdim, site_area, site_len, results, rules, dist, types, type_sources,
                      type_warns, outside, out_m2, out_len, prepared.coverage_label, lay, acrs, memo=memo)
    unchecked = prepared.unchecked_core()
    table = tables["sites"]
    table.insert(table.columns.get_loc("verdict") + 1, "verdict_text",     # Python text, not Arrow
                 pd.Series(per_value(table["verdict"].to_numpy(dtype=object), lambda v: verdict_text(v, unchecked)),
                           index=table.index, dtype=object))
    return CheckResult(**tables, analysis=prepared.analysis(nearest=nearest), layers=prepared.describe_layers(),
                       rules=rules.describe(), warnings=warnings)


def check_sites(sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame], *,
                project_type: str | None = None, rules: RuleSet | None = None,
                max_distance: float = DEFAULT_MAX_DISTANCE, coverage: shapely.Geometry | None = None,
                coverage_label: str | None = None, crs=None, kinds: dict[str, str] | None = None,
                labels: dict[str, str] | None = None, towgs84: tuple[float, ...] | None = None,
                min_overlap_m2: float = MIN_OVERLAP_M2, progress: Progress | None = None) -> CheckResult:
    """Check every site against every control layer: :func:`prepare_layers`, then :func:`check_prepared`.

    Parameters
    ----------
    sites : GeoDataFrame
        Sites with canonical columns of kind ``site`` (``name``, ``code``, ``type``).
    layers : dict of layer id → GeoDataFrame
        Control layers with canonical columns; boundary layers (kind ``boundary``) give the coverage.
        Each layer's kind comes from ``kinds`` or the layer's :class:`~redline.layers.info.LayerInfo`.
    project_type : str, optional
        The project type of every site (identifier or Chinese label); else each site's ``type`` column.
    rules : RuleSet, optional
        Default: the package's rules (:func:`redline.spatial.rules.load_rules`).
    max_distance : float
        Nearest features are searched within this distance (m).
    coverage : shapely geometry, optional
        The extent the data covers, in the analysis CRS. Default: the union of the boundary layers, else the
        convex hull of the control layers.
    crs : optional
        The analysis CRS. Default: the first control layer's.
    towgs84 : tuple, optional
        Helmert parameters for data in Xi'an 1980 / Beijing 1954 against CGCS2000 (never converted without).

    Returns
    -------
    CheckResult

    Example
    -------
    >>> import geopandas as gpd, shapely
    >>> rl = gpd.GeoDataFrame(geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000, 4_201_000)], crs=4525)
    >>> site = gpd.GeoDataFrame(geometry=[shapely.box(37_502_000, 4_200_000, 37_502_100, 4_200_100)], crs=4525)
    >>> r = check_sites(site, {"rl": rl}, kinds={"rl": "red_line"}, project_type="housing")
    >>> round(float(r.nearest["distance_m"].iloc[0]), 1)          # 1 km east of the zone
    1000.0
    """
    prepared = prepare_layers(layers, rules=rules, max_distance=max_distance, coverage=coverage,
                              coverage_label=coverage_label, crs=crs, kinds=kinds, labels=labels, towgs84=towgs84,
                              min_overlap_m2=min_overlap_m2)
    with geos_errors():
        return check_prepared(sites, prepared, project_type=project_type, progress=progress)


def check_chunk(sites: gpd.GeoDataFrame, ctx: CheckContext, *, project_type: str | None = None,
                progress: Progress | None = None, memo: dict | None = None, nearest: bool = True) -> CheckResult:
    """One batch of checkable sites against a project's prepared layers, with the townships each site lies
    in (``location``, when the project has townships); what every engine runs on each batch."""
    with geos_errors():
        result = check_prepared(sites, ctx.prepared, project_type=project_type, progress=progress, memo=memo,
                                nearest=nearest)
    if ctx.towns is not None:
        result.sites.insert(2, "location", locate(result.sites, ctx.towns))
    return result


def site_source(sites_path, ctx: CheckContext, *, repair: bool = False, encoding: str | None = None, crs=None,
                chunk_size: int | None = None) -> SiteSource:
    """The sites of ``sites_path``, read for the check of ``ctx`` (into its analysis CRS)."""
    return SiteSource(sites_path, crs=crs, encoding=encoding, repair=repair, to_crs=ctx.prepared.crs,
                      towgs84=ctx.prepared.towgs84, chunk_size=chunk_size, gcj02=ctx.gcj02)


def finish(result: CheckResult, ctx: CheckContext, site_files: list[dict]) -> CheckResult:
    """Add what a project check carries: the ``project`` block, the ``inputs`` (site files, layers, project,
    rule files, townships) and the context (for maps and reports)."""
    inputs = [ctx.record(f["path"], vintage=f.get("vintage"), source=f.get("source"), role="sites")
              for f in site_files]
    ctx.gcj02_converted += [f["path"] for f in site_files if f.get("gcj02")]
    inputs += ctx.inputs
    if ctx.towns_input is not None:
        inputs.append(ctx.towns_input)
    result.inputs = inputs
    result.context = ctx
    if ctx.project is not None:
        result.project = project_block(ctx.project)
    return result


def check_project(sites_path, project=None, *, layer_args=(), project_type: str | None = None,
                  max_distance: float = DEFAULT_MAX_DISTANCE, towgs84: tuple[float, ...] | None = None,
                  repair: bool = False, sites_crs=None, sites_encoding: str | None = None,
                  progress: Progress | None = None, ctx: CheckContext | None = None, nearest: bool = True
                  ) -> CheckResult:
    """Read the sites and the control layers of a project (or ``--layer KIND=PATH`` layers) and check them
    on the local engine (all the sites as one batch, the GEOS and PROJ work on threads).

    Parameters
    ----------
    sites_path : path
        A site file or a folder of them (:class:`~redline.layers.sites.SiteSource`).
    project : redline.layers.project.Project, optional
        Its control layers, boundary (coverage), analysis CRS and rules.
    layer_args : list of (kind, path)
        Layers for a quick check without a project; attributes mapped with each kind's default fields.
    ctx : CheckContext, optional
        Layers already prepared (:func:`~redline.spatial.check.prepare.load_check_layers`).
    nearest : bool
        Search the nearest features (see :func:`check_prepared`).

    Raises
    ------
    UsageError
        Neither a project nor layers, or both.
    InputError
        A layer the project names is missing or unreadable; a rule names a missing layer; bad sites.
    """
    project_type = resolve_type(project_type) if project_type is not None else None
    if ctx is None:
        ctx = load_check_layers(project, layer_args=layer_args, max_distance=max_distance, towgs84=towgs84)
    source = site_source(sites_path, ctx, repair=repair, encoding=sites_encoding, crs=sites_crs)
    sites = source.read()
    layer_info(sites).warnings += ctx.warnings
    result = check_chunk(sites, ctx, project_type=project_type, progress=progress, nearest=nearest)
    return finish(result, ctx, source.records)


def check_chunks(source: SiteSource, ctx: CheckContext, *, project_type: str | None = None,
                 nearest: bool = True) -> Iterator[CheckResult]:
    """The streaming engine: each chunk of ``source`` (a :class:`~redline.layers.sites.SiteSource` with a
    ``chunk_size``) checked in turn; a chunk's result equals the in-memory check's rows for those sites
    (``nearest=False``: without the nearest features, see :func:`check_prepared`)."""
    return map_chunks(source, ctx, lambda result: result, project_type=project_type, nearest=nearest)


def map_chunks(source: SiteSource, ctx: CheckContext, fn: Callable[[CheckResult], object], *,
               project_type: str | None = None, nearest: bool = True, workers: int = 1) -> Iterator:
    """``fn`` of each chunk's :func:`check_chunk` result, in the order of the chunks (the streaming engine).

    With ``workers`` > 1, up to that many chunks are checked at once in as many worker processes, forked
    once (they inherit the prepared layers: nothing is copied but each chunk's sites on the way in, and
    ``fn``'s value, which must pickle, on the way out), while this process reads the next chunks.

    >>> import geopandas as gpd, shapely
    >>> from redline.layers.sites import SiteSource
    >>> rl = gpd.GeoDataFrame(geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000, 4_201_000)], crs=4525)
    >>> ctx = CheckContext(prepare_layers({"red_line": rl}, kinds={"red_line": "red_line"}), [], [])
    >>> sites = gpd.GeoDataFrame({"type": ["mining"] * 3},
    ...                          geometry=shapely.points([37_500_500, 37_502_000, 37_500_100], 4_200_500), crs=4525)
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "sites.parquet")
    >>> sites.to_parquet(path)
    >>> source = SiteSource(path, chunk_size=2, to_crs=ctx.prepared.crs)
    >>> list(map_chunks(source, ctx, lambda r: r.sites["verdict"].tolist(), workers=2))   # the 2nd: no data there
    [['不符合', '无法判定'], ['不符合']]
    """
    project_type = resolve_type(project_type) if project_type is not None else None
    memo: dict = {}           # point findings per layer, type and feature: worked out once for all the chunks

    def work(chunk: gpd.GeoDataFrame) -> object:
        return fn(check_chunk(chunk, ctx, project_type=project_type, memo=memo, nearest=nearest))

    chunks = source.chunks()
    if workers <= 1:
        for chunk in chunks:
            layer_info(chunk).warnings = list(source.warnings) + ctx.warnings
            yield work(chunk)
        return
    ctx.prepared.prepare_geometries()     # once here: the workers share the prepared geometries
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker,
                               initargs=(work,))
    pending: collections.deque = collections.deque()
    try:
        for chunk in chunks:
            layer_info(chunk).warnings = list(source.warnings) + ctx.warnings
            pending.append(pool.submit(_work_on, packed(chunk)))
            while len(pending) > workers:          # one chunk waiting beyond those being checked
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_worker: dict = {}     # in a worker process of map_chunks: its work (one chunk → fn's value)


def _start_worker(work: Callable) -> None:
    """A worker process of :func:`map_chunks` starts: what it inherited is left out of its collections (walking
    it would copy every page of the inherited heap), and its work kept (the worker is forked: not pickled)."""
    gc.freeze()
    _worker["work"] = work


def packed(chunk: gpd.GeoDataFrame) -> tuple:
    """A chunk as it goes to a worker process: its geometries made in one vectorized call (pickled as they are,
    each geometry would be written by a Python call of its own) as an array of their x, y when all are 2D
    points (a million points' coordinates pickle as one block of memory), else as WKB; the other columns and
    the frame's ``attrs`` (its :class:`~redline.layers.info.LayerInfo`) as they are. :func:`unpacked` undoes it.
    """
    name = chunk.geometry.name
    geoms = np.asarray(chunk.geometry.values)
    points = len(geoms) and (shapely.get_type_id(geoms) == 0).all() and \
        (shapely.get_coordinate_dimension(geoms) == 2).all() and not shapely.is_empty(geoms).any()
    return (pd.DataFrame(chunk.drop(columns=name)), name, chunk.columns.get_loc(name), chunk.crs,
            shapely.get_coordinates(geoms) if points else shapely.to_wkb(geoms), dict(chunk.attrs))


def unpacked(item: tuple) -> gpd.GeoDataFrame:
    """The chunk :func:`packed` packed: the same columns, geometries (coordinates and WKB keep every
    coordinate's bits), CRS and ``attrs``.

    >>> chunk = gpd.GeoDataFrame({"code": ["甲", None]}, geometry=[shapely.Point(1.5, 2), None], crs=4525)
    >>> back = unpacked(packed(chunk))
    >>> back.to_wkt().equals(chunk.to_wkt()), back.crs == chunk.crs, list(back.columns)
    (True, True, ['code', 'geometry'])
    >>> points = shapely.points([0.1, 1 / 3], [2.5, 1e-300])          # 2D points: their x, y
    >>> item = packed(gpd.GeoDataFrame({"code": ["甲", "乙"]}, geometry=points, crs=4490))
    >>> item[4].dtype, shapely.equals_exact(unpacked(item).geometry.values, points, tolerance=0).all()
    (dtype('float64'), np.True_)
    """
    frame, name, at, crs, geoms, attrs = item
    geoms = shapely.points(geoms) if geoms.dtype == np.float64 else shapely.from_wkb(geoms)
    frame.insert(at, name, gpd.GeoSeries(geoms, index=frame.index, crs=crs))
    out = gpd.GeoDataFrame(frame, geometry=name, crs=crs)
    out.attrs.update(attrs)
    return out


def _work_on(item: tuple) -> object:
    value = _worker["work"](unpacked(item))
    gc.collect(1)         # the chunk's young objects (the collector is paused meanwhile, as for a chunk here)
    return value
