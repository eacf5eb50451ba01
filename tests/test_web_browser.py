"""``redline serve`` in Debian's Chromium (Playwright), every request to anything but the app refused.

The app runs as ``redline serve`` in a subprocess on a free loopback port with the demo region. The test
opens the overview (its offline map draws in its frame), opens the check page, uploads a demo 国土TXT,
sees the verdict the demo's ``sites/README.md`` states and the map with the site and the overlapped feature
highlighted, downloads the DOCX report and opens it with python-docx, then uploads a broken file and sees
the one-line error. No request leaves the app; no console error (a CSP violation would be one).

``REDLINE_UPDATE_SCREENSHOTS=1`` also writes the check page's screenshot to ``docs/web-check.png``.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_browser import ARGS

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
TXT = "02_示范县农产品加工园.txt"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(project: Path, data_dir: Path, *extra: str):
    """``redline serve`` on a free loopback port; yields its base URL and stops it afterwards."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "redline.cli", "serve", "--project", str(project), "--port",
                             str(port), "--data-dir", str(data_dir), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        t0 = time.monotonic()
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                pytest.fail("redline serve stopped: " + proc.stdout.read().decode())
            if time.monotonic() - t0 > 60:
                pytest.fail("redline serve did not start within 60 s")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_js(page, expression: str, timeout_s: float = 30.0):
    """Poll ``expression`` until it is truthy (``page.wait_for_function`` would evaluate a string, which the
    app's Content-Security-Policy forbids; ``page.evaluate`` runs outside it)."""
    t0 = time.monotonic()
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() - t0 > timeout_s:
            pytest.fail(f"{expression} still false after {timeout_s} s")
        page.wait_for_timeout(100)


@contextlib.contextmanager
def app_page(chromium: str, base: str, downloads: Path):
    from playwright.sync_api import sync_playwright

    log = {"refused": [], "failed": [], "errors": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=ARGS, downloads_path=downloads)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page = ctx.new_page()

            def route(r):
                if r.request.url.startswith(base + "/") or r.request.url.startswith("data:"):
                    r.continue_()
                else:
                    log["refused"].append(r.request.url)
                    r.abort()

            ctx.route("**/*", route)
            page.on("requestfailed", lambda r: log["failed"].append(r.url))
            page.on("console", lambda m: log["errors"].append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: log["errors"].append(str(e)))
            yield page, log
        finally:
            browser.close()


def test_check_page_in_chromium(chromium, demo_dir, tmp_path):
    import docx

    with served(demo_dir / "redline.toml", tmp_path / "serve") as base, \
            app_page(chromium, base, tmp_path / "dl") as (page, log):
        # the overview: layers, the red-line table and the project's offline map in its frame
        page.goto(base + "/")
        assert "示范县生态保护红线" in page.inner_text("main")
        frame = page.frame_locator("iframe.webmap")
        frame.locator(".leaflet-container").wait_for(timeout=60_000)
        # the check page: upload a demo 国土TXT with its project type
        page.goto(base + "/check")
        wait_js(page, "window.__redlineDrawReady === true")
        page.set_input_files("#sites", str(demo_dir / "sites" / TXT))
        page.select_option("#type", "industry")
        page.click("#submit")
        page.wait_for_url(re.compile(r".*/check/[0-9a-f]{48}$"), timeout=30_000)
        page.wait_for_selector("section.summary", timeout=180_000)
        ready = wait_js(page, "window.__redlineMapReady")
        assert ready.get("error") is None and ready["sites"] == 1 and ready["hits"] >= 1
        assert page.locator("#result-map path.leaflet-interactive").count() >= 1 + ready["hits"]
        verdicts = page.locator("table.grid .verdict").all_inner_texts()
        assert verdicts == ["不符合"]                                   # sites/README.md: 02 不符合 (farmland)
        assert "示范县永久基本农田" in page.inner_text("#site-1")
        shot = tmp_path / "web-check.png"
        page.screenshot(path=str(shot), full_page=False)
        if os.environ.get("REDLINE_UPDATE_SCREENSHOTS") == "1":
            (ROOT / "docs").mkdir(exist_ok=True)
            (ROOT / "docs" / "web-check.png").write_bytes(shot.read_bytes())
        # the DOCX report downloads and opens
        with page.expect_download() as dl:
            page.click("a[href$='%E5%8E%8B%E8%A6%86%E5%88%86%E6%9E%90%E6%8A%A5%E5%91%8A.docx']")
        path = tmp_path / "report.docx"
        dl.value.save_as(path)
        text = "\n".join(p.text for p in docx.Document(path).paragraphs)
        assert "不符合" in text and "示范县农产品加工园" in text
        # a broken file: the one-line error on the form
        broken = tmp_path / "坏坐标.txt"
        broken.write_bytes("[属性描述]\r\n坐标系=2000国家大地坐标系\r\n[地块坐标]\r\n4,1.0,X1,坏,面,,,,@\r\nJ1,1,abc,def\r\n"
                           .encode("gbk"))
        page.goto(base + "/check")
        page.set_input_files("#sites", str(broken))
        page.click("#submit")
        page.wait_for_selector("#form-error:not([hidden])", timeout=30_000)
        message = page.inner_text("#form-error")
        assert message.startswith("坏坐标.txt") and "\n" not in message and "/jobs/" not in message
        assert log["refused"] == [] and log["failed"] == []
        assert [e for e in log["errors"] if "422" not in e] == []     # the refused upload's 422 is the only one
