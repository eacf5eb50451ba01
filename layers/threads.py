"""GEOS work on threads: shapely releases the GIL inside GEOS, so a vectorized call over part of an array runs
on one core while another part runs on the next.

Example
-------
>>> import numpy as np, shapely
>>> geoms = shapely.points(np.arange(10.0), np.zeros(10))
>>> parts = chunk_results(lambda a, b: shapely.get_x(geoms[a:b]), len(geoms), workers=2)
>>> np.concatenate(parts).tolist() == list(range(10))
True
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["chunk_results", "each_on_threads"]


def chunk_results(fn: Callable[[int, int], object], n: int, *, workers: int | None = None,
                  serial_below: int = 2) -> list:
    """``fn(start, stop)`` over ``range(n)`` cut into chunks (four per thread), on a pool of threads (one per
    core by default), the results in the chunks' order; one call ``fn(0, n)`` with a single core or fewer
    than ``serial_below`` items (threads would cost more than they give).

    >>> chunk_results(lambda a, b: (a, b), 8, workers=2)
    [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 8)]
    >>> chunk_results(lambda a, b: (a, b), 8, workers=2, serial_below=100)
    [(0, 8)]
    """
    workers = workers or os.cpu_count() or 1
    if workers < 2 or n < max(serial_below, 2):
        return [fn(0, n)]
    edges = np.unique(np.linspace(0, n, 4 * workers + 1).astype(int))
    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(lambda ab: fn(*ab), zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True)))


def each_on_threads(fn: Callable[[object], None], items: list, workers: int | None = None) -> None:
    """``fn(item)`` for each item, on a pool of threads (one per core by default) when there are several
    items and cores.

    >>> done = []
    >>> each_on_threads(done.append, [1, 2, 3], workers=2)
    >>> sorted(done)
    [1, 2, 3]
    """
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(items) < 2:
        for item in items:
            fn(item)
        return
    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(fn, items))
