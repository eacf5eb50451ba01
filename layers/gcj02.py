"""GCJ-02, the offset of 高德 (AMap), 腾讯 and other Chinese web maps: to it for display, from it for analysis.

Boundaries and sites exported from 高德 and similar web maps (DataV.GeoAtlas boundaries, points picked on a
web map, KML from phone apps) are in GCJ-02: WGS84 longitude/latitude moved by a published, deterministic
offset of a few hundred metres (about 500 m in Shanxi). Read as WGS84 they sit that far off every official
layer. redline converts such data only when it is declared (``--from-gcj02``, ``datum = "gcj02"`` in the
project), and warns when a longitude/latitude layer is off the other layers by what GCJ-02 explains
(:func:`gcj02_offset_suspected`).

- :func:`wgs84_to_gcj02`: the forward offset (the formula published with the widely reimplemented
  conversion, e.g. googollee/eviltransform and wandergis/coordtransform; written here with numpy). Points
  outside the rough box of China are left unchanged, as those implementations do.
- :func:`gcj02_to_wgs84`: its inverse by fixed-point iteration, ``w ← w + (g − f(w))``: the offset varies
  slowly (its derivative is about 1e-5), so each step gains about five decimal places; it stops when a step
  moves less than 1e-10 degree (about 0.01 mm), within 0.01 m of the exact inverse.

CGCS2000 and WGS84 differ by centimetres to a metre, so CGCS2000 longitudes and latitudes go in as WGS84.

Example
-------
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(float(lon), 8), round(float(lat), 8)
(116.4102445, 39.91640428)
>>> w = gcj02_to_wgs84(lon, lat)
>>> round(float(w[0]), 10), round(float(w[1]), 10)
(116.404, 39.915)
"""

from __future__ import annotations

import numpy as np
import shapely

_A = 6378245.0
_EE = 0.00669342162296594323


def out_of_china(lon, lat) -> np.ndarray:
    """True where the offset is not applied (outside the rough China box)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _dlat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _dlon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 longitude and latitude (degrees) of WGS84 ones; arrays or scalars."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlat = _dlat(lon - 105.0, lat - 35.0)
    dlon = _dlon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84(lon, lat, *, tol: float = 1e-10, max_iter: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude and latitude of GCJ-02 ones: the inverse of :func:`wgs84_to_gcj02` by fixed-point
    iteration (module docstring), to ``tol`` degrees. Points outside China's box are unchanged.

    >>> x, y = gcj02_to_wgs84([111.5, 112.0], [37.5, 38.0])
    >>> fx, fy = wgs84_to_gcj02(x, y)
    >>> bool(np.abs(fx - [111.5, 112.0]).max() < 1e-10 and np.abs(fy - [37.5, 38.0]).max() < 1e-10)
    True
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - flon, glat - flat
        wlon, wlat = wlon + dlon, wlat + dlat
        step = np.nanmax(np.abs(np.concatenate([np.ravel(dlon), np.ravel(dlat)]))) if np.size(dlon) else 0.0
        if not step > tol:
            break
    return wlon, wlat


def _vertexwise(fn):
    def f(xy: np.ndarray) -> np.ndarray:
        x, y = fn(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])
    return f


def shift_geometries(geoms):
    """Shapely geometries (lon/lat) moved to GCJ-02, vertex by vertex, in one vectorised pass."""
    return shapely.transform(geoms, _vertexwise(wgs84_to_gcj02))


def unshift_geometries(geoms):
    """Shapely geometries in GCJ-02 lon/lat moved back to WGS84 (:func:`gcj02_to_wgs84`), vertex by vertex."""
    return shapely.transform(geoms, _vertexwise(gcj02_to_wgs84))


def from_gcj02(gdf, *, path=None):
    """A longitude/latitude layer declared GCJ-02, converted to WGS84/CGCS2000 longitude/latitude.

    The layer keeps its CRS (EPSG:4326 or 4490: GCJ-02 is an offset of WGS84 coordinates, and WGS84 is taken
    as CGCS2000); its :class:`~redline.layers.info.LayerInfo` gets ``transformation`` and a warning saying
    what was done.

    Raises
    ------
    InputError
        The layer is not in longitude/latitude (GCJ-02 exists only as longitude/latitude), or lies outside
        China (where GCJ-02 moves nothing).

    Example
    -------
    >>> import geopandas as gpd
    >>> g = gpd.GeoDataFrame(geometry=[shapely.Point(116.41024449916938, 39.91640428150164)], crs=4326)
    >>> p = from_gcj02(g).geometry.iloc[0]
    >>> round(p.x, 9), round(p.y, 9)
    (116.404, 39.915)
    """
    from redline.layers.errors import InputError
    from redline.layers.info import layer_info, with_info

    info = layer_info(gdf)
    where = str(path) if path is not None else info.path
    if gdf.crs is None or not gdf.crs.is_geographic:
        raise InputError("declared GCJ-02 (--from-gcj02 / datum = \"gcj02\"), but the layer is in "
                         f"{gdf.crs.name if gdf.crs is not None else 'no known CRS'}: GCJ-02 data is "
                         "longitude/latitude (高德/腾讯 exports); a projected layer cannot be in it", path=where)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    coords = shapely.get_coordinates(geoms)
    if len(coords) and out_of_china(coords[:, 0], coords[:, 1]).all():
        raise InputError("declared GCJ-02, but the layer lies outside China, where GCJ-02 moves nothing",
                         path=where)
    out = gdf.copy()
    out[out.geometry.name] = unshift_geometries(geoms)
    note = ("converted from GCJ-02 (the 高德/腾讯 web-map offset) to WGS84/CGCS2000 longitude/latitude, as "
            "declared (iterated inverse, within 0.01 m)")
    return with_info(out, info.replace(transformation={"from": "GCJ-02", "to": gdf.crs.name, "note": note},
                                       warnings=[*info.warnings, note]))


def gcj02_offset_suspected(layer, reference, *, tolerance_m: float = 30.0, sample: int = 2000) -> str | None:
    """Why a longitude/latitude ``layer`` looks like GCJ-02 data read as WGS84, or None.

    The test: the share of the layer's vertices (an even sample of at most ``sample``) lying within
    ``tolerance_m`` of the ``reference`` layer's outlines, as read and with GCJ-02 undone. A layer that
    shares edges with the reference (a 高德 county boundary against the official one, townships against the
    county) matches far better once undone; unrelated layers (sites inside a county) match neither way, and
    nothing is said. Suspected when at least 20 vertices and a tenth of them match once undone, at most a
    quarter as many match as read, the typical offset is between 100 m and 1 km (GCJ-02 moves points
    in China by about 100-700 m), and the same move turned by 90°, 180° or 270° matches at most a quarter as
    many (a dense reference, such as farmland parcels, is met by chance after any move).

    Both layers need a CRS; distances are measured in the 3° Gauss-Krüger zone of the layer (CGCS2000).

    Example
    -------
    >>> import geopandas as gpd
    >>> county = gpd.GeoDataFrame(geometry=[shapely.box(111.5, 37.5, 111.7, 37.7).segmentize(0.005)], crs=4490)
    >>> amap = gpd.GeoDataFrame(geometry=shift_geometries(county.geometry.values), crs=4490)
    >>> print(gcj02_offset_suspected(amap, county))           # doctest: +ELLIPSIS
    its outlines lie ... off the other layers ...
    >>> gcj02_offset_suspected(county, county) is None
    True
    """
    import pyproj

    from redline.layers.crs import utm_like_gk_for

    if layer.crs is None or reference.crs is None or not layer.crs.is_geographic or not len(layer):
        return None
    coords = shapely.get_coordinates(np.asarray(layer.geometry.values, dtype=object))
    if not len(coords) or out_of_china(coords[:, 0], coords[:, 1]).all():
        return None
    if len(coords) > sample:
        coords = coords[np.linspace(0, len(coords) - 1, sample).astype(int)]
    lon0 = float(np.median(coords[:, 0]))
    try:
        metric = pyproj.CRS.from_epsg(utm_like_gk_for(lon0))
    except Exception:  # outside the zone table
        return None
    to_m = pyproj.Transformer.from_crs(layer.crs, metric, always_xy=True)
    ref = reference.to_crs(metric)
    x0, y0 = to_m.transform(coords[:, 0], coords[:, 1])
    near = shapely.box(np.min(x0) - 2000, np.min(y0) - 2000, np.max(x0) + 2000, np.max(y0) + 2000)
    ref_geoms = np.asarray(ref.geometry.values, dtype=object)
    ref_geoms = ref_geoms[shapely.STRtree(ref_geoms).query(near)]
    if not len(ref_geoms):
        return None
    polygonal = shapely.get_dimensions(ref_geoms) == 2
    edges = ref_geoms.copy()
    edges[polygonal] = shapely.boundary(ref_geoms[polygonal])   # lines and points are their own outline
    edges = edges[~(shapely.is_missing(edges) | shapely.is_empty(edges))]
    if not len(edges):
        edges = ref_geoms
    tree = shapely.STRtree(edges)

    def share_near(x, y) -> tuple[float, int]:
        """The share and the number of the points within ``tolerance_m`` of the reference's outlines."""
        _, d = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
        return float(np.mean(d <= tolerance_m)), int((d <= tolerance_m).sum())

    x0, y0 = np.asarray(x0), np.asarray(y0)
    ulon, ulat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    x1, y1 = (np.asarray(v) for v in to_m.transform(ulon, ulat))
    near_read, _ = share_near(x0, y0)
    near_undone, matched = share_near(x1, y1)
    # the same move turned by 90°, 180° and 270°: a dense reference (farmland parcels) is met by chance after any
    # move of a few hundred metres; only the GCJ-02 move itself may match much better than these
    dx, dy = x1 - x0, y1 - y0
    by_chance = max(share_near(x0 - dy, y0 + dx)[0], share_near(x0 - dx, y0 - dy)[0], share_near(x0 + dy, y0 - dx)[0])
    shift = float(np.median(np.hypot(dx, dy)))
    if matched >= 20 and near_undone >= 0.1 and near_read <= near_undone / 4 and by_chance <= near_undone / 4 \
            and 100 <= shift <= 1000:
        return (f"its outlines lie about {shift:.0f} m off the other layers in the way GCJ-02 (the 高德/腾讯 "
                f"web-map offset) explains: {100 * near_undone:.0f} % of its vertices fall within "
                f"{tolerance_m:g} m of them once the offset is undone, {100 * near_read:.0f} % as read; if it "
                "comes from such a web map, declare it (--from-gcj02, or datum = \"gcj02\" in the project)")
    return None


def maybe_from_gcj02(gdf, *, path=None):
    """:func:`from_gcj02` for a longitude/latitude layer; a projected layer (never GCJ-02) comes back as it is.

    What ``--from-gcj02`` does to each input file of a command that reads several.
    """
    if gdf.crs is None or not gdf.crs.is_geographic:
        return gdf
    return from_gcj02(gdf, path=path)


def converted_from_gcj02(gdf) -> bool:
    """Whether a layer was converted from GCJ-02 on reading (its LayerInfo says so)."""
    from redline.layers.info import layer_info

    t = layer_info(gdf).transformation
    return bool(t) and t.get("from") == "GCJ-02"


def gcj02_warnings(named) -> list[str]:
    """For each longitude/latitude layer not converted from GCJ-02, a warning when it sits off one of the
    other layers the way GCJ-02 explains (:func:`gcj02_offset_suspected`), compared with the others in the
    order given (put the region's boundary first).

    Parameters
    ----------
    named : list of (str, GeoDataFrame)
        ``(how messages name the layer, the layer)``.
    """
    out = []
    for i, (label, gdf) in enumerate(named):
        if gdf.crs is None or not gdf.crs.is_geographic or converted_from_gcj02(gdf):
            continue
        for j, (_, other) in enumerate(named):
            if j == i or other.crs is None or not len(other):
                continue
            why = gcj02_offset_suspected(gdf, other)
            if why:
                out.append(f"{label}: {why}")
                break
    return out
