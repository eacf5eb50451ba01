"""The dask engine: site checks and area shares on a dask distributed cluster, with the local engine's results.

``redline check --engine dask`` and ``redline area --engine dask`` run here. A local cluster (one worker
process per core, one thread each) is started and closed by :func:`dask_client`; ``--scheduler ADDRESS``
connects to a running cluster instead (``dask scheduler`` on one machine, ``dask worker ADDRESS`` on each
machine, with redline installed in the same version on every one of them).

Site checks
    The control layers are prepared once on the client (:func:`spatial.checks.prepare_layers`: analysis
    CRS, repaired geometries, coverage, rules) and sent once to every worker
    (``client.scatter(..., broadcast=True)``). The sites are read on the client as the local engine reads
    them (same site ids, same validation), then partitioned spatially: a GeoParquet dataset (a folder of
    ``.parquet`` files, e.g. written by dask-geopandas' ``to_parquet`` after a ``spatial_shuffle``) keeps
    its files as partitions; anything else is sorted along a Hilbert curve and cut into compact partitions
    (the order dask-geopandas' ``spatial_shuffle`` makes, without its shuffle through the cluster: the
    sites are already in the client's memory, so each partition is scattered to a worker once, not embedded
    in a task graph). Each partition is checked on a worker with
    :func:`spatial.checks.check_prepared`, and the per-site results are put back in input order. A site's
    result depends only on the site and the layers, so the result is the local engine's. The per-site
    results come back to the client (``check.json`` holds them all): for millions of point sites use
    ``--stream`` instead.

Area shares
    :func:`area_shares_dask` follows :func:`spatial.shares.area_shares` step by step, with the heavy work
    spread over the workers: ellipsoidal areas in chunks, the union of each group of overlapping polygons
    (:func:`spatial.overlay.overlap_groups`), clipping to the boundary in chunks, one dissolve per
    category of ``by``, zones in chunks. Every geometry goes through the same operations as in the local
    engine and every sum is taken on the client over the whole array in the local order.

"Identical" means: for a check, the same JSON (every key and string, site order, verdicts, findings,
warnings; the provenance's creation time aside) with every number equal to the local engine's within
1e-12 relative; for areas, the same keys, rows and warnings with every number within 1e-9 relative. In
practice numbers differ at most in their last bit or two: :func:`spatial.areas.ellipsoidal_area` sums
each ring's trapezoids after shifting by the first vertex of the batch it is given, so the same polygon
measured in another batch can round differently. The tests compare the two engines on the demo region
and on generated larger sets.

Example
-------
>>> import geopandas as gpd, shapely
>>> from spatial.shares import area_shares
>>> red = gpd.GeoDataFrame(geometry=[shapely.box(37_450_000, 4_200_000, 37_455_000, 4_210_000),
...                                   shapely.box(37_454_000, 4_200_000, 37_456_000, 4_210_000)], crs=4525)
>>> with dask_client(n_workers=1, processes=False) as client:   # doctest: +SKIP
...     r = area_shares_dask(red, client=client)
>>> r["total_m2"] == area_shares(red)["total_m2"]                # doctest: +SKIP
True
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator

import geopandas as gpd
import numpy as np
import shapely

from layers.errors import InputError, UsageError
from spatial.areas import method_description
from spatial.checks import PreparedLayers, check_prepared, combine_results
from spatial.overlay import as_array, dissolve, dissolve_pieces, intersect_pairs, overlap_groups, polygonal
from spatial.shares import _clip, _measure, _require_polygons, _valid

INSTALL_HINT = 'pip install "redline[dask]" (or pip install -e ".[dask]" in a source tree)'


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
        cluster = distributed.LocalCluster(n_workers=n_workers or default_workers(), threads_per_worker=1,
                                           processes=processes, dashboard_address=":0",
                                           silence_logs=logging.ERROR)
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
    """:func:`spatial.checks.check_prepared` on a dask cluster: the same result.

    Parameters
    ----------
    sites : GeoDataFrame
        The sites (any CRS the local engine takes), e.g. from :func:`spatial.checks.read_sites`.
    prepared : PreparedLayers
        From :func:`spatial.checks.prepare_layers`; sent once to every worker.
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
    distributed = _need_dask()
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
        done = 0
        for _ in distributed.as_completed(futures):
            done += 1
            if progress is not None:
                progress(done, len(futures), "分区 partitions")
        results = client.gather(futures)
    finally:
        client.cancel([*futures, *parts, prepared_f])
    return _in_input_order(results)


def _in_input_order(results: list[dict]) -> dict:
    """Partition results back into one result with the sites in input order."""
    pos = np.concatenate([np.asarray(r.pop("_pos"), dtype=np.int64) for r in results])
    combined = combine_results(results) if len(results) > 1 else dict(results[0])
    sites = combined["sites"]
    combined["sites"] = [sites[i] for i in np.argsort(pos, kind="stable")]
    return combined


def dask_checker(client, npartitions: int | None = None):
    """A ``checker`` for :func:`spatial.checks.check_project` that runs on ``client``."""

    def checker(sites, prepared, *, project_type=None, progress=None):
        return check_prepared_dask(sites, prepared, client=client, npartitions=npartitions,
                                   project_type=project_type, progress=progress)

    return checker


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


def _category_m2(geoms: np.ndarray, boundary, crs, method: str) -> float:
    part = dissolve_pieces(geoms)
    if boundary is not None:
        part = _clip(part, boundary)
    return float(_measure(part, crs, method).sum())


def _zone_part(zgeoms: np.ndarray, *, inside: np.ndarray, crs, method: str) -> np.ndarray:
    zi, _, geoms_in = intersect_pairs(zgeoms, inside)
    return np.bincount(zi, weights=_measure(polygonal(geoms_in), crs, method), minlength=len(zgeoms))


def _dissolve_pieces_dask(client, arr: np.ndarray, n: int) -> np.ndarray:
    """:func:`spatial.overlay.dissolve_pieces` with the group unions on the cluster (same pieces, same order)."""
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


def area_shares_dask(layer: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None = None, *, client,
                     by: str | None = None, zones: gpd.GeoDataFrame | None = None, zone_field: str = "name",
                     method: str = "ellipsoidal", chunks: int | None = None) -> dict:
    """:func:`spatial.shares.area_shares` on a dask cluster: the same result (see the module docstring
    for what "the same" means).

    Parameters are those of :func:`spatial.shares.area_shares`, plus

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
    _require_polygons(layer, "the layer")
    crs = layer.crs
    if crs is None:
        raise InputError("the layer has no CRS", path=layer.attrs.get("redline", {}).get("path"))
    n = chunks or 4 * _workers(client)
    warnings: list[str] = []
    geoms = _valid(as_array(layer.geometry))

    def measure(arr: np.ndarray) -> np.ndarray:
        return _map_concat(client, _measure_part, arr, n, crs=crs, method=method)

    raw_sum = float(measure(geoms).sum())
    pieces = _dissolve_pieces_dask(client, geoms, n)
    merged_m2 = float(measure(pieces).sum())
    overlap_removed = raw_sum - merged_m2
    if overlap_removed > 1e-9 * max(raw_sum, 1):
        warnings.append(f"features of the layer overlap each other: {overlap_removed:.2f} m² counted once")
    else:
        overlap_removed = 0.0

    bmerged = None
    boundary_m2 = None
    outside = 0.0
    inside = pieces
    if boundary is not None:
        _require_polygons(boundary, "the boundary")
        if boundary.crs is not None and not boundary.crs.equals(crs):
            warnings.append(f"the boundary is in {boundary.crs.name}; reprojected to the layer's {crs.name}")
            boundary = boundary.to_crs(crs)
        bmerged = dissolve(_valid(as_array(boundary.geometry)))
        boundary_m2 = float(_measure([bmerged], crs, method)[0])
        inside = _map_concat(client, _clip_part, pieces, n, boundary=bmerged) if len(pieces) else \
            _clip(pieces, bmerged)
        inside_m2 = float(measure(inside).sum())
        outside = merged_m2 - inside_m2
        if outside > 1e-9 * max(merged_m2, 1):
            warnings.append(f"{outside:.2f} m² of the layer lies outside the boundary and is not counted")
        else:
            outside = 0.0
        if len(inside) == 0:
            warnings.append("the layer does not intersect the boundary: total 0")
        total = inside_m2
    else:
        total = merged_m2
    share = None if not boundary_m2 else 100.0 * total / boundary_m2

    rows = []
    if by is not None:
        if by not in layer.columns:
            raise InputError(f"--by {by!r}: no such field (fields: "
                             f"{', '.join(c for c in layer.columns if c != layer.geometry.name)})",
                             path=layer.attrs.get("redline", {}).get("path"))
        keys = layer[by].astype("string").fillna("（空）").to_numpy()
        uniq = list(dict.fromkeys(keys))
        futures = [client.submit(_category_m2, geoms[keys == k], bmerged, crs, method, pure=False) for k in uniq]
        areas = client.gather(futures)
        rows = [{"key": str(k), "area_m2": float(a),
                 "share_pct": None if not boundary_m2 else 100.0 * float(a) / boundary_m2}
                for k, a in zip(uniq, areas, strict=True)]
        if sum(r["area_m2"] for r in rows) > total * (1 + 1e-9) + 1e-6:
            warnings.append(f"features with different {by} values overlap: the rows add up to more than "
                            "the dissolved total")
    elif zones is not None:
        _require_polygons(zones, "the zones")
        if zones.crs is not None and not zones.crs.equals(crs):
            warnings.append(f"the zones are in {zones.crs.name}; reprojected to the layer's {crs.name}")
            zones = zones.to_crs(crs)
        zgeoms = _valid(as_array(zones.geometry))
        inside_f = client.scatter(inside, broadcast=True, hash=False)
        per_zone = _map_concat(client, _zone_part, zgeoms, n, inside=inside_f, crs=crs, method=method)
        names = zones[zone_field] if zone_field in zones.columns else zones.index
        zone_m2 = measure(zgeoms)
        for name, a, za in zip(names, per_zone, zone_m2, strict=True):
            rows.append({"key": str(name), "area_m2": float(a),
                         "share_pct": None if not boundary_m2 else 100.0 * float(a) / boundary_m2,
                         "zone_m2": float(za), "share_of_zone_pct": 100.0 * float(a) / za if za else None})
    return {"method": method_description(crs, method), "total_m2": total, "sum_of_features_m2": raw_sum,
            "overlap_removed_m2": overlap_removed, "outside_boundary_m2": outside, "boundary_m2": boundary_m2,
            "share_pct": share, "features": int(len(layer)), "rows": rows, "warnings": warnings}
