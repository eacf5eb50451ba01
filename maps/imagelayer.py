"""A layer too large for the web map's vector budget, drawn as one image: rasterised in its style colours
(fill, then a one-pixel outline) on the web map's own grid, Web Mercator, and encoded as an indexed-colour
PNG small enough for the bytes left in the budget.

Leaflet stretches an ``L.imageOverlay`` linearly between its corners in Web Mercator, so the image is
rasterised in Web Mercator (Leaflet's spherical formula, :func:`web_mercator`): every pixel falls where
the vector layer would be drawn, wherever the county lies. The corners are given back in lon/lat.

Example
-------
>>> import shapely, numpy as np
>>> from redline.maps.styles import LayerStyle, Style
>>> style = LayerStyle("farm", Style(color="#ff0000", fill_color="#00ff00", fill_opacity=1.0))
>>> sq = shapely.box(111.0, 38.0, 111.01, 38.01)
>>> img = rasterize_layer(np.array([sq], dtype=object), np.array([""], dtype=object), style, max_bytes=50_000,
...                       max_side=100)
>>> img.width, img.height, img.png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
(79, 100, True)
>>> [round(v, 4) for v in img.bounds]
[111.0, 38.0, 111.01, 38.01]
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from dataclasses import dataclass

import numpy as np
import shapely

from redline.maps.styles import LayerStyle

R = 6378137.0                    # Leaflet's L.Projection.SphericalMercator
MAX_LAT = 85.0511287798
MIN_IMAGE_BYTES = 256_000        # an image is never made smaller than this (about 1,000 pixels a side)


@dataclass
class LayerImage:
    """One layer as an image: PNG bytes, lon/lat corners ``(west, south, east, north)``, size in pixels, and
    the ground size of a pixel at the layer's middle latitude (metres)."""

    png: bytes
    bounds: tuple[float, float, float, float]
    width: int
    height: int
    metres_per_pixel: float

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def uri_bytes(self) -> int:
        return 22 + 4 * math.ceil(len(self.png) / 3)


def web_mercator(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Leaflet's spherical Web Mercator metres of ``lon``, ``lat`` (degrees).

    >>> x, y = web_mercator(180.0, 0.0)
    >>> round(float(x), 3), abs(float(y)) < 1e-6
    (20037508.343, True)
    """
    lat = np.clip(np.asarray(lat, dtype=float), -MAX_LAT, MAX_LAT)
    return R * np.radians(lon), R * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def lonlat_of(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of :func:`web_mercator`.

    >>> lon, lat = lonlat_of(*web_mercator(111.5, 38.25))
    >>> round(float(lon), 9), round(float(lat), 9)
    (111.5, 38.25)
    """
    return np.degrees(np.asarray(x, dtype=float) / R), np.degrees(2 * np.arctan(np.exp(np.asarray(y) / R)) - np.pi / 2)


def png_indexed(index: np.ndarray, palette: list[tuple[int, int, int, int]]) -> bytes:
    """An indexed-colour PNG (8 bits, ``PLTE`` and ``tRNS``) of ``index`` (2-D ``uint8``) with ``palette``
    as RGBA colours.

    >>> png_indexed(np.zeros((2, 3), np.uint8), [(0, 0, 0, 0)])[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    h, w = index.shape

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    rows = np.empty((h, w + 1), np.uint8)
    rows[:, 0] = 0                                    # filter: none (the best for palette images)
    rows[:, 1:] = index
    pal = np.array(palette, dtype=np.uint8).reshape(-1, 4)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", pal[:, :3].tobytes()) + chunk(b"tRNS", pal[:, 3].tobytes())
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def _rgba(color: str, opacity: float) -> tuple[int, int, int, int]:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (round(r * 255), round(g * 255), round(b * 255), round(max(0.0, min(1.0, opacity)) * 255))


def layer_palette(style: LayerStyle, keys: list[str]) -> list[tuple[int, int, int, int]]:
    """Transparent, then per style key its fill (``1 + 2 i``) and its outline (``2 + 2 i``)."""
    pal = [(0, 0, 0, 0)]
    for k in keys:
        st = style.style_for(k)
        pal += [_rgba(st.fill_color, st.fill_opacity if st.fill else 0.0), _rgba(st.color, st.opacity)]
    return pal


def _burn(geoms: np.ndarray, key_index: np.ndarray, width: int, height: int, transform) -> np.ndarray:
    from rasterio import features

    out = np.zeros((height, width), np.uint8)
    types = shapely.get_type_id(geoms)
    poly = (types == 3) | (types == 6)
    if poly.any():
        fills = features.rasterize(zip(geoms[poly], (1 + 2 * key_index[poly]).tolist(), strict=True),
                                   out_shape=(height, width), transform=transform, fill=0, dtype="uint8")
        out = np.where(fills > 0, fills, out)
    edges = np.where(poly, shapely.boundary(np.where(poly, geoms, None)), geoms)
    ok = ~shapely.is_missing(edges) & ~shapely.is_empty(edges)
    if ok.any():
        lines = features.rasterize(zip(edges[ok], (2 + 2 * key_index[ok]).tolist(), strict=True),
                                   out_shape=(height, width), transform=transform, fill=0, all_touched=True,
                                   dtype="uint8")
        out = np.where(lines > 0, lines, out)
    return out


def rasterize_layer(lonlat: np.ndarray, keys: np.ndarray, style: LayerStyle, *, max_bytes: int,
                    max_side: int = 4096) -> LayerImage:
    """The layer's geometries (lon/lat, as the map shows them) as an image of at most ``max_side`` pixels a
    side whose data URI takes at most ``max_bytes`` (coarser pixels until it does; never under
    :data:`MIN_IMAGE_BYTES`). ``keys`` is each feature's style key (:meth:`LayerStyle.classify`)."""
    from affine import Affine

    geoms = np.asarray(lonlat, dtype=object)
    keep = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    geoms, keys = geoms[keep], np.asarray(keys, dtype=object)[keep]
    names = sorted(set(keys.tolist()))[:127]
    lookup = {k: i for i, k in enumerate(names)}
    key_index = np.array([lookup.get(k, 0) for k in keys.tolist()], dtype=np.int64)
    merc = shapely.transform(geoms, lambda xy: np.column_stack(web_mercator(xy[:, 0], xy[:, 1])))
    xmin, ymin, xmax, ymax = shapely.total_bounds(merc)
    palette = layer_palette(style, names)
    side = max(xmax - xmin, ymax - ymin, 1.0)
    pixel = side / max_side
    limit = max(max_bytes, MIN_IMAGE_BYTES)
    for _ in range(8):
        width, height = max(1, math.ceil((xmax - xmin) / pixel)), max(1, math.ceil((ymax - ymin) / pixel))
        transform = Affine(pixel, 0.0, xmin, 0.0, -pixel, ymax)
        png = png_indexed(_burn(merc, key_index, width, height, transform), palette)
        uri = 22 + 4 * math.ceil(len(png) / 3)
        if uri <= limit:
            break
        pixel *= max(1.15, math.sqrt(uri / limit) * 1.05)
    west, south = lonlat_of(xmin, ymax - height * pixel)
    east, north = lonlat_of(xmin + width * pixel, ymax)
    mid = math.radians((float(south) + float(north)) / 2)
    return LayerImage(png=png, bounds=(float(west), float(south), float(east), float(north)), width=width,
                      height=height, metres_per_pixel=pixel * math.cos(mid))
