"""WGS84 → GCJ-02 (the "Mars" offset of 高德/腾讯 basemaps), for display over such a basemap only.

The published formula (the widely reimplemented conversion of the Krasovsky-ellipsoid offset, e.g.
googollee/eviltransform and wandergis/coordtransform), vectorised with numpy. Points outside China's
rough bounding box are returned unchanged, as those implementations do. CGCS2000 and WGS84 differ by
centimetres to a metre, so CGCS2000 lon/lat go in as WGS84. Analysis data is never shifted: only the
display copy of a web map drawn over a GCJ-02 basemap, and the map says so.

Example
-------
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(float(lon), 8), round(float(lat), 8)
(116.4102445, 39.91640428)
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


def shift_geometries(geoms):
    """Shapely geometries (lon/lat) moved to GCJ-02, vertex by vertex, in one vectorised pass."""

    def f(xy: np.ndarray) -> np.ndarray:
        x, y = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, f)
