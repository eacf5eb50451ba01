"""``redline serve``: the offline web app for one project (选址分析, 面积统计, 规划文本核查 in a browser)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import click

from redline.commands._common import handle_errors, project_option
from redline.layers.errors import UsageError


def default_data_dir() -> Path:
    """``$XDG_CACHE_HOME/redline/serve`` (``~/.cache/redline/serve``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "redline" / "serve"


def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UsageError(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc}); "
                             "choose another --port") from None


@click.command(short_help="Serve the offline web app (选址分析 in a browser) for a project.")
@project_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Loopback needs no token; any other address requires one.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option("--token", envvar="REDLINE_TOKEN", metavar="TOKEN",
              help="Access token (also $REDLINE_TOKEN). Required off loopback: generated and printed if not given.")
@click.option("--max-upload-mb", default=50.0, show_default=True, type=click.FloatRange(min=0.001),
              help="Largest request (upload) accepted; archives may unpack to 10× this.")
@click.option("--jobs", "jobs", default=2, show_default=True, type=click.IntRange(min=1),
              help="Worker processes running site checks at the same time.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Folder for jobs (uploads and results). Default: ~/.cache/redline/serve.")
@click.option("--keep-hours", default=24.0, show_default=True, type=click.FloatRange(min=0),
              help="Jobs are removed this many hours after they finish.")
@handle_errors
def command(project_path, host, port, token, max_upload_mb, jobs, data_dir, keep_hours):
    """Serve the offline web app for a project: 项目概况, 选址分析 (upload 国土TXT, zip, GeoPackage, KML/KMZ,
    DXF or CSV, or draw on the map), 规划文本核查, 面积统计, and the JSON API under them.

    Nothing is loaded from any host. On loopback (the default) only this machine's users reach it; with
    --host 0.0.0.0 (the intranet) every request needs the token: open the printed URL once in the browser,
    API clients send "Authorization: Bearer TOKEN".

    \b
    Examples:
      redline serve --project redline.toml                       # http://127.0.0.1:8765/
      redline serve --host 0.0.0.0 --port 8080 --jobs 4          # on the intranet, token printed
    """
    import uvicorn

    import redline
    from redline.web.app import create_app
    from redline.web.security import is_loopback, new_token
    from redline.web.service import Settings

    project = redline.Project.load(project_path)         # one-line error for a missing or broken project
    loopback = is_loopback(host)
    if not loopback and not token:
        token = new_token()
    data = Path(data_dir or default_data_dir()).resolve()
    try:
        (data / "cwd").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--data-dir {data}: cannot create it ({exc.strerror or exc})") from None
    _check_port(host, port)
    settings = Settings(project=project.path.resolve(), data_dir=data, token=token, loopback=loopback,
                        max_upload_mb=max_upload_mb, jobs=jobs, keep_hours=keep_hours)
    app = create_app(settings)
    os.chdir(data / "cwd")          # an empty folder: nothing the server does is relative to where it started
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}/"
    click.echo(f"redline serve: {project.name} ({project.path})")
    click.echo(f"  jobs: {data / 'jobs'} (kept {keep_hours:g} h), {jobs} worker process(es), uploads up to "
               f"{max_upload_mb:g} MB")
    if token:
        click.echo(f"  open: {url}?token={token}")
        click.echo(f"  API:  Authorization: Bearer {token}")
    else:
        click.echo(f"  open: {url}   (this machine only; --host 0.0.0.0 serves the intranet with a token)")
    click.echo("  stop: Ctrl-C")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False)
