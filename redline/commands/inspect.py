"""``redline inspect PATH``: how a file reads, its CRS, validity, extent and areas."""

from __future__ import annotations

import click

from redline.commands._common import echo_json, echo_text, gcj02_option, handle_errors, json_option
from redline.spatial.inspect import inspect_file


@click.command()
@click.argument("path", type=click.Path(readable=False))
@click.option("--layer", help="Layer of a GeoPackage, File Geodatabase, KML/KMZ, zip or DXF (the same as "
                              "PATH:LAYER).")
@click.option("--encoding", help="Attribute encoding (overrides .cpg and detection), e.g. gbk.")
@click.option("--crs", help="CRS to assume when the file has none, e.g. EPSG:4527.")
@click.option("--towgs84", metavar="DX,DY,DZ,RX,RY,RZ,DS",
              help="Convert a Xi'an 1980 / Beijing 1954 layer to CGCS2000 with these 7 parameters "
                   "(metres, arc-seconds, ppm; as 国土TXT 转换参数).")
@gcj02_option
@json_option
@handle_errors
def command(path, layer, encoding, crs, towgs84, gcj02, as_json):
    """Describe a planning layer or 国土TXT file.

    PATH may name a layer inside its file: 示范县.gpkg:生态保护红线, 资料.zip:红线, 总图.dxf:用地红线.

    Example: redline inspect 生态保护红线.shp --json
    """
    r = inspect_file(path, layer, encoding=encoding, crs=crs, towgs84=towgs84, gcj02=gcj02)
    if as_json:
        echo_json(r)
        return
    area = r["area_m2"]
    fields = r.get("field_types") or {f: "" for f in r["fields"]}
    lines = [
        f"文件 file:        {r['path']}",
        f"格式 format:      {r['format']}" + (f" (layer {r['layer']})" if r.get("layer") else ""),
        f"编码 encoding:    {r['encoding']['value']}  ({r['encoding']['source']})",
        f"坐标系 CRS:       {'EPSG:' + str(r['crs']['epsg']) if r['crs']['epsg'] else '(no EPSG code)'} "
        f"{r['crs']['name'] or ''}  ({r['crs']['source']})",
        f"要素 features:    {r['features']}  {', '.join(r['geometry_types'])}",
        f"字段 fields:      {len(fields)}" + ("：" + "、".join(f"{f}（{t}）" if t else f for f, t in fields.items())
                                             if fields else ""),
        f"无效 invalid:     {r['invalid']}",
    ]
    for it in r.get("invalid_features", [])[:20]:
        lines.append(f"  要素 feature {it['feature']}" + (f"（{it['id']}）" if it.get("id") else "")
                     + f"：{it['reason_zh']}  [{it['reason']}]")
    if r["invalid"] > 20:
        lines.append(f"  …… 共 {r['invalid']} 个（redline inspect --json 列出前 100 个）")
    lines.append(f"范围 lon/lat:     {r['bounds_lonlat']}")
    caveat = "；含无效几何，按原样计算，仅供参考" if r["invalid"] else ""
    if area["ellipsoidal"] is not None:
        lines.append(f"椭球面积:         {area['ellipsoidal']:.2f} m² = {area['ellipsoidal'] / 1e4:.4f} 公顷"
                     f"  （各要素面积之和，要素相互重叠处重复计入，未融合{caveat}；去重后的面积用 redline area）")
    if area["planar"] is not None:
        lines.append(f"平面面积:         {area['planar']:.2f} m² = {area['planar'] / 1e4:.4f} 公顷"
                     "  （各要素之和，同上）")
    for p in r.get("parcels", []):
        lines.append(f"  地块 {p['index']} {p['id'] or ''} {p['name'] or ''}: 圈 {p['rings']} 部分 {p['parts']} "
                     f"洞 {p['holes']}; 申报 {p['declared_area']} ({p['declared_unit']}); 平面 "
                     f"{p['area_m2_planar']:.2f} m², 椭球 {p['area_m2_ellipsoidal']:.2f} m²; "
                     f"申报面积符合: {p['declared_matches']}")
    for w in r["warnings"]:
        lines.append(f"警告 warning: {w}")
    echo_text("\n".join(lines))
