"""Shares of raster classes (land cover, ...) inside zones, with partially covered cells weighted by coverage.

Coverage fractions come from `exactextract <https://isciences.github.io/exactextract/>`_: each cell counts
with the exact fraction of its area inside the zone, so a zone covering half a cell gets half of it. Zones
are reprojected to the raster's CRS (never the raster to the zones'). Areas are the **planar cell area in
the raster's CRS** × coverage (for a raster in longitude/latitude: the cell's area on the sphere, as
exactextract computes it); they are not the official ellipsoidal areas of :mod:`redline.spatial.areas`.

Example
-------
>>> import numpy as np, rasterio, tempfile, os, geopandas as gpd, shapely
>>> from rasterio.transform import from_origin
>>> path = os.path.join(tempfile.mkdtemp(), "lc.tif")
>>> with rasterio.open(path, "w", driver="GTiff", width=2, height=1, count=1, dtype="uint8", crs="EPSG:4525",
...                    transform=from_origin(37_500_000, 4_200_010, 10, 10), nodata=0) as dst:
...     dst.write(np.array([[1, 2]], dtype=np.uint8), 1)
>>> zone = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[shapely.box(37_500_005, 4_200_000, 37_500_020, 4_200_010)],
...                         crs=4525)
>>> z = raster_shares(path, zone)["zones"][0]
>>> [(c["label"], c["area_m2"], round(c["share_pct"], 2)) for c in z["classes"]]   # half of cell 1, all of cell 2
[('耕地', 50.0, 33.33), ('林地', 100.0, 66.67)]
"""

from __future__ import annotations

import math
import os
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from redline.layers.errors import InputError, UsageError
from redline.layers.info import layer_info
from redline.layers.repair import repair_array
from redline.spatial.overlay import as_array, dissolve, polygonal
from redline.spatial.units import largest_remainder_round

SHARE_DECIMALS = 2


@cache
def default_classes() -> dict:
    """``{"name", "source", "nodata_label", "classes": {int: label}}`` from ``spatial/data/landcover.toml``."""
    with resources.files("redline.spatial").joinpath("data/landcover.toml").open("rb") as f:
        data = tomllib.load(f)
    return {**data, "classes": _class_table(data.get("classes", {}), "spatial/data/landcover.toml")}


def _class_table(table: dict, where: str) -> dict[int, str]:
    out = {}
    for k, v in table.items():
        try:
            out[int(str(k).strip())] = str(v)
        except ValueError:
            raise InputError(f"raster class {k!r} is not an integer value", path=where) from None
    return out


def project_classes(project) -> dict[int, str] | None:
    """The class table of a project's ``[raster.classes]`` (``1 = "耕地"``), or None."""
    if project is None:
        return None
    table = (project.raw.get("raster") or {}).get("classes")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise InputError("[raster] classes must be a table such as { 1 = \"耕地\" }", path=str(project.path))
    return _class_table(table, str(project.path))


def resolve_raster(ref: str | os.PathLike, project=None) -> Path:
    """A raster path: a file (also relative to the project file), or an id of the project's ``[raster]``
    table (``landcover``)."""
    p = Path(ref)
    if p.is_file():
        return p
    if project is not None and project.resolve(p).is_file():  # a path relative to the project file
        return project.resolve(p)
    entries = {k: v for k, v in ((project.raw.get("raster") or {}) if project else {}).items() if isinstance(v, str)}
    if str(ref) in entries:
        q = project.resolve(entries[str(ref)])
        if not q.is_file():
            raise InputError(f"raster {ref!r} of the project: file not found", path=str(q))
        return q
    known = f" (project rasters: {', '.join(entries)})" if entries else ""
    raise InputError(f"raster not found{known}", path=str(p))


def _units_to_m(crs: pyproj.CRS) -> float:
    axis = crs.axis_info[0] if crs.axis_info else None
    return float(axis.unit_conversion_factor) if axis and axis.unit_conversion_factor else 1.0


def _zone_keys(zones: gpd.GeoDataFrame, by: str | None) -> tuple[list[str], np.ndarray]:
    """Zone labels and geometries: one zone per feature, or one per value of ``by`` (features dissolved)."""
    geoms = polygonal(repair_array(as_array(zones.geometry)))
    if by is not None:
        if by not in zones.columns:
            fields = ", ".join(str(c) for c in zones.columns if c != zones.geometry.name)
            raise UsageError(f"--by {by!r}: the zones have no such field (fields: {fields})")
        keys = zones[by].astype("string").fillna("（空）").to_numpy()
        uniq = list(dict.fromkeys(keys))
        return [str(k) for k in uniq], np.array([dissolve(geoms[keys == k]) for k in uniq], dtype=object)
    from redline.spatial.audit import feature_ids

    ids, names = feature_ids(zones)
    return [n or i for n, i in zip(names, ids, strict=True)], geoms


def raster_shares(raster_path: str | os.PathLike, zones: gpd.GeoDataFrame, *, by: str | None = None,
                  classes: dict[int, str] | None = None, band: int = 1) -> dict:
    """The share of each raster class inside each zone, partial cells weighted by their coverage.

    Parameters
    ----------
    raster_path : path
        A categorical raster (integer classes; float rasters must hold whole numbers).
    zones : GeoDataFrame
        Polygons; reprojected to the raster's CRS. Labelled by ``name`` (else ``code``, else ``#row``).
    by : str, optional
        Group zones by this field; the features of a group are dissolved (overlaps counted once).
    classes : dict, optional
        ``{value: label}``; default the land-cover classes of ``spatial/data/landcover.toml``.
    band : int
        Band to read (1-based).

    Returns
    -------
    dict
        ``raster`` (path, CRS, size, cell size, nodata), ``area_method``, ``classes``, ``zones`` and
        ``total`` (all zones dissolved), each zone with ``key``, ``zone_m2``, ``outside_raster_m2``,
        ``nodata_m2``, ``valid_m2`` and ``classes`` (``value``, ``label``, ``area_m2``, ``share_pct`` of the
        valid, non-nodata area: they add up to 100; ``share_pct_rounded`` to 2 decimals, adjusted to add up
        to 100.00 (``rounding_adjusted`` says when 平差 moved one)); ``unlabelled_values``; ``warnings``.
    """
    import rasterio
    from exactextract import exact_extract

    path = Path(raster_path)
    warnings: list[str] = []
    if classes is None:
        classes = default_classes()["classes"]
    if zones.crs is None:
        raise InputError("the zones have no CRS", path=layer_info(zones).path)
    if len(zones) == 0:
        raise InputError("the zone layer has no features", path=layer_info(zones).path)
    if not set(zones.geometry.geom_type.dropna()) <= {"Polygon", "MultiPolygon"}:
        raise InputError("zones must be polygons", path=layer_info(zones).path)
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"cannot open as a raster: {str(exc).splitlines()[0][:200]}", path=str(path)) from None
    with ds:
        if ds.crs is None:
            raise InputError("the raster has no CRS (add a .prj/.aux.xml or write it into the GeoTIFF)", path=str(path))
        if not (1 <= band <= ds.count):
            raise UsageError(f"band {band}: the raster has {ds.count} band(s)")
        if ds.count > 1 and band == 1:
            warnings.append(f"the raster has {ds.count} bands: band 1 is used")
        t = ds.transform
        if t.b != 0 or t.d != 0:
            raise InputError("a rotated raster (its geotransform has rotation terms) is not supported", path=str(path))
        crs = pyproj.CRS.from_user_input(ds.crs.to_wkt())
        dtype = ds.dtypes[band - 1]
        nodata = ds.nodatavals[band - 1]
        geographic = crs.is_geographic
        to_m = 1.0 if geographic else _units_to_m(crs)
        cell_area = None if geographic else abs(t.a * t.e) * to_m * to_m
        if not zones.crs.equals(crs):
            from redline.layers.crs import datum_of

            if datum_of(zones.crs) != datum_of(crs):
                warnings.append(f"the zones ({zones.crs.name}) and the raster ({crs.name}) are on different "
                                "datums: zones reprojected without a datum transformation")
            zones = zones.to_crs(crs)
        keys, geoms = _zone_keys(zones, by)
        everything = dissolve(geoms)
        all_geoms = np.append(geoms, np.array([everything], dtype=object))
        vec = gpd.GeoDataFrame({"_k": np.arange(len(all_geoms))}, geometry=all_geoms, crs=crs)
        nonempty = ~shapely.is_empty(all_geoms)
        weight = "area_spherical_m2" if geographic else "area_cartesian"
        fill = 0 if nodata is None or (isinstance(nodata, float) and math.isnan(nodata)) else nodata
        fill = int(fill) if not dtype.startswith("float") else fill
        ops = [f"unique(coverage_weight={weight})", f"frac(coverage_weight={weight})",
               f"valid=count(coverage_weight={weight})",
               f"covered=count(coverage_weight={weight},default_value={fill})"]
        res = exact_extract(ds, vec[nonempty], ops, include_cols=["_k"], output="pandas",
                            strategy="feature-sequential")
        bounds = ds.bounds
        size = (int(ds.width), int(ds.height))
    res = res.set_index("_k").reindex(np.arange(len(all_geoms)))
    extent = shapely.box(bounds.left, bounds.bottom, bounds.right, bounds.top)
    outside_geoms = polygonal(shapely.difference(all_geoms, extent))
    if geographic:
        from redline.spatial.areas import ellipsoidal_area

        zone_m2 = ellipsoidal_area(all_geoms, crs)
        outside_m2 = ellipsoidal_area(outside_geoms, crs)
    else:
        zone_m2 = shapely.area(all_geoms) * to_m * to_m
        outside_m2 = shapely.area(outside_geoms) * to_m * to_m
    scale = 1.0 if geographic else to_m * to_m  # area_cartesian is in the CRS's units squared

    unlabelled: set[int] = set()
    rows = []
    for k in range(len(all_geoms)):
        r = res.loc[k] if k in res.index else None
        values = np.asarray(r["unique"] if r is not None and isinstance(r["unique"], (list, np.ndarray)) else [])
        fracs = np.asarray(r["frac"] if r is not None and isinstance(r["frac"], (list, np.ndarray)) else [], float)
        valid = float(r["valid"]) * scale if r is not None and pd.notna(r["valid"]) else 0.0
        covered = float(r["covered"]) * scale if r is not None and pd.notna(r["covered"]) else 0.0
        if len(values) and not np.all(np.mod(values.astype(float), 1) == 0):
            raise InputError("the raster holds fractional values: raster-share needs a class raster "
                             "(whole-number classes)", path=str(path))
        values = values.astype(np.int64)
        order = np.argsort(values, kind="stable")
        values, fracs = values[order], fracs[order]
        unlabelled |= {int(v) for v in values if int(v) not in classes}
        shares = fracs * 100.0
        rounded, adjusted = (largest_remainder_round(shares, SHARE_DECIMALS, total=100.0) if len(shares)
                             else ([], False))
        rows.append({
            "key": keys[k] if k < len(keys) else "合计", "zone_m2": float(zone_m2[k]),
            "outside_raster_m2": float(outside_m2[k]), "nodata_m2": max(covered - valid, 0.0), "valid_m2": valid,
            "classes": [{"value": int(v), "label": classes.get(int(v), f"类别 {int(v)}"),
                         "area_m2": float(f * valid), "share_pct": float(s), "share_pct_rounded": float(rs)}
                        for v, f, s, rs in zip(values, fracs, shares, rounded, strict=True)],
            "rounding_adjusted": bool(adjusted)})
    if unlabelled:
        warnings.append("raster values with no label in the class table: "
                        + ", ".join(str(v) for v in sorted(unlabelled)))
    empty = [r["key"] for r in rows[:-1] if r["valid_m2"] == 0]
    if empty:
        warnings.append(f"{len(empty)} zone(s) cover no valid raster cell: {', '.join(empty[:10])}"
                        + (" ..." if len(empty) > 10 else ""))
    if geographic:
        method = ("cell area on the sphere (exactextract area_spherical_m2) × covered fraction; the raster is in "
                  "longitude/latitude")
        method_zh = "栅格为经纬度坐标：像元球面面积 × 覆盖比例"
    else:
        method = f"planar cell area in the raster's CRS ({crs.name}) × covered fraction of each cell"
        method_zh = f"像元在栅格坐标系（{crs.name}）平面内的面积 × 被分区覆盖的比例（非椭球面积）"
    return {
        "raster": {"path": str(path), "crs": crs.name, "epsg": crs.to_epsg(), "width": size[0],
                   "height": size[1], "band": band, "dtype": dtype,
                   "cell_size": [abs(t.a), abs(t.e)], "cell_area_m2": cell_area,
                   "nodata": None if nodata is None or (isinstance(nodata, float) and math.isnan(nodata))
                   else (int(nodata) if float(nodata).is_integer() else float(nodata))},
        "area_method": {"method": "raster_planar" if not geographic else "raster_spherical",
                        "description": method, "description_zh": method_zh,
                        "coverage": "exactextract coverage fractions (partial cells weighted)"},
        "by": by, "classes": {int(k): v for k, v in classes.items()},
        "zones": rows[:-1], "total": rows[-1], "unlabelled_values": sorted(unlabelled), "warnings": warnings,
    }
