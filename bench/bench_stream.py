"""Streaming site check: 10 million point sites against two control layers, in bounded memory.

Ours: ``redline.check_stream`` end to end: the layers read and prepared once, the points read
from GeoParquet in chunks of 100,000, each chunk checked (containing unit, red-line hit or nearest red-line
patch within 5 km, rules, verdict) and its rows appended to ``sites.csv`` and ``hits.csv``. Peak memory is
the point: it must not grow with the number of sites (the only per-site state is a 64-bit hash of each
site's code during the first pass over the codes, 80 MB for 10 million).

Baselines, each named for what it is:

- ``check_sites in memory, 1/100 subset (time x100)``: the in-memory check of the first 1 % of the points
  (the whole 10 million do not fit: about 10 kB a site of per-site results), its time scaled by 100; its
  peak memory is that of the subset;
- ``geopandas.sjoin (units only, in memory)``: the whole 10 million points read with
  ``geopandas.read_parquet`` and joined to the units with ``sjoin(predicate="within")``: far less work (no
  red line, no rules, nothing written), but what a GIS developer reaches for first; it shows the memory
  an in-memory approach needs just to hold the points.

Zones: an edge-matched coverage of 30,000 control units (优先/重点/一般管控单元) over 150 km × 150 km, and
a red line of 3,000 blobs (300-1,500 m radius, 24 vertices) merged into about 1,160 patches; points
uniform over the square, with a unique code each.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from bench import Impl, Measured, Workload
from bench.data import CRS, EXTENT, blobs, coverage

SIZES = {"full": {"points": 10_000_000, "zones": 30_000, "red": 3_000, "chunk": 100_000},
         "quick": {"points": 500_000, "zones": 1_500, "red": 150, "chunk": 50_000},
         "tiny": {"points": 3_000, "zones": 120, "red": 12, "chunk": 700}}
SUBSET = 100   # the in-memory baseline checks 1/SUBSET of the points
TARGET_MB = 2048
UNIT_CLASSES = np.array(["优先保护单元", "重点管控单元", "一般管控单元"])


def _extent(size: dict) -> tuple:
    side = 150_000.0 * np.sqrt(size["zones"] / 30_000)
    return (EXTENT[0], EXTENT[1], EXTENT[0] + side, EXTENT[1] + side)


def prepare(folder: Path, size: dict) -> dict:
    import geopandas as gpd
    import pyarrow.parquet as pq
    import shapely

    ext = _extent(size)
    zones = coverage(size["zones"], extent=ext, seed=41)
    nz = len(zones)
    gpd.GeoDataFrame({"name": [f"管控单元{i}" for i in range(nz)], "code": [f"ZH{i:07d}" for i in range(nz)],
                      "unit_class": UNIT_CLASSES[np.arange(nz) % 3]}, geometry=zones, crs=CRS
                     ).to_parquet(folder / "units.parquet")
    red = blobs(np.random.default_rng(42), size["red"], ext, (300, 1500), 24)
    red = shapely.union_all(red)  # a red line does not overlap itself
    red = shapely.get_parts(red)
    gpd.GeoDataFrame({"name": [f"红线{i}" for i in range(len(red))]}, geometry=red, crs=CRS
                     ).to_parquet(folder / "red_line.parquet")
    # the points, written batch by batch (10 million never held as geometries at once), as
    # GeoDataFrame.to_parquet writes them ("geo" metadata included)
    from geopandas.io.arrow import _geopandas_to_arrow

    rng = np.random.default_rng(43)
    n, batch = size["points"], 1_000_000
    path = folder / "points.parquet"
    writer = None
    for start in range(0, n, batch):
        m = min(batch, n - start)
        pts = shapely.points(rng.uniform(ext[0], ext[2], m), rng.uniform(ext[1], ext[3], m))
        g = gpd.GeoDataFrame({"code": [f"P{i:08d}" for i in range(start, start + m)], "type": ["housing"] * m},
                             geometry=pts, crs=CRS)
        table = _geopandas_to_arrow(g, index=False)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table.replace_schema_metadata(writer.schema.metadata), row_group_size=200_000)
    writer.close()
    return {"points": n, "units": nz, "red_line_patches": len(red), "points_mb": round(path.stat().st_size / 1e6, 1)}


def load(folder: Path, size: dict) -> dict:
    return {"folder": folder, "size": size}


def ours(inp: dict) -> Measured:
    import time

    import redline

    f = inp["folder"]
    t0 = time.perf_counter()
    layers = {"control_unit": str(f / "units.parquet"), "red_line": str(f / "red_line.parquet")}
    with tempfile.TemporaryDirectory(prefix="redline-bench-stream-") as out:
        js = redline.check_stream(f / "points.parquet", layers, out, chunk_size=inp["size"]["chunk"])
        seconds = time.perf_counter() - t0
        hits_mb = round((Path(out) / "hits.csv").stat().st_size / 1e6, 1)
    verdicts = js["summary"]["verdicts"]
    return Measured(seconds, {"sites": js["summary"]["sites"], "verdicts": verdicts},
                    note=f"chunks of {inp['size']['chunk']:,}; sites.csv + hits.csv ({hits_mb} MB) written",
                    extra={"sites_per_s": round(js["summary"]["sites"] / seconds), "hits_csv_mb": hits_mb})


def in_memory_subset(inp: dict) -> Measured:
    import time

    from redline.spatial.check import check_chunk, load_check_layers, site_source

    f, n = inp["folder"], inp["size"]["points"] // SUBSET
    ctx = load_check_layers(layer_args=[("control_unit", str(f / "units.parquet")),
                                        ("red_line", str(f / "red_line.parquet"))])
    sites = next(site_source(f / "points.parquet", ctx, chunk_size=n).chunks())   # the first 1 %
    t0 = time.perf_counter()
    r = check_chunk(sites, ctx)
    seconds = time.perf_counter() - t0
    return Measured(seconds * SUBSET, {"sites": len(r.sites) * SUBSET},
                    note=f"check_prepared on the first {n:,} points in memory, time x{SUBSET} (layers and points "
                         "read untimed); peak memory of the subset")


def gpd_sjoin(inp: dict):
    import geopandas as gpd

    f = inp["folder"]
    pts = gpd.read_parquet(f / "points.parquet")
    units = gpd.read_parquet(f / "units.parquet")
    out = gpd.sjoin(pts, units[["code", "geometry"]], predicate="within", how="left")
    return {"sites": len(pts), "joined": int(out["index_right"].notna().sum())}


def summarize(name: str, result, inp) -> dict:
    out = {"sites": np.int64(result["sites"])}
    if "verdicts" in result:
        out["verdicts"] = np.array([result["verdicts"].get(v, 0) for v in ("符合", "不符合", "需论证", "无法判定")])
    return out


def compare(s: dict, size: dict) -> dict:
    out = {}
    if "ours" in s:
        out["sites_checked"] = int(s["ours"]["sites"])
        out["all_sites_checked"] = int(s["ours"]["sites"]) == size["points"]
        if "verdicts" in s["ours"]:
            out["verdicts"] = dict(zip(("符合", "不符合", "需论证", "无法判定"),
                                       (int(v) for v in s["ours"]["verdicts"]), strict=True))
    return out


def targets(rec: dict) -> list[dict]:
    peak = rec["peak_mb"]
    return [{"target": f"10 million point sites streamed with peak memory under {TARGET_MB} MB",
             "met": None if peak is None else peak < TARGET_MB,
             "value": "not measured" if peak is None else f"{peak:.0f} MB", "scales": True}]


WORKLOADS = [Workload(
    name="stream", title="streaming check: 10 million point sites x 30,000 units + red line, bounded memory",
    sizes=SIZES, prepare=prepare, load=load,
    impls=[Impl("ours", ours, role="ours", note="redline.check_stream (GeoParquet in, CSV out)"),
           Impl(f"check_sites in memory, 1/{SUBSET} subset (time x{SUBSET})", in_memory_subset),
           Impl("geopandas.sjoin (units only, in memory)", gpd_sjoin)],
    summarize=summarize, compare=compare, targets=targets)]
