"""CSS, JavaScript and SVG pieces of the offline web map (inlined into the one HTML file).

Every piece of text that comes from data reaches the page either as JSON inside a script (with ``<``,
``>`` and ``&`` escaped, :func:`script_json`) and is then shown with ``textContent``, or as HTML built
here with :func:`html.escape`. Nothing from data is ever given to ``innerHTML`` unescaped.

Example
-------
>>> script_json('{"name":"<script>alert(1)</script>"}')
'{"name":"\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
>>> "<script>" in swatch_svg("area", fill_color="#ff0000", label="<script>")
False
"""

from __future__ import annotations

import html
import itertools
import math
import string

FONT_STACK = ('"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","Source Han Sans SC",'
              '"WenQuanYi Micro Hei","Hiragino Sans GB",SimHei,sans-serif')

CSS = string.Template("""
div.leaflet-container { background: #f6f4ee; font-family: $font; }
div.leaflet-container.rl-tiles { background: #ddd; }
img.rl-image { image-rendering: pixelated; }
.rl-panel { background: rgba(255,255,255,0.94); border: 1px solid #888; border-radius: 3px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.25); font: 12px/1.45 $font; color: #222; }
.rl-title { position: absolute; top: 10px; left: 50%; transform: translateX(-50%); z-index: 800;
  text-align: center; padding: 6px 18px 7px; pointer-events: none; max-width: 60%; }
.rl-title h1 { margin: 0; font: bold 22px/1.3 $font; letter-spacing: 2px; color: #111; }
.rl-title .rl-sub { font-size: 14px; font-weight: bold; color: #444; margin-top: 2px; }
.rl-title .rl-fict { font-size: 12px; color: #b00020; margin-top: 3px; }
.rl-legend { padding: 8px 10px; max-height: calc(100vh - 330px); overflow-y: auto; min-width: 150px; }
.rl-legend h2 { margin: 0 0 4px; font: bold 15px $font; text-align: center; letter-spacing: 6px; }
.rl-legend h3 { margin: 5px 0 2px; font: bold 12px $font; color: #333; }
.rl-legend .rl-cols { column-count: 2; column-gap: 16px; }
.rl-legend .rl-group { break-inside: avoid; }
.rl-legend .rl-entry { display: flex; align-items: center; gap: 6px; margin: 1px 0; white-space: nowrap; }
.rl-legend svg { flex: none; }
.rl-info { padding: 6px 9px; max-width: 360px; font-size: 11.5px; }
.rl-info div { margin: 1px 0; }
.rl-info .rl-note { color: #8a4b00; }
.rl-north { padding: 2px 4px 0; text-align: center; background: rgba(255,255,255,0.85); }
.rl-north .rl-n { font: bold 13px $font; }
.rl-label { font: bold 13px $font; white-space: nowrap; color: #222; pointer-events: none;
  text-shadow: -1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff, 1px 1px 0 #fff, 0 0 3px #fff; }
.rl-label span { position: absolute; transform: translate(-50%, -50%); }
.rl-label.rl-town { font-size: 12px; font-weight: normal; }
.rl-label.rl-town span { transform: translate(6px, -50%); }
.rl-label.rl-township { font-size: 11px; font-weight: normal; color: #666; }
.rl-label.rl-struct { font-size: 15px; color: #1a1a1a; }
.rl-label.rl-struct-core span { transform: translate(-50%, -170%); }
.rl-popup table { border-collapse: collapse; font: 12px $font; }
.rl-popup th { text-align: left; font-size: 13px; padding: 0 0 4px; }
.rl-popup td { border-top: 1px solid #e3e3e3; padding: 2px 6px 2px 0; vertical-align: top; max-width: 320px; }
.rl-popup td.rl-k { color: #555; white-space: nowrap; }
.leaflet-control-layers { font: 12px/1.5 $font; }
.leaflet-control-layers-overlays label { white-space: nowrap; }
""").substitute(font=FONT_STACK)

# Helpers shared by every layer of the page. `redline.addGeoJson` draws one project layer; popups and
# tooltips are built with DOM nodes and textContent, so attribute values never become markup.
JS = r"""
window.redline = window.redline || {layers: {}, groups: {}};
redline.popupNode = function (title, props, fields) {
  var box = document.createElement('div'); box.className = 'rl-popup';
  var t = document.createElement('table'); box.appendChild(t);
  var head = document.createElement('tr'); var th = document.createElement('th');
  th.colSpan = 2; th.textContent = title; head.appendChild(th); t.appendChild(head);
  for (var i = 0; i < fields.length; i++) {
    var v = props['p' + i];
    if (v === undefined || v === null || v === '') continue;
    var tr = document.createElement('tr');
    var k = document.createElement('td'); k.className = 'rl-k'; k.textContent = fields[i];
    var d = document.createElement('td'); d.textContent = String(v);
    tr.appendChild(k); tr.appendChild(d); t.appendChild(tr);
  }
  return box;
};
redline.tooltipNode = function (props, fallback) {
  var v = props.p0;
  return document.createTextNode(v === undefined || v === null ? fallback : String(v));
};
redline.addGeoJson = function (id, group, data, styles, fields, title, opts) {
  opts = opts || {};
  var layer = L.geoJSON(data, {
    style: function (f) { return styles[f.properties._s] || styles['']; },
    pointToLayer: function (f, ll) { return L.circleMarker(ll, styles[f.properties._s] || styles['']); },
    onEachFeature: function (f, l) {
      var label = opts.styleLabels[f.properties._s] || title;
      l.bindPopup(function () { return redline.popupNode(title, f.properties, fields); }, {maxWidth: 420});
      l.bindTooltip(function () { return redline.tooltipNode(f.properties, label); }, {sticky: true});
    }
  });
  layer.addTo(group);
  redline.layers[id] = layer;
  return layer;
};
redline.addLabels = function (group, labels, cls) {
  for (var i = 0; i < labels.length; i++) {
    var s = document.createElement('span'); s.textContent = labels[i][2];
    var icon = L.divIcon({className: 'rl-label ' + cls, html: s.outerHTML, iconSize: [0, 0]});
    L.marker([labels[i][1], labels[i][0]], {icon: icon, interactive: false, keyboard: false}).addTo(group);
  }
};
redline.addStructure = function (group, items) {
  for (var i = 0; i < items.length; i++) {
    var it = items[i];
    var layer;
    if (it.type === 'core' || it.type === 'node') {
      var ll = [it.at[1], it.at[0]];
      if (it.halo) {
        L.circleMarker(ll, {radius: it.style.radius * 2.3, stroke: true, color: it.style.color, weight: 1.5,
          opacity: 0.35, fill: true, fillColor: it.style.fillColor, fillOpacity: 0.08, interactive: false}).addTo(group);
        L.circleMarker(ll, {radius: it.style.radius * 1.6, stroke: true, color: it.style.color, weight: 2,
          opacity: 0.6, fill: true, fillColor: it.style.fillColor, fillOpacity: 0.15, interactive: false}).addTo(group);
      }
      if (it.star) {
        var r = it.style.radius * 1.5;
        layer = L.marker(ll, {icon: L.divIcon({className: 'rl-star', html: it.star, iconSize: [2 * r, 2 * r],
          iconAnchor: [r, r]})});
      } else {
        layer = L.circleMarker(ll, it.style);
      }
    } else {
      layer = L.geoJSON(it.geometry, {style: function (s) { return function () { return s; }; }(it.style),
        interactive: it.interactive !== false});
    }
    if (it.info) {
      (function (info) {
        layer.bindPopup(function () { return redline.popupNode(info.title, info.props, info.fields); });
        layer.bindTooltip(function () { return document.createTextNode(info.title); }, {sticky: true});
      })(it.info);
    }
    layer.addTo(group);
  }
};
// a layer too large for vectors: one image, not interactive (a click asks nothing of any server)
redline.pendingImages = 0;
redline.addImage = function (id, group, url, bounds, title) {
  var img = L.imageOverlay(url, bounds, {interactive: false, className: 'rl-image', alt: title});
  redline.pendingImages += 1;
  img.once('load error', function () {
    redline.pendingImages -= 1;
    if (!redline.pendingImages && redline.whenImages) { var f = redline.whenImages; redline.whenImages = null; f(); }
  });
  img.addTo(group);
  redline.layers[id] = img;
};
// the first full draw: every layer added, every image decoded, and two frames painted
redline.markDrawn = function () {
  var mark = function () {
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      window.__redlineDrawn = performance.now();
      document.documentElement.setAttribute('data-redline-drawn', String(Math.round(window.__redlineDrawn)));
    }); });
  };
  if (redline.pendingImages) { redline.whenImages = mark; } else { mark(); }
};
"""

_ids = itertools.count(1)


def script_json(text: str) -> str:
    """JSON text made safe inside a ``<script>`` element (``<``, ``>``, ``&`` as ``\\u`` escapes; they
    only occur inside strings, where the escapes mean the same characters)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def esc(text) -> str:
    """HTML-escaped text (quotes too), without control and bidirectional-override characters.

    >>> esc('<b>"甲"</b>' + chr(0x202E))
    '&lt;b&gt;&quot;甲&quot;&lt;/b&gt;'
    """
    from redline.spatial.check_tables import printable

    return html.escape(printable("" if text is None else str(text)), quote=True)


def hatch_pattern(pid: str, color: str, opacity: float, hatch: str, fill_color: str, fill_opacity: float) -> str:
    """An SVG ``<pattern>`` for a hatched fill: translucent background and diagonal lines."""
    angle = -45 if "\\" in hatch else 45
    so = max(opacity, 0.6)
    lines = f'<line x1="0" y1="0" x2="0" y2="8" stroke="{esc(color)}" stroke-width="2" stroke-opacity="{so:.2f}"/>'
    if "x" in hatch:
        lines += (f'<line x1="0" y1="4" x2="8" y2="4" stroke="{esc(color)}" stroke-width="1.5" '
                  f'stroke-opacity="{so:.2f}"/>')
    return (f'<pattern id="{esc(pid)}" patternUnits="userSpaceOnUse" width="8" height="8" '
            f'patternTransform="rotate({angle})"><rect width="8" height="8" fill="{esc(fill_color)}" '
            f'fill-opacity="{fill_opacity:.2f}"/>{lines}</pattern>')


def swatch_svg(shape: str, *, color: str = "#555", weight: float = 1.0, opacity: float = 1.0,
               dash: tuple = (), fill: bool = True, fill_color: str = "#ccc", fill_opacity: float = 0.5,
               hatch: str = "", radius: float = 5.0, kind: str = "", label: str = "") -> str:
    """A 32x18 legend swatch as inline SVG: ``area``, ``line``, ``point``; structure kinds ``axis``,
    ``core``, ``node``, ``band`` (a wide translucent stroke)."""
    w, h = 32, 18
    dash_attr = ' stroke-dasharray="{}"'.format(" ".join(f"{d:g}" for d in dash)) if dash else ""
    body = ""
    defs = ""
    if shape == "area":
        fill_attr = f'fill="{esc(fill_color)}" fill-opacity="{fill_opacity if fill else 0:.2f}"'
        if hatch:
            pid = f"rl-sw-{next(_ids)}"
            defs = "<defs>" + hatch_pattern(pid, color, opacity, hatch, fill_color, fill_opacity) + "</defs>"
            fill_attr = f'fill="url(#{pid})"'
        sw = min(max(weight, 0.8), 3.0)
        body = (f'<rect x="2" y="2" width="{w - 4}" height="{h - 4}" {fill_attr} stroke="{esc(color)}" '
                f'stroke-width="{sw:g}" stroke-opacity="{opacity:.2f}"{dash_attr}/>')
    elif shape == "band":
        body = (f'<line x1="3" y1="{h / 2}" x2="{w - 3}" y2="{h / 2}" stroke="{esc(color)}" '
                f'stroke-width="{min(weight, 12):g}" stroke-opacity="{opacity:.2f}" stroke-linecap="round"/>')
    elif shape in ("line", "axis"):
        end = w - 9 if shape == "axis" else w - 2
        body = (f'<line x1="2" y1="{h / 2}" x2="{end}" y2="{h / 2}" stroke="{esc(color)}" '
                f'stroke-width="{min(weight, 6):g}" stroke-opacity="{opacity:.2f}"{dash_attr}/>')
        if shape == "axis":
            body += f'<polygon points="{w - 10},3 {w - 1},{h / 2} {w - 10},{h - 3}" fill="{esc(color)}"/>'
    elif shape in ("point", "node"):
        r = min(radius, 6)
        body = (f'<circle cx="{w / 2}" cy="{h / 2}" r="{r:g}" fill="{esc(fill_color)}" '
                f'fill-opacity="{fill_opacity:.2f}" stroke="{esc(color)}" stroke-width="{min(weight, 2):g}"/>')
    elif shape == "core":
        body = (f'<circle cx="{w / 2}" cy="{h / 2}" r="8" fill="{esc(fill_color)}" fill-opacity="0.15" '
                f'stroke="{esc(color)}" stroke-opacity="0.6" stroke-width="1.5"/>'
                f'<circle cx="{w / 2}" cy="{h / 2}" r="5" fill="{esc(fill_color)}" '
                f'fill-opacity="{fill_opacity:.2f}" stroke="{esc(color)}" stroke-width="1.5"/>')
    return (f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{esc(label)}">'
            f"{defs}{body}</svg>")


def star_svg(radius: float, color: str, fill_color: str) -> str:
    """A five-pointed star (inline SVG) of outer radius ``radius`` pixels (x1.5 for its box)."""
    r = radius * 1.5
    pts = []
    for i in range(10):
        rr = r if i % 2 == 0 else r * 0.45
        a = math.pi / 2 + i * math.pi / 5
        pts.append(f"{r + rr * math.cos(a):.1f},{r - rr * math.sin(a):.1f}")
    return (f'<svg width="{2 * r:.0f}" height="{2 * r:.0f}"><polygon points="{" ".join(pts)}" '
            f'fill="{esc(fill_color)}" stroke="{esc(color)}" stroke-width="1.5"/></svg>')


NORTH_ARROW = (
    '<svg width="34" height="46" viewBox="0 0 34 46" role="img" aria-label="指北针">'
    '<polygon points="17,2 27,36 17,29 7,36" fill="#fff" stroke="#111" stroke-width="1.3"/>'
    '<polygon points="17,2 17,29 7,36" fill="#111"/>'
    '<text x="17" y="45" text-anchor="middle" font-size="11" font-weight="bold" '
    "font-family='" + FONT_STACK.replace('"', "") + "'>北</text></svg>"
)
