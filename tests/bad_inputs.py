"""Generate the corpus of broken inputs (issue 7) into a folder.

Broken files cannot all be committed as they are (zero-byte files, a 5 MB line, truncated binaries), so they
are generated: ``python -m tests.bad_inputs DIR`` or :func:`generate`.

Each case lives in its own sub-folder (so its bytes can be hashed before and after every command) and
comes with the commands that take it, as argument lists where ``"OUT"`` stands for an output path the
test chooses in an empty folder.

Example
-------
>>> cases = generate("/tmp/bad")                          # doctest: +SKIP
>>> cases[0]                                              # doctest: +SKIP
('shp_zero_byte', PosixPath('/tmp/bad/shp_zero_byte/红线.shp'), [['inspect', ...], ...])
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

OUT = "OUT"

# A small square parcel in CGCS2000 3-degree zone 37 (EPSG:4525), prefixed eastings.
X0, Y0 = 37465500.0, 2369500.0

GUOTU_HEADER = """[属性描述]
格式版本号=1.0
数据产生单位=示范县自然资源局
数据产生日期=2026-06-30
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
带号=37
精度=0.001
转换参数=,,,,,,
"""


def _square_points(x0=X0, y0=Y0, side=100.0):
    # 国土TXT: J, ring, X (northing), Y (easting); closed ring, clockwise
    pts = [(y0, x0), (y0 + side, x0), (y0 + side, x0 + side), (y0, x0 + side), (y0, x0)]
    return [f"J{i + 1},1,{n:.3f},{e:.3f}" for i, (n, e) in enumerate(pts)]


def _guotu(body_lines, header=GUOTU_HEADER, section=True):
    text = header + ("[地块坐标]\n" if section else "") + "\n".join(body_lines) + "\n"
    return text.replace("\n", "\r\n").encode("gbk")


def _parcel_line(n_points=5, area="1.0000"):
    return f"{n_points},{area},1,测试地块,面,,,,@"


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def _good_gdf(lonlat=False):
    import geopandas as gpd
    from shapely.geometry import box

    if lonlat:
        geom = [box(110.60, 21.40, 110.61, 21.41)]
        crs = "EPSG:4490"
    else:
        geom = [box(X0, Y0, X0 + 100, Y0 + 100)]
        crs = "EPSG:4525"
    return gpd.GeoDataFrame({"HXMC": ["测试红线"], "MJ": [1.0]}, geometry=geom, crs=crs)


def _lonlat_steps():
    """Longitude/latitude of the good square's corner and two steps of 0.0005° (about 50 m) east/north."""
    from pyproj import Transformer

    lon, lat = Transformer.from_crs("EPSG:4525", "EPSG:4490", always_xy=True).transform(X0, Y0)
    return {"a": f"{lon:.6f}", "b": f"{lon + 0.0005:.6f}", "c": f"{lon + 0.001:.6f}",
            "p": f"{lat:.6f}", "q": f"{lat + 0.0005:.6f}"}


def _geojson(coords_text: str) -> str:
    return ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "a"}, '
            '"geometry": {"type": "Polygon", "coordinates": [' + coords_text + ']}}]}')


def _vector_commands(path: Path, good_red_line: Path, good_site: Path, good_boundary: Path):
    p = str(path)
    return [
        ["inspect", p],
        ["convert", p, OUT + ".gpkg"],
        ["area", p, "--within", str(good_boundary)],
        ["check", p, "--layer", f"red_line={good_red_line}", "--no-maps", "--out", OUT],
        ["check", str(good_site), "--layer", f"red_line={p}", "--no-maps", "--out", OUT],
    ]


def _guotu_commands(path: Path, good_red_line: Path):
    p = str(path)
    return [
        ["inspect", p],
        ["convert", p, OUT + ".gpkg"],
        ["check", p, "--layer", f"red_line={good_red_line}", "--no-maps", "--out", OUT],
    ]


def generate(folder: str | os.PathLike, demo_dir: str | os.PathLike | None = None):
    """Write the corpus into ``folder``; return ``[(case_id, path, commands), ...]``.

    ``demo_dir``: a good project (``redline.layers.demo.generate_demo``) for the bad project files and layouts;
    without it those cases are left out. The good inputs the commands need are written to
    ``folder/good/`` (never to a case folder).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "good"
    good.mkdir(exist_ok=True)
    g = _good_gdf()
    good_red_line = good / "red_line.gpkg"
    g.to_file(good_red_line, driver="GPKG")
    good_site = good / "site.gpkg"
    g.assign(geometry=g.geometry.translate(30, 30)).to_file(good_site, driver="GPKG")
    good_boundary = good / "boundary.gpkg"
    g.assign(geometry=g.geometry.buffer(5000)).to_file(good_boundary, driver="GPKG")
    good_shp_dir = good / "shp"
    good_shp_dir.mkdir(exist_ok=True)
    g.to_file(good_shp_dir / "红线.shp", encoding="utf-8")

    cases = []

    def vector(case_id, rel, data):
        path = _write(folder / case_id / rel, data)
        cases.append((case_id, path, _vector_commands(path, good_red_line, good_site, good_boundary)))
        return path

    def guotu(case_id, data):
        path = _write(folder / case_id / "项目红线.txt", data)
        cases.append((case_id, path, _guotu_commands(path, good_red_line)))
        return path

    shp_parts = {ext: (good_shp_dir / f"红线.{ext}").read_bytes() for ext in ("shp", "shx", "dbf", "prj", "cpg")}

    def shapefile(case_id, parts):
        d = folder / case_id
        for ext, data in parts.items():
            _write(d / f"红线.{ext}", data)
        path = d / "红线.shp"
        cases.append((case_id, path, _vector_commands(path, good_red_line, good_site, good_boundary)))

    # --- Shapefiles --------------------------------------------------------------------------------------
    shapefile("shp_zero_byte", {"shp": b"", "shx": b"", "dbf": b""})
    shapefile("shp_truncated", {**shp_parts, "shp": shp_parts["shp"][: len(shp_parts["shp"]) // 2]})
    shapefile("shp_header_only", {**shp_parts, "shp": shp_parts["shp"][:100]})
    shapefile("shp_without_shx", {k: v for k, v in shp_parts.items() if k != "shx"})
    shapefile("shp_without_dbf", {k: v for k, v in shp_parts.items() if k != "dbf"})
    shapefile("shp_without_shx_dbf", {"shp": shp_parts["shp"], "prj": shp_parts["prj"]})
    shapefile("shp_prj_unknown_crs", {**shp_parts, "prj": b'PROJCS["nonsense",GEOGCS["who knows"]]'})
    # a .cpg saying UTF-8 over GBK attributes: a mis-declared encoding
    gbk_dir = good / "gbk"
    gbk_dir.mkdir(exist_ok=True)
    g.to_file(gbk_dir / "红线.shp", encoding="gbk")
    gbk_parts = {ext: (gbk_dir / f"红线.{ext}").read_bytes() for ext in ("shp", "shx", "dbf", "prj")}
    shapefile("shp_dbf_gbk_cpg_says_utf8", {**gbk_parts, "cpg": b"UTF-8"})
    shapefile("shp_dbf_truncated", {**shp_parts, "dbf": shp_parts["dbf"][:40]})

    # --- GeoPackage, GeoJSON, KML, FlatGeobuf, GeoParquet, CSV --------------------------------------------
    vector("gpkg_zero_byte", "红线.gpkg", b"")
    gpkg_bytes = good_red_line.read_bytes()
    vector("gpkg_truncated", "红线.gpkg", gpkg_bytes[:1024])
    vector("gpkg_not_sqlite", "红线.gpkg", b"this is not a GeoPackage\n" * 10)
    ll = _lonlat_steps()
    vector("geojson_zero_byte", "红线.geojson", b"")
    full = _geojson("[[{a}, {p}], [{b}, {p}], [{b}, {q}], [{a}, {q}], [{a}, {p}]]".format(**ll))
    vector("geojson_truncated", "红线.geojson", full[: len(full) // 2])
    vector("geojson_lat_lon_swapped", "红线.geojson",
           _geojson("[[{p}, {a}], [{p}, {b}], [{q}, {b}], [{q}, {a}], [{p}, {a}]]".format(**ll)))
    vector("geojson_nan", "红线.geojson",
           _geojson("[[{a}, {p}], [NaN, {p}], [{b}, {q}], [{a}, {q}], [{a}, {p}]]".format(**ll)))
    vector("geojson_infinite", "红线.geojson",
           _geojson("[[{a}, {p}], [Infinity, {p}], [{b}, {q}], [{a}, {q}], [{a}, {p}]]".format(**ll)))
    vector("geojson_huge_number", "红线.geojson",
           _geojson("[[{a}, {p}], [1e400, {p}], [{b}, {q}], [{a}, {q}], [{a}, {p}]]".format(**ll)))
    vector("geojson_self_intersecting", "红线.geojson",
           _geojson("[[{a}, {p}], [{b}, {q}], [{b}, {p}], [{a}, {q}], [{a}, {p}]]".format(**ll)))
    vector("geojson_zero_area", "红线.geojson",
           _geojson("[[{a}, {p}], [{b}, {p}], [{c}, {p}], [{a}, {p}]]".format(**ll)))
    vector("geojson_ring_3_points", "红线.geojson", _geojson("[[{a}, {p}], [{b}, {p}], [{a}, {p}]]".format(**ll)))
    vector("geojson_string_coordinates", "红线.geojson",
           _geojson('[["{a}", "{p}"], ["东", "{p}"], [{b}, {q}], [{a}, {p}]]'.format(**ll)))
    vector("kml_truncated", "红线.kml",
           '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
           "<Placemark><name>红线</name><Polygon><outerBoundaryIs><LinearRing><coordinates>110.60,21.40 110.61,")
    fgb = good / "red_line.fgb"
    g.to_file(fgb, driver="FlatGeobuf")
    vector("fgb_truncated", "红线.fgb", fgb.read_bytes()[:200])
    parquet = good / "red_line.parquet"
    g.to_parquet(parquet)
    vector("parquet_truncated", "红线.parquet", parquet.read_bytes()[:300])
    vector("csv_non_numeric", "点位.csv", "name,longitude,latitude\n一号,110.60,21.40\n二号,东经110度,21.41\n")
    vector("csv_no_coordinate_columns", "点位.csv", "name,x_coord,y_coord\n一号,110.60,21.40\n")
    vector("unknown_extension", "红线.xyz", b"\x00\x01\x02 random bytes \xff\xfe")
    vector("png_named_geojson", "红线.geojson", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))

    # --- 国土TXT -------------------------------------------------------------------------------------------
    good_parcel = [_parcel_line(), *_square_points()]
    guotu("guotu_zero_byte", b"")
    guotu("guotu_missing_coordinate_section", _guotu(good_parcel, section=False))
    guotu("guotu_missing_attribute_section", _guotu(good_parcel, header=""))
    guotu("guotu_unterminated_parcel_line", _guotu([_parcel_line()[:-2], *_square_points()]))
    pts = _square_points()
    pts[2] = "J3,1,abc,37465600.000"
    guotu("guotu_non_numeric_coordinate", _guotu([_parcel_line(), *pts]))
    pts = _square_points()
    pts[1] = "J2,1,nan,37465600.000"
    guotu("guotu_nan_coordinate", _guotu([_parcel_line(), *pts]))
    pts = _square_points()
    pts[1] = "J2,1,inf,37465600.000"
    guotu("guotu_infinite_coordinate", _guotu([_parcel_line(), *pts]))
    guotu("guotu_zone_contradicts_prefix", _guotu([_parcel_line(), *_square_points(x0=38465500.0)]))
    guotu("guotu_ring_3_points", _guotu([_parcel_line(3), *_square_points()[:2], _square_points()[0]]))
    guotu("guotu_truncated_mid_line", _guotu(good_parcel)[:-30])
    pts = _square_points()
    bowtie = [pts[0], pts[2].replace("J3", "J2"), pts[1].replace("J2", "J3"), pts[3], pts[4]]
    guotu("guotu_self_intersecting", _guotu([_parcel_line(), *bowtie]))
    guotu("guotu_five_mb_single_line", (GUOTU_HEADER + "[地块坐标]\r\n").encode("gbk") + b"5" * (5 * 1024 * 1024))
    guotu("guotu_binary_garbage", bytes(range(256)) * 64)

    # --- plan texts ----------------------------------------------------------------------------------------
    def plan(case_id, data):
        path = _write(folder / case_id / "规划文本.txt", data)
        cases.append((case_id, path, [["audit-text", str(path)]]))

    plan("plan_zero_byte", b"")
    plan("plan_big5", "生態保護紅線面積為1234.5公頃，佔全縣國土面積的12.3%。\n".encode("big5"))
    plan("plan_binary", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    plan("plan_utf32", "生态保护红线面积为1234.5公顷，占全县国土面积的12.3%。\n".encode("utf-32"))

    if demo_dir is not None:
        demo = Path(demo_dir)
        good_project = demo / "redline.toml"
        project_text = good_project.read_text(encoding="utf-8")

        def project(case_id, text, encoding="utf-8"):
            # written next to the demo's data so relative paths resolve: a sub-folder per case holds a copy
            # of the project file whose layer paths point back at the demo's data
            d = folder / case_id
            text = text.replace('path = "data/', f'path = "{demo}/data/').replace(
                'path = "sites/', f'path = "{demo}/sites/')
            path = _write(d / "redline.toml", text.encode(encoding))
            site = demo / "sites" / "项目选址.gpkg"
            cases.append((case_id, path, [
                ["check", str(site), "--project", str(path), "--no-maps", "--out", OUT],
                ["area", "red_line", "--project", str(path)],
            ]))

        project("project_syntax_error", project_text.replace("[region]", "[region", 1))
        project("project_missing_layer_file", project_text.replace("data/生态保护红线.shp", "data/不存在.shp", 1))
        project("project_unknown_kind", project_text.replace('kind = "red_line"', 'kind = "red_lion"', 1))
        project("project_boundary_layer_missing", project_text.replace('boundary = "county"', 'boundary = "nope"', 1))
        project("project_not_utf8", project_text, encoding="gbk")

        def layout(case_id, text):
            path = _write(folder / case_id / "structure.toml", text)
            cases.append((case_id, path, [
                ["map", "--project", str(good_project), "--layout", str(path), "--out", OUT + ".html"],
            ]))

        layout("layout_missing_features",
               '[[elements]]\nkind = "belt"\nlabel = "不存在的河"\n'
               'from = { layer = "rivers", where = { name = ["不存在的河"] } }\nbuffer_m = 1500\n')
        layout("layout_missing_layer",
               '[[elements]]\nkind = "patch"\nlabel = "片"\nfrom = { layer = "no_such_layer" }\n')
        layout("layout_syntax_error", '[[elements]\nkind = "belt"\n')
        layout("layout_no_elements", 'title = "空"\n')
    return cases


if __name__ == "__main__":
    for case_id, path, commands in generate(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None):
        print(case_id, path, json.dumps(commands, ensure_ascii=False))
