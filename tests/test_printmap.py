"""Print maps: paper sizes at 300 dpi, exact numeric scale, sheet furniture, embedded CJK font, and the
check that every Chinese character drawn has a glyph (no boxes).

Paper sizes are ISO 216 (A4 210 x 297 mm, A3 297 x 420 mm): pixels = mm / 25.4 x dpi, PDF points =
mm / 25.4 x 72.
"""

from __future__ import annotations

import re
import warnings

import pytest
from test_maps import write_small_project

from redline.layers.errors import UsageError
from redline.layers.project import load_project


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return load_project(write_small_project(tmp_path_factory.mktemp("pm") / "county"))


@pytest.fixture(scope="module")
def a4(project):
    from redline.maps.printmap import print_map

    return print_map(project)


def _texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def test_a4_landscape_png_is_300_dpi(a4, tmp_path, cjk_font):
    from PIL import Image

    from redline.maps.printmap import save_print_map

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = save_print_map(a4, tmp_path / "map.png")
    assert not [w for w in caught if "missing from font" in str(w.message)]
    img = Image.open(tmp_path / "map.png")
    assert abs(img.width - 297 / 25.4 * 300) < 1 and abs(img.height - 210 / 25.4 * 300) < 1
    assert [round(v) for v in img.info["dpi"]] == [300, 300]
    assert info["dpi"] == 300 and info["format"] == "png"


def test_a3_portrait_pdf_embeds_the_cjk_font(project, tmp_path, cjk_font):
    from redline.maps.printmap import print_map, save_print_map

    fig = print_map(project, paper="A3", orientation="portrait")
    save_print_map(fig, tmp_path / "map.pdf")
    data = (tmp_path / "map.pdf").read_bytes()
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert box and float(box.group(1)) == pytest.approx(297 / 25.4 * 72, abs=0.1)
    assert float(box.group(2)) == pytest.approx(420 / 25.4 * 72, abs=0.1)
    assert b"/FontFile2" in data, "TrueType font program embedded"
    fonts = re.findall(rb"/BaseFont /(?:[A-Z]{6}\+)?([A-Za-z-]+)", data)
    assert fonts and any(b"CJK" in f or b"WenQuanYi" in f for f in fonts)
    assert not any(f.startswith(b"DejaVu") for f in fonts), "no Latin fallback font for the Chinese text"


def test_numeric_scale_is_exact(a4, project):
    import geopandas as gpd

    ax = a4.axes[0]
    pos = ax.get_position()
    width_mm = pos.width * a4.get_figwidth() * 25.4
    height_mm = pos.height * a4.get_figheight() * 25.4
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    scale_x = (x1 - x0) / (width_mm / 1000)
    scale_y = (y1 - y0) / (height_mm / 1000)
    printed = [t for t in _texts(a4) if t.startswith("比例尺")]
    assert len(printed) == 1
    n = int(printed[0].split(":")[1].replace(" ", ""))
    assert scale_x == pytest.approx(n, rel=1e-9) and scale_y == pytest.approx(n, rel=1e-9)
    # the whole county is on the sheet
    county = gpd.read_file(project.layers["county"].path)
    bx0, by0, bx1, by1 = county.total_bounds
    assert x0 < bx0 and bx1 < x1 and y0 < by0 and by1 < y1
    # the scale bar's label says kilometres that match the bar: 2.5 km steps at this scale
    assert "千米" in _texts(a4)


def test_sheet_furniture(a4):
    texts = _texts(a4)
    joined = "\n".join(texts)
    assert "北" in texts  # the north arrow's letter
    for piece in ("示范县生态空间结构图", "图　例", "比例尺", "编制单位：示范规划设计院", "编制日期",
                  "2000国家大地坐标系", "高斯-克吕格投影", "第37带", "审图号：GS(2099)0000号", "虚构示范数据",
                  "数据来源", "一带一片、一区两轴、一心"):
        assert piece in joined, piece
    # legend: every drawn style, structure elements included (same labels as the web legend)
    for label in ("生态保护红线", "永久基本农田", "城镇开发边界", "核心区", "缓冲区", "实验区", "优先保护单元",
                  "重点管控单元", "一般管控单元", "河流", "道路", "城镇", "岸线保护区", "县级行政界线", "乡镇界线",
                  "生态带", "生态片区", "功能区", "发展主轴", "发展次轴", "核心", "节点"):
        assert label in texts, label
    # structure labels drawn on the map
    for label in ("沿河生态带", "北部水源涵养片", "G340发展主轴", "县城综合服务核心"):
        assert label in texts, label
    # neat line: a thick outer and a thin inner frame
    from matplotlib.patches import Rectangle

    frames = sorted((p.get_linewidth() for p in a4.artists if isinstance(p, Rectangle)), reverse=True)
    assert len(frames) == 2 and frames[0] > 2 * frames[1]


def test_no_approval_number_unless_given(tmp_path, cjk_font):
    from redline.maps.printmap import print_map

    p = load_project(write_small_project(tmp_path / "c", approval=None, fictional=False, layout=False))
    texts = "\n".join(_texts(print_map(p)))
    assert "审图号" not in texts and "虚构" not in texts
    assert "示范县生态保护红线分布图" in texts


def test_every_character_has_a_glyph(a4, cjk_font):
    from matplotlib import font_manager as fm

    from redline.maps.fonts import missing_glyphs_in_figure

    assert missing_glyphs_in_figure(a4) == []
    from matplotlib.text import Text

    for t in a4.findobj(Text):
        s = t.get_text()
        if any("\u4e00" <= c <= "\u9fff" for c in s):
            path = str(fm.findfont(t.get_fontproperties(), fallback_to_default=False)).lower()
            assert "wqy" in path or "cjk" in path or "hei" in path or "han" in path, (s, path)


def test_a_missing_glyph_is_refused(project, cjk_font):
    from redline.maps.fonts import MissingFontError
    from redline.maps.printmap import print_map

    with pytest.raises(MissingFontError) as err:
        print_map(project, title="示范县\U0001F5FA生态图", layers="base")
    assert "\U0001F5FA" in str(err.value)


def test_no_cjk_font_is_a_clear_error(monkeypatch):
    from redline.maps import fonts

    fonts.find_cjk_font.cache_clear()
    monkeypatch.setattr(fonts, "PREFERRED", ("No Such Font SC",))
    try:
        with pytest.raises(fonts.MissingFontError, match="fonts-wqy-microhei"):
            fonts.find_cjk_font()
    finally:
        monkeypatch.undo()
        fonts.find_cjk_font.cache_clear()


def test_bad_paper_and_extension(project, tmp_path, a4):
    from redline.maps.print_sheet import sheet_layout
    from redline.maps.printmap import print_map, save_print_map

    with pytest.raises(UsageError):
        sheet_layout("A5")
    with pytest.raises(UsageError):
        print_map(project, orientation="sideways")
    with pytest.raises(UsageError):
        save_print_map(a4, tmp_path / "map.jpg")
    assert not (tmp_path / "map.jpg").exists()


def test_nice_scale():
    from redline.maps.print_sheet import nice_scale

    assert [nice_scale(v) for v in (9_000, 10_000, 10_001, 108_000, 183_000, 260_000, 850_000)] == \
        [10_000, 10_000, 12_000, 120_000, 200_000, 300_000, 1_000_000]


def test_wrap_breaks_at_separators_and_never_loses_text():
    from redline.maps.print_legend import _em, _wrap

    text = "数据来源：示范县生态环境局（虚构数据），2026-06-30；示范县林业局（虚构数据），2026-06-30"
    lines = _wrap(text, 20)
    assert "".join(lines) == text
    assert all(_em(line) <= 20 for line in lines)
    assert lines[0].endswith("，")
    assert _wrap("一二三", 0.2) == ["一", "二", "三"]
