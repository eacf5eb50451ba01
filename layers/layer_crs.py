"""How a layer just read gets its CRS, and converting the older Chinese datums with the user's parameters.

:func:`settle_crs`: the CRS given by the user (``--crs``: it wins, and is not checked), else the
one the file declares — checked against the coordinates, a contradiction being an
:class:`~redline.layers.errors.InputError` (:func:`redline.layers.crs.coordinates_contradiction`) — else one
placed by the coordinates (:func:`redline.layers.crs.sniff_crs`, with a warning). Xi'an 1980 and Beijing
1954 data is kept in its datum with a warning, or converted to CGCS2000 by :func:`convert_old_datum` with
the seven parameters the user gives (they are not public, so never silently).

Example
-------
>>> import geopandas as gpd, shapely
>>> from pathlib import Path
>>> g = gpd.GeoDataFrame(geometry=[shapely.box(38_401_000, 4_140_000, 38_401_100, 4_140_100)])
>>> info, warns = settle_crs(g, Path("红线.shp"), None)
>>> info["epsg"], info["source"]
(4526, 'coordinates')
"""

from __future__ import annotations

import warnings as _warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from redline.layers.crs import (
    cgcs2000_counterpart,
    coordinates_contradiction,
    datum_of,
    epsg_of,
    parse_crs,
    parse_towgs84,
    sniff_crs,
    with_towgs84,
)
from redline.layers.errors import InputError, UsageError


def settle_crs(gdf: gpd.GeoDataFrame, path: Path, crs, *, quiet_datum: bool = False) -> tuple[dict, list[str]]:
    """Set the CRS of a layer just read (in place): given, declared and checked, or placed by the coordinates
    (module docstring). Returns its ``{"epsg", "name", "source"}`` and the warnings; ``quiet_datum`` leaves
    out the "older datum kept" warning (the datum is being converted)."""
    warns: list[str] = []
    if crs is not None:
        user = parse_crs(crs)
        if gdf.crs is not None and not gdf.crs.equals(user):
            warns.append(f"the file says {gdf.crs.name}; using {user.name} as given with --crs")
        gdf.set_crs(user, allow_override=True, inplace=True)
        if datum_of(user) in ("xian1980", "beijing1954") and not quiet_datum:
            warns.append(datum_kept_warning(user))
        return {"epsg": epsg_of(user), "name": user.name, "source": "given with --crs"}, warns
    if gdf.crs is not None and len(gdf) and not gdf.geometry.is_empty.all():
        check_declared_crs(gdf, path)
    if gdf.crs is not None:
        epsg = epsg_of(gdf.crs)
        if epsg is not None and epsg != gdf.crs.to_epsg():
            gdf.set_crs(epsg, allow_override=True, inplace=True)
        if datum_of(gdf.crs) in ("xian1980", "beijing1954") and not quiet_datum:
            warns.append(datum_kept_warning(gdf.crs))
        return {"epsg": epsg, "name": gdf.crs.name, "source": "file"}, warns
    if len(gdf) == 0 or gdf.geometry.is_empty.all():
        return {"epsg": None, "name": None, "source": "none"}, ["no CRS and no coordinates to place the layer by"]
    xmin, ymin, xmax, ymax = gdf.total_bounds
    guess = sniff_crs(xmin, xmax, ymin, ymax, what=str(path))
    gdf.set_crs(guess.epsg, inplace=True)
    return guess.as_dict(), guess.warnings


def check_declared_crs(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """InputError when the coordinates cannot be in the CRS the file declares (see
    :func:`redline.layers.crs.coordinates_contradiction`), naming the file, the CRS and what the coordinates
    are. Longitude/latitude out of range that fit no Chinese zone are taken as written in latitude,
    longitude order."""
    declared_by = "the .prj" if path.suffix.lower() == ".shp" else "the file's CRS"
    bounds = shapely.bounds(np.asarray(gdf.geometry.values, dtype=object))      # one pass over the vertices
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)                         # all-NaN: no geometry
        xmin, ymin = np.nanmin(bounds[:, 0]), np.nanmin(bounds[:, 1])
        xmax, ymax = np.nanmax(bounds[:, 2]), np.nanmax(bounds[:, 3])
    if gdf.crs.is_geographic and np.isfinite([xmin, ymin, xmax, ymax]).all() and \
            not (-180 <= xmin <= xmax <= 360 and -90 <= ymin <= ymax <= 90):
        try:
            sniff_crs(xmin, xmax, ymin, ymax)
        except InputError:
            raise InputError(f"longitude/latitude out of range (x {xmin:g}…{xmax:g}, y {ymin:g}…{ymax:g}): "
                             "coordinates written in latitude, longitude order?", path=str(path)) from None
    message = coordinates_contradiction(gdf.crs, bounds, declared_by=declared_by)
    if message:
        raise InputError(message, path=str(path))


def datum_kept_warning(crs) -> str:
    return (f"{crs.name}: an older datum, kept as is (never converted to CGCS2000 silently; "
            "supply the 7 transformation parameters with --towgs84 to convert)")


def is_datum_kept_warning(text: str) -> bool:
    """The warnings (of this module and of redline.layers.guotu) that say an older datum was kept as is."""
    return "an older datum, kept as is" in text or "not converted to CGCS2000" in text


def convert_old_datum(gdf: gpd.GeoDataFrame, towgs84: str, *, path=None, crs_info: dict | None = None
                      ) -> tuple[gpd.GeoDataFrame, dict, dict]:
    """Convert a Xi'an 1980 / Beijing 1954 layer to CGCS2000 with user-supplied Helmert parameters.

    The source CRS is the layer's PROJ definition plus ``+towgs84=<7 parameters>`` (position-vector
    convention: metres, arc-seconds, ppm); the target is the CGCS2000 Gauss-Krüger zone with the same
    central meridian, zone width and prefix style (EPSG:4490 for geographic data), taken as coincident with
    WGS84. The datums' own parameters are not public, so nothing is converted without them.

    Returns
    -------
    (GeoDataFrame, crs_info, transformation)
        The converted layer, its ``{"epsg", "name", "source"}`` and ``{"from_epsg", "from_name", "to_epsg",
        "towgs84", "note"}``.

    Raises
    ------
    UsageError
        Malformed parameters, or a layer that is not in Xi'an 1980 / Beijing 1954.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(498000, 4160000)], crs=2382)   # Xi'an 1980, CM 111°E
    >>> out, info, _ = convert_old_datum(g, "0,0,0,0,0,0,0")
    >>> info["epsg"]                                                        # CGCS2000, CM 111°E
    4546
    """
    where = str(path) if path is not None else None
    params = parse_towgs84(towgs84)
    datum = datum_of(gdf.crs)
    if datum not in ("xian1980", "beijing1954"):
        raise UsageError("--towgs84 converts Xi'an 1980 or Beijing 1954 layers; this layer is in "
                         f"{gdf.crs.name if gdf.crs is not None else 'no known CRS'}", path=where)
    target = cgcs2000_counterpart(gdf.crs)
    if target is None:
        raise UsageError(f"{gdf.crs.name} is no Xi'an 1980 / Beijing 1954 zone redline knows: give the layer's "
                         "CRS as an EPSG code with --crs", path=where)
    text = ",".join(f"{v:.10g}" for v in params)
    src = with_towgs84(gdf.crs, params)
    dst_crs = pyproj.CRS.from_epsg(target)
    dst = with_towgs84(dst_crs, (0.0,) * 7)
    transformer = pyproj.Transformer.from_crs(src, dst, always_xy=True)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out = gdf.copy()
    out[out.geometry.name] = gpd.GeoSeries(shapely.transform(np.asarray(gdf.geometry.values), fn),
                                           index=gdf.index, crs=dst_crs)
    out = out.set_crs(dst_crs, allow_override=True)
    was = (crs_info or {}).get("source", "file")
    note = (f"converted from {gdf.crs.name} to {dst_crs.name} (EPSG:{target}) with the transformation "
            f"parameters given (towgs84={text})")
    info = {"epsg": target, "name": dst_crs.name,
            "source": f"{was}: {gdf.crs.name}, converted with the given transformation parameters"}
    return out, info, {"from_epsg": epsg_of(gdf.crs), "from_name": gdf.crs.name, "to_epsg": target,
                       "towgs84": list(params), "note": note}
