"""What every audit check shares: the audit rules (``spatial/data/audit.toml``), feature ids, decimals."""

from __future__ import annotations

import math
import tomllib
from functools import cache
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from redline.layers.crs import datum_of
from redline.layers.repair import repair_array
from redline.spatial.areas import ellipsoidal_area, inverse_project
from redline.spatial.overlay import as_array, polygonal

CONTROL_LINES = ("red_line", "urban_boundary", "basic_farmland")
PROTECTED_KINDS = ("protected_area", "protected_area_zone")


@cache
def audit_rules() -> dict:
    """The parsed ``spatial/data/audit.toml``."""
    with resources.files("redline.spatial").joinpath("data/audit.toml").open("rb") as f:
        return tomllib.load(f)


def default_tolerance_pct() -> float:
    return float(audit_rules()["tolerance"]["relative_pct"])


def default_min_area_m2() -> float:
    return float(audit_rules()["tolerance"]["min_area_m2"])


# ------------------------------------------------------------------------------------------------ helpers
def _valid_polygons(geoms) -> np.ndarray:
    """Polygonal geometries, invalid ones repaired the one way (:func:`redline.layers.repair.repair_array`;
    only for measuring and overlays)."""
    return polygonal(repair_array(as_array(geoms)))


def feature_ids(gdf: gpd.GeoDataFrame) -> tuple[list, list]:
    """``(ids, names)`` of a layer's features: the canonical ``code`` (else ``#row``, 0-based) and ``name``."""
    n = len(gdf)
    codes = gdf["code"] if "code" in gdf.columns else pd.Series([None] * n, index=gdf.index)
    names = gdf["name"] if "name" in gdf.columns else pd.Series([None] * n, index=gdf.index)
    ids = [c if isinstance(c, str) and c.strip() else (str(c) if c is not None and not pd.isna(c) else f"#{i}")
           for i, c in enumerate(codes)]
    names = [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in names]
    return ids, names


def _decimals(values: np.ndarray, most: int = 10) -> np.ndarray:
    """Decimals written in each value (the fewest that reproduce it): ``10.0978`` → 4, ``12.0`` → 0."""
    v = np.asarray(values, dtype=float)
    out = np.full(v.shape, most, dtype=int)
    scale = np.maximum(np.abs(v), 1.0)
    for d in range(most, -1, -1):
        exact = np.abs(np.round(v, d) - v) <= 1e-9 * scale
        out[exact] = d
    return out


def column_decimals(values: np.ndarray, usable: np.ndarray | None = None) -> np.ndarray:
    """Decimals each value of a column stands for: its own, or the column's most common, whichever is more.

    A column written with 4 decimals holds 1.0 for 1.0000 (a float does not keep trailing zeros), so
    such a value gets the column's precision.

    >>> column_decimals(np.array([10.0978, 12.5, 7.0, 3.1416])).tolist()
    [4, 4, 4, 4]
    """
    own = _decimals(values)
    use = np.isfinite(values) if usable is None else usable
    if not use.any():
        return own
    mode = int(np.bincount(own[use]).argmax())
    return np.maximum(own, mode)


def _lonlat(points: np.ndarray, crs) -> np.ndarray:
    """``(n, 2)`` longitude/latitude of points in ``crs`` (on its own datum), rounded to 6 decimals."""
    if len(points) == 0:
        return np.zeros((0, 2))
    xy = shapely.get_coordinates(points)
    lon, lat = inverse_project(xy[:, 0], xy[:, 1], crs)
    return np.round(np.column_stack([lon, lat]), 6)


def _pieces(geoms: np.ndarray, owner: np.ndarray, crs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split polygonal geometries into their parts: ``(parts, owner of each part, ellipsoidal m²)``."""
    geoms = polygonal(geoms)
    keep = ~shapely.is_empty(geoms)
    parts, idx = shapely.get_parts(geoms[keep], return_index=True)
    owner = np.asarray(owner)[keep][idx]
    return parts, owner, ellipsoidal_area(parts, crs)


def _same_crs(gdf: gpd.GeoDataFrame, crs, what: str, warnings: list[str]) -> gpd.GeoDataFrame | None:
    """``gdf`` in ``crs``: reprojected within one datum (with a warning); None across datums (never silent)."""
    if gdf.crs is None:
        warnings.append(f"{what}: no CRS, left out of the overlay checks")
        return None
    if gdf.crs.equals(crs):
        return gdf
    if datum_of(gdf.crs) != datum_of(crs):
        warnings.append(f"{what} is in {gdf.crs.name}, the analysis CRS is {crs.name}: different datums are "
                        "never converted silently; left out of the overlay checks")
        return None
    warnings.append(f"{what} is in {gdf.crs.name}; reprojected to {crs.name} for the overlay checks")
    return gdf.to_crs(crs)


def _fmt_area(m2: float) -> str:
    """An area for messages: 公顷 with 4 decimals and m² with 2."""
    return f"{m2 / 1e4:.4f} 公顷（{m2:.2f} m²）"


