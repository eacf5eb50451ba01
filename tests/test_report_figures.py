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
