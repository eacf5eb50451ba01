"""Reading layers and projects: the entry points of the Python API.

Example
-------
>>> import redline, geopandas as gpd, shapely, tempfile, os
>>> f = os.path.join(tempfile.mkdtemp(), "红线.gpkg")
>>> gpd.GeoDataFrame({"HXMC": ["红线一"]}, geometry=[shapely.box(37465000, 4200000, 37466000, 4201000)],
...                  crs=4525).to_file(f)
>>> rl = redline.read_layer(f, kind="red_line")
>>> rl["name"].tolist(), redline.layer_info(rl).crs["epsg"]
(['红线一'], 4525)
"""

from __future__ import annotations

import os

import geopandas as gpd

from redline.layers.errors import UsageError
from redline.layers.info import LayerInfo, layer_info
from redline.layers.project import Project, find_project

__all__ = ["LayerInfo", "Project", "as_project", "layer_info", "layer_ref", "read_layer"]


def read_layer(path: str | os.PathLike, *, layer: str | None = None, kind: str | None = None,
               crs: str | int | None = None, encoding: str | None = None, repair: bool = False,
               towgs84: str | None = None, gcj02: bool = False) -> gpd.GeoDataFrame:
    """Read a planning layer from the files users have.

    Parameters
    ----------
    path : path
        A Shapefile (GBK attribute tables without ``.cpg`` included), GeoPackage, GeoJSON, KML, KMZ, File
        Geodatabase (``.gdb`` folder), GeoParquet, FlatGeobuf, CSV of points, 国土TXT file, DXF drawing, or a
        zip holding any of them. ``PATH:LAYER`` names a layer inside (``示范县.gpkg:生态保护红线``,
        ``资料.zip:红线``, ``总图.dxf:用地红线``); a file with several layers and none named is an error
        listing them.
    layer : str, optional
        The layer inside, as ``PATH:LAYER`` names it.
    kind : str, optional
        The layer kind (``red_line``, ``basic_farmland``, ``protected_area``, ``site`` …): adds the kind's
        canonical columns (``name``, ``code``, ``zone`` …) found under the field names real data uses.
    crs : str or int, optional
        The CRS when the file has none (else it is placed by its coordinates, with a warning), or instead of
        the one it declares (a declared CRS its coordinates contradict is an error). A DXF drawing needs it.
    encoding : str, optional
        The attribute encoding, overriding ``.cpg`` and detection.
    repair : bool
        Repair invalid geometries (``make_valid``); the change is reported.
    towgs84 : str, optional
        Parameters converting a Xi'an 1980 / Beijing 1954 layer to CGCS2000 (3 or 7 numbers).
    gcj02 : bool
        The file is longitude/latitude in GCJ-02 (exported from 高德/腾讯 web maps): converted to
        WGS84/CGCS2000 (iterated inverse, within 0.01 m).

    Returns
    -------
    GeoDataFrame
        With its :class:`LayerInfo` (``redline.layer_info(gdf)``): format, encoding and CRS and how each was
        determined, invalid geometries, the field mapping, warnings.

    Raises
    ------
    redline.layers.errors.InputError
        A missing, empty, truncated or unreadable file, or coordinates that cannot be placed.
    """
    from redline.layers.readers import read_layer as read

    return read(path, layer, encoding=encoding, crs=crs, kind=kind, repair=repair, towgs84=towgs84, gcj02=gcj02)


def as_project(project: Project | str | os.PathLike | None) -> Project | None:
    """A :class:`Project` from a project, a ``redline.toml`` path or a folder holding one; ``None`` means the
    ``redline.toml`` of the current folder if there is one.

    >>> as_project(None) is None or isinstance(as_project(None), Project)
    True
    """
    if project is None or isinstance(project, Project):
        return project if project is not None else find_project(None)
    return Project.load(project)


def layer_ref(ref: gpd.GeoDataFrame | str | os.PathLike, project: Project | None = None, *, gcj02: bool = False,
              repair: bool = False) -> tuple[gpd.GeoDataFrame, dict | None]:
    """A layer given as a GeoDataFrame, a file (``PATH`` or ``PATH:LAYER``), or a layer id (or kind) of
    ``project``; with its input record for the provenance (None for a GeoDataFrame).

    ``gcj02``: a file in longitude/latitude is GCJ-02 and converted (a projected one never is; project
    layers say it with their own ``datum``). ``repair``: invalid geometries of a file repaired (and the
    repair reported) as :func:`read_layer` does.

    Raises
    ------
    UsageError
        ``ref`` is neither a file nor a layer of the project.
    """
    from redline.layers.gcj02 import maybe_from_gcj02
    from redline.layers.paths import LayerPath

    if isinstance(ref, gpd.GeoDataFrame):
        return ref, None
    lp = LayerPath.parse(ref)
    if os.path.lexists(lp.file):   # a dangling link or a link loop too: read_layer names the fault
        gdf = read_layer(lp, repair=repair)
        return (maybe_from_gcj02(gdf) if gcj02 else gdf), file_record_of(lp)
    if project is None:
        raise UsageError(f"{str(ref)!r} is neither a file nor a layer of a project (no redline.toml here; "
                         "give --project)")
    spec = project.spec(str(ref))
    return project.layer(spec.id, repair=repair), file_record_of(spec.path, vintage=spec.date, source=spec.source)


def file_record_of(ref, **kw) -> dict:
    """The provenance record of a file named ``PATH`` or ``PATH:LAYER``: the file hashed, the layer inside
    under ``file_layer``."""
    from redline.layers.outputs import file_record
    from redline.layers.paths import LayerPath

    lp = LayerPath.parse(ref)
    rec = file_record(lp.file, **kw)
    if lp.layer is not None:
        rec["file_layer"] = lp.layer
    return rec


def layer_name(ref) -> str | None:
    """How a layer reference is named in results: its path or id; None for a GeoDataFrame."""
    return None if isinstance(ref, gpd.GeoDataFrame) else str(ref)
