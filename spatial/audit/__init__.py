"""The layer audit: declared areas against recomputed ones, stated figures, the three control lines,
protected-area zones outside the red line, and gaps and slivers against the county boundary.

Every check is a function of GeoDataFrames returning a plain dict, so each can be used (and tested) on
its own; :func:`audit_layers` runs them all on a project and collects the findings. The modules: ``common``
(the audit rules, feature ids, decimals), ``figures`` (declared and stated figures), ``geometry`` (overlaps,
protected areas, the boundary), ``layers`` (the whole project).

Example
-------
>>> import geopandas as gpd, shapely
>>> gdf = gpd.GeoDataFrame({"code": ["A", "B"], "area": [1.0, 2.5]},            # 公顷
...                        geometry=[shapely.box(37_500_000, 4_200_000, 37_500_100, 4_200_100),
...                                  shapely.box(37_500_000, 4_201_000, 37_500_100, 4_201_200)], crs=4525)
>>> r = declared_area_check(gdf)
>>> r["unit"], [f["id"] for f in r["off"]]    # B is 2 ha, declared 2.5
('ha', ['B'])
"""

from __future__ import annotations

from redline.spatial.audit.common import (
    CONTROL_LINES,
    PROTECTED_KINDS,
    audit_rules,
    column_decimals,
    default_min_area_m2,
    default_tolerance_pct,
    feature_ids,
)
from redline.spatial.audit.figures import (
    declared_area_check,
    implied_total,
    infer_unit,
    parse_share,
    stated_check,
)
from redline.spatial.audit.geometry import (
    boundary_check,
    outside_boundary,
    overlap_check,
    protected_outside_check,
    self_overlap_check,
)
from redline.spatial.audit.layers import audit_layers, region_words

__all__ = ["audit_layers", "declared_area_check", "infer_unit", "stated_check", "implied_total", "parse_share",
           "overlap_check", "self_overlap_check", "protected_outside_check", "boundary_check", "outside_boundary",
           "feature_ids", "CONTROL_LINES", "PROTECTED_KINDS", "audit_rules", "column_decimals", "default_min_area_m2",
           "default_tolerance_pct", "region_words"]
