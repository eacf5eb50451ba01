"""Reading 国土TXT: parcels, rings by containment, the zone from the header or the eastings."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from redline.layers.crs import (
    DATUM_LABELS,
    GEOGRAPHIC,
    ZONES,
    describe_gk,
    epsg_of,
    gk_epsg,
    parse_crs,
    parse_datum,
    zone_of_meridian,
)
from redline.layers.errors import InputError, UsageError
from redline.layers.guotu.sniff import (
    _CLOSE_TOL,
    _GEOMETRY_KINDS,
    _LINE_BREAK,
    _NUMBER,
    _SECTION,
    PLACEHOLDERS,
    STANDARD_FIELDS,
)
from redline.layers.info import LayerInfo, with_info
from redline.layers.inputs import check_input
from redline.layers.text import decode_text

# --------------------------------------------------------------------------------------------- reading

@dataclass
class _Parcel:
    line: int
    fields: list[str]
    names: list[str] = field(default_factory=list)
    rings: list[str] = field(default_factory=list)
    a: list[float] = field(default_factory=list)  # third field (northing in the standard order)
    b: list[float] = field(default_factory=list)  # fourth field (easting in the standard order)
    lines: list[int] = field(default_factory=list)


@dataclass
class _Parsed:
    header: dict[str, str]
    sections: dict[str, dict[str, str]]
    parcels: list[_Parcel]
    warnings: list[str]


def read_guotu(path: str | os.PathLike, *, encoding: str | None = None,
               crs: str | int | pyproj.CRS | None = None) -> gpd.GeoDataFrame:
    """Read a 国土TXT coordinate file: one row per parcel, in the file's own CRS.

    Parameters
    ----------
    path : path of the file.
    encoding : text encoding; detected when None (UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030).
    crs : the CRS of the coordinates (EPSG code, ``"EPSG:4526"``, WKT); by default it is derived from the
        header (坐标系, 几度分带, 带号) and the zone prefix of the eastings.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``index`` (1-based parcel order), ``line`` (line number of the parcel line), ``id``
        (地块编号), ``name`` (地块名称), ``rings``, ``parts``, ``holes``, ``ring_roles`` (one role per ring in
        file order: ``outer``, ``part``, ``hole``, ``island``), ``points`` (point lines), ``declared_area``
        (float, None when empty or not a number; unit as written: 公顷 officially, m² in some files),
        ``declared_area_text``, the raw parcel fields (standard names, extras ``字段9``...; placeholders
        such as ``DKMC`` become None) and ``geometry`` (x = easting, y = northing). Its
        :class:`~redline.layers.info.LayerInfo` holds ``path``, ``format`` (``guotu-txt``), ``encoding``
        (``value``, ``source``), ``crs`` (``epsg``, ``name``, ``source``), ``warnings`` and ``guotu``:
        ``header`` (the [属性描述] keys as written), ``sections`` (other sections), ``precision`` (精度 in
        metres or None) and ``swapped``.

    Raises
    ------
    InputError
        For a missing, empty, binary or malformed file, naming the line at fault.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "hole.txt")
    >>> lines = ["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=6", "带号=19", "[地块坐标]",
    ...          "10,2.8000,1,带孔地块,面,,,,@",
    ...          "J1,1,4151000,19512000", "J2,1,4151150,19512000", "J3,1,4151150,19512200",
    ...          "J4,1,4151000,19512200", "J1,1,4151000,19512000",
    ...          "J5,2,4151050,19512100", "J6,2,4151090,19512100", "J7,2,4151090,19512050",
    ...          "J8,2,4151050,19512050", "J5,2,4151050,19512100"]
    >>> _ = open(path, "w", encoding="gbk").write("\\r\\n".join(lines))
    >>> gdf = read_guotu(path)
    >>> gdf.crs.to_epsg(), gdf.loc[0, "ring_roles"], float(gdf.area.iloc[0])
    (4497, 'outer,hole', 28000.0)
    """
    path = str(path)
    data = _read_bytes(path)
    text, enc_value, enc_source = _decode(data, path, encoding)
    parsed = _parse(text, path)
    warnings = parsed.warnings

    a = np.array([v for p in parsed.parcels for v in p.a], dtype=float)
    b = np.array([v for p in parsed.parcels for v in p.b], dtype=float)
    lines = np.array([n for p in parsed.parcels for n in p.lines], dtype=int)
    swapped = _columns_swapped(a, b, lines, path)
    easting, northing = (a, b) if swapped else (b, a)
    if swapped:
        warnings.append("columns swapped: the third field of the point lines holds the eastings and the fourth "
                        f"the northings (e.g. line {lines[0]}: {a[0]:.3f}, {b[0]:.3f}); read as easting, northing")

    crs_guess = _place(parsed.header, easting, northing, lines, crs, path, warnings)

    rows = []
    start = 0
    for i, parcel in enumerate(parsed.parcels, start=1):
        n = len(parcel.a)
        rows.append(_parcel_row(i, parcel, easting[start:start + n], northing[start:start + n], path, warnings))
        start += n

    gdf = _frame(rows, crs_guess["epsg_crs"])
    return with_info(gdf, LayerInfo(
        path=str(path), format="guotu-txt", encoding={"value": enc_value, "source": enc_source},
        crs={k: crs_guess[k] for k in ("epsg", "name", "source")}, warnings=warnings,
        guotu={"header": parsed.header, "sections": parsed.sections,
               "precision": _header_precision(parsed.header, warnings), "swapped": bool(swapped)}))


def _header_precision(header: dict[str, str], warnings: list[str]) -> float | None:
    """精度 in metres: written as a step (``0.001``) or as a number of decimals (``3``). Also warns about
    转换参数 that are filled in: they are kept in the header, never applied."""
    params = header.get("转换参数", "").replace("，", ",")
    if params.strip(", "):
        warnings.append(f"转换参数={params} given: the parameters are kept in the header but not applied")
    text = header.get("精度", "").strip()
    if not text:
        return None
    if not _NUMBER.match(text):
        warnings.append(f"精度={text!r} is not a number: ignored")
        return None
    value = float(text)
    if value >= 1 and value.is_integer() and value <= 6:
        return 10.0 ** -value
    return value


def _read_bytes(path: str) -> bytes:
    p = check_input(path)   # missing, a folder, a link loop, a pipe or device, unreadable, empty
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=path) from None
    if not data:
        raise InputError("the file is empty (0 bytes)", path=path)
    return data


def _decode(data: bytes, path: str, encoding: str | None) -> tuple[str, str, str]:
    """Text, encoding name and how it was known ('user', 'bom', 'detected'): :func:`redline.layers.text.decode_text`."""
    d = decode_text(data, encoding, path=path, what="国土TXT text file")
    return d.text, d.encoding, d.how


def _parse(text: str, path: str) -> _Parsed:
    """Split the text into header sections and parcels; every malformed line raises InputError."""
    if not text.strip():
        raise InputError("the file contains no text", path=path)
    sections: dict[str, dict[str, str]] = {}
    parcels: list[_Parcel] = []
    warnings: list[str] = []
    section: str | None = None
    coord_line: int | None = None
    extra_point_fields = empty_ring_number = False
    for lineno, raw in enumerate(_LINE_BREAK.split(text), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        m = _SECTION.match(line)
        if m:
            section = re.sub(r"\s+", "", m.group(1))
            if "地块坐标" in section:
                section = "地块坐标"
                if coord_line is not None:
                    raise InputError("a second [地块坐标] section", path=path, line=lineno)
                coord_line = lineno
            else:
                if "属性描述" in section:
                    section = "属性描述"
                sections.setdefault(section, {})
            continue
        if section != "地块坐标":
            key, eq, value = line.partition("=")
            if not eq:
                where = f"[{section}]" if section else "the text before the first section"
                warnings.append(f"line {lineno} in {where} is not key=value: ignored ({line[:40]!r})")
                continue
            sections.setdefault(section or "", {})[key.strip()] = value.strip()
            continue

        fields = [f.strip() for f in line.split(",")]
        if line.endswith("@"):
            fields[-1] = fields[-1][:-1].strip()
            if fields[-1] == "":
                fields.pop()
            parcels.append(_Parcel(line=lineno, fields=fields))
            continue
        while fields and fields[-1] == "":
            fields.pop()
        if len(fields) > 4 and (fields[4] in _GEOMETRY_KINDS or any(f in _GEOMETRY_KINDS for f in fields)):
            raise InputError("parcel line does not end with ',@' (界址点数,地块面积,地块编号,地块名称,"
                             "记录图形属性,图幅号,地块用途,地类编码,@)", path=path, line=lineno)
        if len(fields) < 4:
            raise InputError(f"malformed point line {line[:60]!r}: expected 点号,圈号,X,Y "
                             f"but found {len(fields)} field(s)", path=path, line=lineno)
        for value, what in ((fields[2], "X (northing)"), (fields[3], "Y (easting)")):
            if not _NUMBER.match(value):
                raise InputError(f"non-numeric coordinate {value!r} for {what} in point line {line[:60]!r}",
                                 path=path, line=lineno)
        if not parcels:
            raise InputError("point line before any parcel line (a parcel line ends with ',@')",
                             path=path, line=lineno)
        if len(fields) > 4 and not extra_point_fields:
            extra_point_fields = True
            warnings.append(f"point lines with more than 4 fields (first at line {lineno}): "
                            "fields after 点号,圈号,X,Y ignored")
        parcel = parcels[-1]
        ring = fields[1]
        if ring == "":
            ring = parcel.rings[-1] if parcel.rings else "1"
            if not empty_ring_number:
                empty_ring_number = True
                warnings.append(f"point lines with an empty 圈号 (first at line {lineno}): taken as the ring of "
                                "the point before (ring 1 at the start of a parcel)")
        parcel.names.append(fields[0])
        parcel.rings.append(ring)
        parcel.a.append(float(fields[2]))
        parcel.b.append(float(fields[3]))
        parcel.lines.append(lineno)

    if coord_line is None:
        raise InputError("no [地块坐标] section: not a 国土TXT coordinate file", path=path)
    if not parcels:
        raise InputError("the [地块坐标] section holds no parcel line (a parcel line ends with ',@')",
                         path=path, line=coord_line)
    for parcel in parcels:
        if not parcel.a:
            raise InputError("parcel line without point lines", path=path, line=parcel.line)

    header = dict(sections.get("属性描述", {}))
    for name, values in sections.items():  # keys written in other sections fill gaps
        if name != "属性描述":
            for k, v in values.items():
                header.setdefault(k, v)
    return _Parsed(header=header, sections={k: v for k, v in sections.items() if k != "属性描述"},
                   parcels=parcels, warnings=warnings)


def _northing_like(v: np.ndarray) -> np.ndarray:
    return ((v >= 1_000_000) & (v < 10_000_000)) | ((v >= 3) & (v <= 54))


def _easting_like(v: np.ndarray) -> np.ndarray:
    return ((v >= 13_000_000) & (v < 46_000_000)) | ((v > 60) & (v < 1_000_000))


def _columns_swapped(a: np.ndarray, b: np.ndarray, lines: np.ndarray, path: str) -> bool:
    """Whether the point lines hold easting before northing, judged by the magnitude of the numbers.

    Northings are 7-digit in China; eastings 6-digit (or 8-digit with the zone prefix). Geographic
    coordinates (latitude before longitude) are judged the same way. When the numbers do not tell
    (e.g. both 6-digit), the standard order is kept.
    """
    standard = _northing_like(a) & _easting_like(b) & ~(_northing_like(b) & _easting_like(a))
    swapped = _northing_like(b) & _easting_like(a) & ~(_northing_like(a) & _easting_like(b))
    if standard.all():
        return False
    if swapped.all():
        return True
    if standard.any() and swapped.any():
        minority = swapped if standard.sum() >= swapped.sum() else standard
        k = int(np.argmax(minority))
        raise InputError(f"point line has its coordinates in the other order than most lines "
                         f"({a[k]:.3f}, {b[k]:.3f}): northing and easting mixed up", path=path, line=int(lines[k]))
    return False


def _place(header: dict[str, str], easting: np.ndarray, northing: np.ndarray, lines: np.ndarray,
           crs, path: str, warnings: list[str]) -> dict:
    """The CRS of the coordinates: ``{"epsg", "name", "source", "epsg_crs"}``."""
    prefixed = (easting >= 13_000_000) & (easting < 46_000_000)  # as redline.layers.crs.is_prefixed_easting
    if crs is not None:
        try:
            user = parse_crs(crs)
        except InputError as exc:
            raise UsageError(exc.reason) from None
        epsg = epsg_of(user)
        info = describe_gk(epsg) if epsg else None
        if info is not None:
            if info["prefixed"] and not prefixed.all():
                warnings.append(f"--crs EPSG:{epsg} expects zone-prefixed eastings, but the file's are not")
            elif not info["prefixed"] and prefixed.any():
                warnings.append(f"--crs EPSG:{epsg} expects eastings without a zone prefix, but the file's "
                                f"carry prefix {int(easting[0] // 1_000_000)}")
            elif info["prefixed"] and int(easting[0] // 1_000_000) != info["zone"]:
                warnings.append(f"--crs EPSG:{epsg} is zone {info['zone']}, but the eastings carry prefix "
                                f"{int(easting[0] // 1_000_000)}")
        return {"epsg": epsg, "name": user.name, "source": "user", "epsg_crs": user}

    datum_text = header.get("坐标系", "").strip()
    datum = parse_datum(datum_text)
    if not datum_text:
        warnings.append("no 坐标系 in the header: taken as 2000国家大地坐标系 (CGCS2000)")
        datum = "cgcs2000"
    elif datum is None:
        warnings.append(f"unknown 坐标系 {datum_text!r}: taken as 2000国家大地坐标系 (CGCS2000)")
        datum = "cgcs2000"
    elif datum == "wgs84":
        warnings.append("WGS84 coordinates are taken as CGCS2000 (they differ by centimetres to a metre)")
        datum = "cgcs2000"
    elif datum in ("xian1980", "beijing1954"):
        warnings.append(f"the file is in {DATUM_LABELS[datum]}: kept in that datum, not converted to CGCS2000 "
                        "(the transformation parameters are not public; supply them to convert)")

    width = _header_width(header, warnings)
    zone = _header_zone(header, width, warnings)

    def done(epsg: int, source: str) -> dict:
        c = pyproj.CRS.from_epsg(epsg)
        return {"epsg": epsg, "name": c.name, "source": source, "epsg_crs": c}

    if ((easting >= 73) & (easting <= 136) & (northing >= 3) & (northing <= 54)).all():
        warnings.append("the coordinates are longitude/latitude degrees, not Gauss-Krüger metres")
        return done(GEOGRAPHIC[datum], "coordinates")
    bad = ~((northing > 0) & (northing < 10_000_000))
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(f"northing {northing[k]:.12g} is no Gauss-Krüger northing of China", path=path,
                         line=int(lines[k]))
    try:
        if prefixed.any():
            if not prefixed.all():
                k = int(np.argmax(~prefixed))
                raise InputError(f"easting {easting[k]:.3f} has no zone prefix, unlike the others",
                                 path=path, line=int(lines[k]))
            prefixes = np.unique(easting // 1_000_000).astype(int)
            if len(prefixes) > 1:
                k = int(np.argmax(easting // 1_000_000 != prefixes[0]))
                raise InputError(f"eastings carry different zone prefixes ({', '.join(map(str, prefixes))})",
                                 path=path, line=int(lines[k]))
            p = int(prefixes[0])
            p_width = 3 if p in ZONES[3] else 6 if p in ZONES[6] else None
            if p_width is None:
                raise InputError(f"easting prefix {p} is no Gauss-Krüger zone of China "
                                 "(3-degree 25-45, 6-degree 13-23)", path=path, line=int(lines[0]))
            if width is not None and width != p_width:
                warnings.append(f"几度分带={width} stated, but the easting prefix {p} is a {p_width}-degree zone: "
                                "using the prefix")
            source = "header"
            if zone is None:
                warnings.append(f"no 带号 in the header: zone {p} taken from the easting prefix")
                source = "coordinates"
            elif zone != p:
                as_prefix = gk_epsg(datum, p_width, zone=p, prefixed=True)
                raise InputError(f"带号={zone} in the header contradicts the easting prefix {p}: which zone is "
                                 f"right cannot be known; give the CRS with --crs (EPSG:{as_prefix} if the "
                                 f"eastings' prefix {p} is right)", path=path, line=int(lines[0]))
            return done(gk_epsg(datum, p_width, zone=p, prefixed=True), source)
        if not ((easting > 0) & (easting < 1_000_000)).all():
            k = int(np.argmax(~((easting > 0) & (easting < 1_000_000))))
            raise InputError(f"easting {easting[k]:.12g} is no Gauss-Krüger easting of China", path=path,
                             line=int(lines[k]))
        if zone is None:
            raise InputError("the eastings carry no zone prefix and the header gives no 带号: the zone cannot be "
                             "known; give the CRS with --crs (e.g. --crs EPSG:4546 for CGCS2000 3-degree "
                             "zone 37 without prefix)", path=path)
        if width is None:
            width = 3 if zone in ZONES[3] else 6
        return done(gk_epsg(datum, width, zone=zone, prefixed=False), "header")
    except InputError as exc:
        if exc.path is None:
            raise InputError(exc.reason, path=path) from None
        raise


def _header_width(header: dict[str, str], warnings: list[str]) -> int | None:
    for key in ("几度分带", "分带", "分带方式", "投影分带"):
        text = header.get(key, "").strip()
        if text:
            m = re.search(r"\d+", text)
            if m and int(m.group()) in (3, 6):
                return int(m.group())
            warnings.append(f"{key}={text!r} is neither 3 nor 6: ignored")
    return None


def _header_zone(header: dict[str, str], width: int | None, warnings: list[str]) -> int | None:
    text = header.get("带号", "").strip()
    if not text:
        return None
    if not text.isdigit():
        warnings.append(f"带号={text!r} is not a zone number: ignored")
        return None
    zone = int(text)
    if zone in ZONES[3] or zone in ZONES[6]:
        return zone
    if 72 <= zone <= 135:  # some tools write the central meridian
        z = zone_of_meridian(zone, width or 3)
        warnings.append(f"带号={zone} is a central meridian, not a zone number: zone {z} used")
        return z
    warnings.append(f"带号={zone} is no Gauss-Krüger zone of China: ignored")
    return None


def _clean_field(value: str, column: str) -> str | None:
    v = value.strip()
    if not v or v.upper() in PLACEHOLDERS or v == column:
        return None
    return v


def _field_names(n: int) -> list[str]:
    return [STANDARD_FIELDS[i] if i < len(STANDARD_FIELDS) else f"字段{i + 1}" for i in range(n)]


def _parcel_row(index: int, parcel: _Parcel, easting: np.ndarray, northing: np.ndarray, path: str,
                warnings: list[str]) -> dict:
    names = _field_names(len(parcel.fields))
    raw = {name: _clean_field(v, name) for name, v in zip(names, parcel.fields, strict=True)}
    label = f"parcel {index} (line {parcel.line})"

    kind_text = raw.get("记录图形属性")
    if kind_text not in _GEOMETRY_KINDS:
        found = [f for f in parcel.fields if f.strip() in _GEOMETRY_KINDS]
        if found:
            kind_text = found[0].strip()
            warnings.append(f"{label}: 记录图形属性 {kind_text!r} found outside its usual place (field 5)")
        else:
            if kind_text is not None:
                warnings.append(f"{label}: 记录图形属性 {kind_text!r} is not 面/线/点: read as 面")
            kind_text = "面"
    kind = _GEOMETRY_KINDS[kind_text]

    area_text = (parcel.fields[1].strip() if len(parcel.fields) > 1 else "")
    declared = None
    if area_text and _NUMBER.match(area_text):
        declared = float(area_text)
    elif not area_text:
        warnings.append(f"{label}: 地块面积 is empty")
    else:
        warnings.append(f"{label}: 地块面积 {area_text!r} is not a number")

    rings = _split_rings(parcel, easting, northing)
    labels = [r.label for r in rings]
    for shared in sorted({x for x in labels if labels.count(x) > 1}):
        warnings.append(f"{label}: 圈号 {shared} holds {labels.count(shared)} rings (its points return to the "
                        "ring's first point and go on): read as separate rings")
    if kind == "polygon":
        geom, n_parts, n_holes, roles = _polygon(rings, label, path, warnings)
    elif kind == "line":
        geom, n_parts, n_holes, roles = _lines(rings, path)
    else:
        pts = shapely.points(np.column_stack([easting, northing]))
        geom = pts[0] if len(pts) == 1 else shapely.multipoints(pts)
        n_parts, n_holes, roles = len(pts), 0, ["points"] * len(rings)

    n_points = len(parcel.a)
    closings = sum(r.explicit_close for r in rings)
    count_text = parcel.fields[0].strip() if parcel.fields else ""
    if count_text.isdigit():
        declared_points = int(count_text)
        if declared_points not in (n_points, n_points - closings, n_points + sum(not r.explicit_close
                                                                                   for r in rings)):
            warnings.append(f"{label}: 界址点数={declared_points} but {n_points} point lines follow "
                            f"({n_points - closings} without closing points)")
    elif count_text:
        warnings.append(f"{label}: 界址点数 {count_text!r} is not a number")

    row = {
        "index": index,
        "line": parcel.line,
        "id": raw.get("地块编号"),
        "name": raw.get("地块名称"),
        "rings": len(rings),
        "parts": n_parts,
        "holes": n_holes,
        "ring_roles": ",".join(roles),
        "points": n_points,
        "declared_area": declared,
        "declared_area_text": area_text,
    }
    row.update(raw)
    row["geometry"] = geom
    return row


@dataclass
class _Ring:
    label: str
    coords: np.ndarray  # (n, 2) easting, northing, closed for polygons
    first_line: int
    explicit_close: bool


def _split_rings(parcel: _Parcel, easting: np.ndarray, northing: np.ndarray) -> list[_Ring]:
    """Group the points by 圈号 (in order of first appearance); a group whose points return to the ring's
    first point and then go on holds several rings."""
    order: dict[str, list[int]] = {}
    for k, label in enumerate(parcel.rings):
        order.setdefault(label, []).append(k)
    xy = np.column_stack([easting, northing])
    rings: list[_Ring] = []
    for label, idx in order.items():
        start = 0
        for j in range(len(idx)):
            if j - start >= 3 and np.abs(xy[idx[j]] - xy[idx[start]]).max() <= _CLOSE_TOL:
                rings.append(_Ring(label, xy[idx[start:j + 1]], parcel.lines[idx[start]], True))
                start = j + 1
        if start < len(idx):
            rings.append(_Ring(label, xy[idx[start:]], parcel.lines[idx[start]], False))
    return rings


def _polygon(rings: list[_Ring], label: str, path: str, warnings: list[str]):
    """Polygon or MultiPolygon from rings classified by containment (not by 圈号 or orientation)."""
    for r in rings:
        distinct = len(np.unique(r.coords, axis=0))
        if distinct < 3:
            raise InputError(f"ring {r.label} of the parcel has {distinct} distinct point(s); a ring needs at "
                             "least 3", path=path, line=r.first_line)
        if not r.explicit_close:
            r.coords = np.vstack([r.coords, r.coords[:1]])
            warnings.append(f"{label}: ring {r.label} is not closed (its last point differs from its first): "
                            "closed")
    coords = np.vstack([r.coords for r in rings])
    index = np.repeat(np.arange(len(rings)), [len(r.coords) for r in rings])
    polys = shapely.polygons(shapely.linearrings(coords, indices=index))
    area = shapely.area(polys)
    n = len(polys)

    # inside[j, i]: ring i lies inside ring j (equal rings: the later one inside the earlier)
    inside = shapely.covers(polys[:, None], polys[None, :])
    larger = (area[:, None] > area[None, :]) | ((area[:, None] == area[None, :])
                                                & (np.arange(n)[:, None] < np.arange(n)[None, :]))
    inside &= larger
    np.fill_diagonal(inside, False)
    depth = inside.sum(axis=0)
    crossing = shapely.overlaps(polys[:, None], polys[None, :])
    if crossing.any():
        i, j = np.argwhere(np.triu(crossing))[0]
        warnings.append(f"{label}: rings {rings[i].label} and {rings[j].label} cross each other: the "
                        "geometry is invalid")
    for k in np.flatnonzero(~shapely.is_valid(polys)):
        reason = shapely.is_valid_reason(polys[k])
        collinear = shapely.area(shapely.convex_hull(polys[k])) == 0
        what = "has zero area (its points are collinear)" if collinear else f"crosses or touches itself ({reason})"
        warnings.append(f"{label}: ring {rings[k].label} {what}: the geometry is invalid")

    shells = np.flatnonzero(depth % 2 == 0)
    holes_of = {int(s): [] for s in shells}
    for h in np.flatnonzero(depth % 2 == 1):
        containers = np.flatnonzero(inside[:, h])
        parent = int(containers[np.argmax(depth[containers])])
        holes_of[parent].append(rings[h].coords)
    parts = [shapely.Polygon(rings[s].coords, holes_of[int(s)]) for s in shells]

    top = np.flatnonzero(depth == 0)
    outer = int(top[np.argmax(area[top])])
    roles = ["outer" if k == outer else "part" if d == 0 else "hole" if d % 2 else "island"
             for k, d in enumerate(depth)]
    geom = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    return geom, len(parts), int((depth % 2 == 1).sum()), roles


def _lines(rings: list[_Ring], path: str):
    for r in rings:
        if len(np.unique(r.coords, axis=0)) < 2:
            raise InputError(f"line {r.label} of the parcel has fewer than 2 distinct points", path=path,
                             line=r.first_line)
    lines = [shapely.LineString(r.coords) for r in rings]
    geom = lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)
    return geom, len(lines), 0, ["line"] * len(rings)


def _frame(rows: list[dict], crs) -> gpd.GeoDataFrame:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns and k != "geometry")
    numeric = {"index", "line", "rings", "parts", "holes", "points"}
    # text columns keep None for empty fields (object dtype, not pandas' NaN-holding string dtype)
    df = pd.DataFrame({c: pd.Series([row.get(c) for row in rows], dtype=None if c in numeric else object)
                       for c in columns})
    declared = [row["declared_area"] for row in rows]
    df["declared_area"] = pd.Series(declared, dtype=object if None in declared else float)
    return gpd.GeoDataFrame(df, geometry=[row["geometry"] for row in rows], crs=crs)


