"""The provenance block inside each kind of output, written and read back.

=========  ===========================================================================================
output     where the block is
=========  ===========================================================================================
JSON       the top-level ``provenance`` member
HTML       ``<script type="application/json" id="redline-provenance">`` (reports, web maps)
XLSX       a hidden worksheet ``redline_provenance``: the JSON text in column A, 30,000 characters a row
DOCX       the document's comments property (``docProps/core.xml`` ``dc:description``), after a marker
PNG        an ``iTXt`` text chunk with the keyword ``redline-provenance``
PDF        the document information entry ``/RedlineProvenance``, the JSON in base64
=========  ===========================================================================================

Example
-------
>>> block = {"tool": "redline", "inputs": [{"path": "/数据/红线.shp", "sha256": "ab"}]}
>>> read_block(html_block(block).encode(), "x.html") == block
True
>>> read_block(b"%PDF-1.4 << " + pdf_metadata(block)["RedlineProvenance"].encode() + b" >>", "x.pdf")
Traceback (most recent call last):
...
redline.layers.errors.InputError: x.pdf: no redline provenance block in this file
"""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import zipfile
import zlib

from redline.layers.errors import InputError

__all__ = ["DOCX_MARKER", "HTML_ID", "PDF_KEY", "PNG_KEY", "XLSX_SHEET", "docx_with_block", "html_block",
           "pdf_metadata", "png_metadata", "read_block", "xlsx_chunks"]

HTML_ID = "redline-provenance"
XLSX_SHEET = "redline_provenance"
PNG_KEY = "redline-provenance"
PDF_KEY = "RedlineProvenance"
DOCX_MARKER = "redline-provenance:"
_CELL = 30_000          # characters per XLSX cell (a cell holds at most 32,767)

_HTML = re.compile(r'<script type="application/json" id="redline-provenance">(.*?)</script>', re.S)
_PDF = re.compile(rb"/RedlineProvenance\s*\(([A-Za-z0-9+/=\s\\]*)\)")


def _json(block: dict) -> str:
    return json.dumps(block, ensure_ascii=False, separators=(",", ":"))


# ------------------------------------------------------------------------------------------------ write
def html_block(block: dict) -> str:
    """The ``<script type="application/json">`` element holding the block in an HTML page: ``<``, ``>`` and
    ``&`` written as JSON escapes, so that no text in it can close the element or read as markup."""
    text = _json(block).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{HTML_ID}">{text}</script>'


def xlsx_chunks(block: dict) -> list[str]:
    """The block's JSON text in pieces of 30,000 characters: the cells of column A of the hidden sheet."""
    text = _json(block)
    return [text[i:i + _CELL] for i in range(0, max(len(text), 1), _CELL)]


_CORE_NS = {"cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
            "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
            "dcmitype": "http://purl.org/dc/dcmitype/", "xsi": "http://www.w3.org/2001/XMLSchema-instance"}


def docx_with_block(data: bytes, block: dict) -> bytes:
    """The bytes of a DOCX file with the block as its comments property (``dc:description`` of
    ``docProps/core.xml``; python-docx allows only 255 characters there, a block is longer)."""
    from xml.etree import ElementTree

    for prefix, uri in _CORE_NS.items():
        ElementTree.register_namespace(prefix, uri)
    src = zipfile.ZipFile(io.BytesIO(data))
    root = ElementTree.fromstring(src.read("docProps/core.xml"))
    tag = f"{{{_CORE_NS['dc']}}}description"
    el = root.find(tag)
    if el is None:
        el = ElementTree.SubElement(root, tag)
    el.text = DOCX_MARKER + _json(block)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = (ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
                    if info.filename == "docProps/core.xml" else src.read(info.filename))
            dst.writestr(info, body)
    return out.getvalue()


def png_metadata(block: dict) -> dict[str, str]:
    """``metadata`` for matplotlib's PNG writer (an ``iTXt`` chunk)."""
    return {PNG_KEY: _json(block)}


def pdf_metadata(block: dict) -> dict[str, str]:
    """``metadata`` for matplotlib's PDF writer: one document-information entry, base64 (plain ASCII)."""
    return {PDF_KEY: base64.b64encode(_json(block).encode("utf-8")).decode("ascii")}


# ------------------------------------------------------------------------------------------------- read
def _parse(text: str, path: str, where: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise InputError(f"the {where} is not valid JSON ({reason})", path=path) from None


def _png_text(data: bytes) -> dict[str, str]:
    """The text chunks (``tEXt``, ``zTXt``, ``iTXt``) of a PNG file."""
    out: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        try:
            if kind == b"tEXt":
                k, _, v = body.partition(b"\0")
                out[k.decode("latin-1")] = v.decode("latin-1")
            elif kind == b"zTXt":
                k, _, v = body.partition(b"\0")
                out[k.decode("latin-1")] = zlib.decompress(v[1:]).decode("latin-1")
            elif kind == b"iTXt":
                k, _, rest = body.partition(b"\0")
                compressed, rest = rest[0], rest[2:]
                _lang, _, rest = rest.partition(b"\0")
                _key, _, text = rest.partition(b"\0")
                out[k.decode("latin-1")] = (zlib.decompress(text) if compressed else text).decode("utf-8")
            elif kind == b"IEND":
                break
        except (ValueError, zlib.error, IndexError, UnicodeDecodeError):
            continue
    return out


def _xlsx_text(data: bytes) -> str | None:
    """The text of column A of the hidden sheet, read from the workbook's XML parts (inline strings, as
    redline writes them, or shared strings, as Excel saves them)."""
    from xml.etree import ElementTree

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        sheet = next((e for e in book.iterfind("m:sheets/m:sheet", ns) if e.get("name") == XLSX_SHEET), None)
        if sheet is None:
            return None
        rid = sheet.get(f"{{{ns['r']}}}id")
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = next(e.get("Target") for e in rels.iterfind("p:Relationship", ns) if e.get("Id") == rid)
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        shared = []
        if "xl/sharedStrings.xml" in zf.namelist():
            sst = ElementTree.fromstring(zf.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in sst.iterfind("m:si", ns)]
        root = ElementTree.fromstring(zf.read(part))
    texts = []
    for row in root.iterfind("m:sheetData/m:row", ns):
        cell = row.find("m:c", ns)
        if cell is None or not (cell.get("r") or "A").startswith("A"):
            continue
        if cell.get("t") == "inlineStr":
            texts.append("".join(t.text or "" for t in cell.iter(f"{{{ns['m']}}}t")))
        elif (v := cell.find("m:v", ns)) is not None and v.text is not None:
            texts.append(shared[int(v.text)] if cell.get("t") == "s" else v.text)
    return "".join(texts)


def _docx_text(zf: zipfile.ZipFile) -> str | None:
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(zf.read("docProps/core.xml"))
    except (KeyError, ElementTree.ParseError):
        return None
    for el in root:
        if el.tag.endswith("}description") and (el.text or "").startswith(DOCX_MARKER):
            return el.text[len(DOCX_MARKER):]
    return None


def read_block(data: bytes, path: str) -> dict:
    """The provenance block of an output's bytes (JSON, HTML, XLSX, DOCX, PNG or PDF, told by content).

    Raises
    ------
    InputError
        No block, or a block that is not valid JSON or is nested too deeply.
    """
    block = None
    head = data[:8]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        text = _png_text(data).get(PNG_KEY)
        block = _parse(text, path, "PNG text chunk") if text is not None else None
    elif head.startswith(b"%PDF-"):
        m = _PDF.search(data)
        if m:
            try:
                text = base64.b64decode(re.sub(rb"[\s\\]", b"", m.group(1)), validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raise InputError("the PDF's provenance entry is not base64 UTF-8 text", path=path) from None
            block = _parse(text, path, "PDF provenance entry")
    elif head.startswith(b"PK"):
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            names = set(zf.namelist())
        except (zipfile.BadZipFile, ValueError):
            raise InputError("a damaged ZIP file (XLSX or DOCX)", path=path) from None
        if "xl/workbook.xml" in names:
            try:
                text = _xlsx_text(data)
            except Exception as exc:  # a damaged workbook: a missing part, bad XML, a bad index
                raise InputError(f"cannot read the workbook: {str(exc)[:200]}", path=path) from None
            block = _parse(text, path, "provenance worksheet") if text else None
        elif "word/document.xml" in names:
            text = _docx_text(zf)
            block = _parse(text, path, "document's provenance property") if text else None
    else:
        text = data.decode("utf-8-sig", errors="replace")
        if text.lstrip()[:1] in ("{", "["):
            data_ = _parse(text, path, "file")
            block = data_.get("provenance") if isinstance(data_, dict) else None
        else:
            m = _HTML.search(text)
            if m:
                block = _parse(m.group(1), path, "embedded provenance block")
    if block is None:
        raise InputError("no redline provenance block in this file", path=path)
    return block
