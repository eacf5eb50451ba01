"""The report's overview figure: a locator inset (the region's boundary, its subdivisions named, the site and
the close-up's frame) and a legend drawn above every map layer (swatches never washed over by the map)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from redline.maps.report.figures import LEGEND_Z, overview_figure

X, Y = 37_500_000.0, 4_250_000.0


def test_the_overview_locates_the_site_in_the_region(cjk_font):
    county = gpd.GeoDataFrame({"name": ["示范县"]}, geometry=[shapely.box(X, Y, X + 40_000, Y + 30_000)], crs=4525)
    towns = gpd.GeoDataFrame({"name": ["城关镇", "龙泉镇"]}, geometry=[
        shapely.box(X, Y, X + 20_000, Y + 30_000), shapely.box(X + 20_000, Y, X + 40_000, Y + 30_000)], crs=4525)
    red = gpd.GeoDataFrame({"name": ["红线"]}, geometry=[shapely.box(X + 30_000, Y + 10_000, X + 31_000, Y + 11_000)],
                           crs=4525)
    site = shapely.box(X + 30_500, Y + 10_500, X + 30_800, Y + 10_700)
    fig = overview_figure(site, [("county", "boundary", "县界", county), ("red_line", "red_line", "生态保护红线", red)],
                          title="示例项目位置与管控图层总览", region=[county, towns])
    (main,) = fig.axes
    (inset,) = main.child_axes
    names = {t.get_text() for t in inset.texts}
    assert {"城关镇", "龙泉镇", "区位示意"} <= names            # the subdivisions are named
    # the inset shows the whole region and the site (a red star at the site, inside the 龙泉镇 half)
    x0, x1 = inset.get_xlim()
    assert x0 <= X and x1 >= X + 40_000
    (star,) = inset.collections
    sx, sy = star.get_offsets()[0]
    assert X + 30_500 <= sx <= X + 30_800 and Y + 10_500 <= sy <= Y + 10_700
    # the legend is above every map patch, in opaque swatches
    leg = main.get_legend()
    assert leg.get_zorder() == LEGEND_Z > max(p.get_zorder() for p in main.patches)
    assert all(np.isclose(h.get_alpha() if h.get_alpha() is not None else 1.0, 1.0) for h in leg.legend_handles)


def test_without_region_layers_there_is_no_inset(cjk_font):
    red = gpd.GeoDataFrame({"name": ["红线"]}, geometry=[shapely.box(X, Y, X + 1000, Y + 1000)], crs=4525)
    fig = overview_figure(shapely.box(X + 500, Y + 500, X + 600, Y + 600), [("rl", "red_line", "红线", red)],
                          title="示例", region=[])
    assert len(fig.axes) == 1 and not fig.axes[0].child_axes


def test_a_report_map_is_an_rgb_png_of_the_figure_size_and_the_same_pixels_as_matplotlib_writes(cjk_font):
    """The maps are saved as RGB (the figure is opaque), 7.0 × 5.4 inches at 110 dpi: 770 × 594 pixels by hand;
    the pixels are those of matplotlib's own PNG (RGBA) without its alpha channel, which is 255 everywhere."""
    import io

    from PIL import Image

    from redline.maps.report import figures

    red = gpd.GeoDataFrame({"name": ["红线甲", "红线乙"]}, geometry=[
        shapely.box(X, Y, X + 1_000, Y + 1_000), shapely.box(X + 5_000, Y, X + 6_000, Y + 1_000)], crs=4525)
    site = shapely.box(X + 500, Y + 500, X + 1_500, Y + 800)
    png = figures.layer_png(site, red, [0], layer_id="red_line", kind="red_line", label="生态保护红线",
                            title="示例项目压覆生态保护红线示意图")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGB" and image.size == (770, 594)
    assert [round(v) for v in image.info["dpi"]] == [110, 110]
    fig = figures.overview_figure(site, [("red_line", "red_line", "生态保护红线", red)], title="总览")
    ours = np.asarray(Image.open(io.BytesIO(figures._png(fig))))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=figures.DPI)              # matplotlib's own writer, a second method
    theirs = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
    assert theirs.shape == (594, 770, 4) and (theirs[..., 3] == 255).all()
    assert np.array_equal(ours, theirs[..., :3])


def test_the_map_window_takes_the_features_an_strtree_finds(cjk_font):
    """``_clip`` takes the layer's kept spatial index: the same rows as a fresh STRtree's query (a second
    method), the second window's query answered by the index the first one built."""
    from redline.maps.report.figures import _clip

    boxes = [shapely.box(X + 1_000 * i, Y, X + 1_000 * i + 600, Y + 600) for i in range(50)]
    layer = gpd.GeoDataFrame({"name": [f"红线{i}" for i in range(50)]}, geometry=boxes, crs=4525)
    for win in ((X + 2_300, Y - 100, X + 7_700, Y + 300), (X - 5_000, Y - 5_000, X - 1, Y - 1)):
        rows, geoms = _clip(layer, win)
        expected = np.sort(shapely.STRtree(boxes).query(shapely.box(*win), predicate="intersects"))
        assert rows.tolist() == expected.tolist()
        # by hand: boxes 2..7 reach into the first window (box 2 ends at 2,600 > 2,300; box 7 starts at 7,000 < 7,700)
        assert rows.tolist() == ([2, 3, 4, 5, 6, 7] if win[0] > X else [])
        assert all(g.bounds[0] >= win[0] and g.bounds[2] <= win[2] for g in geoms)
    assert layer.has_sindex
