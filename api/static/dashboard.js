// The OEM analytics dashboard: signs in with a pasted token, asks /graphql for the engagement
// metrics of the chosen filter and draws them. Plain ES modules: no build step.
import { METRICS_QUERY, MODELS_QUERY, graphql } from "./api.js";
import { charts, humanize, renderCharts, renderKpis } from "./render.js";

const TOKEN_KEY = "evjourney.analyticsToken";
const STAGES = ["ONBOARDING", "EARLY_OWNERSHIP", "ESTABLISHED", "RENEWAL", "LAPSED"];

const $ = (id) => document.getElementById(id);
const main = $("main");
let requestSeq = 0;

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
