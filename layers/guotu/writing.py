"""Writing 国土TXT: a polygon layer as a CGCS2000 3-degree zone file (prefixed eastings, 公顷, CRLF, GBK)."""

from __future__ import annotations

import codecs
import datetime as _dt
import math
import os
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from redline.layers.crs import (
    DATUM_LABELS,
    ZONES,
    datum_of,
    epsg_of,
    gk_epsg,
    parse_datum,
    zone_of_meridian,
)
from redline.layers.errors import InputError, UsageError
from redline.layers.outputs import atomic_path, now_iso

# --------------------------------------------------------------------------------------------- writing

_ENCODINGS = {"gbk": "gbk", "gb2312": "gbk", "gb18030": "gb18030", "utf-8": "utf-8", "utf8": "utf-8",
              "utf-8-sig": "utf-8-sig", "utf_8": "utf-8", "utf_8_sig": "utf-8-sig"}


def write_guotu(gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, zone: int | None = None,
                encoding: str = "gbk", producer: str = "", date: str | _dt.date | None = None,
                datum: str = "cgcs2000") -> dict:
    """Write a polygon layer as a 国土TXT file in a 3-degree Gauss-Krüger zone with prefixed eastings.

    The layer is reprojected to the zone (``zone``, or the one whose central meridian is nearest the
    centre of the data). Each feature becomes a parcel: 地块编号 from column ``id`` (or ``code``, else the row
    number), 地块名称 from ``name``, 地块用途 from ``type`` (or ``地块用途``), 图幅号 and 地类编码 from columns of
    those names. Rings are closed, outer rings clockwise and holes counter-clockwise as seen on a north-up
    map; points are named J1..Jn per parcel (a closing point repeats its ring's first name) and 界址点数
    counts every point line. 地块面积 is the planar Gauss-Krüger area (outer rings minus holes) in 公顷 with 4
    decimals; coordinates have 3 decimals. Lines end with CRLF. The file is written whole or not at all.

    Parameters
    ----------
    gdf : polygon layer with a CRS.
    path : output file.
    zone : 3-degree zone number (25-45); chosen from the data when None.
    encoding : ``"gbk"`` (default), ``"gb18030"``, ``"utf-8"`` or ``"utf-8-sig"``.
    producer, date : 数据产生单位 and 数据产生日期 (default today).
    datum : ``"cgcs2000"`` (default), ``"xian1980"`` or ``"beijing1954"``; the layer must already be in
        that datum (datums are never converted here).

    Returns
    -------
    dict
        ``{"path", "epsg", "zone", "parcels", "points", "warnings"}``.

    Raises
    ------
    InputError
        Empty layer, no CRS, non-polygon or empty geometries, a datum conversion, text not encodable.

    Examples
    --------
    >>> import tempfile, os
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"id": ["A1"]}, geometry=[box(111.0, 37.0, 111.001, 37.001)], crs=4490)
    >>> out = write_guotu(g, os.path.join(tempfile.mkdtemp(), "a.txt"), date="2026-11-20")
    >>> out["epsg"], out["zone"], out["parcels"]
    (4525, 37, 1)
    """
    enc = _ENCODINGS.get(encoding.lower().replace(" ", ""))
    if enc is None:
        raise UsageError(f"cannot write 国土TXT in encoding {encoding!r}: use gbk, gb18030 or utf-8")
    datum_id = parse_datum(datum)
    if datum_id not in ("cgcs2000", "xian1980", "beijing1954"):
        raise UsageError(f"cannot write 国土TXT in datum {datum!r}: use cgcs2000, xian1980 or beijing1954")
    if len(gdf) == 0:
        raise InputError("nothing to write: the layer has no features")
    if gdf.crs is None:
        raise InputError("the layer has no CRS: set it before writing a 国土TXT file")
    warnings: list[str] = []
    source_datum = datum_of(gdf.crs)
    if source_datum in ("xian1980", "beijing1954", "cgcs2000") and source_datum != datum_id \
            and {source_datum, datum_id} != {"cgcs2000"}:
        raise InputError(f"the layer is in {DATUM_LABELS[source_datum]} and would have to be converted to "
                         f"{DATUM_LABELS[datum_id]}: the parameters are not public, so redline does not convert "
                         f"datums; write with datum={source_datum!r} or convert the layer first")
    if source_datum == "wgs84" and datum_id == "cgcs2000":
        warnings.append("WGS84 coordinates written as CGCS2000 (they differ by centimetres to a metre)")
    elif source_datum is None:
        warnings.append(f"the layer's datum ({gdf.crs.name}) is not a Chinese datum: reprojected with PROJ")

    geoms = gdf.geometry.array
    missing = np.asarray(gdf.geometry.isna() | gdf.geometry.is_empty)
    if missing.any():
        raise InputError("empty or missing geometry", feature=int(np.argmax(missing)) + 1)
    not_polygon = ~np.isin(shapely.get_type_id(np.asarray(geoms)), [3, 6])
    if not_polygon.any():
        k = int(np.argmax(not_polygon))
        raise InputError(f"国土TXT parcels must be polygons; this feature is a {gdf.geom_type.iloc[k]}",
                         feature=k + 1)

    if zone is None:
        zone = _zone_of(gdf)
    elif int(zone) not in ZONES[3]:
        raise UsageError(f"zone {zone} is not a 3-degree Gauss-Krüger zone of China (25-45)")
    zone = int(zone)
    target = gk_epsg(datum_id, 3, zone=zone, prefixed=True)
    projected = gdf.geometry if epsg_of(gdf.crs) == target else gdf.geometry.to_crs(target)
    polys = shapely.orient_polygons(shapely.force_2d(np.asarray(projected.array)), exterior_cw=True)

    parts, part_feature = shapely.get_parts(polys, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    coords = np.round(coords, 3)
    # drop points that rounding made repeat the previous one
    repeat = np.zeros(len(coords), dtype=bool)
    repeat[1:] = (coord_ring[1:] == coord_ring[:-1]) & (coords[1:] == coords[:-1]).all(axis=1)
    coords, coord_ring = coords[~repeat], coord_ring[~repeat]
    ring_sizes = np.bincount(coord_ring, minlength=len(rings))
    ring_feature = part_feature[ring_part]
    if (ring_sizes < 4).any():
        k = int(np.argmax(ring_sizes < 4))
        raise InputError("a ring has fewer than 3 distinct points at millimetre precision",
                         feature=int(ring_feature[k]) + 1)
    is_exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]
    starts = np.r_[0, np.cumsum(ring_sizes)[:-1]]
    local = coords - coords[starts][coord_ring]  # each ring relative to its first point: products of
    x, y = local[:, 0], local[:, 1]              # 8-digit eastings and 7-digit northings lose centimetres
    nxt = np.r_[np.arange(1, len(coords)), 0]
    cross = x * y[nxt] - x[nxt] * y
    cross[np.r_[starts[1:] - 1, len(coords) - 1]] = 0.0  # the closing point ends its ring
    ring_area = np.abs(np.add.reduceat(cross, starts)) / 2.0
    signed = np.where(is_exterior, ring_area, -ring_area)
    feature_area = np.bincount(ring_feature, weights=signed, minlength=len(gdf))

    attrs = _attribute_texts(gdf)
    codec = "utf-8" if enc == "utf-8-sig" else enc  # the BOM goes once, at the start
    chunks = [codecs.BOM_UTF8 if enc == "utf-8-sig" else b"",
              _encode(_header_text(producer, date, datum_id, zone), codec, None)]
    ring_of_feature = np.split(np.arange(len(rings)), np.flatnonzero(np.diff(ring_feature)) + 1)
    total_points = 0
    for f, ring_ids in enumerate(ring_of_feature):
        lines = []
        n = 0
        for ring_no, r in enumerate(ring_ids, start=1):
            pts = coords[starts[r]:starts[r] + ring_sizes[r]]
            names = [f"J{n + k + 1}" for k in range(len(pts) - 1)]
            names.append(names[0])
            n += len(pts) - 1
            lines.extend(f"{nm},{ring_no},{yy:.3f},{xx:.3f}" for nm, (xx, yy) in zip(names, pts, strict=True))
        pid, pname, use, sheet, code = attrs[f]
        parcel_line = f"{len(lines)},{feature_area[f] / 10_000:.4f},{pid},{pname},面,{sheet},{use},{code},@"
        total_points += len(lines)
        chunks.append(_encode("\r\n".join([parcel_line, *lines]) + "\r\n", codec, f + 1))

    data = b"".join(chunks)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return {"path": str(path), "epsg": target, "zone": zone, "parcels": len(gdf), "points": total_points,
            "warnings": warnings}


def _zone_of(gdf: gpd.GeoDataFrame) -> int:
    """The 3-degree zone whose central meridian is nearest the centre of the layer's extent."""
    xmin, ymin, xmax, ymax = gdf.total_bounds
    geographic = gdf.crs.geodetic_crs
    lon, _ = pyproj.Transformer.from_crs(gdf.crs, geographic, always_xy=True).transform(
        (xmin + xmax) / 2, (ymin + ymax) / 2)
    if not math.isfinite(lon):
        raise InputError("cannot place the layer: its centre has no longitude")
    zone = zone_of_meridian(lon, 3)
    if zone not in ZONES[3]:
        raise InputError(f"the layer's centre (longitude {lon:.3f}) lies outside China's 3-degree zones 25-45; "
                         "give the zone")
    return zone


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"[\r\n\t]+", " ", str(value)).strip()
    return text.replace(",", "，").replace("@", "＠")


def _attribute_texts(gdf: gpd.GeoDataFrame) -> list[tuple[str, str, str, str, str]]:
    """(地块编号, 地块名称, 地块用途, 图幅号, 地类编码) per feature."""
    def column(*names: str) -> list[str]:
        for name in names:
            if name in gdf.columns:
                return [_text(v) for v in gdf[name]]
        return [""] * len(gdf)

    ids = column("id", "code", "地块编号")
    ids = [v or str(k) for k, v in enumerate(ids, start=1)]
    return list(zip(ids, column("name", "地块名称"), column("type", "地块用途"), column("图幅号"),
                    column("地类编码"), strict=True))


def _header_text(producer: str, date, datum: str, zone: int) -> str:
    if date is None:
        date = now_iso()[:10]
    elif isinstance(date, _dt.date):
        date = date.isoformat()
    lines = ["[属性描述]", "格式版本号=1.01版本", f"数据产生单位={_text(producer)}", f"数据产生日期={_text(date)}",
             f"坐标系={DATUM_LABELS[datum]}", "几度分带=3", "投影类型=高斯克吕格", "计量单位=米", f"带号={zone}",
             "精度=0.001", "转换参数=,,,,,,", "[地块坐标]"]
    return "\r\n".join(lines) + "\r\n"


def _encode(text: str, encoding: str, feature: int | None) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        ch = exc.object[exc.start]
        where = "the header" if feature is None else "this feature"
        raise InputError(f"the character {ch!r} in {where} cannot be written in {encoding}; write with "
                         "encoding 'utf-8' or 'gb18030'", feature=feature) from None
