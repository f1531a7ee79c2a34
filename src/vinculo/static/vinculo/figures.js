// Draws the analytics figures: each <div class="plotly-figure" data-figure="ID"> takes its
// figure (data, layout, config) from the JSON block <script type="application/json" id="ID">
// the server wrote. No inline script, so the pages work under a strict Content-Security-Policy.
// Figures inserted later by htmx are drawn too.
(function () {
  function draw(root) {
    if (typeof Plotly === "undefined") return;
    root.querySelectorAll(".plotly-figure[data-figure]").forEach(function (div) {
      if (div.dataset.drawn) return;
      const source = document.getElementById(div.dataset.figure);
      if (!source) return;
      const figure = JSON.parse(source.textContent);
      div.dataset.drawn = "1";
      Plotly.newPlot(div, figure.data, figure.layout, figure.config);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
})();
