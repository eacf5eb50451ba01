"""Writing the demo region into a folder: :func:`write_demo`, :func:`generate_demo`, the plan text."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import shapely

from redline.layers.demo.constants import (
    COUNTY,
    CRS,
    DATA_DATE,
    GPKG,
    GPKG_LAYERS,
    LANDCOVER_CLASSES,
    LANDCOVER_TIF,
    LONLAT,
    MAIN_RIVER,
    PLAN_TXT,
    PRODUCER,
    PROJECT_MARKER,
    RED_LINE_SHP,
    RIVERS_GEOJSON,
    SITES_GPKG,
    SOURCE_NR,
    TRIBUTARIES,
    TXT_SITES,
)
from redline.layers.demo.documents import project_toml, readme, sites_readme, structure_toml
from redline.layers.demo.draft import DemoRegion
from redline.layers.demo.region import build_region
from redline.layers.errors import UsageError


# ---------------------------------------------------------------------------------------------- writing
@dataclass
class DemoResult:
    """What :func:`write_demo` wrote: the project file, every file (relative to the folder), the facts."""

    project: Path
    files: list[str]
    facts: dict


def generate_demo(out_dir: str | os.PathLike, *, seed: int = 2026) -> Path:
    """Write the demo region into ``out_dir`` and return the path of its ``redline.toml``.

    Parameters
    ----------
    out_dir : folder to write into (created if needed). Other files in it are left alone; the demo's own
        files are replaced, each atomically. A folder holding a ``redline.toml`` that the demo did not
        write is refused.
    seed : the random seed; the same seed gives the same data.

    Raises
    ------
    UsageError
        ``out_dir`` is a file, or holds files of the same names that the demo did not write.

    Examples
    --------
    >>> import tempfile, tomllib
    >>> p = generate_demo(tempfile.mkdtemp() + "/demo")               # doctest: +SKIP
    >>> tomllib.loads(p.read_text("utf-8"))["region"]["fictional"]     # doctest: +SKIP
    True
    """
    return write_demo(out_dir, seed=seed).project


def own_files() -> list[str]:
    """The files (relative paths) the demo writes."""
    stem = RED_LINE_SHP[:-4]
    return (["redline.toml", "structure.toml", "README.md", GPKG, *(stem + e for e in (".shp", ".shx", ".dbf", ".prj")),
             RIVERS_GEOJSON, LANDCOVER_TIF, SITES_GPKG, "sites/README.md", PLAN_TXT]
            + [f"sites/{name}" for name in TXT_SITES])


def write_demo(out_dir: str | os.PathLike, *, seed: int = 2026) -> DemoResult:
    """Like :func:`generate_demo`, and say which files were written and the facts of the construction."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    files = own_files()
    _refuse_foreign(out, files)
    region = build_region(seed)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".redline-demo-", dir=out))
    try:
        _write_all(region, staging)
        for rel in files:
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, out / rel)
        stale = out / (RED_LINE_SHP[:-4] + ".cpg")  # a .cpg would defeat the point of the GBK shapefile
        if stale.exists():
            stale.unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return DemoResult(project=out / "redline.toml", files=files, facts=region.facts)


def _refuse_foreign(out: Path, files: list[str]) -> None:
    existing = [rel for rel in files if (out / rel).exists()]
    if not existing:
        return
    toml = out / "redline.toml"
    ours = toml.is_file() and toml.read_text(encoding="utf-8", errors="replace").startswith(PROJECT_MARKER)
    if not ours:
        raise UsageError(f"{out} already holds {', '.join(existing[:3])}{' ...' if len(existing) > 3 else ''}, "
                         "not written by `redline demo`: choose another --out folder")


def _write_all(region: DemoRegion, root: Path) -> None:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "sites").mkdir(parents=True, exist_ok=True)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": DATA_DATE + "T00:00:00.000Z"})
    try:
        for lid, (table, title) in GPKG_LAYERS.items():
            pyogrio.write_dataframe(region.layers[lid], root / GPKG, layer=table, driver="GPKG",
                                    layer_options={"IDENTIFIER": title, "DESCRIPTION": "虚构数据，仅供演示（fictional demo data）"})
        pyogrio.write_dataframe(region.sites, root / SITES_GPKG, layer="sites", driver="GPKG",
                                layer_options={"IDENTIFIER": "示范县项目选址（虚构）",
                                               "DESCRIPTION": "虚构的项目选址，仅供演示（fictional demo sites）"})
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    _write_gbk_shapefile(region.layers["red_line"], root / RED_LINE_SHP)
    pyogrio.write_dataframe(region.layers["rivers"].to_crs(LONLAT), root / RIVERS_GEOJSON, layer="示范县河流（虚构）",
                            driver="GeoJSON", layer_options={"COORDINATE_PRECISION": 8})
    _write_landcover(region, root / LANDCOVER_TIF)
    from redline.layers.guotu import write_guotu

    for name, gdf in region.txt_sites.items():
        write_guotu(gdf, root / "sites" / name, zone=37, encoding="gbk", producer=PRODUCER, date=DATA_DATE)
    from redline.layers.outputs import write_text

    write_text(root / "redline.toml", project_toml(region))
    write_text(root / "structure.toml", structure_toml(region.structure))
    write_text(root / "README.md", readme(region))
    write_text(root / PLAN_TXT, plan_text(region))
    write_text(root / "sites" / "README.md", sites_readme(region))


def geodesic_area_m2(geoms, crs) -> float:
    """Total area (m²) of polygons on the CGCS2000 ellipsoid, by GeographicLib (``pyproj.Geod``): edges
    densified to 30 m in the plane of ``crs`` (straight there, as the official method takes them), then
    measured as geodesic polygons. The demo states its plan figures with it, independently of
    ``redline.spatial.areas``.
    """
    to_lonlat = pyproj.Transformer.from_crs(crs, LONLAT, always_xy=True)
    geod = pyproj.CRS(LONLAT).get_geod()
    total = 0.0
    for g in shapely.get_parts(shapely.segmentize(np.asarray(geoms, dtype=object), 30.0)):
        ll = shapely.transform(g, lambda xy: np.column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1])))
        total += abs(geod.geometry_area_perimeter(ll)[0])
    return total


def plan_figures(region: DemoRegion) -> dict[str, float]:
    """The figures the demo plan text states, measured on the demo's own layers (m²)."""
    lay = region.layers
    crs = lay["county"].crs
    county = shapely.union_all(lay["county"].geometry.values)
    red = lay["red_line"].geometry.values
    return {
        "county": geodesic_area_m2([county], crs),
        "red_line": geodesic_area_m2([shapely.intersection(shapely.union_all(red), county)], crs),
        "red_line_sum": geodesic_area_m2(red, crs),  # overlaps counted twice: the plan's deliberate error
        "farmland": geodesic_area_m2([shapely.intersection(shapely.union_all(lay["basic_farmland"].geometry.values),
                                                           county)], crs),
    }


def plan_text(region: DemoRegion) -> str:
    """A fictional plan text stating the demo's figures, with one deliberate inconsistency for
    ``redline audit-text`` to find: a second red-line figure that adds up the features' areas, counting
    their overlaps twice; and one distance rule on the demo's rivers for ``audit-text --rules-out``."""
    f = plan_figures(region)
    share = 100 * f["red_line"] / f["county"]
    n = len(region.layers["townships"])
    return "\n".join([
        f"{COUNTY}国土空间生态保护规划（2021—2035年）（虚构）",
        "",
        f"说明：本文本由 redline demo --seed {region.seed} 生成，{COUNTY}是虚构的县，文中数字按演示数据计算，"
        "仅供演示和测试，不代表任何真实地点、规划或审批结论。",
        "",
        "第一章　规划基础",
        "",
        f"{COUNTY}位于山西省中部（虚构），全县国土总面积{f['county'] / 1e6:.2f}平方千米，下辖{n}个乡镇。",
        "",
        "第二章　生态保护红线",
        "",
        f"全县划定生态保护红线面积{f['red_line'] / 1e6:.2f}平方千米，占全县国土总面积的{share:.2f}%，"
        f"主要分布在东西两侧山区和主要河流沿线。{MAIN_RIVER}干流1公里、{TRIBUTARIES[0]}500米范围内禁止新建化工、焦化等"
        "高污染工业项目。",
        "",
        "第三章　耕地和永久基本农田",
        "",
        f"全县落实永久基本农田保护面积{f['farmland'] / 1e4:.2f}公顷，集中分布在中部河谷平原。",
        "",
        "附：生态保护红线图斑统计",
        "",
        f"据各图斑面积汇总，生态保护红线面积为{f['red_line_sum'] / 1e4:.2f}公顷。",
        "",
    ])


def _write_gbk_shapefile(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """A Shapefile whose attribute table is GBK with no ``.cpg`` and no code-page byte, as old tools write it."""
    pyogrio.write_dataframe(gdf, path, driver="ESRI Shapefile", encoding="gbk")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    y, m, d = (int(v) for v in DATA_DATE.split("-"))
    data[1:4] = bytes([y - 1900, m, d])  # last-update date: fixed, so the file is reproducible
    data[29] = 0  # language driver id: none
    dbf.write_bytes(bytes(data))


def _write_landcover(region: DemoRegion, path: Path) -> None:
    import rasterio
    from affine import Affine

    lc = region.landcover
    profile = {"driver": "GTiff", "dtype": "uint8", "count": 1, "width": lc.shape[1], "height": lc.shape[0],
               "crs": CRS, "transform": Affine(*region.landcover_transform), "nodata": 0, "compress": "deflate",
               "tiled": True, "blockxsize": 256, "blockysize": 256}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(lc, 1)
        dst.update_tags(TITLE="示范县土地覆盖（虚构数据）", SOURCE=SOURCE_NR, DATE=DATA_DATE,
                        CLASSES=json.dumps({str(k): v for k, v in LANDCOVER_CLASSES.items()}, ensure_ascii=False))
        dst.set_band_description(1, "土地覆盖类别 " + " ".join(f"{k}={v}" for k, v in LANDCOVER_CLASSES.items()))
        dst.write_colormap(1, {0: (0, 0, 0, 0), 1: (245, 248, 220, 255), 2: (104, 177, 103, 255),
                               3: (205, 245, 122, 255), 4: (51, 142, 192, 255), 5: (230, 120, 90, 255),
                               6: (200, 200, 200, 255)})


