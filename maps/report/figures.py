"""The figures of a site-check report (压覆分析报告): an overview per site and one map per occupied layer.

Each map is a small matplotlib figure (no pyplot state) drawn in the analysis CRS with the project's map
styles (:mod:`redline.maps.styles`) and a CJK font (:func:`redline.maps.fonts.find_cjk_font`), returned as PNG bytes for
:mod:`redline.maps.report.check` to embed.

Example
-------
>>> import geopandas as gpd, shapely
>>> rl = gpd.GeoDataFrame({"name": ["红线"]}, geometry=[shapely.box(0, 0, 1000, 1000)], crs=4547)
>>> png = overview_png(shapely.box(500, 500, 1500, 1500), [("red_line", "red_line", "生态保护红线", rl)],
...                    title="示例项目")                                     # doctest: +SKIP
>>> png[:4]                                                                  # doctest: +SKIP
b'\\x89PNG'
"""

from __future__ import annotations

import io
import math

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import colors as mcolors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, PathPatch
from PIL import Image

from redline.maps.fonts import clean_figure_texts, find_cjk_font
from redline.maps.printmap import line_path, polygon_path
from redline.maps.report.notes import crs_zh
from redline.maps.styles import Style, load_styles

SITE_COLOR = "#e0001b"
HIT_COLOR = "#ff7f00"
SIZE_IN = (7.0, 5.4)
DPI = 110
PT = 0.75  # CSS pixel → point


def _window(geom, pad_fraction: float, min_pad: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = geom.bounds
    size = max(x1 - x0, y1 - y0)
    pad = max(min_pad, pad_fraction * size)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w = (x1 - x0) / 2 + pad
    half_h = (y1 - y0) / 2 + pad
    aspect = SIZE_IN[0] / (SIZE_IN[1] - 0.6)
    if half_w / half_h < aspect:
        half_w = half_h * aspect
    else:
        half_h = half_w / aspect
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def _clip(gdf: gpd.GeoDataFrame, win) -> tuple[np.ndarray, np.ndarray]:
    """Features of ``gdf`` in the window, clipped to it: (row positions, geometries).

    The layer's spatial index (``gdf.sindex``) is built on the first map and kept with the layer for the
    next ones (20 sites' maps over a layer of 30,000 zones: one index, not 40).
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if not len(geoms):
        return np.zeros(0, int), geoms
    idx = np.sort(gdf.sindex.query(shapely.box(*win), predicate="intersects"))
    clipped = shapely.clip_by_rect(geoms[idx], *win)
    keep = ~shapely.is_empty(clipped)
    return idx[keep], clipped[keep]


def _draw(ax, geoms: np.ndarray, st: Style, zorder: float, *, edge: str | None = None, lw: float | None = None,
          fill: bool | None = None) -> None:
    if not len(geoms):
        return
    types = shapely.get_type_id(geoms)
    pts = geoms[np.isin(types, (0, 4))]
    if len(pts):
        xy = shapely.get_coordinates(pts)
        ax.scatter(xy[:, 0], xy[:, 1], s=30, c=st.fill_color, edgecolors=edge or st.color, zorder=zorder + 0.5)
    width = (lw if lw is not None else max(st.weight * PT, 0.4))
    path = polygon_path(geoms)
    if path is not None and (st.fill if fill is None else fill) and st.fill_opacity > 0:
        ax.add_artist(PathPatch(path, facecolor=st.fill_color, alpha=st.fill_opacity, edgecolor="none",
                                zorder=zorder))     # the limits are set once, in _finish: no autoscaling
    path = line_path(geoms)
    if path is not None:
        ax.add_artist(PathPatch(path, facecolor="none", edgecolor=edge or st.color, linewidth=width,
                                alpha=st.opacity, zorder=zorder + 0.1, capstyle="round", joinstyle="round"))


def _site(ax, geom, zorder: float = 80) -> None:
    st = Style(color=SITE_COLOR, fill_color=SITE_COLOR, fill_opacity=0.15, weight=3.0)
    arr = np.array([geom], dtype=object)
    _draw(ax, arr, st, zorder, lw=2.2)
    if geom.geom_type in ("Point", "MultiPoint"):
        xy = shapely.get_coordinates(geom)
        ax.scatter(xy[:, 0], xy[:, 1], s=110, marker="*", c=SITE_COLOR, edgecolors="white", linewidths=0.8,
                   zorder=zorder + 1)


def _nice(length: float) -> float:
    if length <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(length))
    for m in (5, 2, 1):
        if m * e <= length:
            return m * e
    return e


def _furniture(ax, win, font) -> None:
    """Scale bar (lower left) and north arrow (upper right)."""
    x0, y0, x1, y1 = win
    w, h = x1 - x0, y1 - y0
    bar = _nice(w / 4)
    bx, by = x0 + 0.04 * w, y0 + 0.05 * h
    ax.plot([bx, bx + bar], [by, by], color="black", linewidth=2.5, zorder=100, solid_capstyle="butt")
    for x in (bx, bx + bar):
        ax.plot([x, x], [by, by + 0.012 * h], color="black", linewidth=1.2, zorder=100)
    text = f"{bar / 1000:g} 千米" if bar >= 1000 else f"{bar:g} 米"
    ax.text(bx + bar / 2, by + 0.02 * h, text, ha="center", va="bottom", fontproperties=font.props(8), zorder=100)
    nx, ny = x1 - 0.06 * w, y1 - 0.16 * h
    ax.add_patch(FancyArrow(nx, ny, 0, 0.08 * h, width=0.008 * w, head_width=0.03 * w, head_length=0.035 * h,
                            length_includes_head=True, color="black", zorder=100))
    ax.text(nx, ny + 0.09 * h, "北", ha="center", va="bottom", fontproperties=font.props(9, bold=True), zorder=100)


LEGEND_Z = 200       # above every map layer: swatches and text are never washed over by the map's fills


def _compose(fig, ax, win, font, title: str, handles: list, note: str) -> None:
    ax.set_xlim(win[0], win[2])
    ax.set_ylim(win[1], win[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    _furniture(ax, win, font)
    ax.set_title(title, fontproperties=font.props(11, bold=True))
    if handles:
        leg = ax.legend(handles=handles, loc="lower right", prop=font.props(7.5), framealpha=1.0, facecolor="white")
        leg.set_zorder(LEGEND_Z)
    fig.text(0.01, 0.01, note, fontproperties=font.props(6.5), color="#444444", ha="left", va="bottom")


def _png(fig) -> bytes:
    """The figure as an RGB PNG: its background is opaque white, so an alpha channel would only add a quarter
    to the pixels to compress (9 % larger files, 25 % more time, measured on 40 report maps)."""
    canvas = FigureCanvasAgg(fig)
    clean_figure_texts(fig)
    fig.set_dpi(DPI)
    canvas.draw()
    rgb = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    buf = io.BytesIO()
    rgb.save(buf, format="png", dpi=(DPI, DPI))
    return buf.getvalue()


def _finish(fig, ax, win, font, title: str, handles: list, note: str) -> bytes:
    _compose(fig, ax, win, font, title, handles, note)
    return _png(fig)


LOCATOR_BOX = (0.01, 0.60, 0.30, 0.39)   # the locator inset, in axes fractions (upper left)
MAX_LOCATOR_NAMES = 40


def _locator(ax, site_geom, win, region: list[gpd.GeoDataFrame], font):
    """An inset showing where the close-up lies in the region: the region's boundary (the layer with the fewest
    features drawn thick), its subdivisions with their names, the site and the close-up's frame in red."""
    layers = sorted([g for g in region if len(g)], key=len)
    if not layers:
        return None
    geoms = [np.asarray(g.geometry.values, dtype=object) for g in layers]
    x0, y0, x1, y1 = shapely.total_bounds(np.concatenate([*geoms, np.array([site_geom], dtype=object)]))
    pad = 0.04 * max(x1 - x0, y1 - y0)
    lax = ax.inset_axes(LOCATOR_BOX)
    lax.set_zorder(LEGEND_Z - 10)
    lax.set_facecolor("white")
    for k, arr in reversed(list(enumerate(geoms))):   # subdivisions first, the region's boundary on top
        main = k == 0
        path = line_path(shapely.boundary(arr))
        if path is not None:
            lax.add_patch(PathPatch(path, facecolor="none", edgecolor="#3d3d3d" if main else "#8a8a8a",
                                    linewidth=1.0 if main else 0.5, zorder=5 if main else 4))
    named = layers[-1] if len(layers[-1]) <= MAX_LOCATOR_NAMES else None
    names = []
    if named is not None and "name" in named.columns:
        for name, g in zip(named["name"].tolist(), named.geometry.values, strict=True):
            if not name or g is None or g.is_empty:
                continue
            p = shapely.point_on_surface(g)
            lax.text(p.x, p.y, str(name), fontproperties=font.props(5), ha="center", va="center", color="#333333",
                     zorder=6)
            names.append(str(name))
    wx0, wy0, wx1, wy1 = win
    lax.add_patch(PathPatch(polygon_path(np.array([shapely.box(wx0, wy0, wx1, wy1)], dtype=object)),
                            facecolor="none", edgecolor=SITE_COLOR, linewidth=1.0, zorder=8))
    c = shapely.point_on_surface(site_geom) if site_geom.geom_type in ("Polygon", "MultiPolygon") else \
        shapely.centroid(site_geom)
    lax.scatter([c.x], [c.y], s=28, marker="*", c=SITE_COLOR, edgecolors="white", linewidths=0.5, zorder=9)
    lax.set_xlim(x0 - pad, x1 + pad)
    lax.set_ylim(y0 - pad, y1 + pad)
    lax.set_aspect("equal")
    lax.set_xticks([])
    lax.set_yticks([])
    for sp in lax.spines.values():
        sp.set_edgecolor("#555555")
        sp.set_linewidth(0.8)
    lax.text(0.03, 0.97, "区位示意", transform=lax.transAxes, fontproperties=font.props(6.5, bold=True), ha="left",
             va="top", zorder=10)
    return lax, names


def _on_white(color: str, alpha: float) -> tuple:
    """The opaque colour a translucent fill shows over white (legend swatches must not blend with the map)."""
    r, g, b = mcolors.to_rgb(color)
    return tuple(1 - alpha * (1 - c) for c in (r, g, b))


def _handle(label: str, st: Style, shape: str):
    if shape == "line":
        return Line2D([0], [0], color=st.color, linewidth=max(st.weight * PT, 0.8), label=label)
    return Patch(facecolor=_on_white(st.fill_color, st.fill_opacity) if st.fill else "none", edgecolor=st.color,
                 label=label)


def _shape(geoms: np.ndarray) -> str:
    dims = shapely.get_dimensions(geoms)
    return "line" if len(dims) and dims.max() == 1 else "area"


def overview_png(site_geom, layers: list[tuple[str, str, str, gpd.GeoDataFrame]], *, title: str,
                 project=None, crs_note: str = "", region: list[gpd.GeoDataFrame] | None = None) -> bytes:
    """The site over every control layer around it, with a locator of the region (PNG bytes of
    :func:`overview_figure`)."""
    return _png(overview_figure(site_geom, layers, title=title, project=project, crs_note=crs_note, region=region))


def overview_figure(site_geom, layers: list[tuple[str, str, str, gpd.GeoDataFrame]], *, title: str,
                    project=None, crs_note: str = "", region: list[gpd.GeoDataFrame] | None = None) -> Figure:
    """The site over every control layer around it.

    Parameters
    ----------
    site_geom : shapely geometry
        The site, in the layers' CRS.
    layers : list of (layer id, kind, label, GeoDataFrame)
        Drawn in order (later on top), each in its project style.
    title : str
        Figure title (Chinese).
    project : redline.layers.project.Project, optional
        For its ``[map.styles]`` overrides.
    region : list of GeoDataFrame, optional
        The region's boundary layers (the county and its townships, a city and its counties): drawn in a
        locator inset (upper left) with the subdivisions' names, the site and the close-up's frame.
    """
    font = find_cjk_font()
    book = load_styles(project)
    win = _window(site_geom, 0.8, 600.0)
    fig = Figure(figsize=SIZE_IN)
    ax = fig.add_axes((0.02, 0.05, 0.96, 0.87))
    handles = []
    ordered = sorted(enumerate(layers), key=lambda t: (book.for_layer(t[1][0], t[1][1]).base.order, t[0]))
    for z, (_, (lid, kind, label, gdf)) in enumerate(ordered):
        rows, geoms = _clip(gdf, win)
        if not len(rows):
            continue
        ls = book.for_layer(lid, kind)
        keys = ls.classify(gdf.iloc[rows])
        shape = _shape(geoms)
        for key in dict.fromkeys(keys):
            st = ls.style_for(key)
            _draw(ax, geoms[keys == key], st, 10 + z)
            handles.append(_handle(f"{label}·{key}" if key else label, st, shape))
    _site(ax, site_geom)
    handles.append(Patch(facecolor=_on_white(SITE_COLOR, 0.15), edgecolor=SITE_COLOR, linewidth=1.5, label="项目用地"))
    _compose(fig, ax, win, font, title, handles[-12:], crs_note)
    if region:
        _locator(ax, site_geom, win, region, font)
    return fig


def layer_png(site_geom, gdf: gpd.GeoDataFrame, hit_rows: list[int], *, layer_id: str, kind: str, label: str,
              title: str, project=None, crs_note: str = "") -> bytes:
    """The site over one layer, with the features it occupies outlined and labelled."""
    font = find_cjk_font()
    book = load_styles(project)
    hits = gdf.iloc[sorted(set(hit_rows))] if hit_rows else gdf.iloc[[]]
    focus = site_geom if not len(hits) else shapely.union_all([site_geom, shapely.envelope(
        shapely.union_all(np.asarray(hits.geometry.values, dtype=object)))])
    # keep the site readable: at most 6 times its size around it
    sx0, sy0, sx1, sy1 = site_geom.bounds
    ssize = max(sx1 - sx0, sy1 - sy0, 200.0)
    fx0, fy0, fx1, fy1 = focus.bounds
    cx, cy = (sx0 + sx1) / 2, (sy0 + sy1) / 2
    lim = 3 * ssize + 500
    focus = shapely.box(max(fx0, cx - lim), max(fy0, cy - lim), min(fx1, cx + lim), min(fy1, cy + lim))
    win = _window(focus, 0.25, 300.0)
    fig = Figure(figsize=SIZE_IN)
    ax = fig.add_axes((0.02, 0.05, 0.96, 0.87))
    ls = book.for_layer(layer_id, kind)
    rows, geoms = _clip(gdf, win)
    handles = []
    if len(rows):
        keys = ls.classify(gdf.iloc[rows])
        shape = _shape(geoms)
        for key in dict.fromkeys(keys):
            st = ls.style_for(key)
            _draw(ax, geoms[keys == key], st, 10)
            handles.append(_handle(f"{label}·{key}" if key else label, st, shape))
        hit_set = set(hit_rows)
        sel = np.array([r in hit_set for r in rows])
        if sel.any():
            hl = Style(color=HIT_COLOR, fill=False, weight=2.5, fill_opacity=0.0)
            _draw(ax, geoms[sel], hl, 30, fill=False, lw=1.8)
            handles.append(Line2D([0], [0], color=HIT_COLOR, linewidth=1.8, label="被压覆要素"))
            names = gdf["name"].to_numpy(dtype=object) if "name" in gdf.columns else None
            done = set()
            away = shapely.buffer(site_geom, 0.15 * max(win[2] - win[0], win[3] - win[1]))
            for r, g in zip(rows[sel], geoms[sel], strict=True):
                name = names[r] if names is not None else None
                if not name or name in done or g.is_empty:
                    continue
                done.add(name)
                rest = shapely.difference(g, away)
                g = rest if not rest.is_empty else g
                p = shapely.point_on_surface(g) if g.geom_type in ("Polygon", "MultiPolygon") else \
                    shapely.line_interpolate_point(g, 0.5, normalized=True) if g.geom_type in (
                        "LineString", "MultiLineString") else shapely.centroid(g)
                if p.is_empty:
                    continue
                ax.text(p.x, p.y, str(name), fontproperties=font.props(7.5), ha="center", va="center",
                        zorder=90, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.75})
    _site(ax, site_geom)
    handles.append(Patch(facecolor=_on_white(SITE_COLOR, 0.15), edgecolor=SITE_COLOR, linewidth=1.5, label="项目用地"))
    return _finish(fig, ax, win, font, title, handles[-12:], crs_note)


def site_images(result: dict, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
                kinds: dict[str, str], labels: dict[str, str], *, project=None, max_sites: int = 20,
                site_ids: list[str] | None = None, region: list[gpd.GeoDataFrame] | None = None) -> dict:
    """The report's maps for the first ``max_sites`` sites of a check result (or of ``site_ids``).

    Parameters
    ----------
    result : dict
        The check result (its ``sites`` list).
    sites : GeoDataFrame
        The sites in the layers' CRS, with a ``site_id`` column (else matched to the result by position).
    layers, kinds, labels : dict
        The control and boundary layers by layer id, their kinds and Chinese labels.
    site_ids : list of str, optional
        The sites to draw (those with a section in the report), in the result's order; default: all.
    region : list of GeoDataFrame, optional
        The region's boundary layers for the locator of each overview (the county and its townships);
        default the boundary layers among ``layers``.

    Returns
    -------
    dict
        ``{site_id: {"overview": png, "layers": {layer id: png}}}`` as
        :func:`redline.maps.report.check.check_report` takes it.
    """
    from redline.layers.kinds import is_control_kind

    crs = sites.crs
    note = f"坐标系：{crs_zh(crs.name)}" if crs is not None else ""
    control = [(lid, kinds[lid], labels.get(lid, lid), layers[lid]) for lid in layers if is_control_kind(kinds[lid])]
    bounds = [(lid, kinds[lid], labels.get(lid, lid), layers[lid]) for lid in layers if kinds[lid] == "boundary"]
    by_id = dict(zip(sites["site_id"].astype(str), sites.geometry.values, strict=True)) \
        if "site_id" in sites.columns else {}
    wanted = None if site_ids is None else {str(i) for i in site_ids}
    out: dict = {}
    for i, s in enumerate(result.get("sites", [])):
        if len(out) >= max_sites:
            break
        if wanted is not None and str(s["site_id"]) not in wanted:
            continue
        geom = by_id.get(str(s["site_id"]), sites.geometry.values[i] if i < len(sites) else None)
        if geom is None or geom.is_empty:
            continue
        name = s.get("name") or s["site_id"]
        imgs = {"overview": overview_png(geom, bounds + control, title=f"{name}位置与管控图层总览",
                                         project=project, crs_note=note,
                                         region=region if region is not None else [b[3] for b in bounds]),
                "layers": {}}
        for L in s["layers"]:
            if not L.get("touched"):
                continue
            lid = L["layer"]
            rows = [h["feature_index"] for h in s["hits"] if h["layer"] == lid]
            imgs["layers"][lid] = layer_png(geom, layers[lid], rows, layer_id=lid, kind=kinds[lid],
                                            label=labels.get(lid, lid), title=f"{name}压覆{labels.get(lid, lid)}示意图",
                                            project=project, crs_note=note)
        out[str(s["site_id"])] = imgs
    return out
