"""The pages, in Chinese: 项目概况, 选址分析 (and a check's result), 规划文本核查, 面积统计.

Rendered on the server from jinja2 templates with autoescaping (every name from a file or a form is text,
never markup); the app's own scripts (``static/``) submit checks, poll their progress and draw the maps with
Leaflet, which the app serves from the folium-offline package (``/vendor/…``), never from a CDN.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import UploadFile

from redline.layers.errors import RedlineError
from redline.web.jobs import OUTPUT_FILES
from redline.web.uploads import UploadRefused

router = APIRouter(include_in_schema=False)
HERE = Path(__file__).resolve().parent
ENV = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True)
VERDICT_CLASS = {"符合": "ok", "不符合": "bad", "需论证": "warn", "无法判定": "unknown"}
LEVELS = {"prohibited": "禁止", "needs_review": "需论证", "no_data": "无数据", "allowed": "允许", "info": "提示"}
UNITS = [("ha", "公顷"), ("km2", "平方千米"), ("mu", "亩"), ("m2", "平方米"), ("10k_mu", "万亩")]
PAGE_SITES = 50     # sites shown in full on a result page (all are in the downloads)

# Leaflet and Leaflet.draw as folium-offline holds them (its resources by their CDN address)
VENDOR = {"leaflet.js": "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
          "leaflet.css": "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
          "leaflet.draw.js": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.draw/1.0.2/leaflet.draw.js",
          "leaflet.draw.css": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.draw/1.0.2/leaflet.draw.css"}


def _fmt(v, digits: int = 2) -> str:
    if v is None:
        return "—"
    try:
        return f"{float(v):,.{digits}f}"
    except (TypeError, ValueError):
        return str(v)


ENV.filters["num"] = _fmt
ENV.filters["ha"] = lambda m2: _fmt(None if m2 is None else m2 / 1e4, 4)


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    svc = request.app.state.service
    html = ENV.get_template(template).render(project=svc.project, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status)


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request):
    svc = request.app.state.service
    info = await run_in_threadpool(svc.layers)
    area, area_error = None, None
    red = next((x["id"] for x in info["layers"] if x["kind"] == "red_line"), None)
    zones = info["project"]["townships"]
    if red:
        try:
            area = (await run_in_threadpool(svc.area, red, zones, "ha")).to_dict()
        except RedlineError as exc:
            area_error = str(exc)
    return render(request, "overview.html", info=info, area=area, area_error=area_error, red=red, zones=zones)


@router.get("/check", response_class=HTMLResponse)
async def check_form(request: Request):
    import redline

    svc = request.app.state.service
    info = await run_in_threadpool(svc.layers)
    return render(request, "check_form.html", types=redline.project_types(), info=info)


def _site_rows(result: dict) -> list[dict]:
    """Per site, what the page shows: its layers touched, hits grouped by layer, findings that matter."""
    out = []
    for s in result.get("sites", [])[:PAGE_SITES]:
        by_layer: dict[str, list] = {}
        for h in s["hits"]:
            by_layer.setdefault(h["label"] or h["layer"], []).append(h)
        out.append({**s, "hits_by_layer": by_layer, "verdict_class": VERDICT_CLASS.get(s["verdict"], "unknown")})
    return out


@router.get("/check/{job_id}", response_class=HTMLResponse)
async def check_page(request: Request, job_id: str):
    svc = request.app.state.service
    job = svc.store.get(job_id)
    if job is None or job.kind != "check":
        return render(request, "message.html", status=404, title="没有这项检查",
                      message="没有这项检查（编号有误，或已过保留期被删除）。")
    view = svc.check_view(job)
    result = None
    if view["status"] == "done":
        text = svc.result_text(job)
        result = json.loads(text) if text else None
    import redline

    labels = {t["id"]: t["label"] for t in redline.project_types()}
    return render(request, "check_result.html", job=view, result=result, boundary=svc.project.boundary_id(),
                  type_label=labels.get(view["type"], view["type"]),
                  sites=_site_rows(result) if result else [], page_sites=PAGE_SITES, levels=LEVELS,
                  verdict_class=VERDICT_CLASS, files=[f for f in OUTPUT_FILES if f in view["files"]])


@router.get("/audit-text", response_class=HTMLResponse)
async def audit_form(request: Request):
    return render(request, "audit_text.html", audit=None, error=None)


@router.post("/audit-text", response_class=HTMLResponse)
async def audit_page(request: Request):
    svc = request.app.state.service
    error, audit, findings, lines = None, None, [], {}
    from redline.web.api import read_form

    try:
        form = await read_form(request, max_files=2)
    except UploadRefused as exc:
        return render(request, "audit_text.html", status=exc.status, audit=None, error=exc.message)
    try:
        plan = form.get("plan")
        if not isinstance(plan, UploadFile) or not plan.filename:
            raise UploadRefused("请选择规划文本文件", 400)
        audit = await run_in_threadpool(svc.audit_text, plan.file, plan.filename, rules=True)
        findings = audit.labelled_findings()
        for c in audit.to_dict()["claims"]:
            lines.setdefault(c["line"], c["text"])
    except UploadRefused as exc:
        error = exc.message
    except RedlineError as exc:
        error = str(exc)
    finally:
        await form.close()
    status = 200 if error is None else 422
    return render(request, "audit_text.html", status=status, audit=audit.to_dict() if audit else None,
                  findings=findings, lines=lines, error=error)


@router.get("/area", response_class=HTMLResponse)
async def area_page(request: Request):
    svc = request.app.state.service
    info = await run_in_threadpool(svc.layers)
    q = request.query_params
    layer, zones, unit = q.get("layer"), q.get("by_zones") or None, q.get("unit") or "ha"
    result, error = None, None
    if layer:
        try:
            result = (await run_in_threadpool(svc.area, layer, zones, unit)).to_dict()
        except RedlineError as exc:
            error = str(exc)
    polygons = [x for x in info["layers"] if any("Polygon" in t for t in x["geometry_types"])]
    query = str(request.url.query)
    return render(request, "area.html", status=200 if error is None else 400, info=info, polygons=polygons,
                  layer=layer, zones=zones, unit=unit, units=UNITS, result=result, error=error, query=query)


@router.get("/map/project")
async def project_map(request: Request):
    """The project's offline web map (made by :func:`redline.web_map`), shown in a frame of the overview;
    its own inline scripts are allowed by their hashes, nothing else."""
    html = await run_in_threadpool(request.app.state.service.web_map_html)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                      for s in re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S))
    csp = (f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
           "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})


@router.get("/vendor/{name}")
async def vendor(name: str):
    """Leaflet's script and style sheet (and Leaflet.draw's) from the folium-offline package."""
    from offlinefolium.elements import (
        _res as resources,  # folium-offline keeps each resource under its CDN URL
    )

    if name not in VENDOR or VENDOR[name] not in resources:
        raise UploadRefused(f"没有 {name[:60]}", 404)
    media = "text/javascript" if name.endswith(".js") else "text/css"
    return Response(resources[VENDOR[name]], media_type=f"{media}; charset=utf-8",
                    headers={"Cache-Control": "max-age=86400"})
