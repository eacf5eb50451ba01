"""The CJK font of print maps, and the check that every character drawn has a glyph in it.

matplotlib draws a missing glyph as an empty box (or nothing), sometimes without a warning, so print
maps check the character map of the font each text really uses (:func:`missing_glyphs_in_figure`) and
refuse to save a sheet with a missing glyph.

Example
-------
>>> font = find_cjk_font()            # doctest: +SKIP
>>> font.family                       # doctest: +SKIP
'Noto Sans CJK SC'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from matplotlib import font_manager as fm
from matplotlib import ft2font

from redline.layers.errors import RedlineError

# Simplified-Chinese sans fonts in order of preference (Debian: fonts-noto-cjk, fonts-wqy-microhei).
PREFERRED = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
             "Microsoft YaHei", "SimHei", "Noto Sans SC", "WenQuanYi Zen Hei", "Droid Sans Fallback")
PROBE = "生态保护红线图例比例尺指北针编制单位审图号"


class MissingFontError(RedlineError):
    """No CJK font is installed, or a character has no glyph in it (exit code 3)."""


@dataclass(frozen=True)
class CjkFont:
    """A CJK sans family with its regular and (when the family has one) bold face."""

    family: str
    regular: str   # font file
    bold: str      # font file of the bold face (the regular one when the family has none)
    has_bold: bool

    def props(self, size: float, *, bold: bool = False) -> fm.FontProperties:
        return fm.FontProperties(family=self.family, size=size,
                                 weight="bold" if bold and self.has_bold else "normal")


def _charmap(path: fm.FontPath | str, index: int = 0) -> frozenset[int]:
    key = (str(path), getattr(path, "face_index", index))
    return _charmap_cached(*key)


@cache
def _charmap_cached(fname: str, index: int) -> frozenset[int]:
    return frozenset(ft2font.FT2Font(fname, face_index=index).get_charmap())


@cache
def find_cjk_font() -> CjkFont:
    """The first installed family of :data:`PREFERRED` that has every character of a probe text.

    Raises
    ------
    MissingFontError
        No CJK font installed (with the package to install).
    """
    entries = fm.fontManager.ttflist
    for family in PREFERRED:
        faces = [e for e in entries if e.name == family and e.style == "normal"]
        if not faces:
            continue
        regular = min(faces, key=lambda e: abs(int(e.weight) - 400) if str(e.weight).isdigit() else 0)
        if any(ord(c) not in _charmap_cached(regular.fname, regular.index) for c in PROBE):
            continue
        bolds = [e for e in faces if str(e.weight).isdigit() and int(e.weight) >= 600]
        bold = bolds[0] if bolds else regular
        return CjkFont(family=family, regular=regular.fname, bold=bold.fname, has_bold=bool(bolds))
    raise MissingFontError("no CJK (Chinese) font is installed, so Chinese text would print as boxes. "
                           "Install one: apt-get install fonts-wqy-microhei (or fonts-noto-cjk), "
                           "then remove ~/.cache/matplotlib so matplotlib finds it")


def missing_glyphs(text: str, props: fm.FontProperties) -> tuple[str, list[str]]:
    """``(font file, characters of text without a glyph in that font)``; whitespace is ignored."""
    path = fm.findfont(props, fallback_to_default=True)
    cmap = _charmap(path)
    return str(path), sorted({c for c in text if not c.isspace() and ord(c) not in cmap})


def clean_figure_texts(fig) -> int:
    """Drop control and bidirectional-override characters from every text of ``fig`` (names come from users'
    data: such a character has no glyph, and would reorder the text); returns how many texts changed.

    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> t = fig.text(0, 0, "汾河" + chr(0x202E) + "带")
    >>> clean_figure_texts(fig), t.get_text()
    (1, '汾河带')
    """
    from matplotlib.text import Text

    from redline.spatial.check_tables import printable

    changed = 0
    for t in fig.findobj(Text):
        s = t.get_text()
        clean = printable(s) if s else s
        if clean != s:
            t.set_text(clean)
            changed += 1
    return changed


def missing_glyphs_in_figure(fig) -> list[tuple[str, str, list[str]]]:
    """``(text, font file, missing characters)`` for every text of ``fig`` with a character its font lacks."""
    from matplotlib.text import Text

    out = []
    for t in fig.findobj(Text):
        s = t.get_text()
        if not s or not t.get_visible():
            continue
        path, missing = missing_glyphs(s, t.get_fontproperties())
        if missing:
            out.append((s, path, missing))
    return out
