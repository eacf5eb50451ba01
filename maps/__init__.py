"""Rendering: offline web maps, plan structure diagrams, print maps, styles.

Modules
-------
styles      map styles from ``maps/data/styles.toml`` and a project's ``[map.styles]`` overrides
layout      structure-diagram layout files (TOML/YAML): 带 廊 片 区 轴 核 点 屏障
structure   layout elements resolved to geometries (features by name, buffered, dissolved; coords)
sources     the project layers a map draws, their titles and drawing order
display     display copies: coverage-preserving simplification, rounding, size budget
gcj02       WGS84 → GCJ-02 (display over 高德 tiles only)
webmap      the self-contained offline web map (Leaflet inlined): :func:`web_map`, :func:`save_web_map`
printmap    A4/A3 print maps, PNG 300 dpi and PDF: :func:`print_map`, :func:`save_print_map`
fonts       the CJK font and the missing-glyph check
render      one call for a web map plus print maps, and the demo's map set
"""
