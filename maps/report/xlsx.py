"""Excel workbooks (XLSX) written straight from DataFrames, one column's distinct values at a time.

An XLSX file is a zip of XML parts; a table of 100,000 sites is millions of cells, which a cell-object writer
(openpyxl takes about 10 µs a cell) turns into minutes. Here each column's distinct values are written as cells
once (:func:`_cells`) and the rows are joined column-wise in Arrow
(:func:`redline.spatial.check.frames.joined_blocks`), as ``sites.csv`` is, so a workbook costs about what its
text does to compress.

Text goes into the workbook's shared string table (``xl/sharedStrings.xml``), each distinct text once for the
whole workbook (:class:`_Strings`); a text cell is ``<c t="s"><v>N</v></c>``, the table's entry ``N``, as Excel
writes it, so a clause repeated in 100,000 rows is written once, and no text can become a formula (the cells of
equal categories, the sites' numbers and names in four sheets, are made once: :func:`_category_cells`). A sheet's
XML is then short cells only; it is compressed into the zip in blocks of 65,536 rows, each a view of Arrow's
buffer, not built whole (zip64 only for a sheet of more than 2 GiB). The string table is known when every sheet
is written, so its part comes last in the zip.

What the sheets carry: a bold, shaded, wrapped header row, frozen below the header; column widths from the
header and the first rows; number formats by the column's unit (``（公顷）`` 0.0000, ``（平方米）``/``（米）``/
``（%）`` 0.00); text as shared strings; empty text and NaN as empty cells; notes below the table.
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
import math
import operator
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import compress, repeat

import numpy as np
import pandas as pd

from redline.layers.columns import by_identity, first_rows
from redline.spatial.check.frames import ROWS_PER_BLOCK, joined_blocks

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
_NUMBER = "<c%s><v>%%s</v></c>"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW = ("<row>", "</row>")
_ZIP64_LIMIT = zipfile.ZIP64_LIMIT     # a part's size from which it needs zip64


def _escaped(texts: list[str]) -> list[str]:
    """XML-escaped texts, escaped in one pass over the whole column (C speed for millions of cells).

    >>> _escaped(["a&b", "<c>"])
    ['a&amp;b', '&lt;c&gt;']
    """
    joined = _SEP.join(texts)
    if joined.count(_SEP) != max(len(texts) - 1, 0):
        raise ValueError("a text holds a NUL character")
    if not ("&" in joined or "<" in joined or ">" in joined):
        return texts
    return joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split(_SEP)


def _wrapped(values: list[str], head: str, tail: str) -> list[str]:
    """``head + v + tail`` for each value, in one join and one split (C speed for a column of 100,000 values).

    >>> _wrapped(["1", "2"], "<v>", "</v>")
    ['<v>1</v>', '<v>2</v>']
    """
    return (head + (tail + _SEP + head).join(values) + tail).split(_SEP) if values else []


def _where(keys: list, key) -> list[int]:
    """The positions of ``key`` in ``keys`` (a column's few missing values, looked for at C speed).

    >>> _where(["1.5", "nan", "2.0", "nan"], "nan")
    [1, 3]
    """
    found, i = [], -1
    try:
        while True:
            i = keys.index(key, i + 1)
            found.append(i)
    except ValueError:
        return found


class _Strings:
    """The workbook's shared string table: each distinct (escaped) text once, numbered in order of first use,
    and ``count``, the text cells referring to it (the ``count`` of ``<sst>``).

    >>> strings = _Strings()
    >>> strings.cells(["甲", "", "乙", "甲"])
    ['<c t="s"><v>0</v></c>', '<c/>', '<c t="s"><v>1</v></c>', '<c t="s"><v>0</v></c>']
    >>> strings.cells(["丙", "乙"], ' s="1"'), list(strings.index)
    (['<c t="s" s="1"><v>2</v></c>', '<c t="s" s="1"><v>1</v></c>'], ['甲', '乙', '丙'])
    """

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0
        self.categories: list[tuple[pd.Index, list[str]]] = []     # see _category_cells

    def cells(self, texts: list[str], style: str = "", uses: np.ndarray | None = None) -> list[str]:
        """Cells of escaped ``texts``, each new text entered into the table, an empty text an empty cell; the
        text cells counted, each ``uses[i]`` times (the rows holding it) or once.

        Looked up, entered and formatted at C speed (``map``, ``dict.update``, one join), as a column may hold
        100,000 distinct texts.
        """
        index = self.index
        numbers = list(map(index.get, texts))
        if None in numbers:             # new texts (and empty ones, never entered), in order of first appearance
            new = dict.fromkeys(compress(texts, map(operator.is_, numbers, repeat(None))))
            new.pop("", None)
            index.update(zip(new, range(len(index), len(index) + len(new)), strict=True))
            numbers = list(map(index.get, texts))
        cells = _wrapped(list(map(str, numbers)), f'<c t="s"{style}><v>', "</v></c>")
        empty = _where(numbers, None)
        for i in empty:
            cells[i] = f"<c{style}/>"
        self.count += len(texts) - len(empty) if uses is None else int(uses.sum() - uses[empty].sum())
        return cells

    def parts(self) -> Iterator[bytes]:
        """The part ``xl/sharedStrings.xml`` as UTF-8, in blocks of entries."""
        texts = list(self.index)
        yield (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{_MAIN}" count="{self.count}" '
               f'uniqueCount="{len(texts)}">').encode()
        si, between = '<si><t xml:space="preserve">', '</t></si><si><t xml:space="preserve">'
        for a in range(0, len(texts), ROWS_PER_BLOCK):
            yield (si + between.join(texts[a: a + ROWS_PER_BLOCK]) + "</t></si>").encode("utf-8")
        yield b"</sst>"

    def size(self) -> int:
        """At most the part's size in bytes (four a character)."""
        return 200 + 4 * sum(map(len, self.index)) + 40 * len(self.index)


def _numbers(values: list) -> list[str]:
    """Numbers as Python writes them (``repr``), all at once: the repr of the list, split."""
    return repr(values)[1:-1].split(", ") if values else []


def _column(col: pd.Series, name: str, strings: _Strings, uses: np.ndarray) -> list[str]:
    """One column's cells (XML), one a value (held by ``uses`` rows): text as shared strings (escaped, cut),
    numbers as Python writes them (infinities, which a cell cannot hold, as the text ``inf``/``-inf``), empty
    text, None and NaN as ``<c/>``.

    >>> _column(pd.Series([2.5, np.nan]), "面积（公顷）", _Strings(), np.array([1, 1]))
    ['<c s="2"><v>2.5</v></c>', '<c/>']
    """
    fmt = next((f for suffix, f in NUMBER_FORMATS.items() if str(name).endswith(suffix)), None)
    s = f' s="{_STYLE[fmt]}"' if fmt else ""
    if pd.api.types.is_bool_dtype(col.dtype):
        return strings.cells(np.where(col.to_numpy(), "是", "否").tolist(), uses=uses)
    if pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_float_dtype(col.dtype):
        numbers = _numbers(col.tolist())
        cells = _wrapped(numbers, f"<c{s}><v>", "</v></c>")
        for i in _where(numbers, "nan"):
            cells[i] = "<c/>"
        infinite = _where(numbers, "inf") + _where(numbers, "-inf")    # no number Excel holds: text, as in CSV
        for i, cell in zip(infinite, strings.cells([numbers[i] for i in infinite], uses=uses[infinite]),
                           strict=True):
            cells[i] = cell
        return cells
    values = col.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        numeric = [isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and v == v
                   and abs(v) != math.inf for v in values]     # an infinity as the text inf
        if any(numeric):   # a column mixing numbers and text (a small table): each cell as what it is
            texts = strings.cells(_escaped(_cut(["" if k or v is None or v != v else str(v)
                                                 for v, k in zip(values, numeric, strict=True)])), uses=uses)
            return [_NUMBER % s % repr(float(v)) if k else t for v, k, t in zip(values, numeric, texts, strict=True)]
    texts = [v if v.__class__ is str else "" if v is None or (v.__class__ is float and v != v) else str(v)
             for v in values.tolist()]
    return strings.cells(_escaped(_cut(texts)), uses=uses)


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


def _cells(col: pd.Series, name: str, strings: _Strings) -> tuple[np.ndarray, list[str]]:
    """A column as ``(codes, cells)``, row ``i`` holding ``cells[codes[i]]``: each distinct value's cell XML
    (:func:`_column`) written once.

    >>> _cells(pd.Series([2.5, np.nan, 2.5]), "面积（公顷）", _Strings())
    (array([0, 1, 0]), ['<c s="2"><v>2.5</v></c>', '<c/>'])
    """
    try:
        if isinstance(col.dtype, pd.CategoricalDtype) and (made := _category_cells(col, strings)) is not None:
            return made
        codes, first = _distinct(col)
        return codes, _column(col.iloc[first], name, strings, np.bincount(codes, minlength=len(first)))
    except ValueError as e:
        raise ValueError(f"column {name}: {e}") from None


def _category_cells(col: pd.Series, strings: _Strings) -> tuple[np.ndarray, list[str]] | None:
    """A categorical column of texts that holds each of its categories, as ``(codes, cells)`` by its own codes
    (missing: a last ``<c/>``), the cells of equal categories made once for the workbook (the sites' numbers and
    names are a column of four sheets); None for other categorical columns (:func:`_cells` makes them).

    >>> strings = _Strings()
    >>> [_category_cells(pd.Series(pd.Categorical(v, categories=["甲", "乙"])), strings) for v in (["乙", "甲", None],
    ...                                                                                         ["甲", "甲"])]
    [(array([1, 0, 2]), ['<c t="s"><v>0</v></c>', '<c t="s"><v>1</v></c>', '<c/>']), None]
    >>> strings.count
    2
    """
    cats = col.cat.categories
    codes = col.cat.codes.to_numpy().astype(np.int64)
    codes[codes < 0] = len(cats)
    uses = np.bincount(codes, minlength=len(cats) + 1)
    if not uses[:-1].all() or pd.api.types.infer_dtype(cats, skipna=False) != "string":
        return None
    cells = next((cells for known, cells in strings.categories if known is cats or known.equals(cats)), None)
    if cells is None:
        cells = [*strings.cells(_escaped(_cut(cats.tolist())), uses=uses[:-1]), "<c/>"]
        strings.categories.append((cats, cells))
    else:
        strings.count += int(uses.sum() - uses[_where(cells, "<c/>")].sum())
    return codes, cells


def _sheet_xml(sheet: Sheet, strings: _Strings) -> tuple[int, Iterator[memoryview]]:
    """A worksheet's XML: its size in bytes and its blocks of rows (UTF-8, views of Arrow's buffer): the header
    row, the rows (at most a worksheet's; a note says so if cut), the notes, column widths, the pane frozen below
    the header. Its texts are entered into ``strings`` (and counted) here, before the blocks are taken.

    The XML is ASCII (the texts are in the string table), so its size is counted in characters, from each
    distinct cell's length and the rows using it.
    """
    frame = sheet.frame
    room = EXCEL_MAX_ROWS - 2       # the header, and a last row saying what did not fit
    notes = list(sheet.notes)
    if len(frame) > room + 1:
        notes.insert(0, f"（本表共{len(frame)}行，超出 Excel 工作表的行数上限，仅列出前{room}行；完整结果见 check.json "
                        "及 CSV 文件）")
        warnings.warn(f"check.xlsx sheet {sheet.title}: {len(frame):,} rows, more than a worksheet holds; the first "
                      f"{room:,} are written, every row is in check.json and the CSV files", ReportWarning,
                      stacklevel=4)
        frame = frame.iloc[:room]
    if frame.shape[1] == 0:
        frame = pd.DataFrame({"（无）": []})
    header_style = _STYLE["header"] if sheet.shaded_header else 4
    header = strings.cells(_escaped(_cut([str(c) for c in frame.columns])), f' s="{header_style}"') \
        if sheet.header else []
    noted = strings.cells(_escaped(_cut([str(n) for n in notes])))
    columns = [_cells(frame[c], c, strings) for c in frame.columns]
    size = len(frame) * len("".join(_ROW))
    for codes, cells in columns:
        uses = np.bincount(codes, minlength=len(cells))
        size += int(uses @ np.fromiter(map(len, cells), np.int64, len(cells)))
    k = len(frame) + 1 + sheet.header
    tail = "".join(f'<row r="{r}">{note}</row>' for r, note in enumerate(noted, start=k)) + "</sheetData></worksheet>"
    cols = "".join(f'<col min="{j}" max="{j}" width="{_width(c, frame[c])}" customWidth="1"/>'
                   for j, c in enumerate(frame.columns, start=1))
    frozen = ('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
              'state="frozen"/></sheetView></sheetViews>') if sheet.header else ""
    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{_MAIN}">'
            f'{frozen}<cols>{cols}</cols><sheetData>' + (f'<row r="1">{"".join(header)}</row>' if sheet.header else ""))
    size += len(head.encode("utf-8")) + len(tail.encode("utf-8"))
    return size, joined_blocks(columns, len(frame), sep="", start=_ROW[0], end=_ROW[1], head=head, tail=tail)


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
    buf = io.BytesIO()
    _write(sheets, buf)
    return buf.getvalue()


def _write(sheets: list[Sheet], file) -> None:
    """The workbook of ``sheets`` written to a binary ``file``: the package parts, each sheet streamed in blocks
    of rows, the shared string table last."""
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    titles = [s.title[:31].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
              for s in sheets]
    states = [' state="hidden"' if s.hidden else "" for s in sheets]
    numbers = range(1, len(sheets) + 1)
    strings = _Strings()
    with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   f'<Override PartName="/xl/workbook.xml" ContentType="{ml}.sheet.main+xml"/>'
                   f'<Override PartName="/xl/styles.xml" ContentType="{ml}.styles+xml"/>'
                   f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ml}.sharedStrings+xml"/>'
                   + "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{ml}.worksheet+xml"/>'
                             for k in numbers) + "</Types>")
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml",
                   f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{_MAIN}" '
                   f'xmlns:r="{rel}"><sheets>'
                   + "".join(f'<sheet name="{t}" sheetId="{k}"{hidden} r:id="rId{k}"/>'
                             for k, (t, hidden) in enumerate(zip(titles, states, strict=True), 1))
                   + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   + "".join(f'<Relationship Id="rId{k}" Type="{rel}/worksheet" Target="worksheets/sheet{k}.xml"/>'
                             for k in numbers)
                   + f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel}/styles" Target="styles.xml"/>'
                   f'<Relationship Id="rId{len(sheets) + 2}" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
                   "</Relationships>")
        z.writestr("xl/styles.xml", _STYLES)
        for k, sheet in zip(numbers, sheets, strict=True):
            size, blocks = _sheet_xml(sheet, strings)
            _stream(z, f"xl/worksheets/sheet{k}.xml", size, blocks)
        _stream(z, "xl/sharedStrings.xml", strings.size(), strings.parts())


def _stream(z: zipfile.ZipFile, name: str, size: int, blocks) -> None:
    """A part written into the zip block by block; zip64 (which Excel may refuse on a small part) only when
    ``size`` (at most that many bytes) could pass its 2 GiB limit, compressed, as :mod:`zipfile` reckons."""
    with z.open(name, "w", force_zip64=size * 1.05 > _ZIP64_LIMIT) as f:
        for block in blocks:
            f.write(block)
