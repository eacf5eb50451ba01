"""The Excel sheet and the terminal table of an area statistic (``redline area --xlsx``, ``redline area``);
the table itself (rounded rows that add up, 平差, the reconciling row, the notes) is
:meth:`redline.spatial.area_result.AreaResult.table`, so the terminal, the XLSX and the JSON show the same."""

from __future__ import annotations

from redline.maps.report.text import text_table


def area_sheet(result: dict) -> tuple[list[str], list[list], list[str]]:
    """Header, rows (the total last) and notes of the Excel sheet of an area statistic.

    ``result`` is the JSON of an area result (:meth:`~redline.spatial.area_result.AreaResult.to_dict`): its
    ``table`` and ``warnings``.

    >>> header, rows, notes = area_sheet({"table": {"header": ["分区", "面积（公顷）", "占全县（%）"],
    ...     "rows": [["甲镇", 0.5, 50.0], ["合计", 1.0, 100.0]], "notes": ["面积计算方法：椭球面积"]},
    ...     "warnings": []})
    >>> header, rows[-1], notes
    (['分区', '面积（公顷）', '占全县（%）'], ['合计', 1.0, 100.0], ['面积计算方法：椭球面积'])
    """
    t = result["table"]
    notes = list(t["notes"]) + [f"程序提示：{w}" for w in result.get("warnings", [])]
    return list(t["header"]), [list(r) for r in t["rows"]], notes


def area_text(result: dict) -> list[str]:
    """The table of an area statistic as terminal lines (numbers with the result's decimals, shares with 2).

    >>> print("\\n".join(area_text({"decimals": 2, "table": {"header": ["分区", "面积（公顷）", "占全县（%）"],
    ...     "rows": [["甲镇", 0.5, 50.0], ["合计", 1.0, 100.0]], "notes": ["面积计算方法：椭球面积"]}})))
      分区  面积（公顷）  占全县（%）
      ----  ------------  -----------
      甲镇          0.50        50.00
      合计          1.00       100.00
      面积计算方法：椭球面积
    """
    t = result["table"]
    d = result.get("decimals", 4)
    header = t["header"]

    def cell(j: int, v) -> str:
        if v is None:
            return ""
        if isinstance(v, str):
            return v
        return f"{v:.2f}" if "%" in header[j] else f"{v:.{d}f}"

    rows = [[cell(j, v) for j, v in enumerate(r)] for r in t["rows"]]
    return text_table(header, rows, right=set(range(1, len(header)))) + [f"  {n}" for n in t["notes"]]
