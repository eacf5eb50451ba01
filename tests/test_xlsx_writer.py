"""The workbook writer ``redline.maps.report.xlsx`` read back with openpyxl (an independent reader): every cell's
value and type against the frame it was written from, for the values a sheet can hold at its edges (None and
NaN, −0.0, the largest and smallest floats, big integers, booleans, text with XML's special characters,
formula-like text, control characters, an empty frame, a frame longer than a worksheet).

Expected values are the frame's own inputs (or hand-written), never the writer's output; the writer joins the
rows column-wise from each column's distinct values, so the frames also repeat values in many rows.
"""

from __future__ import annotations

import csv
import io
import math
import struct
import warnings
import zipfile
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from redline.layers.provenance_formats import read_block, xlsx_chunks
from redline.maps.report import xlsx
from redline.maps.report.xlsx import ReportWarning, Sheet, provenance_sheet, xlsx_bytes
from redline.spatial.check.frames import csv_bytes, safe_column

TEXTS = ["甲", None, 'a&b<c>"d\'', "=1+1", "", "甲", np.nan, "+86", "-1", "@SUM(A1)", " 前后空格 ", "&amp;"]
FLOATS = [1.5, np.nan, -0.0, 0.0, 1e300, 5e-324, -1.7976931348623157e308, 1e16, 0.1, 2.0, 1 / 3, 123456.789]
INTS = [0, 1, 2**62, -(2**62), 5, 5, 5, 0, -1, 1, 3, 3]


def edge_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "文本": pd.Series(TEXTS, dtype=object),
        "面积（公顷）": FLOATS,
        "长度（米）": np.array(INTS, dtype=np.int64),
        "布尔": [True, False, True, True] * 3,
        "分类": pd.Categorical(["甲", None, "乙", "甲", "=x", None, "甲", "&", "乙", "丙", "丙", None]),
        "单精度（%）": np.array([0.1, np.nan] * 6, dtype=np.float32),
    })


def sheet_of(data: bytes, title: str):
    return load_workbook(io.BytesIO(data))[title]


def rows_of(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def same_number(got, want) -> bool:
    """Equal as numbers, the sign of zero included."""
    return isinstance(got, (int, float)) and not isinstance(got, bool) and got == want and \
        math.copysign(1, got) == math.copysign(1, want)


def test_edge_values_read_back_as_they_were():
    frame = edge_frame()
    ws = sheet_of(xlsx_bytes([Sheet("边界", frame, notes=["注：& < >"])]), "边界")
    rows = rows_of(ws)
    assert rows[0] == list(frame.columns)
    assert len(rows) == 1 + 12 + 1 and rows[13][0] == "注：& < >"
    for i in range(12):
        text, area, length, flag, cat, single = (ws.cell(row=i + 2, column=j) for j in range(1, 7))
        want = TEXTS[i]
        if want is None or want is np.nan or want == "":
            assert text.value is None                     # empty cell: None, NaN and "" alike
        else:
            assert text.value == want and text.data_type == "s"      # formulas stay text, & < > " kept
        if math.isnan(FLOATS[i]):
            assert area.value is None
        else:
            assert same_number(area.value, FLOATS[i]) and area.number_format == "0.0000"
        assert same_number(length.value, INTS[i]) and type(length.value) is int and length.number_format == "0.00"
        assert flag.value == ("是" if [True, False, True, True][i % 4] else "否") and flag.data_type == "s"
        want_cat = frame["分类"].iloc[i]
        assert cat.value == (None if pd.isna(want_cat) else want_cat)
        # float32 0.1 is the double 0.100000001490116...: written as that double
        if i % 2:
            assert single.value is None and single.number_format == "General"      # an empty cell: no style
        else:
            assert single.value == float(np.float32(0.1)) and single.number_format == "0.00"


def test_infinities_are_written_as_text_a_cell_can_hold():
    """A number cell cannot hold an infinity (Excel and openpyxl refuse ``<v>inf</v>``): it is the text the CSV
    file has, in a number column and in a mixed one; the finite numbers stay numbers."""
    frame = pd.DataFrame({"占该要素（%）": [12.5, np.inf, -np.inf, np.inf],
                          "混合": pd.Series([np.inf, "甲", 2.5, None], dtype=object)})
    wb = load_workbook(io.BytesIO(xlsx_bytes([Sheet("表", frame)])))
    ws = wb["表"]
    assert [[(c.value, c.data_type) for c in row] for row in ws.iter_rows(min_row=2)] == [
        [(12.5, "n"), ("inf", "s")], [("inf", "s"), ("甲", "s")], [("-inf", "s"), (2.5, "n")], [("inf", "s"), (None, "n")]]
    csv_rows = list(csv.reader(io.StringIO(csv_bytes(frame[["占该要素（%）"]]).decode("utf-8-sig"))))
    assert [r[0] for r in csv_rows[1:]] == ["12.5", "inf", "-inf", "inf"]      # the same text as the CSV file


def test_minus_zero_and_zero_are_distinct_cells():
    ws = sheet_of(xlsx_bytes([Sheet("零", pd.DataFrame({"x": [0.0, -0.0, 0.0, -0.0]}))]), "零")
    signs = [math.copysign(1, ws.cell(row=r, column=1).value) for r in range(2, 6)]
    assert signs == [1, -1, 1, -1]


def test_numbers_and_text_in_one_column_each_as_it_is():
    values = [1, "甲", 1.0, True, None, -0.0, 2**70, "<b>"]
    ws = sheet_of(xlsx_bytes([Sheet("混合", pd.DataFrame({"值": pd.Series(values, dtype=object)}))]), "混合")
    got = [ws.cell(row=r, column=1) for r in range(2, 10)]
    assert [c.value for c in got] == [1.0, "甲", 1.0, "True", None, -0.0, float(2**70), "<b>"]
    assert math.copysign(1, got[5].value) == -1
    assert [c.data_type for c in got] == ["n", "s", "n", "s", "n", "n", "n", "s"]


def test_control_characters_are_dropped_on_the_way_to_a_sheet():
    col = safe_column(["红线\x01甲", None, "a\x1bb\u202e", "红线甲", "红线甲"])
    ws = sheet_of(xlsx_bytes([Sheet("文本", pd.DataFrame({"名称": col}))]), "文本")
    assert [ws.cell(row=r, column=1).value for r in range(2, 7)] == ["红线甲", None, "ab", "红线甲", "红线甲"]


def test_a_nul_character_that_would_shift_the_rows_is_refused():
    # the column is escaped in one pass joined by NUL: a NUL in a text would cut it into two rows
    with pytest.raises(ValueError, match="NUL"):
        xlsx_bytes([Sheet("表", pd.DataFrame({"名称": ["a\x00&b", "c"]}))])


def test_header_style_widths_and_frozen_pane():
    ws = sheet_of(xlsx_bytes([Sheet("表", pd.DataFrame({"名称": ["甲" * 10], "面积（公顷）": [1.0]}))]), "表")
    assert ws.freeze_panes == "A2" and ws["A1"].font.b and ws["A1"].fill.fgColor.rgb == "FFDDE7F0"
    # widths: max(header characters × 2, value characters × 1.6), at least 8
    assert ws.column_dimensions["A"].width == 16 and ws.column_dimensions["B"].width == 12
    plain = sheet_of(xlsx_bytes([Sheet("表", pd.DataFrame({"a": [1]}), shaded_header=False)]), "表")
    assert plain["A1"].font.b and plain["A1"].fill.fgColor.rgb != "FFDDE7F0"


def test_empty_frames():
    data = xlsx_bytes([Sheet("空行", pd.DataFrame({"名称": pd.Series([], dtype=object), "面积（米）": []}),
                             notes=["无数据"]), Sheet("无列", pd.DataFrame())])
    assert rows_of(sheet_of(data, "空行")) == [["名称", "面积（米）"], ["无数据", None]]
    assert rows_of(sheet_of(data, "无列")) == [["（无）"]]


def test_sheet_without_header_row():
    ws = sheet_of(xlsx_bytes([Sheet("无表头", pd.DataFrame({"a": ["x", None, "y"]}), header=False)]), "无表头")
    assert rows_of(ws) == [["x"], [None], ["y"]] and ws.freeze_panes is None


def test_rows_beyond_a_worksheet_are_cut_with_a_note(monkeypatch):
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 12)      # the header, 10 rows, the note
    frame = pd.DataFrame({"编号": [f"S{k:02d}" for k in range(25)], "面积（公顷）": np.arange(25) * 0.5})
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        ws = sheet_of(xlsx_bytes([Sheet("超长", frame, notes=["注"])]), "超长")
    assert any(w.category is ReportWarning and "超长: 25 rows" in str(w.message) for w in said)
    rows = rows_of(ws)
    assert rows[1:11] == [[f"S{k:02d}", k * 0.5] for k in range(10)]
    assert rows[11][0].startswith("（本表共25行") and "仅列出前10行" in rows[11][0] and rows[12] == ["注", None]
    assert len(rows) == 13


def test_many_rows_of_repeated_and_distinct_values():
    rng = np.random.default_rng(20261204)
    n = 5000
    names = [f"项目{k}" for k in range(n)]
    names[17] = None                                    # one missing among otherwise distinct texts
    kinds = rng.choice(np.array(["甲", "乙", "a&b", "", None], dtype=object), n)
    area = np.where(rng.random(n) < 0.1, np.nan, np.round(rng.normal(size=n), 4))
    count = rng.integers(0, 3, n)
    frame = pd.DataFrame({"名称": pd.Series(names, dtype=object), "类型": pd.Series(kinds, dtype=object),
                          "面积（公顷）": area, "个数": count, "分类": pd.Categorical(rng.choice(["x", "y"], n))})
    ws = sheet_of(xlsx_bytes([Sheet("随机", frame)]), "随机")
    got = rows_of(ws)[1:]
    assert len(got) == n
    for i, row in enumerate(got):
        assert row == [names[i], kinds[i] or None, None if np.isnan(area[i]) else float(area[i]),
                       int(count[i]), frame["分类"].iloc[i]]


def test_csv_keeps_the_missing_value_of_an_otherwise_distinct_text_column_in_its_row():
    # a column with as many distinct fields as rows was taken as already in row order: the empty field of
    # the one missing value went to the last row (since fixed)
    for frame in (pd.DataFrame({"名称": ["甲", None, "乙"]}),
                  pd.DataFrame({"名称": ["甲", None, "乙"], "序号": [1, 2, 3]})):
        rows = list(csv.reader(io.StringIO(csv_bytes(frame).decode("utf-8-sig"))))
        assert [r[0] if r else "" for r in rows] == ["名称", "甲", "", "乙"]     # a blank line: no field
    n = 3000
    names = [f"n{i}" for i in range(n)]
    names[5] = None
    rows = list(csv.reader(io.StringIO(csv_bytes(pd.DataFrame({"a": names, "b": np.arange(n) * 1.5}))
                                       .decode("utf-8-sig"))))
    assert rows[6] == ["", "7.5"] and rows[7] == ["n6", "9.0"]


# ------------------------------------------------------------------------------------ shared strings, blocks
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CLAUSE = "第二十条　生态保护红线内，自然保护地核心保护区原则上禁止人为活动；" * 20 + "& <条款> 完"


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def shared_strings(data: bytes) -> tuple[ElementTree.Element, list[str]]:
    root = ElementTree.fromstring(parts_of(data)["xl/sharedStrings.xml"])
    return root, ["".join(t.text or "" for t in si.iter(f"{MAIN}t")) for si in root.findall(f"{MAIN}si")]


def test_each_text_once_in_the_shared_string_table_for_the_whole_workbook():
    a = pd.DataFrame({"条款": pd.Series([CLAUSE] * 900 + [""] * 50 + [None] * 50, dtype=object),
                      "编号": ["S1", "S2"] * 500, "面积（公顷）": np.arange(1000) * 0.25})
    b = pd.DataFrame({"条款": pd.Categorical([CLAUSE] * 300 + ["另一条"] * 200, categories=[CLAUSE, "另一条"]),
                      "是否": [True, False] * 250})
    # the same categories again (equal, another object), and a categorical not holding all its categories
    c = pd.DataFrame({"条款": pd.Categorical([CLAUSE] * 60 + ["另一条"] * 40 + [None] * 10,
                                           categories=[CLAUSE, "另一条"]),
                      "级别": pd.Categorical(["一级"] * 5 + [None] * 105, categories=["一级", "二级"])})
    data = xlsx_bytes([Sheet("甲表", a, notes=["注：同一条款"]), Sheet("乙表", b), Sheet("丙表", c)])
    root, texts = shared_strings(data)
    # by hand: headers 条款 编号 面积（公顷） 是否 级别; cells CLAUSE S1 S2 另一条 是 否 一级; the note
    assert sorted(texts) == sorted(["条款", "编号", "面积（公顷）", "是否", "级别", CLAUSE, "S1", "S2", "另一条",
                                    "是", "否", "一级", "注：同一条款"])
    assert texts.count(CLAUSE) == 1 and "二级" not in texts and "" not in texts
    # count: headers 3 + 2 + 2; 甲 900 + 1000 (+ the note); 乙 500 + 500; 丙 100 + 5
    assert root.get("uniqueCount") == "13" and root.get("count") == str(7 + 1900 + 1 + 1000 + 105)
    parts = parts_of(data)
    cells = [c for k in (1, 2, 3) for c in ElementTree.fromstring(parts[f"xl/worksheets/sheet{k}.xml"])
             .iter(f"{MAIN}c")]
    assert sum(c.get("t") == "s" for c in cells) == 3013 and all(c.get("t") in (None, "s") for c in cells)
    assert not any(b"inlineStr" in v or CLAUSE.encode() in v for k, v in parts.items() if "worksheets" in k)
    # read back (an independent reader)
    wb = load_workbook(io.BytesIO(data))
    assert [wb["甲表"].cell(row=r, column=1).value for r in (2, 901, 902, 952, 1001)] == [CLAUSE, CLAUSE, None, None,
                                                                                        None]
    assert rows_of(wb["甲表"])[1001] == ["注：同一条款", None, None]
    assert [r[0] for r in rows_of(wb["乙表"])[1:]] == [CLAUSE] * 300 + ["另一条"] * 200
    assert [r[1] for r in rows_of(wb["乙表"])[1:3]] == ["是", "否"]
    assert rows_of(wb["丙表"])[1:] == [[CLAUSE, "一级"]] * 5 + [[CLAUSE, None]] * 55 + [["另一条", None]] * 40 \
        + [[None, None]] * 10
    assert all(wb[t].cell(row=2, column=1).data_type == "s" for t in ("甲表", "乙表", "丙表"))


def test_parts_and_content_types_agree():
    data = xlsx_bytes([Sheet("表", pd.DataFrame({"a": ["x"]})), Sheet("无文本", pd.DataFrame({"n": [1]}),
                                                                       header=False)])
    parts = parts_of(data)
    types = ElementTree.fromstring(parts["[Content_Types].xml"])
    overrides = {o.get("PartName").lstrip("/"): o.get("ContentType") for o in types if o.tag.endswith("Override")}
    assert set(overrides) == {k for k in parts if not k.endswith(".rels") and k != "[Content_Types].xml"}
    assert overrides["xl/sharedStrings.xml"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    rels = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Target"): r.get("Type").rsplit("/", 1)[1] for r in rels}
    assert targets == {"worksheets/sheet1.xml": "worksheet", "worksheets/sheet2.xml": "worksheet",
                       "styles.xml": "styles", "sharedStrings.xml": "sharedStrings"}
    root, texts = shared_strings(data)
    assert texts == ["a", "x"] and root.get("count") == "2" and root.get("uniqueCount") == "2"


def local_extra_lengths(data: bytes) -> dict[str, int]:
    """Each part's extra field length in its local header (where zip64 puts its sizes)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
    return {i.filename: struct.unpack("<H", data[i.header_offset + 28: i.header_offset + 30])[0] for i in infos}


def test_a_frame_of_several_blocks_reads_back_whole():
    n = 150_000                                            # three blocks of 65,536 rows
    names = [f"S{k:06d}" for k in range(n)]
    names[65_536] = None
    frame = pd.DataFrame({"编号": pd.Series(names, dtype=object), "类型": np.array(["甲", "乙", "丙"])[np.arange(n) % 3],
                          "面积（公顷）": np.arange(n) * 0.5})
    data = xlsx_bytes([Sheet("长表", frame, notes=["完"])])
    assert set(local_extra_lengths(data).values()) == {0}                        # no zip64 on a small part
    ws = load_workbook(io.BytesIO(data), read_only=True)["长表"]
    got = {}
    count = 0
    for i, row in enumerate(ws.iter_rows(values_only=True)):
        count += 1
        if i in (0, 1, 65_536, 65_537, 131_072, 131_073, n, n + 1):
            got[i] = list(row)
    assert count == n + 2
    assert got[0] == ["编号", "类型", "面积（公顷）"] and got[n + 1][0] == "完"
    for i in (1, 65_536, 65_537, 131_072, 131_073, n):
        k = i - 1
        assert got[i] == [names[k], "甲乙丙"[k % 3], k * 0.5], i
    root, texts = shared_strings(data)
    assert int(root.get("uniqueCount")) == len(texts) == 3 + (n - 1) + 3 + 1
    assert int(root.get("count")) == 3 + (n - 1) + n + 1


def test_zip64_only_for_a_part_that_could_pass_its_limit(monkeypatch):
    frame = pd.DataFrame({"名称": ["甲"] * 200, "面积（公顷）": np.arange(200) * 0.5})
    monkeypatch.setattr(xlsx, "_ZIP64_LIMIT", 2000)
    data = xlsx_bytes([Sheet("表", frame), Sheet("小", pd.DataFrame({"a": [1]}))])
    extra = local_extra_lengths(data)
    assert extra["xl/worksheets/sheet1.xml"] > 0 and extra["xl/worksheets/sheet2.xml"] == 0
    assert rows_of(sheet_of(data, "表"))[200] == ["甲", 99.5]


def test_provenance_of_an_inline_string_workbook_still_reads():
    # workbooks of earlier versions: the hidden sheet's cells as inline strings
    block = {"tool": "redline", "inputs": [{"path": "红线 & <a>.shp", "sha256": "ab" * 32}], "note": "x" * 70_000}
    chunks = xlsx_chunks(block)
    rows = "".join(f'<row><c t="inlineStr"><is><t xml:space="preserve">{escape(c)}</t></is></c></row>' for c in chunks)
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN[1:-1]}" xmlns:r="{rel}"><sheets>'
                   '<sheet name="redline_provenance" sheetId="1" state="hidden" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN[1:-1]}"><sheetData>{rows}</sheetData>'
                   "</worksheet>")
    assert len(chunks) == 3 and read_block(buf.getvalue(), "old.xlsx") == block
    # and as written now, in the shared string table
    data = xlsx_bytes([Sheet("表", pd.DataFrame({"a": chunks[:1]})), provenance_sheet(block)])
    assert read_block(data, "new.xlsx") == block and shared_strings(data)[1] == ["a", *chunks]
