"""Streaming site checks (``redline check --stream``): the rows of the in-memory check, chunk by chunk, in
bounded memory, whole outputs or none.

The main assertion is equality with the in-memory check: ``sites.csv`` and ``hits.csv`` byte for byte, for
GeoParquet, CSV and GeoPackage inputs and chunk sizes 1, 7 and larger than the file. New numbers are
checked by construction (a point inside a square zone, a point outside it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

from redline.cli import main

CRS = 4525
X, Y = 37_500_000.0, 4_250_000.0
ROOT = Path(__file__).resolve().parents[1]


def invoke(*args):
    return CliRunner().invoke(main, ["check", *map(str, args)])


@pytest.fixture(scope="module")
def demo_points(demo_dir, tmp_path_factory) -> dict:
    """60 points over the demo county (some codes duplicated, one missing) as GeoParquet (EPSG:4525) and as a
    CSV of longitude/latitude (EPSG:4490, placed by its numbers)."""
    from redline.layers.readers import read_layer

    county = read_layer(demo_dir / "data" / "示范县.gpkg", layer="示范县县界")
    x0, y0, x1, y1 = county.total_bounds
    rng = np.random.default_rng(5)
    n = 60
    pts = shapely.points(rng.uniform(x0 - 3000, x1, n), rng.uniform(y0, y1, n))   # some outside the county
    codes = [f"P{i:03d}" for i in range(n)]
    codes[5] = codes[40] = "DUP"
    codes[12] = None
    types = np.array(["housing", "mining", "industry_high_pollution", "linear_infrastructure"])[np.arange(n) % 4]
    gdf = gpd.GeoDataFrame({"name": [f"点位{i}" for i in range(n)], "code": codes, "type": types},
                           geometry=pts, crs=CRS)
    d = tmp_path_factory.mktemp("points")
    gdf.to_parquet(d / "points.parquet")
    ll = gdf.to_crs(4490)
    csv = ll.drop(columns="geometry").assign(longitude=ll.geometry.x, latitude=ll.geometry.y)
    csv.to_csv(d / "points.csv", index=False, encoding="utf-8")
    return {"parquet": d / "points.parquet", "csv": d / "points.csv", "gdf": gdf,
            "project": demo_dir / "redline.toml"}


def in_memory(path, project, out) -> dict:
    r = invoke(path, "--project", project, "--out", out, "--no-maps", "-q")
    assert r.exit_code in (0, 1) and isinstance(r.exception, (SystemExit, type(None))), (r.output, r.exception)
    return {name: (out / name).read_bytes() for name in ("sites.csv", "hits.csv")}


def streamed(path, project, out, chunk, *options) -> dict:
    r = invoke(path, "--project", project, "--out", out, "--stream", "--chunk-size", chunk, "-q", *options)
    assert r.exit_code in (0, 1) and isinstance(r.exception, (SystemExit, type(None))), (r.output, r.exception)
    return {name: (out / name).read_bytes() for name in ("sites.csv", "hits.csv")}


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_streamed_parquet_rows_equal_the_in_memory_rows(demo_points, tmp_path, chunk):
    want = in_memory(demo_points["parquet"], demo_points["project"], tmp_path / "memory")
    got = streamed(demo_points["parquet"], demo_points["project"], tmp_path / "stream", chunk)
    assert got == want
    rows = want["sites.csv"].decode("utf-8-sig").splitlines()
    assert len(rows) == 61
    ids = [r.split(",")[0] for r in rows[1:]]
    assert ids[5] == "points-6" and ids[40] == "points-41" and ids[12] == "points-13"   # duplicated / missing code
    assert ids[0] == "P000"


@pytest.mark.parametrize("workers", [1, 3])
def test_the_workers_write_the_in_memory_rows_in_order(demo_points, tmp_path, workers):
    """One process checking the chunks in turn, or three at once (more than the chunks waiting): the rows of
    the in-memory check, in the file's order."""
    want = in_memory(demo_points["parquet"], demo_points["project"], tmp_path / "memory")
    got = streamed(demo_points["parquet"], demo_points["project"], tmp_path / "stream", 4, "--workers", workers)
    assert got == want


def test_workers_are_for_stream_or_dask(demo_points, tmp_path):
    r = invoke(demo_points["parquet"], "--project", demo_points["project"], "--out", tmp_path, "--workers", 2)
    assert r.exit_code == 2 and "--workers is for the dask engine or --stream" in r.stderr
    r = invoke(demo_points["parquet"], "--project", demo_points["project"], "--out", tmp_path, "--stream",
               "--workers", 0)
    assert r.exit_code == 2 and "--workers must be at least 1" in r.stderr


def test_an_input_error_keeps_its_file_and_row_through_a_worker():
    """A worker's error is pickled back to the parent: the same one-line message, file and row."""
    import pickle

    from redline.layers.errors import InputError

    e = pickle.loads(pickle.dumps(InputError("invalid site geometry", path="a.shp", line=3, feature="点位3")))
    assert (str(e), e.path, e.line, e.feature) == ("a.shp, line 3, feature 点位3: invalid site geometry", "a.shp", 3,
                                                   "点位3")


def test_streamed_csv_and_geopackage_rows_equal_the_in_memory_rows(demo_points, demo_dir, tmp_path):
    for path, chunk in ((demo_points["csv"], 7), (demo_dir / "sites" / "项目选址.gpkg", 3)):
        want = in_memory(path, demo_points["project"], tmp_path / f"m-{path.suffix}")
        got = streamed(path, demo_points["project"], tmp_path / f"s-{path.suffix}", chunk)
        assert got == want, path


def test_check_json_holds_the_summary_and_points_to_the_csv(demo_points, tmp_path):
    r = invoke(demo_points["parquet"], "--project", demo_points["project"], "--out", tmp_path / "m", "--no-maps",
               "-q")
    memory = json.loads((tmp_path / "m" / "check.json").read_text(encoding="utf-8"))
    r = invoke(demo_points["parquet"], "--project", demo_points["project"], "--out", tmp_path / "s", "--stream",
               "--chunk-size", 25, "--json", "-q")
    js = json.loads(r.stdout)
    assert json.loads((tmp_path / "s" / "check.json").read_text(encoding="utf-8")) == js
    assert "sites" not in js
    assert js["summary"] == memory["summary"] and js["summary"]["sites"] == 60
    # the stream writes no nearest features (the CSV files do not show them), so it does not search them
    assert js["analysis"]["nearest_searched"] is False and memory["analysis"]["nearest_searched"] is True
    assert "未搜索最近要素" in js["analysis"]["distance_method"]
    same = ("nearest_searched", "distance_method")
    assert {k: v for k, v in js["analysis"].items() if k not in same} == \
        {k: v for k, v in memory["analysis"].items() if k not in same}
    assert js["layers"] == memory["layers"]
    assert js["stream"]["sites_file"] == "sites.csv" and js["stream"]["hits_file"] == "hits.csv"
    assert js["stream"]["chunks"] == 3
    roles = [i["role"] for i in js["provenance"]["inputs"]]
    assert roles[0] == "sites" and "project" in roles
    assert r.exit_code == 1                                   # not every site conforms
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["check.json", "hits.csv", "sites.csv"]


def test_a_point_inside_and_a_point_outside_a_square(tmp_path):
    """By construction: the inside point occupies the red line (a mining site: 不符合), the other lies 300 m
    east of it, outside the data's coverage (the layer's hull): 无法判定."""
    gpd.GeoDataFrame({"name": ["红线甲"]}, geometry=[box(X, Y, X + 1000, Y + 1000)], crs=CRS).to_file(
        tmp_path / "rl.gpkg")
    gpd.GeoDataFrame({"name": ["里面", "外面"], "code": ["A", "B"], "type": ["mining", "mining"]},
                     geometry=[shapely.Point(X + 500, Y + 500), shapely.Point(X + 1300, Y + 500)],
                     crs=CRS).to_parquet(tmp_path / "p.parquet")
    r = invoke(tmp_path / "p.parquet", "--layer", f"red_line={tmp_path / 'rl.gpkg'}", "--out", tmp_path / "o",
               "--stream", "-q")
    assert r.exit_code == 1, r.output
    sites = (tmp_path / "o" / "sites.csv").read_text(encoding="utf-8-sig").splitlines()
    head = sites[0].split(",")
    inside = dict(zip(head, sites[1].split(","), strict=True))
    outside = dict(zip(head, sites[2].split(","), strict=True))
    assert inside["项目编号"] == "A" and inside["结论"] == "不符合" and inside["压覆图层"] == "生态保护红线"
    assert outside["结论"] == "无法判定" and outside["压覆图层"] == "" and outside["在数据覆盖范围内"] == "否"
    hits = (tmp_path / "o" / "hits.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(hits) == 2 and "红线甲" in hits[1] and hits[1].startswith("A,")


def test_a_bad_coordinate_in_a_late_chunk_leaves_no_output(demo_points, tmp_path):
    text = demo_points["csv"].read_text(encoding="utf-8").splitlines()
    cells = text[50].split(",")           # data row 49, line 51 of the file
    cells[-2] = "abc"
    text[50] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    r = invoke(bad, "--project", demo_points["project"], "--out", out, "--stream", "--chunk-size", 7)
    assert r.exit_code == 3, r.output
    assert f"{bad}, line 51: non-numeric or missing coordinate in longitude/latitude" in r.stderr
    assert "Traceback" not in r.output
    assert not out.exists() or list(out.iterdir()) == []     # no CSV, no JSON, no temporary file
    memory = invoke(bad, "--project", demo_points["project"], "--out", tmp_path / "m")
    assert memory.exit_code == 3 and "line 51" in memory.stderr   # the same fault as the in-memory reader


def test_an_invalid_site_in_a_late_chunk_names_the_row(demo_points, tmp_path):
    gdf = demo_points["gdf"].copy()
    x, y = gdf.geometry.iloc[0].x, gdf.geometry.iloc[0].y
    gdf.loc[44, "geometry"] = shapely.Polygon([(x, y), (x + 10, y + 10), (x + 10, y), (x, y + 10)])   # a bow tie
    path = tmp_path / "bad.parquet"
    gdf.to_parquet(path)
    out = tmp_path / "out"
    r = invoke(path, "--project", demo_points["project"], "--out", out, "--stream", "--chunk-size", 10)
    assert r.exit_code == 3, r.output
    assert f"{path}, feature 44 (点位44): invalid site geometry" in r.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_progress_only_on_a_terminal(demo_points, tmp_path, monkeypatch):
    args = (demo_points["parquet"], "--project", demo_points["project"], "--stream", "--chunk-size", 30)
    r = invoke(*args, "--out", tmp_path / "a")
    assert "已检查" not in r.stderr                          # CliRunner's stderr is not a terminal
    monkeypatch.setattr("redline.commands.check.progress_enabled", lambda quiet: not quiet)
    r = invoke(*args, "--out", tmp_path / "b")
    assert "已检查 checked 30/60 sites" in r.stderr and "已检查 checked 60/60 sites" in r.stderr
    r = invoke(*args, "--out", tmp_path / "c", "-q")
    assert "已检查" not in r.stderr


def test_a_folder_is_refused_with_stream(demo_dir, tmp_path):
    r = invoke(demo_dir / "sites", "--project", demo_dir / "redline.toml", "--stream", "--out", tmp_path / "o")
    assert r.exit_code == 2 and "one site file, not a folder" in r.stderr


# ------------------------------------------------------------------------------------------------ memory
_CHILD = textwrap.dedent("""
    import os, sys, numpy as np, geopandas as gpd, shapely
    from shapely.geometry import box
    mode, n, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else None
    import redline
    layers = {"control_unit": os.path.join(folder, "units.gpkg"), "red_line": os.path.join(folder, "red.gpkg")}
    pts = os.path.join(folder, f"points-{n}.parquet")
    if mode == "stream":
        js = redline.check_stream(pts, layers, os.path.join(folder, f"out-{n}-{workers}"), chunk_size=20_000,
                                  workers=workers)
        print(js["summary"]["sites"])
    else:
        print(len(redline.check(pts, layers).sites))
    # this process's own peak: VmHWM of its address space (ru_maxrss would include the forking pytest worker's)
    print(next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:")))
""")


def _peak_mb(folder: Path, *args) -> tuple[float, str]:
    """Peak resident memory (MB) of a fresh Python running the child script with the workers it forks (their
    proportional set sizes summed while it runs, or its own VmHWM if higher), and what it printed."""
    from bench.e2e import tree_mb

    out, err = folder / "child.out", folder / "child.err"
    peak = 0.0
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, *map(str, args)], cwd=ROOT, stdout=fo, stderr=fe,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        while proc.poll() is None:
            peak = max(peak, tree_mb(proc.pid))
            time.sleep(0.05)
    assert proc.returncode == 0, err.read_text()[-2000:]
    printed, peak_kb = out.read_text().split()
    return max(peak, int(peak_kb) / 1024), printed


def _write_points(path: Path, n: int) -> None:
    import pyarrow.parquet as pq
    from geopandas.io.arrow import _geopandas_to_arrow

    rng = np.random.default_rng(n)
    writer = None
    for start in range(0, n, 250_000):
        m = min(250_000, n - start)
        g = gpd.GeoDataFrame({"code": [f"P{i}" for i in range(start, start + m)], "type": ["housing"] * m},
                             geometry=shapely.points(rng.uniform(X, X + 20_000, m), rng.uniform(Y, Y + 20_000, m)),
                             crs=CRS)
        t = _geopandas_to_arrow(g, index=False)
        writer = writer or pq.ParquetWriter(path, t.schema)
        writer.write_table(t.replace_schema_metadata(writer.schema.metadata))
    writer.close()


@pytest.mark.slow
def test_streaming_memory_does_not_grow_with_the_number_of_sites(tmp_path):
    """1 million points streamed in chunks of 20,000 peak below what the in-memory check of 100,000 needs,
    and about where 100,000 streamed do."""
    cells = [box(X + i * 2000, Y + j * 2000, X + (i + 1) * 2000, Y + (j + 1) * 2000) for i in range(10) for j in range(10)]
    gpd.GeoDataFrame({"name": [f"单元{k}" for k in range(100)],
                      "unit_class": ["优先保护单元", "重点管控单元", "一般管控单元", "一般管控单元"] * 25},
                     geometry=cells, crs=CRS).to_file(tmp_path / "units.gpkg")
    gpd.GeoDataFrame({"name": ["红线"]}, geometry=[box(X + 5000, Y + 5000, X + 9000, Y + 9000)], crs=CRS).to_file(
        tmp_path / "red.gpkg")
    for n in (100_000, 1_000_000):
        _write_points(tmp_path / f"points-{n}.parquet", n)
    small, out_small = _peak_mb(tmp_path, "stream", 100_000, tmp_path, 1)
    big, out_big = _peak_mb(tmp_path, "stream", 1_000_000, tmp_path, 1)
    memory, out_memory = _peak_mb(tmp_path, "memory", 100_000, tmp_path)
    assert (out_small, out_big, out_memory) == ("100000", "1000000", "100000")
    assert big < memory, (big, memory)                  # 10x the sites in less memory than in-memory 1/10
    assert big - small < 120, (small, big)               # bounded: ~8 bytes a site of code hashes
    # two worker processes (each its chunk, the layers shared): more memory, as bounded
    small2, _ = _peak_mb(tmp_path, "stream", 100_000, tmp_path, 2)
    big2, out_big2 = _peak_mb(tmp_path, "stream", 1_000_000, tmp_path, 2)
    assert out_big2 == "1000000"
    assert big2 - small2 < 120, (small2, big2)
