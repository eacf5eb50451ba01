"""The overlay engine: one spatial index and vectorized shapely 2 operations for areas, shares, checks
and audits.

Example
-------
>>> import shapely
>>> left = [shapely.box(0, 0, 2, 2), shapely.box(10, 10, 11, 11)]
>>> right = [shapely.box(1, 1, 3, 3)]
>>> li, ri, geoms = intersect_pairs(left, right)
>>> li.tolist(), ri.tolist(), shapely.area(geoms).tolist()
([0], [0], [1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from redline.layers.threads import chunk_results, each_on_threads


def as_array(geoms) -> np.ndarray:
    """Geometries as a numpy object array (GeoSeries, GeoDataFrame, list or array)."""
    if hasattr(geoms, "geometry") and hasattr(geoms, "columns"):
        geoms = geoms.geometry
    if hasattr(geoms, "values") and hasattr(geoms, "geom_type"):
        return np.asarray(geoms.values, dtype=object)
    return np.asarray(geoms, dtype=object)


def polygonal(geoms) -> np.ndarray:
    """Only the polygonal parts (collections from an overlay keep their polygons; lines and points go)."""
    arr = as_array(geoms)
    types = shapely.get_type_id(arr)
    out = arr.copy()
    mixed = np.flatnonzero(types == 7)
    for i in mixed:  # rare: GeometryCollections from intersections
        parts = [p for p in shapely.get_parts(arr[i]) if shapely.get_type_id(p) in (3, 6)]
        out[i] = shapely.union_all(parts) if parts else shapely.Polygon()
    other = ~np.isin(types, (3, 6, 7))
    out[other] = shapely.Polygon()
    return out


def dissolve(geoms) -> shapely.Geometry:
    """Union of polygons with overlaps counted once.

    ``shapely.coverage_union_all`` (an order of magnitude faster than a general union) is tried first; its
    result is accepted only if it is valid and its area is the sum of the parts' areas, which holds exactly
    when the parts form a coverage (overlapping parts have a union smaller than their sum). Otherwise, or
    when GEOS finds the parts are not noded as a coverage, ``shapely.union_all``.

    >>> import shapely
    >>> dissolve([shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1)]).area
    3.0
    >>> dissolve([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]).area
    2.0
    """
    arr = as_array(geoms)
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    if len(arr) == 0:
        return shapely.Polygon()
    if np.isin(shapely.get_type_id(arr), (3, 6)).all() and not _sample_overlaps(arr):
        try:
            merged = shapely.coverage_union_all(arr)
            total = float(shapely.area(arr).sum())
            if abs(merged.area - total) <= 1e-9 * total and merged.is_valid:
                return merged
        except shapely.errors.GEOSException:  # not noded as a coverage
            pass
    return shapely.union_all(arr)


def _sample_overlaps(arr: np.ndarray, size: int = 250) -> bool:
    """Whether some of an evenly spaced sample of polygons overlaps another polygon (a cheap test that
    spares a doomed coverage union on an overlapping layer)."""
    sample = np.unique(np.linspace(0, len(arr) - 1, min(size, len(arr))).astype(int))
    a, b = shapely.STRtree(arr).query(arr[sample], predicate="intersects")
    b_other = b != sample[a]
    a, b = sample[a[b_other]], b[b_other]
    return bool(len(a) and shapely.relate_pattern(arr[a], arr[b], "T********").any())


def _box_pairs(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``(i, j)``, ``i < j``, whose bounding boxes meet (an STRtree query without a predicate: no
    geometry is compared)."""
    if len(arr) < 2:
        return np.zeros(0, int), np.zeros(0, int)
    a, b = shapely.STRtree(arr).query(arr)
    keep = a < b
    return a[keep], b[keep]


def overlap_pairs(geoms) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``(i, j)``, ``i < j``, of polygons whose interiors overlap (touching along an edge or at a
    point is not an overlap).

    Candidates are the pairs whose bounding boxes meet; each is tested once with the DE-9IM pattern
    ``T********`` (interiors meet), on threads. Testing ``intersects`` first would compare the geometries of
    every candidate twice.

    >>> import shapely
    >>> a, b = overlap_pairs([shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1), shapely.box(3, 0, 4, 1)])
    >>> a.tolist(), b.tolist()
    ([0], [1])
    """
    arr = as_array(geoms)
    a, b = _box_pairs(arr)
    if len(a):
        inner = threaded(shapely.relate_pattern, arr[a], arr[b], "T********")
        a, b = a[inner], b[inner]
    return a, b


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the graph of ``n`` nodes and edges ``(a[k], b[k])``: each node's label is the
    smallest node of its component.

    >>> components(5, np.array([0, 3]), np.array([2, 4])).tolist()
    [0, 1, 0, 3, 3]
    """
    labels = np.arange(n)
    while len(a):  # propagate the smallest label, with pointer jumping
        before = labels.copy()
        np.minimum.at(labels, a, labels[b])
        np.minimum.at(labels, b, labels[a])
        labels = labels[labels]
        if np.array_equal(labels, before):
            break
    return labels


def overlap_groups(geoms) -> np.ndarray:
    """A group label per polygon: polygons whose interiors overlap, directly or through others, share one
    (the smallest position in the group).

    >>> import shapely
    >>> overlap_groups([shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1), shapely.box(3, 0, 4, 1)]).tolist()
    [0, 0, 2]
    """
    arr = as_array(geoms)
    return components(len(arr), *overlap_pairs(arr))


_DENSE_GROUP = 5_000   # polygons in a cluster of meeting bounding boxes from which it may be judged dense
_DENSE_SHARE = 0.5     # share of the cluster's sampled box pairs that overlap for it to be dense
_DENSE_SAMPLE = 2_000
_DENSE_DEGREE = 8.0    # overlapping neighbours per polygon, estimated: well above where one group spans all


def union_groups(geoms) -> np.ndarray:
    """A group label per polygon for dissolving: each group is unioned on its own, and the groups' unions do
    not overlap.

    The groups are :func:`overlap_groups`, except in clusters of at least 5,000 polygons whose bounding
    boxes meet (connected through each other) where most pairs of meeting boxes (judged on a sample of
    2,000) are polygons that overlap and each polygon overlaps 8 others on average (estimated from that
    share): so many that the overlaps themselves connect nearly the whole cluster, which is then one group
    as it is. Uniting polygons that merely
    touch, or whose boxes meet, only makes a union larger, never wrong, and testing the millions of pairs
    of a densely overlapping layer would cost more than the union that is needed anyway.

    >>> import shapely
    >>> union_groups([shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1), shapely.box(3, 0, 4, 1)]).tolist()
    [0, 0, 2]
    """
    arr = as_array(geoms)
    n = len(arr)
    a, b = _box_pairs(arr)
    if len(a) == 0:
        return np.arange(n)
    test = np.ones(len(a), bool)
    if len(a) >= _DENSE_GROUP:
        box = components(n, a, b)
        in_big = np.bincount(box, minlength=n)[box] >= _DENSE_GROUP   # polygons in large clusters
        big = in_big[a]                                                 # and their box pairs
        sample = np.flatnonzero(big)
        if len(sample) > _DENSE_SAMPLE:
            sample = np.sort(np.random.default_rng(0).choice(sample, _DENSE_SAMPLE, replace=False))
        if len(sample):
            share = shapely.relate_pattern(arr[a[sample]], arr[b[sample]], "T********").mean()
            degree = 2 * big.sum() * share / in_big.sum()   # overlapping neighbours per polygon
            if share >= _DENSE_SHARE and degree >= _DENSE_DEGREE:
                test = ~big
    if not test.any():
        return box    # every pair kept: the clusters are the groups
    inner = np.ones(len(a), bool)
    inner[test] = threaded(shapely.relate_pattern, arr[a[test]], arr[b[test]], "T********")
    return components(n, a[inner], b[inner])


def dissolve_pieces(geoms) -> np.ndarray:
    """Non-overlapping pieces whose union is the union of ``geoms``: a polygon that overlaps no other is kept
    as is (the same object), each group of :func:`union_groups` is unioned on its own (a group of 20,000
    polygons or more tile by tile: several pieces that meet only along tile edges). Their areas add up to
    the dissolved area without building one huge union of everything. A layer of 20,000 polygons or more
    where most polygons overlap many others (:func:`_dense_layer`) is unioned whole, tile by tile
    (:func:`redline.spatial.tiled_union.tiled_union`).

    >>> import shapely
    >>> pieces = dissolve_pieces([shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1), shapely.box(5, 0, 6, 1)])
    >>> sorted(shapely.area(pieces).tolist())
    [1.0, 3.0]
    """
    arr = as_array(geoms)
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    if len(arr) == 0:
        return arr
    if len(arr) >= _SPLIT_UNION and _dense_layer(arr):
        from redline.spatial.tiled_union import tiled_union

        return tiled_union(arr)
    return _pieces_from_labels(arr, union_groups(arr))


def _dense_layer(arr: np.ndarray) -> bool:
    """Whether most polygons overlap many others: on an evenly drawn sample of 2,000, the median number of
    other polygons each one overlaps is at least 8. Such a layer is dissolved whole, tile by tile, without
    looking for its groups first: nearly every polygon would be in a union anyway, and the tens of millions
    of pairs of meeting bounding boxes cost more than the union itself."""
    sample = np.sort(np.random.default_rng(0).choice(len(arr), min(_DENSE_SAMPLE, len(arr)), replace=False))
    a, b = shapely.STRtree(arr).query(arr[sample])
    other = sample[a] != b
    a, b = a[other], b[other]
    overlapping = shapely.relate_pattern(arr[sample[a]], arr[b], "T********")
    return bool(np.median(np.bincount(a[overlapping], minlength=len(sample))) >= _DENSE_DEGREE)


_SMALL_GROUP = 8  # groups up to this size are unioned a bucket of equal-sized groups at a time
_SPLIT_UNION = 20_000  # groups of this size and more are unioned tile by tile (several pieces)


def _pieces_from_labels(arr: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The pieces of :func:`dissolve_pieces`, in the order of their groups' labels; a group of 20,000
    polygons or more gives the pieces of :func:`redline.spatial.tiled_union.tiled_union` (its union cut
    along tile edges), after all the others."""
    from redline.spatial.tiled_union import tiled_union

    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    counts = np.diff(np.r_[starts, len(arr)])
    out = arr[order[starts]].copy()
    multi = np.flatnonzero((counts > 1) & (counts < _SPLIT_UNION))
    if len(multi):  # one union per group of overlapping polygons, not per feature
        out[multi] = _union_groups([arr[order[starts[k]:starts[k] + counts[k]]] for k in multi])
    huge = np.flatnonzero(counts >= _SPLIT_UNION)
    if len(huge) == 0:
        return out
    tiled = [tiled_union(arr[np.sort(order[starts[k]:starts[k] + counts[k]])]) for k in huge]
    return np.concatenate([np.delete(out, huge), *tiled])


def _union_groups(groups: list[np.ndarray], workers: int | None = None) -> np.ndarray:
    """``shapely.union_all`` of each group, on threads (GEOS releases the GIL).

    Groups of the same small size are stacked as the rows of one array and unioned with one vectorized call
    per chunk of rows (``union_all(rows, axis=1)``: the same GEOS union of the same collection as one call
    per group, so the same result); larger groups one call each, the largest first.
    """
    out = np.empty(len(groups), dtype=object)
    sizes = np.array([len(g) for g in groups])
    tasks = []  # (vertices, positions in out, rows or None)
    for k in np.unique(sizes[sizes <= _SMALL_GROUP]):
        pos = np.flatnonzero(sizes == k)
        rows = np.stack([groups[i] for i in pos])
        for chunk in np.array_split(np.arange(len(pos)), max(1, len(pos) // 2_000)):
            tasks.append((int(shapely.get_num_coordinates(rows[chunk]).sum()), pos[chunk], rows[chunk]))
    for i in np.flatnonzero(sizes > _SMALL_GROUP):
        tasks.append((int(shapely.get_num_coordinates(groups[i]).sum()), np.array([i]), None))
    tasks.sort(key=lambda t: -t[0])

    def run(task) -> None:
        _, pos, rows = task
        if rows is None:
            out[pos[0]] = shapely.union_all(groups[pos[0]])
        else:
            out[pos] = shapely.union_all(rows, axis=1)

    each_on_threads(run, tasks, workers)
    return out


def is_coverage(geoms) -> bool:
    """Whether polygons form a valid coverage (valid, no overlaps, shared edges vertex-matched)."""
    arr = as_array(geoms)
    if not (np.isin(shapely.get_type_id(arr), (3, 6)).all() and shapely.is_valid(arr).all()):
        return False
    return bool(shapely.coverage_is_valid(arr))


_THREAD_MIN = 4_000  # pairs below which threads cost more than they give


def threaded(fn, left: np.ndarray, right: np.ndarray, *args, workers: int | None = None) -> np.ndarray:
    """A vectorized shapely function over pairs, in chunks on threads (shapely releases the GIL in GEOS).

    >>> import shapely
    >>> threaded(shapely.intersects, np.array([shapely.box(0, 0, 1, 1)]), np.array([shapely.Point(0.5, 0.5)]))
    array([ True])
    """
    parts = chunk_results(lambda a, b: fn(left[a:b], right[a:b], *args), len(left), workers=workers,
                          serial_below=_THREAD_MIN)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)

def threaded_query(tree: shapely.STRtree, geoms: np.ndarray, predicate: str, *, workers: int | None = None
                   ) -> np.ndarray:
    """``tree.query(geoms, predicate=predicate)`` with ``geoms`` in chunks on threads (GEOS releases the GIL);
    the same ``(2, n)`` array, in the same order.

    >>> import shapely
    >>> tree = shapely.STRtree(shapely.points([0.5, 5.0], [0.5, 5.0]))
    >>> threaded_query(tree, np.array([shapely.box(0, 0, 1, 1), shapely.box(4, 4, 6, 6)]), "contains").tolist()
    [[0, 1], [0, 1]]
    """
    def part(a: int, b: int) -> np.ndarray:
        found = tree.query(geoms[a:b], predicate=predicate)
        found[0] += a
        return found

    return np.concatenate(chunk_results(part, len(geoms), workers=workers), axis=1)

def intersect_pairs(left, right, *, tree: shapely.STRtree | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every intersecting (left, right) pair and its intersection geometry.

    Candidate pairs are the bounding-box matches of an STRtree over ``right``, tested with the right
    geometries prepared (each prepared once for all its candidates: a large zone is then tested against many
    small sites in logarithmic time, where the tree's own predicate query would prepare every small site
    instead); a left geometry wholly inside the right one needs no overlay (the intersection is the left
    geometry itself), the others are intersected vectorized, on threads for large inputs (the preparation
    is dropped before: GEOS prepared geometries are not thread-safe).

    Returns
    -------
    (left_index, right_index, geometries), sorted by left index.
    """
    la, ra = as_array(left), as_array(right)
    if len(la) == 0 or len(ra) == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0, dtype=object)
    tree = tree or shapely.STRtree(ra)
    li, ri = tree.query(la)
    if len(li) > 1 and (np.diff(li) < 0).any():
        order = np.argsort(li, kind="stable")
        li, ri = li[order], ri[order]
    hit, inside = _prepared_tests(la, ra, li, ri)
    li, ri, inside = li[hit], ri[hit], inside[hit]
    geoms = la[li].copy()
    if len(li):
        cut = np.flatnonzero(~inside)
        if len(cut):
            geoms[cut] = threaded(shapely.intersection, la[li[cut]], ra[ri[cut]])
    return li, ri, geoms


def _prepared_tests(la: np.ndarray, ra: np.ndarray, li: np.ndarray, ri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each pair ``(la[li], ra[ri])`` intersects, and whether the right geometry contains the left one
    (tested only where they intersect), with the right geometries prepared.

    The pairs are split between threads by right geometry, so that no prepared geometry is used by two
    threads at once (GEOS prepared geometries build their indexes lazily: not thread-safe); geometries
    prepared here are unprepared again.

    >>> import shapely
    >>> la = np.array([shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 6)])
    >>> ra = np.array([shapely.box(-1, -1, 2, 2)])
    >>> [a.tolist() for a in _prepared_tests(la, ra, np.array([0, 1]), np.array([0, 0]))]
    [[True, False], [True, False]]
    """
    hit, inside = np.zeros(len(li), bool), np.zeros(len(li), bool)
    order = np.argsort(ri, kind="stable")
    used, starts = np.unique(ri[order], return_index=True)
    ends = np.r_[starts[1:], len(order)].astype(np.int64)

    def part(a: int, b: int) -> None:
        mine = order[starts[a]: ends[b - 1]] if b > a else order[:0]
        right = ra[used[a:b]]
        fresh = right[~shapely.is_prepared(right)]
        shapely.prepare(fresh)
        try:
            h = shapely.intersects(ra[ri[mine]], la[li[mine]])
            hit[mine] = h
            inside[mine[h]] = shapely.contains(ra[ri[mine[h]]], la[li[mine[h]]])
        finally:
            shapely.destroy_prepared(fresh)

    chunk_results(part, len(used), serial_below=1 if len(li) >= _THREAD_MIN else len(used) + 1)
    return hit, inside


def overlap_by_left(left, right, *, tree: shapely.STRtree | None = None) -> np.ndarray:
    """For each left geometry, its intersection with the union of the right geometries it touches (right
    features overlapping each other counted once). Empty geometries where nothing touches."""
    la, ra = as_array(left), as_array(right)
    out = np.array([shapely.Polygon()] * len(la), dtype=object)
    li, ri, geoms = intersect_pairs(la, ra, tree=tree)
    if len(li) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, li[1:] != li[:-1]])
    counts = np.diff(np.r_[starts, len(li)])
    single = counts == 1
    out[li[starts[single]]] = geoms[starts[single]]
    for s, c in zip(starts[~single], counts[~single], strict=True):  # sites touching several features
        out[li[s]] = shapely.union_all(geoms[s:s + c])
    return out


def nearest_within(left, right, max_distance: float, *, tree: shapely.STRtree | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest right geometry for each left one, searched only within ``max_distance`` (never a scan).

    Returns
    -------
    (left_index, right_index, distance): left geometries with nothing within the distance are absent.
    """
    la, ra = as_array(left), as_array(right)
    if len(la) == 0 or len(ra) == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    tree = tree or shapely.STRtree(ra)
    (li, ri), dist = tree.query_nearest(la, max_distance=max_distance, return_distance=True,
                                        all_matches=False)
    return li, ri, dist


@dataclass
class EdgeIndex:
    """The edges of a layer's features (each segment of every boundary and line; points as they are) in an
    STRtree, with the feature each belongs to: a nearest search against small segments instead of large
    polygons (a point's distance to a polygon of hundreds of vertices costs hundreds of vertex distances;
    to a segment, one)."""

    tree: shapely.STRtree
    owner: np.ndarray


def edge_index(geoms) -> EdgeIndex:
    """The :class:`EdgeIndex` of geometries (their positions in ``geoms`` are the owners).

    >>> idx = edge_index([shapely.box(0, 0, 10, 10), shapely.Point(20, 0)])
    >>> len(idx.owner), sorted(set(idx.owner.tolist()))
    (5, [0, 1])
    """
    arr = as_array(geoms)
    keep = np.flatnonzero(~(shapely.is_missing(arr) | shapely.is_empty(arr)))
    dims = shapely.get_dimensions(arr[keep])
    lines = np.where(dims == 2, shapely.boundary(arr[keep]), arr[keep])
    parts, part_of = shapely.get_parts(lines, return_index=True)
    is_point = np.isin(shapely.get_type_id(parts), (0,))
    coords, vertex_of = shapely.get_coordinates(parts[~is_point], return_index=True)
    owner_of_part = keep[part_of[~is_point]]
    pair = np.flatnonzero(vertex_of[1:] == vertex_of[:-1])           # consecutive vertices of one part
    segments = shapely.linestrings(np.stack([coords[pair], coords[pair + 1]], axis=1))
    items = np.concatenate([segments, parts[is_point]])
    owner = np.concatenate([owner_of_part[vertex_of[pair]], keep[part_of[is_point]]])
    return EdgeIndex(shapely.STRtree(items), owner)


def nearest_edges(left, index: EdgeIndex, max_distance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each left geometry, its nearest edge within ``max_distance`` and that edge's feature: the nearest
    feature of left geometries that touch none (their distance to a feature is the distance to its edges).

    Returns ``(left_index, feature, edge geometry)``; left geometries with nothing within the distance are
    absent. The search runs without a distance limit (GEOS's branch and bound) and is cut afterwards: a
    limited search would measure every edge within the limit.
    """
    la = as_array(left)
    if len(la) == 0 or len(index.owner) == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0, dtype=object)
    (li, ei), dist = index.tree.query_nearest(la, all_matches=False, return_distance=True)
    near = dist <= max_distance
    li, ei = li[near], ei[near]
    return li, index.owner[ei], index.tree.geometries[ei]
