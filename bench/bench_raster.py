"""Raster class shares: 6,000 zones × a 10-million-cell land-cover raster, vs ``rasterstats``.

Ours: ``redline.spatial.raster.raster_shares`` (exactextract coverage fractions: a cell half inside a zone counts
half; plus the total of all zones dissolved, nodata and outside-raster areas, rounded shares that add up
to 100). For context, ``exactextract`` called directly with ``unique`` + ``frac`` (the core of ours).
Baseline: ``rasterstats.zonal_stats(categorical=True)`` (cells whose centre is inside), shares = count / total.

The raster: 4,000 × 2,500 cells of 30 m (120 km × 75 km, EPSG:4525), classes 1-6 of
``spatial/data/landcover.toml`` in patches with speckle, a tiled uncompressed GeoTIFF. The zones: an
edge-matched coverage of 6,000 zones (about 70 vertices each) inside the raster.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from bench import Impl, Workload
from bench.data import CRS, class_raster, coverage, load_geoms, save_geoms

SIZES = {"full": {"zones": 6_000, "width": 4_000, "height": 2_500},
         "quick": {"zones": 300, "width": 900, "height": 560},
         "tiny": {"zones": 30, "width": 200, "height": 125}}
CELL = 30.0
X0, Y1 = 37_440_000.0, 4_250_000.0
NCLASS = 6


def prepare(folder: Path, size: dict) -> dict:
    import rasterio
    from rasterio.transform import from_origin

    w, h = size["width"], size["height"]
    rng = np.random.default_rng(51)
    data = class_raster(rng, w, h, classes=NCLASS)
    with rasterio.open(folder / "landcover.tif", "w", driver="GTiff", width=w, height=h, count=1, dtype="uint8",
                       crs=f"EPSG:{CRS}", transform=from_origin(X0, Y1, CELL, CELL), nodata=0, tiled=True,
                       blockxsize=256, blockysize=256) as dst:
        dst.write(data, 1)
    inset = 2 * CELL  # zones wholly inside the raster
    ext = (X0 + inset, Y1 - h * CELL + inset, X0 + w * CELL - inset, Y1 - inset)
    zones = coverage(size["zones"], extent=ext, seed=52)
    save_geoms(folder / "zones.npz", zones)
    return {"cells": w * h, "zones": len(zones), "zone_vertices": int(shapely.get_num_coordinates(zones).sum()),
            "classes": NCLASS}


def load(folder: Path, size: dict) -> dict:
    import geopandas as gpd

    zones = load_geoms(folder / "zones.npz")
    gdf = gpd.GeoDataFrame({"name": [f"区{i}" for i in range(len(zones))]}, geometry=zones, crs=CRS)
    return {"raster": folder / "landcover.tif", "zones": gdf}


def ours(inp: dict):
    from redline.spatial.raster import raster_shares

    return raster_shares(inp["raster"], inp["zones"])


def exactextract_direct(inp: dict):
    from exactextract import exact_extract

    return exact_extract(str(inp["raster"]), inp["zones"], ["unique", "frac"], output="pandas")


def rasterstats(inp: dict):
    from rasterstats import zonal_stats

    return zonal_stats(list(inp["zones"].geometry.values), str(inp["raster"]), categorical=True)


def summarize(name: str, result, inp) -> dict:
    n = len(inp["zones"])
    shares = np.zeros((n, NCLASS + 1))
    if name == "ours":
        for i, z in enumerate(result["zones"]):
            for c in z["classes"]:
                shares[i, c["value"]] = c["share_pct"] / 100
    elif name == "exactextract (direct)":
        for i, (u, f) in enumerate(zip(result["unique"], result["frac"], strict=True)):
            shares[i, np.asarray(u, int)] = f
    else:
        for i, counts in enumerate(result):
            total = sum(counts.values())
            for v, c in counts.items():
                shares[i, int(v)] = c / total if total else 0
    return {"shares": shares}


def compare(s: dict, size: dict) -> dict:
    out: dict = {}
    if "ours" not in s:
        return out
    o = s["ours"]["shares"]
    for name, b in s.items():
        if name != "ours":
            d = np.abs(o - b["shares"]) * 100
            out[f"ours vs {name} (percentage points)"] = {"mean": float(d.mean()), "max": float(d.max())}
    return out


def targets(rec: dict) -> list[dict]:
    d = rec.get("checks", {}).get("ours vs exactextract (direct) (percentage points)")
    return [{"target": "same shares as exactextract called directly", "met": None if d is None else d["max"] < 1e-6,
             "value": "not compared" if d is None else f"max difference {d['max']:.1e} pp"}]


WORKLOADS = [Workload(
    name="raster", title="raster class shares: 6,000 zones x 10M cells", sizes=SIZES, prepare=prepare, load=load,
    impls=[Impl("ours", ours, role="ours", note="redline.spatial.raster.raster_shares"),
           Impl("exactextract (direct)", exactextract_direct, role="variant"),
           Impl("rasterstats", rasterstats, note="zonal_stats(categorical=True), cell centres")],
    summarize=summarize, compare=compare, targets=targets)]
