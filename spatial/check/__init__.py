"""Site checks (压覆分析): every project site against every control layer, with the rule clauses that apply
and a verdict 符合 / 不符合 / 需论证 / 无法判定.

The package, by stage:

* :mod:`~redline.spatial.check.kernel`: the overlay of the sites with one layer (areas, lengths, hits,
  nearest features), vectorized;
* :mod:`~redline.spatial.check.findings`: the rules' findings and the verdicts;
* :mod:`~redline.spatial.check.tables`: the result tables built from the layer passes;
* :mod:`~redline.spatial.check.result`: :class:`CheckResult`, its JSON;
* :mod:`~redline.spatial.check.prepare`: the control side, read and prepared once;
* :mod:`~redline.spatial.check.run`: a batch of sites, and the local and streaming engines;
* :mod:`~redline.spatial.check.dask`: the dask engine.

Example
-------
>>> import geopandas as gpd, shapely
>>> rl = gpd.GeoDataFrame(geometry=[shapely.box(37_500_000, 4_200_000, 37_501_000, 4_201_000)], crs=4525)
>>> site = gpd.GeoDataFrame({"type": ["mining"]}, geometry=[shapely.Point(37_500_500, 4_200_500)], crs=4525)
>>> check_sites(site, {"red_line": rl}, kinds={"red_line": "red_line"}).sites["verdict"].tolist()
['不符合']
"""

from redline.spatial.check.findings import VERDICTS, verdict_of
from redline.spatial.check.kernel import DEFAULT_MAX_DISTANCE, MIN_OVERLAP_M2, LayerResult, layer_pass
from redline.spatial.check.prepare import (
    CheckContext,
    PreparedLayers,
    load_check_layers,
    locate,
    parse_layer_args,
    prepare_layers,
    project_block,
    resolve_layer_ref,
)
from redline.spatial.check.result import CheckResult, concat_results, select_sites
from redline.spatial.check.run import (
    check_chunk,
    check_chunks,
    check_prepared,
    check_project,
    check_sites,
    finish,
    geos_errors,
    map_chunks,
    site_source,
)

__all__ = [
    "DEFAULT_MAX_DISTANCE", "MIN_OVERLAP_M2", "VERDICTS", "CheckContext", "CheckResult", "LayerResult",
    "PreparedLayers", "check_chunk", "check_chunks", "check_prepared", "check_project", "check_sites",
    "concat_results", "finish", "geos_errors", "layer_pass", "load_check_layers", "locate", "map_chunks",
    "parse_layer_args", "prepare_layers", "project_block", "resolve_layer_ref", "select_sites", "site_source",
    "verdict_of",
]
