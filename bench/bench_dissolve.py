"""Dissolve (union, overlaps counted once) of a 30,000-polygon coverage and of an overlapping layer.

Ours: ``redline.spatial.overlay.dissolve``, which checks whether the polygons form a coverage (then
``shapely.coverage_union_all``) or not (then ``shapely.union_all``). Baselines: the two shapely calls
themselves (a caller who already knows which case it has) and ``GeoDataFrame.dissolve()``.
Target: coverage dissolve within 1.2x of ``shapely.coverage_union_all``.

- coverage: 30,000 edge-matched zones with wiggly shared edges, about 2.1 million vertices;
- overlapping: 30,000 star-shaped patches of 200-1,500 m radius (48 vertices) over the same
  150 km square, about three deep on average (1.4 million vertices).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from bench import Impl, Workload
from bench.data import CRS, EXTENT, blobs, coverage, load_geoms, save_geoms

COVER_SIZES = {"full": {"polygons": 30_000}, "quick": {"polygons": 1_500}, "tiny": {"polygons": 150}}
OVERLAP_SIZES = {"full": {"polygons": 30_000}, "quick": {"polygons": 1_500}, "tiny": {"polygons": 150}}
TARGET_RATIO = 1.2


def _overlap_extent(n: int) -> tuple:
    """The overlap layer keeps the same density at every size: the square shrinks with n."""
    side = 150_000.0 * np.sqrt(n / 30_000)
    return (EXTENT[0], EXTENT[1], EXTENT[0] + side, EXTENT[1] + side)


def prepare_cover(folder: Path, size: dict) -> dict:
    n = size["polygons"]
    side = 150_000.0 * np.sqrt(n / 30_000)  # zones of the same size at every n
    geoms = coverage(n, extent=(EXTENT[0], EXTENT[1], EXTENT[0] + side, EXTENT[1] + side), seed=21)
    save_geoms(folder / "geoms.npz", geoms)
    return {"polygons": n, "vertices": int(shapely.get_num_coordinates(geoms).sum()),
            "coverage_valid": bool(shapely.coverage_is_valid(geoms))}


def prepare_overlap(folder: Path, size: dict) -> dict:
    n = size["polygons"]
    geoms = blobs(np.random.default_rng(3), n, _overlap_extent(n), (200, 1500), 48)
    save_geoms(folder / "geoms.npz", geoms)
    return {"polygons": n, "vertices": int(shapely.get_num_coordinates(geoms).sum()),
            "sum_area_over_union_area": float(shapely.area(geoms).sum() / shapely.union_all(geoms).area)}


def load(folder: Path, size: dict) -> dict:
    return {"geoms": load_geoms(folder / "geoms.npz")}


def as_gdf(inp: dict) -> dict:
    import geopandas as gpd

    geoms = inp["geoms"]
    return {**inp, "gdf": gpd.GeoDataFrame({"id": np.arange(len(geoms))}, geometry=geoms, crs=CRS)}


def ours(inp: dict):
    from redline.spatial.overlay import dissolve

    return dissolve(inp["geoms"])


def coverage_union_all(inp: dict):
    return shapely.coverage_union_all(inp["geoms"])


def union_all(inp: dict):
    return shapely.union_all(inp["geoms"])


def gpd_dissolve(inp: dict):
    return inp["gdf"].dissolve()


def summarize(name: str, result, inp: dict) -> dict:
    geom = result.geometry.iloc[0] if hasattr(result, "geometry") else result
    return {"area": shapely.area(geom), "vertices": shapely.get_num_coordinates(geom),
            "parts": shapely.get_num_geometries(geom), "valid": shapely.is_valid(geom)}


def compare(s: dict, size: dict) -> dict:
    if "ours" not in s:
        return {}
    a = float(s["ours"]["area"])
    return {"ours_area_m2": a, "ours_valid": bool(s["ours"]["valid"]), "ours_parts": int(s["ours"]["parts"]),
            "max_rel_area_diff_vs_baselines": max((abs(float(v["area"]) - a) / a for v in s.values()),
                                                  default=0.0)}


def targets_cover(rec: dict) -> list[dict]:
    r = rec["ratios"].get("shapely.coverage_union_all")
    return [{"target": f"coverage dissolve within {TARGET_RATIO:g}x of shapely.coverage_union_all",
             "met": None if r is None else r <= TARGET_RATIO, "scales": True,
             "value": "not measured" if r is None else f"{r:.2f}x"}]


WORKLOADS = [
    Workload(name="dissolve-coverage", title="dissolve a 30,000-polygon coverage (2.1M vertices)",
             sizes=COVER_SIZES, prepare=prepare_cover, load=load,
             impls=[Impl("ours", ours, role="ours", note="redline.spatial.overlay.dissolve"),
                    Impl("shapely.coverage_union_all", coverage_union_all),
                    Impl("geopandas.dissolve", gpd_dissolve, setup=as_gdf)],
             summarize=summarize, compare=compare, targets=targets_cover),
    Workload(name="dissolve-overlap", title="dissolve 30,000 overlapping polygons (1.4M vertices)",
             sizes=OVERLAP_SIZES, prepare=prepare_overlap, load=load,
             impls=[Impl("ours", ours, role="ours", note="redline.spatial.overlay.dissolve"),
                    Impl("shapely.union_all", union_all),
                    Impl("geopandas.dissolve", gpd_dissolve, setup=as_gdf)],
             summarize=summarize, compare=compare, targets=None),
]
