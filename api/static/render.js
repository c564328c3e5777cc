// Headline figures, charts (the vendored Chart.js, loaded before this module) and data tables.
// A null is a suppressed figure (fewer than 5 owners) or no data: shown as a dash, never as 0.

const COLORS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7"]; // Okabe-Ito: colour-blind safe

// [field, label, kind]: kind picks the number format.
const KPIS = [
  ["owners", "Owners in scope", "count"],
  ["npsScore", "NPS", "score"],
  ["csatPercent", "CSAT", "percent"],
  ["responses", "Survey responses", "count"],
  ["digitalEngagementRate", "Digital engagement", "percent"],
  ["notificationOpenRate", "Notifications opened", "percent"],
  ["notificationActionRate", "Notifications acted on", "percent"],
  ["serviceRetentionRate", "Service retention", "percent"],
  ["firstTimeFixRate", "First-time fix", "percent"],
];

export const charts = {};
window.dashboardCharts = charts; // read by the browser test, handy in the console too

const counts = new Intl.NumberFormat("en-GB");
function format(value, kind) {
  if (value === null || value === undefined) return null;
  if (kind === "count") return counts.format(value);
  return kind === "percent" ? `${value.toFixed(1)} %` : value.toFixed(1);
}

const NAMES = { OTA_UPDATE: "OTA update", APP: "App" };
export const humanize = (key) => NAMES[key] || (key.charAt(0) + key.slice(1).toLowerCase()).replaceAll("_", " ");

function showValue(element, text) {
  element.replaceChildren();
  if (text === null) {
    const dash = Object.assign(document.createElement("span"), { textContent: "—" });
    dash.setAttribute("aria-hidden", "true");
    const hidden = Object.assign(document.createElement("span"),
      { className: "visually-hidden", textContent: "suppressed" });
    element.append(dash, hidden);
    element.classList.add("suppressed");
    element.title = "Suppressed: fewer than 5 owners, or no data";
  } else {
    element.textContent = text;
    element.classList.remove("suppressed");
    element.removeAttribute("title");
  }
}

export function renderKpis(metrics) {
  const list = document.getElementById("kpis");
  list.replaceChildren(...KPIS.map(([field, label, kind]) => {
    const item = document.createElement("div");
    item.className = "kpi card";
    item.dataset.testid = `kpi-${field}`;
    item.dataset.value = metrics[field] === null ? "" : String(metrics[field]);
    const term = Object.assign(document.createElement("dt"), { textContent: label });
    const value = document.createElement("dd");
    showValue(value, format(metrics[field], kind));
    item.append(term, value);
    return item;
  }));
}

function dataTable(name, caption, labels, datasets) {
  const table = document.createElement("table");
  table.dataset.testid = `table-${name}`;
  table.createCaption().textContent = caption;
  const head = table.createTHead().insertRow();
  for (const text of ["", ...datasets.map((set) => set.label)]) {
    head.appendChild(Object.assign(document.createElement("th"), { textContent: text, scope: "col" }));
  }
  const body = table.createTBody();
  labels.forEach((label, index) => {
    const row = body.insertRow();
    row.appendChild(Object.assign(document.createElement("th"), { textContent: label, scope: "row" }));
    for (const set of datasets) showValue(row.insertCell(), format(set.data[index], set.kind));
  });
  return table;
}

// A suppressed (null) bar would look like a 0: mark its place with a dash instead.
const suppressedMarks = {
  id: "suppressedMarks",
  afterDatasetsDraw(chart) {
    if (chart.config.type !== "bar") return;
    const { ctx, chartArea, scales } = chart;
    const y = Math.min(scales.y.getPixelForValue(0), chartArea.bottom) - 6;
    ctx.save();
    Object.assign(ctx, { fillStyle: "#52606d", font: "bold 14px system-ui, sans-serif", textAlign: "center" });
    chart.data.datasets.forEach((set, d) => {
      const bars = chart.getDatasetMeta(d).data;
      set.data.forEach((value, i) => {
        if (value === null && bars[i] && Number.isFinite(bars[i].x)) ctx.fillText("—", bars[i].x, y);
      });
    });
    ctx.restore();
  },
};

function draw(name, type, labels, datasets, yRange) {
  const canvas = document.querySelector(`[data-testid="chart-${name}"]`);
  const figureElement = canvas.closest("figure");
  if (charts[name]) charts[name].destroy();
  charts[name] = new window.Chart(canvas, {
    type,
    plugins: [suppressedMarks],
    data: {
      labels,
      datasets: datasets.map((set, i) => ({
        label: set.label, data: set.data, backgroundColor: COLORS[i], borderColor: COLORS[i],
        spanGaps: false, pointRadius: 3,
      })),
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ...yRange } },
      plugins: { legend: { display: datasets.length > 1, position: "bottom" } },
    },
  });
  const empty = figureElement.querySelector(".no-data") || Object.assign(document.createElement("p"),
    { className: "no-data hint", textContent: "No data for this filter." });
  empty.hidden = labels.length > 0;
  figureElement.querySelector(".chart").after(empty);
  const details = figureElement.querySelector("details") || document.createElement("details");
  details.replaceChildren(Object.assign(document.createElement("summary"), { textContent: "Data" }),
    dataTable(name, figureElement.querySelector("figcaption").textContent, labels, datasets));
  figureElement.appendChild(details);
}

const series = (rows, field, label, kind) => ({ label, kind, data: rows.map((row) => row[field]) });

export function renderCharts(m) {
  draw("funnel", "bar", m.stageFunnel.map((row) => humanize(row.stage)),
    [series(m.stageFunnel, "owners", "Owners", "count")]);
  draw("touchpoints", "bar", m.byTouchpoint.map((row) => humanize(row.touchpoint)),
    [series(m.byTouchpoint, "nps", "NPS", "score"), series(m.byTouchpoint, "csat", "CSAT %", "percent")],
    { min: -100, max: 100 });
  const months = m.timeSeries.map((row) => row.periodStart.slice(0, 7));
  draw("engagement", "line", months, [
    series(m.timeSeries, "digitalEngagementRate", "Digital engagement %", "percent"),
    series(m.timeSeries, "notificationOpenRate", "Notifications opened %", "percent"),
    series(m.timeSeries, "notificationActionRate", "Notifications acted on %", "percent"),
  ], { min: 0, max: 100 });
  draw("satisfaction", "line", months, [
    series(m.timeSeries, "npsScore", "NPS", "score"),
    series(m.timeSeries, "csatPercent", "CSAT %", "percent"),
  ], { min: -100, max: 100 });
  draw("regions", "bar", m.byRegion.map((row) => row.region), [
    series(m.byRegion, "serviceRetentionRate", "Service retention %", "percent"),
    series(m.byRegion, "firstTimeFixRate", "First-time fix %", "percent"),
  ], { min: 0, max: 100 });
  const transitions = m.stageTransitions.map((t) => `${t.from ? humanize(t.from) : "New"} → ${humanize(t.to)}`);
  document.getElementById("fig-transitions").querySelector(".table-wrap").replaceChildren(
    dataTable("transitions", "Owners who moved between stages", transitions,
      [series(m.stageTransitions, "count", "Owners", "count")]));
}
