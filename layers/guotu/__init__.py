"""国土TXT: the land-parcel coordinate exchange text (勘测定界界址点坐标 / 建设项目用地红线坐标).

A file has a header section ``[属性描述]`` (key=value lines: 坐标系, 几度分带, 带号, ...) and a section
``[地块坐标]`` holding, per parcel, one parcel line ending with ``@`` and its point lines
``点号,圈号,X,Y`` (X the northing, Y the easting, in the surveying convention)::

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    带号=38
    [地块坐标]
    5,1.0000,S1,示例地块,面,,,,@
    J1,1,4140000.000,38401000.000
    J2,1,4140100.000,38401000.000
    J3,1,4140100.000,38401100.000
    J4,1,4140000.000,38401100.000
    J1,1,4140000.000,38401000.000

:func:`read_guotu` returns one row per parcel in the file's own Gauss-Krüger CRS (x = easting,
y = northing); rings are classified by containment (outer ring, hole, separate part, island in a hole),
never by their number or orientation. :func:`write_guotu` writes any polygon layer as a CGCS2000 3-degree
zone file (prefixed eastings, areas in 公顷, CRLF, GBK by default). :func:`is_guotu` sniffs a file.
The modules: ``sniff`` (fields and sniffing), ``reading``, ``writing``.

Example
-------
>>> import os, tempfile
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> site = gpd.GeoDataFrame({"name": ["示例地块"]}, geometry=[box(38401000, 4140000, 38401100, 4140100)],
...                         crs=4526)
>>> path = os.path.join(tempfile.mkdtemp(), "site.txt")
>>> _ = write_guotu(site, path, date="2026-11-20")
>>> back = read_guotu(path)
>>> row = back.iloc[0]
>>> row["name"], int(row["rings"]), float(row["declared_area"]), back.crs.to_epsg()
('示例地块', 1, 1.0, 4526)
"""

from __future__ import annotations

from redline.layers.guotu.reading import read_guotu
from redline.layers.guotu.sniff import STANDARD_FIELDS, is_guotu, is_guotu_head
from redline.layers.guotu.writing import write_guotu

__all__ = ["STANDARD_FIELDS", "is_guotu", "is_guotu_head", "read_guotu", "write_guotu"]
