"""The result of an area computation as a table, with its rounded figures that add up (平差).

:class:`AreaResult` holds what :func:`redline.spatial.shares.area_shares` measured (the dissolved total, the
overlap removed, what lies outside the boundary, the share) with the breakdown as a DataFrame, and the figures
in the chosen unit rounded so that the rows add up to the rounded total (largest remainder, 平差).

Example
-------
>>> import geopandas as gpd, shapely
>>> from redline.spatial.shares import area_shares
>>> county = gpd.GeoDataFrame(geometry=[shapely.box(37_450_000, 4_200_000, 37_460_000, 4_210_000)], crs=4525)
>>> red = gpd.GeoDataFrame({"HXLX": ["甲", "乙"]}, geometry=[shapely.box(37_450_000, 4_200_000, 37_452_000,
...                        4_210_000), shapely.box(37_452_000, 4_200_000, 37_455_000, 4_210_000)], crs=4525)
>>> r = AreaResult.from_shares(area_shares(red, county, by="HXLX"), unit="km2", decimals=2)
>>> r.rows[["key", "area"]].values.tolist(), r.total
([['甲', 20.0], ['乙', 30.0]], 50.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from redline.spatial.units import from_m2, largest_remainder_round, parse_unit, unit_label


def rounded_rows(rows_m2: list[float], total_m2: float, unit: str, decimals: int) -> tuple[list[float], bool]:
    """Row areas in ``unit`` rounded to ``decimals`` so that they add up to the rounded total when the rows
    make up the total (平差, largest remainder); plain rounding otherwise. Returns the values and whether any
    was adjusted.

    >>> rounded_rows([10040.0, 10040.0, 10040.0], 30120.0, "ha", 2)    # 1.004 ha × 3: 3.01 ha in all
    ([1.01, 1.0, 1.0], True)
    """
    values = [from_m2(v, unit) for v in rows_m2]
    total = from_m2(total_m2, unit)
    if values and abs(sum(values) - total) <= 1e-6 * max(total, 1):
        return largest_remainder_round(values, decimals, total=round(total, decimals))
    return [round(v, decimals) for v in values], False


@dataclass
class AreaResult:
    """A layer's dissolved area, its share of a boundary, and a breakdown.

    Attributes
    ----------
    rows : DataFrame
        The breakdown (by attribute or by zones): ``key``, ``area_m2``, ``share_pct`` (of the boundary),
        with zones also ``zone_m2`` and ``share_of_zone_pct``; ``area`` is ``area_m2`` in ``unit``, rounded
        to ``decimals`` so that the rows add up to :attr:`total` (平差) when they make up the total.
    total_m2, total : float
        The dissolved total (clipped to the boundary) in m², and in ``unit`` rounded to ``decimals``.
    share_pct : float or None
        Its share of the boundary.
    overlap_removed_m2, outside_boundary_m2 : float
        What dissolving removed (features overlapping each other) and what lies outside the boundary.
    boundary_m2 : float or None
        The boundary's area.
    method : dict
        How areas were computed (``method``, ``description``).
    unit, decimals : str, int
        The unit (``m2``, ``ha``, ``km2``, ``mu``, ``10k_mu``) and decimals of the rounded figures.
    rounding_adjusted : bool
        Whether the rounded rows were adjusted to add up (平差).
    warnings : list of str
    layer : str or None
        How the layer was named (a path or a project layer id).
    provenance : dict or None
        The inputs' record (added by the caller).
    """

    rows: pd.DataFrame
    total_m2: float
    total: float
    share_pct: float | None
    overlap_removed_m2: float
    outside_boundary_m2: float
    boundary_m2: float | None
    method: dict
    unit: str
    decimals: int
    rounding_adjusted: bool
    sum_of_features_m2: float = 0.0
    features: int = 0
    warnings: list = field(default_factory=list)
    layer: str | None = None
    provenance: dict | None = None

    @classmethod
    def from_shares(cls, shares: dict, *, unit: str = "ha", decimals: int = 4, layer: str | None = None,
                    warnings: list[str] | None = None) -> AreaResult:
        """From the dict of :func:`redline.spatial.shares.area_shares`, with figures in ``unit``; ``warnings``
        (e.g. the reader's) come before the computation's."""
        unit = parse_unit(unit)
        rows = pd.DataFrame(shares["rows"], columns=list(shares["rows"][0]) if shares["rows"]
                            else ["key", "area_m2", "share_pct"])
        values, adjusted = rounded_rows(rows["area_m2"].tolist(), shares["total_m2"], unit, decimals)
        rows["area"] = values
        notes = list(warnings or []) + list(shares["warnings"])
        if adjusted:
            notes.append(f"rounded rows adjusted to add up to the rounded total (平差, largest remainder, "
                         f"{decimals} decimals)")
        return cls(rows=rows, total_m2=shares["total_m2"], total=round(from_m2(shares["total_m2"], unit), decimals),
                   share_pct=shares["share_pct"], overlap_removed_m2=shares["overlap_removed_m2"],
                   outside_boundary_m2=shares["outside_boundary_m2"], boundary_m2=shares["boundary_m2"],
                   method=shares["method"], unit=unit, decimals=decimals, rounding_adjusted=adjusted,
                   sum_of_features_m2=shares["sum_of_features_m2"], features=shares["features"], warnings=notes,
                   layer=layer)

    @property
    def unit_label(self) -> str:
        """The unit in Chinese (公顷, 平方千米, 亩 …)."""
        return unit_label(self.unit)

    def to_dict(self) -> dict:
        """The JSON ``redline area --json`` prints."""
        rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items() if k != "area"}
                for r in self.rows.to_dict("records")]
        rounded = [[r["key"], r["area"], None if pd.isna(r["share_pct"]) else round(r["share_pct"], 2)]
                   for r in self.rows.to_dict("records")]
        out = {"method": self.method, "total_m2": self.total_m2, "sum_of_features_m2": self.sum_of_features_m2,
               "overlap_removed_m2": self.overlap_removed_m2, "outside_boundary_m2": self.outside_boundary_m2,
               "boundary_m2": self.boundary_m2, "share_pct": self.share_pct, "features": self.features,
               "rows": rows, "warnings": self.warnings, "layer": self.layer, "unit": self.unit,
               "unit_label": self.unit_label, "total": self.total, "rounded_rows": rounded,
               "rounding_adjusted": self.rounding_adjusted}
        if self.provenance is not None:
            out["provenance"] = self.provenance
        return out
