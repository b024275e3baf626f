/* New database source: MongoDB takes a connection string, the others host, port... */
(function () {
  "use strict";
  var select = document.getElementById("db-type");
  if (!select) return;
  function sync() {
    var mongo = select.value === "mongodb";
    document.querySelectorAll(".js-relational").forEach(function (e) { e.style.display = mongo ? "none" : ""; });
    document.querySelectorAll(".js-mongo").forEach(function (e) { e.style.display = mongo ? "" : "none"; });
  }
  select.addEventListener("change", sync);
  sync();
})();
