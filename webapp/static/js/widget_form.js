/* Widget form: the column suggestions follow the chosen data model. */
(function () {
  "use strict";
  const data = document.getElementById("model-tables");
  const pick = document.getElementById("data_model_id");
  const list = document.getElementById("model-columns");
  if (!data || !pick || !list) return;
  const tables = JSON.parse(data.textContent);
  function fill() {
    list.replaceChildren();
    const t = tables.find((x) => String(x.id) === pick.value);
    (t ? t.columns : []).forEach((c) => { const o = document.createElement("option"); o.value = c.name; o.label = c.type; list.append(o); });
  }
  pick.addEventListener("change", fill);
  fill();
})();
