// The Analytics page's charts: the daily trends drawn with uPlot from the numbers the page
// carries (data-series on the chart box), and PNG downloads of every drawn chart. The page
// shows the same numbers in tables and the heatmap is server-drawn SVG, so without this
// file nothing is lost but the line chart.
(function () {
  "use strict";

  const locale = document.documentElement.dataset.locale || undefined;
  const dayFormat = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" });
  const fullDay = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" });
  const count = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const wholeSteps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000];
  const charts = {};
  window.sociableCharts = charts; // the drawn uPlot instances by box id (tests read them)

  function toSeconds(day) {
    return Date.parse(day + "T12:00:00Z") / 1000; // a local day, drawn at its noon
  }

  function shown(box, key, labels) {
    box.dataset[key] = labels.join("|");
    return labels;
  }

  function drawTrends(box) {
    const data = JSON.parse(box.dataset.series);
    const xs = data.days.map(toSeconds);
    const fmt = (u, v) => (v == null ? "–" : count.format(v));
    const options = {
      width: Math.max(box.clientWidth, 300),
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      scales: {
        x: { time: true, range: (u, min, max) => [min - 43200, max + 43200] },
        y: { range: (u, min, max) => [0, Math.max(max, 4)] },
        posts: { range: (u, min, max) => [0, Math.max(max, 4)] },
      },
      axes: [
        { space: 60, incrs: [86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400], values: (u, ticks) => shown(box, "xTicks", ticks.map((t) => dayFormat.format(new Date(t * 1000)))) },
        { label: box.dataset.yLabel || "engagements, clicks", size: 64, incrs: wholeSteps, values: (u, ticks) => shown(box, "yTicks", ticks.map((t) => count.format(t))) },
        { scale: "posts", side: 1, label: "posts", size: 48, incrs: wholeSteps, grid: { show: false }, values: (u, ticks) => ticks.map((t) => count.format(t)) },
      ],
      series: [
        { label: "day", value: (u, t) => (t == null ? "–" : fullDay.format(new Date(t * 1000))) },
        { label: "engagements", stroke: "#0b5fff", width: 2, points: { show: false }, value: fmt },
        { label: "clicks", stroke: "#0a7a3d", width: 2, dash: [6, 3], points: { show: false }, value: fmt },
        { label: "posts", scale: "posts", stroke: "#a15c00", fill: "rgba(161,92,0,0.12)", width: 1, points: { show: true, size: 4 }, value: fmt },
      ],
    };
    box.textContent = "";
    const plot = new uPlot(options, [xs, data.engagements, data.clicks, data.posts], box);
    charts[box.id] = plot;
    box.dataset.seriesLabels = plot.series.slice(1).map((s) => s.label).join("|");
    window.addEventListener("resize", () => plot.setSize({ width: Math.max(box.clientWidth, 300), height: 260 }));
    box.dataset.drawn = "true";
  }

  // A chart as a PNG: uPlot's canvas on a white ground (a transparent PNG reads badly).
  function pngOf(box) {
    const canvas = box.querySelector("canvas");
    if (!canvas) return null;
    const out = document.createElement("canvas");
    out.width = canvas.width;
    out.height = canvas.height;
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
    return out.toDataURL("image/png");
  }
  window.sociableChartPng = (id) => pngOf(document.getElementById(id));

  function wireDownloads() {
    document.querySelectorAll("a[data-png-for]").forEach((a) => {
      a.hidden = false;
      a.addEventListener("click", (event) => {
        const url = pngOf(document.getElementById(a.dataset.pngFor));
        if (!url) { event.preventDefault(); return; }
        a.href = url; // the browser then downloads it under the link's download= name
      });
    });
  }

  function start() {
    if (typeof uPlot !== "undefined") {
      document.querySelectorAll(".chart[data-series]").forEach((box) => {
        try { drawTrends(box); } catch (err) { box.textContent = "Could not draw the chart (" + err.message + "); the table has the numbers."; }
      });
    }
    wireDownloads();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
