"""The interactive web map: one self-contained HTML file (Leaflet inlined), opened offline.

:func:`web_map` draws every project layer (or a selection) with the styles of ``maps/data/styles.toml``,
the structure diagram of a layout file in a layer group of its own, a layer control, a legend listing every
drawn style, title, north arrow, scale bar, producer and date, the coordinate-system note, the approval
number (审图号) when the project gives one, and popups and tooltips with Chinese attribute labels.
:func:`save_web_map` writes it whole or not at all, and refuses a file that would load anything from a
host when the basemap is ``none``.

Example
-------
>>> import tempfile, pathlib, geopandas as gpd, shapely
>>> from redline.layers.project import Project
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> gpd.GeoDataFrame({"名称": ["红线一"]}, geometry=[shapely.box(111.0, 38.0, 111.1, 38.1)],
...                  crs=4490).to_file(d / "rl.gpkg")
>>> p = Project.from_dict({"layers": {"rl": {"kind": "red_line", "path": "rl.gpkg"}}}, base=d)
>>> m = web_map(p, title="示例")
>>> info = save_web_map(m, d / "map.html")
>>> info["external_resources"]
[]
"""

from __future__ import annotations

import json
import os
import re
import string

import geopandas as gpd
import numpy as np
import offlinefolium as folium
import shapely
from branca.element import Element, MacroElement
from offlinefolium.template import Template

from redline.layers.crs import DATUM_LABELS
from redline.layers.errors import UsageError
from redline.layers.outputs import write_bytes
from redline.maps import webassets as wa
from redline.maps.display import (
    Budget,
    DisplayLayer,
    decimals_for,
    display_tolerance,
    prepare_layers,
    round_geometries,
)
from redline.maps.layout import KIND_LABELS, Layout, project_layout
from redline.maps.sources import (
    MapLayer,
    date_text,
    metric_crs,
    read_map_layers,
    reading_warnings,
    sources_text,
)
from redline.maps.structure import ResolvedElement, legend_entries, resolve_layout
from redline.maps.styles import StyleBook, load_styles

BASEMAPS = ("none", "tianditu", "amap")
CRS_NOTE = f"坐标系：{DATUM_LABELS['cgcs2000']}（CGCS2000）"
_LEAFLET_JS = ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
_LEAFLET_CSS = ("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css")
_TIANDITU = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
             "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
             "&TILECOL={{x}}&tk={key}")
_AMAP = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"


class _Map(folium.Map):
    """An offlinefolium map that inlines Leaflet only (no jQuery, Bootstrap or icon fonts: the page
    needs none of them, and they would add 1.3 MB)."""

    default_js = [_LEAFLET_JS]
    default_css = [_LEAFLET_CSS]


class _Script(MacroElement):
    """A script run in the map's scope: ``<MAP>`` in the code is replaced by the map's variable name,
    ``<PARENT>`` by the parent element's (a layer group). Data never contains these: every data string
    goes through :func:`redline.maps.webassets.script_json`, which escapes ``<``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.rendered_code }}
        {% endmacro %}
    """)

    def __init__(self, code: str):
        super().__init__()
        self._name = "RedlineScript"
        self.code = code

    def render(self, **kwargs):
        m = self._parent
        while m is not None and not isinstance(m, folium.Map):
            m = m._parent
        self.rendered_code = self.code.replace("<MAP>", m.get_name()).replace("<PARENT>",
                                                                              self._parent.get_name())
        super().render(**kwargs)


class _Raw(str):
    """JSON text that is already encoded (a GeoJSON FeatureCollection)."""


def _js(template: str, **values) -> str:
    """JavaScript from a ``string.Template`` whose ``$name`` placeholders take ``values`` as JSON, made safe
    inside ``<script>`` (:func:`redline.maps.webassets.script_json`); ``_Raw`` values are JSON text already."""
    enc = {k: wa.script_json(v if isinstance(v, _Raw) else json.dumps(v, ensure_ascii=False))
           for k, v in values.items()}
    return string.Template(template).substitute(enc)


def _control(html_text: str, position: str, css_class: str) -> str:
    """JavaScript adding a Leaflet control whose content is ``html_text`` (already escaped HTML)."""
    return _js("(function(){var C = L.Control.extend({options: {position: $pos}, onAdd: function () {"
               "var d = L.DomUtil.create('div', $cls); d.innerHTML = $html;"
               "L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d); return d;}});"
               "new C().addTo(<MAP>);})();", pos=position, cls=css_class, html=html_text)


def _geom_shape(layer: MapLayer) -> str:
    types = set(layer.gdf.geom_type.dropna().unique())
    if types and types <= {"Point", "MultiPoint"}:
        return "point"
    if types and types <= {"LineString", "MultiLineString"}:
        return "line"
    return "area"


def _legend_html(display: list[DisplayLayer], shapes: dict[str, str], structure: list[ResolvedElement],
                 layout: Layout | None) -> tuple[str, list[str]]:
    """The legend panel (escaped HTML) and the plain labels of its entries, in order."""
    parts = ["<h2>图例</h2>"]
    labels: list[str] = []
    singles, groups = [], []
    for d in reversed(display):  # top layer first, as a reader scans the map
        if d.dropped:
            continue
        entries = d.style.legend(d.style_keys)
        if not entries:
            continue
        graded = bool(d.style.by and d.style.values)
        block = [(label if graded else d.title, st, shapes[d.id]) for label, st in entries]
        if graded:
            groups.append((d.title, block))
        else:
            singles += block
    for heading, block in [(None, singles), *groups]:
        if not block:
            continue
        parts.append('<div class="rl-group">')
        if heading:
            parts.append(f"<h3>{wa.esc(heading)}</h3>")
        for text, st, shape in block:
            sw = wa.swatch_svg(shape, color=st.color, weight=st.weight, opacity=st.opacity, dash=st.dash,
                               fill=st.fill, fill_color=st.fill_color, fill_opacity=st.fill_opacity,
                               hatch=st.hatch, radius=st.radius, label=text)
            parts.append(f'<div class="rl-entry">{sw}<span>{wa.esc(text)}</span></div>')
            labels.append(text)
        parts.append("</div>")
    if structure:
        head = "规划结构" + (f"（{layout.formula}）" if layout is not None and layout.formula else "")
        parts.append(f'<div class="rl-group"><h3>{wa.esc(head)}</h3>')
        for key, label, st, shape in legend_entries(structure):
            kind = key.split(".")[0].split("#")[0]
            sw_shape = {"axis": "axis", "core": "core", "node": "node"}.get(kind)
            if sw_shape is None:
                sw_shape = "area" if shape == "area" else "band"
            sw = wa.swatch_svg(sw_shape, color=st.color, weight=st.weight, opacity=st.opacity, dash=st.dash,
                               fill=True, fill_color=st.fill_color, fill_opacity=st.fill_opacity,
                               hatch=st.hatch, radius=st.radius, label=label)
            parts.append(f'<div class="rl-entry">{sw}<span>{wa.esc(label)}</span></div>')
            labels.append(label)
        parts.append("</div>")
    cols = " rl-cols" if len(labels) > 14 else ""
    return f'{parts[0]}<div class="rl-body{cols}">{"".join(parts[1:])}</div>', labels


def _struct_style(r: ResolvedElement) -> dict:
    st = r.style
    opts = st.leaflet()
    if r.shape == "line" and r.kind != "axis":  # a wide translucent band
        opts.update(weight=st.weight, opacity=st.opacity, lineCap="round", lineJoin="round", fill=False)
    elif r.shape == "area":
        if r.kind in ("belt", "corridor", "barrier"):
            opts.update(weight=1.0, opacity=st.opacity * 0.8)
        if st.hatch:
            opts.update(fillColor=f"url(#rl-hatch-{r.legend_key.replace('.', '-').replace('#', '-')})",
                        fillOpacity=1.0)
    elif r.kind == "axis":
        opts.update(lineCap="butt", fill=False)
    return opts


def _structure_items(resolved: list[ResolvedElement], metric, tolerance: float, gcj02: bool
                     ) -> tuple[list[dict], list[list], str]:
    """Structure drawing items (lon/lat), label positions, and SVG hatch patterns."""
    from redline.maps.gcj02 import shift_geometries

    def lonlat(geoms):
        arr = gpd.GeoSeries(list(geoms), crs=metric).to_crs(4490).values
        if gcj02:
            arr = shift_geometries(np.asarray(arr, dtype=object))
        return round_geometries(arr, decimals_for(tolerance))

    items, labels, patterns = [], [], {}
    for r in resolved:
        el = r.element
        info_fields = ["要素类型", "依据", "缓冲宽度"]
        source = ""
        if el.layer:
            source = el.layer + ("：" + "；".join(f"{k} = {'、'.join(v)}" for k, v in el.where.items())
                                 if el.where else "")
        if el.coords is not None:
            source = (source + "；" if source else "") + "坐标"
        props = {"p0": KIND_LABELS[el.kind] + ("（主轴）" if el.rank == "main" and el.kind == "axis" else
                                                "（次轴）" if el.kind == "axis" else ""),
                 "p1": source, "p2": f"{el.buffer_m:g} 米" if el.buffer_m else None}
        info = {"title": el.label, "props": props, "fields": info_fields}
        style = _struct_style(r)
        if r.style.hatch and r.shape == "area":
            pid = f"rl-hatch-{r.legend_key.replace('.', '-').replace('#', '-')}"
            patterns[pid] = wa.hatch_pattern(pid, r.style.color, r.style.opacity, r.style.hatch,
                                             r.style.fill_color, r.style.fill_opacity)
        if r.shape == "point":
            pts = lonlat([r.geometry])[0]
            for p in getattr(pts, "geoms", [pts]):
                item = {"type": el.kind, "at": [p.x, p.y], "style": {**style, "radius": r.style.radius},
                        "halo": el.kind == "core", "info": info}
                if el.kind == "core" and el.symbol == "star":
                    item["star"] = wa.star_svg(r.style.radius, r.style.color, r.style.fill_color)
                items.append(item)
        else:
            simple = shapely.simplify(r.geometry, tolerance, preserve_topology=True)
            geo = json.loads(shapely.to_geojson(lonlat([simple])[0]))
            items.append({"type": "path", "geometry": geo, "style": style, "info": info})
            for head in r.arrows:
                hgeo = json.loads(shapely.to_geojson(lonlat([head])[0]))
                items.append({"type": "path", "geometry": hgeo, "interactive": False,
                              "style": {"stroke": False, "fill": True, "fillColor": r.style.color,
                                        "fillOpacity": min(1.0, r.style.opacity + 0.1)}})
        lp = lonlat([r.label_point])[0]
        labels.append([lp.x, lp.y, el.label, "rl-struct rl-struct-core" if r.shape == "point" else "rl-struct"])
    return items, labels, "".join(patterns.values())


def _label_points(layer: MapLayer, metric, gcj02: bool, decimals: int, skip=frozenset()) -> list[list]:
    """``[lon, lat, name]`` labels of towns and townships (but names in ``skip``)."""
    if "name" not in layer.gdf.columns:
        return []
    gdf = layer.gdf[layer.gdf["name"].notna() & ~layer.gdf["name"].isin(skip)]
    if not len(gdf):
        return []
    pts = gdf.to_crs(metric).geometry.values
    pts = shapely.point_on_surface(pts)
    ll = gpd.GeoSeries(pts, crs=metric).to_crs(4490).values
    if gcj02:
        from redline.maps.gcj02 import shift_geometries

        ll = shift_geometries(np.asarray(ll, dtype=object))
    ll = round_geometries(ll, decimals)
    return [[p.x, p.y, str(n)] for p, n in zip(ll, gdf["name"], strict=True)]


def web_map(project, *, layout: Layout | str | os.PathLike | bool | None = None, basemap: str = "none",
            title: str | None = None, tianditu_key: str | None = None, layers: str | list[str] | None = None,
            budget: Budget | None = None, styles: StyleBook | None = None) -> folium.Map:
    """An interactive web map of a project's layers and, optionally, its structure diagram.

    Parameters
    ----------
    project : redline.layers.project.Project
    layout : Layout, path or False, optional
        Structure-diagram layout; default the project's ``[map] layout`` (none when it has none);
        ``False``: no structure diagram.
    basemap : {"none", "tianditu", "amap"}
        ``none`` (default): no tiles, nothing loaded from any host. ``tianditu``: 天地图 vector tiles with
        the user's key (the key is then embedded in the file). ``amap``: 高德 tiles in GCJ-02; the overlay is
        shifted to GCJ-02 for display only and the map says so.
    title : str, optional
        Default: the layout's title, else ``[map] title``, else "<region>生态空间管控图".
    tianditu_key : str, optional
        Required with ``basemap="tianditu"``.
    layers : str or list, optional
        Layer ids or kinds to draw (see :func:`redline.maps.sources.select_layer_ids`); default all.
    budget : Budget, optional
        Display size budget.
    styles : StyleBook, optional
        Default: :func:`redline.maps.styles.load_styles` of the project.

    Returns
    -------
    offlinefolium.Map
        With ``m.redline_info``: ``{"title", "basemap", "notes", "legend", "layers", "structure",
        "tianditu_key_embedded", "gcj02_display_shift"}``.

    Raises
    ------
    UsageError
        Unknown basemap, ``tianditu`` without a key.
    InputError
        Unreadable layers, a bad layout or style override.
    """
    if basemap not in BASEMAPS:
        raise UsageError(f"--basemap must be one of {', '.join(BASEMAPS)}, not {basemap!r}")
    if basemap == "tianditu":
        if not tianditu_key:
            raise UsageError("--basemap tianditu needs the user's 天地图 key (--tianditu-key KEY)")
        if not re.fullmatch(r"[A-Za-z0-9]{8,64}", tianditu_key):
            raise UsageError("the 天地图 key should be letters and digits only (32 hexadecimal characters)")
    styles = styles or load_styles(project)
    layout = project_layout(project, None if layout is False else layout, no_layout=layout is False)
    gcj02 = basemap == "amap"
    map_layers = read_map_layers(project, styles, layers)
    metric = metric_crs(project, map_layers)
    display, notes = prepare_layers(map_layers, metric, field_labels=styles.field_labels,
                                    budget=budget or Budget(), gcj02=gcj02)
    mb = _metric_bounds(map_layers, metric)
    tolerance = display[0].tolerance_m if display else display_tolerance(mb)
    resolved = (resolve_layout(layout, project, metric, styles, extent=max(mb[2] - mb[0], mb[3] - mb[1]))
                if layout is not None else [])
    map_cfg = project.map or {}
    if title is None:
        title = (layout.title if layout is not None and layout.title else None) or map_cfg.get("title") \
            or f"{project.name or ''}生态空间管控图"

    west, south, east, north = _view_bounds(display, project.boundary_id())
    m = _Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=10, tiles=None, max_zoom=18,
             control_scale=False, attribution_control=True, zoom_snap=0.25, zoom_delta=0.5)
    m.get_root().header.add_child(Element(f"<style>{wa.CSS}</style>"), name="redline_css")
    m.get_root().header.add_child(Element(f"<script>{wa.JS}</script>"), name="redline_js")
    m.get_root().title = wa.esc(title)  # branca writes it into <title> as is
    notes += _add_basemap(m, basemap, tianditu_key)
    shapes = {ml.id: _geom_shape(ml) for ml in map_layers}
    _add_layers(m, display, map_layers, shapes, metric, decimals_for(tolerance), gcj02)
    if resolved:
        _add_structure(m, resolved, metric, tolerance, gcj02)

    # title, legend, north arrow, scale bar, info panel, layer control
    sub = f'<div class="rl-sub">{wa.esc(layout.formula)}</div>' if layout is not None and layout.formula else ""
    fict = '<div class="rl-fict">虚构示范数据，不代表任何真实地区</div>' if project.fictional else ""
    m.add_child(_Script(_js("(function(){var d = document.createElement('div'); d.className = 'rl-panel rl-title';"
                            "d.innerHTML = $html; <MAP>.getContainer().appendChild(d);})();",
                            html=f"<h1>{wa.esc(title)}</h1>{sub}{fict}")))
    legend_html, legend_labels = _legend_html(display, shapes, resolved, layout)
    m.add_child(_Script(_control(legend_html, "bottomright", "rl-panel rl-legend")))
    m.add_child(_Script(_control(wa.NORTH_ARROW, "topleft", "rl-panel rl-north")))
    m.add_child(_Script("L.control.scale({metric: true, imperial: false, maxWidth: 160, "
                        "position: 'bottomleft'}).addTo(<MAP>);"))
    info_html = "".join(f"<div>{wa.esc(t)}</div>" for t in _info_lines(map_cfg, basemap, display))
    info_html += "".join(f'<div class="rl-note">注：{wa.esc(n)}</div>' for n in notes)
    m.add_child(_Script(_control(info_html, "bottomleft", "rl-panel rl-info")))
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    # fit the region inside the panels: below the title and north arrow, left of the layer control and the
    # legend, and beside or above the info panel (whichever leaves the larger map); tiny screens: no padding
    m.add_child(_Script(_js(FIT_INSIDE_PANELS, bounds=[[south, west], [north, east]])))
    m.add_child(_Script("window.redlineMap = <MAP>; <MAP>.attributionControl.setPrefix(false);"
                        "redline.markDrawn();"))
    m.redline_info = {
        "title": title, "basemap": basemap, "notes": notes, "legend": legend_labels,
        "layers": [_layer_info(d) for d in display],
        "structure": [{"label": r.element.label, "kind": r.kind} for r in resolved],
        "tianditu_key_embedded": basemap == "tianditu",
        "gcj02_display_shift": gcj02,
        "warnings": reading_warnings(project, map_layers),
    }
    return m


def _layer_info(d: DisplayLayer) -> dict:
    """How one layer was shown: as simplified vectors (tolerance) or as an image (metres per pixel)."""
    rec = {"id": d.id, "title": d.title, "kind": d.kind, "shown": not d.dropped, "shown_as": d.shown_as,
           "vertices_in": d.vertices_in, "vertices_out": d.vertices_out, "note": d.note}
    if d.image is not None:
        rec.update(simplification="image", metres_per_pixel=round(d.image.metres_per_pixel, 2),
                   image_pixels=[d.image.width, d.image.height], image_bytes=len(d.image.png),
                   image_bounds=[round(v, 7) for v in d.image.bounds])
    else:
        rec.update(simplification=d.method, tolerance_m=round(d.tolerance_m, 3))
    return rec


FIT_INSIDE_PANELS = (
    "(function(){var map = <MAP>, b = L.latLngBounds($bounds), size = map.getSize();"
    "function box(sel){var e = document.querySelector(sel); if (!e) return {w: 0, h: 0};"
    " var r = e.getBoundingClientRect(); return {w: r.width + 12, h: r.height + 12};}"
    "var title = box('.rl-title'), north = box('.rl-north'), layers = box('.leaflet-control-layers'),"
    " legend = box('.rl-legend'), info = box('.rl-info'), scale = box('.leaflet-control-scale');"
    "var top = Math.max(title.h, north.h, 10), right = Math.max(layers.w, legend.w, 10);"
    "var options = [[Math.max(info.w, scale.w, 10), 10], [10, Math.max(info.h + scale.h, 10)]];"
    "var best = null, zoom = -Infinity;"
    "options.forEach(function(o){var pad = L.point(o[0] + right, top + o[1]);"
    " if (pad.x >= size.x - 40 || pad.y >= size.y - 40) return;"
    " var z = map.getBoundsZoom(b, false, pad); if (z > zoom) {zoom = z; best = o;}});"
    "if (best) map.fitBounds(b, {paddingTopLeft: [best[0], top], paddingBottomRight: [right, best[1]]});"
    "else map.fitBounds(b, {padding: [10, 10]});"
    "window.__redlinePanels = {top: top, right: right, left: best ? best[0] : 10, bottom: best ? best[1] : 10};"
    "})();")


def _view_bounds(display: list[DisplayLayer], boundary_id: str | None) -> tuple[float, float, float, float]:
    """Lon/lat extent the map opens on: the boundary layer when there is one, else every layer shown."""
    shown = [d.bounds for d in display if d.bounds is not None and not d.dropped]
    own = [d.bounds for d in display if d.id == boundary_id and d.bounds is not None]
    b = np.array(own or shown or [(111.0, 38.0, 111.5, 38.5)], dtype=float)
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def _add_basemap(m, basemap: str, key: str | None) -> list[str]:
    """Tile layers of the basemap; returns the notes the map must show."""
    if basemap == "none":
        return []
    m.add_child(_Script("<MAP>.getContainer().classList.add('rl-tiles');"))
    if basemap == "tianditu":
        for layer_name, label in (("vec", "天地图矢量"), ("cva", "天地图注记")):
            folium.TileLayer(tiles=_TIANDITU.format(layer=layer_name, key=key, s="{s}"), attr="© 天地图",
                             name=label, subdomains="01234567", max_zoom=18, overlay=layer_name == "cva",
                             control=False).add_to(m)
        return []
    folium.TileLayer(tiles=_AMAP, attr="© 高德地图", name="高德地图", subdomains="1234", max_zoom=18,
                     control=False).add_to(m)
    return ["叠加图层已按GCJ-02偏移显示以配合高德底图，仅用于显示；分析数据未作偏移。"]


def _add_layers(m, display: list[DisplayLayer], map_layers: list[MapLayer], shapes: dict, metric,
                decimals: int, gcj02: bool) -> None:
    """One layer group per project layer (in the layer control), with popups, tooltips and name labels."""
    town_names = frozenset(n for ml in map_layers if ml.kind == "town" and "name" in ml.gdf.columns
                           for n in ml.gdf["name"].dropna())
    for d, ml in zip(display, map_layers, strict=True):
        name = d.title + ("（影像显示，不可点击查询）" if d.image is not None else "")
        group = folium.FeatureGroup(name=wa.esc(name), show=True).add_to(m)
        if d.image is not None:
            w, s, e, n = d.image.bounds
            group.add_child(_Script(_js("redline.addImage($id, <PARENT>, $url, $bounds, $title);", id=d.id,
                                        url=d.image.data_uri, bounds=[[s, w], [n, e]], title=d.title)))
            continue
        if d.dropped:
            continue
        styles_js = {k: d.style.style_for(k).leaflet() for k in d.style_keys}
        styles_js[""] = d.style.base.leaflet()
        if shapes[d.id] == "point":
            for v in styles_js.values():
                v["radius"] = d.style.base.radius
        group.add_child(_Script(_js(
            "redline.addGeoJson($id, <PARENT>, $data, $styles, $fields, $title, {styleLabels: $labels});",
            id=d.id, data=_Raw(d.geojson), styles=styles_js, fields=[lab for _, lab in d.fields], title=d.title,
            labels={k: d.style.style_for(k).label for k in d.style_keys})))
        if ml.kind == "town" or ml.township:
            labels = _label_points(ml, metric, gcj02, decimals,
                                   skip=frozenset() if ml.kind == "town" else town_names)
            if labels:
                group.add_child(_Script(_js("redline.addLabels(<PARENT>, $labels, $cls);", labels=labels,
                                            cls="rl-town" if ml.kind == "town" else "rl-township")))


def _add_structure(m, resolved: list[ResolvedElement], metric, tolerance: float, gcj02: bool) -> None:
    """The structure diagram: a layer group of its own, its labels, and the SVG hatch patterns it uses."""
    items, labels, patterns = _structure_items(resolved, metric, tolerance, gcj02)
    group = folium.FeatureGroup(name="规划结构", show=True).add_to(m)
    group.add_child(_Script(_js("redline.addStructure(<PARENT>, $items);", items=items)))
    for cls in sorted({lab[3] for lab in labels}):
        sel = [lab[:3] for lab in labels if lab[3] == cls]
        group.add_child(_Script(_js("redline.addLabels(<PARENT>, $labels, $cls);", labels=sel, cls=cls)))
    if patterns:
        m.get_root().html.add_child(Element(
            '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
            f"{patterns}</defs></svg>"), name="redline_patterns")


def _info_lines(map_cfg: dict, basemap: str, display: list[DisplayLayer]) -> list[str]:
    """Producer, date, coordinate system, basemap, approval number (only when given), data sources."""
    lines = []
    if map_cfg.get("producer"):
        lines.append(f"编制单位：{map_cfg['producer']}")
    lines.append(f"编制日期：{date_text(map_cfg.get('date'))}")
    lines.append(CRS_NOTE)
    lines.append({"none": "网页显示投影：Web墨卡托（无底图）",
                  "tianditu": "底图：天地图（Web墨卡托，CGCS2000，无偏移）",
                  "amap": "底图：高德地图（GCJ-02）"}[basemap])
    if map_cfg.get("approval_number"):
        lines.append(f"审图号：{map_cfg['approval_number']}")
    sources = sources_text(display)
    if sources:
        lines.append("数据来源：" + sources)
    return lines


def _metric_bounds(layers: list[MapLayer], metric) -> tuple[float, float, float, float]:
    b = np.array([m.gdf.to_crs(metric).total_bounds for m in layers if len(m.gdf)], dtype=float)
    if not len(b):
        return (0.0, 0.0, 1.0, 1.0)
    return (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())


_EXTERNAL = re.compile(r"""(?:<script[^>]*\ssrc\s*=\s*["']?(?!data:)([^"'\s>]+)"""
                       r"""|<link[^>]*\shref\s*=\s*["']?(?!data:)([^"'\s>]+)"""
                       r"""|<img[^>]*\ssrc\s*=\s*["']?(?!data:)([^"'\s>]+)"""
                       r"""|@import\s+(?:url\()?["']?(https?:[^"')\s]+)"""
                       r"""|url\(\s*["']?(https?:[^"')\s]+))""", re.IGNORECASE)


def external_resources(html_text: str) -> list[str]:
    """URLs the page would load from elsewhere: ``<script src>``, ``<link href>``, ``<img src>``, CSS
    ``@import`` and ``url(http...)``. Links a reader may click (``<a href>``) are not loads."""
    return sorted({next(g for g in mt.groups() if g) for mt in _EXTERNAL.finditer(html_text)})


def web_map_bytes(m: folium.Map, provenance: dict | None = None) -> tuple[bytes, list[str]]:
    """The map as the bytes of one HTML file (with ``provenance`` as a JSON data block for ``redline verify``),
    and the external resources it loads.

    With basemap ``none`` a page that would load anything from elsewhere is refused (a bug, never the
    user's fault).
    """
    text = m.get_root().render()
    ext = external_resources(text)
    if ext and getattr(m, "redline_info", {}).get("basemap", "none") == "none":
        raise RuntimeError(f"the offline map would load external resources: {ext}")
    if provenance is not None:
        from redline.layers.provenance_formats import html_block

        text = text.replace("</head>", html_block(provenance) + "\n</head>", 1)
    return text.encode("utf-8"), ext


def save_web_map(m: folium.Map, path: str | os.PathLike, provenance: dict | None = None) -> dict:
    """Write the map as one HTML file, whole or not at all (see :func:`web_map_bytes`).

    Returns ``{"path", "bytes", "external_resources"}``.
    """
    data, ext = web_map_bytes(m, provenance)
    write_bytes(path, data)
    return {"path": str(path), "bytes": len(data), "external_resources": ext}
