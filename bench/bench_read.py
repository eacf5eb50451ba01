"""Reading a GeoPackage of 30,000 polygons and 2 million vertices: ``read_layer`` vs bare pyogrio.

The headline is ``redline.layers.readers.read_layer(path, validate=False)``: a GeoDataFrame with format and CRS
detection, the NaN/infinite coordinate check and the metadata in its ``LayerInfo``, against
``pyogrio.read_arrow`` (which returns undecoded WKB in an Arrow table); the target is within 2×.
The default ``read_layer(path)`` also counts invalid geometries and their reasons (GEOS ``is_valid``,
about twice the read itself on one core): it is reported as a variant, not hidden.
``pyogrio.read_dataframe(use_arrow=True)`` (a GeoDataFrame, as we return) is shown for context.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from bench import Impl, Workload
from bench.data import CRS, coverage

SIZES = {"full": {"polygons": 30_000}, "quick": {"polygons": 1_500}, "tiny": {"polygons": 200}}
TARGET_RATIO = 2.0
CLASSES = np.array(["优先保护单元", "重点管控单元", "一般管控单元"])


def prepare(folder: Path, size: dict) -> dict:
    import geopandas as gpd

    n = size["polygons"]
    geoms = coverage(n, seed=11)
    rng = np.random.default_rng(11)
    gdf = gpd.GeoDataFrame({
        "单元编码": [f"ZH14082{i:07d}" for i in range(n)],
        "单元名称": [f"管控单元{i}号" for i in range(n)],
        "单元类别": CLASSES[rng.integers(0, 3, n)],
        "面积公顷": np.round(shapely.area(geoms) / 1e4, 4),
    }, geometry=geoms, crs=CRS)
    gdf.to_file(folder / "units.gpkg", layer="units", engine="pyogrio")
    return {"file": "units.gpkg", "polygons": n, "vertices": int(shapely.get_num_coordinates(geoms).sum()),
            "bytes": (folder / "units.gpkg").stat().st_size}


def load(folder: Path, size: dict) -> Path:
    return folder / "units.gpkg"


def ours(path: Path):
    from redline.layers.readers import read_layer

    return read_layer(path, validate=False)


def ours_validated(path: Path):
    from redline.layers.readers import read_layer

    return read_layer(path)


def read_arrow(path: Path):
    import pyogrio

    return pyogrio.read_arrow(path)


def read_dataframe(path: Path):
    import pyogrio

    return pyogrio.read_dataframe(path, use_arrow=True)


def summarize(name: str, result, path) -> dict:
    if name == "pyogrio.read_arrow":
        _, table = result
        return {"rows": table.num_rows}
    return {"rows": len(result), "vertices": int(shapely.get_num_coordinates(result.geometry.values).sum())}


def compare(s: dict, size: dict) -> dict:
    rows = {k: int(v["rows"]) for k, v in s.items()}
    return {"rows": rows, "same_rows": len(set(rows.values())) == 1}


def targets(rec: dict) -> list[dict]:
    r = rec["ratios"].get("pyogrio.read_arrow")
    return [{"target": f"read_layer (no validity report) within {TARGET_RATIO:g}x of pyogrio.read_arrow",
             "met": None if r is None else r <= TARGET_RATIO, "scales": True,
             "value": "not measured" if r is None else f"{r:.2f}x"}]


WORKLOADS = [Workload(
    name="read", title="read a 30,000-polygon, 2M-vertex GeoPackage", sizes=SIZES, prepare=prepare, load=load,
    impls=[Impl("ours", ours, role="ours", note="redline.layers.readers.read_layer(validate=False)"),
           Impl("read_layer + validity report", ours_validated, role="variant",
                note="redline.layers.readers.read_layer(), the default: invalid geometries counted with reasons"),
           Impl("pyogrio.read_arrow", read_arrow),
           Impl("pyogrio.read_dataframe(arrow)", read_dataframe)],
    summarize=summarize, compare=compare, targets=targets)]
