"""The demo region: 示范县, a fictional county of Shanxi, generated from a seed.

:func:`build_region` makes every layer as a GeoDataFrame (EPSG:4525, CGCS2000 3° Gauss-Krüger zone 37 with
prefixed eastings); :func:`generate_demo` writes them in the formats users really have, with a
``redline.toml`` project file, a ``structure.toml`` structure-diagram layout and README files. The same seed
always gives the same files; nothing in them describes a real place (every name carries 示范县 and every
file says 虚构, fictional).

How it is made
--------------
* The county is a star-shaped polygon of about 2,000 km² around 111.6°E 38.4°N. A main river (龙泉河)
  crosses it from north-east to south-west; six tributaries join it.
* A synthetic terrain (mountains north-west of the river, lower hills far to the south-east, a valley along
  the river) decides where the red line (the highest land, about a seventh of the county), the basic
  farmland (the lowest land) and the land cover fall.
* Townships and 三线一单 control units are Voronoi cells of seed points, cut by the county boundary and
  re-assembled from the polygonized linework, so that each layer is an exact coverage of the county.
* Project sites are placed by construction (a road crossing the red line, a factory 600 m from the main
  river, a clean housing site...) and the data around them is carved to keep each construction true.

Example
-------
>>> import tempfile
>>> toml = generate_demo(tempfile.mkdtemp() + "/demo")      # doctest: +SKIP
>>> toml.name                                              # doctest: +SKIP
'redline.toml'
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box

from redline.layers.errors import UsageError

CRS = "EPSG:4525"
LONLAT = "EPSG:4490"
COUNTY = "示范县"
REGION_NAME = "示范县（虚构）"
COUNTY_CODE = "149901"  # no such code exists: Shanxi's prefecture codes end at 1411
DATA_DATE = "2026-06-30"
PRODUCER = "示范县自然资源局（虚构）"
SOURCE_NR = "示范县自然资源局（虚构数据）"
SOURCE_EE = "示范县生态环境局（虚构数据）"
SOURCE_WATER = "示范县水利局（虚构数据）"
SOURCE_FOREST = "示范县林业局（虚构数据）"
SOURCE_TRANSPORT = "示范县交通运输局（虚构数据）"
MAIN_RIVER = "龙泉河"
TRIBUTARIES = ("东沟河", "西峪河", "石门河", "杨峪河", "青龙河", "南川河")
RESERVE = "示范县青龙山省级自然保护区"
WETLAND = "示范县龙泉河国家湿地公园"
URBAN_CENTRAL = "示范县中心城区城镇开发边界"
GPKG = "data/示范县.gpkg"
RED_LINE_SHP = "data/生态保护红线.shp"
RIVERS_GEOJSON = "data/rivers.geojson"
LANDCOVER_TIF = "data/landcover.tif"
SITES_GPKG = "sites/项目选址.gpkg"
PLAN_TXT = "示范县生态保护规划.txt"
TXT_SITES = ("01_示范县幸福里住宅小区.txt", "02_示范县农产品加工园.txt", "03_示范县东山风电场升压站.txt",
             "04_示范县城区安置房项目.txt")
PROJECT_MARKER = "# 示范县（虚构）: demo project written by `redline demo`"
LANDCOVER_CLASSES = {1: "耕地", 2: "林地", 3: "草地", 4: "水域", 5: "建设用地", 6: "未利用地"}
SITE_TYPES = ("linear_infrastructure", "tourism_education", "ecological_restoration", "mining",
              "industry_high_pollution", "industry", "housing", "energy", "water_works", "military",
              "residents_production")

# (name, 3-digit township code): 镇 1xx, 乡 2xx; 城关镇 hosts the county town.
TOWNSHIPS = (("城关镇", "100"), ("龙泉镇", "101"), ("河西镇", "102"), ("东岭镇", "103"), ("青龙镇", "104"),
             ("北川镇", "105"), ("石门乡", "200"), ("杨家庄乡", "201"), ("南沟乡", "202"), ("白马乡", "203"),
             ("红崖乡", "204"), ("三岔乡", "205"))

# GeoPackage layers: layer id → (table name, title)
GPKG_LAYERS = {
    "county": ("示范县县界", "示范县县级行政区界线（虚构）"),
    "townships": ("示范县乡镇界", "示范县乡镇级行政区（虚构）"),
    "protected_areas": ("示范县自然保护地功能分区", "示范县自然保护地功能分区（虚构）"),
    "river_ranges": ("示范县河道管理范围", "示范县河道管理范围（虚构）"),
    "shoreline_zones": ("示范县岸线功能区", "示范县河湖岸线功能分区（虚构）"),
    "urban_boundary": ("示范县城镇开发边界", "示范县城镇开发边界（虚构）"),
    "basic_farmland": ("示范县永久基本农田", "示范县永久基本农田保护图斑（虚构）"),
    "control_units": ("示范县生态环境管控单元", "示范县“三线一单”生态环境管控单元（虚构）"),
    "water_sources": ("示范县饮用水水源保护区", "示范县饮用水水源保护区（虚构）"),
    "roads": ("示范县道路", "示范县主要道路（虚构）"),
    "towns": ("示范县城镇", "示范县县城及乡镇驻地（虚构）"),
}

CLAUSES = {
    "优先保护单元": {
        "KJBJYS": "执行生态保护红线和自然保护地管控要求：红线内除国家重大项目和有限人为活动外，禁止开发性、"
                  "生产性建设活动；禁止新建、扩建工业项目和矿产资源开发项目。",
        "WRWPFGK": "不得新增污染物排放；现有排放源限期整治或退出。",
        "HJFXFK": "禁止新建涉及有毒有害物质的建设项目；加强森林草原防火和地质灾害防控。",
        "ZYKFLYXL": "严格控制取水量，禁止新增地下水开采；保障河道生态流量。",
    },
    "重点管控单元": {
        "KJBJYS": "县城规划区禁止新建、改建、扩建焦化、钢铁、化工、有色金属冶炼、水泥等污染较重项目，"
                  "以及危险化学品贮存、处理处置等高风险项目；工业项目向园区集中。",
        "WRWPFGK": "新建项目污染物排放实行区域倍量削减；城镇污水全部收集处理。",
        "HJFXFK": "涉危险化学品企业编制突发环境事件应急预案并开展隐患排查。",
        "ZYKFLYXL": "严格执行用水定额和能耗双控要求；推广中水回用。",
    },
    "一般管控单元": {
        "KJBJYS": "落实普适性生态环境保护要求；严格控制新增工业用地，禁止在河道管理范围内新建排污口。",
        "WRWPFGK": "农村生活污水和畜禽养殖废弃物资源化利用，控制农业面源污染。",
        "HJFXFK": "加强农用地土壤污染风险管控。",
        "ZYKFLYXL": "推广高效节水灌溉，提高农业用水效率。",
    },
}
UNIT_DIGIT = {"优先保护单元": "1", "重点管控单元": "2", "一般管控单元": "3"}

# What each site is built to show: (id, type, construction zh, construction en, expected verdict, why zh, why en)
SITE_NOTES = {
    "SF-01": ("linear_infrastructure", "县道改线，线路穿越一处生态保护红线图斑，两端均在红线外",
              "a county-road realignment crossing one red-line polygon, both ends outside the red line",
              "需论证", "线性基础设施属有限人为活动第6项（确实无法避让、符合县级以上国土空间规划），需不可避让论证和省级认定意见",
              "linear infrastructure is limited activity 6 of 自然资发〔2022〕142号: needs the no-alternative "
              "assessment and the provincial confirmation opinion"),
    "SF-02": ("water_works", "供水管线，横穿龙泉河河道管理范围和岸线功能区，不进入生态保护红线",
              "a water-supply pipeline crossing the 龙泉河 management range and shoreline zones, outside the red line",
              "需论证", "涉河建设项目须经水行政主管部门审批，并核算占用岸线长度",
              "works in a river management range need the water authority's approval; report shoreline length used"),
    "SF-03": ("energy", "光伏电站，一部分位于自然保护区实验区，不进入核心区和缓冲区，不进入生态保护红线",
              "a solar farm partly in the nature reserve's experimental zone, not in its core or buffer zone, "
              "outside the red line",
              "不符合", "自然保护区实验区只允许参观考察、旅游、教学科研等活动（《自然保护区条例》第十八条），光伏发电不在其列",
              "the experimental zone allows visits, tourism, teaching and research only (自然保护区条例 art. 18); "
              "a solar farm is none of them"),
    "SF-04": ("industry_high_pollution", "化工项目，不在任何管控图层内，但距龙泉河约600米",
              "a chemical plant outside every control polygon but about 600 m from the 龙泉河",
              "不符合", "违反项目规则 main_river_1km_high_pollution：龙泉河1公里范围内不得新建高污染工业项目",
              "breaks the project rule main_river_1km_high_pollution (no high-pollution industry within 1 km of 龙泉河)"),
    "SF-05": ("tourism_education", "湿地科普宣教中心，位于国家湿地公园一般控制区内，不进入核心保护区和生态保护红线",
              "a nature-education centre inside the national wetland park's general control zone, outside its core "
              "protection zone and the red line",
              "符合（或需论证）", "一般控制区允许适度参观旅游和科普宣教，需征得湿地公园管理机构同意",
              "the general control zone allows moderate tourism and nature education, with the park authority's consent"),
    "SF-06": ("mining", "石料矿开采，整体位于一处生态保护红线图斑内",
              "a stone quarry wholly inside one red-line polygon",
              "不符合", "生态保护红线内禁止开发性、生产性建设活动，采石不属于允许的矿产资源活动",
              "development inside the red line is forbidden; quarrying is not one of the allowed mineral activities"),
    "SF-07": ("ecological_restoration", "水土流失综合治理（点），位于生态保护红线内",
              "a soil-erosion control project (point) inside the red line",
              "需论证", "依规划开展的生态修复属有限人为活动第8项，需省级认定意见",
              "restoration under approved plans is limited activity 8: needs the provincial confirmation opinion"),
    "SF-08": ("water_works", "水文监测站（点），位于支流河道管理范围内",
              "a hydrological station (point) inside a tributary's management range",
              "需论证", "河道管理范围内建设需水行政主管部门审批",
              "building in a river management range needs the water authority's approval"),
    TXT_SITES[0]: (
        "housing", "住宅小区，位于乡镇驻地城镇开发边界内，所在管控单元为一般管控单元，不触及其他任何管控图层",
        "housing inside a township seat's urban development boundary, in a general control unit, touching no other "
        "control layer",
        "符合", "城镇开发边界内的城镇建设，未压覆任何禁止或限制区域",
        "urban construction inside the urban development boundary, touching nothing restricted"),
    TXT_SITES[1]: (
        "industry", "农产品加工厂，整体压覆一处永久基本农田图斑",
        "an agricultural-products plant wholly on a permanent basic farmland polygon",
        "不符合", "永久基本农田不得擅自占用或改变用途（《土地管理法》第三十五条）",
        "permanent basic farmland may not be occupied (土地管理法 art. 35)"),
    TXT_SITES[2]: (
        "energy", "风电场升压站，位于县界以东约6公里，超出本县数据覆盖范围",
        "a wind-farm substation about 6 km east of the county boundary, beyond the data's coverage",
        "无法判定", "场址不在县界内，现有图层无法判断其压覆情况",
        "the site lies outside the county: the layers cannot tell what it touches"),
    TXT_SITES[3]: (
        "housing", "安置房项目两宗地（一期地块内有一处保留的学校用地，作为洞），均位于中心城区城镇开发边界内，"
        "不触及其他管控图层（管控单元除外）",
        "two resettlement-housing parcels (the first with a hole: a school that stays) inside the central urban "
        "development boundary, touching no other control layer but the control units",
        "符合", "城镇开发边界内的住宅建设；所在重点管控单元的空间布局约束针对污染较重项目",
        "housing inside the urban development boundary; the key control unit's clause targets polluting industry"),
}

CONTROL_LAYER_IDS = ("red_line", "protected_areas", "river_ranges", "shoreline_zones", "urban_boundary",
                     "basic_farmland", "control_units", "water_sources")


# ------------------------------------------------------------------------------------------- geometry
def _rng_polar(center, radius, rng, *, n=128, harmonics=5, rough=0.18, stretch=(1.0, 1.0)):
    """A star-shaped irregular polygon: radius modulated by random low harmonics."""
    th = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    k = np.arange(2, 2 + harmonics)
    amp = rough * rng.uniform(0.3, 1.0, k.size) / np.sqrt(k)
    ph = rng.uniform(0, 2 * np.pi, k.size)
    r = radius * np.exp((amp[:, None] * np.cos(k[:, None] * th + ph[:, None])).sum(0))
    return Polygon(np.c_[center[0] + stretch[0] * r * np.cos(th), center[1] + stretch[1] * r * np.sin(th)])


def _rect(center, length, width, angle_rad):
    """A rectangle centred on ``center``, its long side at ``angle_rad`` from east."""
    r = box(-length / 2, -width / 2, length / 2, width / 2)
    r = affinity.rotate(r, angle_rad, origin=(0, 0), use_radians=True)
    return affinity.translate(r, center[0], center[1])


def _polygons(geoms, min_area=0.0):
    """The polygon parts of (an array of) geometries, non-empty and at least ``min_area`` m²."""
    parts = shapely.get_parts(np.atleast_1d(np.asarray(geoms, dtype=object)))
    parts = parts[shapely.get_type_id(parts) == 3]
    return parts[shapely.area(parts) > max(min_area, 0.0)]


def _union(geoms):
    geoms = np.asarray(geoms, dtype=object)
    return shapely.union_all(geoms) if geoms.size else Polygon()


def _warp_field(rng, *, amp=(150.0, 25.0), waves=(3, 2), wavelength=((4000.0, 9000.0), (1000.0, 1800.0))):
    """A smooth displacement field ``f(xy) -> xy`` (sums of plane waves), to make straight edges wander."""
    rows = []
    for a, n, (lo, hi) in zip(amp, waves, wavelength, strict=True):
        for _ in range(2 * n):
            lam, ang = rng.uniform(lo, hi), rng.uniform(0, 2 * np.pi)
            rows.append((2 * np.pi / lam * math.cos(ang), 2 * np.pi / lam * math.sin(ang), rng.uniform(0, 2 * np.pi), a))
    w = np.array(rows)
    half = len(rows) // 2

    def warp(xy):
        xy = np.asarray(xy, float)
        ph = xy[:, :1] * w[:, 0] + xy[:, 1:2] * w[:, 1] + w[:, 2]
        d = np.sin(ph) * w[:, 3]
        return xy + np.c_[d[:, 0::2].sum(1), d[:, 1::2].sum(1)] * (half > 0)

    return warp


def _tile(region, seeds, warp=None):
    """Cut ``region`` into one polygon per seed (Voronoi cells, optionally warped), as an exact coverage.

    The cell edges and the region boundary are noded together and polygonized, so neighbouring tiles
    share identical vertices. Each face holding a seed becomes that seed's tile; faces without a seed
    (a cell cut in two by a concave boundary) join the neighbour sharing the longest border.

    Returns
    -------
    (tiles, seeds)
        Object array of polygons in seed order, and the (warped) seed points.
    """
    pts = shapely.multipoints(seeds)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=region.buffer(5000.0)))
    edges = shapely.union_all(shapely.boundary(cells))
    if warp is not None:
        edges = shapely.transform(shapely.segmentize(edges, 150.0), warp)
        seeds = warp(seeds)
    lines = shapely.union_all([edges, region.boundary])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[shapely.contains(region, shapely.point_on_surface(faces))]
    owner = np.full(faces.size, -1)
    seed_idx, face_idx = shapely.STRtree(faces).query(shapely.points(seeds), predicate="within")
    owner[face_idx] = seed_idx
    if np.unique(face_idx).size != len(seeds):
        raise RuntimeError("demo: two seeds fell in one tile")
    while (owner < 0).any():
        changed = False
        for f in np.flatnonzero(owner < 0):
            nb = shapely.STRtree(faces).query(faces[f], predicate="intersects")
            nb = nb[owner[nb] >= 0]
            if nb.size:
                shared = shapely.length(shapely.intersection(faces[f].boundary, shapely.boundary(faces[nb])))
                owner[f] = owner[nb[int(np.argmax(shared))]]
                changed = True
        if not changed:
            raise RuntimeError("demo: a tile face has no neighbour")
    tiles = np.array([shapely.coverage_union_all(faces[owner == i]) for i in range(len(seeds))], dtype=object)
    return tiles, seeds


def _spaced_points(region, n, min_dist, rng, *, margin=0.0, fixed=(), tries=20000):
    """``n`` random points in ``region`` at least ``min_dist`` apart (and from ``fixed`` points)."""
    inner = region.buffer(-margin) if margin else region
    x0, y0, x1, y1 = inner.bounds
    cand = np.c_[rng.uniform(x0, x1, tries), rng.uniform(y0, y1, tries)]
    cand = cand[shapely.contains_xy(inner, cand[:, 0], cand[:, 1])]
    chosen = [np.asarray(p, float) for p in fixed]
    for p in cand:
        if len(chosen) == n:
            break
        if not chosen or np.min(np.hypot(*(np.array(chosen) - p).T)) >= min_dist:
            chosen.append(p)
    if len(chosen) < n:
        raise RuntimeError(f"demo: could not place {n} points {min_dist} m apart")
    return np.array(chosen)


def _lloyd(region, pts, fixed=1, rounds=3):
    """Move all points but the first ``fixed`` ones to the centroids of their Voronoi cells (Lloyd's method)."""
    pts = pts.copy()
    for _ in range(rounds):
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=region,
                                                           ordered=True))
        cent = shapely.centroid(shapely.intersection(cells, region))
        xy = shapely.get_coordinates(cent)
        pts[fixed:] = xy[fixed:]
    return pts


def _contour_polygons(xs, ys, z, level):
    """Polygons where ``z >= level`` on the grid (marching squares, holes kept)."""
    from contourpy import FillType, contour_generator

    gen = contour_generator(xs, ys, z, fill_type=FillType.OuterOffset)
    points, offsets = gen.filled(level, float(np.nanmax(z)) + 1.0)
    polys = []
    for pts, off in zip(points, offsets, strict=True):
        rings = [pts[off[i]:off[i + 1]] for i in range(len(off) - 1)]
        polys.append(Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4]))
    return _polygons(shapely.make_valid(np.array(polys, dtype=object)))


# -------------------------------------------------------------------------------------------- terrain
@dataclass
class _Terrain:
    """A synthetic height field: mountains on one side of the main river, a valley along it."""

    origin: np.ndarray
    along: np.ndarray  # unit vector, downstream
    across: np.ndarray  # unit vector, towards the mountains
    meander: np.ndarray  # rows (amplitude m, wavelength m, phase)
    bumps: np.ndarray  # rows (x, y, sigma m, height)
    waves: np.ndarray  # rows (kx, ky, phase, amplitude)

    def frame(self, x, y):
        dx, dy = x - self.origin[0], y - self.origin[1]
        return dx * self.along[0] + dy * self.along[1], dx * self.across[0] + dy * self.across[1]

    def river_offset(self, u):
        a, lam, ph = self.meander.T
        return (a[:, None] * np.sin(2 * np.pi * np.asarray(u)[None, :] / lam[:, None] + ph[:, None])).sum(0)

    def to_xy(self, u, v):
        return (self.origin[0] + u * self.along[0] + v * self.across[0],
                self.origin[1] + u * self.along[1] + v * self.across[1])

    def height(self, x, y):
        """Height (unitless) at arrays ``x``, ``y`` (m, EPSG:4525)."""
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        u, v = self.frame(x, y)
        w = v - self.river_offset(u.ravel()).reshape(u.shape)  # > 0 towards the mountains
        h = 1.0 / (1.0 + np.exp(-(w - 7000.0) / 3500.0)) + 0.45 / (1.0 + np.exp((w + 15000.0) / 3500.0))
        h = h - 0.35 * np.exp(-(w / 2500.0) ** 2)
        for bx, by, s, g in self.bumps:
            h = h + g * np.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * s * s))
        dx, dy = x - self.origin[0], y - self.origin[1]
        for kx, ky, ph, a in self.waves:
            h = h + a * np.sin(kx * dx + ky * dy + ph)
        return h


# ---------------------------------------------------------------------------------------------- region
@dataclass
class DemoRegion:
    """Every layer of the demo region (EPSG:4525) and the facts its construction guarantees."""

    seed: int
    layers: dict[str, gpd.GeoDataFrame]
    sites: gpd.GeoDataFrame  # the GeoPackage sites
    txt_sites: dict[str, gpd.GeoDataFrame]  # file name → parcels
    landcover: np.ndarray
    landcover_transform: tuple
    structure: dict
    facts: dict = field(default_factory=dict)


def _gdf(data: dict, geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=CRS)


class _Draft:
    """The region under construction (EPSG:4525), filled stage by stage by :func:`build_region`."""

    def at(self, t: float, offset: float = 0.0):
        """Point at fraction ``t`` of the main river shifted ``offset`` m to the left of the flow (the
        south-east, lowland bank; negative: the mountain side), and the unit tangent there."""
        line = self.main_line
        p = np.array(line.interpolate(t, normalized=True).coords[0])
        q = np.array(line.interpolate(min(t + 0.002, 1.0), normalized=True).coords[0])
        p0 = np.array(line.interpolate(max(t - 0.002, 0.0), normalized=True).coords[0])
        tan = (q - p0) / np.hypot(*(q - p0))
        return p + offset * np.array([-tan[1], tan[0]]), tan

    def quantile(self, q: float) -> float:
        """Height quantile over the county (on the terrain grid)."""
        return float(np.quantile(self.gh[self.in_county], q))


def build_region(seed: int = 2026) -> DemoRegion:
    """Make the demo region's layers in memory (see the module docstring).

    Raises RuntimeError when a construction cannot be placed (no seed tried so far does that).
    """
    rng = np.random.default_rng(seed)
    d = _Draft()
    d.seed = seed
    _stage_base(d, rng)
    _stage_zones(d, rng)
    _stage_constrained_sites(d)
    _stage_red_line(d, rng)
    _stage_farmland(d, rng)
    _stage_overlaps(d, rng)
    _stage_units(d, rng)
    _stage_sites(d, rng)
    _stage_roads(d, rng)
    _stage_shoreline(d)
    landcover, transform = _landcover(d.terrain, d.county, d.quantile, d.farm_geoms, d.villages, d.urban_geoms,
                                      d.main, d.trib_geoms, d.reservoir)
    lay, sites, txt_sites, facts = _frames(d, rng)
    facts["sites"] = _site_facts(lay, sites, txt_sites)
    return DemoRegion(seed=seed, layers=lay, sites=sites, txt_sites=txt_sites, landcover=landcover,
                      landcover_transform=transform, structure=_structure(d), facts=facts)


def _stage_base(d: _Draft, rng) -> None:
    """County outline, main river, terrain, townships and tributaries."""
    to_gk = pyproj.Transformer.from_crs(LONLAT, CRS, always_xy=True)
    lon0, lat0 = 111.6 + rng.uniform(-0.02, 0.02), 38.4 + rng.uniform(-0.02, 0.02)
    c = np.array(to_gk.transform(lon0, lat0))

    # County: star-shaped, wider than tall, scaled to its target planar area.
    target_km2 = rng.uniform(1960.0, 2040.0)
    th = np.linspace(0, 2 * np.pi, 900, endpoint=False)
    k = np.arange(2, 40)
    amp = np.where(k < 7, 0.16, 0.05) * rng.uniform(0.4, 1.0, k.size) / k ** np.where(k < 7, 0.5, 0.8)
    ph = rng.uniform(0, 2 * np.pi, k.size)
    r = np.exp((amp[:, None] * np.cos(k[:, None] * th + ph[:, None])).sum(0))
    ring = np.c_[1.17 * r * np.cos(th), r * np.sin(th)]
    region = Polygon(c + ring * math.sqrt(target_km2 * 1e6 / Polygon(ring).area))

    # Main river and terrain frame: flows towards the south-west, mountains on its north-west side.
    beta = np.deg2rad(225.0 + rng.uniform(-12, 12))
    along = np.array([math.cos(beta), math.sin(beta)])
    across = np.array([along[1], -along[0]])  # right of the flow (south-west) = north-west
    meander = np.c_[rng.uniform([1200, 400, 120], [2200, 800, 220]),
                    rng.uniform([16000, 6000, 2200], [22000, 8000, 3000]),
                    rng.uniform(0, 2 * np.pi, 3)]
    terrain = _Terrain(origin=c + across * rng.uniform(-3000, 3000), along=along, across=across,
                       meander=meander, bumps=np.zeros((0, 4)), waves=np.zeros((0, 4)))
    u = np.arange(-60000.0, 60000.0, 100.0)
    d.main = shapely.intersection(LineString(np.c_[terrain.to_xy(u, terrain.river_offset(u))]), region)
    d.main_line = max(shapely.get_parts(d.main), key=lambda g: g.length)

    # Terrain detail: bumps mostly on the mountain side, waves for texture.
    x0, y0, x1, y1 = region.bounds
    bx, by = rng.uniform(x0, x1, 90), rng.uniform(y0, y1, 90)
    bu, bv = terrain.frame(bx, by)
    side = bv - terrain.river_offset(bu)
    pick = np.r_[np.flatnonzero(side > 4000)[:24], np.flatnonzero(side <= 4000)[:8]]
    terrain.bumps = np.c_[bx[pick], by[pick], rng.uniform(1500, 4000, pick.size), rng.uniform(0.08, 0.3, pick.size)]
    wl = np.r_[rng.uniform(2500, 9000, 10), rng.uniform(1200, 2500, 10)]
    wd = rng.uniform(0, 2 * np.pi, 20)
    terrain.waves = np.c_[2 * np.pi / wl * np.cos(wd), 2 * np.pi / wl * np.sin(wd), rng.uniform(0, 2 * np.pi, 20),
                          np.r_[rng.uniform(0.03, 0.06, 10), rng.uniform(0.02, 0.035, 10)]]
    d.terrain, d.region = terrain, region

    # Terrain grid (150 m) over the county.
    d.xs = np.arange(x0 - 1000, x1 + 1000, 150.0)
    d.ys = np.arange(y0 - 1000, y1 + 1000, 150.0)
    d.gx, d.gy = np.meshgrid(d.xs, d.ys)
    d.gh = terrain.height(d.gx, d.gy)
    d.in_county = shapely.contains_xy(region, d.gx, d.gy)

    # Townships: 12 seats, the county town on the main river's lowland bank; lowland seats are 镇.
    d.town_xy, _ = d.at(0.5, 700.0)
    seeds = _spaced_points(region, 12, 8500.0, rng, margin=3000.0, fixed=[d.town_xy])
    seeds = _lloyd(region, seeds, fixed=1, rounds=3)
    d.township_geoms, d.seeds = _tile(region, seeds, _warp_field(rng))
    d.county = shapely.coverage_union_all(d.township_geoms)
    seat_h = terrain.height(d.seeds[:, 0], d.seeds[:, 1])
    d.order = np.r_[0, 1 + np.argsort(seat_h[1:], kind="stable")]
    d.names = np.empty(12, dtype=object)
    d.codes = np.empty(12, dtype=object)
    for name_idx, seed_idx in enumerate(d.order):
        d.names[seed_idx], d.codes[seed_idx] = TOWNSHIPS[name_idx][0], COUNTY_CODE + TOWNSHIPS[name_idx][1]

    # Tributaries: from the hills down to the main river.
    tribs = []
    for t, s in zip((0.12, 0.27, 0.40, 0.60, 0.74, 0.88), (1, -1, 1, 1, -1, 1), strict=True):
        p0, tan = d.at(t)
        normal = np.array([-tan[1], tan[0]]) * s
        ang = np.deg2rad(rng.uniform(25, 45))
        direction = normal * math.cos(ang) - tan * math.sin(ang)  # tilted upstream
        length = rng.uniform(11000, 17000)
        p2 = p0 + direction * length
        p1 = (p0 + p2) / 2 + np.array([-direction[1], direction[0]]) * rng.uniform(-0.2, 0.2) * length
        tt = np.linspace(0, 1, 160)[:, None]
        pts = (1 - tt) ** 2 * p2 + 2 * (1 - tt) * tt * p1 + tt ** 2 * p0  # source → confluence
        wig = np.sin(tt[:, 0] * rng.uniform(6, 12) * np.pi) * rng.uniform(80, 200) * np.sin(np.pi * tt[:, 0])
        pts = pts + np.outer(wig, [-direction[1], direction[0]])
        pts[-1] = p0
        line = shapely.intersection(LineString(pts), d.county)
        tribs.append(min(shapely.get_parts(line), key=lambda g: g.distance(Point(p0))))
    d.trib_geoms = np.array(tribs, dtype=object)
    d.tribs_all = _union(d.trib_geoms)


def _stage_zones(d: _Draft, rng) -> None:
    """Urban development boundary, river management ranges, wetland park, nature reserve, water sources."""
    county = d.county
    d.central = shapely.intersection(_rng_polar(d.town_xy, 2600.0, rng, rough=0.25), county)
    d.small_seats = list(d.order[1:7])
    d.small_urban = [shapely.intersection(_rng_polar(d.seeds[i], rng.uniform(650, 850), rng, n=64), county)
                     for i in d.small_seats]
    d.urban_geoms = np.array([d.central, *d.small_urban], dtype=object)
    d.urban_all = _union(d.urban_geoms)

    d.main_range = shapely.intersection(shapely.buffer(d.main, 150.0), county)  # 150 m each side
    d.trib_ranges = shapely.intersection(shapely.buffer(d.trib_geoms, 50.0), county)
    d.ranges_all = _union(np.append(d.trib_ranges, d.main_range))

    # Wetland park along the main river (fractions 0.15–0.38).
    stretch = shapely.ops.substring(d.main_line, 0.15, 0.38, normalized=True)
    d.wet_core = shapely.intersection(stretch.buffer(300.0, cap_style="flat"), county)
    d.wet_general = shapely.difference(shapely.intersection(stretch.buffer(900.0), county),
                                       shapely.union(d.wet_core, d.urban_all.buffer(100.0)))
    d.wetland_all = shapely.union(d.wet_core, d.wet_general)

    # Nature reserve: on the highest land well inside the county, away from river, town and seats.
    cand = np.c_[d.gx[::7, ::7].ravel(), d.gy[::7, ::7].ravel()]
    ch = d.gh[::7, ::7].ravel()
    cpts = shapely.points(cand)
    for margin, river_d, town_d, seat_d in ((8000, 9000, 14000, 6500), (7000, 7000, 12000, 5000),
                                            (6000, 5000, 10000, 4000), (5000, 4000, 8000, 3000)):
        ok = (shapely.contains_xy(d.region.buffer(-margin), cand[:, 0], cand[:, 1])
              & (shapely.distance(d.main, cpts) > river_d) & (np.hypot(*(cand - d.town_xy).T) > town_d)
              & (shapely.distance(shapely.multipoints(d.seeds), cpts) > seat_d))
        if ok.any():
            break
    else:
        raise RuntimeError(f"demo: no place for the nature reserve (seed {d.seed})")
    d.centre = cand[np.flatnonzero(ok)[np.argmax(ch[ok])]]
    core = _rng_polar(d.centre, 2600.0, rng, rough=0.2)
    d.buf_outer = shapely.union(core.buffer(1400.0), _rng_polar(d.centre, 3900.0, rng, rough=0.1))
    d.exp_outer = shapely.union(d.buf_outer.buffer(1800.0), _rng_polar(d.centre, 5600.0, rng, rough=0.1))
    inside = shapely.difference(county, d.wetland_all)  # the reserve never overlaps the wetland park
    d.res_core = shapely.intersection(core, inside)
    d.res_buffer = shapely.intersection(shapely.difference(d.buf_outer, core), inside)
    d.res_exp = shapely.intersection(d.exp_outer, inside).difference(d.buf_outer)
    d.reserve_all = shapely.intersection(d.exp_outer, inside)

    # Water sources: a reservoir on a hill tributary, a well field upstream of the county town.
    mid_h = [d.terrain.height(*g.interpolate(0.4, normalized=True).coords[0]) for g in d.trib_geoms]
    far = [i for i in range(d.trib_geoms.size) if d.trib_geoms[i].distance(d.reserve_all) >= 2500.0]
    trib = d.trib_geoms[max(far or range(d.trib_geoms.size), key=lambda i: mid_h[i])]
    d.reservoir = shapely.intersection(
        shapely.ops.substring(trib, 0.30, 0.42, normalized=True).buffer(220.0), county)
    d.ws1_res = shapely.intersection(d.reservoir.buffer(200.0), county)
    d.ws2_res = shapely.intersection(d.reservoir.buffer(1500.0), county).difference(d.ws1_res)
    wells_c, _ = d.at(0.5 - 5500.0 / d.main_line.length, 2600.0)
    wells = shapely.points(wells_c + np.array([(0, 0), (280, 90), (-250, 160)]))
    d.ws1_wells = shapely.intersection(shapely.union_all(shapely.buffer(wells, 100.0)).convex_hull.buffer(60.0),
                                       county)
    d.ws2_wells = shapely.intersection(d.ws1_wells.buffer(900.0), county).difference(d.ws1_wells)
    d.ws2_wells = d.ws2_wells.difference(d.urban_all)
    d.water_all = shapely.union_all([d.ws1_res, d.ws2_res, d.ws1_wells, d.ws2_wells])


def _stage_constrained_sites(d: _Draft) -> None:
    """Sites placed before the red line and farmland exist, so that those can be carved around them."""
    # Factory: about 650 m from the main river, outside every control polygon.
    d.factory = None
    for t, s in ((t, s) for t in (0.78, 0.74, 0.82, 0.70, 0.86, 0.66, 0.90, 0.62) for s in (-1, 1)):
        p, tan = d.at(t, s * 650.0)
        fp = _rect(p, 260.0, 180.0, math.atan2(tan[1], tan[0]))
        if (d.county.buffer(-1500.0).contains(fp) and 400.0 < fp.distance(d.main) < 900.0
                and fp.distance(d.urban_all) > 1200.0 and fp.distance(d.tribs_all) > 600.0
                and fp.distance(d.wetland_all) > 800.0 and fp.distance(d.water_all) > 800.0
                and fp.distance(d.reserve_all) > 1000.0):
            d.factory = fp
            break
    if d.factory is None:
        raise RuntimeError(f"demo: no place for the factory site (seed {d.seed})")

    # Nature-education centre in the wetland park's general control zone.
    d.tourism = None
    for t, s in ((t, s) for t in (0.27, 0.24, 0.30, 0.21, 0.33) for s in (1, -1)):
        p, tan = d.at(t, s * 600.0)
        fp = _rect(p, 280.0, 180.0, math.atan2(tan[1], tan[0]))
        if d.wet_general.contains(fp) and fp.distance(d.tribs_all) > 250.0 and fp.distance(d.water_all) > 200.0:
            d.tourism = fp
            break
    if d.tourism is None:
        raise RuntimeError(f"demo: no place for the wetland-park site (seed {d.seed})")

    # Solar farm straddling the reserve's outer edge, on the side facing the county town.
    d.solar = None
    toward = (d.town_xy - d.centre) / np.hypot(*(d.town_xy - d.centre))
    for da in (0, 15, -15, 30, -30, 45, -45, 60, -60, 75, -75, 90, -90):
        a = math.atan2(toward[1], toward[0]) + math.radians(da)
        ray = LineString([d.centre, d.centre + 30000.0 * np.array([math.cos(a), math.sin(a)])])
        hit = shapely.get_coordinates(shapely.intersection(ray, d.exp_outer.exterior))
        if not len(hit):
            continue
        q = hit[np.argmin(np.hypot(*(hit - d.centre).T))]
        fp = _rect(q, 500.0, 900.0, a)  # long side along the reserve edge
        if (d.county.buffer(-800.0).contains(fp) and fp.intersects(d.res_exp)
                and fp.distance(d.buf_outer) > 300.0 and fp.distance(d.ranges_all) > 200.0
                and fp.distance(d.water_all) > 300.0 and fp.distance(d.urban_all) > 500.0):
            d.solar = fp
            break
    if d.solar is None:
        raise RuntimeError(f"demo: no place for the solar-farm site (seed {d.seed})")
    d.carve = shapely.union_all([d.factory.buffer(450.0), d.tourism.buffer(300.0), d.solar.buffer(300.0)])


def _stage_red_line(d: _Draft, rng) -> None:
    """Red line: the highest land, plus the reserve's core and buffer zones and the wetland core, cut into
    polygons by township and by Voronoi cells (~3 km²)."""
    hills = _union(_contour_polygons(d.xs, d.ys, d.gh, d.quantile(1 - 0.135)))
    red_zone = shapely.intersection(hills, d.county)
    red_zone = shapely.difference(red_zone, shapely.union_all([d.res_exp, d.wet_general]))
    red_zone = shapely.union_all([red_zone, d.res_core, d.res_buffer, d.wet_core])
    d.red_zone = shapely.difference(red_zone, shapely.union_all([d.urban_all.buffer(200.0), d.carve]))

    x0, y0, x1, y1 = d.region.bounds
    cut_pts = np.c_[rng.uniform(x0, x1, 600), rng.uniform(y0, y1, 600)]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(cut_pts), extend_to=d.region))
    ci, ti = shapely.STRtree(d.township_geoms).query(cells, predicate="intersects")
    cutters = shapely.intersection(cells[ci], d.township_geoms[ti])
    red_parts = _polygons(d.red_zone)
    pi, qi = shapely.STRtree(cutters).query(red_parts, predicate="intersects")
    pieces = shapely.intersection(red_parts[pi], cutters[qi])
    geoms, town = [], []
    for g, tw in zip(pieces, ti[qi], strict=True):
        parts = _polygons(g, min_area=20000.0)
        geoms.extend(parts)
        town.extend([tw] * len(parts))
    d.red_geoms = np.array(geoms, dtype=object)
    d.red_town = np.array(town)
    area = shapely.area(d.red_geoms)
    d.in_reserve = shapely.area(shapely.intersection(d.red_geoms, shapely.union(d.res_core, d.res_buffer))) > 0.5 * area
    d.in_wet = shapely.area(shapely.intersection(d.red_geoms, d.wet_core)) > 0.5 * area
    rep = shapely.point_on_surface(d.red_geoms)
    rep_h = d.terrain.height(shapely.get_x(rep), shapely.get_y(rep))
    d.hxlx = np.where(d.in_reserve | d.in_wet, "生物多样性维护",
                      np.where(rep_h > d.quantile(1 - 0.06), "水源涵养", "水土保持"))


def _stage_farmland(d: _Draft, rng) -> None:
    """Permanent basic farmland: the lowest land outside the other lines and villages, cut into 图斑."""
    x0, y0, x1, y1 = d.region.bounds
    low = _union(_contour_polygons(d.xs, d.ys, -d.gh, -d.quantile(0.32)))
    vx, vy = rng.uniform(x0, x1, 1500), rng.uniform(y0, y1, 1500)
    vin = shapely.contains_xy(low, vx, vy)
    d.villages = np.array([_rng_polar((x, y), rng.uniform(120.0, 260.0), rng, n=24, rough=0.3)
                           for x, y in np.c_[vx[vin], vy[vin]][:110]], dtype=object)
    farm_zone = shapely.difference(shapely.intersection(low, d.county), shapely.union_all([
        d.red_zone.buffer(80.0), d.urban_all.buffer(50.0), d.ranges_all.buffer(30.0), d.wetland_all.buffer(50.0),
        d.reserve_all.buffer(50.0), d.ws1_res.buffer(30.0), d.ws1_wells.buffer(30.0), d.carve, _union(d.villages)]))
    fcut = np.c_[rng.uniform(x0, x1, 900), rng.uniform(y0, y1, 900)]
    fcells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(fcut), extend_to=d.region))
    fparts = _polygons(farm_zone)
    a_i, b_i = shapely.STRtree(fcells).query(fparts, predicate="intersects")
    d.farm_geoms = _polygons(shapely.intersection(fparts[a_i], fcells[b_i]), min_area=5000.0)


def _stage_overlaps(d: _Draft, rng) -> None:
    """The deliberate faults in geometry: red-line polygons grown by 60 m over their neighbours (as real
    data has), and one farmland polygon straddling the red line's edge."""
    areas = shapely.area(d.red_geoms)
    touch_i, _ = shapely.STRtree(d.red_geoms).query(d.red_geoms, predicate="touches")
    has_nb = np.zeros(d.red_geoms.size, bool)
    has_nb[touch_i] = True
    cand = np.flatnonzero(has_nb & ~d.in_reserve & ~d.in_wet & (areas > 300000.0))
    d.grow = np.sort(rng.choice(cand, size=min(5, cand.size), replace=False))
    farm_all = _union(d.farm_geoms)
    keep_out = shapely.union_all([d.urban_all.buffer(200.0), farm_all, d.carve, d.res_exp, d.wet_general])
    for i in d.grow:
        g = shapely.difference(shapely.intersection(d.red_geoms[i].buffer(60.0), d.county), keep_out)
        d.red_geoms[i] = max(_polygons(g), key=lambda p: p.area)

    red_edge = _union(d.red_geoms).boundary
    avoid = shapely.union_all([d.urban_all, d.ranges_all, d.wetland_all, d.reserve_all, d.water_all,
                               d.carve.buffer(500.0)])
    d.overlap = None
    for i in np.argsort(-areas, kind="stable"):
        if d.in_reserve[i] or d.in_wet[i] or i in d.grow or d.hxlx[i] != "水土保持":
            continue
        ring = shapely.segmentize(d.red_geoms[i].exterior, 200.0)
        pts = shapely.points(shapely.get_coordinates(ring)[::3])
        pts = pts[shapely.distance(pts, red_edge) < 0.5]  # on the red line's outer edge, not a cut
        for p in pts[:30]:
            b = _rng_polar(shapely.get_coordinates(p)[0], 330.0, rng, n=40, rough=0.2)
            if d.county.buffer(-500.0).contains(b) and not b.intersects(avoid):
                g = max(_polygons(shapely.difference(b, farm_all)), key=lambda p: p.area, default=None)
                if g is not None and g.intersection(d.red_geoms[i]).area > 50000.0:
                    d.overlap = (i, g)
                    break
        if d.overlap is not None:
            break
    if d.overlap is None:
        raise RuntimeError(f"demo: no place for the red line / farmland overlap (seed {d.seed})")
    d.farm_geoms = np.append(d.farm_geoms, np.array([d.overlap[1]], dtype=object))
    d.farm_all = _union(d.farm_geoms)
    d.red_all = _union(d.red_geoms)


def _stage_units(d: _Draft, rng) -> None:
    """三线一单 control units: 36 warped Voronoi tiles, classed by what they contain."""
    seeds = _spaced_points(d.county, 36, 4500.0, rng, margin=1500.0)
    seeds = _lloyd(d.county, seeds, fixed=0, rounds=2)
    d.unit_geoms, _ = _tile(d.county, seeds, _warp_field(rng, amp=(120.0, 20.0)))
    area = shapely.area(d.unit_geoms)
    red_share = shapely.area(shapely.intersection(d.unit_geoms, d.red_all)) / area
    wet_share = shapely.area(shapely.intersection(d.unit_geoms, d.wetland_all)) / area
    urban_share = shapely.area(shapely.intersection(d.unit_geoms, d.central)) / d.central.area
    d.uclass = np.where(shapely.contains_xy(d.unit_geoms, *d.town_xy) | (urban_share > 0.2), "重点管控单元",
                        np.where((red_share >= 0.3) | (wet_share >= 0.15), "优先保护单元", "一般管控单元"))
    u_i, t_i = shapely.STRtree(d.township_geoms).query(shapely.point_on_surface(d.unit_geoms), predicate="within")
    d.unit_town = np.empty(d.unit_geoms.size, dtype=int)
    d.unit_town[u_i] = t_i


def _stage_sites(d: _Draft, rng) -> None:
    """Sites placed on the finished data."""
    others = shapely.union_all([d.red_all, d.farm_all, d.ranges_all, d.wetland_all, d.reserve_all, d.water_all])
    # Clean site: a township seat inside a small urban polygon, in a 一般管控单元, far from the red line.
    best = []
    for urban, i in zip(d.small_urban, d.small_seats, strict=True):
        fp = _rect(d.seeds[i], 180.0, 120.0, 0.3)
        unit = int(np.flatnonzero(shapely.contains_xy(d.unit_geoms, *d.seeds[i]))[0])
        if (urban.contains(fp) and d.uclass[unit] == "一般管控单元" and not fp.intersects(others)
                and fp.distance(d.main) > 1500.0):
            best.append((fp.distance(d.red_all), i, fp))
    if not best:
        raise RuntimeError(f"demo: no place for the clean site (seed {d.seed})")
    _, d.clean_seat, d.clean = max(best, key=lambda b: b[0])

    # Quarry inside the largest red-line polygon outside the parks; a restoration point in another.
    d.order_red = [i for i in np.argsort(-shapely.area(d.red_geoms), kind="stable")
                   if not d.in_reserve[i] and not d.in_wet[i] and i != d.overlap[0] and i not in d.grow]
    d.mining = None
    for i in d.order_red:
        inner = d.red_geoms[i].buffer(-220.0)
        if not inner.is_empty:
            fp = _rect(shapely.get_coordinates(inner.point_on_surface())[0], 300.0, 260.0, 0.0)
            if d.red_geoms[i].contains(fp) and not fp.intersects(d.farm_all):
                d.mining, d.mining_red = fp, i
                break
    if d.mining is None or len(d.order_red) < 3:
        raise RuntimeError(f"demo: no place for the mining site (seed {d.seed})")
    d.restore_red = next(i for i in d.order_red if i != d.mining_red)
    d.restoration = d.red_geoms[d.restore_red].point_on_surface()

    # Road crossing a red-line polygon of moderate size, both ends outside the red line.
    d.road = None
    mid = [i for i in d.order_red
           if 300000.0 < d.red_geoms[i].area < 3000000.0 and i not in (d.mining_red, d.restore_red)]
    for i in mid:
        cpt = np.array(d.red_geoms[i].point_on_surface().coords[0])
        half = math.sqrt(d.red_geoms[i].area) * 1.3 + 400.0
        for a in rng.uniform(0, np.pi, 8):
            dvec = np.array([math.cos(a), math.sin(a)])
            line = LineString([cpt - half * dvec, cpt + 0.3 * half * np.array([-dvec[1], dvec[0]]), cpt + half * dvec])
            ends = shapely.points(np.array(line.coords)[[0, -1]])
            if (not shapely.intersects(ends, d.red_all).any() and d.county.buffer(-300.0).contains(line)
                    and line.crosses(d.red_geoms[i]) and not line.intersects(d.reserve_all)):
                d.road, d.road_red = line, i
                break
        if d.road is not None:
            break
    if d.road is None:
        raise RuntimeError(f"demo: no place for the road crossing the red line (seed {d.seed})")

    # Pipeline across the main river downstream of the county town.
    d.pipeline = None
    for t in (0.62, 0.66, 0.58, 0.70):
        p, tan = d.at(t)
        n = np.array([-tan[1], tan[0]])
        line = LineString([p - 1400.0 * n + 300 * tan, p - 300 * n, p + 300 * n, p + 1400.0 * n - 200 * tan])
        if (line.crosses(d.main_range) and not line.intersects(d.urban_all) and not line.intersects(d.red_all)
                and d.county.contains(line) and line.distance(d.factory) > 300.0):
            d.pipeline = line
            break
    if d.pipeline is None:
        raise RuntimeError(f"demo: no place for the pipeline (seed {d.seed})")

    # Hydrological station on the longest tributary (inside its management range).
    d.station_trib = int(np.argmax(shapely.length(d.trib_geoms)))
    d.station = d.trib_geoms[d.station_trib].interpolate(0.75, normalized=True)

    # Agricultural-products plant (TXT) wholly on a large farmland polygon.
    d.farm_site = None
    no_farm = shapely.union_all([d.red_all, d.urban_all, d.ranges_all, d.wetland_all, d.reserve_all, d.water_all])
    for i in np.argsort(-shapely.area(d.farm_geoms), kind="stable"):
        inner = d.farm_geoms[i].buffer(-170.0)
        if inner.is_empty:
            continue
        fp = _rect(shapely.get_coordinates(inner.point_on_surface())[0], 300.0, 220.0, 0.2)
        if d.farm_geoms[i].contains(fp) and not fp.intersects(no_farm) and fp.distance(d.main) > 1200.0:
            d.farm_site = fp
            break
    if d.farm_site is None:
        raise RuntimeError(f"demo: no place for the farmland site (seed {d.seed})")

    # Resettlement housing in the central urban area (TXT, two parcels, the first with a hole).
    d.resettle = None
    for off in (1500.0, 1900.0, 1100.0, 2200.0, -1500.0):
        p, tan = d.at(0.5, off)
        angle = math.atan2(tan[1], tan[0])
        hole = _rect(p + 350 * tan, 80.0, 60.0, angle)
        a_geom = Polygon(_rect(p + 350 * tan, 320.0, 240.0, angle).exterior.coords, [hole.exterior.coords])
        b_geom = _rect(p - 300 * tan, 200.0, 160.0, angle)
        both = shapely.union(a_geom, b_geom)
        if d.central.contains(both) and not both.intersects(others):
            d.resettle = (a_geom, b_geom)
            break
    if d.resettle is None:
        raise RuntimeError(f"demo: no place for the resettlement site (seed {d.seed})")

    # Beyond the coverage: 6 km east of the county's easternmost point.
    ring = shapely.get_coordinates(d.county.exterior)
    d.outside = _rect(ring[np.argmax(ring[:, 0])] + np.array([6000.0, 0.0]), 240.0, 200.0, 0.1)


def _stage_roads(d: _Draft, rng) -> None:
    """County roads from the county town to every seat, and a provincial road along the valley."""
    d.road_geoms, d.road_names, d.road_codes, d.road_levels, d.road_seat = [], [], [], [], []
    for j, i in enumerate(sorted(range(1, 12), key=lambda i: d.codes[i])):
        p0, p2 = d.seeds[0], d.seeds[i]
        mid_pt = (p0 + p2) / 2 + np.array([-(p2 - p0)[1], (p2 - p0)[0]]) * rng.uniform(-0.12, 0.12)
        tt = np.linspace(0, 1, 40)[:, None]
        d.road_geoms.append(LineString((1 - tt) ** 2 * p0 + 2 * (1 - tt) * tt * mid_pt + tt ** 2 * p2))
        d.road_names.append(f"城{d.names[i][0]}线")
        d.road_codes.append(f"X{j + 1:03d}")
        d.road_levels.append("县道")
        d.road_seat.append(i)
    valley = np.array([d.at(t, 1200.0)[0] for t in np.linspace(0.0, 1.0, 60)])
    d.road_geoms.append(shapely.intersection(LineString(valley), d.county))
    d.road_names.append("龙泉大道")
    d.road_codes.append("S901")
    d.road_levels.append("省道")
    d.road_seat.append(None)


def _stage_shoreline(d: _Draft) -> None:
    """Shoreline functional zones: the main river's management range cut across where the zone changes (and
    every ~6 km), and along the river into left and right banks."""
    urban_t = (0.5 - 2800.0 / d.main_line.length, 0.5 + 2800.0 / d.main_line.length)
    breaks = sorted({0.15, 0.38, urban_t[0] - 0.03, urban_t[0], urban_t[1], urban_t[1] + 0.03,
                     *np.round(np.arange(0.06, 1.0, 0.09), 3)})
    cutters = []
    for t in breaks:
        p, tan = d.at(t)
        n = np.array([-tan[1], tan[0]])
        cutters.append(LineString([p - 400 * n, p + 400 * n]))
    lines = shapely.union_all([d.main_range.boundary, shapely.intersection(d.main, d.main_range), *cutters])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[shapely.contains(d.main_range, shapely.point_on_surface(faces))]
    rep = shapely.point_on_surface(faces)
    tpos = shapely.line_locate_point(d.main_line, rep, normalized=True)
    zone = np.where((tpos >= 0.15) & (tpos <= 0.38), "岸线保护区",
                    np.where((tpos >= urban_t[0]) & (tpos <= urban_t[1]), "开发利用区",
                             np.where((tpos >= urban_t[0] - 0.03) & (tpos <= urban_t[1] + 0.03), "控制利用区",
                                      "岸线保留区")))
    bank = []
    for p, t in zip(rep, tpos, strict=True):
        q, tan = d.at(float(np.clip(t, 0.001, 0.999)))
        v = np.array(p.coords[0]) - q
        bank.append("左岸" if tan[0] * v[1] - tan[1] * v[0] > 0 else "右岸")
    order = np.lexsort((np.array(bank), tpos))
    d.shore_faces, d.shore_zone, d.shore_bank = faces[order], zone[order], np.array(bank)[order]


def _transpose_digits(v: float) -> float:
    """Swap the first two different adjacent digits of ``v`` written with 4 decimals (``123.4567`` → ``213.4567``)."""
    s = f"{v:.4f}"
    digits = [i for i, ch in enumerate(s) if ch.isdigit()]
    for a, b in zip(digits, digits[1:], strict=False):
        if s[a] != s[b] and b == a + 1 and not (a == 0 and s[b] == "0"):
            return float(s[:a] + s[b] + s[a] + s[b + 1:])
    return round(v * 1.1, 4)


AREA_FAULTS = (  # (Chinese, English, declared value from the planar area in 公顷)
    ("按平方米填写（单位错误）", "declared in m² in a 公顷 field", lambda v: round(v * 1e4, 2)),
    ("面积偏大约12%", "about 12 % too large", lambda v: round(v * 1.12, 4)),
    ("数字错位", "two digits transposed", _transpose_digits),
    ("图斑修改后面积未更新（小7%）", "not updated after an edit (7 % too small)", lambda v: round(v * 0.93, 4)),
)


def _frames(d: _Draft, rng) -> tuple[dict, gpd.GeoDataFrame, dict, dict]:
    """The layers, the GeoPackage sites and the TXT sites as GeoDataFrames, and the construction facts."""
    names, codes = d.names, d.codes
    lay: dict[str, gpd.GeoDataFrame] = {}
    lay["county"] = _gdf({"XZQMC": [COUNTY + "（虚构）"], "XZQDM": [COUNTY_CODE], "JB": ["县级"],
                          "BZ": ["虚构行政区，仅供演示"]}, [d.county])
    tw_order = np.argsort(codes, kind="stable")
    lay["townships"] = _gdf({"XZMC": names[tw_order].astype(str), "XZDM": codes[tw_order].astype(str),
                             "SSXZQ": [COUNTY] * 12}, d.township_geoms[tw_order])

    # Red line, numbered by township then north to south; a few declared areas deliberately wrong.
    r_order = np.lexsort((-shapely.get_y(shapely.centroid(d.red_geoms)), codes[d.red_town].astype(str)))
    red_codes = np.array([f"HX{COUNTY_CODE}{k + 1:04d}" for k in range(d.red_geoms.size)], dtype=object)
    red = _gdf({"HXMC": [f"{COUNTY}{names[d.red_town[i]]}{d.hxlx[i]}生态保护红线" for i in r_order],
                "HXBM": red_codes, "HXLX": d.hxlx[r_order], "SSXZ": names[d.red_town[r_order]].astype(str),
                "MJ": np.round(shapely.area(d.red_geoms[r_order]) / 1e4, 4)}, d.red_geoms[r_order])
    special = np.r_[d.grow, d.overlap[0], d.mining_red, d.restore_red, d.road_red]
    eligible = np.flatnonzero(~np.isin(r_order, special) & (red["MJ"].to_numpy() > 5.0))
    errors = []
    for idx, (zh, en, fn) in zip(np.sort(rng.choice(eligible, size=len(AREA_FAULTS), replace=False)),
                                 AREA_FAULTS, strict=True):
        planar = float(red.at[idx, "MJ"])
        red.at[idx, "MJ"] = fn(planar)
        errors.append({"HXBM": red.at[idx, "HXBM"], "declared": red.at[idx, "MJ"], "planar_ha": planar,
                       "zh": zh, "en": en})
    ov_i, ov_j = shapely.STRtree(red.geometry.values).query(red.geometry.values, predicate="overlaps")
    lay["red_line"] = red

    pa_geoms = [d.res_core, d.res_buffer, d.res_exp, d.wet_core, d.wet_general]
    lay["protected_areas"] = _gdf({
        "BHDMC": [RESERVE] * 3 + [WETLAND] * 2,
        "BHDBM": ["BHD" + COUNTY_CODE + "01"] * 3 + ["BHD" + COUNTY_CODE + "02"] * 2,
        "BHDLX": ["自然保护区"] * 3 + ["湿地公园"] * 2,
        "BHJB": ["省级"] * 3 + ["国家级"] * 2,
        "GNFQ": ["核心区", "缓冲区", "实验区", "核心保护区", "一般控制区"],
        "MJ": np.round(shapely.area(pa_geoms) / 1e4, 4)}, pa_geoms)
    river_names = [MAIN_RIVER, *TRIBUTARIES]
    lay["rivers"] = _gdf({"HLMC": river_names, "HLBM": [f"HL{COUNTY_CODE}{k:02d}" for k in range(7)],
                          "HLDJ": ["干流"] + ["一级支流"] * 6, "SSXZQ": [COUNTY] * 7}, [d.main, *d.trib_geoms])
    lay["river_ranges"] = _gdf({
        "MC": [f"{n}河道管理范围" for n in river_names], "BM": [f"HDGL{COUNTY_CODE}{k + 1:02d}" for k in range(7)],
        "HLMC": river_names, "GLJB": ["县级"] * 7}, [d.main_range, *d.trib_ranges])
    n_shore = d.shore_faces.size
    lay["shoreline_zones"] = _gdf({
        "AXMC": [f"{MAIN_RIVER}{b}{k + 1}号{z}" for k, (b, z) in enumerate(zip(d.shore_bank, d.shore_zone, strict=True))],
        "AXBM": [f"AX{COUNTY_CODE}{k + 1:03d}" for k in range(n_shore)],
        "AXGNQ": d.shore_zone, "HLMC": [MAIN_RIVER] * n_shore, "AB": d.shore_bank,
        "AXCD": np.round([_bank_length(f, d.main) for f in d.shore_faces], 1)}, d.shore_faces)
    lay["urban_boundary"] = _gdf({
        "MC": [URBAN_CENTRAL] + [f"{COUNTY}{names[i]}镇区城镇开发边界" for i in d.small_seats],
        "BM": [f"CZKF{COUNTY_CODE}{k + 1:02d}" for k in range(d.urban_geoms.size)],
        "LX": ["城镇集中建设区"] * d.urban_geoms.size,
        "MJ": np.round(shapely.area(d.urban_geoms) / 1e4, 4)}, d.urban_geoms)
    f_i, t_i = shapely.STRtree(d.township_geoms).query(shapely.point_on_surface(d.farm_geoms), predicate="within")
    farm_town = np.zeros(d.farm_geoms.size, dtype=int)
    farm_town[f_i] = t_i
    dl = rng.choice([("0103", "旱地"), ("0102", "水浇地")], size=d.farm_geoms.size, p=[0.7, 0.3])
    lay["basic_farmland"] = _gdf({
        "TBBH": [f"{k + 1:05d}" for k in range(d.farm_geoms.size)],
        "DLBM": dl[:, 0], "DLMC": dl[:, 1], "ZLDWMC": [f"{COUNTY}{names[i]}" for i in farm_town],
        "TBMJ": np.round(shapely.area(d.farm_geoms), 2)}, d.farm_geoms)

    ucodes, unames = [], []
    seq = dict.fromkeys(UNIT_DIGIT, 0)
    per_town: dict[tuple, int] = {}
    for k, cls in enumerate(d.uclass.astype(str)):
        seq[cls] += 1
        ucodes.append(f"ZH{COUNTY_CODE}{UNIT_DIGIT[cls]}{seq[cls]:04d}")
        key = (d.unit_town[k], cls)
        per_town[key] = per_town.get(key, 0) + 1
        unames.append(f"{COUNTY}{names[d.unit_town[k]]}{cls}{per_town[key]}")
    lay["control_units"] = _gdf({
        "DYBM": ucodes, "DYMC": unames, "DYLB": d.uclass.astype(str),
        **{col: [CLAUSES[c][col] for c in d.uclass] for col in ("KJBJYS", "WRWPFGK", "HJFXFK", "ZYKFLYXL")},
        "XZQH": [COUNTY] * d.unit_geoms.size}, d.unit_geoms)
    lay["water_sources"] = _gdf({
        "SYDMC": [f"{COUNTY}东峪水库水源地"] * 2 + [f"{COUNTY}城东地下水水源地"] * 2,
        "SYDBM": [f"SYD{COUNTY_CODE}01"] * 2 + [f"SYD{COUNTY_CODE}02"] * 2,
        "SYDLX": ["河流型（水库）"] * 2 + ["地下水型"] * 2,
        "BHQJB": ["一级保护区", "二级保护区"] * 2}, [d.ws1_res, d.ws2_res, d.ws1_wells, d.ws2_wells])
    lay["roads"] = _gdf({"DLMC": d.road_names, "DLBH": d.road_codes, "DLDJ": d.road_levels}, d.road_geoms)
    lay["towns"] = _gdf({"MC": names[tw_order].astype(str), "DM": codes[tw_order].astype(str),
                         "JB": ["县城" if i == 0 else ("镇" if codes[i][6] == "1" else "乡") for i in tw_order]},
                        shapely.points(d.seeds[tw_order]))

    sites = _gdf({
        "XMMC": [f"{COUNTY}X012县道改线工程", f"{COUNTY}城乡供水管道工程", f"{COUNTY}青龙山光伏发电项目",
                 f"{COUNTY}龙泉化工有限公司新建项目", f"{COUNTY}龙泉河湿地科普宣教中心", f"{COUNTY}石料矿开采项目",
                 f"{COUNTY}水土流失综合治理项目", f"{COUNTY}{TRIBUTARIES[d.station_trib]}水文监测站"],
        "XMLX": [SITE_NOTES[f"SF-{k:02d}"][0] for k in range(1, 9)],
        "DKBH": [f"SF-{k:02d}" for k in range(1, 9)]},
        [d.road, d.pipeline, d.solar, d.factory, d.tourism, d.mining, d.restoration, d.station])
    sites["YDMJ"] = np.round(shapely.area(sites.geometry.values) / 1e4, 4)
    txt_sites = {
        TXT_SITES[0]: _gdf({"id": ["T01-1"], "name": [f"{COUNTY}幸福里住宅小区"], "type": ["城镇住宅用地"]},
                           [d.clean]),
        TXT_SITES[1]: _gdf({"id": ["T02-1"], "name": [f"{COUNTY}农产品加工园"], "type": ["工业用地"]},
                           [d.farm_site]),
        TXT_SITES[2]: _gdf({"id": ["T03-1"], "name": [f"{COUNTY}东山风电场升压站"], "type": ["公用设施用地"]},
                           [d.outside]),
        TXT_SITES[3]: _gdf({"id": ["T04-1", "T04-2"],
                            "name": [f"{COUNTY}城区安置房项目一期", f"{COUNTY}城区安置房项目二期"],
                            "type": ["城镇住宅用地"] * 2}, list(d.resettle)),
    }

    def code_of(i):
        return str(red_codes[np.flatnonzero(r_order == i)[0]])

    facts = {
        "seed": d.seed,
        "main_river": MAIN_RIVER,
        "area_errors": errors,
        "grown_red_line": sorted(code_of(i) for i in d.grow),
        "red_line_overlap_pairs": sorted({(red_codes[a], red_codes[b])
                                          for a, b in zip(ov_i, ov_j, strict=True) if a < b}),
        "farmland_overlap": {"TBBH": f"{d.farm_geoms.size:05d}",
                             "HXBM": sorted(red_codes[shapely.area(shapely.intersection(red.geometry.values,
                                                                                        d.overlap[1])) > 1.0]),
                             "area_m2": float(d.overlap[1].intersection(d.red_all).area)},
        "road_red_line": code_of(d.road_red),
        "mining_red_line": code_of(d.mining_red),
        "clean_seat": str(names[d.clean_seat]),
        "factory_distance_m": float(d.factory.distance(d.main)),
        "red_share": float(d.red_all.area / d.county.area),
        "county_area_km2": float(d.county.area / 1e6),
        "landcover_classes": LANDCOVER_CLASSES,
    }
    return lay, sites, txt_sites, facts


def _structure(d: _Draft) -> dict:
    """The demo plan's structure "一带两片、一区三轴" in the layout format of ``structure.toml``."""
    to_ll = pyproj.Transformer.from_crs(CRS, LONLAT, always_xy=True)

    def ll(xy):
        lon, lat = to_ll.transform(*xy)
        return [round(lon, 5), round(lat, 5)]

    seeds, names, terrain = d.seeds, d.names, d.terrain
    u, v = terrain.frame(seeds[:, 0], seeds[:, 1])
    side = v - terrain.river_offset(u)  # > 0: mountain side of the river
    height = terrain.height(seeds[:, 0], seeds[:, 1])
    ne, sw = min(range(1, 12), key=lambda i: u[i]), max(range(1, 12), key=lambda i: u[i])
    main_axis = [ll(seeds[ne] - terrain.along * 6000.0), ll(seeds[ne]), ll(seeds[0]), ll(seeds[sw]),
                 ll(seeds[sw] + terrain.along * 6000.0)]
    nw = [str(names[i]) for i in sorted((i for i in range(1, 12) if side[i] > 0), key=lambda i: -height[i])[:3]]
    se = [str(names[i]) for i in sorted((i for i in range(1, 12) if side[i] <= 0 and str(names[i]) not in nw),
                                        key=lambda i: -height[i])[:3]]
    hill_roads = [k for k, i in enumerate(d.road_seat) if i is not None and side[i] > 0] or \
        [k for k, i in enumerate(d.road_seat) if i is not None]
    hill_road = d.road_names[max(hill_roads, key=lambda k: d.road_geoms[k].length)]
    nodes = [str(names[i]) for i in d.small_seats[:3]]

    def ref(layer, field, values):
        return {"layer": layer, "where": {field: values}}

    return {
        "title": f"{COUNTY}生态空间结构图",
        "formula": "一带两片、一区三轴",
        "elements": [
            {"kind": "belt", "label": "沿河生态带", "from": ref("rivers", "name", [MAIN_RIVER]), "buffer_m": 1500},
            {"kind": "patch", "label": "西北山地水源涵养片", "from": ref("townships", "XZMC", nw)},
            {"kind": "patch", "label": "东南丘陵水土保持片", "from": ref("townships", "XZMC", se)},
            {"kind": "zone", "label": "中心城区", "from": ref("urban_boundary", "name", [URBAN_CENTRAL])},
            {"kind": "axis", "label": "龙泉河谷城镇发展主轴", "rank": "main", "coords": main_axis},
            {"kind": "axis", "label": "龙泉大道发展次轴", "rank": "secondary", "from": ref("roads", "name", ["龙泉大道"])},
            {"kind": "axis", "label": f"{hill_road}山区发展次轴", "rank": "secondary",
             "from": ref("roads", "name", [hill_road])},
            {"kind": "core", "label": "县城综合服务核", "rank": 1, "from": ref("towns", "name", ["城关镇"])},
            *[{"kind": "node", "label": f"{n}节点", "from": ref("towns", "name", [n])} for n in nodes],
            {"kind": "node", "label": "湿地公园生态节点", "coords": [ll(d.at(0.265)[0])]},
            {"kind": "node", "label": "青龙山生态节点", "coords": [ll(d.centre)]},
        ],
    }


def _bank_length(face, river) -> float:
    """Length (m) of river shoreline a bank zone covers: the river line inside the zone's cross-section."""
    return float(shapely.length(shapely.intersection(river, face.buffer(1.0))))


def _landcover(terrain, county, quantile, farm, villages, urban, main, tribs, reservoir):
    """30 m land-cover classes (uint8, 0 outside the county) and the raster's affine transform."""
    from affine import Affine
    from rasterio import features

    cell = 30.0
    x0, y0, x1, y1 = county.bounds
    x0, y0 = math.floor(x0 / cell) * cell, math.floor(y0 / cell) * cell
    x1, y1 = math.ceil(x1 / cell) * cell, math.ceil(y1 / cell) * cell
    width, height = int(round((x1 - x0) / cell)), int(round((y1 - y0) / cell))
    transform = Affine(cell, 0.0, x0, 0.0, -cell, y1)
    # heights on a 60 m lattice, repeated to 30 m cells
    hx = x0 + cell * (2 * np.arange((width + 1) // 2) + 1)
    hy = y1 - cell * (2 * np.arange((height + 1) // 2) + 1)
    h = terrain.height(*np.meshgrid(hx, hy)).astype(np.float32)
    h = np.repeat(np.repeat(h, 2, axis=0), 2, axis=1)[:height, :width]
    lc = np.where(h > quantile(0.62), 2, np.where(h > quantile(0.30), 3, 1)).astype(np.uint8)
    lc[h > quantile(0.99)] = 6
    shapes = [(g, 1) for g in farm]
    shapes += [(g, 5) for g in villages]
    shapes += [(g.buffer(-250.0), 5) for g in urban if not g.buffer(-250.0).is_empty]
    shapes += [(shapely.buffer(main, 40.0), 4), (reservoir, 4)]
    shapes += [(g, 4) for g in shapely.buffer(tribs, 15.0)]
    features.rasterize(shapes, out=lc, transform=transform)
    outside = features.rasterize([(county, 1)], out_shape=lc.shape, transform=transform, fill=0, dtype=np.uint8) == 0
    lc[outside] = 0
    return lc, tuple(transform)[:6]


def _site_facts(lay: dict, sites: gpd.GeoDataFrame, txt_sites: dict) -> list[dict]:
    """Per site: its id, file, type, construction, expected verdict, and the layers it touches."""
    county = lay["county"].geometry.iloc[0]
    main = lay["rivers"].geometry.iloc[0]
    rows = []
    entries = [(row.DKBH, SITES_GPKG, row.XMMC, row.geometry) for row in sites.itertuples()]
    for fname, g in txt_sites.items():
        for row in g.itertuples():
            entries.append((fname, f"sites/{fname}", row.name, row.geometry))
    seen = set()
    for key, path, name, geom in entries:
        if key in seen and path != SITES_GPKG:
            rows[-1]["parcels"] += 1
            rows[-1]["geometry"] = shapely.union(rows[-1]["geometry"], geom)
            continue
        seen.add(key)
        xmlx, zh, en, verdict, why_zh, why_en = SITE_NOTES[key]
        rows.append({"id": key, "file": path, "name": name, "type": xmlx, "construction_zh": zh,
                     "construction_en": en, "verdict": verdict, "why_zh": why_zh, "why_en": why_en,
                     "parcels": 1, "geometry": geom})
    for r in rows:
        g = r.pop("geometry")
        r["geometry_type"] = g.geom_type
        r["inside_county"] = bool(county.intersects(g))
        r["distance_to_main_river_m"] = round(float(g.distance(main)), 1)
        r["touches"] = [i for i in CONTROL_LAYER_IDS if lay[i].geometry.intersects(g).any()]
        unit = lay["control_units"][lay["control_units"].geometry.intersects(g)]
        r["control_units"] = sorted(set(unit["DYLB"]))
    return rows


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


# ------------------------------------------------------------------------------------------------- TOML
def _tv(v) -> str:
    """A TOML value: strings as basic strings (JSON escaping is valid TOML), lists, inline tables."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return repr(float(v)) if isinstance(v, (float, np.floating)) else str(int(v))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_tv(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_tk(k)} = {_tv(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def _tk(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isascii() and k.replace("_", "").replace("-", "").isalnum() \
        else json.dumps(k, ensure_ascii=False)


LAYER_ENTRIES = (
    # id, kind, path, layer, source, label, fields
    ("county", "boundary", GPKG, "示范县县界", SOURCE_NR, "县界", None),
    ("townships", "boundary", GPKG, "示范县乡镇界", SOURCE_NR, "乡镇界", None),
    ("red_line", "red_line", RED_LINE_SHP, None, SOURCE_NR, "生态保护红线", None),
    ("protected_areas", "protected_area_zone", GPKG, "示范县自然保护地功能分区", SOURCE_FOREST, "自然保护地功能分区", None),
    ("rivers", "river", RIVERS_GEOJSON, None, SOURCE_WATER, "河流", None),
    ("river_ranges", "river_management_range", GPKG, "示范县河道管理范围", SOURCE_WATER, "河道管理范围", None),
    ("shoreline_zones", "shoreline_zone", GPKG, "示范县岸线功能区", SOURCE_WATER, "岸线功能区", None),
    ("urban_boundary", "urban_boundary", GPKG, "示范县城镇开发边界", SOURCE_NR, "城镇开发边界", None),
    ("basic_farmland", "basic_farmland", GPKG, "示范县永久基本农田", SOURCE_NR, "永久基本农田", {"name": "ZLDWMC"}),
    ("control_units", "control_unit", GPKG, "示范县生态环境管控单元", SOURCE_EE, "生态环境管控单元", None),
    ("water_sources", "water_source_zone", GPKG, "示范县饮用水水源保护区", SOURCE_EE, "饮用水水源保护区",
     {"code": "SYDBM"}),
    ("roads", "road", GPKG, "示范县道路", SOURCE_TRANSPORT, "道路", None),
    ("towns", "town", GPKG, "示范县城镇", SOURCE_NR, "城镇", None),
)


def project_toml(region: DemoRegion) -> str:
    """The demo's ``redline.toml`` (format: the docstring of :mod:`redline.layers.project`)."""
    out = [PROJECT_MARKER,
           "# 示范县为虚构区域：全部数据由程序按随机种子生成，不代表任何真实地点。",
           "# 示范县 is fictional: every layer was generated from a random seed and shows no real place.",
           f"# seed = {region.seed}", "",
           "[region]",
           f"name = {_tv(REGION_NAME)}",
           'boundary = "county"',
           'townships = "townships"',
           f"crs = {_tv(CRS)}",
           "fictional = true",
           f"code = {_tv(COUNTY_CODE)}",
           'note = "虚构数据，仅供演示与测试（fictional demo data）"', ""]
    for lid, kind, path, layer, source, label, fields in LAYER_ENTRIES:
        out.append(f"[layers.{lid}]")
        out.append(f"kind = {_tv(kind)}")
        out.append(f"path = {_tv(path)}")
        if layer:
            out.append(f"layer = {_tv(layer)}")
        out.append(f"label = {_tv(COUNTY + label)}")
        out.append(f"source = {_tv(source)}")
        out.append(f"date = {_tv(DATA_DATE)}")
        if fields:
            out.append(f"fields = {_tv(fields)}")
        if lid == "red_line":
            out.append("# GBK attribute table with no .cpg (as many real files are): the reader detects it;")
            out.append('# add encoding = "gbk" to force it.')
        if lid == "rivers":
            out.append("# GeoJSON in CGCS2000 longitude/latitude (EPSG:4490): reprojected on reading.")
        out.append("")
    out += ["[rules]", "[[rules.distance]]",
            'id = "main_river_1km_high_pollution"',
            'layer = "rivers"',
            f"where = {_tv({'name': MAIN_RIVER})}",
            "distance_m = 1000",
            'types = ["industry_high_pollution"]',
            'level = "prohibited"',
            f"clause = {_tv('参照《新绛县' + chr(34) + '两山七河一流域' + chr(34) + '规划》：汾河岸线1公里范围内不得新建高污染工业项目（示范规则）')}",
            f"message = {_tv(f'项目位于{MAIN_RIVER}1公里范围内，不得新建高污染工业项目（示范规则）')}", "",
            "[map]",
            f"title = {_tv(COUNTY + '生态保护红线分布图（虚构数据）')}",
            f"producer = {_tv(PRODUCER)}",
            f"date = {_tv(DATA_DATE)}",
            'approval_number = ""',
            'layout = "structure.toml"', "",
            "[raster]",
            f"landcover = {_tv(LANDCOVER_TIF)}", ""]
    return "\n".join(out)


def structure_toml(structure: dict) -> str:
    """The structure-diagram layout as TOML: top-level keys, then one ``[[elements]]`` table per element."""
    out = ["# 示范县（虚构）生态空间结构 / structure diagram of the fictional 示范县",
           "# kind: belt 带 | corridor 廊 | patch 片 | zone 区 | axis 轴 | core 核/心 | node 点 | barrier 屏障",
           "# from = { layer, where }: project features (where: a field or canonical attribute → values);",
           "# coords: CGCS2000 longitude/latitude.", ""]
    for k, v in structure.items():
        if k != "elements":
            out.append(f"{_tk(k)} = {_tv(v)}")
    for el in structure["elements"]:
        out += ["", "[[elements]]"]
        out += [f"{_tk(k)} = {_tv(v)}" for k, v in el.items()]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------- README
_LAYER_FILES = {lid: (path, layer) for lid, _, path, layer, *_ in LAYER_ENTRIES}


def _md_table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def readme(region: DemoRegion) -> str:
    """README.md of the demo folder: Chinese first, then English."""
    f = region.facts
    lay = region.layers
    towns = "、".join(lay["townships"]["XZMC"])
    n_red = len(lay["red_line"])
    share = f"{100 * f['red_share']:.1f}"
    area = f"{f['county_area_km2']:.0f}"
    rows = []
    for lid, kind, path, layer, _source, label, _fields in LAYER_ENTRIES:
        g = lay[lid]
        cols = [c for c in g.columns if c != "geometry"]
        rows.append([f"`{lid}`", COUNTY + label, f"`{path}`", f"`{layer}`" if layer else "—", f"`{kind}`", len(g),
                     ", ".join(cols)])
    layer_table = _md_table(["id", "名称 / name", "文件 / file", "图层 / layer", "kind", "要素 / features",
                             "字段 / fields"], rows)
    err_rows = [[f"`{e['HXBM']}`", f"{e['declared']:.4f}", f"{e['planar_ha']:.4f}", f"{e['zh']} / {e['en']}"]
                for e in f["area_errors"]]
    err_table = _md_table(["HXBM", "MJ 填报 / declared (公顷)", "平面面积 / planar (公顷)", "错误 / fault"], err_rows)
    fo = f["farmland_overlap"]
    hx = "、".join(f"`{c}`" for c in fo["HXBM"])
    hx_en = ", ".join(f"`{c}`" for c in fo["HXBM"])
    pairs = "; ".join(f"`{a}` × `{b}`" for a, b in f["red_line_overlap_pairs"])
    grown = ", ".join(f"`{c}`" for c in f["grown_red_line"])
    lc = "，".join(f"{k} {v}" for k, v in LANDCOVER_CLASSES.items())
    lc_en = ", ".join(f"{k} {v}" for k, v in LANDCOVER_CLASSES.items())
    text = [
        f"# {REGION_NAME}演示数据 / demo region of the fictional {COUNTY}",
        "",
        f"> **虚构数据。** {COUNTY}是虚构的县，本文件夹中的全部图层由 `redline demo --seed {region.seed}` 按随机种子生成，"
        "不代表任何真实地点、规划或审批结论，仅供演示和测试。",
        f"> **Fictional data.** {COUNTY} does not exist: every layer here was generated by "
        f"`redline demo --seed {region.seed}` and shows no real place, plan or decision. For demonstration and tests only.",
        "",
        "## 区域概况",
        "",
        f"- 位置：约东经111.3°–111.9°、北纬38.2°–38.6°（山西中部），县域面积约 {area} 平方千米（高斯-克吕格平面面积，"
        "仅作说明；官方的椭球面积请用 `redline area` 计算）。",
        "- 坐标系：2000国家大地坐标系（CGCS2000）3度带高斯-克吕格投影第37带，横坐标加带号，中央经线111°E（EPSG:4525）。"
        "河流图层为经纬度（EPSG:4490），读入时投影。",
        f"- 辖12个乡镇：{towns}。县城驻城关镇，位于{MAIN_RIVER}河谷。",
        f"- 水系：干流{MAIN_RIVER}自东北向西南穿过县境，支流{'、'.join(TRIBUTARIES)}。",
        f"- 地形：{MAIN_RIVER}西北侧为山地，河谷和东南部为平缓的农区。",
        f"- 生态保护红线 {n_red} 个图斑，约占县域面积的 {share}%（按平面面积、重叠部分只计一次），主要分布在西北山地；"
        f"基本包括{RESERVE}的核心区、缓冲区和{WETLAND}的核心保护区，但红线在城镇和项目周边被切除时，"
        f"{WETLAND}核心保护区约6%和{RESERVE}缓冲区约1.4公顷落在红线之外（审核应发现这一问题）。",
        f"- 自然保护地：{RESERVE}（核心区/缓冲区/实验区，旧三区制）和{WETLAND}（核心保护区/一般控制区）。",
        f"- 其他图层：河道管理范围、{MAIN_RIVER}岸线功能区（岸线保护区/岸线保留区/控制利用区/开发利用区）、"
        "城镇开发边界（中心城区和6个镇区）、永久基本农田、“三线一单”生态环境管控单元（全覆盖，含准入清单条款）、"
        "饮用水水源保护区（一级/二级）、道路、城镇驻地，以及30米土地覆盖栅格。",
        "",
        "## 图层 / layers",
        "",
        *layer_table,
        "",
        f"项目文件 `redline.toml` 登记了以上图层、一条距离规则（{MAIN_RIVER}1公里范围内不得新建高污染工业项目，示范规则）"
        "和地图设置；`structure.toml` 是“一带两片、一区三轴”生态空间结构图的布局；`sites/` 是项目选址样例"
        "（见 `sites/README.md`）。",
        "",
        "## 有意设置的问题 / deliberate faults",
        "",
        "审核工具应当发现下列问题 / the audit should find these:",
        "",
        "### 面积填报错误 / Declared-area errors",
        "",
        "生态保护红线字段 `MJ` 为填报面积（公顷），其余图斑等于高斯-克吕格平面面积保留4位小数；下列图斑故意填错：",
        "",
        *err_table,
        "",
        "### 生态保护红线与永久基本农田重叠 / Red line overlapping basic farmland",
        "",
        f"永久基本农田图斑 `TBBH = {fo['TBBH']}` 与生态保护红线图斑 {hx} 重叠，共约 {fo['area_m2'] / 1e4:.2f} 公顷"
        f"（“三线”不得重叠）。 / Farmland polygon `TBBH = {fo['TBBH']}` overlaps red-line polygon(s) {hx_en}, "
        f"about {fo['area_m2'] / 1e4:.2f} ha in all (the three control lines must not overlap).",
        "",
        f"### 规划文本中前后不一致的红线面积 / An inconsistent red-line figure in `{PLAN_TXT}`",
        "",
        f"`{PLAN_TXT}` 是虚构的规划文本，所列县域面积、红线面积和占比、永久基本农田面积均按演示数据（椭球面积）计算；"
        "文末“图斑统计”一句把各红线图斑面积直接相加（重叠部分重复计算），与正文红线面积不一致，`redline audit-text` "
        f"应当指出。 / `{PLAN_TXT}` is a fictional plan text whose county area, red-line area and share and farmland "
        "area are computed from the demo data (ellipsoidal areas); its last sentence adds up the red-line polygons' "
        "areas (overlaps counted twice) and contradicts the main figure, for `redline audit-text` to find.",
        "",
        f"第二章还规定了{MAIN_RIVER}干流1公里、{TRIBUTARIES[0]}500米范围内禁止新建高污染工业项目：`redline audit-text "
        f"{PLAN_TXT} --project redline.toml --rules-out draft.toml` 把它写成 `[[rules.distance]]` 草稿，追加到 "
        f"redline.toml 后 `redline check` 即按其检查。 / Chapter 2 also states a distance rule on {MAIN_RIVER} and "
        f"{TRIBUTARIES[0]}: `--rules-out` drafts it as `[[rules.distance]]` for redline.toml, which `check` then applies.",
        "",
        "### 相互重叠的红线图斑 / Overlapping red-line polygons",
        "",
        f"如同真实数据，部分红线图斑相互重叠（图斑 {grown} 外扩了60米）；计算红线总面积和占比时重叠部分只能计一次。"
        f"重叠的图斑对 / overlapping pairs: {pairs}.",
        "",
        "## 数据格式说明",
        "",
        f"- `{RED_LINE_SHP}`：Shapefile，属性表为 **GBK 编码，无 `.cpg` 文件**，`.dbf` 语言驱动字节为0"
        "（很多旧软件这样输出）；读取时需识别编码。",
        f"- `{RIVERS_GEOJSON}`：GeoJSON，经纬度坐标（EPSG:4490）。",
        f"- `{GPKG}`：GeoPackage，其余矢量图层各为一个图层（图层名见上表）。",
        "- 面积字段单位：红线 `MJ`、保护地 `MJ`、城镇开发边界 `MJ` 为公顷；永久基本农田 `TBMJ` 为平方米（与三调一致）。"
        "岸线功能区 `AXCD` 为岸线长度（米）。",
        f"- `{LANDCOVER_TIF}`：土地覆盖栅格，30米，uint8，类别 {lc}，县界外为0（nodata）。",
        f"- 数据日期 {DATA_DATE}；数据来源均标注为“（虚构数据）”。",
        "",
        "---",
        "",
        "## English",
        "",
        f"- Where: about 111.3–111.9°E, 38.2–38.6°N (central Shanxi); about {area} km² (planar Gauss-Krüger area, for "
        "orientation only: compute the official ellipsoidal area with `redline area`).",
        "- CRS: CGCS2000 3-degree Gauss-Krüger zone 37 with zone-prefixed eastings, central meridian 111°E "
        "(EPSG:4525); the rivers are in longitude/latitude (EPSG:4490) and are reprojected on reading.",
        f"- Twelve townships ({towns}); the county town is in 城关镇 in the {MAIN_RIVER} valley.",
        f"- Rivers: the main river {MAIN_RIVER} runs from north-east to south-west; six tributaries join it.",
        f"- Terrain: mountains north-west of the {MAIN_RIVER}, farmland in the valley and the south-east.",
        f"- Ecological red line: {n_red} polygons covering about {share} % of the county (planar area, overlaps "
        f"counted once), mostly in the north-western mountains, including the core and buffer zones of {RESERVE} "
        f"and the core protection zone of {WETLAND}.",
        f"- Protected areas: {RESERVE} (legacy zones 核心区/缓冲区/实验区) and {WETLAND} (核心保护区/一般控制区).",
        "- Also: river management ranges, shoreline functional zones of the main river, the urban development "
        "boundary (central urban area and six town seats), permanent basic farmland, 三线一单 environmental control "
        "units (covering the county, with access-list clauses), drinking-water source zones, roads, town seats and "
        "a 30 m land-cover raster.",
        "- Deliberate faults: see the tables above (declared-area errors in `MJ`, the red line / farmland overlap, "
        "overlapping red-line polygons).",
        f"- Formats: `{RED_LINE_SHP}` is a Shapefile with a **GBK attribute table and no `.cpg`** (language-driver "
        f"byte 0); `{RIVERS_GEOJSON}` is GeoJSON in EPSG:4490; the other vector layers are tables of `{GPKG}`. "
        "Area fields: `MJ` in hectares, farmland `TBMJ` in square metres; `AXCD` is shoreline length in metres. "
        f"`{LANDCOVER_TIF}`: 30 m uint8 classes {lc_en}, 0 (nodata) outside the county.",
        f"- Data date {DATA_DATE}; every source is marked as fictional (虚构数据).",
        "",
    ]
    return "\n".join(text)


def sites_readme(region: DemoRegion) -> str:
    """sites/README.md: what each site is and the verdict its construction implies (Chinese, then English)."""
    rows_zh, rows_en = [], []
    for s in region.facts["sites"]:
        where = "、".join(s["touches"]) or "—"
        rows_zh.append([f"`{s['id']}`", s["name"], s["geometry_type"], f"`{s['type']}`", s["construction_zh"],
                        f"**{s['verdict']}**：{s['why_zh']}", where])
        rows_en.append([f"`{s['id']}`", f"`{s['file']}`", f"`{s['type']}`", s["construction_en"],
                        f"**{s['verdict']}**: {s['why_en']}", ", ".join(s["touches"]) or "—"])
    text = [
        f"# {COUNTY}项目选址样例（虚构） / demo project sites (fictional)",
        "",
        "> 虚构数据，仅供演示和测试。 / Fictional, for demonstration and tests only.",
        "",
        f"- `项目选址.gpkg` 图层 `sites`：{len(region.sites)} 个项目（面、线、点），字段 `XMMC` 项目名称、`XMLX` 项目类型、"
        "`DKBH` 地块编号、`YDMJ` 用地面积（公顷，线和点为0）。",
        f"- {len(region.txt_sites)} 个国土TXT坐标文件（GBK编码，CRLF，CGCS2000 3度带第37带，带号前缀，面积单位公顷）。"
        "TXT 文件不含项目类型，检查时需指定（见下表“类型”列）。",
        "- “预期结论”是按构造推出的结论，供检查结果对照；“触及图层”是生成时计算的相交图层。",
        "",
        *_md_table(["编号/文件", "名称", "几何", "类型", "构造", "预期结论", "触及图层"], rows_zh),
        "",
        "## English",
        "",
        f"- `项目选址.gpkg`, layer `sites`: {len(region.sites)} projects (polygons, lines, points) with `XMMC` name, "
        "`XMLX` project type, `DKBH` parcel number, `YDMJ` area in hectares (0 for lines and points).",
        f"- {len(region.txt_sites)} 国土TXT files (GBK, CRLF, CGCS2000 3-degree zone 37 with prefixed eastings, areas "
        "in hectares). They carry no project type: give the type in the table when checking them.",
        "- The expected verdict follows from how each site was built; `touches` lists the control layers it "
        "intersects, computed when the data was generated.",
        "",
        *_md_table(["id", "file", "type", "construction", "expected verdict", "touches"], rows_en),
        "",
    ]
    return "\n".join(text)
