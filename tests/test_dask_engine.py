"""The dask engine gives the local engine's results: site checks and area shares, on the demo region and on
generated larger sets, through the API, the CLI and a scheduler address; errors on workers stay one line.

A small local cluster (2 worker processes, 1 thread each) is started once for the module and closed at
its end. "Identical" is defined in :mod:`redline.spatial.dask_engine`: the same JSON, numbers within 1e-12
relative for checks and 1e-9 for areas.
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

pytest.importorskip("distributed")

from redline.cli import main  # noqa: E402
from redline.layers.errors import InputError, UsageError  # noqa: E402
from redline.layers.info import LayerInfo, with_info  # noqa: E402
from redline.layers.sites import SiteSource  # noqa: E402
from redline.spatial.check import (  # noqa: E402
    CheckContext,
    check_project,
    check_sites,
    load_check_layers,
    prepare_layers,
)
from redline.spatial.check.dask import check_dask  # noqa: E402
from redline.spatial.dask_engine import area_shares_dask, dask_client, spatial_partitions  # noqa: E402
from redline.spatial.shares import area_shares  # noqa: E402

CRS = 4525
X, Y = 37_500_000.0, 4_250_000.0   # on the central meridian 111°E, about 38.4°N
GEOD = pyproj.Geod(a=6378137.0, f=1 / 298.257222101)
TO_LL = pyproj.Transformer.from_crs(CRS, 4490, always_xy=True)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                     silence_logs=50)
    yield c
    c.close()


@pytest.fixture(scope="module")
def client(cluster):
    from distributed import Client

    with Client(cluster) as c:
        yield c


def assert_same(a, b, rel: float, path: str = "$") -> None:
    """Same structure, keys, strings and booleans; numbers within ``rel`` relative (1e-6 absolute near 0)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), (path, list(a), list(b) if isinstance(b, dict) else b)
        for k in a:
            assert_same(a[k], b[k], rel, f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (path, len(a), b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, rel, f"{path}[{i}]")
    elif isinstance(a, float) and not isinstance(a, bool):
        assert isinstance(b, (int, float)) and b == pytest.approx(a, rel=rel, abs=1e-6), (path, a, b)
    else:
        assert a == b, (path, a, b)


def without_created(js: dict) -> dict:
    js = json.loads(json.dumps(js, ensure_ascii=False, default=str))
    js.get("provenance", {}).pop("created", None)
    return js


# ------------------------------------------------------------------------------------------------ checks
def test_demo_check_equals_local(demo_dir, client):
    from redline.layers.project import load_project

    project = load_project(demo_dir / "redline.toml")
    for sites in (demo_dir / "sites", demo_dir / "sites" / "项目选址.gpkg"):
        local = check_project(sites, project).to_dict()
        seen = []
        dask = check_dask(sites, load_check_layers(project), client=client, npartitions=3,
                          progress=lambda k, n, label, seen=seen: seen.append((k, n))).to_dict()
        assert_same(local, dask, rel=1e-12)
        assert [s["site_id"] for s in dask["sites"]] == [s["site_id"] for s in local["sites"]]
        assert seen[-1][0] == seen[-1][1] >= 2            # one progress call per partition


def test_a_geoparquet_dataset_keeps_its_files_as_partitions(demo_dir, client, tmp_path):
    from redline.layers.project import load_project
    from redline.layers.readers import read_layer

    county = read_layer(demo_dir / "data" / "示范县.gpkg", layer="示范县县界").to_crs(CRS)
    x0, y0, x1, y1 = county.total_bounds
    rng = np.random.default_rng(3)
    folder = tmp_path / "dataset"
    folder.mkdir()
    for k in range(3):   # three spatial bands, as a spatially partitioned dataset would hold them
        n = 40
        pts = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0 + k * (y1 - y0) / 3, y0 + (k + 1) * (y1 - y0) / 3, n))
        gpd.GeoDataFrame({"name": [f"点{k}-{i}" for i in range(n)], "code": [f"K{k}-{i}" for i in range(n)],
                          "type": ["housing", "mining"] * (n // 2)}, geometry=pts, crs=CRS
                         ).to_parquet(folder / f"part.{k}.parquet")
    project = load_project(demo_dir / "redline.toml")
    local = check_project(folder, project).to_dict()
    seen = []
    dask = check_dask(folder, load_check_layers(project), client=client,
                      progress=lambda k, n, label: seen.append(n)).to_dict()
    assert set(seen) == {3}
    assert_same(local, dask, rel=1e-12)


def mixed_sites(n: int, extent, seed: int) -> gpd.GeoDataFrame:
    """Points, lines and polygons (a third each), with types that trigger different rules."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = extent
    cx, cy = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    kind = np.arange(n) % 3
    r = rng.uniform(30, 400, n)
    geoms = np.empty(n, dtype=object)
    geoms[kind == 0] = shapely.points(cx[kind == 0], cy[kind == 0])
    k1 = np.flatnonzero(kind == 1)
    geoms[k1] = [shapely.LineString([(x - rr * 3, y - rr), (x, y + rr), (x + rr * 3, y)])
                 for x, y, rr in zip(cx[k1], cy[k1], r[k1], strict=True)]
    k2 = np.flatnonzero(kind == 2)
    geoms[k2] = shapely.buffer(shapely.points(cx[k2], cy[k2]), r[k2], quad_segs=4)
    types = np.array(["mining", "linear_infrastructure", "housing", None], dtype=object)[np.arange(n) % 4]
    codes = [f"G{i}" for i in range(n)]
    codes[5] = codes[6]                                  # a duplicated code: both get file-row ids
    return gpd.GeoDataFrame({"name": [f"地块{i}" for i in range(n)], "code": codes, "type": types,
                             "site_id": [f"G{i}" for i in range(n)]}, geometry=geoms, crs=CRS)


def generated_layers(n_units: int, n_red: int, seed: int) -> tuple[dict, tuple]:
    """A grid of control units, overlapping red-line blobs, and roads (a line layer)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_units)))
    cell = 1500.0
    ext = (X - side * cell / 2, Y - side * cell / 2, X + side * cell / 2, Y + side * cell / 2)
    ix, iy = np.meshgrid(np.arange(side), np.arange(side))
    units = shapely.box(ext[0] + ix.ravel() * cell, ext[1] + iy.ravel() * cell,
                        ext[0] + (ix.ravel() + 1) * cell, ext[1] + (iy.ravel() + 1) * cell)
    classes = np.array(["优先保护单元", "重点管控单元", "一般管控单元"])[np.arange(len(units)) % 3]
    cu = gpd.GeoDataFrame({"name": [f"单元{i}" for i in range(len(units))], "unit_class": classes},
                          geometry=units, crs=CRS)
    with_info(cu, LayerInfo(kind="control_unit"))
    red = shapely.buffer(shapely.points(rng.uniform(ext[0], ext[2], n_red), rng.uniform(ext[1], ext[3], n_red)),
                         rng.uniform(200, 1200, n_red), quad_segs=6)
    rl = gpd.GeoDataFrame({"name": [f"红线{i}" for i in range(n_red)]}, geometry=red, crs=CRS)   # overlapping
    with_info(rl, LayerInfo(kind="red_line"))
    roads = [shapely.LineString([(ext[0], y), (ext[2], y + 300)]) for y in np.linspace(ext[1], ext[3], 12)]
    rd = gpd.GeoDataFrame({"name": [f"道路{i}" for i in range(len(roads))]}, geometry=roads, crs=CRS)
    with_info(rd, LayerInfo(kind="road"))
    county = gpd.GeoDataFrame({"name": ["县"]}, geometry=[box(*ext).buffer(-2000)], crs=CRS)  # some sites outside
    with_info(county, LayerInfo(kind="boundary"))
    return {"county": county, "control_units": cu, "red_line": rl, "roads": rd}, ext


def _context(layers: dict, **kw) -> CheckContext:
    return CheckContext(prepared=prepare_layers(layers, **kw), inputs=[], warnings=[])


def _compare_generated(client, n_sites: int, n_units: int, n_red: int, npartitions: int) -> None:
    layers, ext = generated_layers(n_units, n_red, seed=7)
    sites = mixed_sites(n_sites, ext, seed=8)
    local = check_sites(sites, layers).to_dict()
    dask = check_dask(sites, _context(layers), client=client, npartitions=npartitions).to_dict()
    assert_same(local, dask, rel=1e-12)
    verdicts = local["summary"]["verdicts"]
    assert sum(v > 0 for v in verdicts.values()) >= 3      # the set exercises several verdicts


def test_generated_set_equals_local(client):
    _compare_generated(client, 600, 400, 60, npartitions=5)


@pytest.mark.slow
def test_larger_generated_set_equals_local(client):
    _compare_generated(client, 5_000, 3_000, 400, npartitions=8)


def test_a_hand_checked_overlap_on_the_cluster(client):
    """Half of a 1 km square site on a red-line square: 50 % of the site, whichever engine."""
    rl = gpd.GeoDataFrame({"name": ["红线"]}, geometry=[box(X, Y, X + 1000, Y + 1000)], crs=CRS)
    site = gpd.GeoDataFrame({"name": ["矿山", "远处"], "type": ["mining", "mining"]},
                            geometry=[box(X + 500, Y, X + 1500, Y + 1000), shapely.Point(X + 1300, Y + 500)],
                            crs=CRS)
    ctx = _context({"red_line": rl}, kinds={"red_line": "red_line"}, coverage=box(X - 5e3, Y - 5e3, X + 5e3,
                                                                                  Y + 5e3))
    out = check_dask(site, ctx, client=client, npartitions=2).to_dict()
    first, second = out["sites"]
    assert first["verdict"] == "不符合" and first["layers"][0]["pct_of_site"] == pytest.approx(50.0, abs=1e-3)
    ll = np.column_stack(TO_LL.transform([X + 500, X + 1000, X + 1000, X + 500], [Y, Y, Y + 1000, Y + 1000]))
    want = abs(GEOD.polygon_area_perimeter(ll[:, 0], ll[:, 1])[0])   # the overlap, by GeographicLib
    assert first["layers"][0]["overlap_m2"] == pytest.approx(want, rel=1e-6)
    # 300 m east of the square (on the central meridian the Gauss-Krüger scale is 1)
    (lon1, lat1), (lon2, lat2) = TO_LL.transform(X + 1000, Y + 500), TO_LL.transform(X + 1300, Y + 500)
    assert second["nearest"][0]["distance_m"] == pytest.approx(GEOD.inv(lon1, lat1, lon2, lat2)[2], abs=0.01)


def test_spatial_partitions_are_compact_and_keep_positions():
    pts = shapely.points([[0, 0], [10_000, 10_000], [0, 10], [10_000, 10_010], [10, 0], [10_010, 10_000]])
    g = gpd.GeoDataFrame({"v": range(6)}, geometry=pts, crs=CRS)
    parts = spatial_partitions(g, 2)
    assert sorted(sorted(p["_pos"]) for p in parts) == [[0, 2, 4], [1, 3, 5]]
    assert sorted(len(p) for p in spatial_partitions(g, 4)) == [1, 1, 2, 2] and len(spatial_partitions(g, 9)) == 6


def test_a_worker_error_reaches_the_caller_as_the_same_error(client):
    rl = gpd.GeoDataFrame(geometry=[box(X, Y, X + 1000, Y + 1000)], crs=CRS)
    ctx = _context({"red_line": rl}, kinds={"red_line": "red_line"})
    bowtie = shapely.Polygon([(X, Y), (X + 10, Y + 10), (X + 10, Y), (X, Y + 10)])
    bad = gpd.GeoDataFrame({"name": ["甲", "乙"]}, geometry=[box(X, Y, X + 1, Y + 1), bowtie], crs=CRS)
    bad["_source"], bad["_row"] = "sites.gpkg", [0, 1]
    with pytest.raises(InputError) as exc:
        check_dask(bad, ctx, client=client, npartitions=1)
    assert str(exc.value).startswith("sites.gpkg, feature 1 (乙): invalid site geometry")
    assert exc.value.exit_code == 3
    again = pickle.loads(pickle.dumps(exc.value))          # what crossing from a worker does
    assert str(again) == str(exc.value) and again.path == "sites.gpkg"


# ------------------------------------------------------------------------------------------------- areas
def test_demo_area_equals_local(demo_dir, client):
    from redline.layers.readers import read_layer

    red = read_layer(demo_dir / "data" / "生态保护红线.shp")
    county = read_layer(demo_dir / "data" / "示范县.gpkg", layer="示范县县界")
    towns = read_layer(demo_dir / "data" / "示范县.gpkg", layer="示范县乡镇界")
    for kw in ({}, {"zones": towns}, {"by": red.columns[0]}):
        local = area_shares(red, county, **kw)
        dask = area_shares_dask(red, county, client=client, chunks=3, **kw)
        assert_same(local, dask, rel=1e-9)
    assert local["total_m2"] > 0


@pytest.mark.parametrize("n", [300, pytest.param(3_000, marks=pytest.mark.slow)])
def test_generated_overlapping_layer_area_equals_local(client, n):
    layers, ext = generated_layers(100, n, seed=11)
    red, county = layers["red_line"], layers["county"]
    zones = layers["control_units"]
    local = area_shares(red, county, zones=zones)
    dask = area_shares_dask(red, county, zones=zones, client=client, chunks=7)
    assert local["overlap_removed_m2"] > 0                 # the blobs overlap: groups are unioned on workers
    assert_same(local, dask, rel=1e-9)
    # a hand-checkable case: two 1 km x 2 km rectangles sharing 1 km²; planar area counts it once
    two = gpd.GeoDataFrame(geometry=[box(X, Y, X + 1000, Y + 2000), box(X, Y + 1000, X + 1000, Y + 3000)], crs=CRS)
    r = area_shares_dask(two, client=client, method="planar")
    assert r["total_m2"] == pytest.approx(3_000_000.0) and r["overlap_removed_m2"] == pytest.approx(1_000_000.0)


# --------------------------------------------------------------------------------------------------- CLI
def invoke(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def test_cli_scheduler_address_gives_the_local_json(demo_dir, cluster):
    sites = demo_dir / "sites" / "项目选址.gpkg"
    project = demo_dir / "redline.toml"
    local = invoke("check", sites, "--project", project, "--json", "-q")
    dask = invoke("check", sites, "--project", project, "--json", "-q", "--scheduler", cluster.scheduler_address,
                  "--partitions", 3)
    assert local.exit_code == dask.exit_code == 1, dask.output
    assert_same(without_created(json.loads(local.stdout)), without_created(json.loads(dask.stdout)), rel=1e-12)
    county = f"{demo_dir / 'data' / '示范县.gpkg'}:示范县县界"     # the GeoPackage holds 11 layers: name one
    local = invoke("area", demo_dir / "data" / "生态保护红线.shp", "--within", county, "--json", "-q")
    dask = invoke("area", demo_dir / "data" / "生态保护红线.shp", "--within", county, "--json", "-q",
                  "--scheduler", cluster.scheduler_address)
    assert local.exit_code == dask.exit_code == 0, dask.output
    a, b = without_created(json.loads(local.stdout)), without_created(json.loads(dask.stdout))
    assert a["rounded_rows"] == b["rounded_rows"] and a["total"] == b["total"]
    assert_same(a, b, rel=1e-9)


@pytest.mark.parametrize("args, message", [
    (["check", "S", "--engine", "local", "--scheduler", "tcp://127.0.0.1:8786"], "--scheduler runs on the dask"),
    (["check", "S", "--workers", "2"], "--workers is for the dask engine"),
    (["check", "S", "--partitions", "2"], "--partitions is for the dask engine"),
    (["check", "S", "--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], "a cluster at --scheduler"),
    (["check", "S", "--stream", "--engine", "dask", "--out", "o"], "--stream runs on the local engine"),
    (["check", "S", "--stream"], "give --out DIR"),
    (["check", "S", "--chunk-size", "10"], "--chunk-size is for --stream"),
    (["check", "S", "--stream", "--out", "o", "--chunk-size", "0"], "at least 1"),
    (["area", "L", "--workers", "2"], "--workers sizes the local dask cluster"),
    (["area", "L", "--engine", "local", "--scheduler", "tcp://127.0.0.1:8786"], "--scheduler runs on the dask"),
])
def test_nonsense_combinations_are_usage_errors(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "S").write_text("x")
    (tmp_path / "L").write_text("x")
    extra = ["--layer", "red_line=rl.shp"] if args[0] == "check" else []
    r = invoke(*args, *extra)
    assert r.exit_code == 2, r.output
    assert message in r.stderr and "Traceback" not in r.output


def test_without_dask_installed_a_usage_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)      # import distributed → ImportError
    with pytest.raises(UsageError, match=r'pip install "redline\[dask\]"'), dask_client():
        pass


def test_the_local_cluster_is_closed_also_on_errors():
    with pytest.raises(InputError), dask_client(n_workers=1, processes=False) as c:
        cluster = c.cluster
        raise InputError("boom")
    assert c.status == "closed" and cluster.status.name == "closed"


def test_an_unreachable_scheduler_or_one_without_workers_is_an_input_error():
    from distributed import LocalCluster

    with pytest.raises(InputError, match="cannot connect to the dask scheduler at tcp://127.0.0.1:9"), \
            dask_client("tcp://127.0.0.1:9", timeout=1):
        pass
    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty:
        with pytest.raises(InputError, match="has no worker"), dask_client(empty.scheduler_address, timeout=1):
            pass


# ------------------------------------------------------------------------ GeoParquet datasets on workers
DATASET_FILES = ("part.0.parquet", "part.1.parquet", "part.2.parquet", "part.10.parquet")


def write_dataset(folder, county, *, bad: str | None = None) -> list:
    """Four GeoParquet files of sites over the demo county, in four bands from south to north (as a
    spatially partitioned dataset holds them): points and polygons with Chinese field names; the code
    "DUP" in the first two files (both get ``<file stem>:DUP``), a code twice in the second file and rows
    without a code (``<file stem>-<row>``); the third file in longitude/latitude (reprojected on the
    worker, with the local engine's note). ``bad`` puts a NaN coordinate (``"nan"``) or a self-crossing
    polygon (``"bowtie"``) in row 4 of the third file in read order (``part.10``, read before ``part.2``,
    as :func:`redline.spatial.checks.site_files` sorts) and a NaN coordinate in row 7 of the fourth (``part.2``):
    the first fault in read order is the one reported."""
    x0, y0, x1, y1 = county.total_bounds
    rng = np.random.default_rng(21)
    folder.mkdir()
    for k, name in enumerate(DATASET_FILES):
        n = 12
        cx = rng.uniform(x0, x1, n)
        cy = rng.uniform(y0 + k * (y1 - y0) / 4, y0 + (k + 1) * (y1 - y0) / 4, n)
        geoms = np.where(np.arange(n) % 2 == 0, shapely.points(cx, cy),
                         shapely.buffer(shapely.points(cx, cy), rng.uniform(100, 900, n), quad_segs=4))
        codes = [f"P{k}-{i}" for i in range(n)]
        codes[1] = "DUP" if k < 2 else codes[1]
        codes[2] = codes[3] = f"P{k}-twice" if k == 1 else codes[2]
        codes[5] = None
        gdf = gpd.GeoDataFrame({"项目名称": [f"地块{k}-{i}" for i in range(n)], "地块编号": codes,
                                "项目类型": ["mining", "housing", "linear_infrastructure", "温室大棚"] * (n // 4)},
                               geometry=geoms, crs=CRS)
        if name == "part.2.parquet":
            gdf = gdf.to_crs(4490)
            if bad:
                gdf.loc[7, "geometry"] = shapely.Point(float("nan"), 38.0)
        if name == "part.10.parquet":
            if bad == "nan":
                gdf.loc[4, "geometry"] = shapely.Point(float("nan"), Y)
            elif bad == "bowtie":
                x, y = gdf.geometry.iloc[4].centroid.coords[0]
                gdf.loc[4, "geometry"] = shapely.Polygon([(x, y), (x + 100, y + 100), (x + 100, y), (x, y + 100)])
        gdf.to_parquet(folder / name)
    return [folder / n for n in DATASET_FILES]


@pytest.fixture(scope="module")
def demo_county(demo_dir):
    from redline.layers.readers import read_layer

    return read_layer(demo_dir / "data" / "示范县.gpkg", layer="示范县县界").to_crs(CRS)


@pytest.fixture
def no_client_reading(monkeypatch):
    """Reading a site in this (the client's) process fails: ``SiteSource.read`` and ``read_file`` raise, and
    so do ``read_layer`` and ``geopandas.read_parquet`` for a GeoParquet file (the control layers,
    GeoPackage and Shapefile, are read here as they should be). The cluster's workers are other processes,
    untouched: what they read, they read with the real functions. What is left to the client is listing
    the folder and opening a single file's Parquet footer (pyarrow, not these functions)."""
    import geopandas

    import redline.layers.readers

    def refuse_sites(self, *args, **kwargs):
        raise AssertionError(f"the client read the sites: {self.path}")

    def refusing(real):
        def read(path, *args, **kwargs):
            if str(path).lower().endswith((".parquet", ".geoparquet")):
                raise AssertionError(f"the client read a site file: {path}")
            return real(path, *args, **kwargs)
        return read

    monkeypatch.setattr(SiteSource, "read", refuse_sites)
    monkeypatch.setattr(SiteSource, "read_file", refuse_sites)
    monkeypatch.setattr(redline.layers.readers, "read_layer", refusing(redline.layers.readers.read_layer))
    monkeypatch.setattr(geopandas, "read_parquet", refusing(geopandas.read_parquet))


def test_a_geoparquet_dataset_is_read_by_the_workers_with_the_local_result(demo_dir, demo_county, client,
                                                                          tmp_path, monkeypatch, request):
    """The local engine's result, site ids and order, warnings and input records, while the client
    process cannot read a site (:func:`no_client_reading`): so the workers read the files."""
    from redline.layers.project import load_project

    write_dataset(tmp_path / "sites", demo_county)
    monkeypatch.chdir(tmp_path)                         # a relative SITES path, as users type it
    project = load_project(demo_dir / "redline.toml")
    local = check_project("sites", project)
    ctx = load_check_layers(project)
    request.getfixturevalue("no_client_reading")
    seen = []
    dask = check_dask("sites", ctx, client=client, progress=lambda k, n, label: seen.append((k, n)))
    assert seen[-1] == (4, 4)                           # one partition per file
    assert_same(local.to_dict(), dask.to_dict(), rel=1e-12)
    ids = list(dask.sites["site_id"])
    assert ids == list(local.sites["site_id"])
    # read order is site_files': part.0, part.1, part.10, part.2 (not the natural order)
    assert list(dask.sites["source"])[::12] == [str(Path("sites") / n) for n in
                                                ("part.0.parquet", "part.1.parquet", "part.10.parquet",
                                                 "part.2.parquet")]
    assert ids[1] == "part.0:DUP" and ids[13] == "part.1:DUP" and ids[14:16] == ["part.1-3", "part.1-4"]
    assert ids[5] == "part.0-6" and ids[0] == "P0-0"
    assert any("sites part.2.parquet: reprojected" in w for w in dask.warnings)
    assert dask.sites["location"].iloc[0] and "location" in local.sites.columns
    assert dask.inputs == local.inputs                  # the files hashed on the workers, same records
    assert dask.sites.crs == local.sites.crs
    assert dask.sites.geometry.geom_equals_exact(local.sites.geometry, 1e-6).all()


def test_one_geoparquet_file_of_several_row_groups_is_read_by_a_worker_and_checked_in_pieces(
        demo_dir, demo_county, client, tmp_path, request):
    """One file of 5 row groups: read whole by a worker (ids, validation and warnings are per file), cut
    there into 3 pieces (at most one per 200 sites) that any worker may check; the local engine's result,
    with the client unable to read a site (:func:`no_client_reading`)."""
    import pyarrow.parquet as pq

    from redline.layers.project import load_project

    x0, y0, x1, y1 = demo_county.total_bounds
    rng = np.random.default_rng(5)
    n = 450
    codes = [f"S{i}" if i % 7 else None for i in range(n)]
    codes[10] = codes[400] = "twice"
    sites = gpd.GeoDataFrame({"name": [f"点{i}" for i in range(n)], "code": codes,
                              "type": ["mining", "housing", "nature_tourism"] * (n // 3)},
                             geometry=shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)), crs=CRS)
    path = tmp_path / "点位.parquet"
    sites.to_parquet(path, row_group_size=100)
    assert pq.ParquetFile(path).num_row_groups == 5
    project = load_project(demo_dir / "redline.toml")
    local = check_project(path, project)
    ctx = load_check_layers(project)
    request.getfixturevalue("no_client_reading")
    seen = []
    dask = check_dask(path, ctx, client=client, progress=lambda k, n, label: seen.append(n))
    assert set(seen) == {3}
    assert_same(local.to_dict(), dask.to_dict(), rel=1e-12)
    ids = list(dask.sites["site_id"])
    assert ids[:2] == ["点位-1", "S1"] and ids[10] == "点位-11" and ids[400] == "点位-401"
    assert list(dask.sites["name"][:20]) == [f"点{i}" for i in range(20)]
    assert dask.inputs == local.inputs


def test_cli_dataset_on_a_local_cluster_gives_the_local_json(demo_dir, demo_county, tmp_path):
    folder = tmp_path / "sites"
    write_dataset(folder, demo_county)
    project = demo_dir / "redline.toml"
    local = invoke("check", folder, "--project", project, "--json", "-q", "--out", tmp_path / "local", "--no-maps")
    dask = invoke("check", folder, "--project", project, "--json", "-q", "--out", tmp_path / "dask", "--no-maps",
                  "--engine", "dask", "--workers", 1)
    assert local.exit_code == dask.exit_code == 1, dask.output
    assert_same(without_created(json.loads(local.stdout)), without_created(json.loads(dask.stdout)), rel=1e-12)
    for name in ("sites.csv", "hits.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


@pytest.mark.parametrize("bad, message", [
    ("nan", "part.10.parquet, feature 4: NaN or infinite coordinate"),
    ("bowtie", "part.10.parquet, feature 4 (地块3-4): invalid site geometry: Self-intersection"),
])
def test_a_bad_row_in_the_third_file_is_the_local_engines_error(demo_dir, demo_county, cluster, tmp_path,
                                                               monkeypatch, request, bad, message):
    folder = tmp_path / "sites"
    write_dataset(folder, demo_county, bad=bad)
    args = ("check", folder, "--project", demo_dir / "redline.toml", "-q")
    local = invoke(*args, "--out", tmp_path / "local")
    request.getfixturevalue("no_client_reading")
    dask = invoke(*args, "--out", tmp_path / "dask", "--scheduler", cluster.scheduler_address)
    assert local.exit_code == dask.exit_code == 3, dask.output
    assert message in dask.stderr and dask.stderr == local.stderr
    assert len(dask.stderr.strip().splitlines()) == 1 and "Traceback" not in dask.output
    assert not (tmp_path / "dask").exists() and not (tmp_path / "local").exists()


def test_a_damaged_file_of_a_dataset_is_the_local_engines_error(demo_dir, demo_county, cluster, tmp_path,
                                                                request):
    """The data pages of the second file overwritten, its footer intact: the worker's read fails; the
    message is the local engine's ``cannot read GeoParquet: ...``."""
    folder = tmp_path / "sites"
    files = write_dataset(folder, demo_county)
    data = bytearray(files[1].read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    data[4:len(data) - 8 - footer] = bytes(len(data) - 12 - footer)     # zeros: no page decodes
    files[1].write_bytes(bytes(data))
    args = ("check", folder, "--project", demo_dir / "redline.toml", "-q", "--json")
    local = invoke(*args)
    request.getfixturevalue("no_client_reading")
    dask = invoke(*args, "--scheduler", cluster.scheduler_address)
    assert local.exit_code == dask.exit_code == 3, dask.output
    assert "part.1.parquet: cannot read GeoParquet: " in dask.stderr and dask.stderr == local.stderr
    assert dask.stdout == ""
