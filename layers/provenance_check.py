"""Checking an output's provenance block against the files it names (``redline verify``).

Every output that carries a block can be verified: JSON, HTML (reports and web maps), XLSX, DOCX, PNG and PDF
(where each keeps it: :mod:`redline.layers.provenance_formats`). Each input is re-hashed and given a status:

``unchanged``
    its SHA-256 (and its sidecars') is the one recorded;
``changed``
    it (or a sidecar) hashes differently;
``missing``
    it (or a sidecar) is gone;
``unverified``
    it cannot be compared: the block holds no hash for it, or the path is now a folder, a named pipe, a
    device, a link loop, or cannot be read.

Only when every input is ``unchanged`` are the inputs said to be unchanged; any other status makes
``verify`` exit 1. A block that is not one (``"path": 5``, ``"parts": "xyz"``, JSON nested 100,000 deep) is an
input error naming the output.

Example
-------
>>> import tempfile, os
>>> from redline.layers.outputs import file_record, provenance, to_json
>>> d = tempfile.mkdtemp()
>>> src = os.path.join(d, "红线.geojson")
>>> _ = open(src, "w").write("{}")
>>> out = os.path.join(d, "area.json")
>>> _ = open(out, "w").write(to_json({"provenance": provenance([file_record(src)])}))
>>> verify_output(out)["inputs"][0]["status"]
'unchanged'
>>> _ = open(src, "w").write('{"changed": 1}')
>>> r = verify_output(out)
>>> r["inputs"][0]["status"], r["unchanged"]
('changed', False)
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from redline.layers.errors import InputError
from redline.layers.inputs import check_input
from redline.layers.outputs import file_record, sha256_file
from redline.layers.provenance_formats import read_block

__all__ = ["STATUS_LABELS", "read_provenance", "verify_output"]

STATUS_LABELS = {"unchanged": "未变 unchanged", "changed": "已变化 changed", "missing": "缺失 missing",
                 "unverified": "无法核验 could not verify"}
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _fail(path: str, what: str) -> InputError:
    return InputError(f"the provenance block is malformed: {what}", path=path)


def _check_record(rec, where: str, path: str, *, parts: bool) -> None:
    if not isinstance(rec, dict):
        raise _fail(path, f"{where} is not a record {{path, size, sha256}}")
    if not isinstance(rec.get("path"), str) or not rec["path"]:
        raise _fail(path, f"{where}.path must be a file path (text), not {rec.get('path')!r:.60}")
    if "\0" in rec["path"]:
        raise _fail(path, f"{where}.path holds a NUL character")
    sha = rec.get("sha256")
    if sha is not None and not (isinstance(sha, str) and _SHA256.fullmatch(sha)):
        raise _fail(path, f"{where}.sha256 must be 64 hexadecimal digits or null, not {sha!r:.60}")
    size = rec.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise _fail(path, f"{where}.size must be a number of bytes or null, not {size!r:.60}")
    if "parts" in rec:
        if not parts:
            raise _fail(path, f"{where} is a part and cannot have parts")
        if not isinstance(rec["parts"], list):
            raise _fail(path, f"{where}.parts must be a list of records, not {rec['parts']!r:.60}")
        for j, part in enumerate(rec["parts"]):
            _check_record(part, f"{where}.parts[{j}]", path, parts=False)


def read_provenance(path: str | os.PathLike) -> dict:
    """The provenance block of a redline output (JSON, HTML, XLSX, DOCX, PNG, PDF), checked for shape.

    Raises
    ------
    InputError
        The output cannot be read, holds no block, or the block is malformed (what and where).
    """
    p = check_input(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(p)) from None
    block = read_block(data, str(p))
    if not isinstance(block, dict) or "inputs" not in block:
        raise InputError("no redline provenance block in this file", path=str(p))
    if not isinstance(block["inputs"], list):
        raise _fail(str(p), f"inputs must be a list of records, not {block['inputs']!r:.60}")
    for i, rec in enumerate(block["inputs"]):
        _check_record(rec, f"inputs[{i}]", str(p), parts=True)
    return block


def _status(rec: dict) -> tuple[str, str | None]:
    """``(status, why)`` of one recorded file, never reading anything but a regular file (a named pipe would
    block, a device would never end) or a File Geodatabase folder."""
    fp = Path(rec["path"])
    if not rec.get("sha256"):
        return "unverified", "no hash was recorded for it"
    try:
        st = os.stat(fp)
    except FileNotFoundError:
        return ("unverified", "a symbolic link to a missing file") if os.path.islink(fp) else ("missing", None)
    except OSError as exc:
        return "unverified", exc.strerror or str(exc)
    if stat.S_ISDIR(st.st_mode):
        if fp.suffix.lower() != ".gdb":
            return "unverified", "now a folder"
        digest = file_record(fp)["sha256"]
    elif not stat.S_ISREG(st.st_mode):
        return "unverified", "now a named pipe, device or socket, not a file"
    else:
        try:
            digest = sha256_file(fp)
        except OSError as exc:
            return "unverified", exc.strerror or str(exc)
    return ("unchanged", None) if digest == rec["sha256"] else ("changed", None)


def verify_output(path: str | os.PathLike) -> dict:
    """``{"output", "created", "tool_version", "unchanged", "inputs": [{"path", "status", "why"?}]}``; the
    status of each input is ``unchanged``, ``changed``, ``missing`` or ``unverified`` (its sidecars count:
    the worst status of the files wins)."""
    block = read_provenance(path)
    order = ("unchanged", "unverified", "changed", "missing")
    items = []
    for rec in block["inputs"]:
        worst, why = "unchanged", None
        for f in [rec, *(rec.get("parts") or [])]:
            status, reason = _status(f)
            if order.index(status) > order.index(worst):
                worst = status
                why = f"{f['path']}: {reason}" if reason and f is not rec else reason
        item = {"path": rec["path"], "status": worst}
        if why:
            item["why"] = why
        items.append(item)
    return {"output": str(path), "created": block.get("created"), "tool_version": block.get("tool_version"),
            "unchanged": all(i["status"] == "unchanged" for i in items), "inputs": items}
