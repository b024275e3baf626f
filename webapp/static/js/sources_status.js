/* Sources list: poll the status endpoint while an ingestion is queued or running. */
(function () {
  "use strict";
  var table = document.getElementById("sources");
  if (!table) return;
  var labels = {ready: ["ok", "ready"], failed: ["error", "failed"]};
  function badge(s) {
    var b = document.createElement("span");
    var pair = s.busy && s.step ? ["warn", "running: " + s.step]
             : s.busy ? ["warn", s.request_status === "queued" && s.status !== "ingesting" ? "queued" : "ingesting"]
             : (labels[s.status] || ["", s.status]);
    b.className = "badge " + pair[0];
    b.textContent = pair[1];
    return b;
  }
  function tick() {
    fetch(table.dataset.statusUrl, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var busy = false;
        data.sources.forEach(function (s) {
          var row = table.querySelector('tr[data-source-id="' + s.id + '"]');
          if (!row) return;
          busy = busy || s.busy;
          row.querySelector(".js-status").replaceChildren(badge(s));
          row.querySelector(".js-rows").textContent = s.rows === null ? "—" : s.rows.toLocaleString("en");
          row.querySelector(".js-refreshed").textContent = s.last_refreshed_at ? s.last_refreshed_at.slice(0, 16).replace("T", " ") + " UTC" : "—";
          row.querySelector(".js-error").textContent = s.last_error || "";
        });
        if (busy) setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 10000); });
  }
  if (table.querySelector(".badge.warn")) setTimeout(tick, 1000);
})();
