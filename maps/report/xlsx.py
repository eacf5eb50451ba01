"""Excel workbooks (XLSX) written straight from DataFrames, in one pass per sheet.

An XLSX file is a zip of XML parts; a table of 100,000 sites is millions of cells, which a cell-object writer
(openpyxl takes about 10 µs a cell) turns into minutes. Here each column's distinct values are written as cells
once (:func:`_cells`) and the rows are joined column-wise in Arrow
(:func:`redline.spatial.check.frames.joined_rows`), as ``sites.csv`` is, so a workbook costs about what its
text does to compress.

What the sheets carry: a bold, shaded, wrapped header row, frozen below the header; column widths from the
header and the first rows; number formats by the column's unit (``（公顷）`` 0.0000, ``（平方米）``/``（米）``/
``（%）`` 0.00); text as inline strings, so nothing a user wrote can become a formula; notes below the table.
A sheet longer than Excel's 1,048,576 rows ends with a note saying so, and a :class:`ReportWarning` is raised;
a text longer than a cell's 32,767 characters is cut with a note in the cell saying so. A hidden sheet without
header (:func:`provenance_sheet`) carries the provenance block for ``redline verify``.

Example
-------
>>> import io, pandas as pd
>>> from openpyxl import load_workbook
>>> data = xlsx_bytes([Sheet("面积统计", pd.DataFrame({"分类": ["=甲", "乙"], "面积（公顷）": [1.5, None]}),
...                          notes=["方法：椭球面积"])])
>>> ws = load_workbook(io.BytesIO(data))["面积统计"]
>>> [[c.value for c in row] for row in ws.iter_rows()]
[['分类', '面积（公顷）'], ['=甲', 1.5], ['乙', None], ['方法：椭球面积', None]]
>>> ws["B2"].number_format, ws["B2"].data_type, ws["A2"].data_type, ws.freeze_panes
('0.0000', 'n', 's', 'A2')
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from redline.layers.columns import by_identity, first_rows
from redline.spatial.check.frames import joined_rows

EXCEL_MAX_ROWS = 1_048_576      # rows of one worksheet, header included
EXCEL_MAX_CELL = 32_767         # characters of one cell
CUT_NOTE = "…（超出 Excel 单元格32767字符上限，已截断）"
NUMBER_FORMATS = {"（公顷）": "0.0000", "（平方米）": "0.00", "（米）": "0.00", "（%）": "0.00"}
HEADER_FILL = "DDE7F0"
# cell styles (indices into cellXfs below): 0 plain, 1 header, 2 0.0000, 3 0.00
_STYLE = {None: 0, "header": 1, "0.0000": 2, "0.00": 3}


class ReportWarning(UserWarning):
    """Something an output leaves out (maps not drawn, rows beyond a worksheet's size): said, not fatal."""


@dataclass
class Sheet:
    """One worksheet: a table, notes written below it, whether the header is shaded, whether the table has a
    header row at all, and whether the sheet is hidden."""

    title: str
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    shaded_header: bool = True
    header: bool = True
    hidden: bool = False


def provenance_sheet(block: dict) -> Sheet:
    """The hidden sheet ``redline_provenance``: the block's JSON in column A, 30,000 characters a row, as
    :func:`redline.layers.provenance_formats.read_block` reads it back.

    >>> import io
    >>> from redline.layers.provenance_formats import read_block
    >>> block = {"tool": "redline", "inputs": [{"path": "红线.shp", "sha256": "ab"}]}
    >>> read_block(xlsx_bytes([Sheet("表", pd.DataFrame({"a": [1]})), provenance_sheet(block)]), "x.xlsx") == block
    True
    """
    from redline.layers.provenance_formats import XLSX_SHEET, xlsx_chunks

    return Sheet(XLSX_SHEET, pd.DataFrame({"block": xlsx_chunks(block)}, dtype=object), header=False, hidden=True)


def _cut(texts: list[str]) -> list[str]:
    """Texts longer than a cell holds, cut with a note saying so (Excel would refuse the file)."""
    if max(map(len, texts), default=0) <= EXCEL_MAX_CELL:
        return texts
    keep = EXCEL_MAX_CELL - len(CUT_NOTE)
    return [t if len(t) <= EXCEL_MAX_CELL else t[:keep] + CUT_NOTE for t in texts]


_SEP = "\x00"   # never in a cell: control characters are dropped from text before it gets here
_TEXT = '<c t="inlineStr"%s><is><t xml:space="preserve">%%s</t></is></c>'
_NUMBER = "<c%s><v>%%s</v></c>"
_EMPTY_TEXT = '<t xml:space="preserve"></t></is></c>'


def _escaped(texts: list[str]) -> list[str]:
    """XML-escaped texts, escaped in one pass over the whole column (C speed for millions of cells)."""
    joined = _SEP.join(texts)
    if not ("&" in joined or "<" in joined or ">" in joined):
        return texts
    return joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split(_SEP)


def _numbers(values: list) -> list[str]:
    """Numbers as Python writes them (``repr``), all at once: the repr of the list, split."""
    return repr(values)[1:-1].split(", ") if values else []


def _column(col: pd.Series, name: str) -> tuple[str, list[str]]:
    """One column as a cell template (``%s`` where the value goes) and its values as XML text.

    Text is escaped and empty text is ``""``; numbers are written as Python writes them (NaN as ``nan``).
    Empty cells come out as an empty string cell or ``nan``, which :func:`_sheet_xml` turns into ``<c/>``.
    """
    fmt = next((f for suffix, f in NUMBER_FORMATS.items() if str(name).endswith(suffix)), None)
    s = f' s="{_STYLE[fmt]}"' if fmt else ""
    if pd.api.types.is_bool_dtype(col.dtype):
        return _TEXT % "", np.where(col.to_numpy(), "是", "否").tolist()
    if pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_float_dtype(col.dtype):
        return _NUMBER % s, _numbers(col.tolist())
    values = col.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        numeric = [isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and v == v for v in values]
        if any(numeric):   # a column mixing numbers and text (a small table): each cell as what it is
            cells = [_NUMBER % s % repr(float(v)) if k else None for v, k in zip(values, numeric, strict=True)]
            texts = _escaped(_cut(["" if k or v is None or v != v else str(v)
                                   for v, k in zip(values, numeric, strict=True)]))
            return "%s", [c if c is not None else (_TEXT % "" % v if v else "<c/>")
                          for c, v in zip(cells, texts, strict=True)]
    texts = [v if v.__class__ is str else "" if v is None or (v.__class__ is float and v != v) else str(v)
             for v in values.tolist()]
    return _TEXT % "", _escaped(_cut(texts))


def _empty_cells(template: str, values: list[str]) -> tuple[str, list[str]]:
    """A column with empty cells (an empty text, a NaN) as whole cells, those empty ones ``<c/>``; a column
    without them as it is (its values filled into the template row by row).

    >>> _empty_cells("<c><v>%s</v></c>", ["1.5", "nan"])
    ('%s', ['<c><v>1.5</v></c>', '<c/>'])
    >>> _empty_cells("<c><v>%s</v></c>", ["1.5"])
    ('<c><v>%s</v></c>', ['1.5'])
    """
    empty = "" if template.startswith("<c t=") else "nan"
    if template == "%s" or empty not in values:
        return template, values
    return "%s", [template % v if v != empty else "<c/>" for v in values]


def _width(name: str, col: pd.Series) -> float:
    """A column width from the header and the first 200 values (CJK text about twice as wide)."""
    sample = [len(str(v)) for v in col.head(200).tolist() if v is not None and v == v]
    width = max(len(str(name)) * 2, *(min(n, 60) * 1.6 for n in sample)) if sample else len(str(name)) * 2
    return round(max(8, min(width, 80)), 1)


def _object_codes(values: np.ndarray) -> np.ndarray:
    """Codes of an object column: equal texts one code, missing values (None, NaN, ...) by identity, so that
    each code is written one way; a column holding other objects (numbers: ``1 == 1.0 == True``, ``0.0 == -0.0``
    but Excel gets each as it is) told apart by identity only."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if any(u.__class__ is not str for u in uniques.tolist()):
        return by_identity(values)[0]
    codes = np.asarray(codes, dtype=np.int64)
    missing = codes < 0
    if missing.any():
        codes[missing] = len(uniques) + by_identity(values[missing])[0]
    return codes


def _distinct(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, first)``: each row's code (in order of first appearance) and the row of each code's first
    appearance; rows of one code are written alike (numbers by their bits, so −0.0 is not 0.0; texts by value;
    other objects by identity; columns of other types row by row).

    >>> codes, first = _distinct(pd.Series([1.5, -0.0, 1.5, 0.0]))
    >>> codes.tolist(), first.tolist()
    ([0, 1, 0, 2], [0, 1, 3])
    """
    dtype = col.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf" and dtype.itemsize in (1, 2, 4, 8):
        values = np.ascontiguousarray(col.to_numpy())
        codes = pd.factorize(values.view(f"u{dtype.itemsize}"))[0]
    elif isinstance(dtype, pd.CategoricalDtype):
        codes = pd.factorize(col.cat.codes.to_numpy())[0]         # missing (-1) one more value
    elif isinstance(dtype, pd.StringDtype):
        codes = pd.factorize(pd.factorize(col, use_na_sentinel=True)[0])[0]    # the dtype's one missing value
    elif isinstance(dtype, np.dtype) and dtype.kind == "O":
        codes = pd.factorize(_object_codes(col.to_numpy()))[0]
    else:
        codes = np.arange(len(col))
    codes = np.asarray(codes, dtype=np.int64)
    return codes, first_rows(codes)


def _cells(col: pd.Series, name: str) -> tuple[np.ndarray, list[str]]:
    """A column as ``(codes, cells)``, row ``i`` holding ``cells[codes[i]]``: each distinct value's cell XML
    (:func:`_column`, :func:`_empty_cells`) written once.

    >>> _cells(pd.Series([2.5, np.nan, 2.5]), "面积（公顷）")
    (array([0, 1, 0]), ['<c s="2"><v>2.5</v></c>', '<c/>'])
    """
    codes, first = _distinct(col)
    template, values = _empty_cells(*_column(col.iloc[first], name))
    if len(values) != len(first):
        raise ValueError(f"column {name}: a text holds a NUL character")
    return codes, values if template == "%s" else [template % v for v in values]


def _sheet_xml(sheet: Sheet) -> memoryview:
    """A worksheet's XML (UTF-8, a view of Arrow's buffer): the header row, the rows (at most a worksheet's;
    a note says so if cut), the notes, column widths, the pane frozen below the header."""
    frame = sheet.frame
    room = EXCEL_MAX_ROWS - 2       # the header, and a last row saying what did not fit
    notes = list(sheet.notes)
    if len(frame) > room + 1:
        notes.insert(0, f"（本表共{len(frame)}行，超出 Excel 工作表的行数上限，仅列出前{room}行；完整结果见 check.json "
                        "及 CSV 文件）")
        warnings.warn(f"check.xlsx sheet {sheet.title}: {len(frame):,} rows, more than a worksheet holds; the first "
                      f"{room:,} are written, every row is in check.json and the CSV files", ReportWarning,
                      stacklevel=3)
        frame = frame.iloc[:room]
    if frame.shape[1] == 0:
        frame = pd.DataFrame({"（无）": []})
    header_style = _STYLE["header"] if sheet.shaded_header else 4
    header = "".join(_TEXT % f' s="{header_style}"' % v for v in _escaped(_cut([str(c) for c in frame.columns])))
    tail = []
    k = len(frame) + 1 + sheet.header
    for note in _escaped(_cut([str(n) for n in notes])):
        tail.append(f'<row r="{k}">{_TEXT % "" % note}</row>')
        k += 1
    cols = "".join(f'<col min="{j}" max="{j}" width="{_width(c, frame[c])}" customWidth="1"/>'
                   for j, c in enumerate(frame.columns, start=1))
    frozen = ('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
              'state="frozen"/></sheetView></sheetViews>') if sheet.header else ""
    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'{frozen}<cols>{cols}</cols><sheetData>' + (f'<row r="1">{header}</row>' if sheet.header else ""))
    return joined_rows([_cells(frame[c], c) for c in frame.columns], len(frame), sep="", start="<row>",
                       end="</row>", head=head, tail=f'{"".join(tail)}</sheetData></worksheet>')


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="0.0000"/><numFmt numFmtId="165" formatCode="0.00"/>'
    '</numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    f'<fill><patternFill patternType="solid"><fgColor rgb="FF{HEADER_FILL}"/><bgColor indexed="64"/></patternFill>'
    '</fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" '
    'applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    """A workbook of ``sheets`` (titles cut to Excel's 31 characters), as bytes."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    titles = [s.title[:31].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
              for s in sheets]
    states = [' state="hidden"' if s.hidden else "" for s in sheets]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.styles+xml"/>'
                   + "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="application/'
                             'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                             for k in range(1, len(sheets) + 1)) + "</Types>")
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml",
                   f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{main}" '
                   f'xmlns:r="{rel}"><sheets>'
                   + "".join(f'<sheet name="{t}" sheetId="{k}"{hidden} r:id="rId{k}"/>'
                             for k, (t, hidden) in enumerate(zip(titles, states, strict=True), 1))
                   + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   + "".join(f'<Relationship Id="rId{k}" Type="{rel}/worksheet" Target="worksheets/sheet{k}.xml"/>'
                             for k in range(1, len(sheets) + 1))
                   + f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel}/styles" Target="styles.xml"/>'
                   "</Relationships>")
        z.writestr("xl/styles.xml", _STYLES)
        for k, sheet in enumerate(sheets, start=1):
            z.writestr(f"xl/worksheets/sheet{k}.xml", _sheet_xml(sheet))
    return buf.getvalue()
