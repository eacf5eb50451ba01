"""The two tables of a site check that every engine writes: ``sites.csv`` (one row per site) and ``hits.csv``
(one row per overlapped feature), as rows with Chinese column names, and the CSV bytes they are written as.

They live here, beside the check engine, because the streaming engine appends them chunk by chunk; the
other tables and the reports are built at the output edge (:mod:`redline.maps.report`).

Text that may come from users' data passes through :func:`safe_cell` on the way out: control characters are
dropped (XML cannot hold them, terminals show them as garbage) and a cell starting with ``= + - @`` gets a
leading apostrophe, so that a spreadsheet never runs it as a formula.

Example
-------
>>> result = {"sites": [{"site_id": "S1", "name": "=1+1", "geometry_type": "Point", "area_m2": None,
...            "length_m": None, "verdict": "符合", "layers": [], "hits": [], "findings": []}]}
>>> to_csv(site_rows(result)).decode("utf-8-sig").splitlines()[1]
"S1,'=1+1,,,,,Point,,,,符合,,,0,0,是,"
"""

from __future__ import annotations

import csv
import io
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """The text without C0 control characters other than tab, newline and carriage return (which XML,
    and so XLSX and DOCX, cannot hold, and which HTML would show as garbage).

    >>> printable("红线\x01\x1b[31m甲")
    '红线[31m甲'
    """
    return _CONTROL.sub("", text)


def safe_cell(value):
    """A cell value that a spreadsheet shows as text: control characters removed, then text starting with
    ``= + - @`` (or a tab/CR) gets a leading apostrophe so it never runs as a formula; numbers pass through.

    >>> safe_cell("=HYPERLINK(1)"), safe_cell(-1.5), safe_cell("\x01+86")
    ("'=HYPERLINK(1)", -1.5, "'+86")
    """
    if isinstance(value, str):
        value = printable(value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def rounded(value, decimals: int):
    """A number rounded for a table cell; None stays None.

    >>> rounded(1.23456, 2), rounded(None, 2)
    (1.23, None)
    """
    return None if value is None else round(float(value), decimals)


def _unchecked(site: dict) -> str | None:
    """The core control layers not checked, from the verdict text (符合（未核查：永久基本农田）→ 永久基本农田)."""
    text, v = site.get("verdict_text") or "", site["verdict"]
    return text[len(v):].strip("（）").removeprefix("未核查：") or None if text.startswith(v) else None


def site_rows(result: dict) -> list[dict]:
    """One row per site (Chinese column names), for ``sites.csv`` and the XLSX.

    Parameters
    ----------
    result : dict
        A check result as ``check.json`` holds it (its ``sites`` list).
    """
    rows = []
    for s in result.get("sites", []):
        touched = [L for L in s["layers"] if L.get("touched")]
        rows.append({
            "项目编号": s["site_id"], "项目名称": s["name"], "位置": s.get("location"),
            "项目类型": s.get("project_type_label"),
            "类型标识": s.get("project_type"), "类型来源": s.get("type_source"), "几何类型": s["geometry_type"],
            "用地面积（平方米）": rounded(s["area_m2"], 2), "用地面积（公顷）": rounded(s["area_m2"] / 1e4, 4)
            if s["area_m2"] is not None else None,
            "线路长度（米）": rounded(s["length_m"], 2), "结论": s["verdict"],
            "未核查的核心图层": _unchecked(s),
            "压覆图层": "、".join(L.get("label") or L["layer"] for L in touched),
            "禁止条款数": sum(f["level"] == "prohibited" for f in s["findings"]),
            "需论证条款数": sum(f["level"] == "needs_review" for f in s["findings"]),
            "在数据覆盖范围内": "是" if (s.get("coverage") or {}).get("inside", True) else "否",
            "来源文件": s.get("source"),
        })
    return rows


def hit_rows(result: dict) -> list[dict]:
    """One row per overlapped feature of each site, for ``hits.csv`` and the XLSX."""
    rows = []
    for s in result.get("sites", []):
        for h in s["hits"]:
            a = h.get("attributes") or {}
            rows.append({
                "项目编号": s["site_id"], "项目名称": s["name"], "图层": h.get("label") or h["layer"],
                "图层标识": h["layer"], "要素编号": h["feature_id"], "要素名称": h["feature_name"],
                "类型": a.get("type"), "级别": a.get("level"), "功能分区": h["zone"], "编码": a.get("code"),
                "压覆面积（平方米）": rounded(h["overlap_m2"], 2), "压覆面积（公顷）": rounded(h["overlap_m2"] / 1e4, 4),
                "压覆长度（米）": rounded(h["overlap_length_m"], 2), "占项目用地（%）": rounded(h["pct_of_site"], 2),
                "占该要素（%）": rounded(h["pct_of_feature"], 2),
            })
    return rows


def to_csv(rows: list[dict]) -> bytes:
    """CSV as Excel on Chinese Windows opens it: UTF-8 with BOM, CRLF, formula prefixes escaped.

    The header is the first row's keys; every row holds the same keys in the same order.

    >>> data = to_csv([{"名称": "+86", "面积": 1.5, "备注": None}])
    >>> data.decode("utf-8-sig").splitlines()
    ['名称,面积,备注', "'+86,1.5,"]
    >>> data.startswith(b"\\xef\\xbb\\xbf"), data.count(b"\\r\\n")
    (True, 2)
    """
    buf = io.StringIO()
    if rows:
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(rows[0].keys())
        w.writerows(["" if v is None else safe_cell(v) for v in r.values()] for r in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
