"""``redline map``: the offline web map, the structure diagram and print maps of a project."""

from __future__ import annotations

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
from redline.layers.errors import UsageError


@click.command(short_help="Offline web map, structure diagram and print maps (PNG/PDF).")
@project_option
@click.option("--layout", "layout_path",
              help="Structure-diagram layout (TOML or YAML); default [map] layout of the project.")
@click.option("--no-layout", is_flag=True, help="Draw no structure diagram even if the project names one.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, readable=False),
              help="The web map: one self-contained HTML file.")
@click.option("--png", "png", type=click.Path(dir_okay=False, readable=False), help="Print map as PNG (300 dpi).")
@click.option("--pdf", "pdf", type=click.Path(dir_okay=False, readable=False), help="Print map as PDF (fonts embedded).")
@click.option("--paper", type=click.Choice(["A4", "A3"], case_sensitive=False), default="A4", show_default=True)
@click.option("--orientation", type=click.Choice(["landscape", "portrait"]), default="landscape",
              show_default=True)
@click.option("--basemap", type=click.Choice(["none", "tianditu", "amap"]), default="none", show_default=True,
              help="none: nothing loaded from any host. tianditu: needs --tianditu-key (embedded in the file). "
                   "amap: GCJ-02 tiles; the overlay is shifted for display only.")
@click.option("--tianditu-key", "tianditu_key", help="Your 天地图 key (it is embedded in the HTML file).")
@click.option("--title", help="Map title (default: the layout's title, else [map] title).")
@click.option("--layers", "layers", help="Layer ids or kinds to draw, comma-separated; 'base' = boundaries, "
                                          "rivers, roads and towns (default: every layer).")
@json_option
@quiet_option
@handle_errors
def command(project_path, layout_path, no_layout, out, png, pdf, paper, orientation, basemap, tianditu_key,
            title, layers, as_json, quiet):
    """Draw a project's layers (and its structure diagram) as an offline web map and print maps.

    \b
    Examples:
      redline map --out map.html
      redline map --layout structure.toml --out structure.html --png structure.png --pdf structure.pdf
      redline map --no-layout --out map.html --paper A3 --orientation portrait --pdf map.pdf
    """
    from redline.layers.project import find_project
    from redline.maps.render import render_maps

    guard([out, png, pdf], [layout_path], project_path=project_path, cwd_project=True)
    project = find_project(project_path)
    if project is None:
        raise UsageError("no project: give --project or run in a folder with redline.toml")
    res = render_maps(project, html=out, png=png, pdf=pdf, layout=layout_path, no_layout=no_layout,
                      basemap=basemap, tianditu_key=tianditu_key, title=title, layers=layers,
                      paper=paper.upper(), orientation=orientation)
    if as_json:
        echo_json(res)
    else:
        web = res["web_map"]
        echo_text(f"wrote {out} ({web['bytes'] / 1e6:.2f} MB, self-contained"
                   + (", opens offline)" if basemap == "none" else ")"))
        if basemap == "tianditu":
            echo_text("提示：天地图密钥已写入 HTML 文件，请只与有权使用该密钥的人共享此文件")
        # the GCJ-02 display shift (--basemap amap) is one of the map's notes, said once below
        for rec in res["print_maps"]:
            echo_text(f"wrote {rec['path']} ({rec['paper']} {rec['orientation']}, 1:{rec['scale']:,}"
                       + (f", {rec['dpi']} dpi" if rec["dpi"] else "") + ")")
    for note in res["warnings"] + res["notes"]:
        warn(note, quiet)
