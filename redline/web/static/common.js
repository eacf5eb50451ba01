/* redline serve: helpers shared by the pages. Data is always put into the page as text, never as markup. */
"use strict";
window.redline = {
  el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  },
  async json(url, options) {
    const r = await fetch(url, Object.assign({credentials: "same-origin"}, options || {}));
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) {
      const msg = body && body.error ? body.error : ("请求失败（HTTP " + r.status + "）");
      const err = new Error(msg);
      err.status = r.status;
      throw err;
    }
    return body;
  },
  colors: ["#2e7d32", "#1565c0", "#8e24aa", "#ef6c00", "#00838f", "#6d4c41", "#c2185b", "#558b2f", "#283593", "#f9a825"],
  popup(lines) {
    const box = document.createElement("div");
    for (const t of lines) if (t) box.appendChild(window.redline.el("div", t));
    return box;
  },
};
