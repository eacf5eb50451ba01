"""The end-to-end workloads (:mod:`bench.e2e`): each ``redline`` command against its peers, whole processes.

========== ===================================================================== ======================================
workload   ours                                                                  peers
========== ===================================================================== ======================================
check      ``redline check sites.gpkg --layer red_line=zones.gpkg --out DIR``    DuckDB SQL, a geopandas overlay script,
           (check.json, sites.csv, hits.csv, check.xlsx, the report)            QGIS Overlap analysis (qgis_process)
points     ``redline check points.parquet --layer control_unit=… --layer         DuckDB point-in-polygon joins
           red_line=… --out DIR --outputs csv``
stream     ``redline check points.parquet … --stream --out DIR``                a geopandas ``sjoin`` script, in memory
nearest    ``redline check sites.gpkg --layer red_line=zones.gpkg --out DIR     a geopandas ``sjoin_nearest
           --outputs csv,json``                                                  (max_distance=5000)`` script
area       ``redline area parcels.parquet --json``                               DuckDB ``ST_Area_Spheroid``
startup    ``redline --help``, ``redline --version``                             —
map-large  ``redline map --project P --no-layout --out map.html --json``         —
           (50,000 farmland parcels, 2.3 million vertices)
========== ===================================================================== ======================================
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from bench.bigmap import map_targets, prepare_map_large, read_map_json
from bench.data import CRS, EXTENT, blobs, coverage
from bench.e2e import (
    REDLINE,
    Command,
    CommandWorkload,
    memory_target,
    python,
    qgis_env,
    qgis_process,
    ratio_target,
)

QGIS_MISSING = "qgis_process not installed (make bench installs Debian's qgis when run as root)"


def _extent(zones: int, side_at_30k: float = 150_000.0) -> tuple:
    side = side_at_30k * np.sqrt(zones / 30_000)   # the same zone size and site density at every size
    return (EXTENT[0], EXTENT[1], EXTENT[0] + side, EXTENT[1] + side)


def _write(path: Path, geoms, **columns) -> None:
    import geopandas as gpd

    gpd.GeoDataFrame(columns, geometry=geoms, crs=CRS).to_file(path) if path.suffix == ".gpkg" else \
        gpd.GeoDataFrame(columns, geometry=geoms, crs=CRS).to_parquet(path)


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------------------------------------- check
def prepare_check(folder: Path, size: dict) -> dict:
    ext = _extent(size["zones"])
    zones = coverage(size["zones"], extent=ext, seed=31)
    sites = blobs(np.random.default_rng(32), size["sites"], ext, (40, 250), 16)
    _write(folder / "zones.gpkg", zones, code=[f"Z{i}" for i in range(len(zones))],
           name=[f"红线{i}" for i in range(len(zones))])
    _write(folder / "sites.gpkg", sites, code=[f"S{i}" for i in range(len(sites))],
           name=[f"地块{i}" for i in range(len(sites))], type=["mining"] * len(sites))
    return {"sites": len(sites), "zones": len(zones)}


def read_our_hits(out: Path) -> dict:
    """Our overlaps, (site, zone) → m², at full precision from ``check.json`` (``hits.csv`` rounds them to
    2 decimals, as an officer reads them)."""
    import orjson

    js = orjson.loads((out / "check.json").read_bytes())
    return {"pairs": {(s["site_id"], h["feature_id"]): h["overlap_m2"] for s in js["sites"] for h in s["hits"]}}


def read_pairs(name: str):
    def read(out: Path) -> dict:
        return {"pairs": {(r["site"], r["zone"]): float(r["m2"]) for r in _rows(out / name)}}
    return read


def read_qgis(out: Path) -> dict:
    """QGIS's Overlap analysis: per site, the area overlapped by the zones (``zones_area``)."""
    rows = _rows(out / "overlap.csv")
    area = next(k for k in rows[0] if k.endswith("_area")) if rows else "zones_area"
    return {"per_site": {r["code"]: float(r[area] or 0) for r in rows}}


# Overlaps agree when within RTOL of the peer's, or within ATOL_M2: the check does not count an overlap under
# MIN_OVERLAP_M2 (a sliver of a shared edge), which a peer's per-site sum still holds
RTOL, ATOL_M2 = 1e-6, 0.01


def _agree(a: dict, b: dict, *, min_m2: float = 1.0) -> dict:
    """Pairs above ``min_m2`` in both, the largest relative difference of their areas, and how many differ by
    more than :data:`RTOL` (relative) and :data:`ATOL_M2` (m²).

    >>> r = _agree({"x": 100.0, "y": 2.0}, {"x": 100.00005, "y": 2.0005})
    >>> r["same_pairs"], r["beyond_tolerance"], r["within_tolerance"]
    (True, 0, True)
    >>> _agree({"x": 100.0}, {"x": 100.1})["beyond_tolerance"]
    1
    """
    ka = {k for k, v in a.items() if v > min_m2}
    kb = {k for k, v in b.items() if v > min_m2}
    both = ka & kb
    rel = max((abs(a[k] - b[k]) / b[k] for k in both), default=0.0)
    big = [k for k in both if b[k] > 100.0]
    rel_big = max((abs(a[k] - b[k]) / b[k] for k in big), default=0.0)
    beyond = sum(abs(a[k] - b[k]) > max(RTOL * b[k], ATOL_M2) for k in both)
    return {"pairs": [len(ka), len(kb)], "same_pairs": ka == kb, "only_ours": len(ka - kb),
            "only_theirs": len(kb - ka), "max_rel_diff": rel, "max_rel_diff_over_100m2": rel_big,
            "tolerance": f"{RTOL:g} relative or {ATOL_M2:g} m²", "beyond_tolerance": beyond,
            "within_tolerance": ka == kb and beyond == 0}


def compare_check(s: dict, size: dict) -> dict:
    out: dict = {}
    ours = (s.get("ours") or {}).get("pairs")
    if ours is None:
        return out
    for peer in ("DuckDB spatial SQL", "geopandas overlay script"):
        if peer in s:
            out[f"ours vs {peer}"] = _agree(ours, s[peer]["pairs"])
    if "QGIS Overlap analysis" in s:
        per_site: dict = {}
        for (site, _), v in ours.items():
            per_site[site] = per_site.get(site, 0.0) + v
        q = s["QGIS Overlap analysis"]["per_site"]
        out["ours vs QGIS Overlap analysis (per site)"] = _agree(per_site, q)
    return out


def agreement_target(rec: dict, peer: str, what: str) -> dict:
    """A target "the same pairs, every overlap within tolerance of the peer's" (see :func:`_agree`)."""
    agree = (rec.get("checks") or {}).get(f"ours vs {peer}")
    if agree is None:
        return {"target": what, "met": None, "value": f"{peer}: not compared"}
    return {"target": what, "met": agree["within_tolerance"],
            "value": f"{agree['beyond_tolerance']} of {agree['pairs'][1]} beyond; largest relative difference "
                     f"{agree['max_rel_diff']:.1e} ({agree['max_rel_diff_over_100m2']:.1e} over 100 m²)"}


def targets_check(rec: dict) -> list[dict]:
    return [ratio_target(rec, "DuckDB spatial SQL", 1.0, "check --out no slower than DuckDB spatial SQL (file → CSV)"),
            ratio_target(rec, "QGIS Overlap analysis", 1.0, "check --out no slower than QGIS Overlap analysis"),
            memory_target(rec, 4096, "check --out peak memory under 4 GB"),
            agreement_target(rec, "DuckDB spatial SQL", "check: the same pairs as DuckDB, each overlap within 1e-6 "
                                                        "relative (or 0.01 m²) of its ST_Area_Spheroid"),
            agreement_target(rec, "QGIS Overlap analysis (per site)", "check: each site's overlap within 1e-6 "
                                                                      "relative (or 0.01 m²) of QGIS's")]


CHECK = CommandWorkload(
    name="check", title="site check, polygons × a red line, file in → check.json, CSV, XLSX, report out",
    sizes={"full": {"sites": 100_000, "zones": 30_000}, "quick": {"sites": 5_000, "zones": 1_500},
           "tiny": {"sites": 400, "zones": 120}},
    prepare=prepare_check,
    commands=[
        Command("ours", lambda d, o: [REDLINE, "check", str(d / "sites.gpkg"), "--layer",
                                      f"red_line={d / 'zones.gpkg'}", "--out", str(o / "out"), "-q"],
                role="ours", read=lambda o: read_our_hits(o / "out"), ok=(0, 1),
                note="all outputs: check.json, sites.csv, hits.csv, check.xlsx, 压覆分析报告.html/.docx"),
        Command("DuckDB spatial SQL", lambda d, o: python("overlap-duckdb", str(d / "sites.gpkg"),
                                                          str(d / "zones.gpkg"), str(o / "pairs.csv")),
                read=read_pairs("pairs.csv"), note="ST_Read, spatial join, ST_Area_Spheroid per pair → CSV"),
        Command("geopandas overlay script", lambda d, o: python("overlap-geopandas", str(d / "sites.gpkg"),
                                                                str(d / "zones.gpkg"), str(o / "pairs.csv")),
                read=read_pairs("pairs.csv"), note="read_file, overlay, equal-area area per pair → CSV"),
        Command("QGIS Overlap analysis", lambda d, o: [qgis_process() or "qgis_process", "run",
                                                      "native:calculatevectoroverlaps", "--ELLIPSOID=EPSG:7019",
                                                      f"--INPUT={d / 'sites.gpkg'}", f"--LAYERS={d / 'zones.gpkg'}",
                                                      f"--OUTPUT={o / 'overlap.csv'}"],
                read=read_qgis, env=qgis_env(), unavailable=lambda: None if qgis_process() else QGIS_MISSING,
                note="qgis_process run native:calculatevectoroverlaps (ellipsoid GRS80) → CSV"),
    ],
    compare=compare_check, targets=targets_check)


# ------------------------------------------------------------------------------------------------ points
def prepare_points(folder: Path, size: dict) -> dict:
    from bench.bench_stream import prepare

    return prepare(folder, size)


def _point_layers(d: Path) -> list[str]:
    return ["--layer", f"control_unit={d / 'units.parquet'}", "--layer", f"red_line={d / 'red_line.parquet'}"]


def read_our_point_hits(out: Path) -> dict:
    """Per point code: its unit and its red-line patch (from our hits.csv)."""
    unit, red = {}, {}
    for r in _rows(out / "hits.csv"):
        (unit if r["图层标识"] == "control_unit" else red)[r["项目编号"]] = r["要素名称"]
    return {"unit": unit, "red": red, "sites": sum(1 for _ in open(out / "sites.csv", encoding="utf-8-sig")) - 1}


def read_peer_points(out: Path) -> dict:
    unit, red, codes = {}, {}, set()
    for r in _rows(out / "points.csv"):
        codes.add(r["code"])
        unit[r["code"]] = r["unit"]
        if r["red"]:
            red[r["code"]] = r["red"]
    return {"unit_codes": unit, "red": red, "sites": len(codes)}


def compare_points(s: dict, size: dict) -> dict:
    out = {}
    ours = s.get("ours")
    for peer, got in s.items():
        if peer == "ours" or ours is None:
            continue
        out[f"ours vs {peer}"] = {
            "sites": [ours["sites"], got["sites"]],
            "points_in_a_unit": [len(ours["unit"]), len(got["unit_codes"])],
            "points_in_the_red_line": [len(ours["red"]), len(got["red"])],
            # the peers' scripts join the red line to the points in a unit only (an inner join on the units)
            "red_line_points_outside_every_unit": len(ours["red"].keys() - ours["unit"].keys()),
            "same_red_line_patch": {k: v for k, v in ours["red"].items() if k in got["unit_codes"]} == got["red"]}
    return out


POINTS = CommandWorkload(
    name="points", title="site check, 1 million points × 30,000 control units + a red line, in memory, → CSV",
    sizes={"full": {"points": 1_000_000, "zones": 30_000, "red": 3_000, "chunk": 1_000_000},
           "quick": {"points": 100_000, "zones": 1_500, "red": 150, "chunk": 100_000},
           "tiny": {"points": 3_000, "zones": 120, "red": 12, "chunk": 3_000}},
    prepare=prepare_points,
    commands=[
        Command("ours", lambda d, o: [REDLINE, "check", str(d / "points.parquet"), *_point_layers(d), "--out",
                                      str(o / "out"), "--outputs", "csv", "-q"],
                role="ours", read=lambda o: read_our_point_hits(o / "out"), note="sites.csv and hits.csv", ok=(0, 1)),
        Command("DuckDB point-in-polygon join", lambda d, o: python(
            "points-duckdb", str(d / "points.parquet"), str(d / "units.parquet"), str(d / "red_line.parquet"),
            str(o / "points.csv")), read=read_peer_points),
    ],
    compare=compare_points,
    targets=lambda rec: [ratio_target(rec, "DuckDB point-in-polygon join", 1.5,
                                      "1M points in memory within 1.5× of DuckDB's point-in-polygon join")])


STREAM = CommandWorkload(
    name="stream", title="site check, 10 million points streamed × 30,000 units + a red line, → CSV",
    sizes={"full": {"points": 10_000_000, "zones": 30_000, "red": 3_000, "chunk": 100_000},
           "quick": {"points": 500_000, "zones": 1_500, "red": 150, "chunk": 50_000},
           "tiny": {"points": 3_000, "zones": 120, "red": 12, "chunk": 700}},
    prepare=prepare_points, rounds={"full": 1, "quick": 2, "tiny": 1},
    commands=[
        Command("ours", lambda d, o: [REDLINE, "check", str(d / "points.parquet"), *_point_layers(d), "--stream",
                                      "--out", str(o / "out"), "-q"],
                role="ours", read=lambda o: read_our_point_hits(o / "out"), note="--stream, chunks of 50,000 (the default), one worker process per core",
                ok=(0, 1)),
        Command("geopandas sjoin script (in memory)", lambda d, o: python(
            "points-geopandas", str(d / "points.parquet"), str(d / "units.parquet"), str(d / "red_line.parquet"),
            str(o / "points.csv")), read=read_peer_points),
    ],
    compare=compare_points,
    targets=lambda rec: [ratio_target(rec, "geopandas sjoin script (in memory)", 2.0,
                                      "10M points streamed within 2× of an in-memory geopandas sjoin"),
                         memory_target(rec, 2048, "10M points streamed with peak memory under 2 GB")])


# ----------------------------------------------------------------------------------------------- nearest
def prepare_nearest(folder: Path, size: dict) -> dict:
    from bench.data import clustered_centres

    side = 250_000.0 * np.sqrt(size["zones"] / 5_000)
    ext = (37_375_000.0, 4_100_000.0, 37_375_000.0 + side, 4_100_000.0 + side)
    rng = np.random.default_rng(41)
    zones = blobs(rng, size["zones"], ext, (200, 2000), 60,
                  centres=clustered_centres(rng, size["zones"], ext, max(2, size["zones"] // 125), 8_000))
    sites = blobs(rng, size["sites"], ext, (30, 200), 12)
    import shapely

    zones = shapely.get_parts(shapely.union_all(zones))       # a red line does not overlap itself
    _write(folder / "zones.gpkg", zones, code=[f"Z{i}" for i in range(len(zones))])
    _write(folder / "sites.gpkg", sites, code=[f"S{i}" for i in range(len(sites))], type=["housing"] * len(sites))
    return {"sites": len(sites), "zones": len(zones)}


def read_our_nearest(out: Path) -> dict:
    js = json.loads((out / "check.json").read_text(encoding="utf-8"))
    return {"nearest": {s["site_id"]: s["nearest"][0]["distance_m"] for s in js["sites"] if s["nearest"]},
            "touched": {s["site_id"] for s in js["sites"] if s["hits"]}}


def read_peer_nearest(out: Path) -> dict:
    near: dict = {}
    for r in _rows(out / "nearest.csv"):
        d = float(r["distance_m"])
        near[r["code"]] = min(d, near.get(r["code"], d))
    return {"nearest": near}


def compare_nearest(s: dict, size: dict) -> dict:
    if "ours" not in s or len(s) < 2:
        return {}
    ours = s["ours"]
    theirs = next(v for k, v in s.items() if k != "ours")["nearest"]
    free = {k: v for k, v in theirs.items() if k not in ours["touched"] and v > 0}
    both = set(free) & set(ours["nearest"])
    # ours is geodesic on the ellipsoid, theirs planar Gauss-Krüger: they differ by the zone's scale (≤ 4e-4)
    rel = max((abs(ours["nearest"][k] - free[k]) / free[k] for k in both), default=0.0)
    return {"sites_with_a_zone_within_5km": [len(ours["nearest"]), len(free)],
            "same_sites": set(free) == set(ours["nearest"]), "max_rel_diff_geodesic_vs_planar": rel}


NEAREST = CommandWorkload(
    name="nearest", title="nearest red-line patch within 5 km of 60,000 sites, → CSV",
    sizes={"full": {"sites": 60_000, "zones": 5_000}, "quick": {"sites": 3_000, "zones": 250},
           "tiny": {"sites": 300, "zones": 40}},
    prepare=prepare_nearest,
    commands=[
        Command("ours", lambda d, o: [REDLINE, "check", str(d / "sites.gpkg"), "--layer",
                                      f"red_line={d / 'zones.gpkg'}", "--out", str(o / "out"), "--outputs",
                                      "csv,json", "-q"],
                role="ours", read=lambda o: read_our_nearest(o / "out"), ok=(0, 1),
                note="the whole check (overlaps, rules, nearest within 5 km): check.json, sites.csv, hits.csv"),
        Command("geopandas sjoin_nearest script", lambda d, o: python(
            "nearest-geopandas", str(d / "sites.gpkg"), str(d / "zones.gpkg"), str(o / "nearest.csv")),
            read=read_peer_nearest, note="sjoin_nearest(max_distance=5000) → CSV"),
    ],
    compare=compare_nearest,
    targets=lambda rec: [ratio_target(rec, "geopandas sjoin_nearest script", 1.0,
                                      "nearest within 5 km no slower than geopandas.sjoin_nearest")])


# -------------------------------------------------------------------------------------------------- area
def prepare_area(folder: Path, size: dict) -> dict:
    from bench.bench_area import make_layer

    geoms = make_layer(size["polygons"])
    _write(folder / "parcels.parquet", geoms, code=[f"P{i}" for i in range(len(geoms))])
    return {"polygons": len(geoms)}


def read_our_area(out: Path) -> dict:
    js = json.loads((out / "area.json").read_text(encoding="utf-8"))
    return {"total_m2": js["sum_of_features_m2"], "dissolved_m2": js["total_m2"]}


def read_duckdb_area(out: Path) -> dict:
    rows = _rows(out / "areas.csv")
    return {"total_m2": float(next(r["m2"] for r in rows if r["code"] == "total"))}


def compare_area(s: dict, size: dict) -> dict:
    if "ours" not in s or "DuckDB ST_Area_Spheroid" not in s:
        return {}
    a, b = s["ours"]["total_m2"], s["DuckDB ST_Area_Spheroid"]["total_m2"]
    return {"sum_of_areas_m2": [a, b], "rel_diff": abs(a - b) / b,
            "note": "DuckDB's ellipsoid is WGS84's, ours CGCS2000's: they differ by about 1e-9 in area"}


AREA = CommandWorkload(
    name="area", title="ellipsoidal area of 1 million polygons, file in → total out",
    sizes={"full": {"polygons": 1_000_000}, "quick": {"polygons": 50_000}, "tiny": {"polygons": 3_000}},
    prepare=prepare_area,
    commands=[
        Command("ours", lambda d, o: [REDLINE, "area", str(d / "parcels.parquet"), "--json", "-q"],
                role="ours", read=read_our_area, stdout="area.json",
                note="the dissolved total (overlaps checked), ellipsoidal"),
        Command("DuckDB ST_Area_Spheroid", lambda d, o: python("area-duckdb", str(d / "parcels.parquet"),
                                                               str(o / "areas.csv")),
                read=read_duckdb_area, note="ST_Transform to EPSG:4490, ST_Area_Spheroid per polygon and the sum → CSV"),
    ],
    compare=compare_area,
    targets=lambda rec: [ratio_target(rec, "DuckDB ST_Area_Spheroid", 1.0,
                                      "area of 1M polygons no slower than DuckDB ST_Area_Spheroid")])


# --------------------------------------------------------------------------------------------- start-up
STARTUP = CommandWorkload(
    name="startup", title="start-up: redline --help and redline --version", sizes={"full": {}, "quick": {}, "tiny": {}},
    prepare=lambda folder, size: {}, rounds={"full": 7, "quick": 5, "tiny": 1},
    commands=[Command("ours", lambda d, o: [REDLINE, "--help"], role="ours", note="redline --help"),
              Command("--version", lambda d, o: [REDLINE, "--version"], role="variant", note="redline --version")],
    targets=lambda rec: [{"target": "redline --help under 0.3 s", "met": None if rec["ours_s"] is None
                          else rec["ours_s"] < 0.3, "value": f"{rec['ours_s']}", "scales": True},
                         {"target": "redline --version under 0.3 s", "met": None if not rec["variants"]
                          else rec["variants"]["--version"] < 0.3,
                          "value": f"{rec['variants'].get('--version')}", "scales": True}])

# ------------------------------------------------------------------------------------------- map-large
MAP_LARGE = CommandWorkload(
    name="map-large", title="web map of a project with 50,000 farmland parcels (2.3 million vertices)",
    sizes={"full": {"parcels": 50_000}, "quick": {"parcels": 10_000}, "tiny": {"parcels": 300}},
    prepare=prepare_map_large,
    commands=[Command("ours", lambda d, o: [REDLINE, "map", "--project", str(d / "redline.toml"), "--no-layout",
                                            "--out", str(o / "map.html"), "--json", "-q"],
                      role="ours", read=read_map_json, stdout="map.json",
                      note="the whole command: read, simplify or rasterise, write one self-contained HTML file")],
    compare=lambda s, size: s.get("ours", {}),
    targets=map_targets,
    notes=["no peer: no other tool writes an offline Leaflet page; the first draw is timed in headless Chromium on the page written (bench.bench_map.draw_time)"])

WORKLOADS = [CHECK, POINTS, STREAM, NEAREST, AREA, STARTUP, MAP_LARGE]
