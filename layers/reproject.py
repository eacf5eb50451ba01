"""Bringing layers into one analysis CRS, and never across datums silently.

An analysis (a site check, say) runs in one projected CRS: a geographic CRS is replaced by the 3-degree
Gauss-Krüger zone of the data (:func:`analysis_crs_for`). Layers are reprojected into it with
:func:`to_analysis_crs`, which refuses to convert between Xi'an 1980 / Beijing 1954 and CGCS2000 without the
user's transformation parameters (they are not public, so a silent conversion would place the data metres to
a hundred metres off).

Example
-------
>>> import geopandas as gpd, pyproj, shapely
>>> g = gpd.GeoDataFrame(geometry=[shapely.Point(111.2, 37.5)], crs=4490)
>>> crs, notes = analysis_crs_for(g.crs, g.geometry.values)
>>> crs.to_epsg()
4525
>>> out, notes = to_analysis_crs(g, crs, "sites")
>>> int(out.geometry.x.iloc[0]) // 1_000_000               # zone-prefixed easting: 37 5xx xxx m
37
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from redline.layers.crs import DATUM_LABELS, datum_of, utm_like_gk_for, with_towgs84
from redline.layers.errors import InputError

OLD_DATUMS = ("xian1980", "beijing1954")


def analysis_crs_for(crs: pyproj.CRS, geoms) -> tuple[pyproj.CRS, list[str]]:
    """The CRS to compute in: ``crs`` itself when projected; for a geographic CRS, the 3-degree Gauss-Krüger
    zone (same datum; CGCS2000 for WGS 84) whose central meridian is nearest the centre of ``geoms``.

    Returns the CRS and notes saying what was chosen.
    """
    if not crs.is_geographic:
        return crs, []
    b = shapely.total_bounds(np.asarray(geoms, dtype=object))
    lon = float((b[0] + b[2]) / 2) if np.isfinite(b).all() else 111.0
    datum = datum_of(crs)
    try:
        epsg = utm_like_gk_for(lon, datum="cgcs2000" if datum in (None, "wgs84") else datum)
    except Exception:  # outside the Gauss-Krüger tables
        return crs, [f"analysis CRS {crs.name} is geographic and no Gauss-Krüger zone fits; distances use "
                     "the plane of longitude/latitude"]
    gk = pyproj.CRS.from_epsg(epsg)
    return gk, [f"analysis CRS {crs.name} is geographic; computing in {gk.name} (EPSG:{epsg})"]


def to_analysis_crs(gdf: gpd.GeoDataFrame, crs: pyproj.CRS, what: str, *, path: str | None = None,
                    towgs84: tuple[float, ...] | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Bring a layer into the analysis CRS, saying so; never across Xi'an 1980 / Beijing 1954 and CGCS2000
    without the user's transformation parameters.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer.
    crs : pyproj.CRS
        The analysis CRS.
    what : str
        How messages name the layer (``"sites 地块.gpkg"``, ``"layer red_line"``).
    path : str, optional
        The file, for error messages.
    towgs84 : tuple of 3 or 7 floats, optional
        Transformation parameters between an older datum and CGCS2000
        (:func:`redline.layers.crs.parse_towgs84`).

    Returns
    -------
    (GeoDataFrame, list of str)
        The layer in ``crs`` (the same object when already there) and notes on what was done.

    Raises
    ------
    InputError
        The layer has no CRS, or the datums differ, one is an older datum and no ``towgs84`` is given.
    """
    if gdf.crs is None:
        raise InputError(f"{what} has no coordinate reference system (give one, e.g. a .prj file)", path=path)
    if gdf.crs.equals(crs):
        return gdf, []
    src_d, dst_d = datum_of(gdf.crs), datum_of(crs)
    notes: list[str] = []
    if src_d != dst_d and (src_d in OLD_DATUMS or dst_d in OLD_DATUMS):
        if towgs84 is None:
            raise InputError(
                f"{what} is in {gdf.crs.name} ({DATUM_LABELS.get(src_d, src_d)}) but the analysis CRS is "
                f"{crs.name} ({DATUM_LABELS.get(dst_d, dst_d)}); converting between these datums needs "
                "transformation parameters that are not public, so redline never does it silently: give them "
                "with --towgs84 dx,dy,dz[,rx,ry,rz,ds], or bring the data to one datum first", path=path)
        src = with_towgs84(gdf.crs, towgs84) if src_d in OLD_DATUMS else gdf.crs
        dst = with_towgs84(crs, towgs84) if dst_d in OLD_DATUMS else crs
        out = gdf.set_crs(src, allow_override=True).to_crs(dst).set_crs(crs, allow_override=True)
        notes.append(f"{what}: converted from {gdf.crs.name} to {crs.name} with the parameters given with "
                     f"--towgs84 ({','.join(f'{v:g}' for v in towgs84)})")
        return out, notes
    if {src_d, dst_d} == {"cgcs2000", "wgs84"}:
        notes.append(f"{what}: WGS 84 and CGCS2000 differ by centimetres to a metre; treated as the same datum")
    notes.append(f"{what}: reprojected from {gdf.crs.name} to the analysis CRS {crs.name}")
    return gdf.to_crs(crs), notes
