"""The print map's legend: symbol handles for areas, lines and structure elements, and the legend's plan
(columns, rows, wrapped labels, notes) on the sheet."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import matplotlib

matplotlib.use("Agg", force=False)

from matplotlib.legend_handler import HandlerBase  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Polygon, Rectangle  # noqa: E402

from redline.maps.print_sheet import PX, Sheet  # noqa: E402
from redline.maps.styles import Style  # noqa: E402


# -------------------------------------------------------------------------------------------------- legend
class _AxisHandle:
    """Legend handle of an axis: a line with an arrowhead."""

    def __init__(self, style: Style):
        self.style = style


class _AxisHandler(HandlerBase):
    def create_artists(self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans):
        st = orig_handle.style
        lw = max(st.weight * PX, 0.5)
        y = height / 2 - ydescent
        head = min(height * 0.9, width * 0.35)
        line = Line2D([-xdescent, -xdescent + width - head * 0.8], [y, y], color=st.color, linewidth=lw,
                      linestyle=_dashes(st, lw), transform=trans)
        tri = Polygon([(-xdescent + width, y), (-xdescent + width - head, y + head * 0.45),
                       (-xdescent + width - head, y - head * 0.45)], closed=True, facecolor=st.color,
                      edgecolor="none", transform=trans)
        return [line, tri]


def _area_handle(st: Style) -> Patch:
    lw = max(st.weight * PX, 0.4)
    return Patch(facecolor=_blend(st.fill_color, st.fill_opacity) if st.fill else "none", edgecolor=st.color,
                 hatch=st.hatch or None, linewidth=lw, linestyle=_dashes(st, lw), fill=st.fill)


def _blend(color: str, alpha: float) -> tuple:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (1 - alpha + alpha * r, 1 - alpha + alpha * g, 1 - alpha + alpha * b)


def _layer_handle(st: Style, shape: str):
    if shape == "point":
        return Line2D([], [], linestyle="none", marker="o", markersize=st.radius * PX * 2.4,
                      markerfacecolor=st.fill_color, markeredgecolor=st.color, markeredgewidth=st.weight * PX)
    if shape == "line":
        lw = max(st.weight * PX, 0.4)
        return Line2D([], [], color=st.color, linewidth=lw, linestyle=_dashes(st, lw), alpha=st.opacity)
    return _area_handle(st)


def _structure_handle(key: str, st: Style, shape: str):
    kind = key.split(".")[0].split("#")[0]
    if kind == "axis":
        return _AxisHandle(st)
    if kind in ("core", "node"):
        return Line2D([], [], linestyle="none", marker="o", markersize=(8 if kind == "core" else 5),
                      markerfacecolor=st.fill_color, markeredgecolor=st.color, markeredgewidth=1.0)
    if shape == "line":
        return Line2D([], [], color=_blend(st.color, st.opacity), linewidth=6, solid_capstyle="round")
    return _area_handle(replace(st, weight=min(st.weight, 2.0)))




def _dashes(style: Style, lw: float):
    if not style.dash:
        return "solid"
    return (0, tuple(max(d * PX / max(lw, 0.1), 0.1) for d in style.dash))




def _mm(fig, sheet: Sheet):
    from matplotlib.transforms import Affine2D

    return Affine2D().scale(1 / sheet.width, 1 / sheet.height) + fig.transFigure


def _em(text: str) -> float:
    """Width of ``text`` in em: CJK characters 1, others about 0.55."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in text)


def _wrap(text: str, width: float) -> list[str]:
    """Lines of at most ``width`` em, broken after "；" or "，" when possible (CJK text has no spaces)."""
    width = max(width, 1.0)
    lines, line = [], ""
    for piece in re.split(r"(?<=[；，])", text):
        while _em(piece) > width:  # a piece longer than a line: cut it
            room = line
            cut = 0
            while cut < len(piece) and _em(room + piece[:cut + 1]) <= width:
                cut += 1
            if cut == 0:
                lines.append(line)
                line = ""
                continue
            lines.append(line + piece[:cut])
            line, piece = "", piece[cut:]
        if _em(line + piece) > width:
            lines.append(line)
            line = piece
        else:
            line += piece
    if line:
        lines.append(line)
    return [ln for ln in lines if ln]


@dataclass(frozen=True)
class LegendPlan:
    """How the legend is set: type size (points), columns, rows, the entries (padded so that no heading
    ends a column) and the wrapped note lines."""

    size: float
    ncol: int
    rows: int
    items: list
    notes: list
    height_mm: float


def _row_mm(size: float) -> float:
    return size * 0.3528 * 1.55  # a legend row (handleheight 1.1 + labelspacing 0.55 em, as set)


def _pad_headings(items: list, rows: int) -> list:
    """Blank entries before any heading that would fall on the last row of a column."""
    out: list = []
    for item in items:
        if item[2] and len(out) % rows == rows - 1:
            out.append(("", None, False))
        out.append(item)
    return out


def plan_legend(items: list, width_mm: float, height_mm: float | None, fs: float, notes: str = "") -> LegendPlan:
    """Fit ``items`` (``(label, handle, is_heading)``) in a panel ``width_mm`` wide; ``height_mm`` None
    means the panel takes the height it needs (portrait sheets). The type shrinks to 70 % before taking
    more columns than fit the width."""
    note_size = fs * 0.78
    line_mm = note_size * 0.3528 * 1.45
    lines = _wrap(notes, (width_mm - 6) / (note_size * 0.3528)) if notes else []
    fixed = 13.0 + len(lines) * line_mm + (3 if lines else 0)   # title, borders, notes

    def col_mm(size):
        longest = max((len(lab) for lab, _, _ in items), default=4)
        return (longest + 4.4) * size * 0.3528

    size = fs * 1.05
    for _ in range(8):
        max_cols = max(int(width_mm / col_mm(size)), 1)
        if height_mm is None:
            rows = max(math.ceil(len(items) / max_cols), 1)
        else:
            rows = max(int((height_mm - fixed) / _row_mm(size)), 1)
        padded = _pad_headings(items, rows)
        ncol = max(math.ceil(len(padded) / rows), 1)
        if ncol <= max_cols and (height_mm is None or ncol == 1 or size <= fs * 0.7):
            break
        size = max(size * 0.9, fs * 0.7)
    height = fixed + rows * _row_mm(size)
    return LegendPlan(size=size, ncol=ncol, rows=rows, items=padded, notes=lines,
                      height_mm=height if height_mm is None else height_mm)


def _legend(fig, sheet: Sheet, plan: LegendPlan, font, fs: float) -> None:
    """The legend panel: "图例" and the entries (headings in bold), the notes (data sources) at its foot."""
    lx, ly, lw, lh = sheet.legend
    lax = fig.add_axes(sheet.frac(sheet.legend))
    lax.set_axis_off()
    lax.add_patch(Rectangle((0, 0), 1, 1, transform=lax.transAxes, facecolor="white", edgecolor="#333333",
                            linewidth=0.6))
    note_size = fs * 0.78
    line_mm = note_size * 0.3528 * 1.45
    for i, line in enumerate(reversed(plan.notes)):
        lax.text(3 / lw, (2.5 + i * line_mm) / lh, line, transform=lax.transAxes, ha="left", va="bottom",
                 fontproperties=font.props(note_size), color="#444444")
    if not plan.items:
        return
    handles = [h if h is not None else Patch(visible=False) for _, h, _ in plan.items]
    labels = [lab for lab, _, _ in plan.items]
    leg = lax.legend(handles, labels, loc="upper center", ncol=plan.ncol, frameon=False,
                     prop=font.props(plan.size), title="图　例",
                     title_fontproperties=font.props(fs * 1.35, bold=True), handlelength=2.6, handleheight=1.1,
                     labelspacing=0.55, columnspacing=1.2, borderaxespad=0.6, borderpad=0.8,
                     handler_map={_AxisHandle: _AxisHandler()})
    for text, (_, _, heading) in zip(leg.get_texts(), plan.items, strict=True):
        if heading:  # a heading starts where the swatches start
            text.set_fontproperties(font.props(plan.size, bold=True))
            text.set_x(-25)


