"""Nearest zone within 5 km for 60,000 sites vs an uncapped ``geopandas.sjoin_nearest``.

Ours: ``redline.spatial.overlay.nearest_within(sites, zones, 5000)`` (an STRtree nearest search bounded by the
distance). Baselines: ``sjoin_nearest`` with no cap (what a user writes first, then filters) and, for
context, ``sjoin_nearest(max_distance=5000)``. Both must give the same distance for every site within 5 km
(ties may pick another zone at the same distance).

Zones: 5,000 red-line patches (200-2,000 m radius, 60 vertices) in 40 clusters (mountains), over a
250 km square; sites: 60,000 parcels (30-200 m radius, 12 vertices) uniform over it, so many sites have
no zone within 5 km.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from bench import Impl, Workload
from bench.data import CRS, blobs, clustered_centres, load_geoms, save_geoms

SIZES = {"full": {"sites": 60_000, "zones": 5_000}, "quick": {"sites": 3_000, "zones": 250},
         "tiny": {"sites": 300, "zones": 40}}
MAX_DISTANCE = 5_000.0


def _extent(size: dict) -> tuple:
    side = 250_000.0 * np.sqrt(size["zones"] / 5_000)
    return (37_375_000.0, 4_100_000.0, 37_375_000.0 + side, 4_100_000.0 + side)


def prepare(folder: Path, size: dict) -> dict:
    ext = _extent(size)
    rng = np.random.default_rng(41)
    clusters = max(2, size["zones"] // 125)
    zones = blobs(rng, size["zones"], ext, (200, 2000), 60,
                  centres=clustered_centres(rng, size["zones"], ext, clusters, 8_000))
    sites = blobs(rng, size["sites"], ext, (30, 200), 12)
    save_geoms(folder / "zones.npz", zones)
    save_geoms(folder / "sites.npz", sites)
    return {"sites": len(sites), "zones": len(zones), "zone_clusters": clusters,
            "zone_vertices": int(shapely.get_num_coordinates(zones).sum())}


def load(folder: Path, size: dict) -> dict:
    return {"sites": load_geoms(folder / "sites.npz"), "zones": load_geoms(folder / "zones.npz")}


def ours(inp: dict):
    from redline.spatial.overlay import nearest_within

    return nearest_within(inp["sites"], inp["zones"], MAX_DISTANCE)


def gpd_setup(inp: dict) -> dict:
    import geopandas as gpd

    return {"sites": gpd.GeoDataFrame({"sid": np.arange(len(inp["sites"]))}, geometry=inp["sites"], crs=CRS),
            "zones": gpd.GeoDataFrame({"zid": np.arange(len(inp["zones"]))}, geometry=inp["zones"], crs=CRS)}


def sjoin_nearest(inp: dict):
    import geopandas as gpd

    return gpd.sjoin_nearest(inp["sites"], inp["zones"], distance_col="distance")


def sjoin_nearest_capped(inp: dict):
    import geopandas as gpd

    return gpd.sjoin_nearest(inp["sites"], inp["zones"], max_distance=MAX_DISTANCE, distance_col="distance")


def summarize(name: str, result, inp) -> dict:
    if name == "ours":
        li, ri, d = result
        return {"sid": np.asarray(li, np.int64), "distance": np.asarray(d, float)}
    first = result.groupby("sid", sort=True)["distance"].min()
    return {"sid": first.index.to_numpy(np.int64), "distance": first.to_numpy(float)}


def compare(s: dict, size: dict) -> dict:
    out: dict = {}
    if "ours" not in s:
        return out
    o = s["ours"]
    out["sites_with_zone_within_5km"] = int(len(o["sid"]))
    for name, b in s.items():
        if name == "ours":
            continue
        keep = b["distance"] <= MAX_DISTANCE
        same = np.array_equal(b["sid"][keep], o["sid"])
        rec = {"same_sites": bool(same)}
        if same and len(o["sid"]):
            rec["max_distance_diff_m"] = float(np.abs(b["distance"][keep] - o["distance"]).max())
        out[f"ours vs {name}"] = rec
    return out


def targets(rec: dict) -> list[dict]:
    c = {k: v for k, v in rec.get("checks", {}).items() if k.startswith("ours vs")}
    same = all(v.get("same_sites") and v.get("max_distance_diff_m", 0) < 1e-6 for v in c.values()) if c else None
    return [{"target": "same sites and distances as sjoin_nearest within 5 km", "met": same,
             "value": "not compared" if same is None else ("identical" if same else "DIFFERENT")}]


WORKLOADS = [Workload(
    name="nearest-kernel", title="kernel: nearest zone within 5 km for 60,000 sites (5,000 zones), in memory", sizes=SIZES,
    prepare=prepare, load=load,
    impls=[Impl("ours", ours, role="ours", note="redline.spatial.overlay.nearest_within"),
           Impl("geopandas.sjoin_nearest (uncapped)", sjoin_nearest, setup=gpd_setup),
           Impl("geopandas.sjoin_nearest (max_distance)", sjoin_nearest_capped, setup=gpd_setup)],
    summarize=summarize, compare=compare, targets=targets)]
