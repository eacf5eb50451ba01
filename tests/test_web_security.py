"""``redline serve``: the security rules, in process (token, cookies, Host, Origin, CSP, upload limits,
archives that try to write outside their folder, zip bombs, markup and control characters in names)."""

from __future__ import annotations

import io
import re
import stat
import zipfile

import pytest
from test_web_api import BASE, ORIGIN, TXT, submit, wait, web_client

from redline.web import uploads

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def web(demo_dir, tmp_path_factory):
    with web_client(demo_dir, tmp_path_factory.mktemp("serve"), max_upload_mb=1, max_members=20) as client:
        yield client


@pytest.fixture(scope="module")
def guarded(demo_dir, tmp_path_factory):
    """The app as served on the intranet: a token is required."""
    with web_client(demo_dir, tmp_path_factory.mktemp("serve-token"), token=TOKEN, loopback=False) as client:
        yield client


def test_without_the_token_everything_is_401_and_reveals_nothing(guarded):
    for method, url in [("GET", "/"), ("GET", "/api/layers"), ("GET", "/check"), ("GET", "/static/app.css"),
                        ("GET", "/openapi.json"), ("GET", "/map/project"), ("POST", "/api/checks"),
                        ("GET", "/api/area?layer=red_line")]:
        r = guarded.request(method, url)
        assert r.status_code == 401, url
        assert "示范县" not in r.text and "red_line" not in r.text, url
    assert guarded.get("/api/layers", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert guarded.get("/api/layers", headers={"Cookie": "redline_token=wrong"}).status_code == 401
    assert guarded.get("/?token=wrong", follow_redirects=False).status_code == 401


def test_the_token_works_as_bearer_and_once_in_the_url_then_as_a_cookie(guarded):
    from fastapi.testclient import TestClient

    r = guarded.get("/api/layers", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.json()["project"]["name"] == "示范县（虚构）"
    with TestClient(guarded.app, base_url="http://10.0.0.5:8765") as browser:
        r = browser.get(f"/check?token={TOKEN}&x=1", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/check?x=1"       # the token leaves the URL
        cookie = r.headers["set-cookie"]
        assert "redline_token=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace(
            "Strict", "strict")
        assert browser.get("/check").status_code == 200
        assert browser.get("/api/layers").status_code == 200


def test_on_loopback_the_host_must_be_loopback(web):
    assert web.get("/api/layers").status_code == 200
    for host in ("evil.example", "evil.example:8765", "192.168.1.5:8765"):
        r = web.get("/api/layers", headers={"Host": host})
        assert r.status_code == 400 and "示范县" not in r.text
    assert web.get("/api/layers", headers={"Host": "localhost:8765"}).status_code == 200
    assert web.get("/api/layers", headers={"Host": "[::1]:8765"}).status_code == 200


def test_cross_site_requests_that_change_state_are_refused(web, demo_dir):
    data = (demo_dir / "sites" / TXT["01"]).read_bytes()
    files = [("sites", (TXT["01"], data))]
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Referer": "http://evil.example/x"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://127.0.0.1:9999"}):
        r = web.post("/api/checks", files=files, headers=headers)
        assert r.status_code == 403, headers
        r = web.post("/audit-text", files={"plan": ("p.txt", b"x")}, headers=headers)
        assert r.status_code == 403, headers
    assert web.post("/api/checks", files=files, headers=ORIGIN).status_code == 201
    assert web.post("/api/checks", files=files, headers={"Referer": BASE + "/check"}).status_code == 201


def test_every_response_has_a_csp_allowing_only_the_apps_scripts(web):
    for url in ("/", "/check", "/audit-text", "/area", "/api/layers", "/api/checks/" + "0" * 48):
        r = web.get(url)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        if url.startswith("/api"):
            continue
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text), url       # no inline script
        assert not re.search(r"\son[a-z]+\s*=", r.text), url                      # no inline handler
        assert "http://" not in r.text and "https://" not in r.text, url         # nothing from another host


def test_an_oversized_upload_is_413(web):
    big = b"0" * (1024 * 1024 + 10)
    r = web.post("/api/checks", files=[("sites", ("big.csv", b"lon,lat\n" + big))], headers=ORIGIN)
    assert r.status_code == 413 and "1 MB" in r.json()["error"]

    def chunks():                         # no Content-Length: counted while reading
        yield b'--b\r\nContent-Disposition: form-data; name="sites"; filename="a.csv"\r\n\r\nlon,lat\r\n'
        for _ in range(20):
            yield b"1,2\r\n" * 20_000

    r = web.post("/api/checks", content=chunks(), headers={**ORIGIN, "Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413


def _zip_with(name: str, data: bytes = b"[\xca\xf4\xd0\xd4]", *, link: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo(name)
        if link:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, data)
    return buf.getvalue()


@pytest.mark.parametrize("member,link", [("../../evil.txt", False), ("a/../../../evil.txt", False),
                                         ("/tmp/evil.txt", False), ("C:\\evil.txt", False),
                                         ("..\\..\\evil.txt", False), ("link.txt", True)])
def test_archives_writing_outside_their_folder_are_refused(web, tmp_path, member, link):
    store = web.app.state.service.store
    data_dir = web.app.state.service.data_dir
    def files():          # earlier tests' jobs may still be running: their progress.json comes and goes
        return {p for p in data_dir.rglob("*") if p.name != "progress.json"}

    before = files()
    r = web.post("/api/checks", files=[("sites", ("坐标.zip", _zip_with(member, link=link)))], headers=ORIGIN)
    assert r.status_code == 422, r.text
    assert r.json()["error"].startswith("坐标.zip: ")
    assert files() == before                                          # nothing written, the job removed
    assert not any(p.name == "evil.txt" for p in data_dir.parent.rglob("evil.txt"))
    assert store.root.is_dir()


def test_a_zip_bomb_and_an_archive_of_too_many_files_are_refused(web):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("炸弹.csv", b"lon,lat\n" + b"0" * (64 * 2**20))       # 64 MB of zeros, ~64 kB packed
    assert len(buf.getvalue()) < 2**20
    r = web.post("/api/checks", files=[("sites", ("bomb.zip", buf.getvalue()))], headers=ORIGIN)
    assert r.status_code == 413 and "bomb.zip" in r.json()["error"]
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as z:
        for i in range(21):
            z.writestr(f"{i}.txt", b"x")
    r = web.post("/api/checks", files=[("sites", ("many.zip", many.getvalue()))], headers=ORIGIN)
    assert r.status_code == 422 and "21" in r.json()["error"]


def test_unpacking_stops_at_the_limit_on_the_bytes_written(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.csv", b"0" * 300_000)
        z.writestr("b.csv", b"0" * 300_000)
    buf.seek(0)
    with pytest.raises(uploads.ArchiveRefused) as e:
        uploads.extract_archive(buf, "x.zip", tmp_path, uploads.Stored(), max_members=10, max_bytes=500_000)
    assert e.value.status == 413


def test_markup_and_control_characters_in_names_are_shown_escaped(web):
    name = '<script>alert("x")</script>\x07'
    csv = f"名称,经度,纬度\n{name.replace(chr(7), '')},111.9,37.9\n".encode()
    filename = '<img src=x onerror=alert(1)>.csv'
    d = submit(web, [(filename, csv)], type="housing", name="项目<b>粗体</b>\x1b")
    assert d["status"] == "done", d["error"]
    assert d["name"] == "项目<b>粗体</b>\\x1b" and d["inputs"] == [filename]
    assert d["result"]["sites"][0]["name"] == '<script>alert("x")</script>'
    assert d["result"]["sites"][0]["source"] == "sites/img_src_x_onerror_alert(1)_.csv"    # a safe stored name
    page = web.get(f"/check/{d['id']}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.csv" in page
    assert "<b>粗体</b>" not in page and "项目&lt;b&gt;粗体&lt;/b&gt;\\x1b" in page


def test_ids_and_file_names_never_reach_the_file_system(web):
    for url in ("/api/checks/..%2F..%2Fetc", "/api/checks/%2e%2e", "/check/..%2Fjobs",
                "/api/checks/" + "0" * 48 + "/files/..%2Fjob.json", "/api/checks/" + "0" * 48 + "/files/job.json"):
        assert web.get(url).status_code == 404, url
    d = web.post("/api/checks", files=[("sites", ("a.csv", b"lon,lat\n111.9,37.9\n"))], headers=ORIGIN).json()
    assert re.fullmatch(r"[0-9a-f]{48}", d["id"])                     # 192 random bits
    for name in ("../job.json", "..%2Fjob.json", "map.json", "error.log"):
        assert web.get(f"/api/checks/{d['id']}/files/{name}").status_code == 404


def test_sniffing_by_content_not_by_name():
    assert uploads.sniff(b"PK\x03\x04rest") == "zip"
    assert uploads.sniff(b"SQLite format 3\x00...") == "gpkg"
    assert uploads.sniff(b'<?xml version="1.0"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">') == "kml"
    assert uploads.sniff(b"  0\r\nSECTION\r\n  2\r\nHEADER\r\n") == "dxf"
    assert uploads.sniff(b'{"type": "FeatureCollection", "features": []}') == "geojson"
    assert uploads.sniff("经度,纬度,名称\n111.9,37.9,甲\n".encode("gbk")) == "csv"
    assert uploads.sniff("[属性描述]\n".encode("utf-16")) == "guotu"
    assert uploads.sniff(b"\x89PNG\r\n\x1a\n\x00\x00") is None
    assert uploads.sniff(b"just some words\nand more") is None


def _zip_of(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


def test_the_same_archive_twice_in_one_upload_keeps_both(tmp_path):
    """Two files of one upload may hold the same names (the same zip chosen twice, two zips of 地块.txt): each
    member gets a name of its own in the job's folder, a Shapefile's parts one stem, a geodatabase one folder."""
    z = _zip_of([("a.txt", b"1"), ("b.shp", b"2"), ("b.dbf", b"3"), ("x.gdb/gdb", b"4"), ("x.gdb/a0001.gdbtable", b"5")])
    stored = uploads.Stored()
    for _ in range(2):
        uploads.extract_archive(io.BytesIO(z), "sites.zip", tmp_path, stored, max_members=10, max_bytes=10_000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "a_2.txt", "b.dbf", "b.shp", "b_2.dbf", "b_2.shp",
                                                           "x.gdb", "x_2.gdb"]
    assert (tmp_path / "a_2.txt").read_bytes() == b"1" and (tmp_path / "x_2.gdb" / "gdb").read_bytes() == b"4"
    assert sorted(p.name for p in stored.files) == sorted(p.name for p in tmp_path.iterdir())


def test_an_archive_naming_one_member_twice_is_refused(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        z = _zip_of([("a.txt", b"1"), ("a.txt", b"2")])
    with pytest.raises(uploads.ArchiveRefused) as e:
        uploads.extract_archive(io.BytesIO(z), "sites.zip", tmp_path, uploads.Stored(), max_members=10,
                                max_bytes=10_000)
    assert e.value.status == 422 and "同名成员 a.txt" in e.value.message


def test_the_same_zip_sent_twice_is_a_check_not_a_server_error(web):
    """What the API fuzzer sent: one zip twice in one request. Both copies are stored; the check then fails
    on their content (one byte is no site file) with a message, not a server error."""
    z = _zip_of([("a.txt", b"a")])
    r = web.post("/api/checks", files=[("sites", ("sites.zip", z)), ("sites", ("sites.zip", z))], headers=ORIGIN)
    assert r.status_code in (201, 422), r.text
    if r.status_code == 201:
        d = wait(web, r.json()["id"])
        assert d["status"] == "failed" and d["error"] and "Traceback" not in d["error"], d
