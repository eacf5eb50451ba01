"""The later stages of the demo region: sites, roads, shorelines, the layer tables and the facts kept."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry import LineString, Polygon

from redline.layers.demo.constants import (
    CLAUSES,
    CONTROL_LAYER_IDS,
    COUNTY,
    COUNTY_CODE,
    CRS,
    LANDCOVER_CLASSES,
    LONLAT,
    MAIN_RIVER,
    RESERVE,
    SITE_NOTES,
    SITES_GPKG,
    TRIBUTARIES,
    TXT_SITES,
    UNIT_DIGIT,
    URBAN_CENTRAL,
    WETLAND,
)
from redline.layers.demo.draft import _Draft, _gdf
from redline.layers.demo.shapes import _rect


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


