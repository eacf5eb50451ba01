"""The JSON API (the pages use it; tests and other systems can too).

=========================================  ==================================================================
``POST /api/checks``                       multipart: ``sites`` (one or more files), ``type``, ``name``; or JSON
                                           ``{"geometry": GeoJSON, "type", "name"}`` → 201 ``{"id", "status"}``
``GET /api/checks``                        this browser session's checks (none for other callers)
``GET /api/checks/{id}``                   ``{"id", "status", "progress", "error", "result", …}``; ``result`` is
                                           what ``redline check SITES --project P --json`` prints
``GET /api/checks/{id}/files/{name}``      ``压覆分析报告.docx``, ``压覆分析报告.html``, ``check.xlsx``,
                                           ``sites.csv``, ``hits.csv``, ``check.json``
``GET /api/checks/{id}/map``               the sites and overlapped features as GeoJSON (EPSG:4326)
``POST /api/audit-text``                   multipart ``plan`` (+ ``rules``) → what ``redline audit-text --json``
                                           prints (``path`` is the uploaded file's name)
``GET /api/area``                          ``layer``, ``by_zones``, ``by``, ``unit``, ``decimals`` → what
                                           ``redline area LAYER --json`` prints; ``/api/area.xlsx`` the sheet
``GET /api/layers``                        the region and its layers (kind, features, CRS, source, date …)
``GET /api/layers/{id}/geojson``           a layer in EPSG:4326, simplified for display
``GET /api/types``                         the project types (``id``, ``label``, ``description``)
=========================================  ==================================================================
"""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from redline.layers.errors import UsageError
from redline.web.jobs import OUTPUT_FILES
from redline.web.security import TOO_LARGE, session_owner
from redline.web.uploads import UploadRefused

router = APIRouter(prefix="/api")

ERRORS = {code: {"description": desc, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}}}}
    for code, desc in ((400, "bad request"), (401, "no token"), (404, "not found"), (413, "too large"),
                       (415, "unsupported file type"), (422, "bad input"))}
MEDIA = {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         ".html": "text/html; charset=utf-8",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".csv": "text/csv; charset=utf-8", ".json": "application/json"}
CHECK_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["sites"], "properties": {
        "sites": {"type": "array", "items": {"type": "string", "format": "binary"},
                  "description": "国土TXT, zip (Shapefile …), GeoPackage, KML/KMZ, DXF, GeoJSON or CSV of points"},
        "type": {"type": "string", "description": "project type id or Chinese label (GET /api/types)"},
        "name": {"type": "string"}}}},
    "application/json": {"schema": {"type": "object", "required": ["geometry"], "properties": {
        "geometry": {"type": "object", "description": "GeoJSON geometry in longitude/latitude"},
        "type": {"type": "string"}, "name": {"type": "string"}}}}}}}
AUDIT_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["plan"], "properties": {
        "plan": {"type": "string", "format": "binary"}, "rules": {"type": "boolean"}}}}}}}


def service(request: Request):
    return request.app.state.service


def owner_of(request: Request) -> str | None:
    from redline.web.app import session_of

    return session_owner(session_of(request))


async def read_form(request: Request, max_files: int = 100):
    """The multipart form; 413 for a body cut at the size limit (:class:`~redline.web.security.BodyLimit`),
    400 for a malformed one."""
    try:
        form = await request.form(max_files=max_files, max_fields=50)
    except Exception as exc:
        if request.scope.get(TOO_LARGE):
            raise UploadRefused("上传内容超过大小上限（--max-upload-mb）", 413) from None
        raise UploadRefused(f"请求体不是有效的 multipart/form-data：{type(exc).__name__}", 400) from None
    if request.scope.get(TOO_LARGE):
        await form.close()
        raise UploadRefused("上传内容超过大小上限（--max-upload-mb）", 413)
    return form


def _text_field(form, name: str) -> str | None:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    return str(value)


@router.post("/checks", status_code=201, responses=ERRORS, openapi_extra=CHECK_BODY,
             summary="Start a site check (压覆分析)")
async def create_check(request: Request):
    svc = service(request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise UsageError("请求体不是有效的 JSON") from None
        if not isinstance(body, dict) or "geometry" not in body:
            raise UsageError('JSON 请求应为 {"geometry": GeoJSON 几何, "type": 项目类型, "name": 名称}')
        ptype, name = body.get("type"), body.get("name")
        if not isinstance(ptype, (str, type(None))) or not isinstance(name, (str, type(None))):
            raise UsageError("type 与 name 应为文本")
        job = await run_in_threadpool(svc.new_drawn_check, body["geometry"], project_type=ptype, name=name,
                                      owner=owner_of(request))
    elif ctype == "multipart/form-data":
        form = await read_form(request)
        files = [f for f in form.getlist("sites") if isinstance(f, UploadFile)]
        try:
            job = await run_in_threadpool(svc.new_check, [(f.filename, f.file) for f in files],
                                          project_type=_text_field(form, "type"), name=_text_field(form, "name"),
                                          owner=owner_of(request))
        finally:
            await form.close()
    else:
        raise UploadRefused("请求应为 multipart/form-data（上传 sites 文件）或 application/json（绘制的几何）", 415)
    return JSONResponse({"id": job.id, "status": svc.store.status(job)}, status_code=201,
                        headers={"Location": f"/api/checks/{job.id}"})


def _job(request: Request, job_id: str):
    job = service(request).store.get(job_id)
    if job is None or job.kind != "check":
        raise UploadRefused(f"没有编号为 {job_id[:60]} 的检查（可能已过保留期被删除）", 404)
    return job


@router.get("/checks", responses=ERRORS, summary="This browser session's checks")
async def list_checks(request: Request):
    svc = service(request)
    return {"checks": [{**j.public(), "status": svc.store.status(j)} for j in svc.store.owned_by(owner_of(request))]}


@router.get("/checks/{job_id}", responses=ERRORS, summary="A check: status, progress, error, result")
async def get_check(request: Request, job_id: str):
    svc = service(request)
    job = _job(request, job_id)
    view = svc.check_view(job)
    text = svc.result_text(job) if view["status"] == "done" else None
    body = json.dumps(view, ensure_ascii=False)[:-1] + ', "result": ' + (text.strip() if text else "null") + "}"
    return Response(body, media_type="application/json")


@router.get("/checks/{job_id}/map", responses=ERRORS, summary="The sites and overlapped features (GeoJSON)")
async def check_map(request: Request, job_id: str):
    job = _job(request, job_id)
    path = service(request).store.folder(job.id) / "map.json"
    if not path.is_file():
        raise UploadRefused("检查尚未完成，地图数据还没有生成", 404)
    return Response(path.read_bytes(), media_type="application/json")


@router.get("/checks/{job_id}/files/{name}", responses=ERRORS, summary="Download an output file")
async def check_file(request: Request, job_id: str, name: str):
    job = _job(request, job_id)
    if name not in OUTPUT_FILES:
        raise UploadRefused(f"没有名为 {name[:60]} 的输出文件（可下载：{'、'.join(OUTPUT_FILES)}）", 404)
    path = service(request).store.folder(job.id) / "out" / name
    if not path.is_file():
        raise UploadRefused(f"{name}: 检查尚未完成或未能完成，文件不存在", 404)
    ext = name[name.rindex("."):]
    disposition = "inline" if ext in (".html", ".json") and request.query_params.get("view") else "attachment"
    return Response(path.read_bytes(), media_type=MEDIA[ext], headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}"})


@router.post("/audit-text", responses=ERRORS, openapi_extra=AUDIT_BODY, summary="Audit a plan text")
async def audit_text(request: Request):
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "multipart/form-data":
        raise UploadRefused("请求应为 multipart/form-data，规划文本放在 plan 字段", 415)
    form = await read_form(request)
    try:
        plan = form.get("plan")
        if not isinstance(plan, UploadFile):
            raise UploadRefused("plan: 请选择规划文本文件", 400)
        rules = (_text_field(form, "rules") or "").lower() in ("1", "true", "on", "yes")
        audit = await run_in_threadpool(service(request).audit_text, plan.file, plan.filename, rules=rules)
    finally:
        await form.close()
    return audit.to_dict()


@router.get("/area", responses=ERRORS, summary="Area of a layer, its share and breakdown")
async def area(request: Request, layer: str = Query(..., max_length=200),
               by_zones: str | None = Query(None, max_length=200), by: str | None = Query(None, max_length=64),
               unit: str = Query("ha", max_length=20), decimals: int = Query(4, ge=0, le=8)):
    res = await run_in_threadpool(service(request).area, layer, by_zones or None, unit, by or None, decimals)
    return res.to_dict()


@router.get("/area.xlsx", responses=ERRORS, summary="The area table as an Excel file")
async def area_xlsx(request: Request, layer: str = Query(..., max_length=200),
                    by_zones: str | None = Query(None, max_length=200), by: str | None = Query(None, max_length=64),
                    unit: str = Query("ha", max_length=20), decimals: int = Query(4, ge=0, le=8)):
    import redline

    res = await run_in_threadpool(service(request).area, layer, by_zones or None, unit, by or None, decimals)
    data = await run_in_threadpool(redline.area_xlsx, res)
    return Response(data, media_type=MEDIA[".xlsx"],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote('面积统计.xlsx')}"})


@router.get("/layers", responses=ERRORS, summary="The region and its layers")
async def layers(request: Request):
    return await run_in_threadpool(service(request).layers)


@router.get("/layers/{layer_id}/geojson", responses=ERRORS, summary="A layer as GeoJSON (EPSG:4326)")
async def layer_geojson(request: Request, layer_id: str):
    return await run_in_threadpool(service(request).layer_geojson, layer_id)


@router.get("/types", responses=ERRORS, summary="The project types")
async def types():
    import redline

    return {"types": redline.project_types()}
