/* Database page: follow a backup or restore by polling its JSON status (no page refresh,
   so nothing is ever posted twice), and send a backup/restore form only once. */
(function () {
  "use strict";

  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
  window.addEventListener("pageshow", function (e) {  // back from the next page (bfcache)
    if (!e.persisted) return;
    document.querySelectorAll("form[data-submit-once] button[type=submit]").forEach(function (b) {
      if (!b.hasAttribute("data-busy")) b.disabled = false;
    });
  });

  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var bar = box.querySelector(".progress");

  function field(name, text) {
    var node = box.querySelector('[data-field="' + name + '"]');
    if (!node) return;
    node.textContent = text === null || text === undefined ? "" : String(text);
    if (name === "error") node.hidden = !text;
  }

  function render(d) {
    var status = box.querySelector('[data-field="status"]');
    if (status) {
      status.textContent = d.status;
      status.className = "badge " + (d.status === "succeeded" ? "ok"
        : (d.status === "failed" || d.status === "cancelled") ? "error" : "warn");
    }
    field("step", d.step ? "running: " + d.step : "");
    field("phase", d.phase);
    field("message", d.message === d.step ? "" : d.message);
    field("error", d.error);
    field("drill_status", d.drill_status || "—");
    field("drill_seconds", d.drill_seconds ? d.drill_seconds.toFixed(1) + " s" : "");
    field("next_retry_at", d.next_retry_at ? "retry scheduled " + d.next_retry_at : "");
    if (bar) {
      bar.setAttribute("aria-valuenow", d.progress || 0);
      bar.firstElementChild.style.width = (d.progress || 0) + "%";
    }
    if (!d.open) field("watching", "");
  }

  function tick() {
    fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 404) return { gone: true };
        var json = (r.headers.get("Content-Type") || "").indexOf("json") !== -1;
        if (!r.ok || !json) throw new Error("status " + r.status);
        return r.json();
      })
      .then(function (d) {
        if (d.gone) {
          field("watching", box.dataset.goneMessage);
          return;
        }
        render(d);
        if (d.open) setTimeout(tick, 2000);
      })
      .catch(function () { setTimeout(tick, 10000); });
  }
  if (box.dataset.open === "true") setTimeout(tick, 1500);
})();
