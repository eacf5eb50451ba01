"""Preparing layers for display: simplification fit for the zoom range, rounding, a size budget, GCJ-02.

Display copies only: analysis data is never simplified, rounded or shifted.

* Polygon layers that form a coverage (townships, control units, zones) are simplified with
  ``shapely.coverage_simplify``, so neighbours keep sharing their edges (no slivers or gaps appear
  between them); near-coverages (neighbours whose shared edges do not share every vertex, as in data
  traced from rasters) are cleaned with ``shapely.coverage_clean`` first; other layers are simplified
  with topology-preserving Douglas-Peucker (``shapely.simplify``).
* The tolerance follows the map's zoom range: half a screen pixel at the zoom three levels below the one
  that fits the whole extent in about 1,000 pixels (a county of 60 km: about 4 m).
* Coordinates are rounded to the decimals that resolution needs (5 decimals of a degree, about 1 m, for
  a county).
* Polygons that share no edge at all (separate parcels) are simplified one by one: there is no shared
  edge to keep, and ``coverage_simplify`` would take seconds per 100,000 vertices for nothing.
* Beyond the budget (bytes of GeoJSON, vertices), the tolerance of the layers simplification can still
  reduce is raised once, estimated from their vertex counts; a layer that cannot fit even so is drawn as
  an image in its style colours (:mod:`redline.maps.imagelayer`), with a note the map shows. No layer is
  ever left out.

Example
-------
>>> import shapely
>>> a, b = shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)
>>> out, method = simplify_geometries(np.array([a, b], dtype=object), 1.0)
>>> method
'coverage'
>>> display_tolerance((0, 0, 60_000, 50_000))
3.75
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from redline.layers.info import layer_info
from redline.layers.kinds import kind_info
from redline.maps.gcj02 import shift_geometries
from redline.maps.imagelayer import LayerImage, rasterize_layer
from redline.maps.sources import MapLayer
from redline.maps.styles import LayerStyle
from redline.spatial.check_tables import printable

MAX_TEXT = 400      # characters of an attribute value shown in a popup
MAX_RAW_FIELDS = 8  # raw (unmapped) fields shown in a popup


@dataclass(frozen=True)
class Budget:
    """Display budget of a web map: GeoJSON bytes and vertices over all layers.

    The defaults keep a county's map under 10 MB of HTML (Leaflet itself is about 0.2 MB) and its first
    draw in headless Chromium under 1.5 s on a 2-core machine: 150,000 display vertices draw in about
    0.8 s there when it is idle, and under 1.5 s when it is busy (see ``bench/bench_map.py``).
    """

    max_bytes: int = 8_000_000
    max_vertices: int = 150_000
    max_doublings: int = 4


@dataclass
class DisplayLayer:
    """A layer ready for the web map: lon/lat display geometries and popup properties as GeoJSON."""

    id: str
    kind: str
    title: str
    style: LayerStyle
    fields: list[tuple[str, str]]       # (property key, Chinese label) shown in popups
    style_keys: list[str]               # style keys present (legend)
    geojson: str | None                 # None when drawn as an image
    vertices_in: int
    vertices_out: int
    tolerance_m: float
    method: str
    note: str | None = None
    source: str | None = None
    date: str | None = None
    bounds: tuple[float, float, float, float] | None = None  # lon/lat of the display geometries
    extra: dict = field(default_factory=dict)
    image: LayerImage | None = None     # the layer as an image, when it could not fit as vectors

    @property
    def dropped(self) -> bool:
        """Drawn neither as vectors nor as an image (never, since no layer is left out)."""
        return self.geojson is None and self.image is None

    @property
    def shown_as(self) -> str:
        """``"vector"`` or ``"image"``."""
        return "image" if self.image is not None else "vector"


def count_vertices(geoms) -> int:
    """Number of coordinates of the geometries (vectorised)."""
    arr = np.asarray(geoms, dtype=object)
    return int(shapely.get_num_coordinates(arr).sum()) if arr.size else 0


def display_tolerance(bounds, *, width_px: int = 1000, detail_zooms: int = 3, pixel_fraction: float = 0.5
                      ) -> float:
    """Simplification tolerance in metres for a map of ``bounds`` (metric ``xmin, ymin, xmax, ymax``).

    The whole extent fits ``width_px`` pixels at the opening zoom; ``detail_zooms`` levels deeper a pixel is
    ``2**detail_zooms`` times smaller; the tolerance is ``pixel_fraction`` of that pixel.
    """
    xmin, ymin, xmax, ymax = bounds
    extent = max(xmax - xmin, ymax - ymin, 1.0)
    return extent / width_px / 2**detail_zooms * pixel_fraction


def decimals_for(tolerance_m: float) -> int:
    """Decimals of a degree that keep rounding below half the tolerance (between 5 and 7)."""
    deg = max(tolerance_m, 1e-6) / 111_320.0 / 2
    return int(min(7, max(5, math.ceil(-math.log10(deg)))))


def _is_coverage(polys: np.ndarray) -> bool:
    if len(polys) < 2:
        return True
    try:
        return bool(shapely.coverage_is_valid(polys))
    except shapely.errors.GEOSException:
        return False


def _disjoint(polys: np.ndarray) -> bool:
    """No two of ``polys`` intersect (separate parcels: nothing shared to keep)."""
    if len(polys) < 2:
        return False
    left, right = shapely.STRtree(polys).query(polys, predicate="intersects")
    return bool((left == right).all())


def _near_coverage(polys: np.ndarray, tolerance: float) -> np.ndarray | None:
    """``polys`` made an exact coverage with ``shapely.coverage_clean`` when they nearly are one (edges
    that do not share vertices, slivers of overlap): accepted only if no polygon's area moves by more than
    its perimeter times the display tolerance (its edges move less than the tolerance on average). Layers
    whose polygons really overlap (nested protected areas) return None."""
    if len(polys) < 2 or not hasattr(shapely, "coverage_clean"):
        return None
    try:
        cleaned = shapely.coverage_clean(polys)
    except (shapely.errors.GEOSException, ValueError):
        return None
    if len(cleaned) != len(polys) or shapely.is_empty(cleaned).any() or not _is_coverage(cleaned):
        return None
    moved = np.abs(shapely.area(cleaned) - shapely.area(polys))
    if (moved > shapely.length(polys) * tolerance).any():
        return None
    return cleaned


def simplify_geometries(geoms, tolerance: float) -> tuple[np.ndarray, str]:
    """Simplified copies of ``geoms`` (metric coordinates); returns ``(geometries, method)``.

    Polygons forming a valid coverage: ``coverage_simplify`` (edges stay shared); polygons that nearly
    form one: cleaned first (:func:`_near_coverage`, ``"coverage-cleaned"``); other polygons and lines:
    topology-preserving ``simplify``; points unchanged. ``method`` is ``"coverage"``,
    ``"coverage-cleaned"``, ``"topology"``, ``"mixed"`` or ``"none"``.
    """
    arr = np.asarray(geoms, dtype=object).copy()
    if tolerance <= 0 or not arr.size:
        return arr, "none"
    types = shapely.get_type_id(arr)
    poly = (types == 3) | (types == 6)
    line = (types == 1) | (types == 2) | (types == 5)
    methods = set()
    if poly.any():
        polys = arr[poly]
        if _disjoint(polys):
            arr[poly] = shapely.simplify(polys, tolerance, preserve_topology=True)
            methods.add("topology")
        elif _is_coverage(polys):
            arr[poly] = shapely.coverage_simplify(polys, tolerance)
            methods.add("coverage")
        else:
            cleaned = _near_coverage(polys, tolerance)
            if cleaned is not None:
                arr[poly] = shapely.coverage_simplify(cleaned, tolerance)
                methods.add("coverage-cleaned")
            else:
                arr[poly] = shapely.simplify(polys, tolerance, preserve_topology=True)
                methods.add("topology")
    if line.any():
        arr[line] = shapely.simplify(arr[line], tolerance, preserve_topology=True)
        methods.add("topology")
    other = ~(poly | line)
    if other.any() and (types[other] == 7).any():  # geometry collections
        gc = other & (types == 7)
        arr[gc] = shapely.simplify(arr[gc], tolerance, preserve_topology=True)
        methods.add("topology")
    if not methods:
        return arr, "none"
    return arr, methods.pop() if len(methods) == 1 else "mixed"


def round_geometries(geoms, decimals: int) -> np.ndarray:
    """Geometries with every coordinate rounded to ``decimals`` (vectorised)."""
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.round(xy, decimals))


AREA_COLUMN = "_area_ha"   # the computed ellipsoidal area a popup of a polygon layer shows
_AREA_NAME = re.compile(r"(MJ|面积|AREA)$", re.IGNORECASE)


def area_unit(gdf: gpd.GeoDataFrame, column) -> str | None:
    """The unit (公顷, 平方米, 亩, 平方千米) a numeric area field of a polygon layer is written in, found by
    comparing its values with the features' planar areas (as the audit does); None when no unit fits.

    >>> import shapely
    >>> g = gpd.GeoDataFrame({"MJ": [1.0, 2.0]}, geometry=[shapely.box(0, 0, 100, 100), shapely.box(0, 0, 200, 100)],
    ...                      crs=4525)
    >>> area_unit(g, "MJ")
    '公顷'
    """
    from redline.spatial.audit import infer_unit
    from redline.spatial.units import unit_label

    values = pd.to_numeric(gdf[column], errors="coerce").to_numpy(dtype=float)
    if gdf.crs is None or not np.isfinite(values).any():
        return None
    g = gdf if not gdf.crs.is_geographic else gdf.to_crs(gdf.estimate_utm_crs())
    with np.errstate(divide="ignore", invalid="ignore"):
        unit, _ = infer_unit(values / shapely.area(np.asarray(g.geometry.values, dtype=object)))
    return unit_label(unit) if unit else None


def popup_fields(gdf: gpd.GeoDataFrame, kind: str, field_labels: dict[str, str]) -> list[tuple[str, str]]:
    """``(column, Chinese label)`` of the attributes a popup shows: the kind's canonical attributes that
    have a value somewhere, then up to :data:`MAX_RAW_FIELDS` of the layer's own fields not mapped. An area
    field says its unit (found from the geometry: ``面积（数据记载，公顷）``), or that the unit is unknown; a
    polygon layer's popup also gives each feature's computed ellipsoidal area in 公顷 (:data:`AREA_COLUMN`,
    filled by :func:`with_area_column`)."""
    info = kind_info(kind)
    canonical = list(info["attributes"])
    mapping = layer_info(gdf).fields or {}
    used = {v for v in mapping.values() if v}
    polygons = len(gdf) and bool(np.isin(shapely.get_type_id(np.asarray(gdf.geometry.values, dtype=object)),
                                         (3, 6)).any())

    def labelled(col, label: str) -> str:
        if not polygons or not (col == "area" or _AREA_NAME.search(str(col))):
            return label
        unit = area_unit(gdf, col)
        base = label[:-1] if label.endswith("）") else label + "（"
        sep = "，" if label.endswith("）") else ""
        return f"{base}{sep}{unit or '单位不明'}）"

    out = []
    for attr in canonical:
        if attr in gdf.columns and gdf[attr].notna().any():
            out.append((attr, labelled(attr, field_labels.get(attr, attr))))
    raw = [c for c in gdf.columns if c != gdf.geometry.name and c not in canonical and c not in used
           and not str(c).startswith("_")]
    for c in raw[:MAX_RAW_FIELDS]:
        if gdf[c].notna().any():
            out.append((c, labelled(c, str(c))))
    if polygons:
        out.append((AREA_COLUMN, "椭球面积（公顷）"))
    return out


def with_area_column(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer with :data:`AREA_COLUMN`: each polygon's ellipsoidal area in 公顷, 4 decimals, as text."""
    from redline.spatial.areas import ellipsoidal_area

    out = gdf.copy()
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    ha = np.full(len(gdf), np.nan)
    if ok.any() and gdf.crs is not None:
        ha[ok] = ellipsoidal_area(geoms[ok], gdf.crs) / 1e4
    out[AREA_COLUMN] = [None if v != v else f"{v:.4f}" for v in ha.tolist()]
    return out


def _text(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (float, np.floating)):
        text = f"{float(v):.6g}" if abs(v) < 1e15 else str(v)
    else:
        text = printable(str(v)).strip()   # the page shows it as text; no control or bidi override in it
    if not text or text.lower() in ("nan", "none", "nat"):
        return None
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def feature_collection(geoms: np.ndarray, props: pd.DataFrame) -> str:
    """A compact GeoJSON FeatureCollection; property values are plain JSON strings (the page escapes
    them when it shows them: see ``maps/webmap.py``)."""
    geo = shapely.to_geojson(geoms)
    records = props.to_dict(orient="records")
    parts = []
    for g, rec in zip(geo, records, strict=True):
        clean = {k: v for k, v in rec.items() if v is not None}
        parts.append('{"type":"Feature","properties":' + json.dumps(clean, ensure_ascii=False,
                                                                    separators=(",", ":"))
                     + ',"geometry":' + g + "}")
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def _properties(gdf: gpd.GeoDataFrame, fields: list[tuple[str, str]], style_keys: np.ndarray
                ) -> pd.DataFrame:
    props = pd.DataFrame({f"p{i}": gdf[col].map(_text).to_numpy(dtype=object)
                          for i, (col, _) in enumerate(fields)}, index=range(len(gdf)))
    props["_s"] = style_keys
    return props


def vertex_floor(geoms) -> int:
    """The fewest coordinates any topology-preserving simplification leaves: 4 per polygon ring, 2 per
    line, 1 per point (vectorised)."""
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    if not parts.size:
        return 0
    types = shapely.get_type_id(parts)
    poly = types == 3
    rings = int(poly.sum() + shapely.get_num_interior_rings(parts[poly]).sum())
    return 4 * rings + 2 * int(((types == 1) | (types == 2)).sum()) + int((types == 0).sum())


def _over(vertices: int, per_vertex: int, budget: Budget) -> bool:
    return vertices > budget.max_vertices or vertices * per_vertex > budget.max_bytes


def _image_ids(layers: list[MapLayer], floors: list[int], per_vertex: int, budget: Budget) -> set[int]:
    """Layers drawn as images: the largest (never a boundary) until the others can fit as vectors even
    simplified as far as simplification goes (:func:`vertex_floor`)."""
    out: set[int] = set()
    order = sorted(range(len(layers)), key=lambda i: -floors[i])
    for i in order:
        if not _over(sum(f for j, f in enumerate(floors) if j not in out), per_vertex, budget):
            break
        if layers[i].kind != "boundary":
            out.add(i)
    return out


def prepare_layers(layers: list[MapLayer], metric, *, field_labels: dict[str, str], budget: Budget = Budget(),
                   gcj02: bool = False, base_tolerance: float | None = None
                   ) -> tuple[list[DisplayLayer], list[str]]:
    """Display copies of ``layers`` for a web map, within ``budget``; no layer is ever left out.

    Every layer is simplified once at the map's tolerance. Beyond the budget, the tolerance of the layers
    that simplification can still reduce is raised once, to a value estimated from their vertex counts
    (at most ``2 ** budget.max_doublings`` times the default). A layer that cannot fit even so (tens of
    thousands of small parcels: four vertices a ring at best) is drawn as an image in its style colours
    (:mod:`redline.maps.imagelayer`) within the bytes the vectors leave, and the map says so.

    Parameters
    ----------
    layers : list of MapLayer
        As read (any CRS).
    metric : pyproj.CRS
        Projected CRS (metres) in which simplification happens.
    field_labels : dict
        Chinese labels of the canonical attributes.
    budget : Budget
    gcj02 : bool
        Shift display coordinates to GCJ-02 (for a 高德 basemap).
    base_tolerance : float, optional
        Tolerance in metres; default :func:`display_tolerance` of the layers' extent.

    Returns
    -------
    (list of DisplayLayer, list of str)
        The layers (vector ones with ``geojson``, image ones with ``image``) and the notes the map shows.
    """
    metric_gdfs = [m.gdf.to_crs(metric) if m.gdf.crs is not None else m.gdf.set_crs(4490).to_crs(metric)
                   for m in layers]
    bounds = _union_bounds([g.total_bounds for g in metric_gdfs if len(g)])
    tol0 = base_tolerance if base_tolerance is not None else display_tolerance(bounds)
    raw = [np.asarray(g.geometry.values, dtype=object) for g in metric_gdfs]
    vin = [count_vertices(g) for g in raw]
    decimals = decimals_for(tol0)
    per_vertex = 2 * (decimals + 5)  # "111.12345,38.12345]," and brackets, roughly
    notes: list[str] = []

    images = _image_ids(layers, [vertex_floor(g) for g in raw], per_vertex, budget)
    tols = [tol0] * len(layers)
    simplified: list = [None] * len(layers)
    for i, g in enumerate(raw):
        if i in images:   # for the image only: pixels are coarser than the tolerance (no parcel vanishes)
            simplified[i] = (shapely.simplify(g, tol0, preserve_topology=True), "image")
        else:
            simplified[i] = simplify_geometries(g, tol0)
    vector = [i for i in range(len(layers)) if i not in images]
    counts = {i: count_vertices(simplified[i][0]) for i in vector}
    if _over(sum(counts.values()), per_vertex, budget):
        target = min(budget.max_vertices, budget.max_bytes // per_vertex)
        floors = {i: vertex_floor(simplified[i][0]) for i in vector}
        reducible = [i for i in vector if counts[i] > 1.2 * floors[i]]
        fixed = sum(counts[i] for i in vector if i not in reducible)
        have = sum(counts[i] for i in reducible)
        need = max(target - fixed, 1)
        # Douglas-Peucker on smooth outlines: vertices fall about as the square root of the tolerance
        factor = min(max((have / need) ** 2, 2.0), 2.0 ** budget.max_doublings)
        tol = max(tol0 * factor, 0.5)
        for i in reducible:
            simplified[i] = simplify_geometries(raw[i], tol)
            counts[i] = count_vertices(simplified[i][0])
            tols[i] = tol
        if reducible:
            notes.append(f"数据量超出显示预算，已加大简化：容差 {tol:.1f} 米（默认 {tol0:.1f} 米）。"
                         "显示图形仅供浏览，分析数据未作改动。")
        for i in sorted(vector, key=lambda i: -counts[i]):   # still beyond: the largest become images
            if not _over(sum(counts[j] for j in vector if j not in images), per_vertex, budget):
                break
            if layers[i].kind != "boundary":
                images.add(i)

    out: list[DisplayLayer] = []
    for i, (m, (geoms, method), n_in) in enumerate(zip(layers, simplified, vin, strict=True)):
        lonlat = gpd.GeoSeries(geoms, crs=metric).to_crs(4490).values
        if gcj02:
            lonlat = shift_geometries(np.asarray(lonlat, dtype=object))
        keys = m.style.classify(m.gdf)
        keep = ~shapely.is_empty(lonlat)
        b = shapely.total_bounds(lonlat[keep]) if keep.any() else None
        d = DisplayLayer(id=m.id, kind=m.kind, title=m.title, style=m.style, fields=[],
                         style_keys=sorted(set(keys[keep].tolist())), geojson=None, vertices_in=n_in,
                         vertices_out=0, tolerance_m=tols[i], method=method, source=m.source, date=m.date,
                         bounds=None if b is None else tuple(float(v) for v in b))
        if i in images:
            d.extra["lonlat"], d.extra["keys"] = lonlat, keys
        else:
            lonlat = round_geometries(lonlat, decimals)
            d.fields = popup_fields(m.gdf, m.kind, field_labels)
            shown = with_area_column(m.gdf) if any(c == AREA_COLUMN for c, _ in d.fields) else m.gdf
            props = _properties(shown.reset_index(drop=True), d.fields, keys)
            d.geojson = feature_collection(lonlat[keep], props[keep].reset_index(drop=True))
            d.vertices_out = count_vertices(lonlat[keep])
        out.append(d)

    left = budget.max_bytes - sum(len(d.geojson.encode()) for d in out if d.geojson is not None)
    pictured = [d for d in out if d.geojson is None]
    for d in pictured:
        keys = d.extra.pop("keys")
        d.image = rasterize_layer(d.extra.pop("lonlat"), keys, d.style, max_bytes=left // len(pictured))
        d.method = "image"
        d.note = (f"「{d.title}」共 {len(keys):,} 个要素、{d.vertices_in:,} 个节点，超出网页矢量显示预算，以影像显示"
                  f"（每像素约 {d.image.metres_per_pixel:.0f} 米），不可点击查询要素；完整数据见原文件。")
        notes.append(d.note)
    return out, notes


def _union_bounds(bounds_list) -> tuple[float, float, float, float]:
    if not bounds_list:
        return (0.0, 0.0, 1.0, 1.0)
    b = np.array(bounds_list, dtype=float)
    return (float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])), float(np.nanmax(b[:, 2])),
            float(np.nanmax(b[:, 3])))
