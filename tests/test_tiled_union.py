"""The tiled union of a large group against hand arithmetic on boxes cut across tile edges, a plain
``shapely.union_all`` (a second method) and pyproj.Geod (GeographicLib) for the ellipsoidal total."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from redline.spatial import overlay
from redline.spatial.areas import ellipsoidal_area, to_lonlat
from redline.spatial.shares import area_shares
from redline.spatial.tiled_union import nested_union, tiled_union

X0, Y0 = 37_500_000, 4_200_000  # on the central meridian of zone 37


def layer_with_known_union(scale: float = 1.0, x0: float = 0.0, y0: float = 0.0):
    """A 100 x 100 square with a 20 x 20 hole that spans many tiles; 300 small boxes inside its solid part
    (covered: they add nothing); a 5 x 5 box inside the hole (25) and a 10 x 5 box half in the hole (25);
    two 2 x 2 boxes overlapping by half far to the east (6); a 3 x 3 box sticking out of the square's
    corner (9 - 4 = 5). The union by hand: 10,000 - 400 + 25 + 25 + 6 + 5 = 9,661 (times ``scale``²)."""
    square = shapely.Polygon([(0, 0), (100, 0), (100, 100), (0, 100)],
                             holes=[[(40, 40), (60, 40), (60, 60), (40, 60)]])
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 97, (600, 2))
    small = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 3, xy[:, 1] + 3)
    small = small[~shapely.intersects(small, shapely.box(40, 40, 60, 60))][:300]   # clear of the hole
    others = [shapely.box(45, 45, 50, 50), shapely.box(35, 52, 45, 57),
              shapely.box(200, 0, 202, 2), shapely.box(201, 0, 203, 2), shapely.box(98, 98, 101, 101)]
    geoms = np.concatenate([[square], small, others])
    geoms = shapely.transform(geoms[rng.permutation(len(geoms))], lambda c: c * scale + [x0, y0])
    return geoms, 9_661 * scale ** 2


def test_tiled_union_adds_up_to_the_hand_area_and_to_union_all():
    geoms, expected = layer_with_known_union()
    pieces = tiled_union(geoms, tiles=16, workers=2)
    assert len(pieces) > 8                 # the square is cut into many tiles
    assert shapely.area(pieces).sum() == pytest.approx(expected, rel=1e-12)
    assert shapely.area(pieces).sum() == pytest.approx(shapely.union_all(geoms).area, rel=1e-12)
    assert shapely.equals(shapely.union_all(pieces), shapely.union_all(geoms))
    a, b = shapely.STRtree(pieces).query(pieces, predicate="intersects")
    keep = a < b
    assert shapely.area(shapely.intersection(pieces[a[keep]], pieces[b[keep]])).max(initial=0) < 1e-9


def test_one_tile_and_a_single_thread_give_the_same_total():
    geoms, expected = layer_with_known_union()
    for tiles, workers in ((1, 1), (4, 1), (50, 2)):
        assert shapely.area(tiled_union(geoms, tiles=tiles, workers=workers)).sum() == pytest.approx(
            expected, rel=1e-12)


def test_nested_union_is_the_union_of_all():
    rng = np.random.default_rng(9)
    discs = shapely.buffer(shapely.points(rng.uniform(0, 50, (400, 2))), rng.uniform(0.5, 8, 400), quad_segs=6)
    u = nested_union(discs)
    assert u.is_valid
    assert u.area == pytest.approx(shapely.union_all(discs).area, rel=1e-12)
    assert shapely.area(shapely.symmetric_difference(u, shapely.union_all(discs))) < 1e-9


@pytest.fixture
def tiled_at_test_size(monkeypatch):
    monkeypatch.setattr(overlay, "_DENSE_GROUP", 100)
    monkeypatch.setattr(overlay, "_SPLIT_UNION", 100)


def test_ellipsoidal_tiled_total_against_geographiclib(tiled_at_test_size):
    geoms, _ = layer_with_known_union(scale=50.0, x0=X0 - 2_500, y0=Y0)       # a 5 km square, 1 km hole
    layer = gpd.GeoDataFrame(geometry=geoms, crs=4525)
    geod = pyproj.Geod(ellps="GRS80")

    def geodesic(g):  # edges straight in the plane: densified to 5 m before GeographicLib
        return abs(geod.geometry_area_perimeter(to_lonlat([g], 4525, densify_step=5.0)[0])[0])

    def at(*box):
        return shapely.box(*(np.array(box) * 50.0 + [X0 - 2_500, Y0, X0 - 2_500, Y0]))

    expected = (geodesic(at(0, 0, 100, 100)) - geodesic(at(40, 40, 60, 60)) + geodesic(at(45, 45, 50, 50))
                + geodesic(at(40, 52, 45, 57)) + geodesic(at(200, 0, 203, 2)) + geodesic(at(98, 98, 101, 101))
                - geodesic(at(98, 98, 100, 100)))
    r = area_shares(layer)
    assert r["total_m2"] == pytest.approx(expected, rel=1e-7)
    full = ellipsoidal_area([shapely.union_all(geoms)], 4525)[0]
    assert r["total_m2"] == pytest.approx(full, rel=1e-9)


def test_boundary_and_zones_see_the_same_areas_tiled_or_not(monkeypatch):
    geoms, _ = layer_with_known_union(scale=50.0, x0=X0 - 2_500, y0=Y0)
    layer = gpd.GeoDataFrame(geometry=geoms, crs=4525)
    boundary = gpd.GeoDataFrame(geometry=[shapely.box(X0 - 3_000, Y0 - 500, X0 + 4_000, Y0 + 3_000)], crs=4525)
    zones = gpd.GeoDataFrame({"name": ["西", "东"]}, geometry=[shapely.box(X0 - 3_000, Y0 - 500, X0, Y0 + 3_000),
                                                            shapely.box(X0, Y0 - 500, X0 + 4_000, Y0 + 3_000)],
                             crs=4525)
    whole = area_shares(layer, boundary, zones=zones)
    monkeypatch.setattr(overlay, "_DENSE_GROUP", 100)
    monkeypatch.setattr(overlay, "_SPLIT_UNION", 100)
    tiled = area_shares(layer, boundary, zones=zones)
    for key in ("total_m2", "overlap_removed_m2", "outside_boundary_m2"):
        assert tiled[key] == pytest.approx(whole[key], rel=1e-9, abs=1e-3)
    assert [r["area_m2"] for r in tiled["rows"]] == pytest.approx([r["area_m2"] for r in whole["rows"]], rel=1e-9)
    assert sum(r["area_m2"] for r in tiled["rows"]) == pytest.approx(tiled["total_m2"], rel=1e-9)
