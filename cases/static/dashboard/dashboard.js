// Draws the dashboard's charts from the figures the page already shows as tables
// (json_script "dashboard-charts"). Chart.js is served from our own static files: no CDN.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var charts = JSON.parse(source.textContent);
    var palette = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var data = charts[canvas.dataset.chart];
      if (!data || !data.labels.length) {
        canvas.parentNode.classList.add("empty-chart");
        return;
      }
      var single = data.datasets.length === 1;
      data.datasets.forEach(function (set, i) {
        var color = palette[i % palette.length];
        set.backgroundColor = single ? palette.slice(0, data.labels.length) : color;
        set.borderColor = color;
        set.fill = false;
      });
      var stacked = canvas.dataset.stacked === "1";
      new window.Chart(canvas, {
        type: canvas.dataset.type || "bar",
        data: data,
        options: {
          indexAxis: canvas.dataset.horizontal === "1" ? "y" : "x",
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: !single } },
          scales: {
            x: { stacked: stacked },
            y: { stacked: stacked, beginAtZero: true }
          }
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
