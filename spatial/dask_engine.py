"""The dask engine: a dask distributed cluster, and area shares on it with the local engine's results.

``redline check --engine dask`` and ``redline area --engine dask`` run on the cluster :func:`dask_client`
gives: a local cluster (one worker process per core, one thread each) started and closed here, or a running
one (``--scheduler ADDRESS``: ``dask scheduler`` on one machine, ``dask worker ADDRESS`` on each machine, with
redline installed in the same version on every one of them). Site checks on it:
:mod:`redline.spatial.check.dask`.

Area shares
    :func:`area_shares_dask` is :func:`redline.spatial.shares.area_shares` with :class:`DaskSteps`, which
    spread the heavy work over the workers: ellipsoidal areas in chunks, the union of each group of
    overlapping polygons (:func:`redline.spatial.overlay.overlap_groups`), clipping to the boundary in
    chunks, one dissolve per category of ``by``, zones in chunks. The layers are read on the client. Every
    geometry goes through the same operations as in the local engine and every sum is taken on the client
    over the whole array in the local order, so the numbers agree within 1e-9 relative.

Faults
    A :class:`~redline.layers.errors.RedlineError` (or a GEOS error) met on a worker is returned as a value
    (:func:`failing_as_value`), so the worker does not log a crashed task with a traceback, and raised on
    the client as it was (:func:`raise_failed`): one line, exit 3.

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
import os
from collections.abc import Callable, Iterator

import geopandas as gpd
import numpy as np
import shapely

from redline.layers.errors import InputError, RedlineError, UsageError
from redline.spatial.overlay import overlap_groups
from redline.spatial.shares import LocalSteps, _clip, _measure, area_shares, category_m2, zone_areas

INSTALL_HINT = 'pip install "redline[dask]" (or pip install -e ".[dask]" in a source tree)'
PARQUET_EXTENSIONS = (".parquet", ".geoparquet")


def need_dask():
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
    distributed = need_dask()
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


def workers_of(client) -> int:
    try:
        return max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
    except Exception:  # an old scheduler, or one without workers yet
        return 1


# ------------------------------------------------------------------------------------------------ checks
class Failed:
    """A fault the user is told about (a :class:`RedlineError`, a GEOS error), met on a worker and returned
    as a value: raised again on the client (:func:`raise_failed`), and not logged by the worker as a
    crashed task with its traceback."""

    def __init__(self, exc: Exception):
        self.exc = exc


def failing_as_value(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (RedlineError, shapely.errors.GEOSException) as exc:
            return Failed(exc)

    return run


def failure(item) -> Exception | None:
    """The fault a worker returned as a value, else None (run on the worker: only faults travel back)."""
    return item.exc if isinstance(item, Failed) else None


def raise_failed(results: list) -> None:
    """Raise the first fault met on a worker, in the order of ``results``."""
    for r in results:
        if isinstance(r, Failed):
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


def gather(client, futures: list, progress: Callable | None) -> list:
    """The futures' results, in order, with ``progress(done, total, "已完成分区")`` as each completes."""
    import distributed

    for done, _ in enumerate(distributed.as_completed(futures), 1):
        if progress is not None:
            progress(done, len(futures), "已完成分区")
    return client.gather(futures)


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
                     by: str | None = None, zones: gpd.GeoDataFrame | None = None, zone_field: str | None = None,
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
    n = chunks or 4 * workers_of(client)
    return area_shares(layer, boundary, by=by, zones=zones, zone_field=zone_field, method=method,
                       steps=lambda crs, m: DaskSteps(client, n, crs, m))
