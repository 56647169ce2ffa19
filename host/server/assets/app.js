// The page's entry: takes the token from the address, then routes on the
// fragment: #/ (catalog), #/c/NAME (a connector), #/c/NAME/op/OP (an
// operation), #/connections, #/workflows (the designer's list),
// #/workflows/NAME[/new] (a workflow), #/runs[?workflow=&status=] (the
// monitor), #/runs/ID (a run).

import { api, captureToken, hasToken, setToken, ApiError } from "./api.js";
import { el, mount } from "./dom.js";
import { renderCatalog, renderConnector } from "./catalog.js";
import { renderOperation } from "./operation.js";
import { renderConnections } from "./connections.js";
import { renderWorkflows, renderDesigner } from "./designer.js";
import { renderRuns, renderRun } from "./monitor.js";

const main = document.getElementById("main");

function tokenForm(message) {
  const input = el("input", { type: "password", id: "token-input", autocomplete: "off", spellcheck: "false", placeholder: "token" });
  const form = el("form", { class: "card narrow", onsubmit: (e) => { e.preventDefault(); setToken(input.value); route(); } },
    el("h1", {}, "Token needed"),
    el("p", {}, message || "Open the address the server printed at its first start (it ends in #token=…), or paste the token from the file token in the server's state directory."),
    el("label", { for: "token-input" }, "Token"), input,
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Use token")));
  mount(main, form);
}

function showError(e) {
  if (e instanceof ApiError && e.status === 401) {
    tokenForm("The server refused the token. Paste the current one.");
    return;
  }
  mount(main, el("div", { class: "card error-box", role: "alert" },
    el("h1", {}, "Something went wrong"), el("p", {}, String(e.message || e))));
}

function highlightNav(name) {
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", a.dataset.nav === name);
  }
}

async function route() {
  if (!hasToken()) { tokenForm(); return; }
  const [rawPath, query] = location.hash.replace(/^#/, "").split("?");
  const parts = (rawPath || "/").split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "c" && parts.length === 2) {
      highlightNav("catalog");
      await renderConnector(main, parts[1]);
    } else if (parts[0] === "c" && parts[2] === "op" && parts.length === 4) {
      highlightNav("catalog");
      await renderOperation(main, parts[1], parts[3]);
    } else if (parts[0] === "workflows" && parts.length >= 2) {
      highlightNav("workflows");
      await renderDesigner(main, parts[1], parts[2] === "new");
    } else if (parts[0] === "workflows") {
      highlightNav("workflows");
      await renderWorkflows(main);
    } else if (parts[0] === "runs" && parts.length === 2) {
      highlightNav("runs");
      await renderRun(main, parts[1]);
    } else if (parts[0] === "runs") {
      highlightNav("runs");
      await renderRuns(main, query);
    } else if (parts[0] === "connections") {
      highlightNav("connections");
      await renderConnections(main);
    } else {
      highlightNav("catalog");
      await renderCatalog(main);
    }
  } catch (e) {
    showError(e);
  }
}

async function status() {
  const node = document.getElementById("status");
  try {
    const r = await fetch("/api/ready", { headers: { Authorization: `Bearer ${sessionStorage.getItem("connector-host-token") || ""}` }, credentials: "omit" });
    const body = await r.json().catch(() => ({}));
    node.textContent = body.ready ? "ready" : (body.problems && body.problems[0]) || "not ready";
    node.className = "status " + (body.ready ? "ok" : "warn");
  } catch {
    node.textContent = "server unreachable";
    node.className = "status warn";
  }
}

captureToken();
window.addEventListener("hashchange", route);
route();
if (hasToken()) status();
