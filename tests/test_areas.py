"""Ellipsoidal areas against independent references: GeographicLib (pyproj.Geod) on the same densified
boundary, a local Lambert azimuthal equal-area projection (a second method, exact for tiny parcels where
Geod's own rounding dominates), and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
import shapely

from redline.spatial.areas import densify, ellipsoidal_area, geodesic_length, planar_area, shoelace, to_lonlat

GEOD = pyproj.Geod(ellps="GRS80")  # CGCS2000's ellipsoid differs from GRS80 only in f by 1e-11


def _reference_step(geom) -> float:
    """Densify the reference finely: the official edge is straight in the Gauss-Krüger plane."""
    xmin, ymin, xmax, ymax = geom.bounds
    return 1.0 if max(xmax - xmin, ymax - ymin) < 5_000 else 10.0


def geod_area(geom, crs) -> float:
    ll = to_lonlat([geom], crs, densify_step=_reference_step(geom))[0]
    return abs(GEOD.geometry_area_perimeter(ll)[0])


def laea_area(geom, crs) -> float:
    """Area in a Lambert azimuthal equal-area projection centred on the polygon: exact for small parcels,
    where GeographicLib's own rounding (about 1e-5 m², summed from the equator) would dominate."""
    ll = to_lonlat([geom], crs, densify_step=0.05 if geom.area < 1e4 else 0.5)[0]
    c = ll.centroid
    laea = pyproj.CRS.from_proj4(f"+proj=laea +lat_0={c.y} +lon_0={c.x} +ellps=GRS80 +units=m")
    tr = pyproj.Transformer.from_crs(4490, laea, always_xy=True)
    return shapely.transform(ll, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))).area


@pytest.mark.parametrize("half", [1.0, 50.0, 5_000.0, 50_000.0])
def test_squares_agree_with_geodesic_reference(half):
    # squares in CGCS2000 3-degree zone 37 (EPSG:4525), 40 km east of the central meridian
    sq = shapely.box(37_540_000 - half, 4_230_000 - half, 37_540_000 + half, 4_230_000 + half)
    ours = ellipsoidal_area([sq], 4525)[0]
    ref = laea_area(sq, 4525) if half < 10 else geod_area(sq, 4525)
    assert abs(ours - ref) / ref < 1e-7


def test_province_sized_polygon_agrees_with_geodesic_reference():
    # an irregular polygon about 400 km across, like a province, in 3-degree zone 37
    angles = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    radius = 200_000 * (1 + 0.2 * np.sin(3 * angles))
    ring = np.column_stack([37_500_000 + radius * np.cos(angles), 4_300_000 + radius * np.sin(angles)])
    poly = shapely.Polygon(ring)
    ours = ellipsoidal_area([poly], 4525)[0]
    assert abs(ours - geod_area(poly, 4525)) / ours < 1e-7


def test_one_square_metre_parcel():
    sq = shapely.box(38_401_000, 4_140_000, 38_401_001, 4_140_001)
    ours = ellipsoidal_area([sq], 4526)[0]
    assert abs(ours - laea_area(sq, 4526)) < 1e-7
    # the GK point scale factor at 99 km from the central meridian: k = 1 + x²/(2R²) roughly;
    # planar area = ellipsoidal * k², so ellipsoidal ≈ 1 / k²
    k2 = (1 + 99_000**2 / (2 * 6_371_000**2)) ** 2
    assert abs(ours - 1 / k2) < 2e-6


def test_graticule_cell_closed_form():
    # a cell bounded by meridians and parallels has the closed-form area
    # (a² (1-e²) Δλ / 2) [q(φ2) - q(φ1)] / (1 - e²) ... computed here via the authalic formula from scratch
    a = 6_378_137.0
    f = 1 / 298.257222101
    e = math.sqrt(f * (2 - f))

    def q(phi):
        s = math.sin(phi)
        return (1 - e * e) * (s / (1 - e * e * s * s) - math.log((1 - e * s) / (1 + e * s)) / (2 * e))

    lon1, lon2, lat1, lat2 = 111.0, 111.5, 38.0, 38.5
    expected = a * a / 2 * math.radians(lon2 - lon1) * (q(math.radians(lat2)) - q(math.radians(lat1)))
    # edges along parallels are not straight in lon/lat-densified form unless densified finely
    cell = shapely.box(lon1, lat1, lon2, lat2)
    ours = ellipsoidal_area([cell], 4490, densify_step=0.0005)[0]
    assert abs(ours - expected) / expected < 1e-7


def test_holes_and_multipolygons():
    outer = shapely.box(37_500_000, 4_200_000, 37_501_000, 4_201_000)
    hole = shapely.box(37_500_200, 4_200_200, 37_500_400, 4_200_400)
    with_hole = outer.difference(hole)
    multi = shapely.MultiPolygon([outer, shapely.box(37_503_000, 4_200_000, 37_503_500, 4_200_500)])
    a_outer, a_hole, a_with, a_multi, a_small = ellipsoidal_area(
        [outer, hole, with_hole, multi, shapely.box(37_503_000, 4_200_000, 37_503_500, 4_200_500)], 4525)
    assert abs(a_with - (a_outer - a_hole)) / a_with < 1e-9
    assert abs(a_multi - (a_outer + a_small)) / a_multi < 1e-8  # the 3.5 km multipolygon takes the other route
    assert abs(a_with - geod_area(with_hole, 4525)) / a_with < 1e-7


def test_orientation_does_not_matter():
    ring = [(37_500_000, 4_200_000), (37_500_300, 4_200_000), (37_500_300, 4_200_200), (37_500_000, 4_200_000)]
    ccw, cw = shapely.Polygon(ring), shapely.Polygon(ring[::-1])
    a = ellipsoidal_area([ccw, cw], 4525)
    assert a[0] == pytest.approx(a[1], rel=1e-9) and a[0] > 0


def test_non_polygons_and_empty_give_zero():
    geoms = [shapely.LineString([(37_500_000, 4_200_000), (37_500_100, 4_200_000)]),
             shapely.Point(37_500_000, 4_200_000), shapely.Polygon(), None]
    assert ellipsoidal_area(geoms, 4525).tolist() == [0.0, 0.0, 0.0, 0.0]
    assert ellipsoidal_area([], 4525).shape == (0,)


def test_planar_area_is_the_plane_area():
    assert planar_area([shapely.box(0, 0, 200, 150)])[0] == 30_000.0


def test_planar_gk_area_overstates_the_ellipsoidal_area():
    # domain reference: about 0.04-0.06 % at the edge of a 3-degree zone (about 1.5° from the CM)
    # 38° N, 1.5° east of CM 111° is about 131 km east of it
    sq = shapely.box(37_631_000, 4_210_000, 37_632_000, 4_211_000)
    ratio = planar_area([sq])[0] / ellipsoidal_area([sq], 4525)[0] - 1
    assert 0.0003 < ratio < 0.0006


def test_xian80_uses_its_own_ellipsoid():
    sq = shapely.box(498_000, 4_160_000, 498_120, 4_160_100)  # the xian80 sample's first parcel
    ours = ellipsoidal_area([sq], 2382)[0]
    crs = pyproj.CRS.from_epsg(2382)
    geod = pyproj.Geod(a=crs.ellipsoid.semi_major_metre, rf=crs.ellipsoid.inverse_flattening)
    ll = to_lonlat([sq], crs, densify_step=1.0)[0]
    assert abs(ours - abs(geod.geometry_area_perimeter(ll)[0])) / ours < 1e-7


def test_densify_touches_only_long_edges():
    short = shapely.box(0, 0, 50, 50)
    long = shapely.box(0, 0, 1000, 10)
    out = densify([short, long], 4525, 100)
    assert out[0] is short
    assert shapely.get_num_coordinates(out[1]) > shapely.get_num_coordinates(long)


def test_shoelace_sign_and_precision_far_from_origin():
    x = np.array([0.0, 1, 1, 0, 0]) + 4_500_000.0
    y = np.array([0.0, 0, 1, 1, 0]) + 4_200_000.0
    assert shoelace(x, y, np.array([5]))[0] == pytest.approx(1.0, abs=1e-9)
    assert shoelace(x[::-1].copy(), y[::-1].copy(), np.array([5]))[0] == pytest.approx(-1.0, abs=1e-9)


def test_geodesic_length_matches_geod():
    line = shapely.LineString([(37_500_000, 4_200_000), (37_503_000, 4_204_000), (37_510_000, 4_204_000)])
    ll = to_lonlat([line], 4525)[0]
    ref = GEOD.geometry_length(ll)
    assert abs(geodesic_length([line], 4525)[0] - ref) < 1e-6
    # a polygon gives its perimeter
    sq = shapely.box(37_500_000, 4_200_000, 37_500_100, 4_200_100)
    assert geodesic_length([sq], 4525)[0] == pytest.approx(400, rel=1e-3)


def random_parcels(n: int, seed: int) -> np.ndarray:
    """Irregular star-shaped heptagons from 1 m to 3 km across, anywhere in zone 37."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        c = rng.uniform([37_380_000, 4_100_000], [37_620_000, 4_400_000])
        size = rng.choice([0.7, 15.0, 120.0, 800.0, 1_500.0])
        ang = np.sort(rng.uniform(0, 2 * np.pi, 7))
        r = size * rng.uniform(0.6, 1, 7)
        poly = shapely.Polygon(np.column_stack([c[0] + r * np.cos(ang), c[1] + r * np.sin(ang)]))
        if poly.is_valid:  # two nearly equal angles can make a ring touch itself
            out.append(poly)
    return np.array(out, dtype=object)


def test_irregular_parcels_agree_with_geodesic_reference():
    # oblique edges: the official edge is straight in the GK plane, so the reference is densified to 1 m
    polys = random_parcels(60, 7)
    ours = ellipsoidal_area(polys, 4525)
    ref = np.array([geod_area(p, 4525) if p.area > 1e6 else laea_area(p, 4525) for p in polys])
    assert np.max(np.abs(ours - ref) / ref) < 1e-7


def test_both_routes_agree():
    # the scale-factor route (small polygons) and the densify-and-project route (forced) are two methods
    polys = random_parcels(40, 11)
    a = ellipsoidal_area(polys, 4525)
    b = ellipsoidal_area(polys, 4525, densify_step=0.5)
    assert np.max(np.abs(a - b) / b) < 1e-7


def test_an_area_does_not_depend_on_the_batch_it_is_measured_in() -> None:
    """The same polygon gives the same bits alone and among others (what makes the dask engine's sums equal
    the local engine's)."""
    from redline.spatial.areas import ellipsoidal_area

    rng = np.random.default_rng(7)
    polys = shapely.buffer(shapely.points(37_450_000 + rng.uniform(0, 90_000, 400),
                                          4_150_000 + rng.uniform(0, 90_000, 400)),
                           rng.choice([300.0, 6_000.0], 400), quad_segs=8)  # both routes: small and large
    whole = ellipsoidal_area(polys, 4525)
    for k in (0, 1, 57, 399):
        assert ellipsoidal_area(polys[k:k + 1], 4525)[0] == whole[k]
        assert ellipsoidal_area(polys[::-1], 4525)[len(polys) - 1 - k] == whole[k]
