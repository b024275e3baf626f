/* Server-built plotly figures on attribution and quality pages, drawn with the one
   config (DRA.plot). An element holds its figure in data-figure (JSON) or names the
   <script type="application/json"> holding it in data-figure-from; data-modebar="off"
   hides plotly's tool bar. */
(function () {
  "use strict";
  document.querySelectorAll("[data-figure], [data-figure-from]").forEach(function (el) {
    var source = el.dataset.figureFrom ? document.getElementById(el.dataset.figureFrom) : null;
    var text = source ? source.textContent : el.dataset.figure;
    if (!text || !window.Plotly) return;
    window.DRA.plot(el, JSON.parse(text), el.dataset.modebar === "off" ? { displayModeBar: false } : {});
  });
})();
