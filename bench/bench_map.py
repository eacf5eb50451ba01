"""Benchmark: the web map of a county with about 300,000 vertices: HTML size and first-draw time.

Budget (issue 5): at most 10 MB of HTML, first draw in at most 1.5 s in headless Chromium.

The county is synthetic but shaped like real data: coverages (townships, control units) whose shared edges
wiggle (every vertex moved by one smooth displacement field, so neighbours stay edge-matched), red-line
blobs, farmland parcels, meandering rivers, roads and towns, in EPSG:4525. Draw time is
``performance.now()`` when the page has added every layer and painted twice (two animation frames), from
navigation start; the median of three cold loads is reported.

Run: ``python -m bench.bench_map`` (or ``run()`` from the bench runner).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry

CRS = 4525
X0, Y0 = 37_500_000.0, 4_240_000.0
BUDGET_MB = 10.0
BUDGET_S = 1.5


def _warp(geoms, amp: float = 25.0, seed: int = 7):
    """Move every vertex by one smooth displacement field (same point, same move: coverages stay
    edge-matched)."""
    rng = np.random.default_rng(seed)
    waves = [(rng.uniform(250, 900), rng.uniform(0, 2 * np.pi), rng.uniform(0, 2 * np.pi)) for _ in range(4)]

    def f(xy):
        x, y = xy[:, 0] - X0, xy[:, 1] - Y0
        dx = sum(np.sin(x / w + a) * np.cos(y / w + b) for w, a, b in waves) * amp / len(waves)
        dy = sum(np.cos(x / w + b) * np.sin(y / w + a) for w, a, b in waves) * amp / len(waves)
        return np.column_stack([xy[:, 0] + dx, xy[:, 1] + dy])

    return shapely.transform(np.asarray(geoms, dtype=object), f)


def _voronoi_cover(region, n: int, rng, cell: float):
    """An exact coverage of ``region`` by ``n`` wiggly Voronoi-like zones, traced from a label raster of
    ``cell`` metres (like real data digitised from scans): neighbours share every vertex."""
    from rasterio import features
    from rasterio.transform import from_origin

    xmin, ymin, xmax, ymax = region.bounds
    w, h = int((xmax - xmin) / cell) + 1, int((ymax - ymin) / cell) + 1
    xs = xmin + (np.arange(w) + 0.5) * cell
    ys = ymax - (np.arange(h) + 0.5) * cell
    gx, gy = np.meshgrid(xs, ys)
    seeds = np.column_stack([rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)])
    wob = 900 * np.sin(gx / 2300) * np.cos(gy / 1700) + 500 * np.sin((gx + gy) / 900)
    wx, wy = gx + wob, gy - wob
    best = np.full(gx.shape, np.inf)
    labels = np.zeros(gx.shape, dtype=np.int32)
    for i, (sx, sy) in enumerate(seeds):  # nearest seed, one seed at a time (memory: two grids)
        d = (wx - sx) ** 2 + (wy - sy) ** 2
        closer = d < best
        best[closer] = d[closer]
        labels[closer] = i + 1
    transform = from_origin(xmin, ymax, cell, cell)
    inside = features.rasterize([region], out_shape=(h, w), transform=transform).astype(bool)
    geoms = [shapely.geometry.shape(g) for g, v in features.shapes(labels, mask=inside, transform=transform)]
    return _warp(np.array(geoms, dtype=object), amp=min(cell * 0.3, 15.0))


def _blob(cx, cy, r, n, rng):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    k = rng.integers(3, 7)
    rr = r * (1 + 0.25 * np.sin(k * t + rng.uniform(0, 6)) + 0.08 * np.sin(5 * k * t))
    return shapely.Polygon(np.column_stack([cx + rr * np.cos(t), cy + rr * np.sin(t)]))


def _meander(start, heading, length, step, rng):
    n = int(length / step)
    ang = heading + np.cumsum(rng.normal(0, 0.08, n))
    xy = np.cumsum(np.column_stack([np.cos(ang), np.sin(ang)]) * step, axis=0) + np.asarray(start)
    return shapely.LineString(xy)


def make_county(folder: str | os.PathLike, *, target_vertices: int = 300_000, seed: int = 2026) -> dict:
    """Write a synthetic county project (GeoPackages + ``redline.toml``); returns ``{"project", "vertices"}``."""
    folder = Path(folder)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    scale = target_vertices / 187_000  # the layers below hold about 187,000 vertices at scale 1
    t = np.linspace(0, 2 * np.pi, 1600, endpoint=False)
    r = 28_000 * (1 + 0.12 * np.sin(5 * t) + 0.05 * np.sin(13 * t + 1))
    county = shapely.Polygon(np.column_stack([X0 + r * np.cos(t), Y0 + 0.8 * r * np.sin(t)]))
    towns = _voronoi_cover(county, 14, rng, 60 / scale)
    units = _voronoi_cover(county, 110, rng, 45 / scale)
    county = shapely.make_valid(shapely.union_all(shapely.make_valid(towns)))
    layers = {}
    layers["county"] = ("boundary", {"行政区名称": ["基准县"]}, [county])
    layers["townships"] = ("boundary", {"乡镇名称": [f"第{i + 1}镇" for i in range(len(towns))]}, towns)
    classes = np.array(["优先保护单元", "重点管控单元", "一般管控单元"])[rng.integers(0, 3, len(units))]
    layers["control_units"] = ("control_unit", {"单元名称": [f"管控单元{i}" for i in range(len(units))],
                                                "单元类别": classes}, units)
    blobs = [_blob(X0 + rng.uniform(-22_000, 22_000), Y0 + rng.uniform(-16_000, 16_000), rng.uniform(400, 1800),
                   int(rng.integers(200, 700) * scale), rng) for _ in range(160)]
    red = shapely.get_parts(shapely.intersection(shapely.union_all(blobs), county))
    red = red[shapely.get_type_id(red) == 3]
    layers["red_line"] = ("red_line", {"红线名称": [f"红线图斑{i}" for i in range(len(red))],
                                       "红线类型": ["水源涵养"] * len(red)}, red)
    cells = []
    for _ in range(2500):
        cx, cy = X0 + rng.uniform(-24_000, 24_000), Y0 + rng.uniform(-18_000, 18_000)
        cells.append(shapely.box(cx, cy, cx + rng.uniform(80, 300), cy + rng.uniform(80, 300)))
    farm = shapely.segmentize(np.array(cells, dtype=object), 12 / scale)
    farm = farm[shapely.within(farm, county) & ~shapely.intersects(farm, shapely.union_all(red))]
    farm = shapely.get_parts(shapely.union_all(farm))
    farm = _warp(farm, amp=3.0)
    layers["farmland"] = ("basic_farmland", {"图斑编号": [f"JB{i:05d}" for i in range(len(farm))]}, farm)
    rivers = [shapely.intersection(_meander((X0 + rng.uniform(-20_000, 20_000), Y0 - 20_000),
                                            rng.uniform(1.2, 1.9), 45_000, 15 / scale, rng), county)
              for _ in range(8)]
    layers["rivers"] = ("river", {"河流名称": [f"河流{i}" for i in range(len(rivers))]}, rivers)
    roads = [shapely.intersection(_meander((X0 - 30_000, Y0 + rng.uniform(-15_000, 15_000)), rng.uniform(-0.3, 0.3),
                                           60_000, 40 / scale, rng), county) for _ in range(6)]
    layers["roads"] = ("road", {"道路名称": [f"G{300 + i}" for i in range(len(roads))]}, roads)
    pts = shapely.points(np.column_stack([X0 + rng.uniform(-20_000, 20_000, 20), Y0 + rng.uniform(-14_000, 14_000, 20)]))
    layers["towns"] = ("town", {"名称": [f"镇区{i}" for i in range(20)]}, pts)

    lines = ['[region]', 'name = "基准县"', 'boundary = "county"', 'townships = "townships"',
             f'crs = "EPSG:{CRS}"', "fictional = true", ""]
    total = 0
    for lid, (kind, attrs, geoms) in layers.items():
        gdf = gpd.GeoDataFrame(attrs, geometry=list(geoms), crs=CRS)
        gdf.to_file(folder / "data" / f"{lid}.gpkg")
        total += int(shapely.get_num_coordinates(gdf.geometry.values).sum())
        lines += [f"[layers.{lid}]", f'kind = "{kind}"', f'path = "data/{lid}.gpkg"', ""]
    lines += ["[map]", 'title = "基准县生态空间管控图"', 'producer = "redline 基准测试"']
    (folder / "redline.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"project": folder / "redline.toml", "vertices": total}


def draw_time(html: str | os.PathLike, *, runs: int = 3, chromium: str | None = None) -> list[float]:
    """Seconds from navigation start to the map's first full draw, for ``runs`` cold loads (network refused)."""
    from playwright.sync_api import sync_playwright

    chromium = chromium or shutil.which("chromium") or "/usr/bin/chromium"
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=args)
        try:
            for _ in range(runs):
                ctx = browser.new_context(viewport={"width": 1400, "height": 900})
                page = ctx.new_page()
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
                page.goto(Path(html).resolve().as_uri())
                page.wait_for_function("window.__redlineDrawn !== undefined", timeout=60_000)
                times.append(page.evaluate("window.__redlineDrawn") / 1000)
                ctx.close()
        finally:
            browser.close()
    return times


def run(target_vertices: int = 300_000) -> dict:
    """Build the county, write its web map, measure size and draw time against the budget."""
    from redline.layers.project import load_project
    from redline.maps.webmap import save_web_map, web_map

    work = Path(tempfile.mkdtemp(prefix="redline-bench-map-"))
    try:
        county = make_county(work / "county", target_vertices=target_vertices)
        t0 = time.perf_counter()
        m = web_map(load_project(county["project"]))
        info = save_web_map(m, work / "map.html")
        build_s = time.perf_counter() - t0
        result = {"name": "demo map", "vertices_in": county["vertices"],
                  "vertices_out": sum(lay["vertices_out"] for lay in m.redline_info["layers"]),
                  "html_mb": round(info["bytes"] / 1e6, 2), "build_s": round(build_s, 2),
                  "notes": m.redline_info["notes"], "budget": {"html_mb": BUDGET_MB, "draw_s": BUDGET_S}}
        try:
            times = draw_time(work / "map.html")
        except Exception as exc:  # no Chromium on this machine: report, do not pretend
            result.update(ours_s=None, ok=False, error=f"draw time not measured: {exc}")
            return result
        result.update(ours_s=round(statistics.median(times), 3), draw_runs_s=[round(x, 3) for x in times])
        result["ok"] = result["html_mb"] <= BUDGET_MB and result["ours_s"] <= BUDGET_S
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2))
