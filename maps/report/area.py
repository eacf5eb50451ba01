"""The table of an area statistic (``redline area``): rows in the chosen unit, rounded so that they add up to
the rounded total (平差, largest remainder), and the sheet written to Excel.

Example
-------
>>> result = {"rows": [{"key": "甲镇", "area_m2": 10_000 / 3, "share_pct": 1 / 3},
...                    {"key": "乙镇", "area_m2": 10_000 / 3, "share_pct": 1 / 3},
...                    {"key": "丙镇", "area_m2": 10_000 / 3, "share_pct": 1 / 3}],
...           "total_m2": 10_000.0, "share_pct": 1.0}
>>> area_table(result, "ha", 2)
([['甲镇', 0.34, 0.33], ['乙镇', 0.33, 0.33], ['丙镇', 0.33, 0.33]], True)
"""

from __future__ import annotations

from redline.spatial.units import from_m2, largest_remainder_round, unit_label


def area_table(result: dict, unit: str, decimals: int) -> tuple[list[list], bool]:
    """Rows of ``[key, area in unit, share %]`` rounded so that they add up to the rounded total.

    Parameters
    ----------
    result : dict
        The result of :func:`redline.spatial.shares.area_shares` (``rows``, ``total_m2``).
    unit : str
        A unit of :func:`redline.spatial.units.parse_unit` (``"ha"``, ``"km2"``, ``"mu"`` …).
    decimals : int
        Decimals of the areas; shares keep 2.

    Returns
    -------
    rows, adjusted
        The rows, and whether the rounded parts were adjusted (平差) to add up to the rounded total; they
        are not when the parts do not add up to the total in the first place (overlapping zones).
    """
    values = [from_m2(r["area_m2"], unit) for r in result["rows"]]
    total = from_m2(result["total_m2"], unit)
    adjusted = False
    if values and abs(sum(values) - total) <= 1e-6 * max(total, 1):
        values, adjusted = largest_remainder_round(values, decimals, total=round(total, decimals))
    else:
        values = [round(v, decimals) for v in values]
    rows = [[r["key"], v, None if r["share_pct"] is None else round(r["share_pct"], 2)]
            for r, v in zip(result["rows"], values, strict=True)]
    return rows, adjusted


def area_sheet(result: dict) -> tuple[list[str], list[list], list[str]]:
    """Header, rows (with the total last) and notes of the Excel sheet of an area statistic.

    ``result`` is the area result completed by ``redline area``: ``unit``, ``rounded_rows`` (from
    :func:`area_table`), ``total`` (rounded), ``share_pct``, ``method`` and ``warnings``.

    >>> header, rows, notes = area_sheet({"unit": "ha", "rounded_rows": [["甲镇", 0.5, 50.0]], "total": 1.0,
    ...                                   "share_pct": 100.0, "method": {"description": "椭球面积"},
    ...                                   "warnings": []})
    >>> header, rows[-1], notes
    (['分类 key', '面积 (公顷)', '占比 (%)'], ['合计 total', 1.0, 100.0], ['方法 method: 椭球面积'])
    """
    header = ["分类 key", f"面积 ({unit_label(result['unit'])})", "占比 (%)"]
    share = result["share_pct"]
    rows = [*result["rounded_rows"], ["合计 total", result["total"], None if share is None else round(share, 2)]]
    notes = [f"方法 method: {result['method']['description']}"] + [f"警告 warning: {w}" for w in result["warnings"]]
    return header, rows, notes
