"""The two tables of a site check that every engine writes: ``sites.csv`` (one row per site) and ``hits.csv``
(one row per overlapped feature), as rows with Chinese column names, and the CSV bytes they are written as.

They live here, beside the check engine, because the streaming engine appends them chunk by chunk; the
other tables and the reports are built at the output edge (:mod:`redline.maps.report`).

Text that may come from users' data passes through :func:`printable` on the way out: control characters and
the bidirectional-override characters (U+202A–U+202E, U+2066–U+2069, which can make text read in another
order than it is stored) are dropped. Values are never rewritten otherwise: a CSV cell that starts with
``= + - @`` (or a tab or CR) is written in double quotes, as OWASP advises against CSV injection, so that
``--type`` or ``+86 351`` stay what they are; in XLSX such text is a string cell, never a formula
(:mod:`redline.maps.report.tables`).

Example
-------
>>> result = {"sites": [{"site_id": "S1", "name": "=1+1", "geometry_type": "Point", "area_m2": None,
...            "length_m": None, "verdict": "符合", "layers": [], "hits": [], "findings": []}]}
>>> to_csv(site_rows(result)).decode("utf-8-sig").splitlines()[1]
'S1,"=1+1",,,,,Point,,,,符合,,0,0,是,'
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_CSV_SPECIAL = re.compile(r'[,"\r\n]')


def printable(text: str) -> str:
    """The text without C0 control characters other than tab, newline and carriage return (which XML,
    and so XLSX and DOCX, cannot hold, and which HTML would show as garbage), and without bidirectional
    embedding, override and isolate characters (U+202A–U+202E, U+2066–U+2069).

    >>> printable("红线\x01\x1b[31m甲"), printable("图斑\u202e甲乙\u202c")
    ('红线[31m甲', '图斑甲乙')
    """
    return _CONTROL.sub("", text)


def safe_cell(value):
    """A cell value as written to a table: text without control characters (:func:`printable`); numbers pass
    through. The writers keep it text (quoted in CSV when it starts like a formula, a string cell in XLSX).

    >>> safe_cell("=HYPERLINK(1)"), safe_cell(-1.5), safe_cell("\x01+86")
    ('=HYPERLINK(1)', -1.5, '+86')
    """
    if isinstance(value, str):
        return printable(value)
    return value


def csv_field(value) -> str:
    """One CSV field: empty for None; text quoted when it holds a comma, quote or line break, or starts with
    ``= + - @`` or a tab/CR (so that a spreadsheet takes it as text, and the value itself stays unchanged).

    >>> [csv_field(v) for v in ("--type", "普通", 'a"b', 1.5, None)]
    ['"--type"', '普通', '"a""b"', '1.5', '']
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    text = printable(value)
    if text.startswith(FORMULA_PREFIXES) or _CSV_SPECIAL.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def rounded(value, decimals: int):
    """A number rounded for a table cell; None stays None.

    >>> rounded(1.23456, 2), rounded(None, 2)
    (1.23, None)
    """
    return None if value is None else round(float(value), decimals)


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
    """CSV as Excel on Chinese Windows opens it: UTF-8 with BOM, CRLF, text that starts like a formula
    quoted (:func:`csv_field`).

    The header is the first row's keys; every row holds the same keys in the same order.

    >>> data = to_csv([{"名称": "+86", "面积": 1.5, "备注": None}])
    >>> data.decode("utf-8-sig").splitlines()
    ['名称,面积,备注', '"+86",1.5,']
    >>> data.startswith(b"\\xef\\xbb\\xbf"), data.count(b"\\r\\n")
    (True, 2)
    """
    lines = []
    if rows:
        lines.append(",".join(csv_field(k) for k in rows[0].keys()))
        lines += [",".join(csv_field(v) for v in r.values()) for r in rows]
    return ("\ufeff" + "".join(line + "\r\n" for line in lines)).encode("utf-8")
