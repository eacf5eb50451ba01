"""The print map's sheet: paper sizes, the scale (a nice 1:N that fits the extent) and where the map frame,
title and legend go, in millimetres.

Example
-------
>>> nice_scale(43_210), nice_scale(9_000)
(50000, 10000)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from redline.layers.errors import UsageError

PAPERS_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}  # landscape
NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0)
PX = 0.5          # print points per web pixel for stroke widths and symbol sizes
MM = 1 / 25.4     # inches per millimetre


def nice_scale(required: float) -> int:
    """The smallest round scale denominator (1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8 × 10^k) not below
    ``required``."""
    if required <= 0:
        raise ValueError("scale must be positive")
    k = math.floor(math.log10(required))
    for base in (*NICE, 10.0):
        cand = base * 10**k
        if cand >= required * (1 - 1e-9):
            return int(round(cand))
    return int(10 ** (k + 1))


MARGIN_MM = 2.0   # the least white space between the extent and the map frame, on paper


def fit_scale(width_m: float, height_m: float, frame_mm: tuple[float, float], margin_mm: float = MARGIN_MM) -> int:
    """The largest round scale (the smallest denominator of :func:`nice_scale`'s series) at which an extent of
    ``width_m`` × ``height_m`` fits inside a map frame of ``frame_mm`` (width, height in mm) with
    ``margin_mm`` of white on every side.

    >>> fit_scale(175_000, 220_000, (204.8, 151.8))   # a city 175 × 220 km on A4 landscape: 146.7 mm high
    1500000
    """
    fw, fh = frame_mm[0] - 2 * margin_mm, frame_mm[1] - 2 * margin_mm
    if fw <= 0 or fh <= 0:
        raise ValueError("the map frame is smaller than its margins")
    return nice_scale(max(width_m / (fw / 1000), height_m / (fh / 1000), 1.0))


def _nice_length(max_m: float) -> float:
    """A round scale-bar length (1, 2, 5 × 10^k metres) not longer than ``max_m``."""
    k = math.floor(math.log10(max_m))
    for base in (5.0, 2.0, 1.0):
        if base * 10**k <= max_m:
            return base * 10**k
    return 10**k


@dataclass(frozen=True)
class Sheet:
    """Rectangles of a sheet in millimetres from the lower-left corner: ``(x, y, width, height)``."""

    width: float
    height: float
    outer: tuple
    inner: tuple
    title: tuple
    map: tuple
    legend: tuple
    footer: tuple
    scale_font: float

    def frac(self, rect) -> list[float]:
        x, y, w, h = rect
        return [x / self.width, y / self.height, w / self.width, h / self.height]


def sheet_layout(paper: str = "A4", orientation: str = "landscape", *, legend_mm: float | None = None) -> Sheet:
    """Where title, map, legend and footer go on an A4/A3 sheet.

    Landscape: the legend is a panel on the right. Portrait: a band under the map, ``legend_mm`` high
    (default 48 mm on A4, scaled on A3; at most 40 % of the sheet's body).
    """
    if paper not in PAPERS_MM:
        raise UsageError(f"paper must be A4 or A3, not {paper!r}")
    if orientation not in ("landscape", "portrait"):
        raise UsageError(f"orientation must be landscape or portrait, not {orientation!r}")
    w, h = PAPERS_MM[paper]
    if orientation == "portrait":
        w, h = h, w
    f = 1.0 if paper == "A4" else 1.3
    margin, gap = 8.0 * f, 1.6 * f
    outer = (margin, margin, w - 2 * margin, h - 2 * margin)
    ix, iy, iw, ih = margin + gap, margin + gap, w - 2 * (margin + gap), h - 2 * (margin + gap)
    title_h, footer_h, pad = 17.0 * f, 9.0 * f, 2.5 * f
    tick_gap = 4.0 * f  # room for the graticule labels outside the map frame
    title = (ix, iy + ih - title_h, iw, title_h)
    footer = (ix, iy, iw, footer_h)
    body_y, body_h = iy + footer_h, ih - title_h - footer_h
    if orientation == "landscape":
        leg_w = 60.0 * f
        legend = (ix + iw - leg_w, body_y + pad, leg_w - pad, body_h - 2 * pad)
        mp = (ix + pad + tick_gap, body_y + pad + tick_gap, iw - leg_w - 2 * pad - 2 * tick_gap,
              body_h - 2 * pad - 2 * tick_gap)
    else:
        leg_h = min(legend_mm if legend_mm is not None else 48.0 * f, 0.4 * body_h)
        legend = (ix + pad, body_y + pad, iw - 2 * pad, leg_h - pad)
        mp = (ix + pad + tick_gap, body_y + leg_h + pad + tick_gap, iw - 2 * pad - 2 * tick_gap,
              body_h - leg_h - 2 * pad - 2 * tick_gap)
    return Sheet(width=w, height=h, outer=outer, inner=(ix, iy, iw, ih), title=title, map=mp, legend=legend,
                 footer=footer, scale_font=f)


