"""``redline verify`` on every kind of output that carries provenance (issue 12 item 18) and on crafted
provenance blocks (issue 16).

* Every output kind written by a real command — ``check.json``, ``check.xlsx``, the 压覆分析报告 as HTML and
  DOCX, ``area --xlsx``, ``audit --xlsx``, the web map, and the print map as PNG and PDF — verifies as
  unchanged (exit 0), and as changed (exit 1) once an input it names changes.
* Generated provenance blocks (any JSON where the records should be) end in exit 0, 1 or 3 with one line,
  never a traceback; ``"path": 5``, ``"parts": "xyz"`` and JSON nested 100,000 deep are input errors naming
  the output, in every container (JSON, HTML, PNG, PDF, XLSX).
* Inputs it cannot hash — no hash recorded, now a named pipe, a device, a folder, a link loop — are
  "could not verify", exit 1, and a pipe is never opened (the test would hang).
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import tempfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline.cli import main
from redline.layers.outputs import file_record, provenance, to_json
from redline.layers.provenance_formats import html_block, pdf_metadata, png_metadata


def run(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)


def one_error_line(result) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("redline: error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# ------------------------------------------------------------------------------------ every output kind
@pytest.fixture(scope="module")
def outputs(tmp_path_factory, demo_dir):
    """Every output kind, written from a copy of the demo (its inputs are changed afterwards)."""
    from tests.conftest import cjk_font_path, require_system

    require_system(cjk_font_path() is not None, "a CJK font", "fonts-wqy-microhei")
    root = tmp_path_factory.mktemp("verify")
    demo = root / "demo"
    shutil.copytree(demo_dir, demo)
    out = root / "out"
    cwd = os.getcwd()
    os.chdir(demo)
    try:
        for args in (["check", "sites/项目选址.gpkg", "--out", out / "check", "--no-maps"],
                     ["area", "red_line", "--by-zones", "townships", "--xlsx", out / "area.xlsx"],
                     ["audit", "--xlsx", out / "audit.xlsx"],
                     ["map", "--no-layout", "--out", out / "map.html", "--png", out / "map.png", "--pdf",
                      out / "map.pdf"]):
            r = run(*args)
            assert r.exit_code in (0, 1), r.output
    finally:
        os.chdir(cwd)
    return demo, out


KINDS = ["check/check.json", "check/check.xlsx", "check/压覆分析报告.html", "check/压覆分析报告.docx", "area.xlsx",
         "audit.xlsx", "map.html", "map.png", "map.pdf"]


@pytest.mark.parametrize("name", KINDS)
def test_every_output_kind_verifies_unchanged(outputs, name):
    demo, out = outputs
    r = run("verify", out / name, "--json")
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert js["unchanged"] and js["inputs"]
    assert any(Path(i["path"]).name == "生态保护红线.shp" for i in js["inputs"]), js["inputs"]


def test_every_output_kind_sees_a_changed_input(outputs):
    demo, out = outputs
    dbf = demo / "data" / "生态保护红线.dbf"
    before = dbf.read_bytes()
    dbf.write_bytes(before + b"\x1a")
    try:
        for name in KINDS:
            r = run("verify", out / name)
            assert r.exit_code == 1, (name, r.output)
            assert "changed" in r.stdout and "生态保护红线.shp" in r.stdout, (name, r.stdout)
    finally:
        dbf.write_bytes(before)
    assert all(run("verify", out / name).exit_code == 0 for name in KINDS)


def test_the_blocks_are_where_the_readme_says(outputs):
    _, out = outputs
    from docx import Document
    from openpyxl import load_workbook

    assert '<script type="application/json" id="redline-provenance">' in (out / "map.html").read_text("utf-8")
    wb = load_workbook(out / "area.xlsx")
    assert wb["redline_provenance"].sheet_state == "hidden" and wb.sheetnames[0] == "面积统计"
    doc = Document(out / "check" / "压覆分析报告.docx")
    assert doc.core_properties.comments.startswith("redline-provenance:")
    assert b"iTXt" in (out / "map.png").read_bytes()[:200_000] or b"tEXt" in (out / "map.png").read_bytes()
    assert b"/RedlineProvenance" in (out / "map.pdf").read_bytes()


# ------------------------------------------------------------------------------------ crafted blocks
def _png_with_text(key: str, text: str) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    ihdr = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    itxt = key.encode("latin-1") + b"\0\0\0" + b"\0" + b"\0" + text.encode("utf-8")   # iTXt, uncompressed
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"iTXt", itxt) + chunk(b"IDAT", zlib.compress(b"\0\0"))
            + chunk(b"IEND", b""))


def _containers(block_text: str) -> dict[str, bytes]:
    """A provenance block's text put where each output kind keeps it."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    wb.create_sheet("表").append(["甲"])
    ws = wb.create_sheet("redline_provenance")
    for i in range(0, len(block_text), 30_000):
        ws.append([block_text[i:i + 30_000]])
    buf = io.BytesIO()
    wb.save(buf)
    return {
        "out.json": ('{"result": 1, "provenance": ' + block_text + "}").encode(),
        "out.html": f'<html><script type="application/json" id="redline-provenance">{block_text}</script></html>'
                    .encode(),
        "out.png": _png_with_text("redline-provenance", block_text),
        "out.pdf": b"%PDF-1.4\n1 0 obj << /RedlineProvenance (" + base64.b64encode(block_text.encode()) + b") >>",
        "out.xlsx": buf.getvalue(),
    }


@pytest.mark.parametrize(("block", "message"), [
    ('{"inputs": [{"path": 5, "sha256": null}]}', r"inputs\[0\]\.path must be a file path"),
    ('{"inputs": [{"path": "/a", "parts": "xyz"}]}', r"inputs\[0\]\.parts must be a list"),
    ('{"inputs": [{"path": "/a", "sha256": "xyz"}]}', r"inputs\[0\]\.sha256 must be 64 hexadecimal"),
    ('{"inputs": [{"path": "/a", "size": -1}]}', r"inputs\[0\]\.size must be a number of bytes"),
    ('{"inputs": "all of them"}', r"inputs must be a list"),
    ('{"inputs": [' + "[" * 100_000 + "]" * 100_000 + "]}", r"not valid JSON \(nested too deeply\)"),
    ('{"inputs": [}', r"not valid JSON"),
])
def test_crafted_blocks_in_every_container(tmp_path, block, message):
    import re

    for name, data in _containers(block).items():
        f = tmp_path / name
        f.write_bytes(data)
        r = run("verify", f)
        assert r.exit_code == 3, (name, r.output[-500:])
        line = one_error_line(r)
        assert str(f) in line and re.search(message, line), (name, line)


records = st.fixed_dictionaries({}, optional={
    "path": st.one_of(st.text(max_size=12), st.integers(), st.none(), st.lists(st.text(max_size=3), max_size=2)),
    "sha256": st.one_of(st.none(), st.text(max_size=70), st.just("0" * 64), st.integers()),
    "size": st.one_of(st.none(), st.integers(-5, 10**12), st.floats(), st.text(max_size=3)),
    "parts": st.one_of(st.text(max_size=3), st.lists(st.dictionaries(st.sampled_from(["path", "sha256"]),
                                                                     st.one_of(st.text(max_size=8), st.none()),
                                                                     max_size=2), max_size=2)),
})
blocks = st.one_of(
    st.fixed_dictionaries({"inputs": st.lists(st.one_of(records, st.integers(), st.text(max_size=5)), max_size=4)},
                          optional={"created": st.one_of(st.text(max_size=5), st.integers(), st.none())}),
    st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
                 lambda inner: st.one_of(st.lists(inner, max_size=3),
                                         st.dictionaries(st.sampled_from(["inputs", "path", "parts", "x"]), inner,
                                                         max_size=3)), max_leaves=10))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block=blocks, container=st.sampled_from(["out.json", "out.html", "out.png", "out.pdf"]))
def test_generated_blocks_end_in_one_line_and_a_documented_exit(block, container):
    with tempfile.TemporaryDirectory() as d:
        cwd = os.getcwd()
        os.chdir(d)          # relative paths in the block resolve in an empty folder
        try:
            text = json.dumps(block, ensure_ascii=False)
            f = Path(d) / container
            f.write_bytes(_containers(text)[container])
            r = run("verify", f)
        finally:
            os.chdir(cwd)
    assert r.exit_code in (0, 1, 3), r.output[-800:]
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    if r.exit_code == 3:
        one_error_line(r)
    if r.exit_code == 0:
        assert isinstance(block, dict) and block.get("inputs") == []


# ------------------------------------------------------------------------------------ could not verify
@pytest.mark.parametrize("what", ["no_hash", "fifo", "device", "folder", "link_loop", "dangling_link"])
def test_inputs_it_cannot_hash_are_not_said_unchanged(tmp_path, what):
    src = tmp_path / "红线.geojson"
    src.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    rec = file_record(src)
    if what == "no_hash":
        rec["sha256"] = None
    elif what == "fifo":
        src.unlink()
        os.mkfifo(src)
    elif what == "device":
        rec["path"] = "/dev/null"
    elif what == "folder":
        src.unlink()
        src.mkdir()
    elif what == "link_loop":
        src.unlink()
        os.symlink(tmp_path / "环.geojson", src)
        os.symlink(src, tmp_path / "环.geojson")
    elif what == "dangling_link":
        src.unlink()
        os.symlink(tmp_path / "不存在.geojson", src)
    out = tmp_path / "area.json"
    out.write_text(to_json({"provenance": provenance([rec])}), encoding="utf-8")
    r = run("verify", out)
    assert r.exit_code == 1, r.output
    assert "could not verify" in r.stdout and "unchanged" not in r.stdout.split("\n")[-2], r.stdout
    js = json.loads(run("verify", out, "--json").stdout)
    assert js["unchanged"] is False and js["inputs"][0]["status"] == "unverified" and js["inputs"][0]["why"]


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=30))
def test_blocks_round_trip_any_text(text):
    """Whatever a path holds (markup, quotes, Chinese, controls), the block reads back as written."""
    from redline.layers.provenance_formats import read_block

    block = {"inputs": [{"path": text + '</script><!-- "甲" & 乙 >', "sha256": None}]}
    html = f"<html><head>{html_block(block)}</head></html>"
    inner = html.split('id="redline-provenance">')[1].rsplit("</script>", 1)[0]
    assert "<" not in inner and ">" not in inner
    assert read_block(html.encode(), "x.html") == block
    assert read_block(_png_with_text("redline-provenance", png_metadata(block)["redline-provenance"]), "x.png") == block
    pdf = b"%PDF-1.4 << /RedlineProvenance (" + pdf_metadata(block)["RedlineProvenance"].encode() + b") >>"
    assert read_block(pdf, "x.pdf") == block
