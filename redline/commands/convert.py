"""``redline convert IN OUT``: between every supported format, 国土TXT included."""

from __future__ import annotations

import click

from redline.commands._common import echo_text, gcj02_option, guard, handle_errors, quiet_option, warn
from redline.layers.crs import datum_of, parse_crs
from redline.layers.errors import InputError, UsageError
from redline.layers.info import layer_info
from redline.layers.readers import read_layer
from redline.layers.writers import write_layer

OLD_DATUMS = ("xian1980", "beijing1954")


@click.command()
@click.argument("src", type=click.Path(readable=False))
@click.argument("dst", type=click.Path(readable=False))
@click.option("--layer", help="Layer of the input (GeoPackage, File Geodatabase, KML/KMZ, zip, DXF); the same as "
                              "SRC given as PATH:LAYER.")
@click.option("--to-crs", help="Reproject to this CRS, e.g. EPSG:4527.")
@click.option("--crs", help="CRS of the input when it has none.")
@click.option("--encoding", help="Encoding of the input's attributes (e.g. gbk).")
@click.option("--out-encoding", help="Encoding of the output (国土TXT: gbk (default) or utf-8; Shapefile: .cpg).")
@click.option("--zone", type=int, help="国土TXT output: 3-degree zone (default: from the data).")
@click.option("--towgs84", metavar="DX,DY,DZ,RX,RY,RZ,DS",
              help="Convert a Xi'an 1980 / Beijing 1954 input to CGCS2000 with these 7 parameters "
                   "(metres, arc-seconds, ppm; as 国土TXT 转换参数).")
@click.option("--repair", is_flag=True, help="Repair invalid geometries (make_valid); the change is reported.")
@gcj02_option
@quiet_option
@handle_errors
def command(src, dst, layer, to_crs, crs, encoding, out_encoding, zone, towgs84, repair, gcj02, quiet):
    """Convert a layer: Shapefile, GeoPackage, GeoJSON, KML, FileGDB, GeoParquet, FlatGeobuf, 国土TXT.

    Also reads KMZ, DXF drawings (with --crs) and layers inside zips; SRC may be PATH:LAYER.

    \b
    Examples:
      redline convert 项目红线.txt 项目红线.gpkg --to-crs EPSG:4490
      redline convert 资料.zip:生态保护红线 红线.gpkg
      redline convert 高德导出.kml 选址.gpkg --from-gcj02
      redline convert 总图.dxf:用地红线 用地红线.gpkg --crs EPSG:4525
    """
    guard([dst], [src])
    gdf = read_layer(src, layer, encoding=encoding, crs=crs, towgs84=towgs84, repair=repair, gcj02=gcj02)
    for w in layer_info(gdf).warnings:
        warn(w, quiet)
    if to_crs:
        target = parse_crs(to_crs)
        if gdf.crs is None:
            raise InputError("the input has no CRS to reproject from; give it with --crs", path=src)
        if towgs84 is None and datum_of(gdf.crs) in OLD_DATUMS and datum_of(target) not in OLD_DATUMS:
            raise UsageError(f"--to-crs would convert {gdf.crs.name} to {target.name} without transformation "
                             "parameters, which redline never does silently; give them with --towgs84")
        gdf = gdf.to_crs(target)
    write_layer(gdf, dst, encoding=out_encoding, zone=zone)
    if not quiet:
        echo_text(f"wrote {dst}: {len(gdf)} features", err=True)
