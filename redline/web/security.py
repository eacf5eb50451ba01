"""The app's security rules: access token, cookies, Host and Origin checks, security headers, body limit.

- **Token.** On an address other than loopback a token is required (``--token`` or one generated at
  start). API clients send ``Authorization: Bearer TOKEN``; a browser opens the printed URL once
  (``/?token=TOKEN``), gets the token in an HttpOnly, SameSite=Strict cookie and is redirected to the URL
  without it. Without the token every request gets 401 and nothing about the project.
- **Host.** Served on loopback, requests must name a loopback host (``127.0.0.1``, ``localhost``, ``[::1]``):
  a web page whose name resolves to 127.0.0.1 (DNS rebinding) cannot use the app.
- **Origin.** A request that changes state (POST, PUT, PATCH, DELETE) whose ``Origin`` (or ``Referer``)
  is not the app's own, or which the browser marks ``Sec-Fetch-Site: cross-site``, is refused (403):
  another site cannot submit through the user's cookie.
- **Headers.** Every response carries a Content-Security-Policy allowing only the app's own scripts
  (:data:`CSP`), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and framing by the
  app only.
- **Body limit.** :class:`BodyLimit` answers 413 before reading a body whose ``Content-Length`` is over
  the limit and stops reading one that grows past it.

Example
-------
>>> s = Security(token="s3cret", loopback=False)
>>> s.token_ok("Bearer s3cret", None), s.token_ok("Bearer wrong", None), s.token_ok(None, "s3cret")
(True, False, True)
>>> Security(token=None, loopback=True).host_ok("127.0.0.1:8765"), Security(None, True).host_ok("evil.example")
(True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["CSP", "TOO_LARGE", "BodyLimit", "Security", "is_loopback", "new_token"]

TOKEN_COOKIE = "redline_token"
SESSION_COOKIE = "redline_session"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; frame-src 'self'; frame-ancestors 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "SAMEORIGIN", "Cross-Origin-Opener-Policy": "same-origin",
           "Cross-Origin-Resource-Policy": "same-origin"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def new_token() -> str:
    """A random access token (256 bits)."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) is this machine only.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The name of a ``Host`` header without its port (``[::1]:8765`` → ``::1``)."""
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[1:h.index("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


@dataclass
class Security:
    """The rules for one running app: ``token`` (None: no token needed) and whether it serves on loopback
    only (then the Host header must name loopback)."""

    token: str | None
    loopback: bool

    def token_ok(self, authorization: str | None, cookie: str | None) -> bool:
        """Whether the request carries the token (a Bearer header or the cookie); always true without one."""
        if self.token is None:
            return True
        given = None
        if authorization and authorization[:7].lower() == "bearer ":
            given = authorization[7:].strip()
        elif cookie:
            given = cookie
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def query_token_ok(self, value: str | None) -> bool:
        return bool(self.token and value and hmac.compare_digest(value.encode(), self.token.encode()))

    def host_ok(self, host_header: str | None) -> bool:
        if not self.loopback:
            return True
        return bool(host_header) and is_loopback(host_name(host_header))

    @staticmethod
    def origin_ok(method: str, headers, scheme: str) -> bool:
        """Whether a state-changing request comes from the app's own pages (or from a non-browser client,
        which sends no Origin and cannot carry the user's cookie across sites)."""
        if method not in UNSAFE_METHODS:
            return True
        if headers.get("sec-fetch-site", "") == "cross-site":
            return False
        own = f"{scheme}://{headers.get('host', '')}".lower()
        origin = headers.get("origin")
        if origin is not None:
            return origin.lower() == own
        referer = headers.get("referer")
        if referer:
            parts = urlsplit(referer)
            return f"{parts.scheme}://{parts.netloc}".lower() == own
        return True


def session_owner(session: str | None) -> str | None:
    """What a job stores of the browser session that made it (a hash, so ``job.json`` holds no cookie)."""
    return hashlib.sha256(session.encode()).hexdigest()[:32] if session else None


TOO_LARGE = "redline.body_too_large"      # set in the ASGI scope of a request whose body went past the limit


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413 (by ``Content-Length`` before
    reading, else while reading)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                return await self._refuse(send)
        seen = 0

        async def limited():
            # past the limit the body ends here (the parser then fails) and the request is marked: the guard
            # in app.py answers 413 whatever the endpoint made of the cut body
            nonlocal seen
            if scope.get(TOO_LARGE):
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    scope[TOO_LARGE] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, send):
        mb = self.max_bytes / 2**20
        body = json.dumps({"error": f"上传内容超过 {mb:g} MB 的上限（--max-upload-mb）"}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
                                *((k.lower().encode(), v.encode()) for k, v in HEADERS.items())]})
        await send({"type": "http.response.body", "body": body})
