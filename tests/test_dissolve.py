"""The dissolve used for areas (overlaps counted once) against hand arithmetic on boxes, a full
``shapely.union_all`` (a second method) and pyproj.Geod (GeographicLib) for the ellipsoidal total."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from redline.spatial import overlay, tiled_union
from redline.spatial.areas import ellipsoidal_area, to_lonlat
from redline.spatial.overlay import _union_groups, dissolve_pieces, overlap_groups, union_groups
from redline.spatial.shares import area_shares, pieces_m2

X0, Y0 = 37_500_000, 4_200_000  # on the central meridian of zone 37


def lattice(nx: int, ny: int, step: float = 1.0, side: float = 2.5, x0: float = 0.0, y0: float = 0.0):
    """Boxes of ``side`` every ``step``: each overlaps its neighbours; the union is one rectangle of
    ``(nx - 1) * step + side`` by ``(ny - 1) * step + side``."""
    x, y = np.meshgrid(x0 + step * np.arange(nx), y0 + step * np.arange(ny))
    x, y = x.ravel(), y.ravel()
    return shapely.box(x, y, x + side, y + side)


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch):
    """The dense-cluster and tiled-union routes at test sizes (5,000 and 20,000 polygons in the product)."""
    monkeypatch.setattr(overlay, "_DENSE_GROUP", 500)
    monkeypatch.setattr(overlay, "_SPLIT_UNION", 1_000)


def layer_with_known_union():
    """A dense cluster of 2,400 overlapping boxes (union 61.5 x 41.5 = 2,552.25), a 2 x 2 and a 2 x 1 box
    overlapping by 1 (5), two 2 x 1 boxes overlapping by half (3), a chain of three touching unit boxes (3)
    and a box inside a 2 x 2 one (4): 2,567.25 in all."""
    dense = lattice(60, 40)
    others = [shapely.box(1000, 0, 1002, 2), shapely.box(1001, 0, 1003, 1),        # 4 + 2 - 1 = 5
              shapely.box(2000, 0, 2002, 1), shapely.box(2001, 0, 2003, 1),        # union 3 x 1 = 3
              shapely.box(3000, 0, 3001, 1), shapely.box(3001, 0, 3002, 1), shapely.box(3002, 0, 3003, 1),
              shapely.box(4000, 0, 4002, 2), shapely.box(4000.5, 0.5, 4001.5, 1.5)]
    geoms = np.concatenate([dense, np.array(others, dtype=object)])
    return geoms[np.random.default_rng(3).permutation(len(geoms))], 2_552.25 + 5 + 3 + 3 + 4


def test_dense_layer_dissolves_to_the_hand_area_and_to_union_all(monkeypatch):
    geoms, expected = layer_with_known_union()
    tiled = []
    real = tiled_union.tiled_union
    monkeypatch.setattr(tiled_union, "tiled_union", lambda g: tiled.append(len(g)) or real(g))
    pieces = dissolve_pieces(geoms)
    assert tiled == [len(geoms)]   # most polygons overlap many others: the whole layer, tile by tile
    assert shapely.area(pieces).sum() == pytest.approx(expected, rel=1e-12)
    assert shapely.area(pieces).sum() == pytest.approx(shapely.union_all(geoms).area, rel=1e-12)
    a, b = shapely.STRtree(pieces).query(pieces, predicate="intersects")
    keep = a < b
    assert shapely.area(shapely.intersection(pieces[a[keep]], pieces[b[keep]])).max(initial=0) < 1e-9


def test_a_dense_cluster_is_one_group_without_testing_its_pairs(monkeypatch):
    geoms, _ = layer_with_known_union()
    tested = []
    real = overlay.threaded
    monkeypatch.setattr(overlay, "threaded", lambda fn, left, right, *a, **k: tested.append(len(left))
                        or real(fn, left, right, *a, **k))
    labels = union_groups(geoms)
    assert sum(tested) < 20     # only the pairs outside the dense cluster were tested
    monkeypatch.setattr(overlay, "threaded", real)
    dense = shapely.area(geoms) == 6.25
    dense &= shapely.bounds(geoms)[:, 0] < 1000
    assert len(set(labels[dense].tolist())) == 1
    exact = overlap_groups(geoms)   # the exact groups split nothing that union_groups keeps apart
    for label in set(exact.tolist()):
        assert len(set(labels[exact == label].tolist())) == 1
    # outside the dense cluster the groups are the exact ones: the touching chain stays three pieces
    chain = np.flatnonzero((shapely.bounds(geoms)[:, 0] >= 3000) & (shapely.bounds(geoms)[:, 0] < 4000))
    assert len(set(labels[chain].tolist())) == 3


def test_group_unions_equal_one_union_all_per_group():
    rng = np.random.default_rng(7)
    centres = rng.uniform(0, 100, (60, 2))
    groups = [shapely.buffer(shapely.points(c + rng.uniform(0, 3, (k, 2))), 2, quad_segs=4)
              for c, k in zip(centres, [2, 3, 2, 9, 4, 2] * 10, strict=True)]
    unions = _union_groups(groups, workers=2)
    assert [u.wkb for u in unions] == [shapely.union_all(g).wkb for g in groups]


def test_reused_areas_equal_measuring_every_piece():
    geoms, _ = layer_with_known_union()
    geoms = shapely.transform(geoms, lambda xy: xy * 50 + [X0, Y0])  # boxes of 100 m, a 3 km x 2 km cluster
    pieces = dissolve_pieces(geoms)
    measure = lambda g: ellipsoidal_area(g, 4525)  # noqa: E731
    assert pieces_m2(pieces, geoms, measure(geoms), measure).tolist() == measure(pieces).tolist()


def test_ellipsoidal_dissolved_total_against_geographiclib():
    # 2,400 boxes of 120 m every 50 m: the union is the rectangle 3,070 m x 2,070 m, plus a pair of
    # 100 m boxes overlapping by half far to the east (a 150 m x 100 m rectangle)
    dense = lattice(60, 40, step=50.0, side=120.0, x0=X0 - 1_500, y0=Y0)
    pair = [shapely.box(X0 + 20_000, Y0, X0 + 20_100, Y0 + 100), shapely.box(X0 + 20_050, Y0, X0 + 20_150, Y0 + 100)]
    layer = gpd.GeoDataFrame(geometry=np.concatenate([dense, np.array(pair, dtype=object)]), crs=4525)
    geod = pyproj.Geod(ellps="GRS80")

    def geodesic(g):  # edges straight in the plane: densified to 5 m before GeographicLib
        return abs(geod.geometry_area_perimeter(to_lonlat([g], 4525, densify_step=5.0)[0])[0])

    expected = geodesic(shapely.box(X0 - 1_500, Y0, X0 + 1_570, Y0 + 2_070)) + geodesic(
        shapely.box(X0 + 20_000, Y0, X0 + 20_150, Y0 + 100))
    r = area_shares(layer)
    assert r["total_m2"] == pytest.approx(expected, rel=1e-7)
    full = ellipsoidal_area([shapely.union_all(layer.geometry.values)], 4525)[0]
    # the cluster is unioned in tiles of under 2 km, measured by the centroid scale factor (within 1e-8)
    assert r["total_m2"] == pytest.approx(full, rel=1e-8)
    assert r["sum_of_features_m2"] == pytest.approx(ellipsoidal_area(layer.geometry.values, 4525).sum(), rel=1e-12)


def test_a_large_cluster_that_only_touches_or_barely_overlaps_is_tested_pair_by_pair():
    coverage = lattice(30, 30, side=1.0)            # 900 touching cells: every box pair meets, none overlaps
    assert len(set(union_groups(coverage).tolist())) == 900
    row = lattice(900, 1, side=1.5)                 # 1.5 x 1.5 boxes each overlapping its two neighbours
    labels = union_groups(np.concatenate([row, shapely.transform(coverage, lambda xy: xy + [0, 10])]))
    assert len(set(labels[:900].tolist())) == 1 and len(set(labels[900:].tolist())) == 900
    assert shapely.area(dissolve_pieces(row)).sum() == pytest.approx((899 + 1.5) * 1.5, rel=1e-12)  # 900.5 x 1.5
