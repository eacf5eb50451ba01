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

import geopandas as gpd

from redline.layers.errors import UsageError
from redline.layers.info import layer_info
from redline.layers.outputs import provenance
from redline.reading import as_project, layer_name, layer_ref
from redline.spatial.area_result import AreaResult

__all__ = ["AreaResult", "area"]


def area(layer, *, within=None, by: str | None = None, by_zones=None, zone_field: str | None = None,
         unit: str = "ha", decimals: int = 4, planar: bool = False, project=None, engine: str = "local",
         scheduler: str | None = None, workers: int | None = None) -> AreaResult:
    """The area of a layer with overlapping features counted once, its share of a boundary, and a breakdown.

    Parameters
    ----------
    layer : GeoDataFrame, path, or a project layer id or kind
        Polygons (e.g. the red line).
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
    if engine not in ("local", "dask"):
        raise UsageError(f"engine must be 'local' or 'dask', not {engine!r}")
    unit = parse_unit(unit)
    if isinstance(project, str) or project is None:
        project = as_project(project)
    gdf, rec = layer_ref(layer, project, repair=True)     # areas need valid polygons: repaired, and said
    inputs = [rec]
    boundary = zones = None
    share_label = "占边界"
    if project is not None and project.boundary_id() and within in (None, project.boundary_id()):
        within = project.boundary_id()
        share_label = project_level(project).share       # 占全县, 占全市 …
    if within is not None:
        boundary, brec = layer_ref(within, project, repair=True)
        inputs.append(brec)
    if by_zones is not None:
        zones, zrec = layer_ref(by_zones, project, repair=True)
        inputs.append(zrec)
    method = "planar" if planar else "ellipsoidal"
    if engine == "dask":
        from redline.spatial.dask_engine import area_shares_dask, dask_client

        with dask_client(scheduler, n_workers=workers) as client:
            shares = area_shares_dask(gdf, boundary, client=client, by=by, zones=zones, zone_field=zone_field,
                                      method=method)
    else:
        shares = area_shares(gdf, boundary, by=by, zones=zones, zone_field=zone_field, method=method)
    read_notes = list(layer_info(gdf).warnings)
    for what, g in (("boundary", boundary), ("zones", zones)):
        if isinstance(g, gpd.GeoDataFrame) and (layer_info(g).repair or {}).get("features"):
            read_notes.append(f"{what}: {next(w for w in layer_info(g).warnings if w.startswith('repaired'))}")
    result = AreaResult.from_shares(shares, unit=unit, decimals=decimals, layer=layer_name(layer),
                                    warnings=read_notes, by=by, share_label=share_label)
    result.provenance = provenance([r for r in inputs if r is not None], area_method=shares["method"]["method"])
    return result
