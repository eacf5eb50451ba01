"""Numbers and verdicts of a site check that an officer signs: a line inside overlapping features counted
once, sites outside the data's coverage, core control layers that were not checked, distance rules that match
nothing.

Cases are built in CGCS2000 3-degree Gauss-Krüger zone 37 (EPSG:4525) near its central meridian; lengths are
computed independently: intersection points by hand arithmetic in the plane, then pyproj.Geod on the line
densified in the plane and inverse-projected.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString, box

from redline.layers.info import LayerInfo, with_info
from redline.spatial.check import check_sites

CRS = 4525
X, Y = 37_500_000.0, 4_250_000.0
GEOD = pyproj.Geod(a=6378137.0, f=1 / 298.257222101)   # the CGCS2000 ellipsoid
TO_LL = pyproj.Transformer.from_crs(CRS, 4490, always_xy=True)
COUNTY = box(X - 5000, Y - 5000, X + 6000, Y + 6000)


def geod_length(p, q) -> float:
    """Length of the straight plane segment p–q: densified to 1 m, inverse-projected, GeographicLib."""
    t = np.linspace(0.0, 1.0, int(np.hypot(q[0] - p[0], q[1] - p[1])) + 2)
    lon, lat = TO_LL.transform(p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
    return float(GEOD.line_length(lon, lat))


def layer(kind: str, geoms, **cols) -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame({"name": cols.pop("name", [f"{kind}{i + 1}" for i in range(len(geoms))]), **cols},
                         geometry=list(geoms), crs=CRS)
    return with_info(g, LayerInfo(kind=kind))


def sites(geoms, types=None) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame({"name": [f"项目{i + 1}" for i in range(n)], "code": [f"S{i + 1}" for i in range(n)],
                             "type": types if types is not None else [None] * n}, geometry=list(geoms), crs=CRS)


# ---------------------------------------------------------------------------- item 1: lines counted once
@pytest.mark.parametrize("y0", [123.7, 150.0, 201.3, 250.9])
def test_a_road_across_two_overlapping_polygons_is_measured_inside_their_union(y0):
    # two red-line polygons overlapping over x in [X+600, X+1000]; a road y = y0 + 0.3 (x - x0) crossing both
    a, b = box(X, Y, X + 1000, Y + 1000), box(X + 600, Y + 100, X + 1600, Y + 1100)
    x0, y0, slope = X - 499.7, Y + y0, 0.2993
    road = LineString([(x0, y0), (X + 2000.1, y0 + slope * (X + 2000.1 - x0))])

    def on_road(x):
        return (x, y0 + slope * (x - x0))

    # by hand: between x = X and X + 1600 the road's y rises by 0.2993 × 1600 < 480 m from at most Y + 401,
    # inside both boxes' y ranges, so it is in a over x ∈ [X, X+1000], in b over [X+600, X+1600], in a ∪ b over [X, X+1600]
    assert y0 + slope * (X - x0) > Y + 100 and y0 + slope * (X + 1600 - x0) < Y + 1000
    in_a, in_b = geod_length(on_road(X), on_road(X + 1000)), geod_length(on_road(X + 600), on_road(X + 1600))
    in_union = geod_length(on_road(X), on_road(X + 1600))
    r = check_sites(sites([road], ["linear_infrastructure"]), {"red_line": layer("red_line", [a, b])}, coverage=COUNTY)
    L = r.site_layers.iloc[0]
    assert L["overlap_length_m"] == pytest.approx(in_union, abs=1e-3)      # 1,670 m, not 2,088 m
    total = geod_length(road.coords[0], road.coords[1])
    assert L["pct_of_site"] == pytest.approx(100 * in_union / total, abs=1e-6)
    assert bool(L["self_overlap"])
    hits = r.hits.sort_values("feature_name")                              # each feature keeps its own length
    assert hits["overlap_length_m"].tolist() == pytest.approx([in_a, in_b], abs=1e-3)
    # the finding's extent (the road in the red line) is the dissolved length too
    msg = " ".join(r.findings["message"])
    assert f"{in_union:.2f}米" in msg


def test_a_road_along_polygons_that_only_touch_is_summed():
    a, b = box(X, Y, X + 1000, Y + 1000), box(X + 1000, Y, X + 2000, Y + 1000)   # share an edge
    road = LineString([(X - 500, Y + 333.3), (X + 2500, Y + 777.7)])
    r = check_sites(sites([road], ["linear_infrastructure"]), {"red_line": layer("red_line", [a, b])}, coverage=COUNTY)
    L = r.site_layers.iloc[0]
    slope = (777.7 - 333.3) / 3000

    def on_road(x):
        return (x, Y + 333.3 + slope * (x - (X - 500)))

    assert not bool(L["self_overlap"])
    assert L["overlap_length_m"] == pytest.approx(geod_length(on_road(X), on_road(X + 2000)), abs=1e-3)
