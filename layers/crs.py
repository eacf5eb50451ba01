"""Coordinate reference systems used in Chinese planning data, and placing data that has none.

EPSG codes follow the domain reference: CGCS2000 (4490 geographic; 3-degree Gauss-Krüger zones
with zone-prefixed eastings 4513-4533, without prefix 4534-4554; 6-degree 4491-4501 / 4502-4512),
Xi'an 1980 (4610; 2349-2369 / 2370-2390; 2327-2337 / 2338-2348) and Beijing 1954
(4214; 2401-2421 / 2422-2442; 6-degree 21413-21423 / 21473-21483).

Example
-------
>>> gk_epsg("cgcs2000", 3, zone=38, prefixed=True)
4526
>>> sniff_crs(38401000.0, 38401100.0, 4140000.0, 4140100.0).epsg
4526
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyproj

from redline.layers.errors import InputError, UsageError

DATUMS = ("cgcs2000", "xian1980", "beijing1954")

GEOGRAPHIC = {"cgcs2000": 4490, "xian1980": 4610, "beijing1954": 4214}
# (first EPSG code, first zone) per (datum, zone width, prefixed)
_GK_TABLE = {
    ("cgcs2000", 3, True): (4513, 25),
    ("cgcs2000", 3, False): (4534, 25),
    ("cgcs2000", 6, True): (4491, 13),
    ("cgcs2000", 6, False): (4502, 13),
    ("xian1980", 3, True): (2349, 25),
    ("xian1980", 3, False): (2370, 25),
    ("xian1980", 6, True): (2327, 13),
    ("xian1980", 6, False): (2338, 13),
    ("beijing1954", 3, True): (2401, 25),
    ("beijing1954", 3, False): (2422, 25),
    ("beijing1954", 6, True): (21413, 13),
    ("beijing1954", 6, False): (21473, 13),
}
ZONES = {3: range(25, 46), 6: range(13, 24)}

DATUM_ALIASES = {
    "cgcs2000": ["2000国家大地坐标系", "国家2000", "cgcs2000", "cgcs 2000", "2000坐标系", "cgcs_2000", "2000"],
    "xian1980": ["80国家大地坐标系", "1980西安坐标系", "西安80", "西安1980", "xian80", "xian1980", "xian 1980", "1980"],
    "beijing1954": ["1954北京坐标系", "北京54", "北京1954", "beijing54", "beijing1954", "beijing 1954", "1954"],
    "wgs84": ["wgs84", "wgs-84", "wgs 84", "wgs84坐标系"],
}

DATUM_LABELS = {"cgcs2000": "2000国家大地坐标系", "xian1980": "1980西安坐标系",
                "beijing1954": "1954北京坐标系", "wgs84": "WGS84坐标系"}


@dataclass
class CrsGuess:
    """A CRS and how it was determined (``source``: 'file', 'header', 'coordinates', 'user')."""

    epsg: int | None
    source: str
    warnings: list[str] = field(default_factory=list)

    @property
    def crs(self) -> pyproj.CRS | None:
        return None if self.epsg is None else pyproj.CRS.from_epsg(self.epsg)

    @property
    def name(self) -> str | None:
        return None if self.epsg is None else self.crs.name

    def as_dict(self) -> dict:
        return {"epsg": self.epsg, "name": self.name, "source": self.source}


def parse_datum(text: str | None) -> str | None:
    """Map a datum label as written in files (``2000国家大地坐标系``, ``CGCS2000``, ...) to an id."""
    if not text:
        return None
    t = text.strip().lower().replace("（", "(").replace("）", ")")
    for datum, aliases in DATUM_ALIASES.items():
        for a in aliases:
            if len(a) > 4 and a in t:
                return datum
    for datum, aliases in DATUM_ALIASES.items():
        if any(t == a for a in aliases):
            return datum
    if "2000" in t:
        return "cgcs2000"
    if "西安" in t or "80" in t:
        return "xian1980"
    if "北京" in t or "54" in t:
        return "beijing1954"
    return None


def central_meridian(zone: int, width: int) -> int:
    """Central meridian (degrees east) of a Gauss-Krüger zone: 3N for 3-degree, 6N-3 for 6-degree."""
    return 3 * zone if width == 3 else 6 * zone - 3


def zone_of_meridian(cm: float, width: int) -> int:
    """Zone number whose central meridian is ``cm``."""
    return round(cm / 3) if width == 3 else round((cm + 3) / 6)


def gk_epsg(datum: str, width: int, *, zone: int, prefixed: bool) -> int:
    """EPSG code of a Gauss-Krüger zone.

    Examples
    --------
    >>> gk_epsg("cgcs2000", 3, zone=37, prefixed=False)
    4546
    >>> gk_epsg("xian1980", 3, zone=37, prefixed=False)
    2382
    """
    if datum == "wgs84":
        datum = "cgcs2000"
    key = (datum, width, prefixed)
    if key not in _GK_TABLE:
        raise InputError(f"no Gauss-Krüger zones known for datum {datum!r} and zone width {width}")
    if zone not in ZONES[width]:
        raise InputError(f"{width}-degree zone {zone} is not a zone that covers China "
                         f"({ZONES[width].start}-{ZONES[width].stop - 1})")
    first, first_zone = _GK_TABLE[key]
    return first + zone - first_zone


def describe_gk(epsg: int) -> dict | None:
    """Inverse of :func:`gk_epsg`: ``{"datum", "width", "zone", "prefixed", "cm"}`` or None."""
    for (datum, width, prefixed), (first, first_zone) in _GK_TABLE.items():
        n = len(ZONES[width])
        if first <= epsg < first + n:
            zone = first_zone + epsg - first
            return {"datum": datum, "width": width, "zone": zone, "prefixed": prefixed,
                    "cm": central_meridian(zone, width)}
    return None


def datum_of(crs: pyproj.CRS | None) -> str | None:
    """'cgcs2000', 'xian1980', 'beijing1954', 'wgs84' or None for other datums."""
    if crs is None:
        return None
    name = (crs.geodetic_crs.name if crs.geodetic_crs else crs.name).lower()
    if "2000" in name and ("china" in name or "cgcs" in name):
        return "cgcs2000"
    if "xian" in name or "xi'an" in name:
        return "xian1980"
    if "beijing" in name:
        return "beijing1954"
    if "wgs" in name and "84" in name:
        return "wgs84"
    return None


def is_prefixed_easting(x: float) -> bool:
    return 13_000_000 <= x < 46_000_000


def sniff_crs(xmin: float, xmax: float, ymin: float, ymax: float, *, datum: str | None = None,
              zone: int | None = None, width: int | None = None, what: str = "the data") -> CrsGuess:
    """Place data that has no CRS by the magnitude of its coordinates.

    ``x`` is the easting (or longitude), ``y`` the northing (or latitude).

    - longitudes 73-136 and latitudes 3-54: CGCS2000 geographic (EPSG:4490)
    - 8-digit eastings: the Gauss-Krüger zone from the prefix (3-degree zones 25-45, 6-degree 13-23)
    - 6-digit eastings: the zone must be given (``zone``, ``width``), otherwise an error asks for ``--crs``

    Raises
    ------
    InputError
        When the coordinates fit no Chinese zone, or the zone cannot be known.

    Examples
    --------
    >>> sniff_crs(111.2, 111.9, 37.1, 37.8).epsg
    4490
    >>> sniff_crs(498000, 498750, 4160000, 4160550, datum="xian1980", zone=37, width=3).epsg
    2382
    """
    datum = datum or "cgcs2000"
    warnings: list[str] = []
    if datum == "wgs84":
        warnings.append("WGS84 coordinates are taken as CGCS2000 (they differ by centimetres to a metre)")
        datum = "cgcs2000"
    if datum in ("xian1980", "beijing1954"):
        warnings.append(f"{DATUM_LABELS[datum]} data is kept in its datum: it is never converted to CGCS2000 "
                        "without transformation parameters you supply")
    if 73 <= xmin and xmax <= 136 and 3 <= ymin and ymax <= 54:
        return CrsGuess(GEOGRAPHIC[datum], "coordinates",
                        warnings + [f"no CRS in {what}: longitude/latitude ranges place it in "
                                    f"{DATUM_LABELS[datum]} geographic coordinates"])
    if not (1_000_000 <= ymin and ymax <= 6_000_000):
        raise InputError(f"coordinates of {what} fit no Chinese zone: northings {ymin:.0f}-{ymax:.0f} "
                         "are not 7-digit Gauss-Krüger northings; give the CRS with --crs")
    if is_prefixed_easting(xmin) and is_prefixed_easting(xmax):
        pmin, pmax = int(xmin // 1_000_000), int(xmax // 1_000_000)
        if pmin != pmax:
            raise InputError(f"eastings of {what} carry different zone prefixes ({pmin} and {pmax})")
        prefix_width = 3 if pmin in ZONES[3] else 6 if pmin in ZONES[6] else None
        if prefix_width is None:
            raise InputError(f"easting prefix {pmin} of {what} is no Gauss-Krüger zone of China "
                             "(3-degree 25-45, 6-degree 13-23)")
        if width is not None and width != prefix_width:
            warnings.append(f"zone width {width}° stated, but the easting prefix {pmin} is a {prefix_width}° zone: "
                            f"using the prefix")
        if zone is not None and zone != pmin:
            warnings.append(f"zone {zone} stated, but the eastings carry prefix {pmin}: using the prefix")
        epsg = gk_epsg(datum, prefix_width, zone=pmin, prefixed=True)
        return CrsGuess(epsg, "coordinates", warnings + [
            f"no CRS in {what}: the easting prefix {pmin} places it in {pyproj.CRS.from_epsg(epsg).name}"])
    if 100_000 <= xmin and xmax <= 900_000:
        if zone is None:
            raise InputError(f"no CRS in {what} and its eastings ({xmin:.0f}-{xmax:.0f}) carry no zone prefix: "
                             "the zone cannot be known; give the CRS with --crs (e.g. --crs EPSG:4546)")
        if width is None:
            width = 3 if zone in ZONES[3] else 6
        epsg = gk_epsg(datum, width, zone=zone, prefixed=False)
        return CrsGuess(epsg, "header", warnings)
    raise InputError(f"coordinates of {what} fit no Chinese zone: eastings {xmin:.0f}-{xmax:.0f}, "
                     f"northings {ymin:.0f}-{ymax:.0f}; give the CRS with --crs")


def parse_crs(text: str | int) -> pyproj.CRS:
    """A CRS from what a user types: ``4526``, ``EPSG:4526``, a WKT or PROJ string.

    Raises
    ------
    UsageError
        A CRS PROJ does not know (a usage error: the user typed it).
    """
    try:
        if isinstance(text, int) or str(text).strip().isdigit():
            return pyproj.CRS.from_epsg(int(text))
        return pyproj.CRS.from_user_input(str(text).strip())
    except pyproj.exceptions.CRSError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise UsageError(f"unknown CRS {text!r}" + (f": {detail}" if detail else "")) from None


def parse_towgs84(text: str | list | tuple | None) -> tuple[float, ...] | None:
    """Datum-transformation parameters: three (``dx,dy,dz``, metres) or seven (``dx,dy,dz,rx,ry,rz,ds``:
    metres, arc-seconds, ppm; PROJ's ``+towgs84`` position-vector convention, as in 国土TXT's 转换参数).

    Full-width commas, semicolons and spaces are accepted; None stays None.

    Raises
    ------
    UsageError
        Not three or seven finite numbers.

    Examples
    --------
    >>> parse_towgs84("15.8, -154.4，-82.3,0,0,0,0")
    (15.8, -154.4, -82.3, 0.0, 0.0, 0.0, 0.0)
    >>> parse_towgs84("1,2,3")
    (1.0, 2.0, 3.0)
    """
    if text is None:
        return None
    items = list(text) if isinstance(text, (list, tuple)) else \
        [p for p in str(text).replace("，", ",").replace(";", ",").split(",")]
    try:
        values = tuple(float(str(v).strip()) for v in items)
    except ValueError:
        raise UsageError(f"--towgs84 {text!r}: the parameters dx,dy,dz[,rx,ry,rz,ds] must be numbers") from None
    if len(values) not in (3, 7) or not all(math.isfinite(v) for v in values):
        raise UsageError(f"--towgs84 {text!r}: give 3 numbers dx,dy,dz (metres) or 7 numbers "
                         f"dx,dy,dz,rx,ry,rz,ds (metres, arc-seconds, ppm), not {len(values)}")
    return values


def proj4_without_towgs84(crs: pyproj.CRS) -> str:
    """The PROJ string of a CRS without ``+type=crs`` or any ``+towgs84``.

    >>> proj4_without_towgs84(pyproj.CRS.from_epsg(4526)).startswith("+proj=tmerc")
    True
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        text = crs.to_proj4()
    return " ".join(t for t in text.split() if not t.startswith(("+type=", "+towgs84=")))


def with_towgs84(crs: pyproj.CRS, params: tuple[float, ...]) -> pyproj.CRS:
    """The CRS with the given ``+towgs84`` parameters (3 or 7 numbers).

    >>> with_towgs84(pyproj.CRS.from_epsg(2382), (1.0, 2.0, 3.0)).to_proj4().count("+towgs84=1,2,3")
    1
    """
    return pyproj.CRS.from_proj4(f"{proj4_without_towgs84(crs)} +towgs84={','.join(f'{v:.10g}' for v in params)}")


def cgcs2000_counterpart(crs: pyproj.CRS | None) -> int | None:
    """The CGCS2000 CRS (EPSG) matching a Xi'an 1980 / Beijing 1954 one: same zone width, zone and prefix
    style, or EPSG:4490 for geographic coordinates. None when the CRS is no such zone.

    Examples
    --------
    >>> cgcs2000_counterpart(pyproj.CRS.from_epsg(2382))   # Xi'an 1980 3-degree CM 111°E
    4546
    >>> cgcs2000_counterpart(pyproj.CRS.from_epsg(2401))   # Beijing 1954 3-degree zone 25
    4513
    """
    if crs is None or datum_of(crs) not in ("xian1980", "beijing1954"):
        return None
    if crs.is_geographic:
        return GEOGRAPHIC["cgcs2000"]
    info = describe_gk(epsg_of(crs) or 0)
    if info is None or info["datum"] not in ("xian1980", "beijing1954"):
        return None
    return gk_epsg("cgcs2000", info["width"], zone=info["zone"], prefixed=info["prefixed"])


def epsg_of(crs: pyproj.CRS | None) -> int | None:
    """The EPSG code of a CRS, also for ESRI-style WKT of the Chinese zones."""
    if crs is None:
        return None
    code = crs.to_epsg(min_confidence=70)
    if code is not None:
        return code
    try:
        ids = crs.list_authority(min_confidence=70)
    except Exception:  # pragma: no cover - older pyproj
        ids = []
    for match in ids:
        if match.auth_name == "EPSG":
            return int(match.code)
    return None


def utm_like_gk_for(lon: float, *, width: int = 3, datum: str = "cgcs2000", prefixed: bool = True) -> int:
    """The Gauss-Krüger zone (EPSG) whose central meridian is nearest ``lon``."""
    zone = zone_of_meridian(lon, width)
    return gk_epsg(datum, width, zone=zone, prefixed=prefixed)


# ---------------------------------------------------------------------------- coordinates against the CRS
# How far outside a CRS's area of use coordinates may lie before they contradict it, in degrees: generous
# (a county drawn in the neighbouring 3° zone, a province in one zone), because the mistakes this catches
# are far larger (a zone prefix is 1,000 km; longitudes read as metres land near the equator).
AREA_MARGIN_LON = 3.0
AREA_MARGIN_LAT = 2.0
CHINA_LONLAT = (73.0, 3.0, 136.0, 54.0)


def transverse_mercator(crs: pyproj.CRS | None) -> tuple[float, float] | None:
    """``(central meridian, false easting)`` of a transverse Mercator (Gauss-Krüger, UTM) CRS, else None.

    >>> transverse_mercator(pyproj.CRS.from_epsg(4526))
    (114.0, 38500000.0)
    """
    op = getattr(crs, "coordinate_operation", None) if crs is not None else None
    if op is None or "transverse mercator" not in (op.method_name or "").lower():
        return None
    values = {p.name.lower(): p.value for p in op.params}
    cm = values.get("longitude of natural origin")
    fe = values.get("false easting")
    return (float(cm), float(fe)) if cm is not None and fe is not None else None


def _zone_prefix(false_easting: float) -> int:
    """The zone prefix a false easting carries (38 for 38,500,000 m; 0 for 500,000 m)."""
    return int(false_easting // 1_000_000)


def area_of_use(crs: pyproj.CRS) -> tuple[float, float, float, float] | None:
    """``(west, south, east, north)`` in degrees where ``crs`` is meant to be used: its own, its EPSG code's
    (an ESRI ``.prj`` carries none), the rough box of China for a Chinese datum, else None."""
    aou = crs.area_of_use
    if aou is None:
        code = epsg_of(crs)
        if code is not None:
            try:
                aou = pyproj.CRS.from_epsg(code).area_of_use
            except pyproj.exceptions.CRSError:
                aou = None
    if aou is not None:
        return (aou.west, aou.south, aou.east, aou.north)
    return CHINA_LONLAT if datum_of(crs) in DATUMS else None


def describe_crs(crs: pyproj.CRS) -> str:
    """A CRS as a message names it: ``CGCS2000 / 3-degree Gauss-Kruger zone 38 (EPSG:4526; central meridian
    114°E, eastings with zone prefix 38)``."""
    code = epsg_of(crs)
    bits = [f"EPSG:{code}"] if code else []
    tm = transverse_mercator(crs)
    if tm is not None:
        cm, fe = tm
        p = _zone_prefix(fe)
        bits.append(f"central meridian {cm:g}°E, " + (f"eastings with zone prefix {p}" if p else
                                                      "eastings without zone prefix"))
    return crs.name + (f" ({'; '.join(bits)})" if bits else "")


def describe_coordinates(xmin: float, ymin: float, xmax: float, ymax: float, *, datum: str | None = None) -> str:
    """What a box of coordinates looks like, and the CRS it fits when it fits one of China's.

    >>> describe_coordinates(37_401_000, 4_140_000, 37_402_000, 4_141_000)
    'are 8-digit eastings with zone prefix 37 (x 37401000…37402000, y 4140000…4141000): they fit CGCS2000 / 3-degree Gauss-Kruger zone 37 (EPSG:4525)'
    """
    box = f"(x {xmin:.10g}…{xmax:.10g}, y {ymin:.10g}…{ymax:.10g})"
    if 73 <= xmin and xmax <= 136 and 3 <= ymin and ymax <= 54:
        what = f"are longitude/latitude {box}"
    elif is_prefixed_easting(xmin) and is_prefixed_easting(xmax) and xmin // 1_000_000 == xmax // 1_000_000:
        what = f"are 8-digit eastings with zone prefix {int(xmin // 1_000_000)} {box}"
    elif 100_000 <= xmin and xmax <= 900_000 and 1_000_000 <= ymin and ymax <= 6_000_000:
        what = f"are eastings without a zone prefix {box}"
    else:
        what = f"are {box}"
    try:
        guess = sniff_crs(xmin, xmax, ymin, ymax, datum=datum if datum in DATUMS else None)
    except InputError:
        return what
    return f"{what}: they fit {guess.name} (EPSG:{guess.epsg})"


def contradicting(crs: pyproj.CRS, bounds) -> np.ndarray:
    """Per box (rows ``xmin, ymin, xmax, ymax``), whether its coordinates cannot be in ``crs``:

    - a transverse Mercator CRS with a zone prefix (false easting N,500,000 m) and eastings that do not
      carry that prefix; one without (500,000 m) and 8-digit eastings;
    - coordinates that do not project back to longitude/latitude, or fall outside the CRS's area of use
      (:func:`area_of_use`) by more than :data:`AREA_MARGIN_LON` / :data:`AREA_MARGIN_LAT` degrees.

    Boxes with NaN (empty geometries) never contradict.

    >>> contradicting(pyproj.CRS.from_epsg(4526), [[37_401_000, 4_140_000, 37_402_000, 4_141_000],
    ...                                            [38_401_000, 4_140_000, 38_402_000, 4_141_000]]).tolist()
    [True, False]
    """
    b = np.atleast_2d(np.asarray(bounds, dtype=float))
    ok = np.isfinite(b).all(axis=1)
    bad = np.zeros(len(b), dtype=bool)
    if not ok.any():
        return bad
    xmin, ymin, xmax, ymax = (b[:, k] for k in range(4))
    tm = transverse_mercator(crs)
    if tm is not None:
        p = _zone_prefix(tm[1])
        if p:
            bad |= ok & ((np.floor(xmin / 1_000_000) != p) | (np.floor(xmax / 1_000_000) != p))
        else:
            bad |= ok & (np.abs(xmax) >= 1_000_000)
    area = area_of_use(crs)
    if crs.is_geographic:
        lon = np.stack([xmin, xmax], axis=1)
        lat = np.stack([ymin, ymax], axis=1)
    else:
        xs = np.stack([xmin, xmax, xmin, xmax, (xmin + xmax) / 2], axis=1)
        ys = np.stack([ymin, ymin, ymax, ymax, (ymin + ymax) / 2], axis=1)
        tr = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        with np.errstate(all="ignore"):
            lon, lat = tr.transform(xs, ys, errcheck=False)
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        bad |= ok & ~(np.isfinite(lon).all(axis=1) & np.isfinite(lat).all(axis=1))
    if area is not None:
        w, s, e, n = area
        with np.errstate(invalid="ignore"):
            out = ((lon < w - AREA_MARGIN_LON) | (lon > e + AREA_MARGIN_LON)
                   | (lat < s - AREA_MARGIN_LAT) | (lat > n + AREA_MARGIN_LAT)).any(axis=1)
        bad |= ok & out
    return bad


def coordinates_contradiction(crs: pyproj.CRS, bounds, *, declared_by: str = "the file's CRS",
                              first: int = 0) -> str | None:
    """The message when coordinates contradict the CRS their file declares (:func:`contradicting`), else None.

    ``bounds`` are the features' boxes (rows ``xmin, ymin, xmax, ymax``); when only some contradict, the
    message names the first (numbered from ``first``) and counts them. ``declared_by`` says where the CRS came
    from (``the .prj``).

    >>> print(coordinates_contradiction(pyproj.CRS.from_epsg(4546), [[38_401_000, 4_140_000, 38_402_000,
    ...                                                               4_141_000]], declared_by="the .prj"))
    the .prj says CGCS2000 / 3-degree Gauss-Kruger CM 111E (EPSG:4546; central meridian 111°E, eastings without zone prefix), but the coordinates are 8-digit eastings with zone prefix 38 (x 38401000…38402000, y 4140000…4141000): they fit CGCS2000 / 3-degree Gauss-Kruger zone 38 (EPSG:4526); give the right CRS with --crs (or fix the .prj)
    """
    b = np.atleast_2d(np.asarray(bounds, dtype=float))
    if not len(b):
        return None
    finite = b[np.isfinite(b).all(axis=1)]
    if not len(finite):
        return None
    total = (finite[:, 0].min(), finite[:, 1].min(), finite[:, 2].max(), finite[:, 3].max())
    if not contradicting(crs, [total])[0]:
        return None
    bad = contradicting(crs, b)
    if not bad.any():
        return None
    fix = "give the right CRS with --crs" + (" (or fix the .prj)" if ".prj" in declared_by else "")
    datum = datum_of(crs)
    if bad.sum() == len(finite):
        return (f"{declared_by} says {describe_crs(crs)}, but the coordinates "
                f"{describe_coordinates(*total, datum=datum)}; {fix}")
    k = int(np.flatnonzero(bad)[0])
    return (f"feature {first + k} cannot be in the CRS {declared_by} says, {describe_crs(crs)}: its coordinates "
            f"{describe_coordinates(*b[k], datum=datum)} ({int(bad.sum())} of {len(finite)} features are so); "
            f"correct or remove them, or {fix}")
