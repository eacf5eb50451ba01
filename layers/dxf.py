"""DXF drawings of project sites (from design institutes), read through GDAL's DXF driver.

A drawing holds every entity in one GDAL layer; the CAD layer (图层) of each is its ``Layer`` field, and
``总图.dxf:用地红线`` names one (see :mod:`redline.layers.paths`). What is kept:

- closed polylines (closed flag, or first vertex = last) become polygons, hatches are polygons already;
- when the chosen features include polygons, open lines are dropped (a site drawing's parcels are its
  closed outlines; dimension and leader lines are not); otherwise lines are kept (a road's centre line);
- points, texts and paper-space entities (the sheet's frame and viewports) are dropped;
- z values are dropped.

When no CAD layer is named and more than one holds lines or polygons, reading stops and lists them (with
how many outlines each holds): a drawing's frame (图框) is a closed polyline too, so redline never guesses.

Text encoding: a drawing of AutoCAD 2007 or later (``$ACADVER`` AC1021 and up) is UTF-8; an older one is
in its ``$DWGCODEPAGE`` (``ANSI_936`` is GBK), and the bytes decide (UTF-8 if valid, else GBK/GB18030).
``--encoding`` overrides. A DXF has no coordinate system: the reader asks for one (``--crs``).

Example
-------
>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "总图.dxf")
>>> path = write_minimal_dxf(path, {"用地红线": [[(37465000, 4200000), (37465100, 4200000), (37465100, 4200100),
...                                                 (37465000, 4200100)]]})
>>> gdf, layer, warns, enc = read_dxf(path)
>>> gdf.geometry.area.tolist(), layer, enc["value"]
([10000.0], '用地红线', 'utf-8')
"""

from __future__ import annotations

import os
import re
import warnings as _warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from redline.layers.errors import InputError

_HEADER_BYTES = 1 << 16
_CODEPAGES = {"ANSI_936": "gbk", "ANSI_950": "big5", "ANSI_932": "shift_jis", "ANSI_1252": "cp1252",
              "UTF8": "utf-8", "UTF-8": "utf-8"}


def _header_value(head: bytes, name: bytes) -> str | None:
    m = re.search(rb"\$" + name + rb"\s*\r?\n\s*\d+\s*\r?\n([^\r\n]*)", head)
    return m.group(1).decode("ascii", errors="replace").strip() if m else None


def dxf_encoding(path: str | os.PathLike, encoding: str | None = None) -> dict:
    """``{"value", "source"}``: the text encoding of a DXF file and how it was decided (module docstring)."""
    from redline.layers.text import decode_text

    if encoding:
        return {"value": encoding, "source": "given with --encoding"}
    data = Path(path).read_bytes()
    version = _header_value(data[:_HEADER_BYTES], b"ACADVER") or ""
    if re.fullmatch(r"AC10(\d\d)", version) and int(version[4:]) >= 21:
        return {"value": "utf-8", "source": f"$ACADVER {version}: a drawing of AutoCAD 2007 or later is UTF-8"}
    page = _header_value(data[:_HEADER_BYTES], b"DWGCODEPAGE")
    d = decode_text(data, path=str(path), what="DXF drawing", fallback=_CODEPAGES.get((page or "").upper(), "latin-1"))
    value = "gbk" if d.encoding in ("gbk", "gb18030") else "utf-8" if d.encoding.startswith("utf-8") else d.encoding
    said = f"$DWGCODEPAGE {page}; " if page else "no $DWGCODEPAGE; "
    return {"value": value, "source": said + d.reason}


def _read_raw(path: Path) -> gpd.GeoDataFrame:
    """Every entity, its text fields as the file's bytes (read as ISO-8859-1, to be decoded here)."""
    before = pyogrio.get_gdal_config_option("DXF_ENCODING")
    pyogrio.set_gdal_config_options({"DXF_ENCODING": "ISO-8859-1"})
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)
            return pyogrio.read_dataframe(path)
    except Exception as exc:  # GDAL errors on damaged drawings come in many classes
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read as DXF (damaged drawing?): {text[:300]}", path=str(path)) from None
    finally:
        pyogrio.set_gdal_config_options({"DXF_ENCODING": before})


def _decode_columns(gdf: gpd.GeoDataFrame, encoding: str, path: Path) -> None:
    codec = "gb18030" if encoding.lower() in ("gbk", "gb2312", "cp936", "936") else encoding
    for col in gdf.columns:
        if col == gdf.geometry.name or not (gdf[col].dtype == object or pd.api.types.is_string_dtype(gdf[col])):
            continue
        try:
            gdf[col] = [v.encode("latin-1").decode(codec) if isinstance(v, str) else v for v in gdf[col]]
        except (UnicodeDecodeError, UnicodeEncodeError):
            raise InputError(f"the drawing's text is not valid {encoding}: give the right one with --encoding",
                             path=str(path)) from None


def _closed_to_polygons(geoms: np.ndarray) -> np.ndarray:
    """Closed line strings (at least 4 vertices, first = last) as polygons; others unchanged."""
    out = geoms.copy()
    lines = np.flatnonzero(shapely.get_type_id(geoms) == 1)
    if len(lines):
        cand = geoms[lines]
        closed = shapely.is_closed(cand) & (shapely.get_num_coordinates(cand) >= 4)
        for i in lines[closed]:
            out[i] = shapely.Polygon(shapely.get_coordinates(geoms[i]))
    return out


_FAMILY = {0: "point", 1: "line", 2: "line", 3: "polygon", 4: "point", 5: "line", 6: "polygon", 7: "other"}


def read_dxf(path: str | os.PathLike, layer: str | None = None, *, encoding: str | None = None
             ) -> tuple[gpd.GeoDataFrame, str | None, list[str], dict]:
    """The outlines of a DXF drawing (module docstring): ``(GeoDataFrame without CRS, the CAD layer read or
    None for several named none, warnings, encoding info)``.

    Raises
    ------
    InputError
        An unreadable drawing; no polyline or hatch; no CAD layer ``layer``; several CAD layers with outlines
        and none named.
    """
    path = Path(path)
    enc = dxf_encoding(path, encoding)
    gdf = _read_raw(path)
    _decode_columns(gdf, enc["value"], path)
    warns: list[str] = []
    geoms = shapely.force_2d(np.asarray(gdf.geometry.values, dtype=object))
    geoms = _closed_to_polygons(geoms)
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index))
    paper = (pd.to_numeric(gdf["PaperSpace"], errors="coerce").fillna(0).to_numpy() != 0) \
        if "PaperSpace" in gdf.columns else np.zeros(len(gdf), bool)
    fam = np.array([_FAMILY.get(int(t), "other") if t >= 0 else "none"
                    for t in shapely.get_type_id(geoms)], dtype=object)
    shape = ~paper & np.isin(fam, ("line", "polygon")) & ~shapely.is_empty(geoms)
    cad = gdf["Layer"].fillna("").astype(str).to_numpy() if "Layer" in gdf.columns else np.full(len(gdf), "")
    counts = {name: (int(((cad == name) & shape & (fam == "polygon")).sum()),
                     int(((cad == name) & shape & (fam == "line")).sum())) for name in dict.fromkeys(cad[shape])}

    def listing() -> str:
        return ", ".join(f"{n or '(no name)'} ({p} closed, {ln} open)" for n, (p, ln) in counts.items())

    if not counts:
        raise InputError("the drawing holds no polyline, line or hatch in model space (only texts, points or "
                         "blocks): nothing to read as a layer", path=str(path))
    if layer is None:
        if len(counts) > 1:
            first = next(iter(counts))
            raise InputError(f"the drawing has lines or outlines on {len(counts)} CAD layers: {listing()}; name "
                             f"the one to read as {path.name}:LAYER (e.g. {path.name}:{first})", path=str(path))
        chosen = next(iter(counts))
    else:
        match = [n for n in counts if n == layer] or [n for n in counts if n.lower() == layer.lower()]
        if not match:
            raise InputError(f"the drawing has no CAD layer {layer!r} with lines or outlines (layers: {listing()})",
                             path=str(path))
        chosen = match[0]
    keep = shape & (cad == chosen)
    polygons = keep & (fam == "polygon")
    dropped = []
    if polygons.any():
        n_open = int((keep & (fam == "line")).sum())
        if n_open:
            dropped.append(f"{n_open} open line(s) on layer {chosen!r}")
        keep = polygons
    others = int(((cad == chosen) & ~paper & ~shape).sum())
    if others:
        dropped.append(f"{others} point(s) or text(s) on layer {chosen!r}")
    if paper.any():
        dropped.append(f"{int(paper.sum())} paper-space entit{'y' if paper.sum() == 1 else 'ies'} (sheet frame, "
                       "viewports)")
    if dropped:
        warns.append("DXF: read the " + ("closed outlines" if polygons.any() else "lines") + f" of CAD layer "
                     f"{chosen!r} as {'polygons' if polygons.any() else 'lines'}; left out " + "; ".join(dropped))
    out = gdf.loc[keep].reset_index(drop=True)
    drop = [c for c in ("PaperSpace", "SubClasses", "Linetype") if c in out.columns]
    out = gpd.GeoDataFrame(out.drop(columns=drop), geometry=out.geometry.name, crs=None)
    return out, chosen, warns, enc


def write_minimal_dxf(path: str | os.PathLike, outlines: dict[str, list[list[tuple[float, float]]]], *,
                      lines: dict[str, list[list[tuple[float, float]]]] | None = None,
                      texts: dict[str, list[tuple[float, float, str]]] | None = None,
                      encoding: str = "utf-8", version: str = "AC1021", codepage: str = "ANSI_936") -> Path:
    """Write a minimal DXF (a header and LWPOLYLINE / TEXT entities): closed ``outlines`` and open ``lines``
    by CAD layer, and ``texts``. For tests and examples; a real drawing has much more.

    >>> import tempfile, os
    >>> p = write_minimal_dxf(os.path.join(tempfile.mkdtemp(), "a.dxf"), {"红线": [[(0, 0), (1, 0), (1, 1)]]})
    >>> p.read_text(encoding="utf-8").count("LWPOLYLINE")
    1
    """
    out = ["0", "SECTION", "2", "HEADER", "9", "$ACADVER", "1", version, "9", "$DWGCODEPAGE", "3", codepage,
           "0", "ENDSEC", "0", "SECTION", "2", "ENTITIES"]

    def poly(layer: str, pts, closed: bool) -> None:
        out.extend(["0", "LWPOLYLINE", "8", layer, "90", str(len(pts)), "70", "1" if closed else "0"])
        for x, y in pts:
            out.extend(["10", repr(float(x)), "20", repr(float(y))])

    for layer, rings in outlines.items():
        for pts in rings:
            poly(layer, pts, True)
    for layer, paths in (lines or {}).items():
        for pts in paths:
            poly(layer, pts, False)
    for layer, items in (texts or {}).items():
        for x, y, text in items:
            out.extend(["0", "TEXT", "8", layer, "10", repr(float(x)), "20", repr(float(y)), "40", "2.5", "1", text])
    out.extend(["0", "ENDSEC", "0", "EOF"])
    path = Path(path)
    path.write_bytes(("\r\n".join(out) + "\r\n").encode(encoding))
    return path
