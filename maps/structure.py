"""Structure-diagram elements resolved to geometries, and the schematic shapes both maps draw.

:func:`resolve_layout` turns the elements of a layout file (:mod:`redline.maps.layout`) into geometries in a metric
CRS: project features selected by ``from.where`` (dissolved: polygons unioned, lines merged), plus
``coords``, buffered by ``buffer_m``. Elements are schematic: no area is computed from them.

Example
-------
>>> import shapely
>>> head = arrowhead(shapely.LineString([(0, 0), (100, 0)]), 10.0)
>>> [round(c, 3) for c in head.bounds]
[90.0, -3.0, 100.0, 3.0]
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely import ops

from redline.layers.errors import InputError
from redline.maps.layout import KIND_LABELS, Element, Layout
from redline.maps.styles import Style, StyleBook

AREA_KINDS = ("patch", "zone")
LINE_KINDS = ("belt", "corridor", "barrier", "axis")
POINT_KINDS = ("core", "node")


@dataclass
class ResolvedElement:
    """An element with its geometry (metric CRS), shape, style and where its label goes."""

    element: Element
    geometry: object          # shapely geometry
    shape: str                # "area", "line" or "point"
    style: Style
    label_point: object       # shapely Point
    arrows: list              # arrowhead polygons (axes)

    @property
    def kind(self) -> str:
        return self.element.kind

    @property
    def legend_key(self) -> str:
        """Legend entry key: the kind, axes by rank (main and secondary look different); an element with
        a colour of its own has an entry of its own."""
        key = f"axis.{self.element.rank}" if self.kind == "axis" else self.kind
        return f"{key}{self.element.color}" if self.element.color else key

    @property
    def legend_label(self) -> str:
        return self.element.label if self.element.color else self.style.label


def arrowhead(line, length: float, *, width_ratio: float = 0.6, at_start: bool = False):
    """A triangular arrowhead (polygon) whose tip is the end (or start) of ``line``.

    The direction is that of the last ``length`` of the line, so a curving axis points the way it goes.
    """
    line = shapely.LineString(line) if not isinstance(line, shapely.LineString) else line
    if at_start:
        line = shapely.reverse(line)
    total = line.length
    length = min(length, total * 0.45) if total > 0 else length
    tip = np.asarray(line.coords[-1])
    back = np.asarray(line.interpolate(max(total - length, 0.0)).coords[0])
    d = tip - back
    n = np.hypot(*d)
    if n == 0:
        return shapely.Polygon()
    d = d / n * length
    perp = np.array([-d[1], d[0]]) * width_ratio / 2
    base = tip - d
    return shapely.Polygon([tuple(tip), tuple(base + perp), tuple(base - perp)])


def axis_shapes(geom, extent: float, *, both_ends: bool = True) -> tuple[object, list]:
    """An axis line shortened under its arrowheads, and the arrowheads (size 2.5 % of the map extent)."""
    parts = list(getattr(geom, "geoms", [geom]))
    longest = max(parts, key=lambda g: g.length)
    length = min(0.025 * extent, 0.3 * longest.length)
    heads = [arrowhead(longest, length)]
    start = 0.0
    if both_ends:
        heads.append(arrowhead(longest, length, at_start=True))
        start = 0.6 * length
    trimmed = ops.substring(longest, start, longest.length - 0.6 * length)
    others = [p for p in parts if p is not longest]
    line = shapely.MultiLineString([trimmed, *others]) if others else trimmed
    return line, heads


def label_point(geom):
    """Where an element's label goes: inside an area, the middle of the longest line, or the point."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom.point_on_surface()
    if geom.geom_type in ("LineString", "MultiLineString"):
        parts = list(getattr(geom, "geoms", [geom]))
        return max(parts, key=lambda g: g.length).interpolate(0.5, normalized=True)
    if geom.geom_type == "MultiPoint":
        return geom.geoms[0]
    return geom.centroid


def _coords_geometry(el: Element, transformer: pyproj.Transformer, layout_path: str):
    c = el.coords
    if isinstance(c[0], (int, float)):
        parts = [[c]]
    elif isinstance(c[0][0], (int, float)):
        parts = [c]
    else:
        parts = c
    geoms = []
    for part in parts:
        xy = np.asarray(part, dtype=float)
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        pts = np.column_stack([x, y])
        if not np.isfinite(pts).all():
            raise InputError(f"{el.ref}: coords could not be transformed to the map CRS "
                             "(are they lon/lat in CGCS2000, or is the layout's crs right?)", path=layout_path)
        if el.kind in POINT_KINDS or len(pts) == 1:
            geoms += [shapely.Point(p) for p in pts]
        elif el.kind in AREA_KINDS:
            if len(pts) < 3:
                raise InputError(f"{el.ref}: a {el.kind} from coords needs at least 3 points", path=layout_path)
            geoms.append(shapely.make_valid(shapely.Polygon(pts)))
        else:
            geoms.append(shapely.LineString(pts))
    return shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]


def _match(gdf: gpd.GeoDataFrame, el: Element, layout_path: str) -> np.ndarray:
    mask = np.ones(len(gdf), dtype=bool)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    lower = {str(c).lower(): c for c in columns}
    for fld, values in el.where.items():
        col = fld if fld in gdf.columns else lower.get(fld.lower())
        if col is None:
            raise InputError(f"{el.ref}: layer {el.layer!r} has no field {fld!r} "
                             f"(fields: {', '.join(map(str, columns))})", path=layout_path)
        text = gdf[col].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                            else str(v).strip())
        missing = [v for v in values if not (text == v).any()]
        if missing:
            known = sorted({t for t in text if t})
            shown = ", ".join(known[:15]) + (" ..." if len(known) > 15 else "")
            raise InputError(f"{el.ref}: no feature of layer {el.layer!r} has {fld} = "
                             f"{', '.join(map(repr, missing))} (values: {shown or 'none'})", path=layout_path)
        mask &= text.isin(values).to_numpy()
    if not mask.any():
        raise InputError(f"{el.ref}: no feature of layer {el.layer!r} matches "
                         + " and ".join(f"{k} in {v}" for k, v in el.where.items()), path=layout_path)
    return mask


def _shape_of(kind: str, geom, el: Element, layout_path: str):
    gt = geom.geom_type
    polygonal = gt in ("Polygon", "MultiPolygon")
    linear = gt in ("LineString", "MultiLineString")
    if kind in POINT_KINDS:
        if gt in ("Point", "MultiPoint"):
            return geom, "point"
        return geom.point_on_surface() if polygonal else label_point(geom), "point"
    if kind == "axis":
        if not linear:
            raise InputError(f"{el.ref}: an axis needs line features (roads, rivers) or a line of coords, "
                             f"not {gt}", path=layout_path)
        return geom, "line"
    if kind in AREA_KINDS and not polygonal:
        raise InputError(f"{el.ref}: a {el.kind} ({KIND_LABELS[el.kind]}) needs polygon features, "
                         f"a ring of coords, or a buffer_m around lines or points (got {gt})", path=layout_path)
    if polygonal:
        return geom, "area"
    if linear:
        return geom, "line"
    raise InputError(f"{el.ref}: a {el.kind} needs lines or polygons, or a buffer_m around points",
                     path=layout_path)


def resolve_layout(layout: Layout, project, crs, styles: StyleBook, *, extent: float | None = None
                   ) -> list[ResolvedElement]:
    """Geometries of a layout's elements in the metric CRS ``crs``.

    Parameters
    ----------
    layout : Layout
    project : redline.layers.project.Project or None
        Needed when an element refers to project features (``from``).
    crs : pyproj.CRS
        Projected CRS (metres) of the map.
    styles : StyleBook
    extent : float, optional
        Size of the map extent in metres (sizes the arrowheads); default the elements' own extent.

    Raises
    ------
    InputError
        Unknown layer, a field the layer lacks, a value that matches no feature, or a geometry unfit for
        the kind; the message names the layout file, the element (index and label) and what is wrong.
    """
    from redline.layers.readers import read_project_layer

    crs = pyproj.CRS.from_user_input(crs)
    try:
        transformer = pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(layout.crs), crs, always_xy=True)
    except pyproj.exceptions.CRSError as exc:
        raise InputError(f"crs = {layout.crs!r} is not a CRS: {exc}", path=layout.path) from None
    cache: dict[str, gpd.GeoDataFrame] = {}
    geoms = []
    for el in layout.elements:
        parts = []
        if el.layer is not None:
            if project is None or el.layer not in project.layers:
                known = ", ".join(project.layers) if project is not None else "no project given"
                raise InputError(f"{el.ref}: from.layer {el.layer!r} is not a layer of the project "
                                 f"(layers: {known})", path=layout.path)
            if el.layer not in cache:
                cache[el.layer] = read_project_layer(project, el.layer).to_crs(crs)
            gdf = cache[el.layer]
            chosen = gdf.geometry.values[_match(gdf, el, layout.path)]
            chosen = chosen[~shapely.is_empty(chosen)]
            types = set(shapely.get_type_id(chosen).tolist())
            if types <= {1, 5}:
                parts.append(ops.linemerge(shapely.union_all(chosen)) if len(chosen) > 1
                             else chosen[0])
            else:
                parts.append(shapely.union_all(shapely.make_valid(chosen)))
        if el.coords is not None:
            parts.append(_coords_geometry(el, transformer, layout.path))
        geom = parts[0] if len(parts) == 1 else shapely.union_all(parts)
        if el.kind == "axis" and geom.geom_type == "MultiLineString":
            geom = ops.linemerge(geom)
        if el.buffer_m:
            geom = geom.buffer(el.buffer_m)
        if geom.is_empty:
            raise InputError(f"{el.ref}: the geometry is empty", path=layout.path)
        geoms.append(geom)
    if extent is None:
        b = shapely.total_bounds(np.asarray(geoms, dtype=object))
        extent = float(max(b[2] - b[0], b[3] - b[1], 1.0))
    out = []
    for el, geom in zip(layout.elements, geoms, strict=True):
        geom, shape = _shape_of(el.kind, geom, el, layout.path)
        style = styles.for_element(el.kind, el.rank)
        if el.color:
            style = replace(style, color=el.color, fill_color=el.color)
        arrows = []
        if el.kind == "axis":
            geom, arrows = axis_shapes(geom, extent)
        out.append(ResolvedElement(element=el, geometry=geom, shape=shape, style=style,
                                   label_point=label_point(geom), arrows=arrows))
    out.sort(key=lambda r: r.style.order)
    return out


def legend_entries(resolved: list[ResolvedElement]) -> list[tuple[str, str, Style, str]]:
    """``(key, label, style, shape)`` per element kind drawn (axes by rank), in drawing order."""
    seen: dict[str, tuple[str, str, Style, str]] = {}
    for r in resolved:
        if r.legend_key not in seen:
            seen[r.legend_key] = (r.legend_key, r.legend_label, r.style, r.shape)
    return list(seen.values())
