"""``redline area LAYER``: dissolved area, share of the boundary, breakdown, with rounded tables that add up."""

from __future__ import annotations

import os

import click

from redline.commands._common import (
    echo_json,
    handle_errors,
    json_option,
    project_option,
    quiet_option,
    scheduler_option,
    warn,
    workers_option,
)
from redline.layers.errors import UsageError
from redline.layers.outputs import file_record, provenance
from redline.layers.project import find_project
from redline.layers.readers import read_layer, read_project_layer
from redline.maps.report.area import area_sheet, area_table
from redline.maps.report.tables import write_table_xlsx
from redline.spatial.shares import area_shares
from redline.spatial.units import from_m2, parse_unit, unit_label


def load_layer(ref: str, project):
    """A layer by path, or by id/kind of the project."""
    if os.path.exists(ref):
        return read_layer(ref), file_record(ref)
    if project is None:
        raise UsageError(f"{ref!r} is neither a file nor a layer of a project (no redline.toml here; "
                         "give --project)")
    gdf = read_project_layer(project, ref)
    spec = project.layer(ref)
    return gdf, file_record(spec.path, vintage=spec.date, source=spec.source)


@click.command()
@click.argument("layer")
@click.option("--within", "within", help="Boundary (path or project layer id); default: the project's boundary.")
@click.option("--by", "by", help="Break down by this attribute of the layer.")
@click.option("--by-zones", "by_zones", help="Break down by these polygons (path or layer id), e.g. townships.")
@click.option("--zone-field", default="name", show_default=True, help="Name field of --by-zones.")
@click.option("--unit", default="ha", show_default=True, help="m2, ha (公顷), km2 (平方千米), mu (亩), 10k_mu (万亩); Chinese names work too.")
@click.option("--decimals", default=4, show_default=True, type=int, help="Decimals of the table.")
@click.option("--planar", is_flag=True, help="Planar area in the layer's projected CRS instead of ellipsoidal.")
@click.option("--xlsx", "xlsx", type=click.Path(), help="Also write the table as an Excel file.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default=None,
              help="local (default): this process. dask: the dissolve, clipping and areas spread over a dask "
                   "cluster (a local one, one worker per core, unless --scheduler); same results. Needs "
                   'pip install "redline[dask]".')
@scheduler_option
@workers_option
@project_option
@json_option
@quiet_option
@handle_errors
def command(layer, within, by, by_zones, zone_field, unit, decimals, planar, xlsx, engine, scheduler, workers,
            project_path, as_json, quiet):
    """Area of a layer (overlaps counted once), its share of a boundary, and a breakdown.

    \b
    Examples:
      redline area red_line --by-zones townships --unit ha
      redline area 红线.shp --within 县界.shp --engine dask            # local dask cluster
      redline area 红线.gpkg --scheduler tcp://10.0.0.5:8786 --by HXLX
    """
    if by and by_zones:
        raise UsageError("give --by or --by-zones, not both")
    if scheduler and engine == "local":
        raise UsageError("--scheduler runs on the dask engine: drop --engine local")
    engine = "dask" if scheduler else (engine or "local")
    if workers is not None and (engine == "local" or scheduler):
        raise UsageError("--workers sizes the local dask cluster: use it with --engine dask and without --scheduler")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, not {workers}")
    unit = parse_unit(unit)
    project = find_project(project_path)
    gdf, rec = load_layer(layer, project)
    inputs = [rec]
    boundary = zones = None
    if within is None and project is not None and project.boundary_id():
        within = project.boundary_id()
    if within:
        boundary, brec = load_layer(within, project)
        inputs.append(brec)
    if by_zones:
        zones, zrec = load_layer(by_zones if not (project and by_zones in project.layers) else by_zones, project)
        inputs.append(zrec)
    method = "planar" if planar else "ellipsoidal"
    if engine == "dask":
        from redline.spatial.dask_engine import area_shares_dask, dask_client

        with dask_client(scheduler, n_workers=workers) as client:
            result = area_shares_dask(gdf, boundary, client=client, by=by, zones=zones, zone_field=zone_field,
                                      method=method)
    else:
        result = area_shares(gdf, boundary, by=by, zones=zones, zone_field=zone_field, method=method)
    result["warnings"] = gdf.attrs["redline"]["warnings"] + result["warnings"]
    rows, adjusted = area_table(result, unit, decimals)
    result.update({"layer": layer, "unit": unit, "unit_label": unit_label(unit),
                   "total": round(from_m2(result["total_m2"], unit), decimals),
                   "rounded_rows": rows, "rounding_adjusted": adjusted,
                   "provenance": provenance(inputs, area_method=result["method"]["method"])})
    if adjusted:
        result["warnings"].append(f"rounded rows adjusted to add up to the rounded total (平差, largest remainder, "
                                  f"{decimals} decimals)")
    if xlsx:
        header, sheet_rows, notes = area_sheet(result)
        write_table_xlsx(xlsx, "面积统计", header, sheet_rows, notes=notes)
    if as_json:
        echo_json(result)
        return
    for w in result["warnings"]:
        warn(w, quiet)
    lab = unit_label(unit)
    click.echo(f"图层 layer: {layer}   方法: {result['method']['description']}")
    click.echo(f"总面积（去重后）: {result['total']:.{decimals}f} {lab}")
    click.echo(f"重叠去除: {from_m2(result['overlap_removed_m2'], unit):.{decimals}f} {lab};  "
               f"边界外: {from_m2(result['outside_boundary_m2'], unit):.{decimals}f} {lab}")
    if result["boundary_m2"]:
        click.echo(f"边界面积: {from_m2(result['boundary_m2'], unit):.{decimals}f} {lab};  "
                   f"占比: {result['share_pct']:.2f} %")
    if rows:
        width = max(len(str(r[0])) for r in rows) + 2
        click.echo(f"{'分类':<{width}}{'面积 (' + lab + ')':>18}{'占比 %':>10}")
        for key, val, share in rows:
            click.echo(f"{key:<{width}}{val:>18.{decimals}f}{'' if share is None else f'{share:.2f}':>10}")
        click.echo(f"{'合计':<{width}}{result['total']:>18.{decimals}f}"
                   f"{'' if result['share_pct'] is None else format(result['share_pct'], '.2f'):>10}")
        if adjusted:
            click.echo("（表中数值已平差，使分项之和等于合计）")
