"""Print maps for plan appendices (规划附图): A4 or A3, landscape or portrait, PNG at 300 dpi or PDF.

The sheet carries what 《市级国土空间总体规划制图规范（试行）》 asks of an appendix map: title (图名), legend
(图例), north arrow (指北针), scale bar and numeric scale (比例尺), neat line (图廓, a thick outer and a thin
inner frame), producer and date (编制单位、编制日期), the coordinate-system note, data sources, and the
approval number (审图号) only when the project file gives one. The map is drawn in the project's
Gauss-Krüger CRS at an exact round scale, the largest of the series 1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7,
8 × 10^k at which the extent fits the map frame with 2 mm to spare on every side (:func:`fit_scale`): the
extent is widened so that 1 mm on paper is exactly ``scale`` mm on the ground, and the numeric scale printed
is that number.

Chinese text is set in an installed CJK font (:mod:`redline.maps.fonts`); a sheet with a character that has no
glyph in its font is refused rather than printed with boxes.

Example
-------
>>> from redline.maps.print_sheet import nice_scale
>>> nice_scale(183_000), nice_scale(250_000), nice_scale(108_000)
(200000, 250000, 120000)
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import PathPatch, Polygon, Rectangle  # noqa: E402
from matplotlib.path import Path as MPath  # noqa: E402

from redline.layers.crs import DATUM_LABELS, describe_gk, epsg_of  # noqa: E402
from redline.layers.errors import UsageError  # noqa: E402
from redline.layers.outputs import write_bytes  # noqa: E402
from redline.maps.display import simplify_geometries  # noqa: E402
from redline.maps.fonts import (  # noqa: E402
    MissingFontError,
    clean_figure_texts,
    find_cjk_font,
    missing_glyphs_in_figure,
)
from redline.maps.layout import Layout, project_layout  # noqa: E402
from redline.maps.print_legend import (  # noqa: E402
    _blend,
    _dashes,
    _layer_handle,
    _legend,
    _mm,
    _structure_handle,
    plan_legend,
)
from redline.maps.print_sheet import MM, PX, Sheet, _nice_length, fit_scale, sheet_layout  # noqa: E402
from redline.maps.sources import (  # noqa: E402
    MapLayer,
    date_text,
    metric_crs,
    read_map_layers,
    reading_warnings,
    sources_text,
)
from redline.maps.structure import ResolvedElement, legend_entries, resolve_layout  # noqa: E402
from redline.maps.styles import Style, StyleBook, load_styles  # noqa: E402


# ------------------------------------------------------------------------------------------ geometry → paths
def polygon_path(geoms) -> MPath | None:
    """One compound path of all polygons (holes wound the other way, so they stay empty)."""
    arr = np.asarray(geoms, dtype=object)
    arr = arr[np.isin(shapely.get_type_id(arr), (3, 6))]
    if not arr.size:
        return None
    parts = shapely.get_parts(shapely.orient_polygons(arr))
    rings = shapely.get_rings(parts)
    xy, idx = shapely.get_coordinates(rings, return_index=True)
    if not len(xy):
        return None
    codes = np.full(len(xy), MPath.LINETO, dtype=np.uint8)
    starts = np.r_[0, np.flatnonzero(np.diff(idx)) + 1]
    ends = np.r_[starts[1:] - 1, len(xy) - 1]
    codes[starts] = MPath.MOVETO
    codes[ends] = MPath.CLOSEPOLY
    return MPath(xy, codes)


def line_path(geoms) -> MPath | None:
    """One compound path of all lines (and polygon outlines)."""
    arr = np.asarray(geoms, dtype=object)
    if not arr.size:
        return None
    poly = np.isin(shapely.get_type_id(arr), (3, 6))
    if poly.any():
        arr = arr.copy()
        arr[poly] = shapely.boundary(arr[poly])
    parts = shapely.get_parts(arr)
    parts = parts[np.isin(shapely.get_type_id(parts), (1, 2))]
    if not parts.size:
        return None
    xy, idx = shapely.get_coordinates(parts, return_index=True)
    codes = np.full(len(xy), MPath.LINETO, dtype=np.uint8)
    codes[np.r_[0, np.flatnonzero(np.diff(idx)) + 1]] = MPath.MOVETO
    return MPath(xy, codes)


def _draw_style(ax, geoms, style: Style, shape: str, zorder: float) -> None:
    lw = max(style.weight * PX, 0.2)
    if shape == "point":
        pts = shapely.get_parts(np.asarray(geoms, dtype=object))
        xy = shapely.get_coordinates(pts)
        if len(xy):
            ax.scatter(xy[:, 0], xy[:, 1], s=(2 * style.radius * PX * 1.4) ** 2, c=style.fill_color,
                       edgecolors=style.color, linewidths=lw, zorder=zorder)
        return
    if shape == "area":
        path = polygon_path(geoms)
        if path is not None:
            if style.fill and style.fill_opacity > 0:
                ax.add_patch(PathPatch(path, facecolor=style.fill_color, alpha=style.fill_opacity,
                                       edgecolor="none", zorder=zorder))
            if style.hatch:
                ax.add_patch(PathPatch(path, facecolor="none", edgecolor=style.color, hatch=style.hatch,
                                       linewidth=0, zorder=zorder + 0.01))
    path = line_path(geoms)
    if path is not None and style.weight > 0 and style.opacity > 0:
        ax.add_patch(PathPatch(path, facecolor="none", edgecolor=style.color, alpha=style.opacity,
                               linewidth=lw, linestyle=_dashes(style, lw), capstyle="round",
                               joinstyle="round", zorder=zorder + 0.02))


def _geom_shape(geoms) -> str:
    types = set(shapely.get_type_id(np.asarray(geoms, dtype=object)).tolist())
    if types and types <= {0, 4}:
        return "point"
    if types and types <= {1, 2, 5}:
        return "line"
    return "area"


# ---------------------------------------------------------------------------------------------- the sheet
def _draw_structure(ax, resolved: list[ResolvedElement], font, fs: float) -> None:
    z = 60.0
    for r in resolved:
        st = r.style
        z += 0.1
        if r.shape == "point":
            pts = shapely.get_coordinates(r.geometry)
            rad = st.radius * PX * 1.4
            if r.kind == "core":
                for k, a in ((2.3, 0.12), (1.6, 0.22)):
                    ax.scatter(pts[:, 0], pts[:, 1], s=(2 * rad * k) ** 2, c=st.fill_color, alpha=a,
                               edgecolors=st.color, linewidths=1.0, zorder=z)
                marker = "*" if r.element.symbol == "star" else "o"
                size = (2 * rad * (1.5 if marker == "*" else 1.0)) ** 2
                ax.scatter(pts[:, 0], pts[:, 1], s=size, c=st.fill_color, marker=marker, edgecolors=st.color,
                           linewidths=1.0, zorder=z + 0.05)
            else:
                ax.scatter(pts[:, 0], pts[:, 1], s=(2 * rad) ** 2, c=st.fill_color, edgecolors=st.color,
                           linewidths=st.weight * PX * 1.5, zorder=z)
        elif r.shape == "area":
            path = polygon_path([r.geometry])
            ax.add_patch(PathPatch(path, facecolor=st.fill_color, alpha=st.fill_opacity, edgecolor="none",
                                   zorder=z))
            if st.hatch:
                ax.add_patch(PathPatch(path, facecolor="none", edgecolor=_blend(st.color, 0.7), hatch=st.hatch,
                                       linewidth=0, zorder=z + 0.01))
            if r.kind in ("patch", "zone"):
                lw = max(st.weight * PX, 0.5)
                ax.add_patch(PathPatch(line_path([r.geometry]), facecolor="none", edgecolor=st.color,
                                       linewidth=lw, linestyle=_dashes(st, lw), zorder=z + 0.02))
        else:
            lw = st.weight * PX * (1.0 if r.kind == "axis" else 1.3)
            alpha = st.opacity
            ax.add_patch(PathPatch(line_path([r.geometry]), facecolor="none", edgecolor=st.color, alpha=alpha,
                                   linewidth=lw, linestyle=_dashes(st, lw) if r.kind == "axis" else "solid",
                                   capstyle="butt" if r.kind == "axis" else "round", joinstyle="round",
                                   zorder=z))
            for head in r.arrows:
                ax.add_patch(PathPatch(polygon_path([head]), facecolor=st.color, edgecolor="none",
                                       alpha=min(1.0, alpha + 0.1), zorder=z + 0.01))
    halo = [patheffects.withStroke(linewidth=2.6, foreground="white")]
    renderer = ax.figure.canvas.get_renderer() if hasattr(ax.figure.canvas, "get_renderer") else None
    placed = []  # window extents of the labels placed so far, and of the core and node symbols
    if renderer is not None:
        from matplotlib.transforms import Bbox

        for r in resolved:
            if r.shape == "point":
                rad = r.style.radius * PX * 1.4 * (2.3 if r.kind == "core" else 1.0) * ax.figure.dpi / 72
                for x, y in ax.transData.transform(shapely.get_coordinates(r.geometry)):
                    placed.append(Bbox([[x - rad, y - rad], [x + rad, y + rad]]))
    def annotate(r, cand):
        (x, y), (dx, dy), va, ha = cand
        step = r.style.radius * PX * 3.2
        return ax.annotate(r.element.label, (x, y), xytext=(dx * step, dy * step), textcoords="offset points",
                           ha=ha, va=va, zorder=80, fontproperties=font.props(fs * 1.15, bold=True),
                           color="#1a1a1a")

    def overlap(box) -> float:
        total = 0.0
        for b in placed:
            w = min(box.x1, b.x1) - max(box.x0, b.x0)
            h = min(box.y1, b.y1) - max(box.y0, b.y0)
            total += max(w, 0) * max(h, 0)
        return total

    for r in resolved:
        cands = _label_candidates(r)
        best, best_cost = cands[0], None
        if renderer is not None:
            for cand in cands:  # the first candidate that overlaps nothing, else the one that overlaps least
                t = annotate(r, cand)
                cost = overlap(t.get_window_extent(renderer).expanded(1.05, 1.15))
                t.remove()
                if best_cost is None or cost < best_cost:
                    best, best_cost = cand, cost
                if cost == 0:
                    break
        t = annotate(r, best)
        if renderer is not None:
            placed.append(t.get_window_extent(renderer))
        t.set_path_effects(halo)


def _label_candidates(r: ResolvedElement) -> list:
    """Where an element's label may go, best first: ``((x, y), (dx, dy) in symbol radii, va, ha)``.

    Points: above, below, right, left of the symbol. Lines: the middle of the longest part, then 35 %,
    65 %, 25 %, 75 % along it. Areas: the label point, then the middle of cuts across the area's long side
    at the same fractions, then below, right, left and above the label point.
    """
    g = r.geometry
    fracs = (0.35, 0.65, 0.25, 0.75, 0.15, 0.85)
    if r.shape == "point":
        p = r.label_point
        return [((p.x, p.y), (0, 1), "bottom", "center"), ((p.x, p.y), (0, -1), "top", "center"),
                ((p.x, p.y), (1, 0), "center", "left"), ((p.x, p.y), (-1, 0), "center", "right")]
    out = [((r.label_point.x, r.label_point.y), (0, 0), "center", "center")]
    if r.shape == "line":
        longest = max(getattr(g, "geoms", [g]), key=lambda part: part.length)
        for f in fracs:
            q = longest.interpolate(f, normalized=True)
            out.append(((q.x, q.y), (0, 0), "center", "center"))
        return out
    x0, y0, x1, y1 = g.bounds
    wide = (x1 - x0) >= (y1 - y0)
    for f in fracs:
        c = x0 + f * (x1 - x0) if wide else y0 + f * (y1 - y0)
        cut = shapely.LineString([(c, y0 - 1), (c, y1 + 1)] if wide else [(x0 - 1, c), (x1 + 1, c)])
        seg = g.intersection(cut)
        if seg.is_empty:
            continue
        longest = max(getattr(seg, "geoms", [seg]), key=lambda part: part.length)
        if longest.length > 0:
            q = longest.interpolate(0.5, normalized=True)
            out.append(((q.x, q.y), (0, 0), "center", "center"))
    p = r.label_point  # a small area under other symbols: beside it
    out += [((p.x, p.y), (0, -d), "top", "center") for d in (2, 4)]
    out += [((p.x, p.y), (d, 0), "center", "left") for d in (2, 4)]
    out += [((p.x, p.y), (-d, 0), "center", "right") for d in (2, 4)]
    return out


def _place_labels(ax, layer: MapLayer, metric, font, fs: float, skip: frozenset = frozenset()) -> None:
    """Names of towns (beside the point) and townships (inside, grey; not those a town label shows)."""
    if "name" not in layer.gdf.columns:
        return
    gdf = layer.gdf[layer.gdf["name"].notna() & ~layer.gdf["name"].isin(skip)].to_crs(metric)
    if not len(gdf):
        return
    pts = shapely.point_on_surface(gdf.geometry.values)
    halo = [patheffects.withStroke(linewidth=2.0, foreground="white")]
    town = layer.kind == "town"
    for p, name in zip(pts, gdf["name"], strict=True):
        t = ax.annotate(str(name), (p.x, p.y), xytext=(4 if town else 0, 0), textcoords="offset points",
                        ha="left" if town else "center", va="center", zorder=85 if town else 55,
                        fontproperties=font.props(fs * (0.95 if town else 0.85)),
                        color="#222222" if town else "#6a6a6a")
        t.set_path_effects(halo)


def _north_arrow(ax, font, fs: float) -> None:
    x, y, h = 0.955, 0.885, 0.075
    w = h * 0.32 * ax.bbox.height / ax.bbox.width
    tr = ax.transAxes
    ax.add_patch(Polygon([(x, y + h), (x + w, y), (x, y + h * 0.22)], closed=True, facecolor="white",
                         edgecolor="#111", linewidth=0.8, transform=tr, zorder=90))
    ax.add_patch(Polygon([(x, y + h), (x - w, y), (x, y + h * 0.22)], closed=True, facecolor="#111",
                         edgecolor="#111", linewidth=0.8, transform=tr, zorder=90))
    ax.text(x, y + h + 0.012, "北", transform=tr, ha="center", va="bottom", zorder=90,
            fontproperties=font.props(fs * 1.3, bold=True))


def _scale_bar(ax, scale: int, map_width_mm: float, font, fs: float) -> None:
    ground_w = map_width_mm / 1000 * scale           # metres across the map frame
    length = _nice_length(ground_w * 0.22)
    frac = length / ground_w
    x0, y0, hh = 0.035, 0.045, 0.011
    tr = ax.transAxes
    ax.add_patch(Rectangle((x0 - 0.012, y0 - 0.028), frac + 0.05, 0.085, transform=tr, facecolor="white",
                           alpha=0.85, edgecolor="none", zorder=89))
    n = 4
    for i in range(n):
        ax.add_patch(Rectangle((x0 + frac * i / n, y0), frac / n, hh, transform=tr, zorder=90, linewidth=0.6,
                               facecolor="#111" if i % 2 == 0 else "white", edgecolor="#111"))
    unit_km = length >= 1000
    for i in (0, n // 2, n):
        v = length * i / n
        text = f"{v / 1000:g}" if unit_km else f"{v:g}"
        ax.text(x0 + frac * i / n, y0 + hh + 0.006, text, transform=tr, ha="center", va="bottom",
                fontproperties=font.props(fs * 0.8), zorder=90)
    ax.text(x0 + frac + 0.008, y0 + hh / 2, "千米" if unit_km else "米", transform=tr, ha="left",
            va="center", fontproperties=font.props(fs * 0.8), zorder=90)
    ax.text(x0, y0 - 0.008, f"比例尺  1:{scale:,}".replace(",", " "), transform=tr, ha="left", va="top",
            fontproperties=font.props(fs * 0.9, bold=True), zorder=90)


def _dms(value: float, axis: str) -> str:
    deg = int(math.floor(value + 1e-9))
    minutes = int(round((value - deg) * 60))
    if minutes == 60:
        deg, minutes = deg + 1, 0
    return f"{deg}°{minutes:02d}′{'E' if axis == 'x' else 'N'}"


def _graticule_ticks(ax, metric, font, fs: float) -> None:
    """Longitude ticks on the bottom and top edges, latitude ticks on the left and right edges (labels
    outside the frame), at a round step of minutes."""
    import pyproj

    to_ll = pyproj.Transformer.from_crs(metric, 4490, always_xy=True)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    lon0, lat0 = to_ll.transform(x0, y0)
    lon1, lat1 = to_ll.transform(x1, y1)
    span = max(lon1 - lon0, lat1 - lat0) * 60  # minutes
    step = next((s for s in (1, 2, 5, 10, 15, 20, 30, 60, 120) if span / s <= 6), 300) / 60
    n = 400
    for axis, edge in (("x", y0), ("x", y1), ("y", x0), ("y", x1)):
        t = np.linspace(x0, x1, n) if axis == "x" else np.linspace(y0, y1, n)
        xs, ys = (t, np.full(n, edge)) if axis == "x" else (np.full(n, edge), t)
        lon, lat = to_ll.transform(xs, ys)
        v = lon if axis == "x" else lat
        for target in np.arange(math.ceil(v.min() / step) * step, v.max(), step):
            pos = float(np.interp(target, v, t))
            if axis == "x":
                frac = (pos - x0) / (x1 - x0)
                if not 0.03 < frac < 0.97:
                    continue
                top = edge == y1
                ax.plot([frac, frac], [1, 0.985] if top else [0, 0.015], transform=ax.transAxes, color="black",
                        linewidth=0.6, clip_on=False, zorder=95)
                ax.text(frac, 1.004 if top else -0.004, _dms(target, "x"), transform=ax.transAxes,
                        ha="center", va="bottom" if top else "top", fontproperties=font.props(fs * 0.7))
            else:
                frac = (pos - y0) / (y1 - y0)
                if not 0.03 < frac < 0.97:
                    continue
                right = edge == x1
                ax.plot([1, 0.99] if right else [0, 0.01], [frac, frac], transform=ax.transAxes,
                        color="black", linewidth=0.6, clip_on=False, zorder=95)
                ax.text(1.004 if right else -0.004, frac, _dms(target, "y"), transform=ax.transAxes,
                        ha="left" if right else "right", va="center", rotation=90,
                        fontproperties=font.props(fs * 0.7))


def _crs_note(metric) -> str:
    epsg = epsg_of(metric)
    gk = describe_gk(epsg) if epsg else None
    text = f"坐标系：{DATUM_LABELS['cgcs2000']}"
    if gk:
        text += f"　投影：高斯-克吕格投影（{gk['width']}°分带，第{gk['zone']}带，中央经线{gk['cm']}°E）"
    return text


def print_map(project, *, layout: Layout | str | os.PathLike | bool | None = None, paper: str = "A4",
              orientation: str = "landscape", title: str | None = None, layers: str | list[str] | None = None,
              styles: StyleBook | None = None) -> Figure:
    """A print-ready appendix map of a project's layers and, optionally, its structure diagram.

    Parameters
    ----------
    project : redline.layers.project.Project
    layout : Layout, path or False, optional
        Structure layout; default the project's ``[map] layout``; ``False``: no structure diagram.
    paper : {"A4", "A3"}
    orientation : {"landscape", "portrait"}
    title : str, optional
        Default: the layout's title, else ``[map] title``.
    layers : str or list, optional
        Layer ids or kinds (see :func:`redline.maps.sources.select_layer_ids`).
    styles : StyleBook, optional

    Returns
    -------
    matplotlib.figure.Figure
        With ``fig.redline_print = {"scale", "paper", "orientation", "map_mm", "extent", "crs"}``.

    Raises
    ------
    MissingFontError
        No CJK font installed, or a character without a glyph in it.
    """
    sheet_layout(paper, orientation)  # checks paper and orientation first
    font = find_cjk_font()
    styles = styles or load_styles(project)
    layout = project_layout(project, None if layout is False else layout, no_layout=layout is False)
    map_layers = read_map_layers(project, styles, layers)
    metric = metric_crs(project, map_layers)
    gdfs = [m.gdf.to_crs(metric) for m in map_layers]
    xmin, ymin, xmax, ymax = _extent(map_layers, gdfs, project.boundary_id())
    resolved = (resolve_layout(layout, project, metric, styles, extent=max(xmax - xmin, ymax - ymin))
                if layout is not None else [])
    if resolved and not any(len(g) for g in gdfs):
        xmin, ymin, xmax, ymax = shapely.total_bounds(np.asarray([r.geometry for r in resolved], dtype=object))

    # the legend decides the sheet (a portrait legend band takes the height it needs)
    items = _legend_items(map_layers, resolved)
    sources = sources_text(map_layers)
    notes = f"数据来源：{sources}" if sources else ""
    sheet = sheet_layout(paper, orientation)
    fs = 8.0 * sheet.scale_font
    if orientation == "portrait":
        plan = plan_legend(items, sheet.legend[2], None, fs, notes)
        sheet = sheet_layout(paper, orientation, legend_mm=plan.height_mm + 2.5 * sheet.scale_font)
        if sheet.legend[3] < plan.height_mm:
            plan = plan_legend(items, sheet.legend[2], sheet.legend[3], fs, notes)
    else:
        plan = plan_legend(items, sheet.legend[2], sheet.legend[3], fs, notes)

    # exact round scale: the largest at which the extent fits the frame, widened to the frame's proportions
    _, _, mw, mh = sheet.map
    scale = fit_scale(xmax - xmin, ymax - ymin, (mw, mh))
    gw, gh = mw / 1000 * scale, mh / 1000 * scale
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2

    fig = Figure(figsize=(sheet.width * MM, sheet.height * MM))
    FigureCanvasAgg(fig)  # a renderer for measuring labels
    fig.patch.set_facecolor("white")
    for rect, lw in ((sheet.outer, 1.8), (sheet.inner, 0.6)):
        fig.add_artist(Rectangle(rect[:2], rect[2], rect[3], transform=_mm(fig, sheet), fill=False,
                                 edgecolor="black", linewidth=lw * sheet.scale_font))
    map_cfg = project.map or {}
    if title is None:
        title = (layout.title if layout is not None and layout.title else None) or map_cfg.get("title") \
            or f"{project.name or ''}生态空间管控图"
    _title_block(fig, sheet, font, fs, title, layout.formula if layout is not None else None, project.fictional)

    ax = fig.add_axes(sheet.frac(sheet.map))
    ax.set_xlim(cx - gw / 2, cx + gw / 2)
    ax.set_ylim(cy - gh / 2, cy + gh / 2)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("white")
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
    tol = 0.1 * scale / 1000  # 0.1 mm on paper, in metres
    for i, (m, g) in enumerate(zip(map_layers, gdfs, strict=True)):
        if len(g):
            geoms, _ = simplify_geometries(g.geometry.values, tol)
            keys = m.style.classify(m.gdf)
            for key in sorted(set(keys.tolist()), key=lambda k: (k in m.style.values, k)):
                _draw_style(ax, geoms[keys == key], m.style.style_for(key), _geom_shape(geoms), zorder=10 + i)
    town_names = frozenset(n for m in map_layers if m.kind == "town" and "name" in m.gdf.columns
                           for n in m.gdf["name"].dropna())
    for m in map_layers:
        if m.kind == "town" or m.township:
            _place_labels(ax, m, metric, font, fs, skip=frozenset() if m.kind == "town" else town_names)
    if resolved:
        _draw_structure(ax, resolved, font, fs)
    _graticule_ticks(ax, metric, font, fs)
    _north_arrow(ax, font, fs)
    _scale_bar(ax, scale, mw, font, fs)
    _legend(fig, sheet, plan, font, fs)
    _footer(fig, sheet, font, fs, map_cfg, metric)

    clean_figure_texts(fig)
    missing = missing_glyphs_in_figure(fig)
    if missing:
        detail = "; ".join(f"{t!r}: {''.join(c)}" for t, _, c in missing[:5])
        raise MissingFontError(f"characters without a glyph in the installed CJK font {font.family}: {detail}")
    fig.redline_print = {"scale": scale, "paper": paper, "orientation": orientation, "map_mm": (mw, mh),
                         "extent": (cx - gw / 2, cy - gh / 2, cx + gw / 2, cy + gh / 2),
                         "crs": epsg_of(metric), "font": font.family, "title": title,
                         "warnings": reading_warnings(project, map_layers)}
    return fig


def _extent(map_layers: list[MapLayer], gdfs, boundary_id: str | None) -> tuple[float, float, float, float]:
    """Metric extent of the sheet: the boundary layer when there is one, else every layer."""
    src = [g for m, g in zip(map_layers, gdfs, strict=True) if m.id == boundary_id and len(g)] or \
        [g for g in gdfs if len(g)]
    if not src:
        return (0.0, 0.0, 1000.0, 1000.0)
    b = np.array([g.total_bounds for g in src])
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def _legend_items(map_layers: list[MapLayer], resolved: list[ResolvedElement]) -> list:
    """``(label, handle, is_heading)``: ungraded layers first (top layer first), then each graded layer
    under its heading, then the structure elements under "规划结构"."""
    singles: list = []
    groups: list = []
    for m in map_layers:
        if not len(m.gdf):
            continue
        shape = _geom_shape(m.gdf.geometry.values)
        graded = bool(m.style.by and m.style.values)
        block = [(label if graded else m.title, _layer_handle(st, shape), False)
                 for label, st in m.style.legend(m.style.classify(m.gdf))]
        if graded:
            groups.insert(0, [(m.title, None, True), *block])
        else:
            singles = block + singles
    items = singles + [item for g in groups for item in g]
    if resolved:
        items.append(("规划结构", None, True))
        items += [(label, _structure_handle(key, st, shape), False)
                  for key, label, st, shape in legend_entries(resolved)]
    return items


def _title_block(fig, sheet: Sheet, font, fs: float, title: str, formula: str | None, fictional: bool) -> None:
    tx, ty, tw, th = sheet.title
    fig.text((tx + tw / 2) / sheet.width, (ty + th * 0.58) / sheet.height, title, ha="center", va="center",
             fontproperties=font.props(fs * 2.5, bold=True))
    if formula:
        fig.text((tx + tw / 2) / sheet.width, (ty + th * 0.16) / sheet.height, formula, ha="center",
                 va="center", fontproperties=font.props(fs * 1.3, bold=True), color="#333333")
    if fictional:
        fig.text((tx + tw - 2) / sheet.width, (ty + th * 0.16) / sheet.height, "虚构示范数据，不代表任何真实地区",
                 ha="right", va="center", fontproperties=font.props(fs * 0.95), color="#b00020")


def _footer(fig, sheet: Sheet, font, fs: float, map_cfg: dict, metric) -> None:
    """Producer and date, the coordinate-system note, and the approval number only when given."""
    fx, fy, fw, fh = sheet.footer
    fig.add_artist(Line2D([fx / sheet.width, (fx + fw) / sheet.width], [(fy + fh) / sheet.height] * 2,
                          transform=fig.transFigure, color="black", linewidth=0.5))
    left = [f"编制单位：{map_cfg['producer']}"] if map_cfg.get("producer") else []
    left.append(f"编制日期：{date_text(map_cfg.get('date'))}")
    y1, y2 = (fy + fh * 0.68) / sheet.height, (fy + fh * 0.25) / sheet.height
    fig.text((fx + 2) / sheet.width, y1, "　　".join(left), ha="left", va="center",
             fontproperties=font.props(fs * 0.95))
    fig.text((fx + 2) / sheet.width, y2, _crs_note(metric), ha="left", va="center",
             fontproperties=font.props(fs * 0.95))
    if map_cfg.get("approval_number"):
        fig.text((fx + fw - 2) / sheet.width, y1, f"审图号：{map_cfg['approval_number']}", ha="right",
                 va="center", fontproperties=font.props(fs * 0.95, bold=True))


def print_map_bytes(fig: Figure, fmt: str, *, dpi: int = 300, provenance: dict | None = None) -> bytes:
    """A print map as the bytes of a PNG (``dpi``) or PDF (TrueType fonts embedded) file; ``provenance`` goes
    into the PNG's text chunks or the PDF's document information, for ``redline verify``.

    Raises
    ------
    MissingFontError
        matplotlib reported a glyph missing from the font while drawing.
    """
    import io

    from redline.layers.provenance_formats import pdf_metadata, png_metadata

    if fmt not in ("png", "pdf"):
        raise UsageError(f"a print map is written as .png or .pdf, not .{fmt}")
    meta = {"Creator": "redline"} if fmt == "pdf" else {}
    if provenance is not None:
        meta.update(pdf_metadata(provenance) if fmt == "pdf" else png_metadata(provenance))
    buf = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with matplotlib.rc_context({"pdf.fonttype": 42, "svg.fonttype": "none"}):
            fig.savefig(buf, format=fmt, dpi=dpi, facecolor="white", metadata=meta or None)
    glyphs = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if glyphs:
        raise MissingFontError("; ".join(glyphs[:3]))
    return buf.getvalue()


def print_map_info(fig: Figure, path: str | os.PathLike, data: bytes, *, dpi: int = 300) -> dict:
    """``{"path", "format", "dpi", "scale", "paper", "orientation", "bytes"}`` of a print map written as ``data``."""
    fmt = Path(path).suffix.lower().lstrip(".")
    info = getattr(fig, "redline_print", {})
    return {"path": str(path), "format": fmt, "dpi": dpi if fmt == "png" else None, "scale": info.get("scale"),
            "paper": info.get("paper"), "orientation": info.get("orientation"), "bytes": len(data)}


def save_print_map(fig: Figure, path: str | os.PathLike, *, dpi: int = 300, provenance: dict | None = None) -> dict:
    """Write a print map as PNG (``dpi``, default 300) or PDF (TrueType fonts embedded), whole or not at all
    (see :func:`print_map_bytes`).

    Returns ``{"path", "format", "dpi", "scale", "paper", "orientation", "bytes"}``.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf"):
        raise UsageError(f"{path}: a print map is written as .png or .pdf")
    data = print_map_bytes(fig, fmt, dpi=dpi, provenance=provenance)
    write_bytes(path, data)
    return print_map_info(fig, path, data, dpi=dpi)
