// Draws every <div data-plotly-figure> (a Plotly figure as JSON, from analytics/charts.py)
// with the local plotly.min.js: no inline script per chart, as the Content-Security-Policy
// demands. Charts that htmx swaps in are drawn too.
(function () {
  "use strict";

  function draw(root) {
    if (typeof window.Plotly === "undefined") return;
    root.querySelectorAll("[data-plotly-figure]").forEach(function (div) {
      if (div.dataset.drawn) return;
      div.dataset.drawn = "1";
      const figure = JSON.parse(div.dataset.plotlyFigure);
      const config = div.dataset.plotlyConfig ? JSON.parse(div.dataset.plotlyConfig) : {};
      window.Plotly.newPlot(div, figure.data || [], figure.layout || {}, config);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:load", function (e) { draw(e.target); });
})();
