"""``redline serve``: the officer's offline web app (压覆分析 in a browser, on one intranet machine).

Modules: :mod:`~redline.web.app` (the FastAPI app factory, :func:`create_app`, and the request guard),
:mod:`~redline.web.api` (the JSON API), :mod:`~redline.web.pages` (the Chinese pages, jinja2 templates with
autoescaping in ``templates/``, the app's own scripts and styles in ``static/``), :mod:`~redline.web.service`
(what the app does, through redline's public API), :mod:`~redline.web.jobs` (site-check jobs on disk and the
worker processes), :mod:`~redline.web.uploads` (file types by content, safe names, safe archive extraction),
:mod:`~redline.web.security` (token, cookies, Host/Origin checks, CSP, body limit) and
:mod:`~redline.web.geo` (GeoJSON for the maps).

Nothing is loaded from any host: Leaflet comes from the folium-offline package, fonts are the system's.
"""

from __future__ import annotations

__all__ = ["Settings", "create_app"]


def __getattr__(name: str):
    if name in __all__:
        from redline.web import app

        return getattr(app, name)
    raise AttributeError(f"module 'redline.web' has no attribute {name!r}")
