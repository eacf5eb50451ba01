"""Geometry helpers of the demo generator: noisy outlines, tilings, spaced points, the synthetic terrain."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import Polygon, box


# ------------------------------------------------------------------------------------------- geometry
def _rng_polar(center, radius, rng, *, n=128, harmonics=5, rough=0.18, stretch=(1.0, 1.0)):
    """A star-shaped irregular polygon: radius modulated by random low harmonics."""
    th = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    k = np.arange(2, 2 + harmonics)
    amp = rough * rng.uniform(0.3, 1.0, k.size) / np.sqrt(k)
    ph = rng.uniform(0, 2 * np.pi, k.size)
    r = radius * np.exp((amp[:, None] * np.cos(k[:, None] * th + ph[:, None])).sum(0))
    return Polygon(np.c_[center[0] + stretch[0] * r * np.cos(th), center[1] + stretch[1] * r * np.sin(th)])


def _rect(center, length, width, angle_rad):
    """A rectangle centred on ``center``, its long side at ``angle_rad`` from east."""
    r = box(-length / 2, -width / 2, length / 2, width / 2)
    r = affinity.rotate(r, angle_rad, origin=(0, 0), use_radians=True)
    return affinity.translate(r, center[0], center[1])


def _polygons(geoms, min_area=0.0):
    """The polygon parts of (an array of) geometries, non-empty and at least ``min_area`` m²."""
    parts = shapely.get_parts(np.atleast_1d(np.asarray(geoms, dtype=object)))
    parts = parts[shapely.get_type_id(parts) == 3]
    return parts[shapely.area(parts) > max(min_area, 0.0)]


def _union(geoms):
    geoms = np.asarray(geoms, dtype=object)
    return shapely.union_all(geoms) if geoms.size else Polygon()


def _warp_field(rng, *, amp=(150.0, 25.0), waves=(3, 2), wavelength=((4000.0, 9000.0), (1000.0, 1800.0))):
    """A smooth displacement field ``f(xy) -> xy`` (sums of plane waves), to make straight edges wander."""
    rows = []
    for a, n, (lo, hi) in zip(amp, waves, wavelength, strict=True):
        for _ in range(2 * n):
            lam, ang = rng.uniform(lo, hi), rng.uniform(0, 2 * np.pi)
            rows.append((2 * np.pi / lam * math.cos(ang), 2 * np.pi / lam * math.sin(ang), rng.uniform(0, 2 * np.pi), a))
    w = np.array(rows)
    half = len(rows) // 2

    def warp(xy):
        xy = np.asarray(xy, float)
        ph = xy[:, :1] * w[:, 0] + xy[:, 1:2] * w[:, 1] + w[:, 2]
        d = np.sin(ph) * w[:, 3]
        return xy + np.c_[d[:, 0::2].sum(1), d[:, 1::2].sum(1)] * (half > 0)

    return warp


def _tile(region, seeds, warp=None):
    """Cut ``region`` into one polygon per seed (Voronoi cells, optionally warped), as an exact coverage.

    The cell edges and the region boundary are noded together and polygonized, so neighbouring tiles
    share identical vertices. Each face holding a seed becomes that seed's tile; faces without a seed
    (a cell cut in two by a concave boundary) join the neighbour sharing the longest border.

    Returns
    -------
    (tiles, seeds)
        Object array of polygons in seed order, and the (warped) seed points.
    """
    pts = shapely.multipoints(seeds)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=region.buffer(5000.0)))
    edges = shapely.union_all(shapely.boundary(cells))
    if warp is not None:
        edges = shapely.transform(shapely.segmentize(edges, 150.0), warp)
        seeds = warp(seeds)
    lines = shapely.union_all([edges, region.boundary])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[shapely.contains(region, shapely.point_on_surface(faces))]
    owner = np.full(faces.size, -1)
    seed_idx, face_idx = shapely.STRtree(faces).query(shapely.points(seeds), predicate="within")
    owner[face_idx] = seed_idx
    if np.unique(face_idx).size != len(seeds):
        raise RuntimeError("demo: two seeds fell in one tile")
    while (owner < 0).any():
        changed = False
        for f in np.flatnonzero(owner < 0):
            nb = shapely.STRtree(faces).query(faces[f], predicate="intersects")
            nb = nb[owner[nb] >= 0]
            if nb.size:
                shared = shapely.length(shapely.intersection(faces[f].boundary, shapely.boundary(faces[nb])))
                owner[f] = owner[nb[int(np.argmax(shared))]]
                changed = True
        if not changed:
            raise RuntimeError("demo: a tile face has no neighbour")
    tiles = np.array([shapely.coverage_union_all(faces[owner == i]) for i in range(len(seeds))], dtype=object)
    return tiles, seeds


def _spaced_points(region, n, min_dist, rng, *, margin=0.0, fixed=(), tries=20000):
    """``n`` random points in ``region`` at least ``min_dist`` apart (and from ``fixed`` points)."""
    inner = region.buffer(-margin) if margin else region
    x0, y0, x1, y1 = inner.bounds
    cand = np.c_[rng.uniform(x0, x1, tries), rng.uniform(y0, y1, tries)]
    cand = cand[shapely.contains_xy(inner, cand[:, 0], cand[:, 1])]
    chosen = [np.asarray(p, float) for p in fixed]
    for p in cand:
        if len(chosen) == n:
            break
        if not chosen or np.min(np.hypot(*(np.array(chosen) - p).T)) >= min_dist:
            chosen.append(p)
    if len(chosen) < n:
        raise RuntimeError(f"demo: could not place {n} points {min_dist} m apart")
    return np.array(chosen)


def _lloyd(region, pts, fixed=1, rounds=3):
    """Move all points but the first ``fixed`` ones to the centroids of their Voronoi cells (Lloyd's method)."""
    pts = pts.copy()
    for _ in range(rounds):
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=region,
                                                           ordered=True))
        cent = shapely.centroid(shapely.intersection(cells, region))
        xy = shapely.get_coordinates(cent)
        pts[fixed:] = xy[fixed:]
    return pts


def _contour_polygons(xs, ys, z, level):
    """Polygons where ``z >= level`` on the grid (marching squares, holes kept)."""
    from contourpy import FillType, contour_generator

    gen = contour_generator(xs, ys, z, fill_type=FillType.OuterOffset)
    points, offsets = gen.filled(level, float(np.nanmax(z)) + 1.0)
    polys = []
    for pts, off in zip(points, offsets, strict=True):
        rings = [pts[off[i]:off[i + 1]] for i in range(len(off) - 1)]
        polys.append(Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4]))
    return _polygons(shapely.make_valid(np.array(polys, dtype=object)))


# -------------------------------------------------------------------------------------------- terrain
@dataclass
class _Terrain:
    """A synthetic height field: mountains on one side of the main river, a valley along it."""

    origin: np.ndarray
    along: np.ndarray  # unit vector, downstream
    across: np.ndarray  # unit vector, towards the mountains
    meander: np.ndarray  # rows (amplitude m, wavelength m, phase)
    bumps: np.ndarray  # rows (x, y, sigma m, height)
    waves: np.ndarray  # rows (kx, ky, phase, amplitude)

    def frame(self, x, y):
        dx, dy = x - self.origin[0], y - self.origin[1]
        return dx * self.along[0] + dy * self.along[1], dx * self.across[0] + dy * self.across[1]

    def river_offset(self, u):
        a, lam, ph = self.meander.T
        return (a[:, None] * np.sin(2 * np.pi * np.asarray(u)[None, :] / lam[:, None] + ph[:, None])).sum(0)

    def to_xy(self, u, v):
        return (self.origin[0] + u * self.along[0] + v * self.across[0],
                self.origin[1] + u * self.along[1] + v * self.across[1])

    def height(self, x, y):
        """Height (unitless) at arrays ``x``, ``y`` (m, EPSG:4525)."""
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        u, v = self.frame(x, y)
        w = v - self.river_offset(u.ravel()).reshape(u.shape)  # > 0 towards the mountains
        h = 1.0 / (1.0 + np.exp(-(w - 7000.0) / 3500.0)) + 0.45 / (1.0 + np.exp((w + 15000.0) / 3500.0))
        h = h - 0.35 * np.exp(-(w / 2500.0) ** 2)
        for bx, by, s, g in self.bumps:
            h = h + g * np.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * s * s))
        dx, dy = x - self.origin[0], y - self.origin[1]
        for kx, ky, ph, a in self.waves:
            h = h + a * np.sin(kx * dx + ky * dy + ph)
        return h


