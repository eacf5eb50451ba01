"""What redline knows about a layer it read: :class:`LayerInfo`, kept on the GeoDataFrame.

Every reader (:func:`redline.layers.readers.read_layer`, the 国土TXT reader, the site readers) returns a
GeoDataFrame whose ``attrs["redline"]`` is a :class:`LayerInfo`: the file, its format and layer, how its
text encoding and its CRS were determined, invalid geometries and what repairing them did, the kind and the
field mapping, a project layer's stated source and date, and the warnings. :func:`layer_info` reads it.

pandas keeps ``attrs`` through copies and most operations, so the information follows the frame; a frame
made by other means has none (:func:`layer_info` then returns an empty :class:`LayerInfo`).

Example
-------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=4525)
>>> g = with_info(g, LayerInfo(path="rl.gpkg", format="GPKG", kind="red_line", warnings=["示例"]))
>>> layer_info(g).kind, layer_info(g.copy()).warnings
('red_line', ['示例'])
>>> layer_info(gpd.GeoDataFrame(geometry=[])).path is None
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

ATTRS_KEY = "redline"


@dataclass
class LayerInfo:
    """How a layer was read.

    Attributes
    ----------
    path : str or None
        The file (or folder, for sites read from a folder).
    format : str or None
        ``"ESRI Shapefile"``, ``"GPKG"``, ``"GeoJSON"``, ``"guotu-txt"``, ``"CSV"`` …
    layer : str or None
        The layer read inside a multi-layer source.
    encoding : dict
        ``{"value": "gbk", "source": "how it was determined"}``.
    crs : dict
        ``{"epsg": 4525, "name": "...", "source": "file" | "given with --crs" | "placed by coordinates" …}``.
    invalid : dict or None
        ``{"count": n, "reasons": {reason: n}}``; None when validity was not checked.
    repair : dict or None
        What ``repair=True`` did (features repaired, planar area before and after).
    transformation : dict or None
        What ``towgs84`` did to a Xi'an 1980 / Beijing 1954 layer.
    kind : str or None
        The layer kind (``red_line``, ``site`` …) whose canonical columns were added.
    fields : dict or None
        Canonical attribute → the field of the data it was found in (None when not found).
    warnings : list of str
        What the reader noticed, in English, one sentence each.
    id, label, source, date : str or None
        A project layer's id, label and stated provenance (数据来源、数据时间).
    guotu : dict or None
        A 国土TXT file's ``header``, ``sections``, ``precision`` (m) and whether its columns were ``swapped``.
    files : list of dict
        Sites only: one record per site file read (``path``, ``format``, ``crs``, ``encoding``, ``features``).
    """

    path: str | None = None
    format: str | None = None
    layer: str | None = None
    encoding: dict = field(default_factory=dict)
    crs: dict = field(default_factory=dict)
    invalid: dict | None = None
    repair: dict | None = None
    transformation: dict | None = None
    kind: str | None = None
    fields: dict | None = None
    warnings: list[str] = field(default_factory=list)
    id: str | None = None
    label: str | None = None
    source: str | None = None
    date: str | None = None
    guotu: dict | None = None
    files: list[dict] = field(default_factory=list)

    def replace(self, **changes) -> LayerInfo:
        """A copy with some attributes changed (lists copied, so the copy's warnings are its own)."""
        base = dataclasses.replace(self, **changes)
        if "warnings" not in changes:
            base.warnings = list(self.warnings)
        if "files" not in changes:
            base.files = list(self.files)
        return base


def layer_info(gdf) -> LayerInfo:
    """The :class:`LayerInfo` of a frame read by redline (an empty one for any other frame)."""
    info = gdf.attrs.get(ATTRS_KEY)
    return info if isinstance(info, LayerInfo) else LayerInfo()


def with_info(gdf, info: LayerInfo):
    """Set the frame's :class:`LayerInfo` (in place) and return the frame."""
    gdf.attrs[ATTRS_KEY] = info
    return gdf


def warnings_once(named, seen: set | None = None) -> list[str]:
    """The reading warnings of several layers, each prefixed with how the layer is named, a warning of one
    file said once even when the file is read for several roles (``--within`` and ``--by-zones``, a project
    layer drawn twice).

    Parameters
    ----------
    named : iterable of (str, GeoDataFrame)
        ``(how messages name the layer, the layer)``; a frame without a :class:`LayerInfo` has no warnings.
    seen : set, optional
        ``(file, layer, warning)`` already said; updated.

    Example
    -------
    >>> import geopandas as gpd
    >>> g = with_info(gpd.GeoDataFrame(geometry=[]), LayerInfo(path="县界.shp", warnings=["no CRS: placed"]))
    >>> warnings_once([("县界.shp", g), ("--by-zones 县界.shp", g)])
    ['县界.shp: no CRS: placed']
    """
    seen = set() if seen is None else seen
    out = []
    for label, gdf in named:
        info = layer_info(gdf)
        for w in info.warnings:
            key = (info.path, info.layer, w) if info.path is not None else (id(gdf), None, w)
            if key in seen:
                continue
            seen.add(key)
            out.append(f"{label}: {w}")
    return out
