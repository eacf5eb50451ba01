"""The peers of the end-to-end benchmarks: what a GIS developer would write instead, file in → CSV out.

Run as ``python -m bench.peers NAME ARGS...``; each reads the same input files as our command and writes
its results as CSV. They do the same work as our command as far as the tool allows (the same overlaps, the
same areas: ellipsoidal where ours is), no less.

* ``overlap-duckdb SITES ZONES OUT``: DuckDB spatial SQL, ``ST_Read`` both files, a spatial join on
  ``ST_Intersects``, the ellipsoidal area of each intersection (``ST_Transform`` to EPSG:4490,
  ``ST_Area_Spheroid``), one row per (site, zone) pair.
* ``overlap-geopandas SITES ZONES OUT``: ``read_file`` (Arrow), ``overlay(how="intersection")``, the
  ellipsoidal area (an equal-area projection of the same ellipsoid), one row per pair.
* ``points-duckdb POINTS UNITS RED OUT``: the unit and the red-line patch each point lies in (two
  point-in-polygon joins).
* ``points-geopandas POINTS UNITS RED OUT``: the same with ``read_parquet`` and ``sjoin(predicate="within")``.
* ``nearest-geopandas SITES ZONES OUT``: the nearest zone within 5 km of each site
  (``sjoin_nearest(max_distance=5000)``).
* ``area-duckdb PARCELS OUT``: the ellipsoidal area of every polygon and their sum.

DuckDB's spatial extension comes from the ``duckdb-ext-spatial`` wheel, loaded with no network.
"""

from __future__ import annotations

import os
import sys

CRS = 4525
EQUAL_AREA = "+proj=cea +lon_0=111 +ellps=GRS80 +units=m +no_defs"   # CGCS2000's ellipsoid is GRS80's


def duckdb_connect():
    """A DuckDB connection with the spatial extension loaded from its wheel, never from the network."""
    import duckdb
    import duckdb_ext

    folder = os.path.join(list(duckdb_ext.__path__)[0], "extensions")
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET extension_directory = ?", [folder])
    con.execute("LOAD spatial")
    return con


def _spheroid(expr: str) -> str:
    return (f"ST_Area_Spheroid(ST_FlipCoordinates(ST_Transform({expr}, 'EPSG:{CRS}', 'EPSG:4490', "
            "always_xy := true)))")


def overlap_duckdb(sites: str, zones: str, out: str) -> None:
    con = duckdb_connect()
    con.execute(f"CREATE TABLE s AS SELECT code, geom FROM ST_Read('{sites}')")
    con.execute(f"CREATE TABLE z AS SELECT code, geom FROM ST_Read('{zones}')")
    con.execute(f"""COPY (SELECT s.code AS site, z.code AS zone, {_spheroid('ST_Intersection(s.geom, z.geom)')} AS m2
                          FROM s JOIN z ON ST_Intersects(s.geom, z.geom))
                    TO '{out}' (HEADER, DELIMITER ',')""")


def overlap_geopandas(sites: str, zones: str, out: str) -> None:
    import geopandas as gpd

    s = gpd.read_file(sites, use_arrow=True)[["code", "geometry"]]
    z = gpd.read_file(zones, use_arrow=True)[["code", "geometry"]]
    ov = gpd.overlay(s, z, how="intersection", keep_geom_type=True)
    ov["m2"] = ov.to_crs(EQUAL_AREA).area
    ov.rename(columns={"code_1": "site", "code_2": "zone"})[["site", "zone", "m2"]].to_csv(out, index=False)


def _geometry(con, path: str) -> str:
    """The geometry column of a GeoParquet file as DuckDB reads it: GEOMETRY already (spatial loaded) or WKB."""
    kind = con.execute(f"SELECT typeof(geometry) FROM read_parquet('{path}') LIMIT 1").fetchone()[0]
    return "geometry" if kind.upper().startswith("GEOMETRY") else "ST_GeomFromWKB(geometry)"


def points_duckdb(points: str, units: str, red: str, out: str) -> None:
    con = duckdb_connect()
    con.execute(f"CREATE TABLE p AS SELECT code, {_geometry(con, points)} AS geom FROM read_parquet('{points}')")
    for name, path in (("u", units), ("r", red)):
        con.execute(f"CREATE TABLE {name} AS SELECT * EXCLUDE (geometry), {_geometry(con, path)} AS geom "
                    f"FROM read_parquet('{path}')")
    con.execute("CREATE TABLE pu AS SELECT p.code, u.code AS unit FROM p JOIN u ON ST_Within(p.geom, u.geom)")
    con.execute("CREATE TABLE pr AS SELECT p.code, r.name AS red FROM p JOIN r ON ST_Within(p.geom, r.geom)")
    con.execute(f"""COPY (SELECT pu.code, pu.unit, pr.red FROM pu LEFT JOIN pr USING (code))
                    TO '{out}' (HEADER, DELIMITER ',')""")


def points_geopandas(points: str, units: str, red: str, out: str) -> None:
    import geopandas as gpd

    p = gpd.read_parquet(points, columns=["code", "geometry"])
    u = gpd.read_parquet(units, columns=["code", "geometry"]).rename(columns={"code": "unit"})
    r = gpd.read_parquet(red, columns=["name", "geometry"]).rename(columns={"name": "red"})
    j = gpd.sjoin(p, u, how="inner", predicate="within").drop(columns="index_right")
    j = gpd.sjoin(j, r, how="left", predicate="within")
    j[["code", "unit", "red"]].to_csv(out, index=False)


def nearest_geopandas(sites: str, zones: str, out: str) -> None:
    import geopandas as gpd

    s = gpd.read_file(sites, use_arrow=True)[["code", "geometry"]]
    z = gpd.read_file(zones, use_arrow=True)[["code", "geometry"]].rename(columns={"code": "zone"})
    j = gpd.sjoin_nearest(s, z, max_distance=5000.0, distance_col="distance_m")
    j[["code", "zone", "distance_m"]].to_csv(out, index=False)


def area_duckdb(parcels: str, out: str) -> None:
    con = duckdb_connect()
    con.execute(f"CREATE TABLE a AS SELECT code, {_spheroid(_geometry(con, parcels))} AS m2 "
                f"FROM read_parquet('{parcels}')")
    con.execute(f"COPY (SELECT * FROM a UNION ALL SELECT 'total', SUM(m2) FROM a) TO '{out}' (HEADER, DELIMITER ',')")


PEERS = {"overlap-duckdb": overlap_duckdb, "overlap-geopandas": overlap_geopandas, "points-duckdb": points_duckdb,
         "points-geopandas": points_geopandas, "nearest-geopandas": nearest_geopandas, "area-duckdb": area_duckdb}


if __name__ == "__main__":
    PEERS[sys.argv[1]](*sys.argv[2:])
