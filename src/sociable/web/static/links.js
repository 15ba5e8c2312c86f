// Clicks over time on a link's page: reads the stats JSON and draws it with uPlot.
// The page already shows the same numbers in a table, so without this file nothing is lost.
(function () {
  "use strict";

  function toSeconds(day) {
    // "YYYY-MM-DD" (a UTC day) -> Unix seconds at noon UTC, so the tick lands on the day.
    return Date.parse(day + "T12:00:00Z") / 1000;
  }

  // Dates and numbers as the workspace writes them (<html data-locale>, e.g. fr-FR).
  const locale = document.documentElement.dataset.locale || undefined;
  const dayFormat = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" });
  const fullDay = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" });
  const count = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  // Clicks are whole: ticks at 1, 2, 5, 10, ... never at 0.5.
  const wholeSteps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

  // The axis labels are drawn on a canvas; keep the last ones on the box too (data-x-ticks).
  function shown(box, key, labels) {
    box.dataset[key] = labels.join("|");
    return labels;
  }

  function draw(box, stats) {
    const xs = stats.days.map(toSeconds);
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
    const options = {
      width: Math.max(box.clientWidth, 280),
      height: 240,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      scales: { x: { time: true, range: (u, min, max) => [min - 43200, max + 43200] }, y: { range: (u, min, max) => [0, Math.max(max, 4)] } },
      axes: [
        { space: 60, incrs: [86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400], values: (u, ticks) => shown(box, "xTicks", ticks.map((t) => dayFormat.format(new Date(t * 1000)))) },
        { label: "clicks", size: 56, incrs: wholeSteps, values: (u, ticks) => shown(box, "yTicks", ticks.map((t) => count.format(t))) },
      ],
      legend: { show: true },
      series: [
        { label: "day", value: (u, t) => (t == null ? "–" : fullDay.format(new Date(t * 1000))) },
        { label: "people", stroke: "#0b5fff", fill: "rgba(11,95,255,0.25)", width: 1, paths: bars, points: { show: false }, value: (u, v) => (v == null ? "–" : count.format(v)) },
        { label: "preview bots", stroke: "#9aa1aa", width: 1, dash: [4, 4], points: { show: false }, value: (u, v) => (v == null ? "–" : count.format(v)) },
      ],
    };
    box.textContent = "";
    if (xs.length) {
      const total = stats.clicks.reduce((a, b) => a + b, 0);
      box.setAttribute("aria-label", "Clicks per day from " + fullDay.format(new Date(xs[0] * 1000)) + " to " +
        fullDay.format(new Date(xs[xs.length - 1] * 1000)) + ": " + count.format(total) + " by people; the same numbers are in the table below");
    }
    const plot = new uPlot(options, [xs, stats.clicks, stats.bot_clicks], box);
    window.addEventListener("resize", () => plot.setSize({ width: Math.max(box.clientWidth, 280), height: 240 }));
    box.dataset.drawn = "true";
  }

  function start() {
    const box = document.getElementById("clicks-chart");
    if (!box || typeof uPlot === "undefined") return;
    fetch(box.dataset.statsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
      .then((stats) => draw(box, stats))
      .catch((err) => { box.textContent = "Could not load the chart (" + err.message + "); the table below has the numbers."; });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
