"""Every command and TOML example of the README runs against the demo region, as it is written.

The ```sh blocks are taken from the README and run line by line with bash in a copy of the demo folder, each
block in one shell (so ``cd`` and ``&&`` work as a reader would type them), with the ``redline`` of this
environment on the PATH. Where an example names a file of its own (``红线.shp``, ``县界.shp``, ``项目红线.txt``
…), that file is made from the demo's data before the examples run (:data:`PLACEHOLDERS`). A command may exit 0
or 1 (1: it reports findings); anything else, a traceback or a ``redline: error`` fails the test with the line.

Skipped, with the reason: ``make`` targets (they build the environment and run the whole suite or the demo
themselves), and the examples that need a running dask cluster (``--scheduler``, ``dask scheduler``,
``dask worker``), the web API's ``curl`` examples (they name a server on another machine), and single lines
with a Windows path (``C:\\数据\\…``). The 天地图 example needs the user's key: it runs with a made-up key (the page is only
written, no tile is fetched).

The ```toml block of the project file is laid over the demo's ``redline.toml`` (its tables replace the demo's)
and must load, with its ``[[rules.distance]]`` rule, and check the demo's sites.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FAKE_TIANDITU_KEY = "0123456789abcdef0123456789abcdef"
SKIP = [  # (pattern, reason)
    (re.compile(r"^make\b"), "a make target: it builds the environment and runs the demo or the suite itself"),
    (re.compile(r"--scheduler\b|^dask (scheduler|worker)\b"), "needs a running dask cluster"),
    (re.compile(r"^curl\b"), "needs redline serve running on another machine (the API: tests/test_web_api.py)"),
]


def readme_blocks(lang: str) -> list[tuple[int, str]]:
    """``(line number, text)`` of every ```lang block of the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(text[:m.start()].count("\n") + 2, m.group(1)) for m in re.finditer(rf"```{lang}\n(.*?)```", text, re.S)]


def make_placeholders(d: Path) -> None:
    """The files the README's examples name, made from the demo's data."""
    data = d / "data"
    gpkg = data / "示范县.gpkg"
    county = gpd.read_file(gpkg, layer="示范县县界")
    towns = gpd.read_file(gpkg, layer="示范县乡镇界")
    sites = gpd.read_file(d / "sites" / "项目选址.gpkg", layer="sites")
    for stem in ("生态保护红线", "红线"):
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            shutil.copy(data / f"生态保护红线{ext}", d / f"{stem}{ext}")
    county.to_file(d / "县界.shp")
    towns.to_file(d / "乡镇.shp")
    towns.to_file(d / "示范县.gpkg", layer="townships")
    red = gpd.read_file(data / "生态保护红线.shp")
    for layer, g in (("生态保护红线", red), ("县界", county), ("乡镇", towns)):
        g.to_file(d / "山西行政区.gpkg", layer=layer)                      # one GeoPackage of several layers
    gpd.read_file(gpkg, layer="示范县永久基本农田").to_file(d / "三区三线.gdb", layer="永久基本农田", driver="OpenFileGDB")
    with zipfile.ZipFile(d / "资料.zip", "w") as z:                      # a Shapefile as it arrives by e-mail
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            z.write(data / f"生态保护红线{ext}", f"生态保护红线{ext}")
    with zipfile.ZipFile(d / "选址.zip", "w") as z:
        z.write(d / "sites" / "01_示范县幸福里住宅小区.txt", "01_示范县幸福里住宅小区.txt")
    parcels = sites[sites.geom_type == "Polygon"].head(3)                  # a drawing: the red line on its CAD layer
    gpd.GeoDataFrame({"Layer": ["用地红线"] * len(parcels)}, geometry=parcels.geometry.boundary.values,
                     crs=None).to_file(d / "总图.dxf", driver="DXF")
    gpd.read_file(gpkg, layer="示范县永久基本农田").to_file(d / "永久基本农田.gpkg")
    for name in ("项目红线.txt", "01_住宅小区.txt"):
        shutil.copy(d / "sites" / "01_示范县幸福里住宅小区.txt", d / name)
    sites[sites.geom_type == "Polygon"].to_file(d / "sites.gpkg")          # parcels, as 国土TXT holds
    shutil.copy(d / "sites" / "项目选址.gpkg", d / "地块.gpkg")
    sites[sites.geom_type == "Polygon"].to_file(d / "site.shp")
    shutil.copy(d / "示范县生态保护规划.txt", d / "规划文本.txt")
    # points for the streaming example, inside the county
    x0, y0, x1, y1 = county.total_bounds
    pts = [shapely.Point(x0 + (x1 - x0) * (i + 0.5) / 20, y0 + (y1 - y0) * (j + 0.5) / 20)
           for i in range(20) for j in range(20)]
    gpd.GeoDataFrame({"name": [f"点{k}" for k in range(len(pts))]}, geometry=pts, crs=county.crs) \
        .to_parquet(d / "1000万点.parquet")
    # the output `redline verify` is shown on
    subprocess.run([str(BIN / "redline"), "check", "sites/项目选址.gpkg", "--out", "demo-out/outputs/check", "-q",
                    "--no-maps"], cwd=d, capture_output=True, check=False)
    subprocess.run([str(BIN / "redline"), "map", "--no-layout", "--out", "demo-out/outputs/web_map.html"], cwd=d,
                   capture_output=True, check=False)


@pytest.fixture(scope="module")
def workdir(demo_dir, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("readme") / "demo"
    shutil.copytree(demo_dir, d)
    make_placeholders(d)
    return d


# single lines left out of their block: a Windows path, shown for Windows users, does not exist here
SKIP_LINE = re.compile(r'"[A-Z]:\\')


def commands() -> list:
    """Every command line of the README's ```sh blocks, grouped by block, as pytest params."""
    params = []
    for line_no, block in readme_blocks("sh"):
        lines = [ln for ln in block.splitlines() if ln.strip() and not ln.strip().startswith("#")
                 and not SKIP_LINE.search(ln)]
        skip = next((reason for ln in lines for pat, reason in SKIP if pat.search(ln.strip())), None)
        marks = [pytest.mark.skip(reason=skip)] if skip else []
        params.append(pytest.param(lines, id=f"README.md:{line_no}", marks=marks))
    return params


@pytest.mark.parametrize("lines", commands())
def test_readme_commands_run_on_the_demo(workdir, lines):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    script = []
    for ln in lines:
        ln = ln.replace("--tianditu-key KEY", f"--tianditu-key {FAKE_TIANDITU_KEY}")
        script.append(ln)
        quoted = ln.replace("'", "'\\''")
        script.append(f"rc=$?; if [ $rc -gt 1 ]; then echo 'README line failed ('$rc'): {quoted}' >&2; exit $rc; fi")
    r = subprocess.run(["bash", "-c", "\n".join(script)], cwd=workdir, env=env, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode in (0, 1), r.stderr[-2000:]
    assert "Traceback" not in r.stderr and "redline: error" not in r.stderr, r.stderr[-2000:]


def test_the_project_file_example_loads_and_checks(workdir, tmp_path):
    from redline.layers.project import Project
    from redline.spatial.rules import rules_for_project

    (block,) = [b for _, b in readme_blocks("toml") if "[region]" in b]
    example = tomllib.loads(block)
    demo = tomllib.loads((workdir / "redline.toml").read_text(encoding="utf-8"))
    merged = {k: v for k, v in demo.items()}
    for table, value in example.items():
        if isinstance(value, dict) and isinstance(merged.get(table), dict):
            merged[table] = {**merged[table], **value}
        else:
            merged[table] = value
    project = Project.from_dict(merged, base=workdir, path=workdir / "example.toml")
    rules = rules_for_project(project)
    (dr,) = rules.distance
    assert dr.id == example["rules"]["distance"][0]["id"] and dr.message and dr.clause
    import redline

    r = redline.check(workdir / "sites" / "项目选址.gpkg", project)
    assert not [w for w in r.warnings if "matches no feature" in w], "the example's where names a demo river"
    assert set(r.sites["verdict"]) <= {"符合", "不符合", "需论证", "无法判定"}
