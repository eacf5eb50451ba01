"""The demo region: 示范县, a fictional county of Shanxi, generated from a seed.

:func:`build_region` makes every layer as a GeoDataFrame (EPSG:4525, CGCS2000 3° Gauss-Krüger zone 37 with
prefixed eastings); :func:`generate_demo` writes them in the formats users really have, with a
``redline.toml`` project file, a ``structure.toml`` structure-diagram layout and README files. The same seed
always gives the same files; nothing in them describes a real place (every name carries 示范县 and every
file says 虚构, fictional).

How it is made
--------------
* The county is a star-shaped polygon of about 2,000 km² around 111.6°E 38.4°N. A main river (龙泉河)
  crosses it from north-east to south-west; six tributaries join it.
* A synthetic terrain (mountains north-west of the river, lower hills far to the south-east, a valley along
  the river) decides where the red line (the highest land, about a seventh of the county), the basic
  farmland (the lowest land) and the land cover fall.
* Townships and 三线一单 control units are Voronoi cells of seed points, cut by the county boundary and
  re-assembled from the polygonized linework, so that each layer is an exact coverage of the county.
* Project sites are placed by construction (a road crossing the red line, a factory 600 m from the main
  river, a clean housing site...) and the data around them is carved to keep each construction true.

The package: ``constants`` (names, sources, clauses), ``shapes`` (geometry helpers, the terrain),
``draft`` and ``region`` (the construction's first stages), ``placing`` (sites, roads, tables, facts),
``writing`` (the files), ``documents`` (``redline.toml``, ``structure.toml``, READMEs).

Example
-------
>>> import tempfile
>>> toml = generate_demo(tempfile.mkdtemp() + "/demo")      # doctest: +SKIP
>>> toml.name                                              # doctest: +SKIP
'redline.toml'
"""

from __future__ import annotations

from redline.layers.demo.constants import CONTROL_LAYER_IDS, COUNTY, CRS, LONLAT, SITE_TYPES, TXT_SITES
from redline.layers.demo.documents import project_toml, readme, sites_readme, structure_toml
from redline.layers.demo.draft import DemoRegion
from redline.layers.demo.region import build_region
from redline.layers.demo.writing import (
    DemoResult,
    generate_demo,
    geodesic_area_m2,
    own_files,
    plan_figures,
    plan_text,
    write_demo,
)

__all__ = ["CONTROL_LAYER_IDS", "COUNTY", "CRS", "LONLAT", "SITE_TYPES", "TXT_SITES", "DemoRegion", "DemoResult",
           "build_region", "generate_demo", "geodesic_area_m2", "own_files", "plan_figures", "plan_text",
           "project_toml", "readme", "sites_readme", "structure_toml", "write_demo"]
