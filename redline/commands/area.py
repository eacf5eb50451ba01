"""``redline area LAYER``: dissolved area, share of the boundary, breakdown, with rounded tables that add up."""

from __future__ import annotations

import click

from redline.commands._common import (
    echo_json,
    echo_text,
    gcj02_option,
    guard,
    handle_errors,
    json_option,
    project_option,
    quiet_option,
    scheduler_option,
    warn,
    workers_option,
)
from redline.layers.errors import UsageError
from redline.maps.report.area import area_sheet, area_text
from redline.maps.report.tables import write_table_xlsx
from redline.maps.report.text import display_text
from redline.spatial.units import from_m2


@click.command()
@click.argument("layer")
@click.option("--within", "within", help="Boundary (path, PATH:LAYER or project layer id); default: the project's "
                                         "boundary.")
@click.option("--by", "by", help="Break down by this attribute of the layer.")
@click.option("--by-zones", "by_zones", help="Break down by these polygons (path, PATH:LAYER or layer id), e.g. "
                                              "townships.")
@click.option("--zone-field", default=None,
              help="Field naming the zones of --by-zones (default: the name the boundary kind's field mapping "
                   "finds, e.g. XZQMC, 乡镇名称, NAME).")
@click.option("--unit", default="ha", show_default=True, help="m2, ha (公顷), km2 (平方千米), mu (亩), 10k_mu (万亩); Chinese names work too.")
@click.option("--decimals", default=4, show_default=True, type=int, help="Decimals of the table.")
@click.option("--planar", is_flag=True, help="Planar area in the layer's projected CRS instead of ellipsoidal.")
@click.option("--xlsx", "xlsx", type=click.Path(readable=False), help="Also write the table as an Excel file.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default=None,
              help="local (default): this process. dask: the dissolve, clipping and areas spread over a dask "
                   "cluster (a local one, one worker per core, unless --scheduler); same results. Needs "
                   'pip install "redline[dask]".')
@scheduler_option
@workers_option
@gcj02_option
@project_option
@json_option
@quiet_option
@handle_errors
def command(layer, within, by, by_zones, zone_field, unit, decimals, planar, xlsx, engine, scheduler, workers,
            gcj02, project_path, as_json, quiet):
    """Area of a layer (overlaps counted once), its share of a boundary, and a breakdown.

    LAYER is a project layer id or kind, or a file; PATH:LAYER names a layer inside a GeoPackage, File
    Geodatabase, KML/KMZ, zip or DXF (e.g. 山西行政区.gpkg:县界).

    \b
    Examples:
      redline area red_line --by-zones townships --unit ha
      redline area 山西行政区.gpkg:生态保护红线 --within 山西行政区.gpkg:县界
      redline area 红线.shp --within 县界.shp --engine dask            # local dask cluster
      redline area 红线.gpkg --scheduler tcp://10.0.0.5:8786 --by HXLX
    """
    import redline

    if scheduler and engine == "local":
        raise UsageError("--scheduler runs on the dask engine: drop --engine local")
    engine = "dask" if scheduler else (engine or "local")
    if workers is not None and (engine == "local" or scheduler):
        raise UsageError("--workers sizes the local dask cluster: use it with --engine dask and without --scheduler")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, not {workers}")
    guard([xlsx], [layer, within, by_zones], project_path=project_path, cwd_project=True)
    project = redline.Project.load(project_path) if project_path else None
    res = redline.area(layer, within=within, by=by, by_zones=by_zones, zone_field=zone_field, unit=unit,
                       decimals=decimals, planar=planar, project=project, engine=engine, scheduler=scheduler,
                       workers=workers, gcj02=gcj02)
    result = res.to_dict()
    if xlsx:
        header, sheet_rows, notes = area_sheet(result)
        write_table_xlsx(xlsx, "面积统计", header, sheet_rows, notes=notes, provenance=result.get("provenance"))
    if as_json:
        echo_json(result)
        return
    for w in result["warnings"]:
        warn(w, quiet)
    unit, lab = res.unit, res.unit_label
    echo_text(f"图层：{display_text(layer, 200)}")
    echo_text(f"总面积（融合后，重叠只计一次）：{result['total']:.{decimals}f} {lab}")
    echo_text(f"重叠去除：{from_m2(result['overlap_removed_m2'], unit):.{decimals}f} {lab}；"
               f"边界外：{from_m2(result['outside_boundary_m2'], unit):.{decimals}f} {lab}")
    if result["boundary_m2"]:
        echo_text(f"边界面积：{from_m2(result['boundary_m2'], unit):.{decimals}f} {lab}；"
                   f"{res.share_label}：{result['share_pct']:.2f} %")
    for line in area_text(result):
        echo_text(line)
