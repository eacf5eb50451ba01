"""Official areas and shares from Python: :func:`area`.

Example
-------
>>> import redline, geopandas as gpd, shapely
>>> county = gpd.GeoDataFrame({"name": ["县"]}, geometry=[shapely.box(37_450_000, 4_200_000, 37_460_000,
...                           4_210_000)], crs=4525)
>>> red = gpd.GeoDataFrame(geometry=[shapely.box(37_450_000, 4_200_000, 37_455_000, 4_210_000),
...                                   shapely.box(37_454_000, 4_200_000, 37_456_000, 4_210_000)], crs=4525)
>>> r = redline.area(red, within=county, unit="km2", decimals=2)
>>> r.total, round(r.share_pct, 2), round(r.overlap_removed_m2 / 1e6, 2)      # 6 km × 10 km, 1 km² twice
(60.0, 60.0, 10.0)
"""

from __future__ import annotations

from redline.layers.errors import UsageError
from redline.layers.outputs import provenance
from redline.reading import as_project, layer_name, layer_ref
from redline.spatial.area_result import AreaResult

__all__ = ["AreaResult", "area", "area_xlsx"]


def area(layer, *, within=None, by: str | None = None, by_zones=None, zone_field: str | None = None,
         unit: str = "ha", decimals: int = 4, planar: bool = False, project=None, engine: str = "local",
         scheduler: str | None = None, workers: int | None = None, gcj02: bool = False) -> AreaResult:
    """The area of a layer with overlapping features counted once, its share of a boundary, and a breakdown.

    Parameters
    ----------
    layer : GeoDataFrame, path, or a project layer id or kind
        Polygons (e.g. the red line). A path may name a layer inside its file: ``PATH:LAYER``
        (``示范县.gpkg:生态保护红线``, ``资料.zip:红线``).
    within : GeoDataFrame, path or layer id, optional
        The boundary (the denominator of shares); default the project's boundary. What lies outside is
        reported, not counted.
    by : str, optional
        Break the total down by this attribute of the layer.
    by_zones : GeoDataFrame, path or layer id, optional
        Break it down by these polygons (e.g. townships), named by ``zone_field`` (default: the name the
        boundary kind's field mapping finds; a field the zones lack is an error listing their fields).
    unit : str
        ``m2``, ``ha`` (公顷), ``km2`` (平方千米), ``mu`` (亩), ``10k_mu`` (万亩), or their Chinese names.
    decimals : int
        Decimals of the rounded figures; rounded rows add up to the rounded total (平差).
    planar : bool
        Planar area in the layer's projected CRS instead of the official ellipsoidal area.
    project : Project or path, optional
        Resolves layer ids; default ``redline.toml`` in the current folder.
    engine : {"local", "dask"}
        ``dask`` spreads the dissolve, clipping and areas over a dask cluster (same result).
    gcj02 : bool
        The files given here (not project layers, which say it with ``datum = "gcj02"``) that are in
        longitude/latitude are GCJ-02 (高德/腾讯 exports): converted on reading. An error when none is.

    Returns
    -------
    AreaResult
        ``rows`` (a DataFrame), ``total``, ``share_pct``, ``overlap_removed_m2``, ``outside_boundary_m2``,
        ``method``, ``warnings``; ``to_dict()`` is what ``redline area --json`` prints.
    """
    from redline.spatial.region import project_level
    from redline.spatial.shares import area_shares
    from redline.spatial.units import parse_unit

    if by and by_zones is not None:
        raise UsageError("give --by or --by-zones, not both")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 10:
        raise UsageError(f"--decimals must be a whole number from 0 to 10, not {decimals!r}")
    if engine not in ("local", "dask"):
        raise UsageError(f"engine must be 'local' or 'dask', not {engine!r}")
    unit = parse_unit(unit)
    if isinstance(project, str) or project is None:
        project = as_project(project)
    gdf, rec = layer_ref(layer, project, gcj02=gcj02, repair=True)   # areas need valid polygons: repaired, said
    inputs = [rec]
    boundary = zones = None
    share_label = "占边界"
    if project is not None and project.boundary_id() and within in (None, project.boundary_id()):
        within = project.boundary_id()
        share_label = project_level(project).share       # 占全县, 占全市 …
    if within is not None:
        boundary, brec = layer_ref(within, project, gcj02=gcj02, repair=True)
        inputs.append(brec)
    if by_zones is not None:
        zones, zrec = layer_ref(by_zones, project, gcj02=gcj02, repair=True)
        inputs.append(zrec)
    warnings = _reading_warnings(gdf, layer, boundary, within, zones, by_zones, gcj02=gcj02)
    method = "planar" if planar else "ellipsoidal"
    if engine == "dask":
        from redline.spatial.dask_engine import area_shares_dask, dask_client

        with dask_client(scheduler, n_workers=workers) as client:
            shares = area_shares_dask(gdf, boundary, client=client, by=by, zones=zones, zone_field=zone_field,
                                      method=method)
    else:
        from redline.layers.gcj02 import converted_from_gcj02

        # a file read just now with repair=True holds valid geometries (unless GCJ-02 coordinates were moved)
        valid = rec is not None and not converted_from_gcj02(gdf)
        shares = area_shares(gdf, boundary, by=by, zones=zones, zone_field=zone_field, method=method,
                             valid=valid)
    result = AreaResult.from_shares(shares, unit=unit, decimals=decimals, layer=layer_name(layer),
                                    warnings=warnings, by=by, share_label=share_label)
    result.provenance = provenance([r for r in inputs if r is not None], area_method=shares["method"]["method"])
    return result


def area_xlsx(result: AreaResult) -> bytes:
    """The Excel workbook of an area statistic, as ``redline area --xlsx`` writes it: the rounded rows that
    add up (平差), the total, the share, the method and the warnings.

    >>> import redline, geopandas as gpd, shapely, io
    >>> from openpyxl import load_workbook
    >>> red = gpd.GeoDataFrame(geometry=[shapely.box(37_450_000, 4_200_000, 37_451_000, 4_201_000)], crs=4525)
    >>> ws = load_workbook(io.BytesIO(area_xlsx(redline.area(red, unit="ha", decimals=2)))).active
    >>> [c.value for c in ws[2]][:1], ws.title
    (['合计'], '面积统计')
    """
    from redline.maps.report.area import area_sheet
    from redline.maps.report.tables import table_xlsx

    header, rows, notes = area_sheet(result.to_dict())
    return table_xlsx("面积统计", header, rows, notes=notes)


def _reading_warnings(gdf, layer, boundary, within, zones, by_zones, *, gcj02: bool) -> list[str]:
    """What reading said of every input, once per file: the layer's own warnings as they are, the boundary's
    and the zones' prefixed with how they were named; a longitude/latitude input that sits off the others
    the way GCJ-02 explains; ``gcj02`` with no input in longitude/latitude is a usage error."""
    from redline.layers.gcj02 import converted_from_gcj02, gcj02_warnings
    from redline.layers.info import layer_info, warnings_once

    info = layer_info(gdf)
    seen = {(info.path, info.layer, w) for w in info.warnings}
    within_name, zones_name = layer_name(within) or "boundary", layer_name(by_zones) or "zones"
    named = [(f"--within {within_name}", boundary), (f"--by-zones {zones_name}", zones)]
    out = list(info.warnings) + warnings_once([(label, g) for label, g in named if g is not None], seen)
    frames = [(within_name, boundary), (layer_name(layer) or "layer", gdf), (zones_name, zones)]
    frames = [(label, g) for label, g in frames if g is not None]
    if gcj02 and not any(converted_from_gcj02(g) for _, g in frames):
        raise UsageError("--from-gcj02: none of the files given is in longitude/latitude, so none can be GCJ-02 "
                         "(projected layers never are; a project layer says it with datum = \"gcj02\")")
    return out + gcj02_warnings(frames)
