"""Checking an output's provenance block against the files it names.

JSON outputs carry ``provenance`` at the top level; HTML outputs embed it in
``<script type="application/json" id="redline-provenance">``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from redline.layers.errors import InputError
from redline.layers.outputs import sha256_file

_HTML_BLOCK = re.compile(r'<script type="application/json" id="redline-provenance">(.*?)</script>', re.S)


def read_provenance(path: str | os.PathLike) -> dict:
    """The provenance block of a redline output (JSON, or HTML with an embedded block)."""
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", path=str(p))
    text = p.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
        block = data.get("provenance") if isinstance(data, dict) else None
    except ValueError:
        m = _HTML_BLOCK.search(text)
        try:
            block = json.loads(m.group(1).replace("<\\/", "</")) if m else None
        except ValueError as exc:
            raise InputError(f"the embedded provenance block is not valid JSON ({exc})", path=str(p)) from None
    if not isinstance(block, dict) or "inputs" not in block:
        raise InputError("no redline provenance block in this file", path=str(p))
    if not isinstance(block["inputs"], list) or not all(isinstance(r, dict) and r.get("path")
                                                         for r in block["inputs"]):
        raise InputError("the provenance block's inputs are not a list of {path, sha256} records", path=str(p))
    return block


def verify_output(path: str | os.PathLike) -> dict:
    """``{"output", "unchanged", "inputs": [{"path", "status"}]}``; status ``unchanged``, ``changed``,
    ``missing`` or ``unhashed``."""
    block = read_provenance(path)
    items = []
    for rec in block["inputs"]:
        files = [rec] + list(rec.get("parts") or [])
        status = "unchanged"
        for f in files:
            fp = Path(f["path"])
            if not f.get("sha256"):
                status = "unhashed" if status == "unchanged" else status
            elif not fp.exists():
                status = "missing"
            elif fp.is_file() and sha256_file(fp) != f["sha256"]:
                status = "changed"
            elif fp.is_dir():
                from redline.layers.outputs import file_record

                if file_record(fp)["sha256"] != f["sha256"]:
                    status = "changed"
        items.append({"path": rec["path"], "status": status})
    return {"output": str(path), "created": block.get("created"), "tool_version": block.get("tool_version"),
            "unchanged": all(i["status"] in ("unchanged", "unhashed") for i in items), "inputs": items}
