"""The layers a map draws: read from a project, in drawing order, with their styles and titles.

Example
-------
>>> from redline.layers.project import Project
>>> p = Project.from_dict({"layers": {"rl": {"kind": "red_line", "path": "rl.gpkg"}}}, base="/tmp")
>>> select_layer_ids(p, None)
['rl']
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import geopandas as gpd
import pyproj

from redline.layers.crs import utm_like_gk_for
from redline.layers.errors import UsageError
from redline.maps.styles import LayerStyle, StyleBook

BASE_KINDS = ("boundary", "river", "road", "town")


@dataclass
class MapLayer:
    """One project layer ready to draw: its data as read, its style and its title."""

    id: str
    kind: str
    title: str
    style: LayerStyle
    gdf: gpd.GeoDataFrame
    township: bool = False
    source: str | None = None
    date: str | None = None

    @property
    def order(self) -> int:
        return self.style.base.order


def select_layer_ids(project, select: str | list[str] | None) -> list[str]:
    """Layer ids to draw. ``None``/``"all"``: every layer; ``"base"``: boundaries, townships, rivers, roads
    and towns (the background of a structure diagram); else a list (or comma-separated text) of layer ids
    or kinds."""
    if select is None or select == "all":
        return list(project.layers)
    if isinstance(select, str):
        select = [s.strip() for s in select.split(",") if s.strip()]
    ids: list[str] = []
    for ref in select:
        if ref == "base":
            ids += [lid for lid, s in project.layers.items() if s.kind in BASE_KINDS]
        elif ref in project.layers:
            ids.append(ref)
        else:
            by_kind = [lid for lid, s in project.layers.items() if s.kind == ref]
            if not by_kind:
                raise UsageError(f"--layers: {ref!r} is no layer id or kind of the project "
                                 f"(layers: {', '.join(project.layers)})")
            ids += by_kind
    return list(dict.fromkeys(ids))


def _printable_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer with control and bidirectional-override characters dropped from its text values: names,
    labels, popups and legends drawn from them can never reorder or garble what a map shows."""
    import pandas as pd

    from redline.spatial.check_tables import printable

    cols = [c for c in gdf.columns if c != gdf.geometry.name
            and (pd.api.types.is_object_dtype(gdf[c].dtype) or pd.api.types.is_string_dtype(gdf[c].dtype))]
    if not cols:
        return gdf
    out = gdf.copy()
    for c in cols:
        out[c] = gdf[c].map(lambda v: printable(v) if isinstance(v, str) else v)
    out.attrs = gdf.attrs
    return out


def read_map_layers(project, styles: StyleBook, select: str | list[str] | None = None) -> list[MapLayer]:
    """Read the selected layers of ``project`` (see :func:`select_layer_ids`), bottom layer first."""
    from redline.layers.readers import read_project_layer

    ids = select_layer_ids(project, select)
    townships = project.townships_id()
    kinds = Counter(project.layers[i].kind for i in ids if i != townships)
    out = []
    for lid in ids:
        spec = project.layers[lid]
        is_town = lid == townships
        style = styles.for_layer(lid, spec.kind, township=is_town)
        title = spec.label or style.base.label
        if not spec.label and kinds[spec.kind] > 1 and not is_town:
            title = f"{title}（{lid}）"
        gdf = read_project_layer(project, lid)
        gdf = _printable_columns(gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)])
        out.append(MapLayer(id=lid, kind=spec.kind, title=title, style=style, gdf=gdf, township=is_town,
                            source=spec.source, date=spec.date))
    out.sort(key=lambda m: m.order)
    return out


def reading_warnings(project, layers: list[MapLayer]) -> list[str]:
    """What reading the drawn layers said, once per file (:func:`redline.layers.info.warnings_once`), and a
    longitude/latitude layer that sits off the others the way GCJ-02 explains (compared with the region's
    boundary first)."""
    from redline.layers.gcj02 import gcj02_warnings
    from redline.layers.info import warnings_once

    bid = project.boundary_id()
    boundary_first = sorted(layers, key=lambda m: m.id != bid)
    named = [(f"layer {m.id} ({project.layers[m.id].path.name})", m.gdf) for m in boundary_first]
    return warnings_once(named) + gcj02_warnings(named)


def metric_crs(project, layers: list[MapLayer]) -> pyproj.CRS:
    """A projected CRS in metres for simplifying and measuring: the project's analysis CRS when it is
    projected, else the first projected layer CRS, else the 3° Gauss-Krüger zone (CGCS2000) of the data."""
    crs_text = (project.region or {}).get("crs") if project is not None else None
    if crs_text:
        crs = pyproj.CRS.from_user_input(crs_text)
        if crs.is_projected:
            return crs
    for m in layers:
        if m.gdf.crs is not None and m.gdf.crs.is_projected:
            return m.gdf.crs
    lons = []
    for m in layers:
        if len(m.gdf):
            b = m.gdf.to_crs(4490).total_bounds if m.gdf.crs is not None else m.gdf.total_bounds
            lons.append((b[0] + b[2]) / 2)
    lon = sum(lons) / len(lons) if lons else 111.0
    return pyproj.CRS.from_epsg(utm_like_gk_for(lon))


def sources_text(layers) -> str:
    """``数据来源`` text: each distinct (source, date) once, in drawing order (objects with ``source`` and
    ``date`` attributes)."""
    seen: dict[tuple, None] = {}
    for m in layers:
        if m.source or m.date:
            seen.setdefault((m.source or "", m.date or ""), None)
    return "；".join("，".join(x for x in pair if x) for pair in seen)


def date_text(value=None) -> str:
    """A date as a Chinese map writes it: ``2026-06-30`` → ``2026年6月30日``; ``2026-06`` → ``2026年6月``;
    other text as given; none → today (``SOURCE_DATE_EPOCH`` honoured)."""
    import re

    from redline.layers.outputs import now_iso

    text = str(value).strip() if value not in (None, "") else now_iso()[:10]
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", text)
    if not m:
        return text
    y, mo, d = m.groups()
    return f"{int(y)}年{int(mo)}月" + (f"{int(d)}日" if d else "")
