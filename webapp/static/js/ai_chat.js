/* The AI modeler page: opens (or restores) the session of the chosen sources, sends
   messages, shows each answer (analysis, model, SQL, preview, what could not be
   resolved, correction rounds, what the assistant saw), edits and saves the draft, and
   lists join suggestions. Everything goes through the JSON API the page's data block
   names, with the CSRF header. The model's text and SQL are untrusted: they are only
   ever set with textContent (DRA.el's "text"), never as HTML. */
(function () {
  "use strict";
  const dataNode = document.getElementById("ai-data");
  if (!dataNode) return;
  const cfg = JSON.parse(dataNode.textContent);
  const { el, csrf, resultTable } = window.DRA;
  const urls = cfg.urls;
  const ids = cfg.selected || [];
  const $ = (id) => document.getElementById(id);
  let state = cfg.state;
  let busy = false;

  async function call(method, url, body) {
    const options = {
      method,
      headers: { Accept: "application/json", "X-CSRFToken": csrf() },
      credentials: "same-origin",
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(url, options);
    } catch (e) {
      return { ok: false, status: 0, data: { detail: "The server could not be reached. Check your connection and try again." } };
    }
    let data = {};
    try { data = await resp.json(); } catch (e) { data = { detail: "Unexpected answer from the server." }; }
    return { ok: resp.ok, status: resp.status, data };
  }
  function problemText(data) {
    return (data && (data.detail || data.message || data.error)) || "Something went wrong.";
  }
  function withQuery(url, params) {
    const u = new URL(url, window.location.origin);
    Object.entries(params).forEach(([k, v]) => u.searchParams.set(k, v));
    return u.pathname + u.search;
  }
  function say(id, text) {
    const node = $(id);
    if (node) node.textContent = text || "";
  }
  function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }

  // --- one answer ------------------------------------------------------------------------
  function list(items, render) {
    return el("ul", { class: "plain" }, items.map((x) => el("li", {}, [render(x)])));
  }
  function code(text) { return el("code", { text: String(text) }); }
  function badge(status) {
    if (status === "ok") return el("span", { class: "badge ok", text: "checked: the SQL ran" });
    if (status === "failed") return el("span", { class: "badge error", text: "failed: cannot be saved" });
    if (status === "edited") return el("span", { class: "badge warn", text: "edited: checked when saved" });
    return el("span", { class: "badge warn", text: "no query" });
  }
  function answerCard(a, seen) {
    const parts = [el("div", { class: "actions" }, [badge(a.status),
      el("span", { class: "muted", text: plural(a.rounds || 0, "correction round") })])];
    parts.push(el("h4", { text: "Analysis" }), el("p", { class: "ai-text ai-analysis", text: a.analysis || "" }));
    const m = a.model || {};
    const dl = el("dl", { class: "ai-model" });
    const row = (term, value) => {
      if (value === undefined || value === null || value === "") return;
      dl.append(el("dt", { text: term }), el("dd", {}, [value instanceof Node ? value : String(value)]));
    };
    row("Name", m.name);
    row("Description", m.description);
    if ((m.tables || []).length) row("Tables", m.tables.join(", "));
    if ((m.joins || []).length) {
      row("Joins", list(m.joins, (j) => `${j.type || "INNER"} ${j.left_table}.${j.left_column} = ${j.right_table}.${j.right_column}`));
    }
    if ((m.columns || []).length) row("Columns", list(m.columns, code));
    if ((m.filters || []).length) row("Filters", list(m.filters, code));
    if ((m.grouping || []).length) row("Grouping", m.grouping.join(", "));
    parts.push(el("h4", { text: "Model" }), dl);
    if (a.sql) parts.push(el("h4", { text: "SQL" }), el("pre", { class: "sql ai-sql", text: a.sql }));
    if (a.error) parts.push(el("div", { class: "flash flash-error", role: "alert", text: `The database said: ${a.error}` }));
    if ((a.unresolved || []).length) {
      parts.push(el("h4", { text: "Could not resolve" }), el("ul", {}, a.unresolved.map((u) => el("li", { text: String(u) }))));
    }
    if (a.preview && a.preview.rows && a.preview.rows.length) {
      const box = el("div", { class: "ai-preview" });
      resultTable(box, a.preview);
      parts.push(el("h4", { text: "Preview" }), box);
    }
    if (seen && seen.systemPrompt) {
      parts.push(el("details", { class: "ai-seen" }, [el("summary", { text: "What the assistant saw" }),
        el("pre", { class: "sql ai-pre", text: seen.systemPrompt })]));
    }
    return el("div", { class: "ai-answer stack" }, parts);
  }
  function messageItem(m) {
    if (m.role === "user") {
      return el("li", { class: "ai-message ai-user" }, [el("div", { class: "ai-who muted", text: "You" }),
        el("p", { class: "ai-text", text: m.content || "" })]);
    }
    return el("li", { class: "ai-message ai-assistant" }, [el("div", { class: "ai-who muted", text: "Assistant" }),
      m.answer ? answerCard(m.answer, m.seen) : el("p", { class: "ai-text", text: m.content || "" })]);
  }

  // --- the session ---------------------------------------------------------------------------
  function renderStatus() {
    const bits = [`${state.restored ? "Session restored" : "New session"}: ${plural(state.tables.length, "table")}`];
    if (state.expiresAt) bits.push(`kept until ${new Date(state.expiresAt).toLocaleString()}`);
    if ((state.leftOutTables || []).length) bits.push(`left out of the context for size: ${state.leftOutTables.join(", ")}`);
    if ((state.unavailableSources || []).length) {
      bits.push(`not available: ${state.unavailableSources.map((s) => s.name).join(", ")}`);
    }
    const node = $("ai-status");
    node.className = "muted";
    node.textContent = bits.join(" · ");
  }
  function renderMessages() {
    const items = [el("li", { class: "ai-message ai-greeting" }, [el("div", { class: "ai-who muted", text: "Assistant" }),
      el("p", { class: "ai-text", text: state.greeting || "" })])];
    (state.messages || []).forEach((m) => items.push(messageItem(m)));
    $("ai-messages").replaceChildren(...items);
  }
  function renderDraft() {
    const d = state.draft || {};
    const section = $("ai-draft");
    if (!d.sql && !d.queryJson) { section.hidden = true; return; }
    section.hidden = false;
    $("draft-status").replaceChildren(badge(d.status));
    const m = d.model || {};
    const summary = [];
    if (m.name) summary.push(el("strong", { text: m.name }));
    if (m.description) summary.push(" ", el("span", { class: "muted", text: m.description }));
    $("draft-summary").replaceChildren(...summary);
    $("draft-sql").value = d.sql || "";
    const builder = $("draft-builder");
    builder.hidden = !d.queryJson;
    builder.setAttribute("href", withQuery(urls.builder, { ai: ids.join(",") }));
    if (!$("save-title").value) $("save-title").value = m.name || "";
    if (!$("save-description").value) $("save-description").value = m.description || "";
    const failed = d.status === "failed";
    $("save-model").disabled = failed;
    say("save-error", failed ? `This proposal's SQL failed${d.error ? `: ${d.error}` : ""}. Ask for a correction or edit the SQL.` : "");
  }
  function renderAll() {
    renderStatus();
    renderMessages();
    renderDraft();
    say("ai-system-prompt", state.systemPrompt || "");
  }

  async function loadJoins() {
    const panel = $("ai-joins");
    if (!panel || !state || !state.tables.length) return;
    panel.hidden = false;
    const params = state.tables.length === 1 && ids.length === 1 ? { dataSource: ids[0] } : { tables: state.tables.join(",") };
    const r = await call("GET", withQuery(urls.joins, params));
    const target = $("joins-list");
    if (!r.ok) { target.replaceChildren(el("p", { class: "field-error", text: problemText(r.data) })); return; }
    if (!r.data.suggestions.length) { target.replaceChildren(el("p", { class: "muted", text: r.data.message })); return; }
    target.replaceChildren(el("ul", { class: "plain join-suggestions" }, r.data.suggestions.map((s) => el("li", { title: (s.reasons || []).join("; ") }, [
      code(`${s.left_table}.${s.left_column} → ${s.right_table}.${s.right_column}`), " ",
      el("span", { class: "muted", text: `${Math.round(s.confidence * 100)}%${s.declared ? " · declared key" : ""}` }),
    ]))));
  }

  async function start() {
    if (!state) {
      const r = await call("POST", urls.initialize, { dataSources: ids });
      if (!r.ok) {
        const node = $("ai-status");
        node.className = "flash flash-error";
        node.textContent = problemText(r.data);
        $("ai-send").disabled = true;
        return;
      }
      state = r.data;
    }
    renderAll();
    loadJoins();
  }

  // --- sending a message -----------------------------------------------------------------
  function setBusy(on) {
    busy = on;
    $("ai-send").disabled = on || !cfg.configured;
    $("ai-message").readOnly = on;
    $("ai-spinner").hidden = !on;
  }
  async function send() {
    if (busy) return;
    const text = $("ai-message").value.trim();
    if (!text) { say("ai-error", "Write a message for the assistant."); return; }
    say("ai-error", "");
    setBusy(true);
    const pending = messageItem({ role: "user", content: text });
    $("ai-messages").append(pending);
    const r = await call("POST", urls.chat, { dataSources: ids, message: text });
    setBusy(false);
    if (!r.ok) {
      pending.remove();
      say("ai-error", problemText(r.data));
      if (r.status === 400 && /No active session/.test(problemText(r.data))) {
        $("ai-error").append(" ", el("button", { type: "button", class: "link", text: "Start a new session", onclick: () => { state = null; start(); } }));
      }
      return;
    }
    $("ai-message").value = "";
    state = r.data.session;
    renderAll();
    const last = $("ai-messages").lastElementChild;
    if (last) last.scrollIntoView({ block: "nearest" });
  }

  // --- the draft, saving and discarding ---------------------------------------------------
  async function useSql() {
    say("draft-error", "");
    const r = await call("PUT", urls.draft, { dataSources: ids, sql: $("draft-sql").value });
    if (!r.ok) { say("draft-error", problemText(r.data)); return; }
    state = r.data;
    renderAll();
  }
  async function save(event) {
    event.preventDefault();
    say("save-error", "");
    const title = $("save-title").value.trim();
    if (!title) { say("save-error", "Give the data model a title."); $("save-title").focus(); return; }
    $("save-model").disabled = true;
    const r = await call("POST", urls.save, { dataSources: ids, title, description: $("save-description").value });
    if (!r.ok) {
      $("save-model").disabled = false;
      say("save-error", problemText(r.data));
      if (r.data.field === "title") $("save-title").focus();
      return;
    }
    window.location.assign(r.data.url);
  }
  async function discard() {
    if (!window.confirm("Discard this session and its draft? Nothing is saved.")) return;
    const r = await call("DELETE", withQuery(urls.discard, { dataSources: ids.join(",") }));
    if (!r.ok) { say("save-error", problemText(r.data)); return; }
    window.location.assign(urls.page);
  }

  if (!ids.length || !$("ai-form")) return;
  $("ai-form").addEventListener("submit", (event) => { event.preventDefault(); send(); });
  $("ai-message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); send(); }
  });
  $("draft-sql-save").addEventListener("click", useSql);
  $("save-form").addEventListener("submit", save);
  $("discard").addEventListener("click", discard);
  start();
})();
