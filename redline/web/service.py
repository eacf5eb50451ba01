"""What the app does, apart from HTTP: the project's layers and areas, site-check jobs, plan-text audits.

Every computation is a call to redline's public API (:func:`redline.check`, :func:`redline.area`,
:func:`redline.audit_text`, :meth:`redline.Project.layer`, :func:`redline.web_map`); results that depend
only on the project (its layers, areas, the web map) are kept after the first request.
Nothing a user sends names a file on the server: layers are named by the project's layer ids (checked
against the project, never used as paths), uploads are stored under safe names in a job's own folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from redline.layers.errors import UsageError
from redline.web import uploads
from redline.web.jobs import Job, JobRunner, JobStore, public_message

__all__ = ["Service", "Settings"]

UNITS = {"ha": "公顷", "km2": "平方千米", "mu": "亩", "m2": "平方米", "10k_mu": "万亩"}
SITE_SUFFIXES = {".txt", ".shp", ".gpkg", ".geojson", ".json", ".kml", ".csv", ".parquet", ".fgb", ".gdb", ".dxf"}
QUICK_CHECK_BYTES = 2 * 2**20     # uploads read at once (so a broken file is a 422 at once), up to this size …
QUICK_CHECK_FILES = 10            # … and this many site files; larger uploads are read by the job


@dataclass
class Settings:
    """How ``redline serve`` was started."""

    project: Path
    data_dir: Path
    token: str | None = None
    loopback: bool = True
    max_upload_mb: float = 50.0
    jobs: int = 2
    keep_hours: float = 24.0
    max_members: int = 2000
    max_unpacked_mb: float | None = None     # default 10 × max_upload_mb

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)

    @property
    def max_unpacked_bytes(self) -> int:
        return int((self.max_unpacked_mb or 10 * self.max_upload_mb) * 2**20)


class Service:
    """The project, the job store and runner, and the results kept for the app's lifetime."""

    def __init__(self, settings: Settings):
        import redline

        self.settings = settings
        self.project = redline.Project.load(settings.project)
        self.data_dir = Path(settings.data_dir).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = JobStore(self.data_dir, keep_hours=settings.keep_hours)
        self.runner = JobRunner(self.store, self.project.path, workers=settings.jobs)
        self._lock = threading.Lock()
        self._cache: dict = {}

    def close(self) -> None:
        self.runner.shutdown()

    def _cached(self, key, make):
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = make()
        with self._lock:
            self._cache[key] = value
            if len(self._cache) > 256:
                self._cache.pop(next(iter(self._cache)))
        return value

    # ------------------------------------------------------------------------------------------ layers
    def layer_id(self, ref: str | None, what: str = "layer") -> str:
        """A project layer id from an id or a kind the user chose; a UsageError for anything else (never a
        path)."""
        if not ref or not isinstance(ref, str):
            raise UsageError(f"{what}: 请选择图层（项目中的图层：{', '.join(self.project.layers)}）")
        if ref in self.project.layers:
            return ref
        spec = self.project.spec(ref)          # by kind, when exactly one layer has it; else UsageError
        return spec.id

    def layers(self) -> dict:
        """``GET /api/layers``: the region and, per layer, its kind, label, features, geometry types, CRS,
        source and date (数据来源、数据时间), how it was read, and whether sites are checked against it."""
        return self._cached("layers", self._layers)

    def _layers(self) -> dict:
        import redline
        from redline.layers.kinds import is_control_kind, kind_label

        p = self.project
        out = []
        for lid, spec in p.layers.items():
            gdf = p.layer(lid)
            info = redline.layer_info(gdf)
            types = sorted({str(t) for t in gdf.geometry.geom_type.dropna().unique()})
            try:
                rel = str(spec.path.relative_to(p.base))
            except ValueError:
                rel = spec.path.name
            out.append({"id": lid, "kind": spec.kind, "kind_label": kind_label(spec.kind),
                        "label": spec.label or info.label or lid, "features": int(len(gdf)),
                        "geometry_types": types, "crs": info.crs, "encoding": info.encoding,
                        "format": info.format, "file": rel, "layer": spec.layer, "source": spec.source,
                        "date": spec.date, "control": bool(is_control_kind(spec.kind)),
                        "warnings": list(info.warnings)})
        region = {k: v for k, v in p.region.items() if isinstance(v, (str, int, float, bool))}
        return {"project": {"name": p.name, "fictional": p.fictional, "region": region,
                            "boundary": p.boundary_id(), "townships": p.townships_id()}, "layers": out}

    def layer_geojson(self, layer: str) -> dict:
        from redline.web.geo import layer_geojson

        lid = self.layer_id(layer)
        return self._cached(("geojson", lid), lambda: layer_geojson(self.project.layer(lid)))

    def web_map_html(self) -> str:
        """The project's offline web map (:func:`redline.web_map`), made once."""
        def make() -> str:
            import redline

            folder = Path(tempfile.mkdtemp(dir=self.data_dir, prefix=".map-"))
            try:
                redline.web_map(self.project).save(str(folder / "map.html"))
                return (folder / "map.html").read_text(encoding="utf-8")
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        return self._cached("web_map", make)

    # ------------------------------------------------------------------------------------------ areas
    def area(self, layer: str | None, by_zones: str | None = None, unit: str = "ha", by: str | None = None,
             decimals: int = 4):
        """:func:`redline.area` of a project layer (by id), optionally by zones (a layer id) or by an
        attribute, in a unit; an :class:`~redline.AreaResult`."""
        import redline
        from redline.spatial.units import parse_unit

        lid = self.layer_id(layer)
        zones = self.layer_id(by_zones, "by_zones") if by_zones else None
        unit = parse_unit(unit)
        if not 0 <= decimals <= 8:
            raise UsageError(f"decimals: 小数位数应在 0 到 8 之间，不是 {decimals}")
        if by is not None and (not by or len(by) > 64):
            raise UsageError("by: 属性字段名无效")
        key = ("area", lid, zones, unit, by, decimals)
        return self._cached(key, lambda: redline.area(lid, by_zones=zones, by=by, unit=unit, decimals=decimals,
                                                      project=self.project))

    # ------------------------------------------------------------------------------------------ checks
    def new_check(self, files: list[tuple[str, object]], *, project_type: str | None, name: str | None,
                  owner: str | None) -> Job:
        """Store the uploaded files (``(filename, binary file)`` pairs) in a new job, read them once when
        small, and queue the check. Raises :class:`~redline.web.uploads.UploadRefused` or
        :class:`~redline.layers.errors.RedlineError` (the job is then removed)."""
        ptype = self.project_type(project_type)
        if not files:
            raise uploads.UploadRefused("sites: 请选择要检查的选址文件（国土TXT、zip、GeoPackage、KML/KMZ、DXF、CSV）", 400)
        job = self.store.create(name=clean_label(name), kind="check", owner=owner, project_type=ptype)
        folder = self.store.folder(job.id) / "sites"
        stored = uploads.Stored()
        try:
            for filename, src in files:
                uploads.store_upload(src, filename, folder, stored, max_members=self.settings.max_members,
                                     max_bytes=self.settings.max_unpacked_bytes)
            self._finish_job(job, stored, [uploads.display_name(f) for f, _ in files])
            self._quick_read(job)
        except BaseException:
            self.store.discard(job)
            raise
        return self._queue(job)

    def new_drawn_check(self, geometry, *, project_type: str | None, name: str | None, owner: str | None) -> Job:
        """A check of a geometry drawn on the map (GeoJSON in longitude/latitude)."""
        ptype = self.project_type(project_type)
        geom = drawn_geometry(geometry)
        label = clean_label(name) or "地图绘制的选址"
        job = self.store.create(name=label, kind="check", owner=owner, project_type=ptype)
        try:
            path = self.store.folder(job.id) / "sites" / (uploads.safe_name(label, "drawn") + ".geojson")
            fc = {"type": "FeatureCollection",
                  "features": [{"type": "Feature", "properties": {"name": label}, "geometry": geom}]}
            path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
            stored = uploads.Stored(files=[path], names={str(path): label})
            self._finish_job(job, stored, [label])
        except BaseException:
            self.store.discard(job)
            raise
        return self._queue(job)

    def project_type(self, value: str | None) -> str | None:
        """A project type id from the form's value (id or Chinese label); None: each site's own."""
        if value is None or not str(value).strip():
            return None
        from redline.spatial.rules import resolve_type

        return resolve_type(str(value).strip())

    def _finish_job(self, job: Job, stored: uploads.Stored, inputs: list[str]) -> None:
        folder = self.store.folder(job.id)
        site_files = [f for f in stored.files if f.suffix.lower() in SITE_SUFFIXES]
        if len(site_files) == 1:
            job.sites = str(site_files[0].relative_to(folder))
        else:
            job.sites = "sites"
        names = {}
        for path, shown in stored.names.items():
            rel = str(Path(path).relative_to(folder))
            names[path] = shown
            names[rel] = shown
        names[str(folder / "sites")] = "sites"
        job.inputs, job.names, job.notes = inputs, names, list(stored.notes)

    def _quick_read(self, job: Job) -> None:
        """Read small uploads at once, so that a broken file is refused with its one line (422) before the
        job is queued; larger ones are read by the job."""
        import redline

        folder = self.store.folder(job.id)
        target = folder / job.sites
        files = [target] if target.is_file() else [f for f in target.iterdir() if f.suffix.lower() in SITE_SUFFIXES]
        if len(files) > QUICK_CHECK_FILES or sum(f.stat().st_size for f in files if f.is_file()) > QUICK_CHECK_BYTES:
            return
        try:
            for f in files:
                if f.suffix.lower() == ".txt" and target.is_dir() and not _looks_guotu(f):
                    continue
                redline.read_layer(f, kind="site")
        except Exception as exc:
            from redline.layers.errors import RedlineError

            msg = str(exc) if isinstance(exc, RedlineError) else f"{f.name}: 无法读取（{type(exc).__name__}）"
            raise uploads.UploadRefused(public_message(msg, job, folder), 422) from None

    def _queue(self, job: Job) -> Job:
        job.status = "queued"
        self.store.save(job)
        self.runner.submit(job)
        return job

    def check_view(self, job: Job) -> dict:
        """``GET /api/checks/{id}`` without ``result``: id, status, progress, error, and the job's details."""
        status = self.store.status(job)
        view = job.public()
        view["status"] = status
        view["progress"] = self.store.progress(job.id) if status in ("queued", "running") else None
        view["files"] = [n for n in ("压覆分析报告.docx", "压覆分析报告.html", "check.xlsx", "sites.csv", "hits.csv",
                                     "check.json") if status == "done"
                         and (self.store.folder(job.id) / "out" / n).is_file()]
        return view

    def result_text(self, job: Job) -> str | None:
        """The job's ``check.json`` as written (what ``redline check --json`` prints), or None."""
        try:
            return (self.store.folder(job.id) / "out" / "check.json").read_text(encoding="utf-8")
        except OSError:
            return None

    # ------------------------------------------------------------------------------------------ plan texts
    def audit_text(self, src, filename: str | None, *, rules: bool = False):
        """:func:`redline.audit_text` of an uploaded plan text, against the project; ``path`` in the result
        is the uploaded file's name. Returns the :class:`~redline.TextAudit`."""
        import redline
        from redline.layers.errors import RedlineError

        shown = uploads.display_name(filename)
        folder = Path(tempfile.mkdtemp(dir=self.data_dir, prefix=".text-"))
        try:
            path = folder / ((os.path.splitext(uploads.safe_name(filename, "plan"))[0] or "plan") + ".txt")
            with open(path, "xb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            try:
                audit = redline.audit_text(str(path), project=self.project, rules=rules)
            except RedlineError as exc:
                raise type(exc)(str(exc).replace(str(path), shown)) from None
            audit.data["path"] = shown
            return audit
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _looks_guotu(path: Path) -> bool:
    with open(path, "rb") as f:
        return uploads.sniff(f.read(uploads.SNIFF_BYTES)) == "guotu"


def clean_label(name: str | None) -> str | None:
    """A name the user typed, as kept: control characters escaped, at most 100 characters."""
    if name is None or not str(name).strip():
        return None
    return uploads.display_name(str(name).strip(), 100)


def drawn_geometry(geometry) -> dict:
    """A GeoJSON geometry drawn on the map, checked: a Polygon, LineString, Point or their Multi forms (a
    Feature's geometry is taken), longitude/latitude in range, at most 100,000 vertices, valid polygons."""
    import shapely
    import shapely.geometry

    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    kinds = ("Polygon", "MultiPolygon", "LineString", "MultiLineString", "Point", "MultiPoint")
    if not isinstance(geometry, dict) or geometry.get("type") not in kinds:
        raise UsageError(f"geometry: 应为 GeoJSON 几何（{', '.join(kinds)}）")
    try:
        geom = shapely.geometry.shape(geometry)
        coords = shapely.get_coordinates(geom)
    except Exception:
        raise UsageError("geometry: 坐标无法读取（应为 [经度, 纬度] 的数组）") from None
    if geom.is_empty or len(coords) == 0:
        raise UsageError("geometry: 几何为空")
    if len(coords) > 100_000:
        raise UsageError("geometry: 顶点超过 100000 个")
    import numpy as np

    if not np.isfinite(coords).all() or (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        raise UsageError("geometry: 坐标超出经纬度范围（经度 −180…180，纬度 −90…90）")
    if not geom.is_valid:
        raise UsageError(f"geometry: 几何无效（{shapely.is_valid_reason(geom)}），请重新绘制")
    return json.loads(shapely.to_geojson(geom))


