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
               towgs84: str | None = None) -> gpd.GeoDataFrame:
    """Read a planning layer from the files users have.

    Parameters
    ----------
    path : path
        A Shapefile (GBK attribute tables without ``.cpg`` included), GeoPackage, GeoJSON, KML, File
        Geodatabase (``.gdb`` folder), GeoParquet, FlatGeobuf, CSV of points or 国土TXT file.
    layer : str, optional
        The layer of a GeoPackage, File Geodatabase or KML with several.
    kind : str, optional
        The layer kind (``red_line``, ``basic_farmland``, ``protected_area``, ``site`` …): adds the kind's
        canonical columns (``name``, ``code``, ``zone`` …) found under the field names real data uses.
    crs : str or int, optional
        The CRS when the file has none (else it is placed by its coordinates, with a warning).
    encoding : str, optional
        The attribute encoding, overriding ``.cpg`` and detection.
    repair : bool
        Repair invalid geometries (``make_valid``); the change is reported.
    towgs84 : str, optional
        Parameters converting a Xi'an 1980 / Beijing 1954 layer to CGCS2000 (3 or 7 numbers).

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

    return read(path, layer, encoding=encoding, crs=crs, kind=kind, repair=repair, towgs84=towgs84)


def as_project(project: Project | str | os.PathLike | None) -> Project | None:
    """A :class:`Project` from a project, a ``redline.toml`` path or a folder holding one; ``None`` means the
    ``redline.toml`` of the current folder if there is one.

    >>> as_project(None) is None or isinstance(as_project(None), Project)
    True
    """
    if project is None or isinstance(project, Project):
        return project if project is not None else find_project(None)
    return Project.load(project)


def layer_ref(ref: gpd.GeoDataFrame | str | os.PathLike, project: Project | None = None, *, repair: bool = False
              ) -> tuple[gpd.GeoDataFrame, dict | None]:
    """A layer given as a GeoDataFrame, a file, or a layer id (or kind) of ``project``; with its input record
    for the provenance (None for a GeoDataFrame). ``repair``: invalid geometries of a file repaired (and the
    repair reported) as :func:`read_layer` does.

    Raises
    ------
    UsageError
        ``ref`` is neither a file nor a layer of the project.
    """
    from redline.layers.outputs import file_record

    if isinstance(ref, gpd.GeoDataFrame):
        return ref, None
    if os.path.exists(ref):
        return read_layer(ref, repair=repair), file_record(ref)
    if project is None:
        raise UsageError(f"{str(ref)!r} is neither a file nor a layer of a project (no redline.toml here; "
                         "give --project)")
    spec = project.spec(str(ref))
    return project.layer(spec.id, repair=repair), file_record(spec.path, vintage=spec.date, source=spec.source)


def layer_name(ref) -> str | None:
    """How a layer reference is named in results: its path or id; None for a GeoDataFrame."""
    return None if isinstance(ref, gpd.GeoDataFrame) else str(ref)
