/* Small helpers every page loads (base.html): the model builder's and the dashboard
   grid's, the one plotly config, and the data-confirm / data-select-on-click behaviours. */
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
  /* The one plotly config of every chart: no "share to Chart Studio" button (plotly.js
     shows it by default and uploads the figure to cloud.plotly.com), no plotly logo
     link, no cloud URL. A page may add options (displayModeBar...), never undo these. */
  const plotlyConfig = Object.freeze({
    displaylogo: false,
    showSendToCloud: false,
    plotlyServerURL: "",
    modeBarButtonsToRemove: ["sendChartToCloud"],
  });
  function plot(target, figure, options) {
    const config = Object.assign({ responsive: true }, options || {}, plotlyConfig);
    return window.Plotly.newPlot(target, figure.data, figure.layout, config);
  }
  /* Behaviour the templates ask for with data attributes (no inline handlers: CSP). */
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", (event) => {
    const target = event.target;
    if (target.matches && target.matches("input[data-select-on-click]")) target.select();
  });
  window.DRA = { el, select, postJSON, resultTable, csrf, plot, plotlyConfig };
})();
