"""The dask engine: site checks and area shares on a dask distributed cluster, with the local engine's results.

``redline check --engine dask`` and ``redline area --engine dask`` run here. A local cluster (one worker
process per core, one thread each) is started and closed by :func:`dask_client`; ``--scheduler ADDRESS``
connects to a running cluster instead (``dask scheduler`` on one machine, ``dask worker ADDRESS`` on each
machine, with redline installed in the same version on every one of them).

What runs where
---------------
On the client (the process running ``redline``): reading the control layers and preparing them once
(:func:`redline.spatial.checks.load_check_layers`, :func:`redline.spatial.checks.prepare_layers`: analysis CRS, repaired
geometries, coverage, rules); building the task graph; putting the per-site results together (they all
come back: ``check.json`` holds them; for millions of point sites use ``--stream`` instead); every sum of
an area.

On the workers: reading the sites when they are a GeoParquet dataset; every site check; the heavy steps of
an area.

Site checks of a GeoParquet dataset (:func:`read_and_check_dask`)
    When SITES is a folder of ``.parquet``/``.geoparquet`` files, or one such file with several row
    groups (and ``--partitions`` is not given), the workers read the sites with
    ``dask_geopandas.read_parquet``; the client opens only the files' Parquet footers, to build the
    graph, so the path must be the same on the client and on every worker (a shared filesystem; it is
    made absolute on the client). On the worker that read it, a file's sites are made checkable as the
    local engine makes them (:func:`as_read_layer` then :func:`redline.spatial.checks.site_frame`: canonical
    columns of kind ``site``, ``_source``, ``_row``, ``site_id``, validation with the same messages
    naming file and row, reprojection to the analysis CRS), the file is hashed for the provenance, and
    its sites are checked with :func:`redline.spatial.checks.check_prepared` against the prepared layers, which
    were sent once to every worker (``client.scatter(..., broadcast=True)``), as was the township layer
    that locates each site.

    Partitions: in a folder, one per file, as it is. The files are not re-cut with ``spatial_shuffle``
    because the local engine numbers rows, makes ids and warnings and validates per file, and so must
    the workers; a dataset written spatially partitioned
    (``dask_geopandas.from_geopandas(sites, npartitions=N).spatial_shuffle().to_parquet("sites/")``) has
    compact files already. A single file is read whole by one worker, for the same reason, and cut there
    along a Hilbert curve (:func:`spatial_partitions`) into pieces that any worker may check: the pieces
    move between workers, never through the client.

    The client receives the per-site results, puts them in the local order, makes ids held by sites of
    two files unique as :func:`redline.spatial.checks.read_sites` does (only the ids are looked at), puts the
    warnings in the local order, and keeps the first 20 sites' geometries for the report's maps
    (``CheckRun.sites`` holds only those). When several files are faulty, the first one's error in the
    local reading order is raised. A file that is missing, empty or whose footer cannot be read sends the
    sites the way of any other sites below, so that the error is the local engine's.

Site checks of anything else (:func:`check_prepared_dask`)
    The sites are read on the client as the local engine reads them (same site ids, same validation),
    then partitioned spatially: sorted along a Hilbert curve and cut into compact partitions (the order
    dask-geopandas' ``spatial_shuffle`` makes, without its shuffle through the cluster: the sites are
    already in the client's memory, so each partition is scattered to a worker once, not embedded in a
    task graph); a GeoParquet dataset read here keeps its files as partitions, unless ``--partitions``
    (``npartitions``) asks for another number, when it is cut that way too. Each partition is checked on
    a worker with :func:`redline.spatial.checks.check_prepared`, and the per-site results are put back in input
    order.

    A site's result depends only on the site and the layers, so either way the result is the local
    engine's. A :class:`redline.layers.errors.RedlineError` (or a GEOS error) met on a worker is returned as a
    value, not raised there (so the worker does not log a crashed task with a traceback), and raised on
    the client as it was: one line, exit 3.

Area shares
    :func:`area_shares_dask` is :func:`redline.spatial.shares.area_shares` with :class:`DaskSteps`, which spread
    the heavy work over the workers: ellipsoidal areas in chunks, the union of each group of overlapping polygons
    (:func:`redline.spatial.overlay.overlap_groups`), clipping to the boundary in chunks, one dissolve per
    category of ``by``, zones in chunks. The layers are read on the client. Every geometry goes through
    the same operations as in the local engine and every sum is taken on the client over the whole array
    in the local order.

"Identical" means: for a check, the same JSON (every key and string, site order, verdicts, findings,
warnings; the provenance's creation time aside) with every number equal to the local engine's within
1e-12 relative; for areas, the same keys, rows and warnings with every number within 1e-9 relative. In
practice numbers differ at most in their last bit or two: :func:`redline.spatial.areas.ellipsoidal_area` sums
each ring's trapezoids after shifting by the first vertex of the batch it is given, so the same polygon
measured in another batch can round differently. The tests compare the two engines on the demo region,
on generated larger sets and on generated GeoParquet datasets.

Example
-------
>>> import geopandas as gpd, shapely
>>> from redline.spatial.shares import area_shares
>>> red = gpd.GeoDataFrame(geometry=[shapely.box(37_450_000, 4_200_000, 37_455_000, 4_210_000),
...                                   shapely.box(37_454_000, 4_200_000, 37_456_000, 4_210_000)], crs=4525)
>>> with dask_client(n_workers=1, processes=False) as client:   # doctest: +SKIP
...     r = area_shares_dask(red, client=client)
>>> r["total_m2"] == area_shares(red)["total_m2"]                # doctest: +SKIP
True
"""

from __future__ import annotations

import contextlib
import functools
import logging
import operator
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from redline.layers.errors import InputError, RedlineError, UsageError
from redline.layers.info import LayerInfo, with_info
from redline.layers.readers import _short, detect_format, layer_from_frame
from redline.spatial.checks import (
    CheckContext,
    PreparedLayers,
    check_prepared,
    combine_results,
    locate,
    site_files,
    site_frame,
    unique_site_ids,
)
from redline.spatial.overlay import overlap_groups
from redline.spatial.shares import LocalSteps, _clip, _measure, area_shares, category_m2, zone_areas

INSTALL_HINT = 'pip install "redline[dask]" (or pip install -e ".[dask]" in a source tree)'
PARQUET_EXTENSIONS = (".parquet", ".geoparquet")


def _need_dask():
    """Import distributed, or say how to install it (UsageError)."""
    try:
        import distributed
    except ImportError as exc:
        raise UsageError(f"the dask engine needs dask and distributed ({exc.name} is not installed): "
                         f"{INSTALL_HINT}") from None
    return distributed


def default_workers() -> int:
    """Worker processes of the local cluster: one per core, at most 8."""
    return max(1, min(os.cpu_count() or 1, 8))


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int | None = None, processes: bool = True,
                timeout: float = 15.0) -> Iterator:
    """A ``distributed.Client``: on a local cluster started here, or on the scheduler at ``scheduler``.

    The client, and the local cluster when one was started, are closed when the block ends, also on an
    error.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``.
    n_workers : int, optional
        Workers of the local cluster (default :func:`default_workers`), one thread each.
    processes : bool
        Local workers as processes (default) or threads of this process.

    Raises
    ------
    UsageError
        distributed (with dask) is not installed.
    InputError
        The scheduler cannot be reached.
    """
    distributed = _need_dask()
    cluster = None
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout=f"{timeout}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot connect to the dask scheduler at {scheduler}: {exc}; start one with "
                             "`dask scheduler` and workers with `dask worker ADDRESS`") from None
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            client.close()
            raise InputError(f"the dask scheduler at {scheduler} has no worker ({exc or 'timed out'}); start "
                             f"some with `dask worker {scheduler}`") from None
    else:
        # workers log a failed task with its traceback at ERROR; the client reports every failure itself
        # (one line for a fault in the data), so only CRITICAL reaches the terminal
        cluster = distributed.LocalCluster(n_workers=n_workers or default_workers(), threads_per_worker=1,
                                           processes=processes, dashboard_address=":0",
                                           silence_logs=logging.CRITICAL)
        client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _workers(client) -> int:
    try:
        return max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
    except Exception:  # an old scheduler, or one without workers yet
        return 1


# ------------------------------------------------------------------------------------------------ checks
class _Failed:
    """A fault the user is told about (a :class:`RedlineError`, a GEOS error), met on a worker and returned
    as a value: raised again on the client (:func:`_raise_failed`), and not logged by the worker as a
    crashed task with its traceback."""

    def __init__(self, exc: Exception):
        self.exc = exc


def _failing_as_value(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (RedlineError, shapely.errors.GEOSException) as exc:
            return _Failed(exc)

    return run


def _failure(item) -> Exception | None:
    return item.exc if isinstance(item, _Failed) else None


def _raise_failed(results: list) -> None:
    """Raise the first fault met on a worker, in the order of ``results``."""
    for r in results:
        if isinstance(r, _Failed):
            raise r.exc


def spatial_partitions(sites: gpd.GeoDataFrame, npartitions: int) -> list[gpd.GeoDataFrame]:
    """The sites cut into ``npartitions`` spatially compact partitions: sorted along a Hilbert curve of
    level 16 over the sites' extent (the order dask-geopandas' ``spatial_shuffle`` gives), then cut into
    runs of equal length; each keeps the input position of its sites in column ``_pos``.

    >>> import shapely
    >>> g = gpd.GeoDataFrame(geometry=shapely.points([[0, 0], [10, 10], [0, 1], [10, 11]]), crs=4525)
    >>> [sorted(p["_pos"]) for p in spatial_partitions(g, 2)]
    [[0, 2], [1, 3]]
    """
    sites = sites.assign(_pos=np.arange(len(sites)))
    geoms = sites.geometry
    if len(sites) > 1 and not geoms.is_empty.any() and not geoms.isna().any():
        sites = sites.iloc[np.argsort(geoms.hilbert_distance(level=16).to_numpy(), kind="stable")]
    bounds = np.linspace(0, len(sites), max(1, min(int(npartitions), len(sites))) + 1).astype(int)
    return [sites.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def parquet_files(sites: gpd.GeoDataFrame) -> list[str]:
    """The GeoParquet files the sites were read from (``_source``), in order; empty when any other format."""
    if "_source" not in sites.columns:
        return []
    files = list(dict.fromkeys(sites["_source"].astype(str)))
    return files if all(f.lower().endswith((".parquet", ".geoparquet")) for f in files) else []


@_failing_as_value
def _check_partition(part: gpd.GeoDataFrame, prepared: PreparedLayers, project_type, attrs: dict) -> dict:
    """One partition on a worker: :func:`check_prepared`, with the input positions of its sites."""
    part = part.reset_index(drop=True)
    part.attrs = attrs
    result = check_prepared(part, prepared, project_type=project_type)
    result["_pos"] = part["_pos"].tolist()
    return result


def check_prepared_dask(sites: gpd.GeoDataFrame, prepared: PreparedLayers, *, client,
                        npartitions: int | None = None, project_type: str | None = None,
                        progress: Callable[[int, int, str], None] | None = None) -> dict:
    """:func:`redline.spatial.checks.check_prepared` on a dask cluster: the same result.

    Parameters
    ----------
    sites : GeoDataFrame
        The sites (any CRS the local engine takes), e.g. from :func:`redline.spatial.checks.read_sites`.
    prepared : PreparedLayers
        From :func:`redline.spatial.checks.prepare_layers`; sent once to every worker.
    client : distributed.Client
        From :func:`dask_client`.
    npartitions : int, optional
        Default: 4 per worker, at most one per 200 sites.
    progress : callable, optional
        ``progress(done, total, label)`` after each partition.

    Raises
    ------
    RedlineError
        What the local engine raises (a bad site, say), raised on the worker and re-raised here.
    """
    _need_dask()
    if len(sites) == 0:
        return check_prepared(sites, prepared, project_type=project_type)
    attrs = dict(sites.attrs)
    prepared_f = client.scatter(prepared, broadcast=True, hash=False)
    files = parquet_files(sites)
    if npartitions is None and len(files) > 1:  # a GeoParquet dataset: its files are the partitions
        sites = sites.assign(_pos=np.arange(len(sites)))
        partitions = [sites[sites["_source"] == f] for f in files]
    else:
        nparts = npartitions or max(1, min(4 * _workers(client), -(-len(sites) // 200)))
        partitions = spatial_partitions(sites, nparts)
    parts = client.scatter(partitions, hash=False)   # sent once each, not embedded in a task graph
    futures = client.map(_check_partition, parts, prepared=prepared_f, project_type=project_type, attrs=attrs,
                         pure=False)
    try:
        results = _gather(client, futures, progress)
    finally:
        client.cancel([*futures, *parts, prepared_f])
    _raise_failed(results)
    return _in_input_order(results)


def _in_input_order(results: list[dict]) -> dict:
    """Partition results back into one result with the sites in input order."""
    pos = np.concatenate([np.asarray(r.pop("_pos"), dtype=np.int64) for r in results])
    combined = combine_results(results) if len(results) > 1 else dict(results[0])
    sites = combined["sites"]
    combined["sites"] = [sites[i] for i in np.argsort(pos, kind="stable")]
    return combined


def dask_checker(client, npartitions: int | None = None):
    """A ``checker`` for :func:`redline.spatial.checks.check_project` that runs on ``client``.

    Without ``npartitions`` a GeoParquet dataset is read by the workers (:func:`read_and_check_dask`:
    one partition per file); with it, or for any other sites, the sites are read on the client and cut
    into ``npartitions`` spatial partitions (:func:`check_prepared_dask`).
    """

    def checker(sites, prepared, *, project_type=None, progress=None):
        return check_prepared_dask(sites, prepared, client=client, npartitions=npartitions,
                                   project_type=project_type, progress=progress)

    if npartitions is None:
        def read_and_check(sites_path, ctx, **kw):
            return read_and_check_dask(sites_path, ctx, client=client, **kw)

        checker.read_and_check = read_and_check
    return checker


# ------------------------------------------------------------------------------------ GeoParquet datasets
def geoparquet_dataset(path) -> list[Path] | None:
    """The files of a GeoParquet dataset in the order :func:`redline.spatial.checks.read_sites` reads them: a
    folder whose site files are all ``.parquet``/``.geoparquet``, or one such file with several row
    groups (its footer is read to know). None for anything else (a file of one row group, other formats,
    a missing path, a footer that cannot be read: the sites are then read on the client, and the local
    reading says what is wrong).

    >>> geoparquet_dataset("no/such/folder") is None
    True
    """
    p = Path(path)
    if p.is_file() and p.suffix.lower() in PARQUET_EXTENSIONS:
        try:
            return [p] if pq.ParquetFile(p).num_row_groups > 1 else None
        except (OSError, ValueError, pa.ArrowException):
            return None
    if not p.is_dir():
        return None
    try:
        files = site_files(p)
    except InputError:
        return None
    return files if all(f.suffix.lower() in PARQUET_EXTENSIONS for f in files) else None


def _gather(client, futures: list, progress: Callable | None) -> list:
    """The futures' results, in order, with ``progress(done, total, "分区 partitions")`` as each completes."""
    import distributed

    for done, _ in enumerate(distributed.as_completed(futures), 1):
        if progress is not None:
            progress(done, len(futures), "分区 partitions")
    return client.gather(futures)


def as_read_layer(gdf: gpd.GeoDataFrame, path, *, kind: str | None = "site", repair: bool = False,
                  encoding: str | None = None, crs=None) -> gpd.GeoDataFrame:
    """What :func:`redline.layers.readers.read_layer` makes of a GeoParquet file, from the frame read from it here
    by ``dask_geopandas.read_parquet`` on a worker (:func:`redline.layers.readers.layer_from_frame`, the same steps
    as ``read_layer``); ``path`` names the file in messages."""
    return layer_from_frame(gdf, path, kind=kind, repair=repair, encoding=encoding, crs=crs)


@_failing_as_value
def _read_site_file(part: gpd.GeoDataFrame, *, label: str, path: str, to_crs, towgs84, repair: bool,
                    encoding: str | None, crs) -> tuple[gpd.GeoDataFrame, list[str], dict]:
    """On a worker: one file of a GeoParquet dataset, as read by dask-geopandas, made checkable exactly as
    :func:`redline.spatial.checks.read_sites` makes it (``label`` is the file's name there), with its file record."""
    from redline.layers.outputs import file_record

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # NaN coordinates: an InputError just below
        gdf = as_read_layer(part, label, repair=repair, encoding=encoding, crs=crs)
    gdf, warns, info = site_frame(gdf, label, to_crs=to_crs, towgs84=towgs84)
    info["record"] = file_record(path)
    return gdf, warns, info


def _split_site_file(item: tuple, npieces: int) -> list[tuple]:
    """On a worker: one file's checkable sites cut into ``npieces`` spatially compact pieces
    (:func:`spatial_partitions`: Hilbert order; each piece keeps its sites' rows in ``_pos``)."""
    sites, warns, info = item
    return [(piece, warns, info) for piece in spatial_partitions(sites, npieces)]


@_failing_as_value
def _check_site_file(item: tuple, prepared: PreparedLayers, *, project_type, towns, where: str,
                     head: int) -> dict:
    """On a worker: :func:`check_prepared` on one file's sites (or a piece of them), with their townships
    (``location``), the file's warnings and record, and its sites among the first ``head`` (for the
    report's maps)."""
    sites, warns, info = item
    sites = sites.reset_index(drop=True)
    sites.attrs = {}
    with_info(sites, LayerInfo(path=where, kind="site", files=[info]))
    result = check_prepared(sites, prepared, project_type=project_type)
    if towns is not None:
        for s, loc in zip(result["sites"], locate(sites, towns), strict=True):
            s["location"] = loc
    result["_file"] = (warns, info)
    if "_pos" in sites.columns:   # a piece of a file
        result["_pos"] = sites["_pos"].tolist()
        result["_head"] = sites[sites["_pos"] < head]
    else:
        result["_head"] = sites.iloc[:head]
    return result


def read_and_check_dask(sites_path, ctx: CheckContext, *, client, project_type: str | None = None,
                        towgs84: tuple[float, ...] | None = None, repair: bool = False,
                        encoding: str | None = None, crs=None, progress=None,
                        head: int = 20) -> tuple[dict, gpd.GeoDataFrame, list[dict]] | None:
    """Check a GeoParquet dataset with its files read by the workers; None when ``sites_path`` is not one
    (:func:`geoparquet_dataset`).

    Each file is read by ``dask_geopandas.read_parquet`` on a worker (the client opens only the files'
    Parquet footers), made checkable there as :func:`redline.spatial.checks.read_sites` makes a file
    (:func:`as_read_layer`, :func:`redline.spatial.checks.site_frame`: canonical columns, ``_source``, ``_row``,
    site ids, validation naming file and row, reprojection to the analysis CRS) and checked with
    :func:`redline.spatial.checks.check_prepared` against the layers sent once to every worker.

    Partitions. In a folder, each file is one partition, as it is: files are not re-cut with
    ``spatial_shuffle``, because a row's number in its file, the ids made from it and the per-file
    warnings and validation must be those of the local engine; a dataset written spatially partitioned
    (see the module docstring) has spatially compact files. A single file with several row groups is
    read whole by one worker, for the same reason (validation and warnings are per file), and cut there
    into compact pieces along a Hilbert curve (:func:`spatial_partitions`; 4 per worker, at most one per
    200 sites) that are checked on all the workers (pieces move between workers, not through the
    client); the results are put back in the file's order.

    The client then makes ids held by sites of two files unique (:func:`redline.spatial.checks.unique_site_ids`,
    only the ids are looked at) and puts the warnings in the local engine's order. When several files
    are faulty, the error of the first in order is raised, as the local engine would.

    Parameters
    ----------
    sites_path : path
        A folder of GeoParquet files, or one with several row groups, that every worker can read at the
        same absolute path.
    ctx : CheckContext
        From :func:`redline.spatial.checks.load_check_layers`.
    client : distributed.Client
        From :func:`dask_client`.
    head : int
        Sites returned for the report's maps (:func:`redline.maps.report_maps.site_images` draws 20).

    Returns
    -------
    (dict, GeoDataFrame, list of dict) or None
        The check result (with ``location`` when the project has townships), the first ``head`` sites in
        the analysis CRS, and per file ``{"path", "record"}``; as ``checker.read_and_check`` in
        :func:`redline.spatial.checks.check_project`.

    Raises
    ------
    RedlineError
        What the local engine raises for the dataset, raised on a worker and re-raised here.
    """
    files = geoparquet_dataset(sites_path)
    if not files:
        return None
    distributed = _need_dask()
    try:
        import dask_geopandas

        for f in files:
            detect_format(f)   # a missing or empty file: read locally, for the local engine's message
        parts = []
        for f in files:       # one collection per file: its one partition is that file, whatever its name
            ddf = dask_geopandas.read_parquet(str(f.absolute()), split_row_groups=False,
                                              gather_spatial_partitions=False)
            parts += ddf.to_delayed()
        rows = pq.ParquetFile(files[0]).metadata.num_rows if Path(sites_path).is_file() else 0
    except ImportError as exc:
        raise UsageError(f"the dask engine needs dask-geopandas ({exc.name} is not installed): "
                         f"{INSTALL_HINT}") from None
    except (OSError, ValueError, pa.ArrowException):  # a footer dask cannot read: read locally, for the
        return None                                       # local engine's message
    if len(parts) != len(files):
        return None
    prepared = ctx.prepared
    prepared_f = client.scatter(prepared, broadcast=True, hash=False)
    towns_f = client.scatter(ctx.towns, broadcast=True, hash=False) if ctx.towns is not None else None
    frames = client.compute(parts)              # each file read on a worker
    read = [client.submit(_read_site_file, part, label=str(f), path=str(f.absolute()), to_crs=prepared.crs,
                          towgs84=towgs84, repair=repair, encoding=encoding, crs=crs, pure=False)
            for part, f in zip(frames, files, strict=True)]
    pieces: list = []
    futures: list = []
    try:
        distributed.wait(read)
        ok = [k for k, fut in enumerate(read) if fut.status != "error"]
        faults = dict(zip(ok, client.gather(client.map(_failure, [read[k] for k in ok], pure=False)), strict=True))
        for k, f in enumerate(files):   # the first faulty file, in the local engine's order
            if k not in faults:         # dask-geopandas could not read it
                raise InputError(f"cannot read GeoParquet: {_short(read[k].exception())}", path=str(f))
            if faults[k] is not None:
                raise faults[k]
        npieces = max(1, min(4 * _workers(client), -(-rows // 200)))
        if npieces > 1:                 # one file: cut on its worker into pieces for every worker
            pieces = [client.submit(_split_site_file, read[0], npieces, pure=False)]
            pieces += [client.submit(operator.getitem, pieces[0], k, pure=False) for k in range(npieces)]
        futures = client.map(_check_site_file, pieces[1:] or read, prepared=prepared_f,
                             project_type=project_type, towns=towns_f, where=str(sites_path), head=head,
                             pure=False)
        results = _gather(client, futures, progress)
    finally:
        client.cancel([*futures, *pieces, *read, *frames, prepared_f] + ([towns_f] if towns_f is not None else []))
    _raise_failed(results)
    return _dataset_result(results, ctx, head)


def _dataset_result(results: list[dict], ctx: CheckContext, head: int) -> tuple[dict, gpd.GeoDataFrame, list]:
    """The per-file (or per-piece) results as one, with the local engine's site order, ids and warnings."""
    file_warns, infos, heads = [], [], []
    for r in results:
        warns, info = r.pop("_file")
        if not infos or infos[-1]["path"] != info["path"]:   # the pieces of a file share its warnings
            file_warns += warns
            infos.append(info)
        heads.append(r.pop("_head"))
    layer_warns = list(results[0]["warnings"])       # the same in every file's result
    out = _in_input_order(results) if "_pos" in results[0] else combine_results(results)
    ids = unique_site_ids([s["site_id"] for s in out["sites"]], [s["source"] for s in out["sites"]])
    for s, i in zip(out["sites"], ids, strict=True):
        s["site_id"] = i
    out["warnings"] = file_warns + list(ctx.warnings) + layer_warns
    first = pd.concat(heads, ignore_index=True)
    if "_pos" in first.columns:
        first = first.sort_values("_pos", kind="stable").drop(columns="_pos")
    first = first.iloc[:head].reset_index(drop=True)
    sites = gpd.GeoDataFrame(first, geometry=heads[0].geometry.name, crs=heads[0].crs)
    sites["site_id"] = ids[:len(sites)]
    with_info(sites, LayerInfo(kind="site", files=[{k: v for k, v in i.items() if k != "record"} for i in infos],
                               warnings=file_warns))
    return out, sites, [{"path": i["path"], "record": i["record"]} for i in infos]


# ------------------------------------------------------------------------------------------------- areas
def _chunks(arr: np.ndarray, n: int) -> list[np.ndarray]:
    """``arr`` cut into at most ``n`` consecutive non-empty chunks."""
    n = max(1, min(n, len(arr)))
    return [c for c in np.array_split(arr, n) if len(c)]


def _map_concat(client, fn, arr: np.ndarray, n: int, **kw) -> np.ndarray:
    """``fn`` over consecutive chunks of ``arr`` on the cluster, results concatenated in order."""
    if len(arr) == 0:
        return fn(arr, **kw)
    chunks = _chunks(arr, n)
    futures = client.map(fn, client.scatter(chunks), pure=False, **kw)
    return np.concatenate(client.gather(futures))


def _measure_part(geoms: np.ndarray, *, crs, method: str) -> np.ndarray:
    return _measure(geoms, crs, method)


def _union_groups(groups: list[np.ndarray]) -> list:
    return [shapely.union_all(g) for g in groups]


def _clip_part(pieces: np.ndarray, *, boundary) -> np.ndarray:
    return _clip(pieces, boundary)


def _zone_part(zgeoms: np.ndarray, *, inside: np.ndarray, crs, method: str) -> np.ndarray:
    return zone_areas(zgeoms, inside, crs, method)


def _dissolve_pieces_dask(client, arr: np.ndarray, n: int) -> np.ndarray:
    """:func:`redline.spatial.overlay.dissolve_pieces` with the group unions on the cluster (same pieces, same order)."""
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    if len(arr) == 0:
        return arr
    labels = overlap_groups(arr)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    counts = np.diff(np.r_[starts, len(arr)])
    out = arr[order[starts]].copy()
    multi = np.flatnonzero(counts > 1)
    if len(multi):
        groups = [arr[order[starts[k]:starts[k] + counts[k]]] for k in multi]
        batches = [list(b) for b in np.array_split(np.arange(len(groups)), min(n, len(groups))) if len(b)]
        futures = client.map(_union_groups, [[groups[i] for i in b] for b in batches], pure=False)
        unions = [u for part in client.gather(futures) for u in part]
        for k, u in zip(multi, unions, strict=True):
            out[k] = u
    return out


class DaskSteps(LocalSteps):
    """The heavy steps of :func:`redline.spatial.shares.area_shares` on a dask cluster, in ``n`` chunks each: areas,
    the union of each group of overlapping polygons, clipping, one dissolve per category, zones. Results
    come back in the local order, so every sum is the local engine's."""

    def __init__(self, client, n: int, crs, method: str) -> None:
        super().__init__(crs, method)
        self.client, self.n = client, n

    def measure(self, geoms: np.ndarray) -> np.ndarray:
        return _map_concat(self.client, _measure_part, geoms, self.n, crs=self.crs, method=self.method)

    def pieces(self, geoms: np.ndarray) -> np.ndarray:
        return _dissolve_pieces_dask(self.client, geoms, self.n)

    def clip(self, pieces: np.ndarray, boundary) -> np.ndarray:
        if len(pieces) == 0:
            return super().clip(pieces, boundary)
        return _map_concat(self.client, _clip_part, pieces, self.n, boundary=boundary)

    def categories_m2(self, groups: list[np.ndarray], boundary) -> list[float]:
        futures = [self.client.submit(category_m2, g, boundary, self.crs, self.method, pure=False)
                   for g in groups]
        return self.client.gather(futures)

    def zones_m2(self, zgeoms: np.ndarray, inside: np.ndarray) -> np.ndarray:
        inside_f = self.client.scatter(inside, broadcast=True, hash=False)
        return _map_concat(self.client, _zone_part, zgeoms, self.n, inside=inside_f, crs=self.crs,
                           method=self.method)


def area_shares_dask(layer: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None = None, *, client,
                     by: str | None = None, zones: gpd.GeoDataFrame | None = None, zone_field: str = "name",
                     method: str = "ellipsoidal", chunks: int | None = None) -> dict:
    """:func:`redline.spatial.shares.area_shares` on a dask cluster (:class:`DaskSteps`): the same result.

    Parameters are those of :func:`redline.spatial.shares.area_shares`, plus

    client : distributed.Client
        From :func:`dask_client`.
    chunks : int, optional
        Chunks per distributed step (default 4 per worker).

    Example
    -------
    >>> import shapely
    >>> red = gpd.GeoDataFrame(geometry=[shapely.box(37_450_000, 4_200_000, 37_452_000, 4_201_000)], crs=4525)
    >>> with dask_client(n_workers=1, processes=False) as c:   # doctest: +SKIP
    ...     round(area_shares_dask(red, client=c)["total_m2"] / 1e6, 2)
    2.0
    """
    n = chunks or 4 * _workers(client)
    return area_shares(layer, boundary, by=by, zones=zones, zone_field=zone_field, method=method,
                       steps=lambda crs, m: DaskSteps(client, n, crs, m))
