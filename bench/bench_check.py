"""Site check: 100,000 sites × 30,000 zones, the overlap area of every (site, zone) pair.

Ours: ``redline.spatial.overlay.intersect_pairs`` (STRtree + vectorized shapely) and the areas of the pieces:
planar (``shapely.area``, the headline, so that DuckDB computes the same quantity) and, as a variant, the
official ellipsoidal area (``redline.spatial.areas.ellipsoidal_area``). Two more variants run the site-check module
itself: ``redline.spatial.check.layer_pass`` (the per-layer engine of a check: ellipsoidal overlap per pair above
0.01 m², shares of site and zone, nearest zone within 5 km for untouched sites, site areas included) and
``redline.spatial.check.check_sites`` (the whole check: rules, verdicts and the per-site report).

Baselines:

- DuckDB spatial (``duckdb-ext-spatial`` from PyPI, loaded offline from its wheel: no network): a
  ``SPATIAL_JOIN`` on ``ST_Intersects`` with ``ST_Area(ST_Intersection(...))``, data already in DuckDB
  tables (loading them is setup, untimed and reported). A second DuckDB query computes the ellipsoidal
  areas (``ST_Transform`` to EPSG:4490, ``ST_FlipCoordinates`` to the lat/lon order
  ``ST_Area_Spheroid`` takes, on WGS84) and is compared with our ellipsoidal variant;
- ``geopandas.overlay(how="intersection")`` then ``.area``.

Targets: no slower than DuckDB, ≥ 1.5× faster than geopandas.overlay, peak memory < 4 GB.

Zones: an edge-matched coverage of 30,000 control units (about 2.1 million vertices) over 150 km × 150 km;
sites: 100,000 star-shaped parcels of 40-250 m radius (16 vertices), uniform over the same square.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import shapely

from bench import Impl, Workload
from bench.data import CRS, EXTENT, blobs, coverage, load_geoms, save_geoms

SIZES = {"full": {"sites": 100_000, "zones": 30_000},
         "quick": {"sites": 5_000, "zones": 1_500},
         "tiny": {"sites": 400, "zones": 120}}
TARGET_VS_GPD = 1.5
TARGET_MB = 4096


def _extent(size: dict) -> tuple:
    side = 150_000.0 * np.sqrt(size["zones"] / 30_000)  # same zone size and site density at every size
    return (EXTENT[0], EXTENT[1], EXTENT[0] + side, EXTENT[1] + side)


def prepare(folder: Path, size: dict) -> dict:
    ext = _extent(size)
    zones = coverage(size["zones"], extent=ext, seed=31)
    sites = blobs(np.random.default_rng(32), size["sites"], ext, (40, 250), 16)
    save_geoms(folder / "zones.npz", zones)
    save_geoms(folder / "sites.npz", sites)
    return {"sites": len(sites), "site_vertices": int(shapely.get_num_coordinates(sites).sum()),
            "zones": len(zones), "zone_vertices": int(shapely.get_num_coordinates(zones).sum())}


def load(folder: Path, size: dict) -> dict:
    return {"sites": load_geoms(folder / "sites.npz"), "zones": load_geoms(folder / "zones.npz")}


# -------------------------------------------------------------------------------------------------- ours
def ours_planar(inp: dict):
    from redline.spatial.overlay import intersect_pairs

    li, ri, pieces = intersect_pairs(inp["sites"], inp["zones"])
    return li, ri, shapely.area(pieces)


def ours_ellipsoidal(inp: dict):
    from redline.spatial.areas import ellipsoidal_area
    from redline.spatial.overlay import intersect_pairs, polygonal

    li, ri, pieces = intersect_pairs(inp["sites"], inp["zones"])
    return li, ri, ellipsoidal_area(polygonal(pieces), CRS)


# -------------------------------------------------------------------------------------------------- redline.spatial.checks
UNIT_CLASSES = np.array(["优先保护单元", "重点管控单元", "一般管控单元"])


def checks_setup(inp: dict) -> dict:
    import geopandas as gpd

    from redline.layers.info import LayerInfo, with_info

    nz, ns = len(inp["zones"]), len(inp["sites"])
    zones = gpd.GeoDataFrame({"name": [f"管控单元{i}" for i in range(nz)], "code": [f"ZH{i:07d}" for i in range(nz)],
                              "unit_class": UNIT_CLASSES[np.arange(nz) % 3]}, geometry=inp["zones"], crs=CRS)
    with_info(zones, LayerInfo(kind="control_unit"))
    sites = gpd.GeoDataFrame({"name": [f"地块{i}" for i in range(ns)], "code": [f"S{i}" for i in range(ns)],
                              "type": ["mining"] * ns}, geometry=inp["sites"], crs=CRS)
    return {"sites": sites, "zones": zones}


def checks_layer_pass(inp: dict):
    from redline.spatial.areas import ellipsoidal_area
    from redline.spatial.check import layer_pass

    sg = inp["sites"].geometry.values
    site_area = ellipsoidal_area(sg, CRS)
    r = layer_pass(np.asarray(sg, dtype=object), shapely.get_dimensions(sg), site_area, np.full(len(sg), np.nan),
                   inp["zones"], inp["zones"].crs, layer_id="units", kind="control_unit", label="管控单元")
    return r.site, r.feature, r.m2


def checks_check_sites(inp: dict):
    from redline.spatial.check import check_sites

    return check_sites(inp["sites"], {"units": inp["zones"]})


# -------------------------------------------------------------------------------------------------- DuckDB
def duckdb_connect():
    """A DuckDB connection with the spatial extension loaded from the ``duckdb-ext-spatial`` wheel
    (``site-packages/duckdb_ext/extensions/v<version>/<platform>/spatial.duckdb_extension``), never from
    the network."""
    import duckdb
    import duckdb_ext  # namespace package installed by duckdb-ext-spatial

    folder = os.path.join(list(duckdb_ext.__path__)[0], "extensions")
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET extension_directory = ?", [folder])
    con.execute("LOAD spatial")
    return con


def duckdb_setup(inp: dict) -> dict:
    import pyarrow as pa

    con = duckdb_connect()
    for name, geoms in (("sites", inp["sites"]), ("zones", inp["zones"])):
        t = pa.table({"id": pa.array(np.arange(len(geoms), dtype=np.int64)),
                      "wkb": pa.array(shapely.to_wkb(geoms), type=pa.binary())})
        con.register(f"{name}_arrow", t)
        con.execute(f"CREATE TABLE {name} AS SELECT id, ST_GeomFromWKB(wkb) AS geom FROM {name}_arrow")
        con.unregister(f"{name}_arrow")
    return {"con": con}


def duckdb_planar(inp: dict):
    r = inp["con"].execute("""
        SELECT s.id AS sid, z.id AS zid, ST_Area(ST_Intersection(s.geom, z.geom)) AS area
        FROM sites s JOIN zones z ON ST_Intersects(s.geom, z.geom)""").fetchnumpy()
    return r["sid"], r["zid"], r["area"]


def duckdb_spheroid(inp: dict):
    r = inp["con"].execute(f"""
        SELECT s.id AS sid, z.id AS zid,
               ST_Area_Spheroid(ST_FlipCoordinates(ST_Transform(ST_Intersection(s.geom, z.geom),
                                'EPSG:{CRS}', 'EPSG:4490', always_xy := true))) AS area
        FROM sites s JOIN zones z ON ST_Intersects(s.geom, z.geom)""").fetchnumpy()
    return r["sid"], r["zid"], r["area"]


# -------------------------------------------------------------------------------------------------- geopandas
def gpd_setup(inp: dict) -> dict:
    import geopandas as gpd

    return {"sites": gpd.GeoDataFrame({"sid": np.arange(len(inp["sites"]))}, geometry=inp["sites"], crs=CRS),
            "zones": gpd.GeoDataFrame({"zid": np.arange(len(inp["zones"]))}, geometry=inp["zones"], crs=CRS)}


def gpd_overlay(inp: dict):
    import geopandas as gpd

    out = gpd.overlay(inp["sites"], inp["zones"], how="intersection")
    return out["sid"].to_numpy(), out["zid"].to_numpy(), out.geometry.area.to_numpy()


# -------------------------------------------------------------------------------------------------- checks
def summarize(name: str, result, inp) -> dict:
    if name == "redline.spatial.check.check_sites":
        verdicts = result.sites["verdict"].tolist()
        return {"site_overlap_m2": result.site_layers["overlap_m2"].to_numpy(dtype=float),
                "verdicts": np.array([verdicts.count(v) for v in ("符合", "不符合", "需论证", "无法判定")])}
    li, ri, area = (np.asarray(x) for x in result)
    order = np.lexsort((ri, li))
    return {"sid": li[order].astype(np.int64), "zid": ri[order].astype(np.int64), "area": area[order].astype(float)}


MIN_M2 = 0.01  # redline.spatial.check.MIN_OVERLAP_M2: smaller pieces are slivers of shared edges


def _positive(s: dict) -> tuple[np.ndarray, np.ndarray]:
    keep = s["area"] > MIN_M2
    return s["sid"][keep] * (1 << 32) + s["zid"][keep], s["area"][keep]


def _agree(a: dict, b: dict) -> dict:
    ka, aa = _positive(a)
    kb, ab = _positive(b)
    same = np.array_equal(ka, kb)
    out = {"pairs_with_area": [int(len(ka)), int(len(kb))], "same_pairs": bool(same),
           "total_m2": [float(aa.sum()), float(ab.sum())]}
    if same and len(aa):
        big = ab > 100.0  # relative differences of slivers of a few m² say nothing
        rel = np.abs(aa[big] - ab[big]) / ab[big]
        out["max_rel_area_diff_pieces_over_100m2"] = float(rel.max()) if big.any() else 0.0
        out["max_abs_area_diff_m2"] = float(np.abs(aa - ab).max())
        out["rel_diff_of_totals"] = float(abs(aa.sum() - ab.sum()) / ab.sum())
    return out


def compare(s: dict, size: dict) -> dict:
    out: dict = {}
    if "ours" in s:
        out["pairs_all"] = int(len(s["ours"]["sid"]))
        out["pairs_over_0.01m2"] = int((s["ours"]["area"] > MIN_M2).sum())
    for other in ("DuckDB spatial", "geopandas.overlay"):
        if "ours" in s and other in s:
            out[f"ours vs {other}"] = _agree(s["ours"], s[other])
    if "ours (ellipsoidal)" in s and "DuckDB ST_Area_Spheroid" in s:
        out["ours (ellipsoidal) vs DuckDB ST_Area_Spheroid (WGS84)"] = _agree(s["ours (ellipsoidal)"],
                                                                           s["DuckDB ST_Area_Spheroid"])
    ell = s.get("ours (ellipsoidal)")
    if ell is not None and "redline.spatial.check.layer_pass" in s:
        out["ours (ellipsoidal) vs redline.spatial.check.layer_pass"] = _agree(ell, s["redline.spatial.check.layer_pass"])
    if ell is not None and "redline.spatial.check.check_sites" in s:
        c = s["redline.spatial.check.check_sites"]
        keep = ell["area"] > MIN_M2
        per_site = np.bincount(ell["sid"][keep], weights=ell["area"][keep], minlength=len(c["site_overlap_m2"]))
        out["check_sites per-site overlap vs ours (ellipsoidal) summed by site"] = {
            "max_abs_diff_m2": float(np.abs(per_site - c["site_overlap_m2"]).max()),
            "verdicts": dict(zip(("符合", "不符合", "需论证", "无法判定"), (int(v) for v in c["verdicts"]), strict=True))}
    if "ours" in s and "ours (ellipsoidal)" in s:
        k, p = _positive(s["ours"])
        k2, e = _positive(s["ours (ellipsoidal)"])
        if np.array_equal(k, k2):
            out["ellipsoidal / planar total"] = float(e.sum() / p.sum())
    return out


def targets(rec: dict) -> list[dict]:
    r = rec["ratios"]
    duck, gpd_ = r.get("DuckDB spatial"), r.get("geopandas.overlay")
    peak = rec["peak_mb"]
    return [
        {"target": "no slower than DuckDB spatial (planar pair areas)", "met": None if duck is None else duck <= 1.0,
         "value": "not measured" if duck is None else f"ours/DuckDB = {duck:.2f}", "scales": True},
        {"target": f"at least {TARGET_VS_GPD:g}x faster than geopandas.overlay",
         "met": None if gpd_ is None else gpd_ <= 1 / TARGET_VS_GPD,
         "value": "not measured" if gpd_ is None else f"{1 / gpd_:.2f}x faster", "scales": True},
        {"target": "peak memory under 4 GB", "met": None if peak is None else peak < TARGET_MB,
         "value": "not measured" if peak is None else f"{peak:.0f} MB", "scales": True},
    ]


WORKLOADS = [Workload(
    name="check-kernel", title="kernel: overlap area per (site, zone) pair, 100,000 sites x 30,000 zones, in memory", sizes=SIZES,
    prepare=prepare, load=load,
    impls=[Impl("ours", ours_planar, role="ours", note="redline.spatial.overlay.intersect_pairs + shapely.area (planar)"),
           Impl("ours (ellipsoidal)", ours_ellipsoidal, role="variant",
                note="intersect_pairs + redline.spatial.areas.ellipsoidal_area"),
           Impl("redline.spatial.check.layer_pass", checks_layer_pass, role="variant", setup=checks_setup,
                note="site areas + layer_pass (overlaps, shares, nearest within 5 km)"),
           Impl("redline.spatial.check.check_sites", checks_check_sites, role="variant", setup=checks_setup,
                note="the whole check: rules, verdicts, per-site report"),
           Impl("DuckDB spatial", duckdb_planar, setup=duckdb_setup),
           Impl("DuckDB ST_Area_Spheroid", duckdb_spheroid, setup=duckdb_setup, vs="ours (ellipsoidal)"),
           Impl("geopandas.overlay", gpd_overlay, setup=gpd_setup)],
    summarize=summarize, compare=compare, targets=targets)]
