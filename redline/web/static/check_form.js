/* 选址分析: upload site files or draw a site, submit to POST /api/checks, go to the result page. */
"use strict";
(function () {
  const R = window.redline;
  const form = document.getElementById("check-form");
  const errorBox = document.getElementById("form-error");
  const status = document.getElementById("form-status");
  const mapDiv = document.getElementById("draw-map");
  const map = L.map(mapDiv, {preferCanvas: false}).setView([37.8, 112.5], 9);
  const drawn = new L.FeatureGroup().addTo(map);
  map.addControl(new L.Control.Draw({
    draw: {polygon: {allowIntersection: false, showArea: false}, polyline: {}, rectangle: {}, circle: false,
           marker: false, circlemarker: false},
    edit: {featureGroup: drawn},
  }));
  map.on(L.Draw.Event.CREATED, function (e) { drawn.clearLayers(); drawn.addLayer(e.layer); });
  async function context() {
    for (const [id, style] of [[mapDiv.dataset.townships, {color: "#888", weight: 1, fill: false}],
                               [mapDiv.dataset.boundary, {color: "#333", weight: 2, fill: false}]]) {
      if (!id) continue;
      try {
        const fc = await R.json("/api/layers/" + encodeURIComponent(id) + "/geojson");
        const layer = L.geoJSON(fc, {style: style, interactive: false}).addTo(map);
        if (id === mapDiv.dataset.boundary && layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
      } catch (e) { /* the map still works without its context */ }
    }
    window.__redlineDrawReady = true;
  }
  context();
  function fail(msg) { errorBox.textContent = msg; errorBox.hidden = false; status.textContent = ""; }
  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    const files = document.getElementById("sites").files;
    const type = document.getElementById("type").value;
    const name = document.getElementById("name").value;
    let options;
    if (files.length) {
      options = {method: "POST", body: new FormData(form)};
    } else if (drawn.getLayers().length) {
      const geometry = drawn.getLayers()[0].toGeoJSON().geometry;
      options = {method: "POST", headers: {"Content-Type": "application/json"},
                 body: JSON.stringify({geometry: geometry, type: type || null, name: name || null})};
    } else {
      fail("请选择选址文件，或在地图上绘制一个面或一条线。");
      return;
    }
    document.getElementById("submit").disabled = true;
    status.textContent = "正在上传…";
    try {
      const job = await R.json("/api/checks", options);
      window.location.href = "/check/" + encodeURIComponent(job.id);
    } catch (e) {
      fail(e.message);
    } finally {
      document.getElementById("submit").disabled = false;
    }
  });
  R.json("/api/checks").then(function (list) {
    if (!list.checks.length) return;
    const ul = document.getElementById("recent-list");
    for (const j of list.checks.slice(0, 20)) {
      const li = document.createElement("li");
      const a = R.el("a", (j.name || j.inputs.join("、") || j.id) + "（" + j.status + "）");
      a.href = "/check/" + encodeURIComponent(j.id);
      li.appendChild(a);
      li.appendChild(R.el("span", " " + (j.created || ""), "sub"));
      ul.appendChild(li);
    }
    document.getElementById("recent").hidden = false;
  }).catch(function () {});
})();
