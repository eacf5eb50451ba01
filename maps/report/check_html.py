"""The 压覆分析报告 as one self-contained HTML page, from the jinja2 template
``maps/report/templates/check_report.html`` (package data).

The template is rendered with autoescaping on: every value, whatever it holds (markup, quotes, ``&``), comes
out as text. Values pass through :func:`_finalize` first: ``None`` prints as nothing and control characters
are dropped. The page has no script and loads nothing: the maps are inline PNG data.

Example
-------
>>> from redline.maps.report.check_content import report_content
>>> page = report_html(report_content({"sites": [], "project": {"name": "<b>示范县</b>"}}))
>>> "压覆分析报告" in page, "&lt;b&gt;示范县&lt;/b&gt;" in page, "<b>示范县" in page, "<script" in page
(True, True, False, False)
"""

from __future__ import annotations

import base64
import functools
from importlib import resources

from redline.maps.report.check_content import FICTIONAL_NOTE, VERDICT_COLORS, ReportContent
from redline.maps.report.tables import printable

TEMPLATE = "check_report.html"


def _finalize(value):
    """What a ``{{ value }}`` prints before escaping: nothing for None, text without control characters."""
    if value is None:
        return ""
    if hasattr(value, "__html__"):   # markup: the output of the template's own macros
        return value
    return printable(str(value))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@functools.cache
def _template():
    import jinja2

    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, finalize=_finalize,
                             undefined=jinja2.StrictUndefined)
    env.filters["b64"] = _b64
    source = resources.files("redline.maps.report").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    return env.from_string(source)


def report_html(content: ReportContent) -> str:
    """The report page.

    Parameters
    ----------
    content : ReportContent
        From :func:`redline.maps.report.check_content.report_content`.
    """
    return _template().render(c=content, colors=VERDICT_COLORS, fictional_note=FICTIONAL_NOTE)
