"""The union of a very large group of overlapping polygons, tile by tile, on threads.

One GEOS ``union_all`` of hundreds of thousands of overlapping polygons runs on one core and spends its
time noding ever larger intermediate unions. :func:`tiled_union` cuts the group's extent into a grid of
tiles, gives each tile the polygons that lie in it (a polygon that crosses tile edges is cut along them,
one piece per tile it meets) and unions each tile on its own (GEOS releases the GIL: the tiles run on
threads). The tiles' unions meet only along tile edges, so their areas add up to the area of the whole
union, nothing counted twice. Within a tile, :func:`nested_union` first unions the largest polygons and
leaves out every polygon that this union already covers: it would add nothing.

Example
-------
>>> import shapely
>>> boxes = np.array([shapely.box(i, j, i + 3, j + 3) for i in range(10) for j in range(10)])  # 12 x 12
>>> pieces = tiled_union(boxes, tiles=4)
>>> len(pieces), float(shapely.area(pieces).sum())
(4, 144.0)
"""

from __future__ import annotations

import numpy as np
import shapely

from redline.layers.threads import each_on_threads
from redline.spatial.overlay import polygonal

PER_TILE = 10_000  # polygons per tile, on average, that the grid is sized for


def nested_union(geoms: np.ndarray) -> shapely.Geometry:
    """``union_all`` of polygons, with those that the largest ones already cover left out.

    The largest polygons, by area, that together hold half of the summed area are unioned first; every
    other polygon that this union covers (GEOS ``covers``, the union prepared once) is dropped, and the
    union of those left is added. The same point set as ``shapely.union_all(geoms)``: a covered polygon
    adds no point to it.

    >>> import shapely
    >>> big = shapely.box(0, 0, 10, 10)
    >>> inside = [shapely.box(i, i, i + 1, i + 1) for i in range(9)]
    >>> nested_union(np.array([big, *inside, shapely.box(9, 9, 12, 12)])).area
    108.0
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 3:
        return shapely.union_all(geoms)
    area = shapely.area(geoms)
    order = np.argsort(-area, kind="stable")
    cumulative = np.cumsum(area[order])
    k = int(np.searchsorted(cumulative, cumulative[-1] / 2)) + 1
    first = shapely.union_all(geoms[np.sort(order[:k])])
    rest = geoms[np.sort(order[k:])]
    if len(rest) == 0:
        return first
    shapely.prepare(first)
    left = rest[~shapely.covers(first, rest)]
    shapely.destroy_prepared(first)
    if len(left) == 0:
        return first
    return shapely.union(first, shapely.union_all(left))


def tile_edges(bounds: np.ndarray, tiles: int) -> tuple[np.ndarray, np.ndarray]:
    """The x and y edges of a grid of about ``tiles`` nearly square tiles over the extent of ``bounds``
    (rows of ``xmin, ymin, xmax, ymax``).

    >>> xs, ys = tile_edges(np.array([[0.0, 0.0, 40.0, 10.0]]), 4)
    >>> xs.tolist(), ys.tolist()
    ([0.0, 10.0, 20.0, 30.0, 40.0], [0.0, 10.0])
    """
    x0, y0 = bounds[:, 0].min(), bounds[:, 1].min()
    x1, y1 = bounds[:, 2].max(), bounds[:, 3].max()
    w, h = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    nx = max(1, min(tiles, round(np.sqrt(tiles * w / h))))
    ny = max(1, round(tiles / nx))
    return np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1)


def _tile_of(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The tile (between consecutive ``edges``) each value falls in; an edge counts in the tile after it."""
    return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)


def _cut(geoms: np.ndarray, tx: np.ndarray, ty: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The part of each polygon inside its tile ``(tx, ty)`` of the grid ``xs, ys``: ``shapely.clip_by_rect``
    (fast, and exact where edges cross the rectangle, but not promised valid), and a full
    ``shapely.intersection`` for the few parts it gives invalid.

    >>> ring = shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 3, 3))
    >>> _cut(np.array([ring]), np.array([0]), np.array([0]), np.array([0.0, 2.0]), np.array([0.0, 4.0]))[0].area
    6.0
    """
    out = np.empty(len(geoms), dtype=object)
    key = ty * (len(xs) - 1) + tx
    for k in np.unique(key):
        at = np.flatnonzero(key == k)
        i, j = tx[at[0]], ty[at[0]]
        out[at] = shapely.clip_by_rect(geoms[at], xs[i], ys[j], xs[i + 1], ys[j + 1])
    out = polygonal(out)
    bad = np.flatnonzero(~shapely.is_valid(out))
    if len(bad):
        rects = shapely.box(xs[tx[bad]], ys[ty[bad]], xs[tx[bad] + 1], ys[ty[bad] + 1])
        out[bad] = polygonal(shapely.intersection(geoms[bad], rects))
    return out


def tile_members(geoms: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> list[np.ndarray]:
    """For each tile of the grid (row by row of ``ys``, then ``xs``), the polygons that lie in it: a polygon
    whose bounding box lies in one tile as it is, one that crosses tile edges cut into its part in each
    tile it meets (:func:`_cut`; parts that are only a line or a point along an edge dropped)."""
    b = shapely.bounds(geoms)
    ix0, ix1 = _tile_of(xs, b[:, 0]), _tile_of(xs, b[:, 2])
    iy0, iy1 = _tile_of(ys, b[:, 1]), _tile_of(ys, b[:, 3])
    nx = len(xs) - 1
    whole = (ix0 == ix1) & (iy0 == iy1)
    owner = [np.flatnonzero(whole)]
    tile = [(iy0 * nx + ix0)[whole]]
    part = [geoms[whole]]
    cross = np.flatnonzero(~whole)
    if len(cross):
        wx, wy = ix1[cross] - ix0[cross] + 1, iy1[cross] - iy0[cross] + 1
        rep = np.repeat(np.arange(len(cross)), wx * wy)
        step = np.arange(len(rep)) - np.repeat(np.cumsum(wx * wy) - wx * wy, wx * wy)
        tx = ix0[cross][rep] + step % wx[rep]
        ty = iy0[cross][rep] + step // wx[rep]
        cut = _cut(geoms[cross][rep], tx, ty, xs, ys)
        keep = ~shapely.is_empty(cut)
        owner.append(cross[rep[keep]])
        tile.append((ty * nx + tx)[keep])
        part.append(cut[keep])
    owner_all, tile_all, part_all = (np.concatenate(v) for v in (owner, tile, part))
    order = np.lexsort((owner_all, tile_all))      # by tile, then in the layer's order
    tile_all, part_all = tile_all[order], part_all[order]
    starts = np.flatnonzero(np.r_[True, tile_all[1:] != tile_all[:-1]]) if len(tile_all) else np.zeros(0, int)
    return np.split(part_all, starts[1:])


def tiled_union(geoms, *, tiles: int | None = None, workers: int | None = None) -> np.ndarray:
    """The union of polygons as pieces that meet only along tile edges: one :func:`nested_union` per tile
    of a grid over their extent (about one tile per 10,000 polygons, at least four), the tiles on threads.
    Their areas add up to the area of ``shapely.union_all(geoms)``.

    Parameters
    ----------
    geoms : array of valid polygons
    tiles : int, optional
        About how many tiles (default: one per 10,000 polygons, at least 4).
    workers : int, optional
        Threads (default: one per core).

    Returns
    -------
    numpy array of polygonal geometries, one per tile that holds any polygon, in the tiles' order.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return geoms
    tiles = tiles or max(4, len(geoms) // PER_TILE)
    xs, ys = tile_edges(shapely.bounds(geoms), tiles)
    members = tile_members(geoms, xs, ys)
    out = np.empty(len(members), dtype=object)
    work = sorted(range(len(members)), key=lambda i: -int(shapely.get_num_coordinates(members[i]).sum()))

    def run(i: int) -> None:
        out[i] = nested_union(members[i])

    each_on_threads(run, work, workers)
    return out[~shapely.is_empty(out)]
