"""Geometries users can produce (issue 16), generated: GeometryCollections, features without geometry,
coordinates no coordinate system has.

Areas are checked against hand arithmetic: axis-aligned rectangles in CGCS2000 3° zone 37 (EPSG:4525) have
the planar area width × height.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline.cli import main
from redline.layers.errors import InputError
from redline.layers.readers import read_layer

X, Y = 37_465_000.0, 4_200_000.0

rect = st.tuples(st.integers(1, 400), st.integers(1, 400))                 # width, height in metres
extra = st.lists(st.sampled_from(["point", "line", "empty"]), max_size=3)   # lower-dimensional parts


def _collection(k: int, rects, extras) -> shapely.Geometry:
    """Feature k's collection: rectangles side by side in their own 1 km cell (no two overlap), plus
    points, lines and empty parts."""
    parts, x0 = [], X + 1000 * k
    for w, h in rects:
        parts.append(shapely.box(x0, Y, x0 + w, Y + h))
        x0 += w + 1
    for e in extras:
        parts.append({"point": shapely.Point(X + 1000 * k, Y - 5),
                      "line": shapely.LineString([(X + 1000 * k, Y - 5), (X + 1000 * k + 9, Y - 5)]),
                      "empty": shapely.GeometryCollection()}[e])
    return shapely.GeometryCollection(parts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(features=st.lists(st.tuples(st.lists(rect, min_size=1, max_size=3), extra), min_size=1, max_size=4),
       fmt=st.sampled_from(["gpkg", "geojson"]))
def test_collections_of_polygons_have_their_area(features, fmt):
    geoms = [_collection(k, rects, extras) for k, (rects, extras) in enumerate(features)]
    expected = sum(w * h for rects, _ in features for w, h in rects)          # hand arithmetic
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / f"红线.{fmt}"
        gdf = gpd.GeoDataFrame({"name": [f"甲{k}" for k in range(len(geoms))]}, geometry=geoms, crs=4525)
        if fmt == "geojson":
            gdf.to_file(f, driver="GeoJSON")
        else:
            gdf.to_file(f)
        r = CliRunner().invoke(main, ["inspect", str(f), "--json"])
    assert r.exit_code == 0, r.output[-800:]
    js = json.loads(r.stdout)
    assert js["area_m2"]["planar"] == pytest.approx(expected, abs=1e-6)
    assert any("GeometryCollection" in w for w in js["warnings"])
    if any(e in ("point", "line") for _, extras in features for e in extras):
        assert any("dropped" in w for w in js["warnings"])


@settings(max_examples=30, deadline=None)
@given(rects=st.lists(rect, min_size=1, max_size=6), missing=st.lists(st.booleans(), min_size=1, max_size=6))
def test_features_without_geometry_leave_the_others_areas(rects, missing):
    geoms = [None if m else shapely.box(X + 1000 * k, Y, X + 1000 * k + w, Y + h)
             for k, ((w, h), m) in enumerate(zip(rects, missing + [False] * len(rects), strict=False))]
    expected = sum(w * h for (w, h), g in zip(rects, geoms, strict=True) if g is not None)
    if not any(g is not None for g in geoms):
        return
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "红线.gpkg"
        gpd.GeoDataFrame({"name": [str(k) for k in range(len(geoms))]}, geometry=geoms, crs=4525).to_file(f)
        js = json.loads(CliRunner().invoke(main, ["inspect", str(f), "--json"]).stdout)
    assert js["area_m2"]["planar"] == pytest.approx(expected, abs=1e-6)
    assert js["area_m2"]["ellipsoidal"] == pytest.approx(expected, rel=2e-3)   # zone 37 centre: scale ≈ 1
    if any(g is None for g in geoms):
        assert any("missing geometry" in w for w in js["warnings"])


bad_value = st.one_of(st.floats(min_value=1.0000001e9, max_value=1e308), st.floats(max_value=-1.0000001e9,
                                                                                   min_value=-1e308),
                      st.just(math.inf), st.just(-math.inf), st.just(math.nan))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 6), at=st.integers(0, 5), axis=st.integers(0, 1), value=bad_value,
       fmt=st.sampled_from(["gpkg", "geojson", "parquet", "fgb"]))
def test_coordinates_no_crs_has_are_refused_naming_the_feature(n, at, axis, value, fmt):
    at = at % n
    geoms = []
    for k in range(n):
        xy = [X + 1000 * k, Y]
        if k == at:
            xy[axis] = value
        geoms.append(shapely.Point(*xy))
    gdf = gpd.GeoDataFrame({"name": [str(k) for k in range(n)]}, geometry=geoms, crs=4525)
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / f"点.{fmt}"
        if fmt == "geojson":   # written by hand: GDAL's writer turns such a point into no geometry
            num = {math.inf: "Infinity", -math.inf: "-Infinity"}.get(value, "NaN" if math.isnan(value) else repr(value))
            feats = [{"type": "Feature", "properties": {"name": str(k)},
                      "geometry": {"type": "Point", "coordinates": ["@X@" if (k == at and axis == 0) else g.x,
                                                                    "@X@" if (k == at and axis == 1) else g.y]}}
                     for k, g in enumerate(geoms)]
            f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}).replace('"@X@"', num),
                         encoding="utf-8")
        elif fmt == "parquet":
            gdf.to_parquet(f)
        else:
            # no spatial index: FlatGeobuf would store the features in another order (feature numbers are the file's)
            gdf.to_file(f, driver={"gpkg": "GPKG", "fgb": "FlatGeobuf"}[fmt],
                        **({"SPATIAL_INDEX": "NO"} if fmt == "fgb" else {}))
            back = gpd.read_file(f, use_arrow=True).geometry.iloc[at]
            if back is None or back.is_empty:
                return      # GDAL itself reads no geometry there (a NaN point is an empty point to it): the
                # feature is counted as empty, with a warning (tests/hostile_inputs.py: missing_geometry_gpkg)
        with pytest.raises(InputError) as info:
            read_layer(f, crs="EPSG:4525")
    message = str(info.value)
    assert f"feature {at}" in message or "out of range" in message, message
    assert any(w in message for w in ("NaN or infinite", "outside every coordinate system", "range",
                                      "not a finite number", "cannot be read")), message


def test_values_just_inside_the_limit_are_read():
    from redline.layers.geometry import COORDINATE_LIMIT, check_coordinates

    check_coordinates([shapely.Point(COORDINATE_LIMIT, -COORDINATE_LIMIT)], "x")
    with pytest.raises(InputError, match="feature 0: coordinate"):
        check_coordinates([shapely.Point(COORDINATE_LIMIT * 1.000001, 0)], "x")
