"""The demo region 示范县（虚构）: every property its construction promises, checked from the written files.

Numbers are checked independently of the generator: ellipsoidal areas with pyproj.Geod on the lon/lat
geometry, planar areas and distances with shapely in EPSG:4525, encodings from the raw .dbf bytes.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
import shapely
from click.testing import CliRunner

from redline.cli import main
from redline.layers.demo import SITE_TYPES, TXT_SITES, own_files, write_demo
from redline.layers.errors import UsageError
from redline.layers.guotu import read_guotu
from redline.layers.kinds import map_attributes
from redline.layers.project import load_project

CGCS2000 = pyproj.Geod(a=6378137.0, f=1 / 298.257222101)
GPKG = "data/示范县.gpkg"


def read(demo_dir: Path, layer_id: str) -> gpd.GeoDataFrame:
    """A project layer as written, through plain geopandas (not the project's readers), in EPSG:4525."""
    spec = load_project(demo_dir / "redline.toml").layers[layer_id]
    kwargs = {"encoding": "gbk"} if spec.path.suffix == ".shp" else {}
    gdf = gpd.read_file(spec.path, layer=spec.layer, **kwargs)
    return gdf.to_crs(4525)


def geodesic_area(geom_4525) -> float:
    """Ellipsoidal area (m²) on CGCS2000: densify in the plane, inverse-project, area with pyproj.Geod."""
    ll = gpd.GeoSeries([shapely.segmentize(geom_4525, 100.0)], crs=4525).to_crs(4490).iloc[0]
    return abs(CGCS2000.geometry_area_perimeter(ll)[0])


def union(gdf) -> shapely.Geometry:
    return shapely.union_all(gdf.geometry.values)


@pytest.fixture(scope="module")
def layers(demo_dir):
    ids = ["county", "townships", "red_line", "protected_areas", "rivers", "river_ranges", "shoreline_zones",
           "urban_boundary", "basic_farmland", "control_units", "water_sources", "roads", "towns"]
    return {i: read(demo_dir, i) for i in ids}


@pytest.fixture(scope="module")
def county(layers):
    return layers["county"].geometry.iloc[0]


@pytest.fixture(scope="module")
def sites(demo_dir):
    return gpd.read_file(demo_dir / "sites" / "项目选址.gpkg", layer="sites")


@pytest.fixture(scope="module")
def txt(demo_dir):
    return {name: read_guotu(demo_dir / "sites" / name) for name in TXT_SITES}


def site(sites, xmlx, geom_type=None):
    rows = sites[(sites["XMLX"] == xmlx) & ((sites.geom_type == geom_type) if geom_type else True)]
    assert len(rows) >= 1, (xmlx, geom_type)
    return rows.geometry.iloc[0]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------ determinism
def test_same_seed_same_bytes_and_other_files_kept(demo_dir, tmp_path):
    out = tmp_path / "again"
    (out / "data").mkdir(parents=True)
    (out / "mine.txt").write_text("用户自己的文件", encoding="utf-8")
    (out / "data" / "other.gpkg").write_bytes(b"not ours")
    write_demo(out, seed=2026)  # the session fixture used the default seed 2026
    for rel in own_files():
        assert sha(out / rel) == sha(demo_dir / rel), rel
    assert (out / "mine.txt").read_text(encoding="utf-8") == "用户自己的文件"
    assert (out / "data" / "other.gpkg").read_bytes() == b"not ours"
    assert not [p for p in out.iterdir() if p.name.startswith(".redline-demo")]  # staging removed
    # regenerating over our own files works, and leaves them as they were
    write_demo(out, seed=2026)
    assert sha(out / GPKG) == sha(demo_dir / GPKG)


def test_cli_other_seed_gives_other_data(demo_dir, tmp_path):
    out = tmp_path / "seed7"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "redline.toml" in result.output and "虚构" in result.output
    a = gpd.read_file(demo_dir / GPKG, layer="示范县县界").geometry.iloc[0]
    b = gpd.read_file(out / GPKG, layer="示范县县界").geometry.iloc[0]
    assert not a.equals(b)
    assert sha(out / "data" / "生态保护红线.dbf") != sha(demo_dir / "data" / "生态保护红线.dbf")


def test_refuses_a_folder_with_a_foreign_project(tmp_path):
    (tmp_path / "redline.toml").write_text('[region]\nname = "真实的县"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="not written by `redline demo`"):
        write_demo(tmp_path)
    assert (tmp_path / "redline.toml").read_text(encoding="utf-8") == '[region]\nname = "真实的县"\n'


# ------------------------------------------------------------------------------------------- the county
def test_county_area_and_place(county):
    area = geodesic_area(county)
    assert 1800e6 <= area <= 2200e6
    # planar GK area overstates the ellipsoidal area by a little (zone 37, < 1° from the central meridian)
    assert 1.0 < county.area / area < 1.0005
    ll = gpd.GeoSeries([county], crs=4525).to_crs(4490).total_bounds
    assert 111.15 < ll[0] < ll[2] < 112.05 and 38.05 < ll[1] < ll[3] < 38.75
    assert county.is_valid and county.geom_type == "Polygon"


@pytest.mark.parametrize("layer_id, count", [("townships", 12), ("control_units", None)])
def test_layers_tile_the_county_exactly(layers, county, layer_id, count):
    geoms = layers[layer_id].geometry.values
    if count:
        assert len(geoms) == count
    assert shapely.coverage_is_valid(geoms, gap_width=1.0)
    assert (shapely.get_type_id(geoms) == 3).all()  # single polygons
    assert abs(shapely.area(geoms).sum() - county.area) / county.area < 1e-6
    merged = shapely.coverage_union_all(geoms)
    assert shapely.symmetric_difference(merged, county).area / county.area < 1e-6
    assert shapely.get_num_interior_rings(merged) == 0  # no gaps inside


def test_townships_and_control_units_attributes(layers):
    t = layers["townships"]
    assert t["XZMC"].is_unique and t["XZDM"].str.fullmatch(r"149901[12]\d\d").all()
    u = layers["control_units"]
    assert u["DYBM"].is_unique and u["DYBM"].str.fullmatch(r"ZH149901[123]\d{4}").all()
    digit = {"优先保护单元": "1", "重点管控单元": "2", "一般管控单元": "3"}
    assert set(u["DYLB"]) == set(digit)
    assert (u["DYBM"].str[8] == u["DYLB"].map(digit)).all()
    for col in ("DYMC", "KJBJYS", "WRWPFGK", "HJFXFK", "ZYKFLYXL"):
        assert (u[col].str.len() > 4).all(), col
    assert u["DYMC"].str.startswith("示范县").all()


# ------------------------------------------------------------------------------------------------ red line
def test_red_line_count_share_and_overlaps(layers, county):
    red = layers["red_line"]
    assert len(red) >= 100
    share = geodesic_area(union(red)) / geodesic_area(county)
    assert 1 / 9 <= share <= 1 / 5
    geoms = red.geometry.values
    i, j = shapely.STRtree(geoms).query(geoms, predicate="overlaps")
    assert (i != j).any()
    assert set(red["HXLX"]) <= {"水源涵养", "水土保持", "生物多样性维护"}
    assert red["HXBM"].is_unique and red["HXMC"].str.startswith("示范县").all()


def test_red_line_declared_areas_match_except_the_documented_faults(layers, demo_dir):
    red = layers["red_line"]
    planar_ha = red.geometry.area / 1e4
    wrong = set(red.loc[(red["MJ"] - planar_ha).abs() > 0.00006, "HXBM"])
    readme = (demo_dir / "README.md").read_text(encoding="utf-8")
    section = re.search(r"### 面积填报错误.*?(?=\n### )", readme, re.S).group(0)
    assert wrong == set(re.findall(r"HX149901\d{4}", section))
    assert 3 <= len(wrong) <= 6
    # one of them states square metres in the hectare field
    ratio = (red["MJ"] / planar_ha)[red["HXBM"].isin(wrong)]
    assert ((ratio - 1e4).abs() < 1).any()


def test_three_lines_overlap_only_where_deliberate(layers, demo_dir):
    red, farm, urban = union(layers["red_line"]), layers["basic_farmland"], union(layers["urban_boundary"])
    assert shapely.intersection(red, urban).area < 1.0
    assert shapely.intersection(union(farm), urban).area < 1.0
    over = shapely.area(shapely.intersection(farm.geometry.values, red))
    hit = farm.loc[over > 1.0, "TBBH"].tolist()
    assert len(hit) == 1 and over.max() > 5e4  # one farmland polygon, more than 5 ha in the red line
    section = re.search(r"### 生态保护红线与永久基本农田重叠.*?(?=\n### )",
                        (demo_dir / "README.md").read_text(encoding="utf-8"), re.S).group(0)
    assert f"TBBH = {hit[0]}" in section
    bad_farm = farm.loc[farm["TBBH"] == hit[0]].geometry.iloc[0]
    reds = layers["red_line"]
    crossed = reds.loc[shapely.area(shapely.intersection(reds.geometry.values, bad_farm)) > 1.0, "HXBM"]
    assert len(crossed) >= 1 and all(code in section for code in crossed)


def test_gbk_shapefile_without_cpg(demo_dir):
    shp = demo_dir / "data" / "生态保护红线.shp"
    assert shp.is_file() and not shp.with_suffix(".cpg").exists() and not shp.with_suffix(".CPG").exists()
    raw = shp.with_suffix(".dbf").read_bytes()
    assert raw[29] == 0  # no language-driver hint either
    header = int.from_bytes(raw[8:10], "little")
    records = raw[header:].rstrip(b"\x1a")
    with pytest.raises(UnicodeDecodeError):
        records.decode("utf-8")
    text = records.decode("gbk")
    assert "生态保护红线" in text and "示范县" in text


# --------------------------------------------------------------------------------------- other layers
def test_protected_area_zones(layers):
    pa = layers["protected_areas"]
    reserve = pa[pa["BHDLX"] == "自然保护区"]
    wetland = pa[pa["BHDLX"] == "湿地公园"]
    assert sorted(reserve["GNFQ"]) == sorted(["核心区", "缓冲区", "实验区"])
    assert sorted(wetland["GNFQ"]) == sorted(["核心保护区", "一般控制区"])
    assert pa["BHDMC"].str.startswith("示范县").all()
    g = np.array(list(pa.geometry), dtype=object)
    areas = shapely.area(shapely.intersection(g[:, None], g[None, :]))
    assert (areas[~np.eye(len(g), dtype=bool)] < 1.0).all()  # zones do not overlap each other
    # the wetland park runs along the main river
    main = layers["rivers"].loc[layers["rivers"]["HLDJ"] == "干流"].geometry.iloc[0]
    assert union(wetland).intersects(main)


def test_rivers_shorelines_and_water_sources(layers, demo_dir):
    info = pyogrio.read_info(demo_dir / "data" / "rivers.geojson")
    assert "4490" in info["crs"]
    rivers = layers["rivers"]
    assert (rivers["HLDJ"] == "干流").sum() == 1 and len(rivers) >= 5
    sz = layers["shoreline_zones"]
    assert set(sz["AXGNQ"]) == {"岸线保护区", "岸线保留区", "控制利用区", "开发利用区"}
    assert shapely.coverage_is_valid(sz.geometry.values)
    main_range = layers["river_ranges"].geometry.iloc[0]
    assert abs(union(sz).area - main_range.area) / main_range.area < 1e-6  # zones split the main range
    ws = layers["water_sources"]
    assert set(ws["BHQJB"]) == {"一级保护区", "二级保护区"}


def test_landcover_raster(demo_dir, county):
    import rasterio

    path = demo_dir / "data" / "landcover.tif"
    assert path.stat().st_size <= 5 * 1024 * 1024
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4525 and src.res == (30.0, 30.0) and src.nodata == 0
        assert src.dtypes[0] == "uint8" and "示范县" in src.tags()["TITLE"]
        a = src.read(1)
    assert set(np.unique(a)) == {0, 1, 2, 3, 4, 5, 6}
    assert abs((a > 0).sum() * 900.0 - county.area) / county.area < 0.005


def test_every_layer_is_labelled_fictional(demo_dir):
    con = sqlite3.connect(demo_dir / GPKG)
    rows = con.execute("SELECT table_name, identifier FROM gpkg_contents").fetchall()
    con.close()
    assert len(rows) == 11 and all("示范县" in t and "示范县" in i for t, i in rows)
    con = sqlite3.connect(demo_dir / "sites" / "项目选址.gpkg")
    assert con.execute("SELECT identifier FROM gpkg_contents WHERE table_name = 'sites'").fetchone()[0] \
        == "示范县项目选址（虚构）"
    con.close()
    for name in ("README.md", "sites/README.md", "redline.toml"):
        assert "虚构" in (demo_dir / name).read_text(encoding="utf-8"), name
    assert "Fictional" in (demo_dir / "README.md").read_text(encoding="utf-8")
    assert '"name": "示范县河流（虚构）"' in (demo_dir / "data" / "rivers.geojson").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------- project
def test_project_file_loads_and_every_path_exists(demo_dir):
    project = load_project(demo_dir / "redline.toml")
    assert project.fictional and project.name == "示范县（虚构）"
    assert project.region["crs"] == "EPSG:4525"
    assert project.boundary_id() == "county" and project.townships_id() == "townships"
    assert set(project.layers) == {"county", "townships", "red_line", "protected_areas", "rivers", "river_ranges",
                                   "shoreline_zones", "urban_boundary", "basic_farmland", "control_units",
                                   "water_sources", "roads", "towns"}
    for spec in project.layers.values():
        assert spec.path.is_file(), spec.id
        assert spec.source and "虚构" in spec.source and spec.date
        if spec.layer:
            assert spec.layer in pyogrio.list_layers(spec.path)[:, 0], spec.id
    (rule,) = project.rules["distance"]
    assert rule["id"] == "main_river_1km_high_pollution" and rule["distance_m"] == 1000
    assert rule["types"] == ["industry_high_pollution"] and rule["level"] == "prohibited"
    assert rule["where"]["name"] in set(read(demo_dir, "rivers")["HLMC"])
    assert (demo_dir / project.map["layout"]).is_file()
    assert project.resolve(project.raw["raster"]["landcover"]).is_file()


def test_field_mapping_finds_every_attribute(demo_dir):
    """The kinds.toml defaults plus the project's overrides find name (and zone/class) in every layer."""
    project = load_project(demo_dir / "redline.toml")
    for lid, spec in project.layers.items():
        gdf = read(demo_dir, lid)
        mapped, used, warnings = map_attributes(gdf, spec.kind, spec.fields)
        assert not warnings, (lid, warnings)
        assert used["name"] and mapped["name"].notna().all(), lid
        if "zone" in used:
            assert used["zone"], lid
    units, used, _ = map_attributes(read(demo_dir, "control_units"), "control_unit")
    assert all(used[k] for k in ("code", "unit_class", "spatial_constraints", "pollution_control", "risk_control",
                                 "resource_efficiency"))
    pa, _, _ = map_attributes(read(demo_dir, "protected_areas"), "protected_area_zone")
    assert set(pa["zone"]) == {"核心区", "缓冲区", "实验区", "核心保护区", "一般控制区"}


def test_structure_layout_references_existing_features(demo_dir):
    project = load_project(demo_dir / "redline.toml")
    with open(demo_dir / "structure.toml", "rb") as f:
        layout = tomllib.load(f)
    assert "示范县" in layout["title"] and layout["formula"] == "一带两片、一区三轴"
    kinds = [e["kind"] for e in layout["elements"]]
    assert kinds.count("belt") == 1 and kinds.count("patch") == 2 and kinds.count("zone") == 1
    assert kinds.count("axis") == 3 and kinds.count("core") == 1 and kinds.count("node") >= 2
    assert sorted(e["rank"] for e in layout["elements"] if e["kind"] == "axis") == ["main", "secondary", "secondary"]
    for el in layout["elements"]:
        assert ("from" in el) != ("coords" in el), el["label"]
        if "coords" in el:
            xy = np.array(el["coords"], float)
            assert ((xy[:, 0] > 110.9) & (xy[:, 0] < 112.3) & (xy[:, 1] > 37.9) & (xy[:, 1] < 38.9)).all()
            continue
        spec = project.layers[el["from"]["layer"]]
        mapped, _, _ = map_attributes(read(demo_dir, spec.id), spec.kind, spec.fields)
        for field, values in el["from"]["where"].items():
            values = values if isinstance(values, list) else [values]
            assert set(values) <= set(mapped[field].dropna()), (el["label"], field, values)


# ------------------------------------------------------------------------------------------------ sites
def test_site_files(sites, txt, demo_dir):
    assert len(sites) >= 8
    assert {"Polygon", "LineString", "Point"} <= set(sites.geom_type)
    assert set(sites["XMLX"]) <= set(SITE_TYPES) and sites["DKBH"].is_unique
    assert sites["XMMC"].str.startswith("示范县").all()
    assert sites.crs.to_epsg() == 4525
    assert len(txt) >= 4 and all(g.crs.to_epsg() == 4525 for g in txt.values())
    assert len(sites) + sum(len(g) for g in txt.values()) >= 12
    for name in txt:
        raw = (demo_dir / "sites" / name).read_bytes()
        assert b"\r\n" in raw and "示范县".encode("gbk") in raw  # GBK, CRLF
    readme = (demo_dir / "sites" / "README.md").read_text(encoding="utf-8")
    for key in [*sites["DKBH"], *txt]:
        assert key in readme
    assert "## English" in readme


def test_road_crosses_the_red_line(sites, layers):
    road = site(sites, "linear_infrastructure", "LineString")
    red = union(layers["red_line"])
    assert road.crosses(red)
    assert not any(red.intersects(shapely.Point(p)) for p in (road.coords[0], road.coords[-1]))


def test_pipeline_crosses_the_main_river(sites, layers):
    pipe = site(sites, "water_works", "LineString")
    main = layers["rivers"].loc[layers["rivers"]["HLDJ"] == "干流"].geometry.iloc[0]
    assert pipe.crosses(main)
    assert pipe.intersects(layers["river_ranges"].geometry.iloc[0])


def test_solar_farm_partly_in_the_experimental_zone_only(sites, layers):
    solar = site(sites, "energy")
    pa = layers["protected_areas"].set_index("GNFQ").geometry
    inside = solar.intersection(pa["实验区"]).area
    assert 0 < inside < solar.area  # partly in
    assert solar.intersection(pa["核心区"]).area == 0 and solar.intersection(pa["缓冲区"]).area == 0
    assert not solar.intersects(union(layers["red_line"]))


CONTROL_IDS = ("red_line", "protected_areas", "river_ranges", "shoreline_zones", "urban_boundary", "basic_farmland",
               "water_sources")


def test_factory_near_the_main_river_but_outside_every_control_polygon(sites, layers):
    factory = site(sites, "industry_high_pollution")
    main = layers["rivers"].loc[layers["rivers"]["HLMC"] == "龙泉河"].geometry.iloc[0]
    assert 300.0 < factory.distance(main) < 1000.0
    for lid in CONTROL_IDS:
        assert not layers[lid].geometry.intersects(factory).any(), lid


def test_clean_site(txt, layers):
    clean = txt[TXT_SITES[0]].geometry.iloc[0]
    assert union(layers["urban_boundary"]).contains(clean)
    for lid in CONTROL_IDS:
        if lid != "urban_boundary":
            assert not layers[lid].geometry.intersects(clean).any(), lid
    assert clean.distance(union(layers["red_line"])) > 1000.0
    units = layers["control_units"][layers["control_units"].geometry.intersects(clean)]
    assert set(units["DYLB"]) == {"一般管控单元"}


def test_site_outside_the_coverage(txt, county):
    outside = txt[TXT_SITES[2]].geometry.iloc[0]
    assert outside.disjoint(county) and outside.distance(county) > 1000.0


def test_sites_inside_the_red_line_park_and_farmland(sites, txt, layers):
    red = union(layers["red_line"])
    assert red.contains(site(sites, "mining"))
    assert red.contains(site(sites, "ecological_restoration"))
    pa = layers["protected_areas"].set_index("GNFQ").geometry
    tourism = site(sites, "tourism_education")
    assert pa["一般控制区"].contains(tourism) and not tourism.intersects(pa["核心保护区"])
    assert not tourism.intersects(red)
    station = site(sites, "water_works", "Point")
    assert union(layers["river_ranges"]).contains(station)
    farm_site = txt[TXT_SITES[1]].geometry.iloc[0]
    assert farm_site.intersection(union(layers["basic_farmland"])).area > 0.5 * farm_site.area
    resettle = txt[TXT_SITES[3]]
    assert len(resettle) == 2 and union(layers["urban_boundary"]).contains(union(resettle))
    assert sum(len(g.interiors) for g in resettle.geometry) == 1


# ------------------------------------------------------------------------------------------- robustness
@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 42, 99])
def test_other_seeds_build(seed):
    from redline.layers.demo import build_region

    region = build_region(seed)
    assert len(region.layers["red_line"]) >= 100
    assert 1 / 9 <= region.facts["red_share"] <= 1 / 5
    assert shapely.coverage_is_valid(region.layers["townships"].geometry.values)


# ------------------------------------------------------------------------------------------ plan text
def test_plan_text_states_the_demo_figures_and_one_planted_inconsistency(demo_dir, layers, county):
    """The plan's figures are checked here with this file's own GeographicLib areas, and the audit must
    find exactly the planted contradiction (the sum of the overlapping red-line polygons)."""
    import json

    text = (demo_dir / "示范县生态保护规划.txt").read_text(encoding="utf-8")
    assert "虚构" in text
    red = shapely.intersection(union(layers["red_line"]), county)
    county_km2 = geodesic_area(county) / 1e6
    red_km2 = geodesic_area(red) / 1e6
    assert f"全县国土总面积{county_km2:.2f}平方千米" in text
    assert f"生态保护红线面积{red_km2:.2f}平方千米，占全县国土总面积的{100 * red_km2 / county_km2:.2f}%" in text
    summed_ha = sum(geodesic_area(g) for g in layers["red_line"].geometry) / 1e4
    assert summed_ha > red_km2 * 100 + 1  # the overlaps really are counted twice
    assert f"生态保护红线面积为{summed_ha:.2f}公顷" in text

    r = CliRunner().invoke(main, ["audit-text", str(demo_dir / "示范县生态保护规划.txt"), "--project",
                                  str(demo_dir / "redline.toml"), "--json"])
    assert r.exit_code == 1, r.output
    findings = json.loads(r.stdout)["findings"]
    from redline.spatial.plantext import INCONSISTENT_KINDS

    bad = [f for f in findings if f["kind"] in INCONSISTENT_KINDS]
    assert bad and all(19 in f["lines"] for f in bad), bad  # only the planted sentence (line 19)
