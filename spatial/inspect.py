"""What ``redline inspect`` reports about a file: how it was read, its CRS, validity, extent and areas, and
for 国土TXT files each parcel's declared area against the computed planar and ellipsoidal areas.

Example
-------
>>> declared_unit_and_match(2.8, "2.8000", planar_m2=28000.1, ellipsoidal_m2=27998.9)
('ha', 'planar', 'declared in 公顷 (inferred: 2.8000 × 10000 is within 0.000357 % of the computed area)')
"""

from __future__ import annotations

import math
import os

import geopandas as gpd
import numpy as np
import shapely

from redline.layers.info import layer_info
from redline.layers.readers import read_layer
from redline.spatial.areas import ellipsoidal_area, method_description, planar_area

UNIT_FACTORS = {"ha": 10_000.0, "m2": 1.0}  # 国土TXT declares 公顷 officially; m² occurs in real files
UNIT_LABELS = {"ha": "公顷", "m2": "平方米"}


def _decimals(text: str | None) -> int | None:
    if not text:
        return None
    t = str(text).strip()
    if "." in t:
        return len(t.split(".", 1)[1].rstrip())
    return 0


def declared_unit_and_match(declared: float | None, text: str | None, *, planar_m2: float,
                            ellipsoidal_m2: float, perimeter_m: float = 0.0) -> tuple[str, str, str]:
    """Infer the unit of a declared parcel area and which computed area it matches.

    The unit is the one (公顷 or m²) that brings the declared value within 2 % of the computed area.
    A match allows the declared value's rounding (half a unit of its last decimal) plus half a millimetre
    of coordinate rounding along the perimeter.

    Returns
    -------
    (unit, match, explanation): unit ``ha``/``m2``/``mu``/``unknown``; match ``planar``/``ellipsoidal``/
    ``none``/``n/a``.
    """
    if declared is None or (isinstance(declared, float) and math.isnan(declared)) or planar_m2 <= 0:
        return "unknown", "n/a", "no numeric declared area" if declared is None else "no computed area"
    rel = {u: abs(declared * f - planar_m2) / planar_m2 for u, f in UNIT_FACTORS.items()}
    unit = min(rel, key=rel.get)
    if rel[unit] > 0.02:
        return "unknown", "none", (f"declared {text or declared} fits no unit: it is not within 2 % of the computed "
                                   f"planar area {planar_m2:.2f} m² read as 公顷 or m²")
    factor = UNIT_FACTORS[unit]
    dec = _decimals(text)
    step = 0.5 * 10 ** (-dec) * factor if dec is not None else 0.0
    tol = step + 0.0005 * perimeter_m + 1e-9 * planar_m2
    value = declared * factor
    d_planar, d_ell = abs(value - planar_m2), abs(value - ellipsoidal_m2)
    if min(d_planar, d_ell) > tol:
        match = "none"
    else:
        match = "planar" if d_planar <= d_ell else "ellipsoidal"
    why = (f"declared in {UNIT_LABELS[unit]} (inferred: {text or declared} × {factor:g} is within "
           f"{100 * rel[unit]:.3g} % of the computed area)")
    return unit, match, why


def inspect_file(path: str | os.PathLike, layer: str | None = None, *, encoding: str | None = None,
                 crs: str | None = None, towgs84: str | None = None, gcj02: bool = False) -> dict:
    """The ``inspect`` report of a file (see ``redline inspect --json``).

    ``towgs84``: transformation parameters that convert a Xi'an 1980 / Beijing 1954 layer to CGCS2000
    before it is described; ``gcj02``: the file is GCJ-02 longitude/latitude, converted first (see
    :func:`redline.layers.readers.read_layer`).
    """
    gdf = read_layer(path, layer, encoding=encoding, crs=crs, towgs84=towgs84, gcj02=gcj02)
    meta = layer_info(gdf)
    warnings = list(meta.warnings)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    types = sorted(set(gdf.geometry.geom_type.dropna()))
    report = {
        "path": str(path), "format": meta.format, "layer": meta.layer,
        "encoding": meta.encoding, "crs": meta.crs, "features": int(len(gdf)),
        "geometry_types": types, "invalid": meta.invalid["count"],
        "invalid_reasons": meta.invalid["reasons"], "invalid_features": meta.invalid.get("items", []),
        "fields": [c for c in gdf.columns if c != gdf.geometry.name], "field_types": field_types(gdf),
        "bounds_lonlat": None, "area_m2": {"ellipsoidal": None, "planar": None}, "warnings": warnings,
    }
    if meta.transformation:
        report["transformation"] = meta.transformation
    if gdf.crs is not None and len(gdf) and not gdf.geometry.is_empty.all():
        ll = gdf.to_crs(gdf.crs.geodetic_crs) if not gdf.crs.is_geographic else gdf
        report["bounds_lonlat"] = [round(float(v), 7) for v in ll.total_bounds]
        if any(t in ("Polygon", "MultiPolygon") for t in types):
            present = geoms[~shapely.is_missing(geoms)]   # a feature without geometry has no area to add
            ell = ellipsoidal_area(present, gdf.crs)
            report["area_m2"]["ellipsoidal"] = float(np.nansum(ell))
            report["area_m2"]["counts_overlaps"] = True      # a sum over features, not dissolved
            report["area_method"] = method_description(gdf.crs)
            if not gdf.crs.is_geographic:
                report["area_m2"]["planar"] = float(np.nansum(planar_area(present)))
    if meta.format == "guotu-txt":
        report["parcels"] = parcel_report(gdf)
        report["header"] = meta.guotu["header"]
        report["swapped_columns"] = meta.guotu["swapped"]
    return report


def field_types(gdf: gpd.GeoDataFrame) -> dict[str, str]:
    """Each attribute field and its type in words an officer reads (文本, 整数, 小数, 日期, 逻辑).

    >>> import shapely
    >>> field_types(gpd.GeoDataFrame({"HXMC": ["甲"], "MJ": [1.5], "BSM": [3]}, geometry=[shapely.Point(0, 0)]))
    {'HXMC': '文本', 'MJ': '小数', 'BSM': '整数'}
    """
    out = {}
    for c in gdf.columns:
        if c == gdf.geometry.name:
            continue
        kind = gdf[c].dtype.kind
        out[str(c)] = {"i": "整数", "u": "整数", "f": "小数", "b": "逻辑", "M": "日期", "m": "时长"}.get(kind, "文本")
    return out


def parcel_report(gdf: gpd.GeoDataFrame) -> list[dict]:
    """Per-parcel declared vs computed areas of a 国土TXT layer read by :func:`redline.layers.guotu.read_guotu`."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    planar = planar_area(geoms)
    ell = ellipsoidal_area(geoms, gdf.crs)
    perim = shapely.length(geoms)
    out = []
    for i, row in enumerate(gdf.itertuples(index=False)):
        declared = getattr(row, "declared_area", None)
        declared = None if declared is None or (isinstance(declared, float) and math.isnan(declared)) \
            else float(declared)
        text = getattr(row, "declared_area_text", None)
        unit, match, why = declared_unit_and_match(declared, text, planar_m2=float(planar[i]),
                                                   ellipsoidal_m2=float(ell[i]), perimeter_m=float(perim[i]))
        out.append({
            "index": int(row.index), "id": row.id, "name": row.name, "rings": int(row.rings),
            "parts": int(row.parts), "holes": int(row.holes), "declared_area": declared,
            "declared_unit": unit, "declared_unit_note": why,
            "area_m2_planar": float(planar[i]), "area_m2_ellipsoidal": float(ell[i]),
            "declared_matches": match,
        })
    return out

