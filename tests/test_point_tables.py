"""The fast paths of a point check's tables give what the plain per-row paths give.

- ``csv_bytes`` (distinct values formatted once, neighbouring columns joined once per combination, rows joined
  in Arrow) against Python's ``csv`` module writing the same rows value by value (numbers with ``repr``);
- the findings of point sites that share them (alike in project type, coverage and containing features)
  against each point checked alone;
- ``first_of_groups`` against ``numpy.unique(axis=0)``.
"""

from __future__ import annotations

import csv
import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from redline.layers.info import LayerInfo, with_info
from redline.spatial.check import check_sites
from redline.spatial.check.frames import csv_bytes, hit_frame, site_frame
from redline.spatial.check.tables import first_of_groups

CRS = 4525
X, Y = 37_500_000.0, 4_250_000.0


def python_csv(frame: pd.DataFrame) -> bytes:
    """The frame written row by row with the csv module: None and NaN empty, numbers as ``repr``."""
    def cell(v):
        if v is None or (isinstance(v, float) and v != v):
            return ""
        return repr(v) if isinstance(v, float) else str(v)

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        w.writerow([cell(v.item() if hasattr(v, "item") else v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


@pytest.mark.parametrize("n", [1, 7, 5_000])
def test_csv_bytes_equals_the_csv_module(n):
    rng = np.random.default_rng(n)
    words = ["红线一", "a,b", 'say "hi"', "two\nlines", "", None, "管控单元 7", "x\r\ny"]
    floats = rng.normal(0, 1e5, n) * 10.0 ** rng.integers(-7, 10, n)
    floats[::5] = np.nan
    floats[::6] = -0.0
    floats[::9] = np.inf
    frame = pd.DataFrame({
        "编号": [f"P{i:07d}" for i in range(n)],                         # every row its own
        "名称": pd.Series([words[k] for k in rng.integers(0, len(words), n)], dtype=object),
        "常量": pd.Series(["住宅及城镇建设"] * n, dtype=object),               # merged with neighbours
        "空": pd.Series([None] * n, dtype=object),
        "类": pd.Series([f"类{k}" for k in rng.integers(0, 3, n)], dtype="str"),   # Arrow-backed text
        "面积": np.round(floats, 2), "原值": floats, "计数": rng.integers(-10**12, 10**12, n),
        "少": rng.integers(0, 4, n),
    })
    assert csv_bytes(frame) == python_csv(frame)
    body = csv_bytes(frame, header=False, bom=False)
    assert python_csv(frame).decode("utf-8-sig").split("\r\n", 1)[1] == body.decode("utf-8")


def test_csv_bytes_quotes_a_formula_start_in_every_column_shape():
    frame = pd.DataFrame({"a": ["=1+1", "ok", "=1+1"], "b": ["x", "x", "x"], "c": ["-3", "@x", "+86 351"]})
    assert csv_bytes(frame).decode("utf-8-sig") == 'a,b,c\r\n"=1+1",x,"-3"\r\nok,x,"@x"\r\n"=1+1",x,"+86 351"\r\n'


def test_first_of_groups_matches_numpy_unique():
    rng = np.random.default_rng(3)
    cols = [rng.integers(-1, 4, 2_000), rng.integers(0, 2, 2_000), rng.integers(-1, 30, 2_000)]
    group, first = first_of_groups(cols)
    stacked = np.column_stack(cols)
    _, idx, inv = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    # the same partition of the rows, and each group's first row
    assert len(first) == len(idx)
    assert sorted(first.tolist()) == sorted(idx.tolist())
    assert (first[group] == idx[inv.ravel()]).all()


def _layer(kind: str, geoms, **cols) -> gpd.GeoDataFrame:
    return with_info(gpd.GeoDataFrame(cols, geometry=list(geoms), crs=CRS), LayerInfo(kind=kind))


def _units_and_red() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Three 1 km control units side by side and a red-line patch across the first two."""
    units = _layer("control_unit", [shapely.box(X + 1000 * i, Y, X + 1000 * (i + 1), Y + 1000) for i in range(3)],
                   name=["单元一", "单元二", "单元三"], code=["ZH1", "ZH2", "ZH3"],
                   zone=["优先保护单元", "重点管控单元", "一般管控单元"])
    return units, _layer("red_line", [shapely.box(X + 200, Y + 200, X + 1600, Y + 800)], name=["红线甲"])


def test_points_sharing_findings_get_what_each_gets_alone():
    """Many points in few zones: their findings (and so their verdict and CSV rows) are those each point gets
    when checked alone (no sharing possible then)."""
    units, red = _units_and_red()
    rng = np.random.default_rng(5)
    xy = np.column_stack([X - 300 + rng.random(60) * 3600, Y - 100 + rng.random(60) * 1200])
    types = ["housing", "mining", None, "housing", "ecological_restoration"]
    sites = gpd.GeoDataFrame({"code": [f"P{i}" for i in range(60)], "type": [types[i % 5] for i in range(60)]},
                             geometry=shapely.points(xy), crs=CRS)
    layers = {"units": units, "red": red}
    kinds = {"units": "control_unit", "red": "red_line"}
    together = check_sites(sites, layers, kinds=kinds)
    alone = [check_sites(sites.iloc[[i]], layers, kinds=kinds) for i in range(len(sites))]
    cols = ["rule", "level", "message", "clause", "layer"]
    for i, r in enumerate(alone):
        mine = together.findings[together.findings["site"] == i][cols].reset_index(drop=True)
        assert mine.equals(r.findings[cols].reset_index(drop=True)), i
        assert together.sites["verdict"].iloc[i] == r.sites["verdict"].iloc[0]
    rows = csv_bytes(site_frame(together)).decode("utf-8-sig").splitlines()[1:]
    assert rows == [csv_bytes(site_frame(r)).decode("utf-8-sig").splitlines()[1] for r in alone]
    hits = csv_bytes(hit_frame(together)).decode("utf-8-sig").splitlines()[1:]
    assert hits == [h for r in alone for h in csv_bytes(hit_frame(r)).decode("utf-8-sig").splitlines()[1:]]


def test_csv_only_check_skips_the_nearest_search_and_writes_the_same_csv(tmp_path):
    """``--outputs csv`` (and ``--stream``) do not search the nearest features, which neither CSV file shows:
    the CSV bytes equal those of the full check, the result says the search was not made, and the full check
    does find the zone 1 km away (measured by hand: the site's east edge to the zone's west edge)."""
    import redline

    red = _layer("red_line", [shapely.box(X + 2000, Y, X + 3000, Y + 1000)], name=["红线甲"])
    sites = gpd.GeoDataFrame({"code": ["P1", "P2"], "type": ["housing", "housing"]},
                             geometry=[shapely.box(X, Y, X + 1000, Y + 1000), shapely.Point(X + 2500, Y + 500)],
                             crs=CRS)
    full = redline.check(sites, {"red_line": red})
    lean = redline.check(sites, {"red_line": red}, nearest=False)
    assert full.nearest["distance_m"].round(0).tolist() == [1000.0]
    assert len(lean.nearest) == 0 and lean.site_layers["nearest_m"].isna().all()
    assert full.analysis["nearest_searched"] and not lean.analysis["nearest_searched"]
    assert csv_bytes(site_frame(full)) == csv_bytes(site_frame(lean))
    assert csv_bytes(hit_frame(full)) == csv_bytes(hit_frame(lean))
    assert full.findings["message"].tolist() == lean.findings["message"].tolist()
    # the CSV files alone hold the bytes of the full outputs' CSV files
    alone = lean.outputs(maps=False, outputs=("csv",))
    assert sorted(alone) == ["hits.csv", "sites.csv"]
    both = lean.outputs(maps=False, outputs=("csv", "xlsx"))
    assert alone["hits.csv"] == both["hits.csv"] == csv_bytes(hit_frame(lean))
    assert alone["sites.csv"] == both["sites.csv"]


@pytest.mark.parametrize("coded", [True, False])
def test_batches_sharing_one_memo_give_the_rows_of_one_batch(coded, monkeypatch):
    """The streaming engine keeps the findings of point sites alike in every layer from one chunk to the next:
    chunk by chunk with one memo, every finding, verdict and CSV row equals those of all points in one batch
    (and of each point alone, by the test above). Not ``coded``: combinations too many to number (every site
    worked out), the same rows."""
    from redline.spatial.check.prepare import prepare_layers
    from redline.spatial.check.run import check_prepared
    from redline.spatial.check.tables import PointCombinations

    if not coded:
        monkeypatch.setattr(PointCombinations, "TYPES", 2 ** 62)

    units, red = _units_and_red()
    rng = np.random.default_rng(11)
    xy = np.column_stack([X - 300 + rng.random(200) * 3600, Y - 100 + rng.random(200) * 1200])
    types = ["housing", "mining", None, "ecological_restoration"]
    sites = gpd.GeoDataFrame({"site_id": [f"P{i}" for i in range(200)], "name": [None] * 200,
                              "type": [types[i % 4] for i in range(200)]}, geometry=shapely.points(xy), crs=CRS)
    prepared = prepare_layers({"units": units, "red": red}, kinds={"units": "control_unit", "red": "red_line"})
    whole = check_prepared(sites, prepared)
    memo: dict = {}
    parts = [check_prepared(sites.iloc[a:a + 9].reset_index(drop=True), prepared, memo=memo)
             for a in range(0, 200, 9)]
    assert (len(memo["combinations"]) > 0) == coded
    assert [v for p in parts for v in p.sites["verdict"].tolist()] == whole.sites["verdict"].tolist()
    cols = ["site_id", "rule", "level", "message", "clause", "layer"]
    got = pd.concat([p.findings[cols] for p in parts], ignore_index=True)
    assert got.equals(whole.findings[cols].reset_index(drop=True))
    rows = [line for k, p in enumerate(parts)
            for line in csv_bytes(site_frame(p), header=k == 0, bom=k == 0).decode("utf-8").splitlines()]
    assert rows == csv_bytes(site_frame(whole)).decode("utf-8").splitlines()


def test_feature_columns_from_many_threads_at_once():
    """A dask worker's threads check batches against one shared layer index: every thread gets each feature's
    own id, name and attributes, whichever thread described the feature first."""
    from concurrent.futures import ThreadPoolExecutor

    from redline.spatial.check.kernel import layer_index
    from redline.spatial.check.tables import feature_columns

    n = 5_000
    layer = gpd.GeoDataFrame({"name": [f"红线{k}" for k in range(n)], "code": [f"Z{k}" for k in range(n)]},
                             geometry=[shapely.box(k, 0, k + 1, 1) for k in range(n)], crs=CRS)
    index = layer_index(layer, "red_line")
    rng = np.random.default_rng(7)
    batches = [rng.integers(0, n, 3_000) for _ in range(32)]

    def one(features):
        cols = feature_columns(index, features, "zone")
        return (cols["feature_id"][features].tolist(), cols["name"][features].tolist(),
                [d["code"] for d in cols["attributes"][features]])

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(one, batches))
    for features, (ids, names, codes) in zip(batches, got, strict=True):
        assert ids == codes == [f"Z{k}" for k in features.tolist()]
        assert names == [f"红线{k}" for k in features.tolist()]
    assert index.described["known"].sum() == len(np.unique(np.concatenate(batches)))
