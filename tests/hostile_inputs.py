"""Generate the second corpus of hostile inputs (issue 16) into a folder: what a hostile user and a failing
machine hand redline, beyond the broken files of :mod:`tests.bad_inputs`.

Each case is ``(case_id, path, commands, expect)``: the commands that take it (argument lists; ``"OUT"`` stands
for an output path the test chooses in an empty folder) and, per command label, the outcome the README's
rules demand: ``(exit codes, regex the output must hold)``. Labels are ``inspect``, ``convert``, ``area``,
``check`` (the file as the sites), ``check-layer`` (as a control layer), ``boundary`` (``audit-text
--boundary``), ``plan`` (``audit-text``), ``layout`` (``map --layout``), ``project-check``, ``project-area``,
``project-audit``, ``project-map`` (a project file).

The classes (every one generated over several formats or paths, not one example each):

* GeometryCollections (of polygons, of lines, mixed, empty) in GeoJSON and GeoPackage;
* an empty FeatureCollection, a feature without geometry;
* coordinates of 1e300 in GeoJSON (lon/lat), GeoPackage (projected), GeoParquet, CSV and 国土TXT;
* a CurvePolygon;
* a GeoJSON ``crs`` member naming no known CRS;
* paths that are no file: a named pipe, ``/dev/zero`` behind a link, a link loop, a dangling link, a folder
  with a file's name;
* project files with values of the wrong type, a rule file that is the project itself, arrays nested 50,000
  deep, a nested table where a layout file is expected.

``python -m tests.hostile_inputs DIR [DEMO]`` writes the corpus to look at.
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import sys
from pathlib import Path

from tests.bad_inputs import X0, Y0, _guotu, _parcel_line, _square_points, _write

OUT = "OUT"
ERROR = 3
# exits of a check that ran: 0 every site conforms, 1 any other verdict
CHECKED = {0, 1}

GC_WARNING = r"GeometryCollection \(the first: feature \d+\), read as their"
HUGE = r"coordinate 1e\+300 is outside every coordinate system|northing 1e\+300 is no Gauss-Krüger northing"


def _box_lonlat(lon=110.60, lat=37.93, d=0.001):
    return [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]


def _feature(geometry, name="甲"):
    return {"type": "Feature", "properties": {"name": name}, "geometry": geometry}


def _fc(features, **extra) -> str:
    return json.dumps({"type": "FeatureCollection", **extra, "features": features}, ensure_ascii=False)


def _gpkg(path: Path, geoms, names=None, crs=4525) -> Path:
    import geopandas as gpd

    path.parent.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame({"name": names or [f"要素{i}" for i in range(len(geoms))]}, geometry=list(geoms),
                     crs=crs).to_file(path, layer=path.stem)
    return path


def _curve_gpkg(path: Path) -> Path:
    """A GeoPackage whose second feature is a CurvePolygon (a circle of 100 m radius made of arcs)."""
    import shapely

    _gpkg(path, [shapely.box(X0, Y0, X0 + 100, Y0 + 100), shapely.box(X0 + 200, Y0, X0 + 300, Y0 + 100)])
    pts = [(X0 + 200, Y0), (X0 + 300, Y0 + 100), (X0 + 200, Y0 + 200), (X0 + 100, Y0 + 100), (X0 + 200, Y0)]
    ring = struct.pack("<BII", 1, 8, len(pts)) + b"".join(struct.pack("<dd", *p) for p in pts)
    wkb = struct.pack("<BII", 1, 10, 1) + ring
    header = b"GP" + bytes([0, 1]) + struct.pack("<i", 4525)
    con = sqlite3.connect(path)
    try:
        for (name,) in con.execute("select name from sqlite_master where type = 'trigger'").fetchall():
            con.execute(f'drop trigger "{name}"')
        con.execute(f'update "{path.stem}" set geom = ? where fid = 2', (header + wkb,))
        con.execute("update gpkg_geometry_columns set geometry_type_name = 'GEOMETRY'")
        con.commit()
    finally:
        con.close()
    return path


def _vector_commands(p: str, good: dict) -> list[list[str]]:
    return [
        ["inspect", p],
        ["convert", p, OUT + ".gpkg"],
        ["area", p, "--within", str(good["boundary"])],
        ["check", p, "--layer", f"red_line={good['red_line']}", "--no-maps", "--out", OUT],
        ["check", str(good["site"]), "--layer", f"red_line={p}", "--no-maps", "--out", OUT],
        ["audit-text", str(good["plan"]), "--boundary", p, "--rules-out", OUT + ".toml"],
    ]


VECTOR_LABELS = ("inspect", "convert", "area", "check", "check-layer", "boundary")


def _same(codes, pattern=None) -> dict:
    """The same outcome for every vector command."""
    return {label: (set(codes), pattern) for label in VECTOR_LABELS}


def generate(folder: str | os.PathLike, demo_dir: str | os.PathLike | None = None):
    """Write the corpus into ``folder``; return ``[(case_id, path, commands, expect), ...]``.

    ``demo_dir``: a good project (the demo) for the project-file cases; without it they are left out.
    """
    import geopandas as gpd
    import shapely

    folder = Path(folder)
    good_dir = folder / "good"
    good = {
        "red_line": _gpkg(good_dir / "red_line.gpkg", [shapely.box(X0, Y0, X0 + 100, Y0 + 100)]),
        "site": _gpkg(good_dir / "site.gpkg", [shapely.box(X0 + 30, Y0 + 30, X0 + 130, Y0 + 130)]),
        "boundary": _gpkg(good_dir / "boundary.gpkg", [shapely.box(X0 - 5000, Y0 - 5000, X0 + 5000, Y0 + 5000)]),
        "plan": _write(good_dir / "规划文本.txt", "全县生态保护红线面积为1.0000公顷，占全县国土面积的0.01%。\n"),
        "layout": _write(good_dir / "structure.toml", 'title = "结构"\n[[elements]]\nkind = "node"\nlabel = "点"\n'
                                                       "coords = [110.6, 37.93]\n"),
    }
    cases = []

    def vector(case_id, rel, data, expect):
        path = folder / case_id / rel
        if callable(data):
            data(path)
        else:
            _write(path, data)
        cases.append((case_id, path, _vector_commands(str(path), good), expect))

    # --- GeometryCollections ---------------------------------------------------------------------------
    poly = {"type": "Polygon", "coordinates": [_box_lonlat()]}
    line = {"type": "LineString", "coordinates": [[110.60, 37.93], [110.61, 37.94]]}
    point = {"type": "Point", "coordinates": [110.605, 37.935]}
    gc_ok = {**_same(CHECKED, GC_WARNING), "inspect": ({0}, GC_WARNING), "convert": ({0}, GC_WARNING),
             "area": ({0}, GC_WARNING), "boundary": ({0, 1}, GC_WARNING)}
    vector("gc_polygons_geojson", "红线.geojson",
           _fc([_feature({"type": "GeometryCollection", "geometries": [poly]})]), gc_ok)
    vector("gc_mixed_geojson", "红线.geojson",
           _fc([_feature({"type": "GeometryCollection", "geometries": [poly, line, point]})]),
           {label: (codes, GC_WARNING + r".*dropped") for label, (codes, _) in gc_ok.items()})
    vector("gc_nested_gpkg", "红线.gpkg", lambda p: _gpkg(p, [shapely.GeometryCollection([
        shapely.GeometryCollection([shapely.box(X0, Y0, X0 + 100, Y0 + 100)]), shapely.box(X0 + 200, Y0, X0 + 300, Y0 + 50)])]),
           gc_ok)
    vector("gc_empty_and_polygon_geojson", "红线.geojson",
           _fc([_feature({"type": "GeometryCollection", "geometries": []}, "空"), _feature(poly, "乙")]),
           {**gc_ok, "inspect": ({0}, r"empty or missing geometry"),
            "check": ({ERROR}, r"feature 0 \(空\): the site has no geometry")})
    lines_only = {"inspect": ({0}, GC_WARNING + " lines"), "convert": ({0}, GC_WARNING),
                  "area": ({ERROR}, r"must be polygons"), "check": (CHECKED, GC_WARNING),
                  "check-layer": (CHECKED | {ERROR}, r"GeometryCollection|polygons"),
                  "boundary": ({ERROR}, r"no polygon area")}
    vector("gc_lines_gpkg", "河流.gpkg", lambda p: _gpkg(p, [shapely.GeometryCollection([
        shapely.LineString([(X0, Y0), (X0 + 500, Y0 + 10)])])]), lines_only)

    # --- empty layers, missing geometry ----------------------------------------------------------------
    vector("empty_feature_collection", "红线.geojson", _fc([]), {
        "inspect": ({0}, None), "convert": ({0}, None), "area": ({ERROR}, r"no features"),
        "check": ({ERROR}, r"no features"), "check-layer": ({ERROR}, r"has no features"),
        "boundary": ({ERROR}, r"no polygon area")})
    vector("missing_geometry_gpkg", "红线.gpkg", lambda p: _gpkg(p, [shapely.box(X0, Y0, X0 + 100, Y0 + 100), None]),
           {"inspect": ({0}, r"missing geometry"), "convert": ({0}, None), "area": ({0}, None),
            "check": ({ERROR}, r"no geometry|empty"), "check-layer": (CHECKED, None), "boundary": ({0, 1}, None)})

    # --- coordinates of 1e300 ---------------------------------------------------------------------------
    huge = _same({ERROR}, HUGE)
    big_ring = _box_lonlat()
    big_ring[1] = [1e300, 37.93]
    vector("huge_lonlat_geojson", "红线.geojson", _fc([_feature({"type": "Polygon", "coordinates": [big_ring]})]), huge)
    vector("huge_projected_gpkg", "红线.gpkg", lambda p: _gpkg(p, [shapely.box(X0, Y0, X0 + 100, Y0 + 100),
                                                                  shapely.Polygon([(X0, Y0), (1e300, Y0), (X0, Y0 + 9)])]),
           huge)

    def huge_parquet(p):
        p.parent.mkdir(parents=True, exist_ok=True)
        gpd.GeoDataFrame({"name": ["甲"]}, geometry=[shapely.Point(1e300, Y0)], crs=4525).to_parquet(p)
    vector("huge_parquet", "点位.parquet", huge_parquet, huge)
    vector("huge_csv", "点位.csv", "name,longitude,latitude\n一号,110.60,37.93\n二号,1e300,37.93\n",
           _same({ERROR}, r"outside every coordinate system"))
    pts = _square_points()
    pts[1] = "J2,1,1e300,37465600.000"
    guotu_path = folder / "huge_guotu" / "项目红线.txt"
    _write(guotu_path, _guotu([_parcel_line(), *pts]))
    cases.append(("huge_guotu", guotu_path, [["inspect", str(guotu_path)], ["convert", str(guotu_path), OUT + ".gpkg"],
                                             ["check", str(guotu_path), "--layer", f"red_line={good['red_line']}",
                                              "--no-maps", "--out", OUT]],
                  {"inspect": ({ERROR}, HUGE), "convert": ({ERROR}, HUGE), "check": ({ERROR}, HUGE)}))

    # --- curves, unknown CRS ----------------------------------------------------------------------------
    vector("curve_polygon_gpkg", "红线.gpkg", _curve_gpkg, _same({ERROR}, r"feature 1: a CurvePolygon"))
    unknown = r"crs member names 'EPSG:999999', which is no known coordinate system"
    vector("geojson_unknown_crs", "红线.geojson",
           _fc([_feature(poly)], crs={"type": "name", "properties": {"name": "EPSG:999999"}}),
           {**_same(CHECKED, unknown), "inspect": ({0}, unknown), "convert": ({0}, unknown),
            "area": ({0}, unknown), "boundary": ({0, 1}, unknown)})

    # --- paths that are no file --------------------------------------------------------------------------
    def path_case(case_id, rel, make, pattern):
        path = folder / case_id / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        make(path)
        p = str(path)
        commands = _vector_commands(p, good) + [
            ["audit-text", p], ["map", "--project", str(demo_dir / "redline.toml") if demo_dir else p,
                                "--layout", p, "--out", OUT + ".html"]]
        expect = {**_same({ERROR}, pattern), "plan": ({ERROR}, pattern), "layout": ({ERROR}, pattern)}
        cases.append((case_id, path, commands if demo_dir else commands[:-1], expect))

    path_case("path_fifo", "红线.geojson", os.mkfifo, r"named pipe \(FIFO\)")
    path_case("path_dev_zero", "红线.geojson", lambda p: os.symlink("/dev/zero", p), r"a character device")
    path_case("path_link_loop", "红线.shp", lambda p: (os.symlink(p.with_name("环.shp"), p),
                                                      os.symlink(p, p.with_name("环.shp"))), r"symbolic link loop")
    path_case("path_dangling_link", "红线.gpkg", lambda p: os.symlink(p.with_name("不存在.gpkg"), p),
              r"symbolic link to a missing")
    path_case("path_folder_as_file", "红线.geojson", lambda p: p.mkdir(), r"is a folder|holds no site file")
    path_case("path_folder_as_txt", "规划.txt", lambda p: p.mkdir(), r"is a folder|holds no site file")

    # --- project files ----------------------------------------------------------------------------------
    if demo_dir is not None:
        demo = Path(demo_dir)
        text = (demo / "redline.toml").read_text(encoding="utf-8")

        def project(case_id, new_text, pattern, *, map_pattern=None):
            new_text = new_text.replace('path = "data/', f'path = "{demo}/data/').replace(
                'path = "sites/', f'path = "{demo}/sites/').replace('layout = "structure.toml"',
                                                                   f'layout = "{demo}/structure.toml"')
            path = _write(folder / case_id / "redline.toml", new_text)
            commands = [["check", str(demo / "sites" / "项目选址.gpkg"), "--project", str(path), "--no-maps",
                         "--out", OUT],
                        ["area", "red_line", "--project", str(path), "--xlsx", OUT + ".xlsx"],
                        ["audit", "--project", str(path), "--xlsx", OUT + ".xlsx"],
                        ["map", "--project", str(path), "--out", OUT + ".html"]]
            expect = {"project-check": ({ERROR}, pattern), "project-area": ({ERROR}, pattern),
                      "project-audit": ({ERROR}, pattern), "project-map": ({ERROR}, map_pattern or pattern)}
            cases.append((case_id, path, commands, expect))

        lid_line = r", line \d+: "
        project("project_encoding_number", text.replace('kind = "red_line"', 'kind = "red_line"\nencoding = 5', 1),
                lid_line + r"\[layers\.red_line\] encoding must be an encoding name")
        project("project_layout_number", text.replace('layout = "structure.toml"', "layout = 5"),
                lid_line + r"\[map\] layout must be text")
        project("project_crs_float", text.replace('crs = "EPSG:4525"', "crs = 4525.5"),
                lid_line + r"\[region\] crs must be a CRS .* not 4525\.5 \(a float\)")
        project("project_rules_file_is_itself", text.replace("[rules]\n", '[rules]\nfiles = ["redline.toml"]\n'),
                lid_line + r"\[rules\] files names the project file itself")
        project("project_nested_50000", text + "\nnested = " + "[" * 50_000 + "]" * 50_000 + "\n",
                lid_line + r".*nested more than \d+ levels deep")
        project("project_layout_table", text.replace('layout = "structure.toml"', "layout = { elements = [] }"),
                lid_line + r"\[map\] layout must be text")
        project("project_dotted_deep", text + "\n[" + ".".join(["deep"] * 40) + "]\nx = 1\n",
                r"nested more than \d+ levels deep")
    return cases


PROJECT_CASES = ("project_encoding_number", "project_layout_number", "project_crs_float",
                 "project_rules_file_is_itself", "project_nested_50000", "project_layout_table", "project_dotted_deep")


def label(case_id: str, path: Path, cmd: list[str]) -> str:
    """The label of one command of a case (see the module docstring)."""
    if case_id.startswith("project_"):
        return "project-" + cmd[0]
    if cmd[0] == "check" and f"red_line={path}" in cmd:
        return "check-layer"
    if cmd[0] == "audit-text":
        return "boundary" if "--boundary" in cmd else "plan"
    if cmd[0] == "map":
        return "layout"
    return cmd[0]


if __name__ == "__main__":
    for case_id, path, commands, _ in generate(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None):
        print(case_id, path, json.dumps(commands, ensure_ascii=False))
