"""Tables of a site check and Excel writing: the rows of ``check.xlsx`` (and of ``sites.csv``, ``hits.csv``,
whose builders live with the check engine in :mod:`redline.spatial.check_tables`), and XLSX workbooks whose
text cells can never run as formulas.

Workbooks are written with openpyxl's write-only mode: rows go to the file as they are appended, so the
time and memory grow linearly with the rows. Numbers keep fixed decimals as number formats (公顷 4,
平方米 2, 米 2, % 2).

Example
-------
>>> result = {"sites": [], "provenance": {"inputs": [{"role": "layer", "label": "生态保护红线",
...           "source": "示范县自然资源局", "vintage": "2026-06-30", "path": "红线.shp", "sha256": "ab12"}]}}
>>> input_rows(result)[0]["用途"], input_rows(result)[0]["数据来源"]
('管控图层', '示范县自然资源局')
>>> check_xlsx(result)[:2]
b'PK'
"""

from __future__ import annotations

import io
import os
import warnings

from redline.layers.outputs import atomic_path
from redline.spatial.check_tables import (
    FORMULA_PREFIXES,
    hit_rows,
    printable,
    rounded,
    safe_cell,
    site_rows,
    to_csv,
)
from redline.spatial.rules import LEVEL_LABELS

__all__ = ["EXCEL_MAX_ROWS", "FORMULA_PREFIXES", "ROLE_LABELS", "ReportWarning", "check_xlsx", "finding_rows",
           "hit_rows", "input_rows", "layer_rows", "nearest_rows", "printable", "printable_copy", "safe_cell",
           "site_rows", "table_xlsx", "to_csv", "write_table_xlsx"]

ROLE_LABELS = {"sites": "项目用地", "layer": "管控图层", "project": "项目文件", "rules": "规则文件"}
NUMBER_FORMATS = {"（公顷）": "0.0000", "（平方米）": "0.00", "（米）": "0.00", "（%）": "0.00"}
HEADER_FILL = "DDE7F0"
EXCEL_MAX_ROWS = 1_048_576      # rows of one worksheet, header included


class ReportWarning(UserWarning):
    """Something an output leaves out (maps not drawn, rows beyond a worksheet's size): said, not fatal."""


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
def layer_rows(result: dict) -> list[dict]:
    """One row per site and control layer: the layer summary (overlaps counted once) or the nearest feature."""
    rows = []
    for s in result.get("sites", []):
        near = {n["layer"]: n for n in s["nearest"]}
        cov = s.get("coverage") or {}
        untouched = "否" if cov.get("inside", True) else "数据未完全覆盖，覆盖范围内否"
        for L in s["layers"]:
            n = near.get(L["layer"])
            rows.append({
                "项目编号": s["site_id"], "项目名称": s["name"], "图层": L.get("label") or L["layer"],
                "图层标识": L["layer"], "图层类型": L["kind"], "是否压覆": "是" if L.get("touched") else untouched,
                "压覆图斑数": L.get("features", 0),
                "压覆面积（平方米）": rounded(L["overlap_m2"], 2), "压覆面积（公顷）": rounded(L["overlap_m2"] / 1e4, 4),
                "压覆长度（米）": rounded(L["overlap_length_m"], 2), "占项目用地（%）": rounded(L["pct_of_site"], 2),
                "最近要素": n["feature_name"] if n else None,
                "最近距离（米）": rounded(n["distance_m"], 2) if n else None,
            })
    return rows


def nearest_rows(result: dict) -> list[dict]:
    """One row per site and untouched layer with a feature within the search distance."""
    rows = []
    for s in result.get("sites", []):
        for n in s["nearest"]:
            rows.append({"项目编号": s["site_id"], "项目名称": s["name"], "图层": n.get("label") or n["layer"],
                         "要素编号": n["feature_id"], "要素名称": n["feature_name"],
                         "距离（米）": rounded(n["distance_m"], 2)})
    return rows


def finding_rows(result: dict) -> list[dict]:
    """One row per finding (rule applied to a site), with its level and clause."""
    rows = []
    for s in result.get("sites", []):
        for f in s["findings"]:
            rows.append({"项目编号": s["site_id"], "项目名称": s["name"], "结论": s.get("verdict_text") or s["verdict"],
                         "规则": f.get("title") or f["rule"], "级别": LEVEL_LABELS.get(f["level"], f["level"]),
                         "情形": f["message"], "依据条款": f["clause"]})
    return rows


def input_rows(result: dict) -> list[dict]:
    """One row per input file of the provenance: role, layer, stated source and date, path, SHA-256."""
    rows = []
    for rec in (result.get("provenance") or {}).get("inputs", []):
        rows.append({"用途": ROLE_LABELS.get(rec.get("role"), rec.get("role") or ""),
                     "图层": rec.get("label") or rec.get("layer"), "数据来源": rec.get("source"),
                     "数据日期": rec.get("vintage"), "文件": rec.get("path"), "SHA-256": rec.get("sha256")})
    return rows


# ------------------------------------------------------------------------------------------------ XLSX
def _column_width(name: str, rows: list[dict]) -> float:
    """A column width from the header and the first 200 values (CJK text about twice as wide)."""
    width = max(len(str(name)) * 2, *(min(len(str(r[name] or "")), 60) * 1.6 for r in rows[:200]))
    return max(8, min(width, 80))


def _add_sheet(wb, title: str, rows: list[dict]) -> None:
    """One sheet of dict rows: bold shaded header, number formats by column name, frozen header row."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    if not rows:
        ws.append(["（无）"])
        return
    header = list(rows[0].keys())
    for j, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(j)].width = _column_width(name, rows)
    ws.freeze_panes = "A2"
    head = []
    for name in header:
        c = WriteOnlyCell(ws, value=name)
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor=HEADER_FILL)
        c.alignment = Alignment(wrap_text=True, vertical="center")
        head.append(c)
    ws.append(head)
    # One styled cell per numeric column, refilled row after row: a write-only sheet writes each row out
    # when it is appended, so the cell is free again for the next row (no cell object per value).
    styled: dict[int, WriteOnlyCell] = {}
    for j, name in enumerate(header):
        fmt = next((f for suffix, f in NUMBER_FORMATS.items() if name.endswith(suffix)), None)
        if fmt:
            styled[j] = WriteOnlyCell(ws)
            styled[j].number_format = fmt
    room = EXCEL_MAX_ROWS - 2       # the header, and a last row saying what did not fit
    for r in rows[:room] if len(rows) > room + 1 else rows:
        values = [safe_cell(v) for v in r.values()]
        for j, cell in styled.items():
            if values[j] is not None:
                cell.value = values[j]
                values[j] = cell
        ws.append(values)
    if len(rows) > room + 1:
        ws.append([f"（本表共{len(rows)}行，超出 Excel 工作表的行数上限，仅列出前{room}行；完整结果见 check.json 及 CSV 文件）"])
        warnings.warn(f"check.xlsx sheet {title}: {len(rows):,} rows, more than a worksheet holds; the first "
                      f"{room:,} are written, every row is in check.json and the CSV files", ReportWarning,
                      stacklevel=3)


def check_xlsx(result: dict) -> bytes:
    """The workbook of a check: 项目汇总, 图层汇总, 压覆明细, 最近距离, 审查意见, 数据来源 (fixed decimals,
    escaped text), every site in it.

    Parameters
    ----------
    result : dict
        A check result as ``check.json`` holds it.
    """
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, rows in (("项目汇总", site_rows(result)), ("图层汇总", layer_rows(result)),
                        ("压覆明细", hit_rows(result)), ("最近距离", nearest_rows(result)),
                        ("审查意见", finding_rows(result)), ("数据来源", input_rows(result))):
        _add_sheet(wb, title, rows)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table_xlsx(title: str, header: list, rows: list[list], notes: list[str] | None = None,
               sheets: dict | None = None) -> bytes:
    """One table (and optional extra sheets ``{name: (header, rows)}``) as a workbook, text made safe.

    ``notes`` are appended below the first table, one per row.

    >>> from openpyxl import load_workbook
    >>> data = table_xlsx("面积统计", ["分类", "面积"], [["=甲", 1.5]], notes=["方法：椭球面积"])
    >>> ws = load_workbook(io.BytesIO(data))["面积统计"]
    >>> [[c.value for c in row] for row in ws.iter_rows()]
    [['分类', '面积'], ["'=甲", 1.5], ['方法：椭球面积', None]]
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    for k, (name, (h, r)) in enumerate([(title, (header, rows)), *(sheets or {}).items()]):
        ws = wb.create_sheet(name[:31])
        head = []
        for v in h:
            c = WriteOnlyCell(ws, value=safe_cell(v))
            c.font = Font(bold=True)
            head.append(c)
        ws.append(head)
        for row in r:
            ws.append([safe_cell(c) for c in row])
        if k == 0:
            for note in notes or []:
                ws.append([safe_cell(note)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_table_xlsx(path: str | os.PathLike, title: str, header: list, rows: list[list],
                     notes: list[str] | None = None, sheets: dict | None = None) -> None:
    """Write :func:`table_xlsx` to ``path``, whole or not at all."""
    data = table_xlsx(title, header, rows, notes=notes, sheets=sheets)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
