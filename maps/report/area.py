"""The Excel sheet of an area statistic (``redline area --xlsx``); the rounded rows that add up (平差) are
:class:`redline.spatial.area_result.AreaResult`'s."""

from __future__ import annotations

from redline.spatial.units import unit_label


def area_sheet(result: dict) -> tuple[list[str], list[list], list[str]]:
    """Header, rows (with the total last) and notes of the Excel sheet of an area statistic.

    ``result`` is the area result completed by ``redline area``: ``unit``, ``rounded_rows`` (from
    :class:`~redline.spatial.area_result.AreaResult`), ``total`` (rounded), ``share_pct``, ``method`` and ``warnings``.

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
