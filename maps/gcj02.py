"""WGS84 → GCJ-02 (the "Mars" offset of 高德/腾讯 basemaps), for display over such a basemap only.

The formula lives in :mod:`redline.layers.gcj02` (the analysis side converts declared GCJ-02 data back with
its inverse there); this module is what the map code uses. Analysis data is never shifted: only the display
copy of a web map drawn over a GCJ-02 basemap, and the map says so.

Example
-------
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(float(lon), 8), round(float(lat), 8)
(116.4102445, 39.91640428)
"""

from __future__ import annotations

from redline.layers.gcj02 import out_of_china, shift_geometries, wgs84_to_gcj02

__all__ = ["out_of_china", "shift_geometries", "wgs84_to_gcj02"]
