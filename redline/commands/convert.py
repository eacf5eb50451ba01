"""``redline convert IN OUT``: between every supported format, 国土TXT included."""

from __future__ import annotations

import click

from layers.crs import parse_crs
from layers.readers import read_layer, write_layer
from redline.commands._common import handle_errors, quiet_option, warn


@click.command()
@click.argument("src", type=click.Path())
@click.argument("dst", type=click.Path())
@click.option("--layer", help="Layer of the input (GeoPackage, File Geodatabase, KML).")
@click.option("--to-crs", help="Reproject to this CRS, e.g. EPSG:4527.")
@click.option("--crs", help="CRS of the input when it has none.")
@click.option("--encoding", help="Encoding of the input's attributes (e.g. gbk).")
@click.option("--out-encoding", help="Encoding of the output (国土TXT: gbk (default) or utf-8; Shapefile: .cpg).")
@click.option("--zone", type=int, help="国土TXT output: 3-degree zone (default: from the data).")
@quiet_option
@handle_errors
def command(src, dst, layer, to_crs, crs, encoding, out_encoding, zone, quiet):
    """Convert a layer: Shapefile, GeoPackage, GeoJSON, KML, FileGDB, GeoParquet, FlatGeobuf, 国土TXT.

    Example: redline convert 项目红线.txt 项目红线.gpkg --to-crs EPSG:4490
    """
    gdf = read_layer(src, layer, encoding=encoding, crs=crs)
    for w in gdf.attrs["redline"]["warnings"]:
        warn(w, quiet)
    if to_crs:
        gdf = gdf.to_crs(parse_crs(to_crs))
    write_layer(gdf, dst, encoding=out_encoding, zone=zone)
    if not quiet:
        click.echo(f"wrote {dst}: {len(gdf)} features", err=True)
