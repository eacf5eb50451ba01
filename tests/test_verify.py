"""``redline verify OUTPUT`` (layers/provenance_check.py, redline/commands/verify.py): re-hash the inputs an
output's provenance names and say whether they changed."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from redline.cli import main
from redline.layers.errors import InputError
from redline.layers.outputs import file_record, provenance, to_json, write_text
from redline.layers.provenance_check import read_provenance, verify_output

X0, Y0 = 37_465_000.0, 4_200_000.0


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


@pytest.fixture
def red_line(tmp_path) -> Path:
    path = tmp_path / "红线.shp"
    gdf = gpd.GeoDataFrame({"HXMC": ["汾河红线"]}, geometry=[box(X0, Y0, X0 + 100, Y0 + 100)], crs=4525)
    pyogrio.write_dataframe(gdf, path, encoding="UTF-8")
    return path


def json_output(tmp_path: Path, *inputs: Path) -> Path:
    out = tmp_path / "out" / "result.json"
    write_text(out, to_json({"result": 1, "provenance": provenance([file_record(p) for p in inputs])}))
    return out


def test_unchanged_inputs(tmp_path, red_line) -> None:
    out = json_output(tmp_path, red_line)
    result = run("verify", str(out))
    assert result.exit_code == 0, result.stderr
    assert "unchanged" in result.stdout and "所有输入未变" in result.stdout
    r = json.loads(run("verify", str(out), "--json").stdout)
    assert r["unchanged"] is True and r["inputs"] == [{"path": str(red_line), "status": "unchanged"}]


def test_changed_input_reports_changed_and_exit_1(tmp_path, red_line) -> None:
    out = json_output(tmp_path, red_line)
    gdf = gpd.read_file(red_line)
    red_line.unlink()
    for ext in (".shx", ".dbf", ".prj", ".cpg"):
        red_line.with_suffix(ext).unlink(missing_ok=True)
    pyogrio.write_dataframe(gdf.assign(geometry=[box(X0, Y0, X0 + 200, Y0 + 100)]), red_line, encoding="UTF-8")
    result = run("verify", str(out))
    assert result.exit_code == 1
    assert f"changed    {red_line}" in result.stdout and "输入已变化" in result.stdout
    result = run("verify", str(out), "--json")
    assert result.exit_code == 1
    r = json.loads(result.stdout)  # exactly one JSON object
    assert r["unchanged"] is False and r["inputs"][0]["status"] == "changed"


def test_a_changed_shapefile_sidecar_counts(tmp_path, red_line) -> None:
    out = json_output(tmp_path, red_line)
    dbf = red_line.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[-2] ^= 0x01  # one byte of the attribute table
    dbf.write_bytes(bytes(data))
    assert verify_output(out)["inputs"][0]["status"] == "changed"
    assert run("verify", str(out)).exit_code == 1


def test_missing_input(tmp_path, red_line) -> None:
    out = json_output(tmp_path, red_line)
    red_line.unlink()
    r = verify_output(out)
    assert r["inputs"][0]["status"] == "missing" and not r["unchanged"]
    assert run("verify", str(out)).exit_code == 1


def test_geodatabase_folder_input(tmp_path) -> None:
    gdb = tmp_path / "a.gdb"
    gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs=4525).to_file(
        gdb, driver="OpenFileGDB", layer="甲")
    out = json_output(tmp_path, gdb)
    assert verify_output(out)["unchanged"]
    gpd.GeoDataFrame({"名称": ["乙"]}, geometry=[box(X0, Y0, X0 + 2, Y0 + 1)], crs=4525).to_file(
        gdb, driver="OpenFileGDB", layer="乙")
    assert verify_output(out)["inputs"][0]["status"] == "changed"


def test_html_output_with_embedded_provenance(tmp_path, red_line) -> None:
    block = to_json(provenance([file_record(red_line)])).replace("</", "<\\/")
    html = tmp_path / "map.html"
    html.write_text(f'<html><script type="application/json" id="redline-provenance">{block}</script></html>',
                    encoding="utf-8")
    assert read_provenance(html)["inputs"][0]["path"] == str(red_line)
    assert run("verify", str(html)).exit_code == 0
    red_line.with_suffix(".prj").write_text("changed")
    assert run("verify", str(html)).exit_code == 1


def test_output_of_a_real_command(tmp_path, red_line) -> None:
    result = run("area", str(red_line), "--json")
    if result.exit_code != 0:
        pytest.skip(f"redline area is not available: {result.stderr.strip()[:200]}")
    out = tmp_path / "area.json"
    out.write_text(result.stdout, encoding="utf-8")
    assert run("verify", str(out)).exit_code == 0
    red_line.with_suffix(".dbf").write_bytes(red_line.with_suffix(".dbf").read_bytes() + b"\x1a")
    result = run("verify", str(out))
    assert result.exit_code == 1 and "changed" in result.stdout


def test_bad_outputs(tmp_path) -> None:
    with pytest.raises(InputError, match="file not found"):
        verify_output(tmp_path / "nope.json")
    plain = tmp_path / "plain.json"
    plain.write_text('{"a": 1}', encoding="utf-8")
    result = run("verify", str(plain))
    assert result.exit_code == 3
    assert result.stderr.strip() == f"redline: error: {plain}: no redline provenance block in this file"
    result = run("verify", str(tmp_path / "nope.json"))
    assert result.exit_code == 3 and "file not found" in result.stderr and "Traceback" not in result.stderr


def test_malformed_provenance_blocks(tmp_path) -> None:
    html = tmp_path / "map.html"
    html.write_text('<script type="application/json" id="redline-provenance">{not json</script>', encoding="utf-8")
    result = run("verify", str(html))
    assert result.exit_code == 3 and "not valid JSON" in result.stderr and "Traceback" not in result.stderr
    odd = tmp_path / "odd.json"
    odd.write_text('{"provenance": {"inputs": [{"sha256": "00"}]}}', encoding="utf-8")
    result = run("verify", str(odd))
    assert result.exit_code == 3 and "inputs[0].path must be a file path" in result.stderr
