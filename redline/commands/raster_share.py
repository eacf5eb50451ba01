"""``redline raster-share RASTER --zones LAYER``: the share of each raster class (land cover) inside each zone."""

from __future__ import annotations

import click

from redline.commands._common import (
    echo_json,
    echo_text,
    gcj02_option,
    handle_errors,
    json_option,
    project_option,
    quiet_option,
    warn,
)
from redline.maps.report.text import text_table


def render_text(result: dict) -> str:
    """Zones × classes: shares in % of the valid (non-nodata) area, rounded to 2 decimals adding up to 100."""
    r = result["raster"]
    lines = [f"栅格：{r['path']}（{r['width']}×{r['height']}，像元 {r['cell_size'][0]:g}×{r['cell_size'][1]:g}，"
             f"{r['crs']}，无数据值 {r['nodata']}）",
             f"面积：{result['area_method']['description_zh']}；部分覆盖的像元按覆盖比例计",
             "占比为各分区有效（非无数据）面积中各类的百分比，保留2位小数，经平差后合计为100.00", ""]
    values = sorted({c["value"] for z in [*result["zones"], result["total"]] for c in z["classes"]})
    labels = {c["value"]: c["label"] for z in [*result["zones"], result["total"]] for c in z["classes"]}
    header = ["分区", "有效面积(公顷)", "无数据(公顷)", "栅格外(公顷)", *[f"{labels[v]}%" for v in values]]
    rows = []
    for z in [*result["zones"], result["total"]]:
        share = {c["value"]: c["share_pct_rounded"] for c in z["classes"]}
        rows.append([z["key"] + ("*" if z["rounding_adjusted"] else ""), f"{z['valid_m2'] / 1e4:,.2f}",
                     f"{z['nodata_m2'] / 1e4:,.2f}", f"{z['outside_raster_m2'] / 1e4:,.2f}",
                     *[f"{share[v]:.2f}" if v in share else "" for v in values]])
    lines += text_table(header, rows, right=set(range(1, len(header))))
    if any(z["rounding_adjusted"] for z in [*result["zones"], result["total"]]):
        lines.append("  * 该行占比经最大余数法平差，使合计为100.00")
    return "\n".join(lines)


@click.command(help="""Share of each raster class (e.g. land cover) inside each zone.

Partially covered cells count with the fraction of their area inside the zone (exactextract). Shares are of
the valid (non-nodata) area and add up to 100 per zone; nodata and the area outside the raster are reported.
Areas are the planar cell area in the raster's CRS times the coverage.

\b
RASTER is a file or a raster id of the project's [raster] table (e.g. landcover).
LAYER (--zones) is a file (PATH:LAYER for a layer inside a GeoPackage, zip ...) or a layer id/kind of the
project (e.g. townships).

\b
Examples:
  redline raster-share landcover --zones townships
  redline raster-share data/landcover.tif --zones red_line --by HXLX --json

Exit codes: 0 success, 2 usage error, 3 input error.""")
@click.argument("raster")
@click.option("--zones", "zones_ref", required=True, metavar="LAYER", help="Zone polygons: a file or a project layer.")
@click.option("--by", "by", help="Group zones by this field (features of a group dissolved).")
@click.option("--band", type=int, default=1, show_default=True, help="Raster band.")
@gcj02_option
@project_option
@json_option
@quiet_option
@handle_errors
def command(raster, zones_ref, by, band, gcj02, project_path, as_json, quiet):
    import redline

    result = redline.raster_share(raster, zones_ref, by=by, band=band, gcj02=gcj02,
                                  project=redline.Project.load(project_path) if project_path else None)
    for w in result["warnings"]:
        warn(w, quiet)
    if as_json:
        echo_json(result)
    else:
        echo_text(render_text(result))
