"""Inputs as users receive them (issue 12, item 16): zipped Shapefiles (GBK tables without .cpg, GBK file
names), zips of several layers and of 国土TXT files, KMZ, and DXF drawings from design institutes.

Every file is generated here: zips with the zipfile module (names encoded as Windows' own zip tool does:
GBK without the UTF-8 flag), KML with GDAL, DXF by hand (an R12 POLYLINE/VERTEX drawing and an
LWPOLYLINE one, written as text) and with GDAL's DXF writer, 国土TXT by hand. Areas asserted are the hand
arithmetic of the rectangles drawn (planar, in the layer's Gauss-Krüger plane); EPSG 4525 = CGCS2000 3° zone
37 with prefixed eastings (4488 + 37).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import box

import redline
from redline.cli import main
from redline.layers.archives import archive_layers, decoded_names
from redline.layers.errors import InputError
from redline.layers.info import layer_info
from redline.layers.readers import read_layer
from redline.layers.sites import SiteSource, site_files

pytestmark = pytest.mark.filterwarnings("ignore:'crs' was not provided")

CRS = 4525
X, Y = 37_465_000.0, 4_200_000.0
NAMES = ["汾河湿地生态保护红线", "吕梁山水源涵养区"]


class GbkName(zipfile.ZipInfo):
    """A zip entry named as Windows' own zip tool and many Chinese tools write it: GBK, no UTF-8 flag."""

    def _encodeFilenameFlags(self):  # noqa: N802 - zipfile's name
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def zip_files(zpath: Path, members: dict[str, bytes], *, gbk_names: bool = True) -> Path:
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(GbkName(name) if gbk_names else zipfile.ZipInfo(name), data)
    return zpath


def shapefile_bytes(tmp: Path, stem: str, gdf: gpd.GeoDataFrame, *, encoding: str = "GBK", cpg: bool = False,
                    folder: str = "") -> dict[str, bytes]:
    """The files of a Shapefile as zip members ``folder/stem.ext`` (by default GBK, no .cpg)."""
    d = tmp / f"_{stem}_{len(list(tmp.iterdir()))}"
    d.mkdir()
    pyogrio.write_dataframe(gdf, d / f"{stem}.shp", encoding=encoding)
    if not cpg:
        (d / f"{stem}.cpg").unlink()
    return {f"{folder}{f.name}": f.read_bytes() for f in sorted(d.iterdir())}


@pytest.fixture
def red() -> gpd.GeoDataFrame:
    """Two parcels: a 100 m square and a 200 m × 100 m rectangle (10,000 and 20,000 m²)."""
    return gpd.GeoDataFrame({"HXMC": NAMES}, geometry=[box(X, Y, X + 100, Y + 100),
                                                       box(X + 300, Y, X + 500, Y + 100)], crs=CRS)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


# ------------------------------------------------------------------------------------------- zipped layers
def test_zipped_gbk_shapefile_without_cpg_and_gbk_file_names(tmp_path, red) -> None:
    z = zip_files(tmp_path / "资料.zip", shapefile_bytes(tmp_path, "生态保护红线", red, folder="成果/"))
    assert [n for _, n in decoded_names(zipfile.ZipFile(z))] == [f"成果/生态保护红线{e}"
                                                                  for e in (".dbf", ".prj", ".shp", ".shx")]
    gdf = read_layer(z, kind="red_line")
    info = layer_info(gdf)
    assert gdf["name"].tolist() == NAMES
    assert gdf.area.tolist() == [10_000.0, 20_000.0]
    assert info.path == str(z) and info.layer == "成果/生态保护红线.shp" and info.format == "ESRI Shapefile"
    assert info.encoding["value"] == "gbk" and "no .cpg" in info.encoding["source"]
    assert info.crs["epsg"] == CRS
    r = run("inspect", str(z), "--json")
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert js["area_m2"]["planar"] == pytest.approx(30_000.0) and js["layer"] == "成果/生态保护红线.shp"


def test_zip_of_several_layers_is_named_with_the_layer_syntax(tmp_path, red) -> None:
    county = gpd.GeoDataFrame({"XZQMC": ["示范县"]}, geometry=[box(X - 1000, Y - 1000, X + 2000, Y + 2000)], crs=CRS)
    members = {**shapefile_bytes(tmp_path, "生态保护红线", red), **shapefile_bytes(tmp_path, "县界", county),
               "说明.txt": "数据说明".encode("gbk")}
    z = zip_files(tmp_path / "资料.zip", members)
    assert [m.name for m in archive_layers(z)] == ["县界.shp", "生态保护红线.shp"]   # the .txt is no 国土TXT
    with pytest.raises(InputError, match=r"the zip holds 2 layers \(县界\.shp, 生态保护红线\.shp\): name one as "
                                         r"资料\.zip:县界") as err:
        read_layer(z)
    assert err.value.path == str(z)
    # by name, file name or path inside the zip
    for ref in ("生态保护红线", "生态保护红线.shp", "生态保护红线.SHP"):
        assert read_layer(f"{z}:{ref}")["HXMC"].tolist() == NAMES
    # the CLI, as everywhere a path is taken
    r = run("area", f"{z}:生态保护红线", "--within", f"{z}:县界", "--planar", "--unit", "m2", "--json")
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert js["total_m2"] == pytest.approx(30_000.0) and js["boundary_m2"] == pytest.approx(9_000_000.0)
    with pytest.raises(InputError, match=r"the zip holds no layer '河流' \(layers: 县界\.shp, 生态保护红线\.shp\)"):
        read_layer(f"{z}:河流")


def test_same_name_in_two_folders_is_named_by_its_path(tmp_path, red) -> None:
    members = {**shapefile_bytes(tmp_path, "红线", red, folder="2023/"),
               **shapefile_bytes(tmp_path, "红线", red.iloc[[0]], folder="2024/")}
    z = zip_files(tmp_path / "两版.zip", members)
    with pytest.raises(InputError, match=r"2 layers of the zip are named '红线' \(2023/红线\.shp, 2024/红线\.shp\)"):
        read_layer(f"{z}:红线")
    assert len(read_layer(f"{z}:2024/红线")) == 1 and len(read_layer(f"{z}:2023/红线.shp")) == 2


def test_geopackage_inside_a_zip(tmp_path, red) -> None:
    gp = tmp_path / "数据.gpkg"
    red.to_file(gp, layer="生态保护红线")
    red.iloc[[0]].to_file(gp, layer="自然保护地")
    z = zip_files(tmp_path / "资料.zip", {"数据.gpkg": gp.read_bytes()}, gbk_names=False)
    with pytest.raises(InputError, match=r"资料\.zip:数据\.gpkg: GPKG source holds 2 layers"):
        read_layer(z)
    gdf = read_layer(f"{z}:数据.gpkg:自然保护地")
    assert len(gdf) == 1 and layer_info(gdf).layer == "数据.gpkg:自然保护地"


def test_broken_zips_are_one_clear_error(tmp_path, red) -> None:
    good = zip_files(tmp_path / "好.zip", shapefile_bytes(tmp_path, "红线", red))
    cut = tmp_path / "截断.zip"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError, match="not a readable zip archive") as err:
        read_layer(cut)
    assert err.value.path == str(cut)
    members = shapefile_bytes(tmp_path, "红线", red)
    del members["红线.shx"]
    with pytest.raises(InputError, match=r"\.shx index file is missing") as err:
        read_layer(zip_files(tmp_path / "缺文件.zip", members))
    assert err.value.path == f"{tmp_path / '缺文件.zip'}:红线.shp"      # named as the user knows it
    with pytest.raises(InputError, match="the zip holds no layer redline reads"):
        read_layer(zip_files(tmp_path / "无图层.zip", {"照片.jpg": b"\xff\xd8"}))


def test_member_names_cannot_escape_the_temporary_folder(tmp_path, red) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    members = {f"../../{k}": v for k, v in shapefile_bytes(tmp_path, "越界", red).items()}
    z = zip_files(inner / "恶意.zip", members, gbk_names=False)
    assert read_layer(z)["HXMC"].tolist() == NAMES
    assert not list(tmp_path.parent.glob("越界.*")) and not list(tmp_path.glob("越界.*"))


# ------------------------------------------------------------------------------------------------------ KMZ
def test_kmz(tmp_path) -> None:
    kml = tmp_path / "选址.kml"
    gpd.GeoDataFrame({"Name": ["选址甲"]}, geometry=[box(111.20, 37.50, 111.21, 37.51)], crs=4326).to_file(
        kml, driver="KML")
    kmz = tmp_path / "选址.kmz"
    with zipfile.ZipFile(kmz, "w") as z:
        z.write(kml, "doc.kml")
    gdf = read_layer(kmz)
    assert gdf.crs.to_epsg() == 4326 and layer_info(gdf).format == "KMZ"
    assert gdf.geometry.iloc[0].bounds == pytest.approx((111.20, 37.50, 111.21, 37.51))
    assert "选址甲" in gdf.astype(str).to_numpy().ravel().tolist()


# ------------------------------------------------------------------------------------------------------ DXF
R12_DXF = """0
SECTION
2
HEADER
9
$ACADVER
1
AC1009
9
$DWGCODEPAGE
3
ANSI_936
0
ENDSEC
0
SECTION
2
ENTITIES
0
POLYLINE
8
{layer}
66
1
70
1
0
VERTEX
8
{layer}
10
{x0}
20
{y0}
0
VERTEX
8
{layer}
10
{x1}
20
{y0}
0
VERTEX
8
{layer}
10
{x1}
20
{y1}
0
VERTEX
8
{layer}
10
{x0}
20
{y1}
0
SEQEND
0
TEXT
8
{layer}
10
{x0}
20
{y0}
40
2.5
1
{label}
0
ENDSEC
0
EOF
"""


def test_hand_written_r12_dxf_in_gbk(tmp_path) -> None:
    """An AutoCAD R12 drawing (POLYLINE with VERTEX entities, closed flag), text in GBK (ANSI_936)."""
    path = tmp_path / "总平面图.dxf"
    path.write_bytes(R12_DXF.format(layer="用地红线", label="地块一", x0=X, y0=Y, x1=X + 150, y1=Y + 80)
                     .replace("\n", "\r\n").encode("gbk"))
    with pytest.raises(InputError, match=r"a DXF drawing carries no coordinate system: give it with --crs.*8-digit "
                                         r"eastings with zone prefix 37.*EPSG:4525") as err:
        read_layer(path)
    assert err.value.path == str(path)
    gdf = read_layer(path, crs=CRS)
    info = layer_info(gdf)
    assert gdf.geom_type.tolist() == ["Polygon"] and gdf.area.tolist() == [12_000.0]     # 150 m × 80 m
    assert gdf["Layer"].tolist() == ["用地红线"] and info.layer == "用地红线"
    assert info.encoding["value"] == "gbk" and "ANSI_936" in info.encoding["source"]
    assert info.crs["source"] == "given with --crs"
    assert any("1 point(s) or text(s)" in w for w in info.warnings)


def test_dxf_with_several_cad_layers_is_named_with_the_layer_syntax(tmp_path) -> None:
    from redline.layers.dxf import write_minimal_dxf

    path = write_minimal_dxf(tmp_path / "设计院总图.dxf", {
        "用地红线": [[(X, Y), (X + 100, Y), (X + 100, Y + 100), (X, Y + 100)],
                 [(X + 200, Y), (X + 260, Y), (X + 260, Y + 50), (X + 200, Y + 50)]],
        "图框": [[(X - 50, Y - 50), (X + 400, Y - 50), (X + 400, Y + 300), (X - 50, Y + 300)]]},
        lines={"道路中线": [[(X, Y + 150), (X + 300, Y + 150)]], "用地红线": [[(X, Y - 10), (X + 100, Y - 10)]]})
    with pytest.raises(InputError, match=r"lines or outlines on 3 CAD layers: 用地红线 \(2 closed, 1 open\), 图框 "
                                         r"\(1 closed, 0 open\), 道路中线 \(0 closed, 1 open\); name the one to read "
                                         r"as 设计院总图\.dxf:LAYER"):
        read_layer(path, crs=CRS)
    gdf = read_layer(f"{path}:用地红线", crs=CRS)
    assert gdf.area.tolist() == [10_000.0, 3_000.0]          # 100 × 100, 60 × 50
    assert any("1 open line(s)" in w for w in layer_info(gdf).warnings)
    road = read_layer(f"{path}:道路中线", crs=CRS)
    assert road.geom_type.tolist() == ["LineString"] and road.length.tolist() == [300.0]
    with pytest.raises(InputError, match="no CAD layer '水系'"):
        read_layer(f"{path}:水系", crs=CRS)


def test_dxf_written_by_gdal(tmp_path) -> None:
    path = tmp_path / "gdal.dxf"
    gdf = gpd.GeoDataFrame({"Layer": ["红线", "红线"]}, geometry=[box(X, Y, X + 100, Y + 100),
                                                                box(X + 200, Y, X + 300, Y + 50)])
    pyogrio.write_dataframe(gdf, path, driver="DXF")
    out = read_layer(path, crs=CRS)
    assert sorted(out.area.tolist()) == [5_000.0, 10_000.0] and out["Layer"].tolist() == ["红线", "红线"]


def test_dxf_sites_are_checked_with_crs(tmp_path) -> None:
    from redline.layers.dxf import write_minimal_dxf

    site = write_minimal_dxf(tmp_path / "选址.dxf", {"红线": [[(X, Y), (X + 100, Y), (X + 100, Y + 100), (X, Y + 100)]]})
    red = tmp_path / "生态保护红线.gpkg"
    gpd.GeoDataFrame({"HXMC": ["红线甲"]}, geometry=[box(X + 50, Y - 500, X + 1000, Y + 500)], crs=CRS).to_file(red)
    r = run("check", str(site), "--layer", f"red_line={red}", "--type", "housing", "--json")
    assert r.exit_code == 3 and "--crs" in r.stderr
    r = run("check", str(site), "--crs", f"EPSG:{CRS}", "--layer", f"red_line={red}", "--type", "housing", "--json")
    assert r.exit_code == 1, r.output
    s = json.loads(r.stdout)["sites"][0]
    assert s["area_m2"] == pytest.approx(10_000.0, rel=1e-3)       # ellipsoidal ≈ planar at 1e-3
    assert s["hits"][0]["overlap_m2"] == pytest.approx(5_000.0, rel=1e-3) and s["verdict"] == "不符合"


# ------------------------------------------------------------------------------------------- zipped sites
def guotu(code: str, name: str, x: float, y: float, side: float) -> bytes:
    """A 国土TXT file (GBK, CRLF) of one square parcel, east/north corners from (x, y), side in metres."""
    pts = [(x, y), (x + side, y), (x + side, y + side), (x, y + side), (x, y)]
    lines = ["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格", "计量单位=米", "带号=37",
             "精度=0.001", "[地块坐标]", f"{len(pts)},{side * side / 1e4:.4f},{code},{name},面,,,,@"]
    lines += [f"J{k + 1},1,{py:.3f},{px:.3f}" for k, (px, py) in enumerate(pts)]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def test_a_zip_of_guotu_files_is_read_like_a_folder(tmp_path) -> None:
    z = zip_files(tmp_path / "报批坐标.zip", {"批次一/01_住宅.txt": guotu("DK01", "住宅地块", X, Y, 100),
                                            "批次一/02_仓储.txt": guotu("DK02", "仓储地块", X + 1000, Y, 200),
                                            "说明.docx": b"PK"})
    files = site_files(z)
    assert [str(f) for f in files] == [f"{z}:批次一/01_住宅.txt", f"{z}:批次一/02_仓储.txt"]
    sites = SiteSource(z).read()
    assert sites["site_id"].tolist() == ["DK01", "DK02"] and sites["name"].tolist() == ["住宅地块", "仓储地块"]
    assert sites.geometry.area.tolist() == pytest.approx([10_000.0, 40_000.0])
    assert sites["_source"].tolist() == [str(f) for f in files]
    # chunked (streaming) reading of the same zip gives the same sites
    chunks = list(SiteSource(z, chunk_size=1).chunks())
    assert [c["site_id"].iloc[0] for c in chunks] == ["DK01", "DK02"]
    # one member named
    assert SiteSource(f"{z}:02_仓储.txt").read()["site_id"].tolist() == ["DK02"]


def test_a_folder_of_zips_and_the_check_command(tmp_path) -> None:
    folder = tmp_path / "选址"
    folder.mkdir()
    zip_files(folder / "a.zip", {"01.txt": guotu("DK01", "甲", X, Y, 100)})
    zip_files(folder / "b.zip", {"02.txt": guotu("DK01", "乙", X + 2000, Y, 100)})   # the same code in two zips
    (folder / "照片.zip").write_bytes((zip_files(tmp_path / "x.zip", {"a.jpg": b"\xff"})).read_bytes())
    red = tmp_path / "红线.gpkg"
    gpd.GeoDataFrame({"HXMC": ["红线甲"]}, geometry=[box(X - 50, Y - 50, X + 50, Y + 50)], crs=CRS).to_file(red)
    r = run("check", str(folder), "--layer", f"red_line={red}", "--type", "housing", "--json")
    assert r.exit_code == 1, r.output
    js = json.loads(r.stdout)
    assert [s["site_id"] for s in js["sites"]] == ["01:DK01", "02:DK01"]        # prefixed by the member's name
    assert js["sites"][0]["hits"][0]["overlap_m2"] == pytest.approx(2_500.0, rel=1e-3)     # 50 m × 50 m
    srcs = [i for i in js["provenance"]["inputs"] if i.get("role") == "sites"]
    assert [Path(i["path"]).name for i in srcs] == ["a.zip", "b.zip"] and all(i["sha256"] for i in srcs)
    assert [i["file_layer"] for i in srcs] == ["01.txt", "02.txt"]


def test_zipped_gbk_shapefile_sites_in_the_python_api(tmp_path, red) -> None:
    z = zip_files(tmp_path / "选址.zip", shapefile_bytes(tmp_path, "选址", red.rename(columns={"HXMC": "XMMC"})))
    r = redline.check(z, {"red_line": gpd.GeoDataFrame(geometry=[box(X, Y, X + 50, Y + 100)], crs=CRS)},
                      project_type="housing")
    assert r.sites["name"].tolist() == NAMES
    assert r.hits["overlap_m2"].tolist() == pytest.approx([5_000.0], rel=1e-3)


def test_environment_is_clean_after_reading(tmp_path, red) -> None:
    """Extracted members live in a temporary folder only while read; DXF_ENCODING is restored."""
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("redline-zip-*"))
    read_layer(zip_files(tmp_path / "资料.zip", shapefile_bytes(tmp_path, "红线", red)))
    assert set(Path(tempfile.gettempdir()).glob("redline-zip-*")) == before
    assert pyogrio.get_gdal_config_option("DXF_ENCODING") in (None, os.environ.get("DXF_ENCODING"))


def test_stream_reads_one_member_of_a_zip(tmp_path) -> None:
    """``--stream`` reads one site file: a zip of several is refused (ids across files need the whole set),
    one member named is streamed."""
    from redline.layers.errors import UsageError

    z = zip_files(tmp_path / "报批坐标.zip", {"01.txt": guotu("DK01", "甲", X, Y, 100),
                                            "02.txt": guotu("DK02", "乙", X + 1000, Y, 100)})
    red = {"red_line": gpd.GeoDataFrame(geometry=[box(X - 50, Y - 50, X + 50, Y + 50)], crs=CRS)}
    with pytest.raises(UsageError, match="not a zip of 2"):
        redline.check_stream(z, red, tmp_path / "out")
    js = redline.check_stream(f"{z}:02.txt", red, tmp_path / "out", project_type="housing")
    assert js["summary"]["sites"] == 1
    assert (tmp_path / "out" / "sites.csv").read_text(encoding="utf-8-sig").count("DK02") == 1
