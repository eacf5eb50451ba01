"""Ellipsoidal area of 1 million polygons (30 million vertices) vs ``pyproj.Geod`` per geometry.

Ours: ``redline.spatial.areas.ellipsoidal_area`` (densify to 100 m in the Gauss-Krüger plane, inverse-project,
equal-area summation on the CGCS2000 ellipsoid), over the whole layer at once.

Baseline and reference: for each geometry, the same 100 m densification (``shapely.segmentize``), inverse
projection with a pyproj ``Transformer`` and ``Geod.geometry_area_perimeter`` (GeographicLib) on the
CRS's ellipsoid. One geometry at a time is slow, so it runs on a seeded sample of 2,000 polygons: its
time is **extrapolated** to the full layer (× n / 2,000), and its areas are the accuracy reference
(target: every sampled area within 1e-7 relative). For context the sample is also measured with Geod on a
5 m densification (untimed), where the shape of the edges between vertices no longer matters.

The layer: parcels of 20-300 m radius (29 vertices), 5 % with a hole, 2 % large (1-3 km, edges up to
300 m, so they are densified), spread over the whole 3° zone 37 (111°E ± 1.4°), 36.9-38.8°N.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import shapely

from bench import Impl, Measured, Workload
from bench.data import CRS, blobs

SIZES = {"full": {"polygons": 1_000_000, "sample": 2_000},
         "quick": {"polygons": 50_000, "sample": 2_000},
         "tiny": {"polygons": 3_000, "sample": 200}}
EXTENT = (37_375_000.0, 4_100_000.0, 37_625_000.0, 4_300_000.0)
TARGET_S = 8.0
TARGET_REL = 1e-7


def make_layer(n: int, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n_large, n_holed = n // 50, n // 20
    n_plain = n - n_large - n_holed
    plain = blobs(rng, n_plain, EXTENT, (20, 300), 28)
    large = blobs(rng, n_large, EXTENT, (1000, 3000), 60)
    centres = np.column_stack([rng.uniform(EXTENT[0], EXTENT[2], n_holed),
                               rng.uniform(EXTENT[1], EXTENT[3], n_holed)])
    outer = blobs(np.random.default_rng(seed + 1), n_holed, EXTENT, (60, 300), 24, centres=centres)
    inner_r = 0.3 * shapely.minimum_bounding_radius(outer) / 1.35
    inner = shapely.buffer(shapely.points(centres), inner_r, quad_segs=2)  # 8-vertex rings
    holed = shapely.polygons(shapely.get_exterior_ring(outer),
                             holes=shapely.get_exterior_ring(inner)[:, None])
    geoms = np.concatenate([plain, large, holed])
    return geoms[rng.permutation(n)]


def prepare(folder: Path, size: dict) -> dict:
    geoms = make_layer(size["polygons"])
    assert shapely.is_valid(geoms).all()
    gtype, coords, offsets = shapely.to_ragged_array(geoms)
    np.savez(folder / "parcels.npz", coords=coords, **{f"offsets{i}": o for i, o in enumerate(offsets)})
    return {"polygons": len(geoms), "vertices": int(len(coords)),
            "with_hole": int((shapely.get_num_interior_rings(geoms) > 0).sum()),
            "crs": f"EPSG:{CRS}"}


def load(folder: Path, size: dict) -> dict:
    with np.load(folder / "parcels.npz") as z:
        offsets = tuple(z[f"offsets{i}"] for i in range(2))
        geoms = shapely.from_ragged_array(shapely.GeometryType.POLYGON, z["coords"], offsets)
    rng = np.random.default_rng(99)
    sample = np.sort(rng.choice(len(geoms), size=min(size["sample"], len(geoms)), replace=False))
    return {"geoms": geoms, "sample": sample}


def ours(inp: dict) -> np.ndarray:
    from redline.spatial.areas import ellipsoidal_area

    return ellipsoidal_area(inp["geoms"], CRS)


def geod_per_geometry(inp: dict) -> Measured:
    import pyproj

    crs = pyproj.CRS.from_epsg(CRS)
    geod = crs.get_geod()
    tr = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    geoms, sample = inp["geoms"], inp["sample"]

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))

    t0 = time.perf_counter()
    areas = np.empty(len(sample))
    for k, i in enumerate(sample):
        g = shapely.transform(shapely.segmentize(geoms[i], 100.0), to_lonlat)
        areas[k] = abs(geod.geometry_area_perimeter(g)[0])
    t = time.perf_counter() - t0
    # untimed: the same with 5 m densification, a reference where the shape of the edges no longer matters
    dense = np.array([abs(geod.geometry_area_perimeter(shapely.transform(shapely.segmentize(geoms[i], 5.0),
                                                                         to_lonlat))[0]) for i in sample])
    factor = len(geoms) / len(sample)
    return Measured(t * factor, (sample, areas, dense),
                    note=f"timed on {len(sample):,} sampled polygons ({t:.2f} s) and extrapolated "
                         f"x{factor:,.0f} to {len(geoms):,}")


def summarize(name: str, result, inp: dict) -> dict:
    if name == "ours":
        return {"idx": inp["sample"], "area": result[inp["sample"]], "total": result.sum(), "n": len(result)}
    idx, areas, dense = result
    return {"idx": idx, "area": areas, "dense": dense}


def compare(s: dict, size: dict) -> dict:
    if "ours" not in s or "pyproj.Geod per geometry" not in s:
        return {}
    o, g = s["ours"], s["pyproj.Geod per geometry"]
    assert np.array_equal(o["idx"], g["idx"])
    rel = np.abs(o["area"] - g["area"]) / g["area"]
    dense = np.abs(o["area"] - g["dense"]) / g["dense"]
    geod_dense = np.abs(g["area"] - g["dense"]) / g["dense"]
    return {"sample": int(len(rel)), "max_rel_diff": float(rel.max()), "median_rel_diff": float(np.median(rel)),
            "max_rel_diff_vs_geod_5m": float(dense.max()), "geod_100m_vs_geod_5m_max": float(geod_dense.max()),
            "worst_polygon": int(o["idx"][rel.argmax()]), "total_m2": float(o["total"])}


def targets(rec: dict) -> list[dict]:
    t = rec["ours_s"]
    out = [{"target": f"under {TARGET_S:g} s for 1M polygons / 30M vertices", "scales": True,
            "met": None if t is None else t < TARGET_S, "value": "not measured" if t is None else f"{t:.2f} s"}]
    rel = rec.get("checks", {}).get("max_rel_diff")
    out.append({"target": f"within {TARGET_REL:g} relative of pyproj.Geod on the sample",
                "met": None if rel is None else rel <= TARGET_REL,
                "value": "not measured" if rel is None else
                f"max {rel:.2e} over {rec['checks']['sample']:,} polygons"})
    return out


WORKLOADS = [Workload(
    name="area-kernel", title="kernel: ellipsoidal area of 1M polygons / 30M vertices, in memory", sizes=SIZES, prepare=prepare,
    load=load,
    impls=[Impl("ours", ours, role="ours", note="redline.spatial.areas.ellipsoidal_area"),
           Impl("pyproj.Geod per geometry", geod_per_geometry)],
    summarize=summarize, compare=compare, targets=targets)]
