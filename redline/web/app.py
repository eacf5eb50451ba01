"""The web app: :func:`create_app` builds it (FastAPI on Starlette; served by uvicorn in ``redline serve``).

The pages (``pages.py``) and the JSON API under them (``api.py``) share one :class:`~redline.web.service.Service`.
Around them, in this order: the body limit (413), the Host check (400), the token (401), the Origin check
for state-changing requests (403), then the security headers on every response (``security.py``).
Expected faults answer ``{"error": "<one line>"}`` with 400, 404, 413, 415 or 422; a fault of ours is a
500 with a one-line message and the traceback in the server's log, never in the response.

Example
-------
>>> import redline, tempfile, os
>>> from fastapi.testclient import TestClient
>>> d = tempfile.mkdtemp()
>>> app = create_app(Settings(project=redline.demo(os.path.join(d, "demo")), data_dir=os.path.join(d, "serve")))
>>> with TestClient(app, base_url="http://127.0.0.1:8765") as client:
...     r = client.get("/api/layers")
>>> r.status_code, r.json()["project"]["name"]
(200, '示范县（虚构）')
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from redline.layers.errors import RedlineError, UsageError
from redline.web.security import (
    HEADERS,
    SESSION_COOKIE,
    TOKEN_COOKIE,
    TOO_LARGE,
    BodyLimit,
    Security,
    new_token,
)
from redline.web.service import Service, Settings
from redline.web.uploads import UploadRefused

__all__ = ["Settings", "create_app"]

log = logging.getLogger("redline.web")
HERE = Path(__file__).resolve().parent


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _one_line(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors()[:3]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body"))
        parts.append(f"{where or '请求'}: {e.get('msg', '无效')}")
    return "；".join(parts) or "请求无效"


def create_app(settings: Settings) -> FastAPI:
    """The app for one project. ``settings.token`` None and ``settings.loopback`` True: no token (the
    machine's own users only); otherwise the token is required."""
    service = Service(settings)
    security = Security(token=settings.token, loopback=settings.loopback)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        async def sweeper():
            every = max(60.0, min(600.0, settings.keep_hours * 3600 / 4))
            while True:
                await asyncio.to_thread(service.store.sweep)
                await asyncio.sleep(every)

        task = asyncio.create_task(sweeper())
        try:
            yield
        finally:
            task.cancel()
            service.close()

    app = FastAPI(title="redline 选址分析", version=_version(), lifespan=lifespan,
                  description="压覆分析、面积统计、规划文本核查的 JSON 接口（the JSON API of `redline serve`）",
                  docs_url=None, redoc_url=None)
    app.state.service = service
    app.state.security = security

    @app.exception_handler(RedlineError)
    async def redline_error(request: Request, exc: RedlineError):
        return error(400 if isinstance(exc, UsageError) else 422, str(exc).replace("\n", " "))

    @app.exception_handler(UploadRefused)
    async def upload_refused(request: Request, exc: UploadRefused):
        return error(exc.status, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        return error(422, _one_line(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error(500, "内部错误（详情已记录在服务器日志中）")

    @app.middleware("http")
    async def guard(request: Request, call_next):
        response = await _guard(request, call_next, security)
        if request.scope.get(TOO_LARGE):
            response = error(413, f"上传内容超过 {settings.max_upload_mb:g} MB 的上限（--max-upload-mb）")
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    from fastapi.staticfiles import StaticFiles

    from redline.web import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes)
    return app


async def _guard(request: Request, call_next, security: Security) -> Response:
    """Host, token and Origin checks; the token from the URL into a cookie; the session cookie."""
    api = request.url.path.startswith("/api/") or request.url.path == "/openapi.json"
    if not security.host_ok(request.headers.get("host")):
        return error(400, "Host 不被接受：请用 http://127.0.0.1 或 http://localhost 打开")
    given = request.query_params.get("token")
    if given is not None and security.query_token_ok(given) and request.method == "GET":
        query = urlencode([(k, v) for k, v in parse_qsl(request.url.query) if k != "token"])
        resp = RedirectResponse(request.url.path + (f"?{query}" if query else ""), status_code=303)
        resp.set_cookie(TOKEN_COOKIE, security.token, httponly=True, samesite="strict", path="/")
        return resp
    if not security.token_ok(request.headers.get("authorization"), request.cookies.get(TOKEN_COOKIE)):
        if api:
            return error(401, "需要访问令牌：Authorization: Bearer TOKEN")
        return HTMLResponse(_UNAUTHORIZED, status_code=401)
    if not security.origin_ok(request.method, request.headers, request.url.scheme):
        return error(403, "跨站请求被拒绝（Origin 与本服务不符）")
    session = request.cookies.get(SESSION_COOKIE)
    new_session = None
    if session is None and not api:
        new_session = new_token()
        request.scope.setdefault("state", {})["session"] = new_session
    response = await call_next(request)
    if new_session is not None:
        response.set_cookie(SESSION_COOKIE, new_session, httponly=True, samesite="strict", path="/")
    return response


_UNAUTHORIZED = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>需要访问令牌</title>
<body><h1>需要访问令牌</h1><p>请使用 <code>redline serve</code> 启动时打印的网址（含 <code>?token=…</code>）打开本页。</p>
<p>An access token is required: open the URL printed by <code>redline serve</code>.</p></body></html>"""


def _version() -> str:
    from redline import __version__

    return __version__


def session_of(request: Request) -> str | None:
    """The browser session of a request (the cookie, or the one issued with this response)."""
    return request.cookies.get(SESSION_COOKIE) or request.scope.get("state", {}).get("session")
