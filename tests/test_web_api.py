"""``redline serve``: the JSON API and the pages, in process (FastAPI's TestClient), on the demo region.

What is compared with what: a check's ``result`` with the output of ``redline check … --json`` run on the
same stored file in the job's folder (the CLI is the specification; ``created`` aside), verdicts with the
expected verdicts the demo's ``sites/README.md`` states from how each site was built, area and plan-text
results with ``redline area --json`` and ``redline audit-text --json``, layer feature counts with the files
read by pyogrio directly.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from redline.web.app import Settings, create_app

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

BASE = "http://127.0.0.1:8765"
ORIGIN = {"Origin": BASE}
TXT = {"01": "01_示范县幸福里住宅小区.txt", "02": "02_示范县农产品加工园.txt", "03": "03_示范县东山风电场升压站.txt",
       "04": "04_示范县城区安置房项目.txt"}
# expected verdicts: the demo's sites/README.md ("预期结论"), from how each site was built
EXPECTED = {"SF-01": "需论证", "SF-02": "需论证", "SF-03": "不符合", "SF-04": "不符合", "SF-06": "不符合",
            "SF-07": "需论证", "SF-08": "需论证"}


@contextlib.contextmanager
def web_client(demo_dir: Path, data_dir: Path, **settings):
    from fastapi.testclient import TestClient

    app = create_app(Settings(project=demo_dir / "redline.toml", data_dir=data_dir, **{"jobs": 2, **settings}))
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def web(demo_dir, tmp_path_factory):
    with web_client(demo_dir, tmp_path_factory.mktemp("serve")) as client:
        yield client


def wait(client, job_id: str, limit_s: float = 180.0) -> dict:
    """Poll a check until it is done or failed (a bound on waiting, not a timing assertion)."""
    t0 = time.monotonic()
    while True:
        d = client.get(f"/api/checks/{job_id}").json()
        if d["status"] in ("done", "failed"):
            return d
        if time.monotonic() - t0 > limit_s:
            pytest.fail(f"check {job_id} not finished after {limit_s} s: {d}")
        time.sleep(0.2)


def submit(client, files: list[tuple[str, bytes]], **data) -> dict:
    r = client.post("/api/checks", files=[("sites", (n, b, "application/octet-stream")) for n, b in files],
                    data=data, headers=ORIGIN)
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"id", "status"} and r.json()["status"] in ("queued", "running")
    return wait(client, r.json()["id"])


def job_folder(client, job_id: str) -> Path:
    return client.app.state.service.store.folder(job_id)


def cli_json(args: list[str], cwd: Path) -> dict:
    p = subprocess.run([sys.executable, "-m", "redline.cli", *args, "--json"], cwd=cwd, capture_output=True)
    assert p.returncode in (0, 1), p.stderr.decode()
    return json.loads(p.stdout)


def without_created(d: dict) -> dict:
    d = json.loads(json.dumps(d))
    d.get("provenance", {}).pop("created", None)
    return d


def test_layers_list_every_project_layer_with_counts_source_and_date(web, demo_dir):
    toml = tomllib.loads((demo_dir / "redline.toml").read_text(encoding="utf-8"))
    r = web.get("/api/layers")
    assert r.status_code == 200
    js = r.json()
    assert js["project"]["name"] == toml["region"]["name"]
    assert js["project"]["boundary"] == "county" and js["project"]["townships"] == "townships"
    layers = {x["id"]: x for x in js["layers"]}
    assert list(layers) == list(toml["layers"])
    for lid, spec in toml["layers"].items():
        path = demo_dir / spec["path"]
        expected = pyogrio.read_info(path, layer=spec.get("layer"))["features"]
        assert layers[lid]["features"] == expected, lid
        assert layers[lid]["kind"] == spec["kind"]
        assert layers[lid]["source"] == spec["source"] and layers[lid]["date"] == spec["date"]
        assert not Path(layers[lid]["file"]).is_absolute()
    assert layers["red_line"]["control"] and not layers["county"]["control"]


def test_check_of_a_guotu_file_is_the_cli_result(web, demo_dir):
    data = (demo_dir / "sites" / TXT["02"]).read_bytes()
    d = submit(web, [(TXT["02"], data)], type="industry", name="加工园")
    assert d["status"] == "done", d["error"]
    assert d["error"] is None and d["progress"] is None and d["name"] == "加工园"
    folder = job_folder(web, d["id"])
    cli = cli_json(["check", f"sites/{TXT['02']}", "--project", str(demo_dir / "redline.toml"), "--type", "industry"],
                   cwd=folder)
    assert without_created(d["result"]) == without_created(cli)
    assert [s["verdict"] for s in d["result"]["sites"]] == ["不符合"]          # sites/README.md: 不符合
    assert d["result"]["sites"][0]["source"] == f"sites/{TXT['02']}"
    assert set(d["files"]) == {"压覆分析报告.docx", "压覆分析报告.html", "check.xlsx", "sites.csv", "hits.csv", "check.json"}
    # the downloads: check.json is the result; the DOCX and XLSX open
    r = web.get(f"/api/checks/{d['id']}/files/check.json")
    assert without_created(r.json()) == without_created(d["result"])
    import docx
    import openpyxl

    r = web.get(f"/api/checks/{d['id']}/files/压覆分析报告.docx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs)
    assert "不符合" in text and "示范县农产品加工园" in text
    wb = openpyxl.load_workbook(io.BytesIO(web.get(f"/api/checks/{d['id']}/files/check.xlsx").content))
    assert wb.sheetnames
    assert web.get(f"/api/checks/{d['id']}/files/sites.csv").content.decode("utf-8-sig").count("\n") >= 2


def test_check_of_a_geopackage_gives_the_expected_verdicts_and_the_map(web, demo_dir):
    d = submit(web, [("项目选址.gpkg", (demo_dir / "sites" / "项目选址.gpkg").read_bytes())])
    assert d["status"] == "done", d["error"]
    res = d["result"]
    verdicts = {s["site_id"]: s["verdict"] for s in res["sites"]}
    assert len(verdicts) == 8
    for sid, v in EXPECTED.items():
        assert verdicts[sid] == v, sid
    assert verdicts["SF-05"] in ("符合", "需论证")                          # README: 符合（或需论证）
    m = web.get(f"/api/checks/{d['id']}/map").json()
    assert len(m["sites"]["features"]) == 8
    hit_features = {(h["layer"], h["feature_index"]) for s in res["sites"] for h in s["hits"]}
    assert len(m["hits"]["features"]) == len(hit_features)
    red = [f for f in m["hits"]["features"] if f["properties"]["layer"] == "red_line"]
    assert {s for f in red for s in f["properties"]["sites"]} == {"SF-01", "SF-06", "SF-07"}  # README: touches red_line
    # the map is in longitude/latitude around the county (Shanxi, zone 37: 109.5°–112.5° E)
    lon, lat = m["sites"]["features"][0]["geometry"]["coordinates"][0]
    assert 109.5 < lon < 112.5 and 34 < lat < 41


class _GbkName(zipfile.ZipInfo):
    """A member named in GBK without the UTF-8 flag, as zip tools on Chinese Windows write them."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def _zip(members: dict[str, bytes], *, utf8_names: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = (zipfile.ZipInfo if utf8_names else _GbkName)(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def test_a_zip_of_guotu_files_with_gbk_names_is_checked_as_a_folder(web, demo_dir):
    members = {f"报批坐标/{name}": (demo_dir / "sites" / name).read_bytes() for name in TXT.values()}
    data = _zip(members, utf8_names=False)
    d = submit(web, [("报批坐标.zip", data)])
    assert d["status"] == "done", d["error"]
    assert sorted(s["source"] for s in d["result"]["sites"]) == sorted(
        f"sites/{n}" for n in TXT.values() for _ in range(1 if n != TXT["04"] else 2))   # 04 has two parcels
    cli = cli_json(["check", "sites", "--project", str(demo_dir / "redline.toml")], cwd=job_folder(web, d["id"]))
    assert without_created(d["result"]) == without_created(cli)
    by_file = {}
    for s in d["result"]["sites"]:
        by_file.setdefault(s["source"].split("/")[-1], set()).add(s["verdict"])
    assert by_file[TXT["01"]] == {"符合"} and by_file[TXT["03"]] == {"无法判定"}   # README


def test_zipped_shapefile_kmz_csv_and_geojson_uploads(web, demo_dir, tmp_path):
    sites = gpd.read_file(demo_dir / "sites" / "项目选址.gpkg")
    shp = tmp_path / "shp"
    shp.mkdir()
    sites[sites.geom_type == "Polygon"].to_file(shp / "地块.shp", encoding="gbk")
    zdata = _zip({f"成果/{p.name}": p.read_bytes() for p in shp.iterdir()})
    d = submit(web, [("成果.zip", zdata)])
    assert d["status"] == "done", d["error"]
    assert {s["site_id"]: s["verdict"] for s in d["result"]["sites"]}["SF-06"] == "不符合"
    # KMZ: a zip holding doc.kml
    kml = tmp_path / "doc.kml"
    sites.to_crs(4326).to_file(kml, driver="KML")
    d = submit(web, [("选址.kmz", _zip({"doc.kml": kml.read_bytes()}))], type="mining")
    assert d["status"] == "done", d["error"]
    assert len(d["result"]["sites"]) == 8
    # a CSV of points, named .txt: typed by its content
    pts = sites[sites.geom_type == "Point"].to_crs(4490)
    csv = "名称,经度,纬度\n" + "".join(f"{n},{g.x:.8f},{g.y:.8f}\n" for n, g in zip(pts["XMMC"], pts.geometry,
                                                                                strict=True))
    d = submit(web, [("points.txt", csv.encode("utf-8"))], type="生态修复")
    assert d["status"] == "done", d["error"]
    assert [s["source"] for s in d["result"]["sites"]] == ["sites/points.csv"] * len(pts)
    assert [s["name"] for s in d["result"]["sites"]] == list(pts["XMMC"])


def test_a_drawn_polygon_is_checked(web, demo_dir):
    import shapely

    site = gpd.read_file(demo_dir / "sites" / "项目选址.gpkg").set_index("DKBH").loc[["SF-06"]].to_crs(4326)
    geometry = json.loads(shapely.to_geojson(site.geometry.iloc[0]))
    r = web.post("/api/checks", json={"geometry": geometry, "type": "mining", "name": "绘制的采石场"}, headers=ORIGIN)
    assert r.status_code == 201, r.text
    d = wait(web, r.json()["id"])
    assert d["status"] == "done", d["error"]
    [s] = d["result"]["sites"]
    assert s["verdict"] == "不符合" and s["name"] == "绘制的采石场"          # README: SF-06 不符合 (wholly in the red line)
    assert {h["layer"] for h in s["hits"]} >= {"red_line"}


def test_a_dxf_upload_is_passed_to_the_reader(web, tmp_path):
    import shapely

    g = gpd.GeoDataFrame(geometry=[shapely.box(37_553_000, 4_235_000, 37_553_100, 4_235_100)], crs=4525)
    g.to_file(tmp_path / "a.dxf", driver="DXF")
    r = web.post("/api/checks", files=[("sites", ("图纸.dxf", (tmp_path / "a.dxf").read_bytes()))], headers=ORIGIN)
    if r.status_code == 422:          # the reader refuses it: one line naming the uploaded file
        assert r.json()["error"].startswith("图纸.dxf") or "图纸.dxf" in r.json()["error"]
        assert "\n" not in r.json()["error"] and "/jobs/" not in r.json()["error"]
    else:
        assert r.status_code == 201, r.text
        d = wait(web, r.json()["id"])
        assert d["status"] in ("done", "failed")
        if d["status"] == "failed":
            assert "图纸.dxf" in d["error"] and "/jobs/" not in d["error"]


@pytest.mark.parametrize("files,data,status,words", [
    ([], {"type": "housing"}, 400, ["sites"]),
    ([("a.txt", TXT["01"])], {"type": "no_such_type"}, 400, ["no_such_type"]),
    ([("图片.txt", b"\x89PNG\r\n\x1a\n" + bytes(200))], {}, 415, ["图片.txt"]),
    ([("坏.zip", b"PK\x03\x04 this is not really a zip")], {}, 422, ["坏.zip"]),
    ([("坏坐标.txt", "[属性描述]\r\n坐标系=2000国家大地坐标系\r\n[地块坐标]\r\n4,1.0,X1,坏地块,面,,,,@\r\nJ1,1,abc,def\r\n")], {}, 422, ["坏坐标.txt"]),
])
def test_bad_uploads_are_one_line_json_errors(web, demo_dir, files, data, status, words):
    payload = []
    for name, content in files:
        if isinstance(content, str) and content in TXT.values():
            content = (demo_dir / "sites" / content).read_bytes()
        elif isinstance(content, str):
            content = content.encode("gbk")
        payload.append(("sites", (name, content)))
    jobs_before = set(web.app.state.service.store.root.iterdir())
    r = web.post("/api/checks", files=payload or None, data=data, headers=ORIGIN) if payload else \
        web.post("/api/checks", data={**data, "x": "1"}, files={"other": ("x", b"")}, headers=ORIGIN)
    assert r.status_code == status, r.text
    msg = r.json()["error"]
    assert set(r.json()) == {"error"} and "\n" not in msg and "Traceback" not in msg
    for w in words:
        assert w in msg
    assert "/jobs/" not in msg and str(web.app.state.service.data_dir) not in msg
    assert set(web.app.state.service.store.root.iterdir()) == jobs_before      # the refused job left nothing


def test_request_errors(web):
    assert web.post("/api/checks", content=b"x", headers={**ORIGIN, "Content-Type": "text/plain"}).status_code == 415
    assert web.post("/api/checks", content=b"{not json", headers={**ORIGIN, "Content-Type": "application/json"}
                    ).status_code == 400
    r = web.post("/api/checks", json={"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 1], [1, 0],
                                                                                       [0, 0]]]}}, headers=ORIGIN)
    assert r.status_code == 400 and "几何无效" in r.json()["error"]
    r = web.post("/api/checks", json={"geometry": {"type": "Point", "coordinates": [500, 1]}}, headers=ORIGIN)
    assert r.status_code == 400
    assert web.get("/api/checks/" + "0" * 48).status_code == 404
    assert web.get("/api/checks/nothing").status_code == 404
    assert web.get("/api/area", params={"layer": "no_layer"}).status_code == 400
    assert web.get("/api/area", params={"layer": "red_line", "decimals": 99}).status_code == 422
    assert web.get("/api/area", params={"layer": "red_line", "unit": "furlong"}).status_code == 400
    r = web.get("/api/area", params={"layer": "/etc/passwd"})
    assert r.status_code == 400 and "passwd" in r.json()["error"] and "root:" not in r.text
    assert web.get("/api/layers/no_layer/geojson").status_code == 400
    r = web.post("/api/audit-text", files={"plan": ("规划.txt", bytes(range(256)) * 40)}, headers=ORIGIN)
    assert r.status_code == 422 and r.json()["error"].startswith("规划.txt")


def test_area_is_the_cli_result_and_downloads_as_xlsx(web, demo_dir):
    params = {"layer": "red_line", "by_zones": "townships", "unit": "ha"}
    r = web.get("/api/area", params=params)
    assert r.status_code == 200
    cli = cli_json(["area", "red_line", "--by-zones", "townships", "--unit", "ha", "--project",
                    str(demo_dir / "redline.toml")], cwd=demo_dir)
    assert without_created(r.json()) == without_created(cli)
    import openpyxl

    x = web.get("/api/area.xlsx", params=params)
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    total = next(row for row in rows if row[0] == "合计")
    assert total[1] == cli["total"]
    n = len(cli["rounded_rows"])
    assert n == 12 and [r[:3] for r in rows[1:1 + n]] == cli["rounded_rows"]


def test_audit_text_is_the_cli_result(web, demo_dir):
    plan = demo_dir / "示范县生态保护规划.txt"
    r = web.post("/api/audit-text", files={"plan": ("规划文本.txt", plan.read_bytes())}, headers=ORIGIN)
    assert r.status_code == 200
    cli = cli_json(["audit-text", plan.name, "--project", "redline.toml"], cwd=demo_dir)
    js = r.json()
    assert js["path"] == "规划文本.txt"
    for key in ("claims", "findings", "summary", "encoding", "lines"):
        assert js[key] == cli[key], key
    assert {f["kind"] for f in js["findings"]} >= {"conflicting_values"}       # the demo's planted contradiction


def test_pages_show_the_project_the_results_and_escape_names(web, demo_dir):
    page = web.get("/").text
    for label in ("示范县生态保护红线", "示范县永久基本农田", "示范县自然资源局（虚构数据）", "2026-06-30", "北川镇"):
        assert label in page
    assert "<iframe" in page and "/map/project" in page
    form = web.get("/check").text
    assert "住宅及城镇建设" in form and "线性基础设施" in form
    d = submit(web, [(TXT["01"], (demo_dir / "sites" / TXT["01"]).read_bytes())], type="housing")
    page = web.get(f"/check/{d['id']}").text
    assert "示范县幸福里住宅小区" in page and "符合" in page and "压覆分析报告.docx" in page
    assert "示范县城镇开发边界" in page                                   # README: touches urban_boundary
    audit = web.post("/audit-text", files={"plan": ("规划.txt", (demo_dir / "示范县生态保护规划.txt").read_bytes())},
                     headers=ORIGIN).text
    assert "第11行" in audit and "第19行" in audit and "side-by-side" in audit
    area = web.get("/area", params={"layer": "red_line", "by_zones": "townships", "unit": "mu"}).text
    assert "亩" in area and "北川镇" in area and "/api/area.xlsx?" in area
    assert web.get("/check/" + "f" * 48).status_code == 404
    m = web.get("/map/project")
    assert m.status_code == 200 and "script-src 'sha256-" in m.headers["content-security-policy"]
    for name in ("leaflet.js", "leaflet.css", "leaflet.draw.js", "leaflet.draw.css"):
        assert web.get(f"/vendor/{name}").status_code == 200
    assert web.get("/vendor/../../etc/passwd").status_code == 404


def test_each_browser_session_lists_only_its_own_checks(web, demo_dir):
    from fastapi.testclient import TestClient

    data = (demo_dir / "sites" / TXT["01"]).read_bytes()
    with TestClient(web.app, base_url=BASE) as a, TestClient(web.app, base_url=BASE) as b:
        a.get("/check")
        b.get("/check")
        assert a.cookies.get("redline_session") != b.cookies.get("redline_session")
        job = a.post("/api/checks", files=[("sites", (TXT["01"], data))], headers=ORIGIN).json()["id"]
        assert [j["id"] for j in a.get("/api/checks").json()["checks"]] == [job]
        assert b.get("/api/checks").json()["checks"] == []
        wait(a, job)


def test_restart_keeps_finished_jobs_and_fails_interrupted_ones(demo_dir, tmp_path):
    data_dir = tmp_path / "serve"
    with web_client(demo_dir, data_dir) as c:
        d = submit(c, [(TXT["01"], (demo_dir / "sites" / TXT["01"]).read_bytes())], type="housing")
        store = c.app.state.service.store
        running = store.create(name="中断", kind="check", owner=None)
        running.status, running.sites = "running", "sites"
        store.save(running)
        (store.folder(running.id) / "out").mkdir()
        (store.folder(running.id) / "out" / "check.json").write_text("{", encoding="utf-8")   # half-written
    with web_client(demo_dir, data_dir) as c:
        again = c.get(f"/api/checks/{d['id']}").json()
        assert again["status"] == "done" and again["result"] == d["result"]
        gone = c.get(f"/api/checks/{running.id}").json()
        assert gone["status"] == "failed" and "中断" in gone["error"] and gone["result"] is None
        assert not (c.app.state.service.store.folder(running.id) / "out").exists()


def test_jobs_are_removed_after_the_retention_time(demo_dir, tmp_path):
    with web_client(demo_dir, tmp_path / "serve", keep_hours=2) as c:
        d = submit(c, [(TXT["01"], (demo_dir / "sites" / TXT["01"]).read_bytes())])
        store = c.app.state.service.store
        folder = store.folder(d["id"])
        assert store.sweep(now=time.time() + 3600) == [] and folder.is_dir()
        assert store.sweep(now=time.time() + 2 * 3600 + 60) == [d["id"]]
        assert not folder.exists()
        assert c.get(f"/api/checks/{d['id']}").status_code == 404


def test_progress_of_a_running_check_is_reported(web):
    store = web.app.state.service.store
    job = store.create(name="进度", kind="check", owner=None)
    job.sites = "sites"
    store.save(job)                                     # queued, not submitted: the worker's files written by hand
    assert web.get(f"/api/checks/{job.id}").json()["status"] == "queued"
    (store.folder(job.id) / "progress.json").write_text('{"stage": "checking", "done": 120, "total": 300, '
                                                        '"what": "red_line"}', encoding="utf-8")
    d = web.get(f"/api/checks/{job.id}").json()
    assert d["status"] == "running" and d["progress"] == {"stage": "checking", "done": 120, "total": 300,
                                                          "what": "red_line"}
    assert d["result"] is None and d["files"] == []
    assert "检查中" in web.get(f"/check/{job.id}").text
    store.discard(job)


def test_the_serve_command(demo_dir, tmp_path, monkeypatch):
    """``redline serve``: off loopback a token is generated, printed and required; bad options are one line."""
    import uvicorn
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from redline.cli import main

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    import socket

    monkeypatch.chdir(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = CliRunner().invoke(main, ["serve", "--project", str(demo_dir / "redline.toml"), "--host", "0.0.0.0",
                                  "--port", str(port), "--data-dir", str(tmp_path / "d")])
    assert r.exit_code == 0, r.output
    token = next(line.split("?token=")[1] for line in r.output.splitlines() if "?token=" in line)
    assert len(token) >= 40 and f"Bearer {token}" in r.output
    assert served["host"] == "0.0.0.0"
    with TestClient(served["app"], base_url="http://10.1.2.3:8765") as c:
        assert c.get("/api/layers").status_code == 401
        assert c.get("/api/layers", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    r = CliRunner().invoke(main, ["serve", "--project", str(tmp_path / "none.toml")])
    assert r.exit_code == 3 and r.output.count("\n") == 1 and "redline: error:" in r.output
