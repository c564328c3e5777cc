// The OEM analytics dashboard: signs in with a pasted token, asks /graphql for the engagement
// metrics of the chosen filter, and draws them with the vendored Chart.js. No build step.
"use strict";

(() => {
  const TOKEN_KEY = "evjourney.analyticsToken";
  const STAGES = ["ONBOARDING", "EARLY_OWNERSHIP", "ESTABLISHED", "RENEWAL", "LAPSED"];
  const COLORS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7"]; // Okabe-Ito: colour-blind safe
  const MODELS_QUERY = "query DashboardModels { vehicleModels { id name } }";
  const METRICS_QUERY = `query Dashboard($filter: EngagementFilter) {
    engagementMetrics(filter: $filter) {
      owners npsScore csatPercent responses
      digitalEngagementRate notificationOpenRate notificationActionRate
      serviceRetentionRate firstTimeFixRate
      stageFunnel { stage owners }
      stageTransitions { from to count }
      byTouchpoint { touchpoint nps csat responses }
      byRegion { region serviceRetentionRate firstTimeFixRate owners }
      timeSeries(interval: MONTH) { periodStart npsScore csatPercent responses
        digitalEngagementRate notificationOpenRate notificationActionRate }
    }
  }`;
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

  const $ = (id) => document.getElementById(id);
  const main = $("main");
  const charts = {};
  window.dashboardCharts = charts; // read by the browser test, handy in the console too
  let requestSeq = 0;

  class ApiError extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }

  const AUTH_MESSAGES = {
    UNAUTHENTICATED: "The token was refused (missing, invalid or expired). Sign in again.",
    FORBIDDEN: "This token may not read analytics: it needs the OEM_ANALYST or ADMIN role.",
  };

  async function graphql(query, variables, token) {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch("/graphql", {
        method: "POST", headers, body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new ApiError("The server cannot be reached.", "NETWORK");
    }
    if (response.status === 401) throw new ApiError(AUTH_MESSAGES.UNAUTHENTICATED, "UNAUTHENTICATED");
    if (response.status === 403) throw new ApiError(AUTH_MESSAGES.FORBIDDEN, "FORBIDDEN");
    const body = await response.json().catch(() => null);
    if (body && body.errors && body.errors.length) {
      const code = (body.errors[0].extensions || {}).code || "ERROR";
      const text = body.errors.map((error) => error.message).join("; ");
      throw new ApiError(AUTH_MESSAGES[code] || `The server refused the query: ${text}`, code);
    }
    if (!response.ok || !body) throw new ApiError(`The server answered ${response.status}.`, "HTTP");
    return body.data;
  }

  // --- formatting: null is a suppressed (or empty) figure, never 0 ---
  const counts = new Intl.NumberFormat("en-GB");
  function format(value, kind) {
    if (value === null || value === undefined) return null;
    if (kind === "count") return counts.format(value);
    return kind === "percent" ? `${value.toFixed(1)} %` : value.toFixed(1);
  }
  const NAMES = { OTA_UPDATE: "OTA update", APP: "App" };
  const humanize = (key) => NAMES[key] || (key.charAt(0) + key.slice(1).toLowerCase()).replaceAll("_", " ");

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

  // --- rendering ---
  function renderKpis(metrics) {
    const list = $("kpis");
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
    charts[name] = new Chart(canvas, {
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

  function renderCharts(m) {
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
    $("fig-transitions").querySelector(".table-wrap").replaceChildren(
      dataTable("transitions", "Owners who moved between stages", transitions,
        [series(m.stageTransitions, "count", "Owners", "count")]));
  }

  // --- filters ---
  function nextDay(isoDate) {
    const day = new Date(`${isoDate}T00:00:00Z`);
    day.setUTCDate(day.getUTCDate() + 1);
    return day.toISOString();
  }

  function currentFilter() {
    const filter = {};
    const models = [...$("f-models").selectedOptions].map((option) => option.value);
    const regions = $("f-regions").value.split(/[\s,;]+/).map((r) => r.trim().toUpperCase()).filter(Boolean);
    const stages = [...document.querySelectorAll("#f-stages input:checked")].map((input) => input.value);
    if (models.length) filter.models = models;
    if (regions.length) filter.regions = regions;
    if (stages.length) filter.stages = stages;
    if ($("f-from").value) filter.from = `${$("f-from").value}T00:00:00Z`;
    if ($("f-to").value) filter.to = nextDay($("f-to").value); // the whole "to" day, in UTC
    return filter;
  }

  function describe(filter) {
    const period = filter.from || filter.to
      ? `${$("f-from").value || "90 days before"} to ${$("f-to").value || "now"} (UTC)`
      : "the last 90 days";
    const parts = [filter.models ? filter.models.join(", ") : "all models",
      filter.regions ? filter.regions.join(", ") : "all regions",
      filter.stages ? filter.stages.map(humanize).join(", ") : "all stages"];
    return `Showing ${parts.join(" · ")} · ${period}.`;
  }

  // --- state ---
  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = !message;
  }

  function setState(state) {
    main.dataset.state = state;
    main.setAttribute("aria-busy", String(state === "loading"));
  }

  function showLogin(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    for (const chart of Object.values(charts)) chart.destroy();
    for (const name of Object.keys(charts)) delete charts[name];
    $("dashboard").hidden = true;
    $("sign-out").hidden = true;
    $("login").hidden = false;
    showError(message || "");
    setState("signed-out");
    $("token").focus();
  }

  async function load() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return showLogin();
    const filter = currentFilter();
    if (filter.from && filter.to && filter.from >= filter.to) {
      showError("The period's start must be before its end.");
      return setState("error");
    }
    const seq = ++requestSeq;
    setState("loading");
    try {
      const data = await graphql(METRICS_QUERY, { filter }, token);
      if (seq !== requestSeq) return; // a newer request is on its way
      showError("");
      renderKpis(data.engagementMetrics);
      renderCharts(data.engagementMetrics);
      $("scope").textContent = describe(filter);
      setState("ready");
    } catch (error) {
      if (seq !== requestSeq) return;
      if (error.code === "UNAUTHENTICATED" || error.code === "FORBIDDEN") return showLogin(error.message);
      showError(error.message);
      setState("error");
    } finally {
      if (seq === requestSeq) main.dataset.generation = String(Number(main.dataset.generation) + 1);
    }
  }

  async function loadModels() {
    const select = $("f-models");
    try {
      const data = await graphql(MODELS_QUERY, {});
      select.replaceChildren(...data.vehicleModels.map((model) =>
        Object.assign(document.createElement("option"), { value: model.id, textContent: model.name })));
    } catch (error) {
      select.disabled = true;
      select.title = `Models could not be loaded: ${error.message}`;
    }
  }

  function buildStageChecks() {
    $("f-stages").replaceChildren(...STAGES.map((stage) => {
      const label = document.createElement("label");
      const box = Object.assign(document.createElement("input"), { type: "checkbox", value: stage, name: "stages" });
      label.append(box, ` ${humanize(stage)}`);
      return label;
    }));
  }

  function start() {
    buildStageChecks();
    loadModels();
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token").value.trim().replace(/^bearer\s+/i, "");
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      $("token").value = "";
      $("login").hidden = true;
      $("dashboard").hidden = false;
      $("sign-out").hidden = false;
      load();
    });
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      load();
    });
    $("filters").addEventListener("reset", () => setTimeout(load, 0)); // after the fields clear
    $("sign-out").addEventListener("click", () => showLogin());
    if (sessionStorage.getItem(TOKEN_KEY)) {
      $("dashboard").hidden = false;
      $("sign-out").hidden = false;
      load();
    } else {
      showLogin();
    }
  }

  start();
})();
