"""The workbooks of a check and of the other commands: ``check.xlsx`` (every table of a check, one sheet
each), and small tables with notes (``area --xlsx``, ``audit --xlsx``); text cells never run as formulas
(they are shared strings, and a leading ``= + - @`` is made visible), numbers keep fixed decimals.

The check's tables come from :mod:`redline.spatial.check.frames`; the writing from
:mod:`redline.maps.report.xlsx`.

Example
-------
>>> result = {"sites": [], "provenance": {"inputs": [{"role": "layer", "label": "生态保护红线",
...           "source": "示范县自然资源局", "vintage": "2026-06-30", "path": "红线.shp", "sha256": "ab12"}]}}
>>> input_rows(result)[0]["用途"], input_rows(result)[0]["数据来源"]
('管控图层', '示范县自然资源局')
"""

from __future__ import annotations

import os

import pandas as pd

from redline.layers.outputs import write_bytes
from redline.maps.report.xlsx import EXCEL_MAX_ROWS, ReportWarning, Sheet, provenance_sheet, xlsx_bytes
from redline.spatial.check_tables import FORMULA_PREFIXES, printable, safe_cell

__all__ = ["EXCEL_MAX_ROWS", "FORMULA_PREFIXES", "ROLE_LABELS", "ReportWarning", "check_xlsx", "input_rows",
           "printable", "printable_copy", "safe_cell", "table_xlsx", "write_table_xlsx"]

ROLE_LABELS = {"sites": "项目用地", "layer": "管控图层", "project": "项目文件", "rules": "规则文件"}


def printable_copy(obj):
    """A copy of a JSON-like structure with :func:`printable` applied to every string in it.

    >>> printable_copy({"name": ["红线\\x01甲", 3]})
    {'name': ['红线甲', 3]}
    """
    if isinstance(obj, str):
        return printable(obj)
    if isinstance(obj, dict):
        return {k: printable_copy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [printable_copy(v) for v in obj]
    return obj


# ------------------------------------------------------------------------------------------------ rows
def input_rows(result: dict) -> list[dict]:
    """One row per input file of the provenance: role, layer, stated source and date, path, SHA-256."""
    rows = []
    for rec in (result.get("provenance") or {}).get("inputs", []):
        rows.append({"用途": ROLE_LABELS.get(rec.get("role"), rec.get("role") or ""),
                     "图层": rec.get("label") or rec.get("layer"), "数据来源": rec.get("source"),
                     "数据日期": rec.get("vintage"), "文件": rec.get("path"), "SHA-256": rec.get("sha256")})
    return rows


# ------------------------------------------------------------------------------------------------ XLSX
def check_xlsx(result, *, sites: pd.DataFrame | None = None, hits: pd.DataFrame | None = None) -> bytes:
    """The workbook of a check: 项目汇总, 图层汇总, 压覆明细, 最近距离, 审查意见, 数据来源 (fixed decimals, text made
    safe), every site in it.

    Parameters
    ----------
    result : redline.spatial.check.CheckResult
        The check, with its provenance.
    sites, hits : DataFrame, optional
        Its ``site_frame`` and ``hit_frame`` when already made (for the CSV files); made here otherwise.
    """
    from redline.spatial.check.frames import finding_frame, hit_frame, layer_frame, nearest_frame, site_frame

    inputs = pd.DataFrame(input_rows({"provenance": result.provenance}),
                          columns=["用途", "图层", "数据来源", "数据日期", "文件", "SHA-256"])
    for col in inputs.columns:
        inputs[col] = inputs[col].map(safe_cell)
    sheets = [Sheet("项目汇总", site_frame(result) if sites is None else sites), Sheet("图层汇总", layer_frame(result)),
              Sheet("压覆明细", hit_frame(result) if hits is None else hits), Sheet("最近距离", nearest_frame(result)),
              Sheet("审查意见", finding_frame(result)), Sheet("数据来源", inputs)]
    if result.provenance is not None:
        sheets.append(provenance_sheet(result.provenance))
    return xlsx_bytes(sheets)


def table_xlsx(title: str, header: list, rows: list[list], notes: list[str] | None = None,
               sheets: dict | None = None, provenance: dict | None = None) -> bytes:
    """One table (and optional extra sheets ``{name: (header, rows)}``) as a workbook, text made safe.

    ``notes`` are appended below the first table, one per row; ``provenance`` goes into a hidden sheet
    (:func:`redline.maps.report.xlsx.provenance_sheet`) for ``redline verify``.

    >>> import io
    >>> from openpyxl import load_workbook
    >>> data = table_xlsx("面积统计", ["分类", "面积"], [["=甲", 1.5]], notes=["方法：椭球面积"])
    >>> ws = load_workbook(io.BytesIO(data))["面积统计"]
    >>> [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()]
    [[('分类', 's'), ('面积', 's')], [('=甲', 's'), (1.5, 'n')], [('方法：椭球面积', 's'), (None, 'n')]]
    """
    def frame(h: list, r: list[list]) -> pd.DataFrame:
        names = [safe_cell(str(v)) for v in h]
        width = len(names)
        return pd.DataFrame([[safe_cell(c) for c in (list(row) + [None] * (width - len(row)))[:width]] for row in r],
                            columns=names).astype(object) if r else pd.DataFrame({n: [] for n in names})

    sheets_ = [Sheet(title, frame(header, rows), notes=[safe_cell(n) for n in notes or []], shaded_header=False),
               *(Sheet(name, frame(h, r), shaded_header=False) for name, (h, r) in (sheets or {}).items())]
    if provenance is not None:
        sheets_.append(provenance_sheet(provenance))
    return xlsx_bytes(sheets_)


def write_table_xlsx(path: str | os.PathLike, title: str, header: list, rows: list[list],
                     notes: list[str] | None = None, sheets: dict | None = None,
                     provenance: dict | None = None) -> None:
    """Write :func:`table_xlsx` to ``path``, whole or not at all."""
    write_bytes(path, table_xlsx(title, header, rows, notes=notes, sheets=sheets, provenance=provenance))
