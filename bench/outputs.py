"""Time building each output file of a site check from its result dict (``check.json``'s content).

Not a workload of ``python -m bench`` (which times whole commands): this isolates the output edge
(:func:`redline.maps.report.check_outputs` and its parts), the part of ``check --out`` that grows with the
number of sites. Sites are star-shaped parcels (:func:`bench.data.blobs`) over an edge-matched coverage
(:func:`bench.data.coverage`) of which every other zone is the red line, with four project types in turn,
so that every verdict occurs. The check result is computed once and cached next to the data.

Usage::

    python -m bench.outputs --sites 5000 --zones 1500          # the issue's 5,000-site workload
    python -m bench.outputs --sites 100000 --zones 30000       # the bench ``check`` size

Prints one line per output: seconds and bytes.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench.data import CRS, EXTENT, blobs, coverage

TYPES = np.array(["mining", "housing", "linear_infrastructure", "ecological_restoration"])


def make_result(folder: Path, n_sites: int, n_zones: int) -> dict:
    """The check result for ``n_sites`` parcels against a red line of ``n_zones // 2`` polygons (cached)."""
    import geopandas as gpd

    from redline.layers.outputs import provenance, to_json
    from redline.spatial.checks import check_project

    cached = folder / "result.json"
    if cached.exists():
        return json.loads(cached.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    side = 150_000.0 * np.sqrt(n_zones / 30_000)   # the zone size and site density of bench/bench_check.py
    ext = (EXTENT[0], EXTENT[1], EXTENT[0] + side, EXTENT[1] + side)
    zones = coverage(n_zones, extent=ext, seed=31)
    keep = np.nonzero(np.arange(n_zones) % 2 == 0)[0]
    gpd.GeoDataFrame({"HXMC": [f"红线{i}" for i in keep], "HXBM": [f"HX{i:06d}" for i in keep]},
                     geometry=zones[keep], crs=CRS).to_file(folder / "red_line.gpkg")
    sites = blobs(np.random.default_rng(32), n_sites, ext, (40, 250), 16)
    gpd.GeoDataFrame({"XMMC": [f"地块{i}" for i in range(n_sites)], "XMLX": TYPES[np.arange(n_sites) % 4],
                      "DKBH": [f"S{i:06d}" for i in range(n_sites)]}, geometry=sites, crs=CRS).to_file(
        folder / "sites.gpkg")
    run = check_project(str(folder / "sites.gpkg"), None, layer_args=[("red_line", str(folder / "red_line.gpkg"))])
    result = run.result
    result["provenance"] = provenance(run.inputs, area_method=result["analysis"]["area_method"],
                                      rules=result["rules"])
    cached.write_text(to_json(result), encoding="utf-8")
    return result


def time_outputs(result: dict) -> list[tuple[str, float, int]]:
    """(output, seconds, bytes) for each output built from ``result``, and for all of them at once."""
    from redline.layers.outputs import to_json
    from redline.maps.report.check import check_outputs
    from redline.maps.report.check_content import report_content
    from redline.maps.report.check_docx import report_docx
    from redline.maps.report.check_html import report_html
    from redline.maps.report.tables import check_xlsx
    from redline.spatial.check_tables import hit_rows, site_rows, to_csv

    steps = [("check.json", lambda: (to_json(result) + "\n").encode("utf-8")),
             ("sites.csv", lambda: to_csv(site_rows(result))),
             ("hits.csv", lambda: to_csv(hit_rows(result))),
             ("check.xlsx", lambda: check_xlsx(result))]
    out = []
    for name, build in steps:
        t = time.perf_counter()
        data = build()
        out.append((name, time.perf_counter() - t, len(data)))
    t = time.perf_counter()
    content = report_content(result)
    html = report_html(content).encode("utf-8")
    t_html = time.perf_counter() - t
    t = time.perf_counter()
    docx = report_docx(content)
    out += [("report .html (with content)", t_html, len(html)), ("report .docx", time.perf_counter() - t, len(docx))]
    t = time.perf_counter()
    files = check_outputs(result, maps=False)
    out.append(("check_outputs (all)", time.perf_counter() - t, sum(map(len, files.values()))))
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.outputs", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sites", type=int, default=5000)
    p.add_argument("--zones", type=int, default=1500)
    p.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "redline-bench" / "outputs")
    a = p.parse_args(argv)
    result = make_result(a.data_dir / f"{a.sites}x{a.zones}", a.sites, a.zones)
    print(f"{len(result['sites']):,} sites; verdicts {result['summary']['verdicts']}")
    for name, seconds, size in time_outputs(result):
        print(f"{name:28s} {seconds:8.2f} s  {size:>13,d} bytes")


if __name__ == "__main__":
    main()
