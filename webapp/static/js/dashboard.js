/* Dashboard grid: places widgets (x, y, w, h on 12 columns), fetches each widget's
   server-built plotly figure, applies dashboard filters, exports PNG (plotly's toImage)
   and CSV, and in "Arrange" mode moves/resizes widgets, saving with the version. */
(function () {
  "use strict";
  const { el, postJSON } = window.DRA;
  const cfg = JSON.parse(document.getElementById("dashboard-data").textContent);
  const grid = document.getElementById("dashboard-grid");
  const message = document.getElementById("dashboard-message");
  if (!grid) return;
  let version = cfg.version;
  let arranging = false;
  let filters = cfg.filters || {};

  function say(text, kind) {
    message.replaceChildren();
    if (text) message.append(el("div", { class: `flash flash-${kind || "error"}`, role: "alert", text }));
  }
  function filterQuery() {
    const f = JSON.stringify(filters);
    return f && f !== "{}" ? `?filters=${encodeURIComponent(f)}` : "";
  }
  function place(node, w) {
    node.style.gridColumn = `${w.x + 1} / span ${w.w}`;
    node.style.gridRow = `${w.y + 1} / span ${w.h}`;
  }
  function tool(text, title, onclick) { return el("button", { type: "button", title, "aria-label": title, text, onclick }); }

  async function saveLayout() {
    const r = await postJSON(cfg.layout_url, { version, widgets: cfg.widgets.map(({ id, x, y, w, h }) => ({ id, x, y, w, h })) });
    if (!r.ok) { say(r.data.error || "The layout could not be saved."); return false; }
    version = r.data.version;
    const v = document.querySelector('#delete-widget-form input[name="version"]');
    if (v) v.value = version;
    say("");
    return true;
  }
  function nudge(w, dx, dy, dw, dh) {
    const next = { x: w.x + dx, y: w.y + dy, w: w.w + dw, h: w.h + dh };
    if (next.x < 0 || next.y < 0 || next.w < 1 || next.h < 1 || next.x + next.w > 12 || next.h > 12) return;
    const before = { x: w.x, y: w.y, w: w.w, h: w.h };
    Object.assign(w, next);
    place(document.querySelector(`[data-widget="${w.id}"]`), w);
    saveLayout().then((ok) => { if (!ok) { Object.assign(w, before); place(document.querySelector(`[data-widget="${w.id}"]`), w); } });
  }

  function render(w, card, chart, foot) {
    chart.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
    fetch(w.data_url + filterQuery(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        chart.replaceChildren();
        if (data.error) {
          chart.append(el("p", { class: "flash flash-error widget-error", text: data.error }));
        } else {
          window.DRA.plot(chart, data.figure);
          card.dataset.rendered = "1";
        }
        foot.textContent = data.materializedAt ? `${data.model} · built ${data.materializedAt.replace("T", " ").slice(0, 16)} UTC` : (data.model || "");
      })
      .catch(() => { chart.replaceChildren(el("p", { class: "flash flash-error", text: "The widget could not be loaded." })); });
  }

  function widgetCard(w) {
    const chart = el("div", { class: "chart" });
    const foot = el("div", { class: "widget-foot muted" });
    const tools = el("div", { class: "widget-tools" }, [
      tool("PNG", "Download as PNG", () => window.Plotly.downloadImage(chart, { format: "png", filename: w.title || "widget", width: 1000, height: 600 })),
      el("a", { class: "button", href: w.csv_url + filterQuery(), title: "Download the data as CSV", text: "CSV" }),
    ]);
    if (cfg.can_edit) {
      tools.append(el("a", { class: "button", href: `${cfg.edit_base}/widgets/${w.id}/edit`, text: "Edit" }));
      const arrange = el("span", { class: "arrange", hidden: !arranging }, [
        tool("←", "Move left", () => nudge(w, -1, 0, 0, 0)), tool("→", "Move right", () => nudge(w, 1, 0, 0, 0)),
        tool("↑", "Move up", () => nudge(w, 0, -1, 0, 0)), tool("↓", "Move down", () => nudge(w, 0, 1, 0, 0)),
        tool("⇤", "Narrower", () => nudge(w, 0, 0, -1, 0)), tool("⇥", "Wider", () => nudge(w, 0, 0, 1, 0)),
        tool("⤒", "Shorter", () => nudge(w, 0, 0, 0, -1)), tool("⤓", "Taller", () => nudge(w, 0, 0, 0, 1)),
        tool("✕", "Remove widget", () => {
          if (!window.confirm(`Remove “${w.title}”?`)) return;
          const form = document.getElementById("delete-widget-form");
          form.action = `${cfg.edit_base}/widgets/${w.id}/delete`;
          form.submit();
        }),
      ]);
      tools.append(arrange);
    }
    const card = el("article", { class: "widget", "data-widget": w.id, "data-chart": w.chart_type }, [
      el("header", {}, [el("h3", { text: w.title }), tools]), chart, foot]);
    place(card, w);
    grid.append(card);
    render(w, card, chart, foot);
    return card;
  }

  cfg.widgets.forEach(widgetCard);

  const arrangeButton = document.getElementById("edit-layout");
  if (arrangeButton) arrangeButton.addEventListener("click", () => {
    arranging = !arranging;
    arrangeButton.classList.toggle("primary", arranging);
    arrangeButton.textContent = arranging ? "Done arranging" : "Arrange";
    document.querySelectorAll(".arrange").forEach((n) => { n.hidden = !arranging; });
  });

  const form = document.getElementById("filters");
  if (form) form.addEventListener("submit", (e) => {
    e.preventDefault();
    const data = new FormData(form);
    filters = JSON.parse(JSON.stringify(cfg.filters || {}));
    if (filters.date) { filters.date.from = data.get("from") || null; filters.date.to = data.get("to") || null; }
    if (filters.values) { filters.values.values = String(data.get("values") || "").split(",").map((s) => s.trim()).filter(Boolean); }
    grid.replaceChildren();
    cfg.widgets.forEach(widgetCard);
  });
})();
