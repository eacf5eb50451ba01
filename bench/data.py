"""Synthetic, seeded test data for the benchmarks: planning layers shaped like the real thing.

Everything is in EPSG:4525 (CGCS2000 3° Gauss-Krüger zone 37, central meridian 111°E, zone-prefixed
eastings), around 38°N, the latitude of the sample plans. The same seed always gives the same data.

- :func:`coverage`: an edge-matched coverage (control units, townships): every shared edge has the same
  vertices on both sides, as in data digitised from one map, so ``shapely.coverage_is_valid`` holds;
- :func:`blobs`: star-shaped polygons (parcels, sites, red-line patches), vectorized;
- :func:`class_raster`: a land-use class raster with patchy classes.

Example
-------
>>> import numpy as np, shapely
>>> g = blobs(np.random.default_rng(1), 3, (37_500_000, 4_200_000, 37_510_000, 4_210_000), (50, 80), 12)
>>> len(g), int(shapely.get_num_coordinates(g[0])), bool(shapely.is_valid(g).all())
(3, 13, True)
"""

from __future__ import annotations

import numpy as np
import shapely

CRS = 4525
#: a 150 km x 150 km square across the central meridian (111°E), 36.9°N to 38.3°N
EXTENT = (37_425_000.0, 4_100_000.0, 37_575_000.0, 4_250_000.0)


def jittered_seeds(rng: np.random.Generator, n: int, extent) -> np.ndarray:
    """``n`` points, one per cell of a near-square grid over ``extent``, jittered within the cell (no two
    closer than a fifth of the spacing, so no zone of a coverage vanishes when traced from a raster)."""
    xmin, ymin, xmax, ymax = extent
    nx = max(1, int(round(np.sqrt(n * (xmax - xmin) / (ymax - ymin)))))
    ny = int(np.ceil(n / nx))
    cells = rng.permutation(nx * ny)[:n]
    i, j = cells % nx, cells // nx
    dx, dy = (xmax - xmin) / nx, (ymax - ymin) / ny
    x = xmin + (i + 0.5 + rng.uniform(-0.4, 0.4, n)) * dx
    y = ymin + (j + 0.5 + rng.uniform(-0.4, 0.4, n)) * dy
    return np.column_stack([x, y])


def warp(geoms, extent, amp: float, wavelength: float, seed: int = 7) -> np.ndarray:
    """Move every vertex by one smooth displacement field: the same point moves the same way wherever it
    appears, so a coverage stays edge-matched, and the field is smooth (``amp`` much smaller than
    ``wavelength``) so polygons stay valid."""
    rng = np.random.default_rng(seed)
    waves = [(wavelength * rng.uniform(0.6, 1.4), rng.uniform(0, 2 * np.pi), rng.uniform(0, 2 * np.pi))
             for _ in range(4)]
    x0, y0 = extent[0], extent[1]

    def field(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0] - x0, xy[:, 1] - y0
        dx = sum(np.sin(x / w + a) * np.cos(y / w + b) for w, a, b in waves) * amp / len(waves)
        dy = sum(np.cos(x / w + b) * np.sin(y / w + a) for w, a, b in waves) * amp / len(waves)
        return np.column_stack([xy[:, 0] + dx, xy[:, 1] + dy])

    return shapely.transform(np.asarray(geoms, dtype=object), field)


def coverage(n: int, *, extent=EXTENT, cells_per_zone: float = 200.0, seed: int = 1) -> np.ndarray:
    """An edge-matched coverage of ``extent`` by ``n`` zones with wiggly shared edges.

    Voronoi zones around jittered seeds are burnt into a label raster and traced back (like zones
    digitised from a scanned map), then every vertex is moved by one smooth field (:func:`warp`).
    ``cells_per_zone`` sets the detail: about 200 gives 65-70 vertices per zone.

    Returns
    -------
    numpy array of ``n`` Polygons (or MultiPolygons where a zone was traced in several pieces), in zone order.
    """
    from rasterio import features
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = extent
    seeds = jittered_seeds(rng, n, extent)
    cell = float(np.sqrt((xmax - xmin) * (ymax - ymin) / n / cells_per_zone))
    w, h = int(np.ceil((xmax - xmin) / cell)), int(np.ceil((ymax - ymin) / cell))
    transform = from_origin(xmin, ymin + h * cell, cell, cell)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds),
                                                       extend_to=shapely.box(*extent)))
    # which seed each Voronoi cell belongs to
    tree = shapely.STRtree(shapely.points(seeds))
    ci, si = tree.query(cells, predicate="contains")
    label_of = np.zeros(len(cells), np.int32)
    label_of[ci] = si + 1
    labels = features.rasterize(zip(cells, label_of.tolist(), strict=True), out_shape=(h, w),
                                transform=transform, dtype="int32")
    parts: dict[int, list] = {}
    for geom, value in features.shapes(labels):  # pixel coordinates: integers, exact
        parts.setdefault(int(value), []).append(shapely.geometry.shape(geom))
    out = np.empty(n, dtype=object)
    for k in range(1, n + 1):
        p = parts.get(k, [])
        out[k - 1] = p[0] if len(p) == 1 else shapely.MultiPolygon(p) if p else shapely.Polygon()
    # a vertex at every cell corner along the edges, so both sides of every shared edge have the same
    # vertices (exact in integer pixel coordinates), then to map units
    out = shapely.segmentize(out, 1.0)
    a = transform
    out = shapely.transform(out, lambda xy: np.column_stack([a.c + xy[:, 0] * a.a, a.f + xy[:, 1] * a.e]))
    return warp(out, extent, amp=0.3 * cell, wavelength=40 * cell, seed=seed)


def blobs(rng: np.random.Generator, n: int, extent, radius: tuple[float, float], vertices: int,
          centres: np.ndarray | None = None) -> np.ndarray:
    """``n`` star-shaped polygons of ``vertices`` distinct vertices (valid by construction: the radius
    stays positive), radii uniform in ``radius``, centres uniform in ``extent`` unless given."""
    xmin, ymin, xmax, ymax = extent
    if centres is None:
        centres = np.column_stack([rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)])
    r = rng.uniform(*radius, n)[:, None]
    t = np.linspace(0, 2 * np.pi, vertices, endpoint=False)[None, :] + rng.uniform(0, 2 * np.pi, n)[:, None]
    k = rng.integers(2, 6, n)[:, None]
    rr = r * (1 + 0.3 * np.sin(k * t + rng.uniform(0, 6, n)[:, None])
              + 0.05 * rng.uniform(-1, 1, (n, vertices)))
    x = centres[:, :1] + rr * np.cos(t)
    y = centres[:, 1:] + rr * np.sin(t)
    ring = np.stack([x, y], axis=2)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return shapely.polygons(ring)


def clustered_centres(rng: np.random.Generator, n: int, extent, clusters: int, spread: float) -> np.ndarray:
    """``n`` points around ``clusters`` centres (normal, ``spread`` metres), kept inside ``extent``."""
    xmin, ymin, xmax, ymax = extent
    cx = rng.uniform(xmin, xmax, clusters)
    cy = rng.uniform(ymin, ymax, clusters)
    which = rng.integers(0, clusters, n)
    x = np.clip(cx[which] + rng.normal(0, spread, n), xmin, xmax)
    y = np.clip(cy[which] + rng.normal(0, spread, n), ymin, ymax)
    return np.column_stack([x, y])


def class_raster(rng: np.random.Generator, width: int, height: int, *, patch: float = 60.0,
                 classes: int = 6) -> np.ndarray:
    """A ``height`` x ``width`` uint8 raster of land-use classes ``1..classes`` in patches of about
    ``patch`` cells, with speckle (about 5 % of cells)."""
    f = 4  # compute the fields at a quarter resolution, then repeat
    hh, ww = -(-height // f), -(-width // f)
    y, x = np.mgrid[0:hh, 0:ww].astype(np.float32)
    best = np.full((hh, ww), -np.inf, np.float32)
    lab = np.zeros((hh, ww), np.uint8)
    for c in range(1, classes + 1):
        v = np.zeros((hh, ww), np.float32)
        for _ in range(3):
            wl = patch / f * rng.uniform(0.5, 2.0)
            a, b, p = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0, 2 * np.pi)
            v += np.sin((a * x + b * y) / wl + p).astype(np.float32)
        v += 0.5 * rng.standard_normal((hh, ww)).astype(np.float32)
        better = v > best
        lab[better] = c
        best[better] = v[better]
    out = np.repeat(np.repeat(lab, f, axis=0), f, axis=1)[:height, :width]
    speckle = rng.random((height, width)) < 0.05
    out[speckle] = rng.integers(1, classes + 1, int(speckle.sum()), dtype=np.uint8)
    return np.ascontiguousarray(out)


def save_geoms(path, geoms) -> None:
    """Geometries to an ``.npz`` of WKB bytes and offsets (no pickle; any geometry types)."""
    wkb = shapely.to_wkb(np.asarray(geoms, dtype=object))
    lengths = np.fromiter((len(b) for b in wkb), dtype=np.int64, count=len(wkb))
    np.savez(path, wkb=np.frombuffer(b"".join(wkb), dtype=np.uint8), offsets=np.r_[0, np.cumsum(lengths)])


def load_geoms(path) -> np.ndarray:
    """The geometries saved by :func:`save_geoms`."""
    with np.load(path) as z:
        buf, off = z["wkb"].tobytes(), z["offsets"]
    return shapely.from_wkb(np.array([buf[a:b] for a, b in zip(off[:-1], off[1:], strict=True)], dtype=object))
