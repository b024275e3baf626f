/* Small helpers shared by the model builder and the dashboard grid (no framework). */
(function () {
  "use strict";
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === undefined || v === null || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "value") node.value = v;
      else node.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach((c) => node.append(c));
    return node;
  }
  function select(options, value, onchange, attrs) {
    const s = el("select", Object.assign({ onchange: (e) => onchange(e.target.value) }, attrs || {}));
    options.forEach((o) => {
      const [v, label] = Array.isArray(o) ? o : [o, o];
      const opt = el("option", { value: v, text: label });
      if (String(v) === String(value)) opt.selected = true;
      s.append(opt);
    });
    return s;
  }
  function csrf() {
    const m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.content : "";
  }
  async function postJSON(url, body) {
    const resp = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await resp.json(); } catch (e) { data = { error: "Unexpected answer from the server." }; }
    return { ok: resp.ok, status: resp.status, data };
  }
  function resultTable(target, data) {
    target.replaceChildren();
    if (data.message) target.append(el("div", { class: "flash flash-warning", role: "status", text: data.message }));
    if (!data.rows || !data.rows.length) { target.append(el("p", { class: "muted", text: "No data." })); return; }
    const head = el("tr", {}, data.columns.map((c) => el("th", { title: c.type, text: c.name })));
    const body = data.rows.map((r) => el("tr", {}, r.map((v) => el("td", { text: v === null ? "" : String(v) }))));
    target.append(el("div", { class: "table-scroll" }, [el("table", { class: "table result" },
      [el("thead", {}, [head]), el("tbody", {}, body)])]));
    target.append(el("p", { class: "muted", text: `${data.rowCount} rows · ${Math.round(data.elapsedMs)} ms` }));
  }
  window.DRA = { el, select, postJSON, resultTable, csrf };
})();
