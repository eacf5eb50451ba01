"""The demo region under construction: :class:`DemoRegion`, :func:`build_region` and its first stages."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import shapely
from shapely.geometry import LineString, Point, Polygon

from redline.layers.demo.constants import COUNTY_CODE, CRS, LONLAT, TOWNSHIPS
from redline.layers.demo.draft import DemoRegion, _Draft
from redline.layers.demo.placing import (
    _frames,
    _landcover,
    _site_facts,
    _stage_roads,
    _stage_shoreline,
    _stage_sites,
    _structure,
)
from redline.layers.demo.shapes import (
    _contour_polygons,
    _lloyd,
    _polygons,
    _rect,
    _rng_polar,
    _spaced_points,
    _Terrain,
    _tile,
    _union,
    _warp_field,
)


# ---------------------------------------------------------------------------------------------- region
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


