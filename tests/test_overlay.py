"""The overlay engine against plain shapely on the same data (a second method)."""

from __future__ import annotations

import numpy as np
import shapely

from redline.spatial.overlay import dissolve, dissolve_pieces, intersect_pairs, nearest_within, overlap_groups


def random_discs(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pts = shapely.points(rng.uniform(0, 1_000, (n, 2)))
    return shapely.buffer(pts, rng.uniform(5, 40, n), quad_segs=4)


def test_dissolve_pieces_do_not_overlap_and_add_up_to_the_union():
    discs = random_discs(400, 1)
    pieces = dissolve_pieces(discs)
    union = shapely.union_all(discs)
    assert abs(shapely.area(pieces).sum() - union.area) < 1e-6 * union.area
    a, b = shapely.STRtree(pieces).query(pieces, predicate="intersects")
    keep = a < b
    overlaps = shapely.area(shapely.intersection(pieces[a[keep]], pieces[b[keep]]))
    assert overlaps.max(initial=0) < 1e-6


def test_overlap_groups_are_connected_components():
    boxes = [shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1), shapely.box(2.5, 0, 4, 1),  # a chain
             shapely.box(4, 0, 5, 1),  # touches the chain only along an edge: its own group
             shapely.box(10, 10, 11, 11)]
    labels = overlap_groups(boxes)
    assert labels[0] == labels[1] == labels[2]
    assert len({labels[0], labels[3], labels[4]}) == 3


def test_dissolve_of_a_coverage_equals_union_all():
    cells = np.array([shapely.box(x, y, x + 1, y + 1) for x in range(10) for y in range(10)], dtype=object)
    assert dissolve(cells).equals(shapely.box(0, 0, 10, 10))


def test_intersect_pairs_match_brute_force():
    left, right = random_discs(150, 2), random_discs(80, 3)
    li, ri, geoms = intersect_pairs(left, right)
    brute = [(i, j) for i in range(len(left)) for j in range(len(right)) if left[i].intersects(right[j])]
    assert sorted(zip(li.tolist(), ri.tolist(), strict=True)) == brute
    expected = shapely.area(shapely.intersection(left[li], right[ri]))
    assert np.allclose(shapely.area(geoms), expected, rtol=1e-9, atol=1e-9)


def test_nearest_within_is_capped():
    left = np.array([shapely.Point(0, 0), shapely.Point(100, 0)], dtype=object)
    right = np.array([shapely.box(10, -1, 12, 1)], dtype=object)
    li, ri, dist = nearest_within(left, right, 50)
    assert li.tolist() == [0] and ri.tolist() == [0] and dist.tolist() == [10.0]


def test_intersect_pairs_by_hand_and_preparation_left_as_found():
    # right: a 10 m square and a 10 x 10 L-shaped zone whose bounding box holds the left box (1..2) it misses
    zone = shapely.box(0, 0, 10, 10)
    ell = shapely.Polygon([(20, 0), (30, 0), (30, 2), (22, 2), (22, 10), (20, 10)])
    right = np.array([zone, ell])
    shapely.prepare(right[1])          # a caller's own preparation stays
    left = np.array([shapely.box(2, 2, 4, 4),        # inside the square: 4 m²
                     shapely.box(8, 8, 12, 12),      # over the square's corner: 2 x 2 = 4 m²
                     shapely.box(10, 0, 11, 1),      # touches the square along an edge only: 0 m²
                     shapely.box(25, 5, 28, 8)])     # in the L's bounding box, outside the L
    li, ri, geoms = intersect_pairs(left, right)
    assert (li.tolist(), ri.tolist()) == ([0, 1, 2], [0, 0, 0])
    assert shapely.area(geoms).tolist() == [4.0, 4.0, 0.0]
    assert geoms[0] is left[0]          # wholly inside: the site itself, no overlay
    assert shapely.is_prepared(right).tolist() == [False, True]


def test_prepared_tests_on_threads_agree_with_unprepared_predicates():
    """Enough pairs to split between threads by right geometry: the same answers as the plain predicates,
    and no right geometry left prepared (none was before)."""
    from redline.spatial.overlay import _prepared_tests

    rng = np.random.default_rng(5)
    left = shapely.buffer(shapely.points(rng.random(3000) * 100, rng.random(3000) * 100), 0.5)
    right = shapely.buffer(shapely.points(rng.random(200) * 100, rng.random(200) * 100), rng.random(200) * 8)
    li, ri = shapely.STRtree(right).query(left)
    assert len(li) > 4000
    hit, inside = _prepared_tests(left, right, li, ri)
    assert hit.tolist() == shapely.intersects(right[ri], left[li]).tolist()
    assert inside.tolist() == (shapely.contains(right[ri], left[li]) & hit).tolist()
    assert inside.sum() > 0 and (~hit).sum() > 0
    assert not shapely.is_prepared(right).any()
