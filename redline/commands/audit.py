"""``redline audit``: declared areas, stated figures, the three control lines and the boundary of a project."""

from __future__ import annotations

import sys

import click

from redline.commands._common import (
    echo_json,
    echo_text,
    guard,
    handle_errors,
    json_option,
    project_option,
    quiet_option,
    warn,
)
from redline.layers.errors import EXIT_FINDINGS


# --------------------------------------------------------------------------------------------- command
@click.command(help="""Audit a project's layers: declared areas, stated figures, the three control lines.

\b
- declared area fields (MJ, 面积, TBMJ...) against planar and ellipsoidal areas: the unit, which method
  the values match, and every feature off by more than the tolerance;
- --stated / --stated-share (of the red line by default) against the computed area and share, with the
  total they imply (area ÷ share) and the interval the stated rounding allows;
- overlaps between the red line, basic farmland and the urban development boundary (and within each);
- protected-area zones outside the red line; gaps and slivers of townships against the county.

\b
Examples:
  redline audit
  redline audit --stated "28466.876公顷" --stated-share 13.83 --xlsx audit.xlsx

Exit codes: 0 no findings, 1 findings, 2 usage error, 3 input error.""")
@project_option
@click.option("--stated", help='A stated area as written in the plan, e.g. "28466.876公顷".')
@click.option("--stated-share", "stated_share", help="Its stated share of the boundary in percent, e.g. 13.83.")
@click.option("--stated-layer", "stated_layer", help="Layer id or kind the stated figures are about (default: the "
                                                      "red line).")
@click.option("--tolerance", type=float, default=None, metavar="PCT",
              help="Relative tolerance in percent for declared and stated areas (default 0.5; the rounding of a "
                   "declared value is always allowed).")
@click.option("--min-area", "min_area", type=float, default=None, metavar="M2",
              help="Overlaps, gaps and slivers smaller than this many m² are counted, not listed (default 1).")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, readable=False), help="Also write the audit as an Excel workbook.")
@json_option
@quiet_option
@handle_errors
def command(project_path, stated, stated_share, stated_layer, tolerance, min_area, xlsx, as_json, quiet):
    import redline

    guard([xlsx], project_path=project_path, cwd_project=True)
    result = redline.audit(redline.Project.load(project_path) if project_path else None, stated=stated,
                           stated_share=stated_share, stated_layer=stated_layer, tolerance=tolerance,
                           min_area_m2=min_area).to_dict()
    for w in result["warnings"]:
        warn(w, quiet)
    from redline.maps.report.audit import text_report, xlsx_sheets

    if xlsx:
        from redline.maps.report.tables import write_table_xlsx

        title, header, rows, sheets = xlsx_sheets(result)
        write_table_xlsx(xlsx, title, header, rows, sheets=sheets, notes=[] if rows else ["未发现问题"],
                         provenance=result.get("provenance"))
    if as_json:
        echo_json(result)
    else:
        echo_text(text_report(result))
        if xlsx:
            echo_text(f"\n已写出 {xlsx}")
    if result["findings"]:
        sys.exit(EXIT_FINDINGS)
