/* A check's page: poll its progress until done, then draw the sites and the overlapped features. */
"use strict";
(function () {
  const R = window.redline;
  const job = document.getElementById("job");
  const id = job.dataset.id;
  const labels = {queued: "排队中", running: "检查中", done: "已完成", failed: "未能完成"};
  async function poll() {
    try {
      const j = await R.json("/api/checks/" + encodeURIComponent(id));
      if (j.status === "done" || j.status === "failed") { window.location.reload(); return; }
      document.getElementById("job-status").textContent = labels[j.status] || j.status;
      const p = j.progress;
      if (p) {
        const text = p.stage === "report" ? "正在生成报告" :
          ((p.what || "检查中") + (p.total ? "（第 " + p.done + " / " + p.total + " 步）" : ""));
        document.getElementById("job-progress").textContent = text;
        if (p.total) document.getElementById("job-bar").value = p.done / p.total;
      }
    } catch (e) {
      document.getElementById("job-progress").textContent = e.message;
    }
    setTimeout(poll, 1000);
  }
  if (job.dataset.status === "queued" || job.dataset.status === "running") setTimeout(poll, 500);

  const mapDiv = document.getElementById("result-map");
  if (!mapDiv) return;
  const map = L.map(mapDiv).setView([37.8, 112.5], 9);
  if (mapDiv.dataset.boundary) {
    R.json("/api/layers/" + encodeURIComponent(mapDiv.dataset.boundary) + "/geojson").then(function (fc) {
      L.geoJSON(fc, {style: {color: "#555", weight: 1.5, dashArray: "6 4", fill: false}, interactive: false})
        .addTo(map).bringToBack();
    }).catch(function () {});
  }
  R.json("/api/checks/" + encodeURIComponent(id) + "/map").then(function (data) {
    const colorOf = {};
    let next = 0;
    const legend = [];
    const hits = L.geoJSON(data.hits, {
      style: function (f) {
        const key = f.properties.label || f.properties.layer;
        if (!(key in colorOf)) { colorOf[key] = R.colors[next++ % R.colors.length]; legend.push(key); }
        return {color: colorOf[key], weight: 2, fillOpacity: 0.35};
      },
      onEachFeature: function (f, layer) {
        const p = f.properties;
        layer.bindPopup(R.popup([p.label, p.feature_name, p.zone ? "分区：" + p.zone : null,
                                 "压覆地块：" + p.sites.join("、")]));
      },
    }).addTo(map);
    const sites = L.geoJSON(data.sites, {
      style: function () { return {color: "#d50000", weight: 3, fillOpacity: 0.08, dashArray: null}; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, {radius: 7, color: "#d50000", weight: 3}); },
      onEachFeature: function (f, layer) {
        const p = f.properties;
        layer.bindPopup(R.popup([p.site_id + " " + (p.name || ""), "结论：" + p.verdict]));
      },
    }).addTo(map);
    const control = L.control({position: "bottomright"});
    control.onAdd = function () {
      const box = R.el("div", null, "legend");
      const row = R.el("div");
      const sw = R.el("span", null, "swatch"); sw.style.border = "2px solid #d50000"; row.appendChild(sw);
      row.appendChild(document.createTextNode("项目用地")); box.appendChild(row);
      for (const k of legend) {
        const r = R.el("div"); const s = R.el("span", null, "swatch"); s.style.background = colorOf[k];
        r.appendChild(s); r.appendChild(document.createTextNode(k)); box.appendChild(r);
      }
      return box;
    };
    control.addTo(map);
    const b = sites.getBounds();
    if (hits.getLayers().length) b.extend(hits.getBounds());
    if (b.isValid()) map.fitBounds(b, {padding: [20, 20], maxZoom: 16});
    window.__redlineMapReady = {sites: data.sites.features.length, hits: data.hits.features.length};
  }).catch(function (e) {
    mapDiv.textContent = "地图数据无法读取：" + e.message;
    window.__redlineMapReady = {error: e.message};
  });
})();
