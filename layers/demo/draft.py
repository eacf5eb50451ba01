"""The demo region as it is built: :class:`DemoRegion` (finished) and ``_Draft`` (under construction)."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np

from redline.layers.demo.constants import CRS


@dataclass
class DemoRegion:
    """Every layer of the demo region (EPSG:4525) and the facts its construction guarantees."""

    seed: int
    layers: dict[str, gpd.GeoDataFrame]
    sites: gpd.GeoDataFrame  # the GeoPackage sites
    txt_sites: dict[str, gpd.GeoDataFrame]  # file name → parcels
    landcover: np.ndarray
    landcover_transform: tuple
    structure: dict
    facts: dict = field(default_factory=dict)


def _gdf(data: dict, geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=CRS)


class _Draft:
    """The region under construction (EPSG:4525), filled stage by stage by :func:`build_region`."""

    def at(self, t: float, offset: float = 0.0):
        """Point at fraction ``t`` of the main river shifted ``offset`` m to the left of the flow (the
        south-east, lowland bank; negative: the mountain side), and the unit tangent there."""
        line = self.main_line
        p = np.array(line.interpolate(t, normalized=True).coords[0])
        q = np.array(line.interpolate(min(t + 0.002, 1.0), normalized=True).coords[0])
        p0 = np.array(line.interpolate(max(t - 0.002, 0.0), normalized=True).coords[0])
        tan = (q - p0) / np.hypot(*(q - p0))
        return p + offset * np.array([-tan[1], tan[0]]), tan

    def quantile(self, q: float) -> float:
        """Height quantile over the county (on the terrain grid)."""
        return float(np.quantile(self.gh[self.in_county], q))
