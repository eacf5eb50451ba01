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


def balanced(parts: list[float], total: float, decimals: int) -> tuple[list[float], bool]:
    """``parts`` (which add up to ``total`` before rounding) rounded to ``decimals`` so that they add up to
    the rounded total (平差, largest remainder); a part may be negative (an overlap taken off).

    >>> balanced([4.665, 4.665, 4.67], 14.0, 2)                 # 4.67 + 4.67 + 4.67 would be 14.01
    ([4.67, 4.66, 4.67], True)
    """
    if not parts:
        return [], False
    return largest_remainder_round(parts, decimals, total=round(total, decimals))


RECONCILE_LABELS = {  # (breakdown, sign of total − rows) → the row that makes the table add up
    ("by", -1): "扣除：不同类别间的重叠",
    ("by", 1): "未归类",
    ("zones", -1): "扣除：分区之间的重叠",
    ("zones", 1): "不在任何分区内",
}


@dataclass
class AreaResult:
    """A layer's dissolved area, its share of a boundary, and a breakdown.

    Attributes
    ----------
    rows : DataFrame
        The breakdown (by attribute or by zones): ``key``, ``area_m2``, ``share_pct`` (of the boundary),
        with zones also ``zone_m2`` (the zone's own area) and ``share_of_zone_pct``; ``area`` is ``area_m2``
        in ``unit`` and ``share`` is ``share_pct``, rounded (to ``decimals`` and to 2) so that, with the
        reconciling row (:attr:`reconcile`), they add up to :attr:`total` and to the rounded share (平差);
        zones also ``zone_area`` (in ``unit``) and ``zone_share`` (2 decimals).
    reconcile_m2, reconcile, reconcile_share : float
        What makes the rows add up to the total when they do not make it up: negative when rows overlap
        (features of different ``by`` values, or overlapping zones, counted in both), positive for the part
        in no zone. :meth:`table` shows it as a row of its own (:attr:`reconcile_label`).
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
    breakdown: str | None = None           # "by" (an attribute), "zones", or None
    by: str | None = None                  # the attribute of a "by" breakdown
    reconcile_m2: float = 0.0              # total − sum of the rows: < 0 when rows overlap, > 0 when some is in none
    reconcile: float = 0.0                 # the same in ``unit``, rounded (平差 with the rows)
    reconcile_share: float | None = None   # its share of the boundary, rounded (平差 with the rows' shares)
    share_adjusted: bool = False           # whether the rounded shares were adjusted to add up (平差)
    share_label: str = "占边界"            # the share column: 占全县, 占全市 … when the boundary is the region's

    @classmethod
    def from_shares(cls, shares: dict, *, unit: str = "ha", decimals: int = 4, layer: str | None = None,
                    warnings: list[str] | None = None, by: str | None = None, share_label: str = "占边界"
                    ) -> AreaResult:
        """From the dict of :func:`redline.spatial.shares.area_shares`, with figures in ``unit``; ``warnings``
        (e.g. the reader's) come before the computation's; ``by`` names the attribute of the breakdown."""
        unit = parse_unit(unit)
        rows = pd.DataFrame(shares["rows"], columns=list(shares["rows"][0]) if shares["rows"]
                            else ["key", "area_m2", "share_pct"])
        zones = "zone_m2" in rows.columns
        breakdown = "zones" if zones else ("by" if len(rows) or by else None)
        total_m2, boundary_m2 = shares["total_m2"], shares["boundary_m2"]
        total_u = from_m2(total_m2, unit)
        parts = [from_m2(v, unit) for v in rows["area_m2"]]
        diff = total_u - sum(parts)
        # a difference the rounded table would show gets a row of its own; a smaller one is absorbed (平差)
        shown = len(parts) > 0 and abs(diff) >= 0.5 * 10.0 ** -decimals
        values, adjusted = balanced(parts + ([diff] if shown else []), total_u, decimals) if len(parts) \
            else ([], False)
        reconcile = values.pop() if shown else 0.0
        rows["area"] = values
        rshare, share_adj = None, False
        if boundary_m2:
            sp = [100.0 * v / boundary_m2 for v in rows["area_m2"]]
            sparts = sp + ([100.0 * (total_m2 - sum(rows["area_m2"])) / boundary_m2] if shown else [])
            shares_r, share_adj = balanced(sparts, shares["share_pct"], 2) if sp else ([], False)
            rshare = shares_r.pop() if shown else None
            rows["share"] = shares_r
        else:
            rows["share"] = None
        if zones:
            za, _ = rounded_rows(rows["zone_m2"].tolist(), boundary_m2 or 0.0, unit, decimals)
            rows["zone_area"] = za
            rows["zone_share"] = [None if v is None or v != v else round(v, 2) for v in rows["share_of_zone_pct"]]
        notes = list(warnings or []) + list(shares["warnings"])
        if adjusted or share_adj:
            notes.append(f"rounded rows adjusted to add up to the rounded total (平差, largest remainder, "
                         f"{decimals} decimals)")
        return cls(rows=rows, total_m2=total_m2, total=round(total_u, decimals), share_pct=shares["share_pct"],
                   overlap_removed_m2=shares["overlap_removed_m2"],
                   outside_boundary_m2=shares["outside_boundary_m2"], boundary_m2=boundary_m2,
                   method=shares["method"], unit=unit, decimals=decimals, rounding_adjusted=adjusted,
                   sum_of_features_m2=shares["sum_of_features_m2"], features=shares["features"], warnings=notes,
                   layer=layer, breakdown=breakdown, by=by,
                   reconcile_m2=(total_m2 - float(rows["area_m2"].sum())) if shown else 0.0,
                   reconcile=reconcile, reconcile_share=rshare, share_adjusted=share_adj, share_label=share_label)

    @property
    def reconcile_label(self) -> str | None:
        """The row that makes the table add up (扣除：不同类别间的重叠, 不在任何分区内 …), or None."""
        if not self.reconcile_m2:
            return None
        return RECONCILE_LABELS[(self.breakdown or "by", -1 if self.reconcile_m2 < 0 else 1)]

    @property
    def unit_label(self) -> str:
        """The unit in Chinese (公顷, 平方千米, 亩 …)."""
        return unit_label(self.unit)

    def table(self) -> dict:
        """The table as an officer reads it, the same in the terminal, the XLSX and the JSON: ``header``,
        ``rows`` (rounded numbers; the reconciling row, if any, then 合计 last) and ``notes`` (Chinese).

        Example
        -------
        >>> import geopandas as gpd, shapely
        >>> from redline.spatial.shares import area_shares
        >>> county = gpd.GeoDataFrame(geometry=[shapely.box(37_450_000, 4_200_000, 37_460_000, 4_210_000)],
        ...                           crs=4525)
        >>> red = gpd.GeoDataFrame({"HXLX": ["甲", "乙"]}, geometry=[shapely.box(37_450_000, 4_200_000,
        ...     37_453_000, 4_210_000), shapely.box(37_452_000, 4_200_000, 37_455_000, 4_210_000)], crs=4525)
        >>> t = AreaResult.from_shares(area_shares(red, county, by="HXLX"), unit="km2", decimals=2,
        ...                            by="HXLX").table()
        >>> t["header"]
        ['分类（HXLX）', '面积（平方千米）', '占边界（%）']
        >>> [r[:2] for r in t["rows"]]
        [['甲', 30.0], ['乙', 30.0], ['扣除：不同类别间的重叠', -10.0], ['合计', 50.0]]
        """
        lab = self.unit_label
        first = "分区" if self.breakdown == "zones" else (f"分类（{self.by}）" if self.by else "分类")
        header = [first, f"面积（{lab}）"]
        has_share = self.boundary_m2 is not None and self.boundary_m2 > 0
        if has_share:
            header.append(f"{self.share_label}（%）")
        zones = self.breakdown == "zones"
        if zones:
            header += [f"分区面积（{lab}）", "占分区（%）"]
        out = []
        for r in self.rows.to_dict("records"):
            row = [str(r["key"]), r["area"]]
            if has_share:
                row.append(r["share"])
            if zones:
                row += [r["zone_area"], r["zone_share"]]
            out.append(row)
        if self.reconcile_label:
            row = [self.reconcile_label, self.reconcile]
            if has_share:
                row.append(self.reconcile_share)
            if zones:
                row += [None, None]
            out.append(row)
        share_total = None if self.share_pct is None else round(self.share_pct, 2)
        total_row = ["合计", self.total] + ([share_total] if has_share else [])
        if zones:
            total_row += [round(from_m2(self.boundary_m2, self.unit), self.decimals) if self.boundary_m2 else None,
                          share_total]
        out.append(total_row)
        return {"header": header, "rows": out, "notes": self.table_notes()}

    def table_notes(self) -> list[str]:
        """What the table says under it, in Chinese: the method, the overlap removed, what lies outside the
        boundary, the reconciling row and 平差."""
        lab, d = self.unit_label, self.decimals
        notes = [f"面积计算方法：{self.method.get('description', '')}"]
        if self.overlap_removed_m2:
            notes.append(f"图层要素相互重叠的{from_m2(self.overlap_removed_m2, self.unit):.{d}f}{lab}只计一次"
                         "（合计为融合后的面积）。")
        if self.outside_boundary_m2:
            notes.append(f"图层有{from_m2(self.outside_boundary_m2, self.unit):.{d}f}{lab}位于边界范围外，未计入。")
        if self.reconcile_m2 < 0 and self.breakdown == "zones":
            notes.append(f"分区之间相互重叠，重叠处的图层面积在各分区中重复计入，共{-self.reconcile:.{d}f}{lab}，"
                         "以“扣除：分区之间的重叠”一行扣除，合计为实际面积。")
        elif self.reconcile_m2 < 0:
            notes.append(f"各类别分别融合计算；不同类别的图斑相互重叠，重叠部分在各类别中重复计入，共{-self.reconcile:.{d}f}"
                         f"{lab}，以“扣除：不同类别间的重叠”一行扣除，合计为融合后的实际面积。")
        elif self.reconcile_m2 > 0:
            notes.append(f"有{self.reconcile:.{d}f}{lab}不在任何分区内（分区未覆盖整个边界范围），单列一行，"
                         "合计为实际面积。")
        if self.breakdown == "zones":
            notes.append("分区面积为各分区自身的面积（计算方法同上），“占分区”为图层在该分区内的面积占该分区面积的比例；"
                         "合计行的分区面积为边界范围的面积。")
        if self.rounding_adjusted or self.share_adjusted:
            notes.append(f"表中面积（{d}位小数）和占比（2位小数）经平差（最大余数法），各行之和等于合计。")
        return notes

    def to_dict(self) -> dict:
        """The JSON ``redline area --json`` prints."""
        rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()
                 if k not in ("area", "share", "zone_area", "zone_share")}
                for r in self.rows.to_dict("records")]
        rounded = [[r["key"], r["area"], None if r["share"] is None or r["share"] != r["share"] else r["share"]]
                   for r in self.rows.to_dict("records")]
        out = {"method": self.method, "total_m2": self.total_m2, "sum_of_features_m2": self.sum_of_features_m2,
               "overlap_removed_m2": self.overlap_removed_m2, "outside_boundary_m2": self.outside_boundary_m2,
               "boundary_m2": self.boundary_m2, "share_pct": self.share_pct, "features": self.features,
               "rows": rows, "warnings": self.warnings, "layer": self.layer, "unit": self.unit,
               "unit_label": self.unit_label, "decimals": self.decimals, "total": self.total, "rounded_rows": rounded,
               "rounding_adjusted": self.rounding_adjusted or self.share_adjusted,
               "reconcile": None if not self.reconcile_m2 else
               {"label": self.reconcile_label, "area_m2": self.reconcile_m2, "area": self.reconcile,
                "share": self.reconcile_share},
               "table": self.table()}
        if self.provenance is not None:
            out["provenance"] = self.provenance
        return out
