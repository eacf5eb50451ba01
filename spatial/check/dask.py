"""The dask engine of a site check: batches of sites checked on a dask distributed cluster, with the local
engine's result.

The control layers are prepared once on the client (:func:`~redline.spatial.check.prepare.load_check_layers`)
and sent once to every worker (``client.scatter(..., broadcast=True)``), with the township layer that
locates each site. Each partition is checked on a worker with
:func:`~redline.spatial.check.run.check_chunk`, exactly what the local engine runs on all the sites at
once; a site's result depends only on the site and the layers, so the partitions' results, put back in
input order, are the local engine's.

Where the sites are read
    A **GeoParquet dataset** (a folder of ``.parquet``/``.geoparquet`` files, or one such file with several
    row groups), unless ``npartitions`` is given, is read **by the workers**, each file by one worker with
    the one site reader (:meth:`redline.layers.sites.SiteSource.read_file`: rows, ids, warnings and
    validation per file, as locally); the path must be the same on the client and on every worker (a
    shared filesystem; it is made absolute here). In a folder each file is one partition; a single file
    is read by one worker and cut there into spatially compact pieces (:func:`spatial_partitions`) that
    every worker checks (the pieces move between workers, never through the client). The client then
    makes ids held by sites of two files unique, as the local engine does.

    **Anything else** is read on the client (:meth:`~redline.layers.sites.SiteSource.read`), sorted along a
    Hilbert curve and cut into compact partitions (``npartitions``, default 4 per worker, at most one per
    200 sites), each scattered to a worker once.

A :class:`~redline.layers.errors.RedlineError` met on a worker comes back as a value (the worker does not
log a crashed task with a traceback) and is raised on the client as it was: one line, exit 3. With several
faulty files, the first one's error in reading order is raised, as the local engine would.

Example
-------
>>> from redline.spatial.dask_engine import dask_client                      # doctest: +SKIP
>>> with dask_client(n_workers=2) as client:                                # doctest: +SKIP
...     result = check_dask("sites/", ctx, client=client)
"""

from __future__ import annotations

import operator
from pathlib import Path

import geopandas as gpd
import numpy as np

from redline.layers.errors import InputError, RedlineError
from redline.layers.info import layer_info
from redline.layers.sites import SiteSource, geoparquet_dataset, unique_site_ids
from redline.spatial.check.prepare import CheckContext
from redline.spatial.check.result import TABLES, CheckResult, concat_results, select_sites
from redline.spatial.check.run import Progress, check_chunk, finish, site_source
from redline.spatial.dask_engine import (
    failing_as_value,
    failure,
    gather,
    need_dask,
    raise_failed,
    spatial_partitions,
    workers_of,
)
from redline.spatial.rules import resolve_type

MIN_SITES_PER_PARTITION = 200


@failing_as_value
def _check_partition(part, ctx: CheckContext, *, project_type, warnings: list[str]) -> CheckResult:
    """One partition on a worker: :func:`check_chunk`, keeping the input positions of its sites."""
    pos = part["_pos"].to_numpy()
    part = part.drop(columns="_pos").reset_index(drop=True)
    layer_info(part).warnings = list(warnings)
    result = check_chunk(part, ctx, project_type=project_type)
    result.sites["_pos"] = pos
    return result


@failing_as_value
def _read_file(path: str, *, label: str, ctx: CheckContext, repair: bool, encoding: str | None, crs) -> tuple:
    """On a worker: one file of a GeoParquet dataset read as the local engine reads it, from its absolute
    ``path``, named ``label`` (as the local engine names it) in the sites, records and messages; with its
    warnings, its reading record and its file record (hash) for the provenance."""
    from redline.layers.outputs import file_record

    source = SiteSource(path, crs=crs, encoding=encoding, repair=repair, to_crs=ctx.prepared.crs,
                        towgs84=ctx.prepared.towgs84, gcj02=ctx.gcj02)
    try:
        sites = source.read_file(path)
    except RedlineError as exc:
        if exc.path != path:
            raise
        raise type(exc)(exc.reason, path=label, line=exc.line, feature=exc.feature) from None
    sites["_source"] = label
    return sites, list(source.warnings), dict(source.records[0], path=label), file_record(path)


def _rows(item: tuple) -> int:
    return len(item[0])


def _pieces(item: tuple, n: int) -> list[tuple]:
    """On a worker: one file's sites cut into ``n`` spatially compact pieces (with ``_pos``)."""
    sites, warns, record, hashed = item
    return [(piece, warns, record, hashed) for piece in spatial_partitions(sites, n)]


@failing_as_value
def _check_file(item: tuple, ctx: CheckContext, *, project_type) -> tuple:
    """On a worker: one file's sites (or a piece of them) checked."""
    sites, warns, record, hashed = item
    pos = sites["_pos"].to_numpy() if "_pos" in sites.columns else None
    sites = sites.drop(columns="_pos") if pos is not None else sites
    result = check_chunk(sites.reset_index(drop=True), ctx, project_type=project_type)
    if pos is not None:
        result.sites["_pos"] = pos
    return result, warns, record, hashed


def _in_input_order(result: CheckResult) -> CheckResult:
    """A combined result whose sites carry ``_pos`` put back in that order (and ``_pos`` dropped)."""
    order = np.argsort(result.sites["_pos"].to_numpy(), kind="stable")
    out = select_sites(result, order)
    out.sites = out.sites.drop(columns="_pos")
    return out


def _without_context(result: CheckResult) -> CheckResult:
    result.context = None
    return result


def check_dask(sites_path, ctx: CheckContext, *, client, npartitions: int | None = None,
               project_type: str | None = None, repair: bool = False, encoding: str | None = None, crs=None,
               progress: Progress | None = None) -> CheckResult:
    """Check the sites of ``sites_path`` against the prepared ``ctx`` on a dask cluster: the local engine's
    result (:func:`~redline.spatial.check.run.check_project`).

    Parameters
    ----------
    sites_path : path or GeoDataFrame
        A site file or folder (a GeoParquet dataset is read by the workers, see the module docstring), or
        checkable sites already read (e.g. by :class:`~redline.layers.sites.SiteSource`).
    ctx : CheckContext
        From :func:`~redline.spatial.check.prepare.load_check_layers`.
    client : distributed.Client
        From :func:`redline.spatial.dask_engine.dask_client`.
    npartitions : int, optional
        Spatial partitions of the sites (then read on the client). Default: a GeoParquet dataset's files,
        else 4 per worker, at most one per 200 sites.
    progress : callable, optional
        ``progress(done, total, what)`` as each partition completes.

    Raises
    ------
    RedlineError
        What the local engine raises for these sites, raised on a worker and re-raised here.
    """
    need_dask()
    project_type = resolve_type(project_type) if project_type is not None else None
    files = geoparquet_dataset(sites_path) \
        if npartitions is None and not isinstance(sites_path, gpd.GeoDataFrame) else None
    ctx_f = client.scatter(ctx, broadcast=True, hash=False)
    try:
        if files:
            return _check_dataset(sites_path, files, ctx, ctx_f, client=client, project_type=project_type,
                                  repair=repair, encoding=encoding, crs=crs, progress=progress)
        if isinstance(sites_path, gpd.GeoDataFrame):     # checkable sites already read
            sites, records = sites_path, []
        else:
            source = site_source(sites_path, ctx, repair=repair, encoding=encoding, crs=crs)
            sites, records = source.read(), source.records
        warnings = layer_info(sites).warnings + ctx.warnings
        n = npartitions or max(1, min(4 * workers_of(client), -(-len(sites) // MIN_SITES_PER_PARTITION)))
        parts = client.scatter(spatial_partitions(sites, n), hash=False)
        futures = client.map(_check_partition, parts, ctx=ctx_f, project_type=project_type, warnings=warnings,
                             pure=False)
        try:
            results = gather(client, futures, progress)
        finally:
            client.cancel([*futures, *parts])
        raise_failed(results)
        result = _in_input_order(concat_results([_without_context(r) for r in results]))
        return finish(result, ctx, records)
    finally:
        client.cancel([ctx_f])


def _check_dataset(sites_path, files: list[Path], ctx: CheckContext, ctx_f, *, client, project_type, repair,
                   encoding, crs, progress) -> CheckResult:
    """A GeoParquet dataset: each file read and checked on a worker (see the module docstring)."""
    import distributed

    labels = [str(f) for f in files]
    read = [client.submit(_read_file, str(f.absolute()), label=label, ctx=ctx_f, repair=repair,
                          encoding=encoding, crs=crs, pure=False) for f, label in zip(files, labels, strict=True)]
    pieces: list = []
    futures: list = []
    try:
        distributed.wait(read)
        faults = client.gather(client.map(failure, read, pure=False))   # only the faults come back
        for fut, fault, label in zip(read, faults, labels, strict=True):  # the first, in reading order
            if fut.status == "error":
                raise InputError(f"cannot read the site file: {fut.exception()}", path=label)
            if fault is not None:
                raise fault
        if len(files) == 1:   # one file: cut on its worker into pieces for every worker
            rows = client.submit(_rows, read[0], pure=False).result()
            n = max(1, min(4 * workers_of(client), -(-rows // MIN_SITES_PER_PARTITION)))
            if n > 1:
                pieces = [client.submit(_pieces, read[0], n, pure=False)]
                pieces += [client.submit(operator.getitem, pieces[0], k, pure=False) for k in range(n)]
        futures = client.map(_check_file, pieces[1:] or read, ctx=ctx_f, project_type=project_type, pure=False)
        results = gather(client, futures, progress)
    finally:
        client.cancel([*futures, *pieces, *read])
    raise_failed(results)
    file_warnings, records = [], []
    for _, warns, record, hashed in results:
        if not records or records[-1]["path"] != record["path"]:   # the pieces of a file share its warnings
            file_warnings += warns
            records.append(record)
            ctx.records.setdefault(record["path"], hashed)
    result = concat_results([_without_context(r) for r, *_ in results])
    if "_pos" in result.sites.columns:
        result = _in_input_order(result)
    ids = np.array(unique_site_ids(result.sites["site_id"], result.sites["source"]), dtype=object)
    result.sites["site_id"] = ids
    for name in TABLES[1:]:
        table = getattr(result, name)
        table["site_id"] = ids[table["site"].to_numpy(dtype=np.int64)]
    result.warnings = file_warnings + list(ctx.warnings) + list(result.warnings)
    return finish(result, ctx, records)
