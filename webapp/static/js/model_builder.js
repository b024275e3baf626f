/* Data-model builder: edits query_json (tables, joins, columns, filters, calculated
   fields, order, limit) or hand SQL, previews it and saves it. The server compiles and
   checks everything; this page only edits the structure. Each join offers the join
   suggestions of its two tables (the best one fills an empty join). Opened with an AI
   draft (cfg.ai), it loads the draft and sends the edit back to the AI session. */
(function () {
  "use strict";
  const { el, select, postJSON, resultTable } = window.DRA;
  const root = document.getElementById("builder");
  if (!root) return;
  const cfg = JSON.parse(document.getElementById("builder-data").textContent);
  const AGG = [["", "—"], ["sum", "sum"], ["avg", "avg"], ["min", "min"], ["max", "max"], ["count", "count"], ["count_distinct", "count distinct"]];
  const OPS = ["=", "!=", "<", "<=", ">", ">=", "in", "not_in", "contains", "starts_with", "is_null", "is_not_null", "between"];
  const JOINS = ["INNER", "LEFT", "RIGHT", "FULL"];
  let catalog = {};
  let mode = cfg.mode;
  const q = Object.assign({ tables: [], columns: [], joins: [], filters: [], calculated: [], order_by: [], limit: null },
    cfg.query_json && cfg.query_json.mode !== "sql" ? cfg.query_json : {});
  const sqlBox = document.getElementById("sql");
  const message = document.getElementById("builder-message");
  const preview = document.getElementById("preview");
  const ai = cfg.ai;
  const suggestions = {};

  function family(t) {
    t = (t || "").toLowerCase();
    if (/int|numeric|real|double/.test(t)) return "number";
    if (/char|text/.test(t)) return "text";
    if (/date|time/.test(t)) return "time";
    return t;
  }
  function colType(table, column) { return ((catalog[table] || {}).types || {})[column]; }
  function say(text, kind) {
    message.replaceChildren();
    if (text) message.append(el("div", { class: `flash flash-${kind || "error"}`, role: "alert", text }));
  }
  function section(title, children, addButton) {
    return el("section", { class: "card stack" }, [el("div", { class: "page-header" }, [el("h2", { text: title }), addButton || ""]), ...children]);
  }
  function button(text, onclick, cls) { return el("button", { type: "button", class: cls || "", text, onclick }); }
  function allColumns() {
    const out = [];
    q.tables.forEach((t) => (catalog[t] ? catalog[t].columns : []).forEach((c) => out.push([`${t}.${c}`, `${t}.${c}`])));
    return out;
  }
  function outputNames() {
    const names = q.columns.map((c) => c.alias || (c.aggregate ? `${c.aggregate}_${c.column}` : c.column));
    return names.concat(q.calculated.map((c) => c.alias)).filter(Boolean);
  }

  function addTable(name) {
    if (!name || q.tables.includes(name)) return;
    q.tables.push(name);
    if (q.tables.length > 1) {
      q.joins.push({ left_table: q.tables[0], right_table: name, type: "INNER", conditions: [{ left_column: "", right_column: "" }] });
    }
    render();
  }
  function removeTable(name) {
    q.tables = q.tables.filter((t) => t !== name);
    q.joins = q.joins.filter((j) => j.left_table !== name && j.right_table !== name);
    q.columns = q.columns.filter((c) => c.table !== name);
    q.filters = q.filters.filter((f) => f.table !== name);
    render();
  }

  function tablesSection() {
    const choices = [["", "Add a table…"]].concat(Object.values(catalog).filter((t) => !q.tables.includes(t.name))
      .map((t) => [t.name, `${t.label} (${t.kind === "raw" ? "source" : "model"} table ${t.name})`]));
    const list = q.tables.map((t) => el("li", {}, [el("strong", { text: t }), " ",
      el("span", { class: "muted", text: catalog[t] ? catalog[t].label : "missing" }), " ", button("Remove", () => removeTable(t), "link")]));
    return section("Tables", [el("ul", { class: "plain" }, list), select(choices, "", addTable, { "aria-label": "Add a table", id: "add-table" })]);
  }

  function pairKey(a, b) { return [a, b].sort().join("|"); }
  function hasCondition(j) { return j.conditions.some((c) => c.left_column || c.right_column); }
  function oriented(j, s) {
    const pairs = s.conditions && s.conditions.length ? s.conditions : [{ left_column: s.left_column, right_column: s.right_column }];
    return s.left_table === j.left_table
      ? pairs.map((c) => ({ left_column: c.left_column, right_column: c.right_column }))
      : pairs.map((c) => ({ left_column: c.right_column, right_column: c.left_column }));
  }
  function loadSuggestions(j) {
    if (!cfg.joins_url || !j.left_table || !j.right_table) return;
    const key = pairKey(j.left_table, j.right_table);
    if (suggestions[key]) return;
    suggestions[key] = "loading";
    const url = `${cfg.joins_url}?tables=${encodeURIComponent(`${j.left_table},${j.right_table}`)}`;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : { suggestions: [] }))
      .catch(() => ({ suggestions: [] }))
      .then((data) => {
        suggestions[key] = data.suggestions || [];
        q.joins.forEach((other) => {
          if (pairKey(other.left_table, other.right_table) === key && !hasCondition(other) && suggestions[key].length) {
            other.conditions = oriented(other, suggestions[key][0]);
          }
        });
        render();
      });
  }
  function suggestionHint(j) {
    loadSuggestions(j);
    const found = suggestions[pairKey(j.left_table, j.right_table)];
    if (!found) return "";
    if (found === "loading") return el("p", { class: "muted join-hint", text: "Looking for join candidates…" });
    if (!found.length) return el("p", { class: "muted join-hint", text: "No join candidates detected in schema." });
    return el("div", { class: "actions join-hint" }, [el("span", { class: "muted", text: "Suggested:" }),
      ...found.slice(0, 3).map((s) => {
        const pairs = oriented(j, s).map((c) => `${j.left_table}.${c.left_column} = ${j.right_table}.${c.right_column}`).join(" and ");
        return button(`${pairs} (${Math.round(s.confidence * 100)}%)`, () => { j.conditions = oriented(j, s); render(); }, "link");
      })]);
  }

  function joinsSection() {
    const rows = q.joins.map((j, i) => {
      const left = catalog[j.left_table] || { columns: [] };
      const right = catalog[j.right_table] || { columns: [] };
      const cond = j.conditions[0] || { left_column: "", right_column: "" };
      j.conditions[0] = cond;
      const lt = colType(j.left_table, cond.left_column), rt = colType(j.right_table, cond.right_column);
      const warn = lt && rt && family(lt) !== family(rt)
        ? el("span", { class: "badge error", text: `types differ: ${lt} vs ${rt}` }) : "";
      return el("div", { class: "actions join-row", "data-join": i }, [
        select(q.tables.filter((t) => t !== j.right_table), j.left_table, (v) => { j.left_table = v; cond.left_column = ""; j.conditions.length = 1; render(); }, { "aria-label": "Left table" }),
        select(JOINS, j.type, (v) => { j.type = v; render(); }, { "aria-label": "Join type" }),
        el("span", { text: `JOIN ${j.right_table} ON` }),
        select([["", "left column"]].concat(left.columns), cond.left_column, (v) => { cond.left_column = v; render(); }, { "aria-label": "Left column" }),
        el("span", { text: "=" }),
        select([["", "right column"]].concat(right.columns), cond.right_column, (v) => { cond.right_column = v; render(); }, { "aria-label": "Right column" }),
        ...j.conditions.slice(1).map((c) => el("span", { text: `and ${c.left_column} = ${c.right_column}` })),
        warn,
      ]);
    }).flatMap((rowNode, i) => [rowNode, suggestionHint(q.joins[i])]);
    return section("Joins", rows.length ? rows : [el("p", { class: "muted", text: "Add a second table to join it (tables of different sources join like any other)." })]);
  }

  function columnsSection() {
    const blocks = q.tables.map((t) => el("fieldset", {}, [el("legend", { text: t }),
      ...(catalog[t] ? catalog[t].columns : []).map((c) => {
        const picked = q.columns.find((x) => x.table === t && x.column === c);
        const box = el("input", { type: "checkbox", checked: !!picked, "data-column": `${t}.${c}`, onchange: (e) => {
          if (e.target.checked) q.columns.push({ table: t, column: c }); else q.columns = q.columns.filter((x) => x !== picked);
          render();
        } });
        const extra = picked ? [select(AGG, picked.aggregate || "", (v) => { picked.aggregate = v || undefined; render(); }, { "aria-label": `Aggregate ${t}.${c}` }),
          el("input", { type: "text", placeholder: "alias", value: picked.alias || "", size: 12, "aria-label": `Alias ${t}.${c}`, onchange: (e) => { picked.alias = e.target.value || undefined; render(); } })] : [];
        return el("div", { class: "actions" }, [el("label", { class: "inline-check" }, [box, ` ${c} `, el("span", { class: "muted", text: colType(t, c) })]), ...extra]);
      })]));
    return section("Columns", blocks.length ? blocks : [el("p", { class: "muted", text: "Pick a table first." })]);
  }

  function filtersSection() {
    const rows = q.filters.map((f, i) => el("div", { class: "actions" }, [
      select([["", "column"]].concat(allColumns()), f.table ? `${f.table}.${f.column}` : "", (v) => { [f.table, f.column] = v.split("."); render(); }, { "aria-label": "Filter column" }),
      select(OPS, f.operator, (v) => { f.operator = v; render(); }, { "aria-label": "Operator" }),
      ["is_null", "is_not_null"].includes(f.operator) ? "" : el("input", { type: "text", value: Array.isArray(f.value) ? f.value.join(", ") : (f.value ?? ""),
        "aria-label": "Filter value", placeholder: ["in", "not_in", "between"].includes(f.operator) ? "a, b, c" : "value",
        onchange: (e) => { const v = e.target.value; f.value = ["in", "not_in", "between"].includes(f.operator) ? v.split(",").map((s) => s.trim()) : v; } }),
      button("Remove", () => { q.filters.splice(i, 1); render(); }, "link"),
    ]));
    return section("Filters", rows, button("Add filter", () => { q.filters.push({ table: "", column: "", operator: "=", value: "" }); render(); }));
  }

  function calculatedSection() {
    const rows = q.calculated.map((c, i) => el("div", { class: "actions" }, [
      el("input", { type: "text", value: c.alias || "", placeholder: "name", size: 14, "aria-label": "Calculated field name", onchange: (e) => { c.alias = e.target.value; render(); } }),
      el("input", { type: "text", value: c.expression || "", placeholder: "sum(orders.amount) / count(orders.id)", size: 48, "aria-label": "Expression", onchange: (e) => { c.expression = e.target.value; } }),
      button("Remove", () => { q.calculated.splice(i, 1); render(); }, "link"),
    ]));
    rows.push(el("p", { class: "muted", text: "Expressions: table.column, numbers, 'text', + - * / %, and abs round ceil floor sqrt coalesce nullif greatest least lower upper length trim concat date_trunc sum avg min max count." }));
    return section("Calculated fields", rows, button("Add calculated field", () => { q.calculated.push({ alias: "", expression: "" }); render(); }));
  }

  function orderSection() {
    const rows = q.order_by.map((o, i) => el("div", { class: "actions" }, [
      select([["", "field"]].concat(outputNames()), o.field, (v) => { o.field = v; }, { "aria-label": "Order by" }),
      select(["asc", "desc"], o.direction || "asc", (v) => { o.direction = v; }, { "aria-label": "Direction" }),
      button("Remove", () => { q.order_by.splice(i, 1); render(); }, "link"),
    ]));
    rows.push(el("label", {}, ["Limit ", el("input", { type: "number", min: 1, value: q.limit ?? "", "aria-label": "Limit",
      onchange: (e) => { q.limit = e.target.value ? parseInt(e.target.value, 10) : null; } })]));
    return section("Order and limit", rows, button("Add sort", () => { q.order_by.push({ field: "", direction: "asc" }); render(); }));
  }

  function render() {
    document.getElementById("builder-panel").hidden = mode !== "builder";
    document.getElementById("sql-panel").hidden = mode !== "sql";
    document.querySelectorAll("[data-mode]").forEach((b) => b.classList.toggle("primary", b.dataset.mode === mode));
    if (mode !== "builder") return;
    root.replaceChildren(tablesSection(), joinsSection(), columnsSection(), filtersSection(), calculatedSection(), orderSection());
  }

  function definition() {
    if (mode === "sql") return { sql: sqlBox.value };
    const clean = JSON.parse(JSON.stringify(q));
    if (!clean.limit) delete clean.limit;
    return { query_json: clean };
  }
  function showError(data) {
    say((data.field ? `${data.field}: ` : "") + (data.detail || data.error || data.message || "Something went wrong."));
  }
  document.getElementById("preview-button").addEventListener("click", async () => {
    say("Running…", "warning");
    const r = await postJSON(cfg.preview_url, definition());
    if (!r.ok) { showError(r.data); return; }
    say("");
    resultTable(preview, r.data);
  });
  document.getElementById("save-button").addEventListener("click", async () => {
    say("Checking the query by running it…", "warning");
    const name = document.getElementById("model-name").value;
    const description = document.getElementById("model-description").value;
    if (ai) {  // back to the AI session: the edited draft (checked there, run when saved)
      const def = definition();
      const r = await postJSON(ai.draft_url, Object.assign({ dataSources: ai.data_sources, model: { name, description } },
        def.sql !== undefined ? { sql: def.sql } : { queryJson: def.query_json }));
      if (!r.ok) { showError(r.data); return; }
      window.location.assign(ai.back_url);
      return;
    }
    const body = Object.assign({ name, description }, definition());
    const r = await postJSON(cfg.save_url, body);
    if (!r.ok) { showError(r.data); return; }
    window.location.assign(r.data.url);
  });
  document.querySelectorAll("[data-mode]").forEach((b) => b.addEventListener("click", () => { mode = b.dataset.mode; render(); }));

  fetch(cfg.catalog_url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((r) => r.json()).then((data) => {
      data.tables.forEach((t) => { catalog[t.name] = { name: t.name, label: t.label, kind: t.kind, columns: t.columns.map((c) => c.name),
        types: Object.fromEntries(t.columns.map((c) => [c.name, c.type])) }; });
      if (ai) loadAIDraft(); else render();
    });

  function loadAIDraft() {
    document.getElementById("ai-draft-note").hidden = false;
    document.getElementById("save-button").textContent = "Use as the AI draft";
    fetch(ai.state_url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => r.json().then((data) => ({ ok: r.ok, data })))
      .then(({ ok, data }) => {
        if (!ok) { showError(data); render(); return; }
        const draft = data.draft || {};
        const model = draft.model || {};
        document.getElementById("model-name").value = model.name || "";
        document.getElementById("model-description").value = model.description || "";
        if (draft.queryJson) {
          Object.assign(q, { tables: [], columns: [], joins: [], filters: [], calculated: [], order_by: [], limit: null }, draft.queryJson);
          mode = "builder";
        } else {
          sqlBox.value = draft.sql || "";
          mode = "sql";
        }
        render();
      });
  }
})();
