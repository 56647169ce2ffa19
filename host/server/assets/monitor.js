// The run monitor: the project's runs (status, start, duration, trigger),
// filtered by workflow and status and paged; one run with every action's
// status, attempts, inputs, outputs, errors and why it was skipped, with
// Resubmit and Cancel; and the triggers: state, last poll, last error.
// Everything shown was redacted of connection secrets by the host before
// it was stored.

import { api, enc } from "./api.js";
import { el, mount, pretty } from "./dom.js";

const STATUSES = ["Queued", "Running", "Succeeded", "Failed", "Cancelled", "TimedOut"];
/** How often an unfinished run is read again, and for how long at most. */
const REFRESH_MS = 700;
const REFRESH_MAX = 200;

function when(ms) {
  return ms ? new Date(ms).toLocaleString() : "—";
}

function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function statusPill(status) {
  const s = status || "Running";
  const cls = s === "Succeeded" ? "ok" : ["Failed", "Cancelled", "TimedOut"].includes(s) ? "bad" : s === "Skipped" ? "skip" : "wait";
  return el("span", { class: `pill ${cls}`, dataset: { status: s } }, s);
}

function triggersTable(triggers) {
  return el("table", { id: "triggers" },
    el("thead", {}, el("tr", {}, ["workflow", "trigger", "state", "last poll", "last error", ""].map((h) => el("th", {}, h)))),
    el("tbody", {}, triggers.map((t) => el("tr", { dataset: { workflow: t.workflow } },
      el("td", {}, el("a", { href: `#/workflows/${enc(t.workflow)}` }, t.workflow)),
      el("td", {}, `${t.trigger} (${t.kind})`),
      el("td", { class: "trigger-state" }, t.state),
      el("td", {}, when(t.lastPoll), t.lastRuns ? ` · ${t.lastRuns} run(s)` : ""),
      el("td", { class: "error" }, t.lastError || ""),
      el("td", {}, el("button", { type: "button", class: "small run-now", onclick: async () => {
        const r = await api("POST", `/api/workflows/${enc(t.workflow)}/run`, { body: null });
        location.hash = `#/runs/${enc(r.runId)}`;
      } }, "Run now"))))));
}

export async function renderRuns(main, query) {
  const params = new URLSearchParams(query || "");
  const [{ workflows }, { triggers }] = await Promise.all([api("GET", "/api/workflows"), api("GET", "/api/triggers")]);
  const workflowSelect = el("select", { id: "filter-workflow" }, el("option", { value: "" }, "(every workflow)"),
    workflows.map((w) => el("option", { value: w.name, selected: w.name === params.get("workflow") }, w.name)));
  const statusSelect = el("select", { id: "filter-status" }, el("option", { value: "" }, "(any status)"),
    STATUSES.map((s) => el("option", { value: s, selected: s === params.get("status") }, s)));
  const body = el("tbody", {});
  const more = el("button", { type: "button", id: "more-runs", hidden: true }, "Older runs");
  let cursor = null;
  async function page() {
    const q = new URLSearchParams({ limit: "25" });
    if (workflowSelect.value) q.set("workflow", workflowSelect.value);
    if (statusSelect.value) q.set("status", statusSelect.value);
    if (cursor) q.set("cursor", cursor);
    const r = await api("GET", `/api/runs?${q}`);
    for (const run of r.runs) {
      body.append(el("tr", { dataset: { run: run.id } },
        el("td", {}, el("a", { href: `#/runs/${enc(run.id)}` }, el("code", {}, run.id))),
        el("td", {}, run.workflow),
        el("td", {}, statusPill(run.status)),
        el("td", {}, when(run.startedAt || run.createdAt)),
        el("td", {}, duration(run.durationMs)),
        el("td", {}, run.trigger)));
    }
    cursor = r.next;
    more.hidden = !cursor;
  }
  more.addEventListener("click", () => page());
  const refilter = () => {
    const q = new URLSearchParams();
    if (workflowSelect.value) q.set("workflow", workflowSelect.value);
    if (statusSelect.value) q.set("status", statusSelect.value);
    location.hash = `#/runs${q.toString() ? `?${q}` : ""}`;
  };
  workflowSelect.addEventListener("change", refilter);
  statusSelect.addEventListener("change", refilter);
  mount(main,
    el("h1", {}, "Runs"),
    el("section", { class: "card" },
      el("div", { class: "row" }, workflowSelect, statusSelect),
      el("table", { id: "runs" },
        el("thead", {}, el("tr", {}, ["run", "workflow", "status", "start", "duration", "trigger"].map((h) => el("th", {}, h)))), body),
      more),
    el("h2", {}, "Triggers"),
    el("section", { class: "card" }, triggersTable(triggers)));
  await page();
  if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: "6", class: "muted" }, "No runs yet.")));
}

function actionView(a) {
  return el("section", { class: "card action", dataset: { action: a.name } },
    el("div", { class: "step-head" }, el("strong", {}, a.name), " ", statusPill(a.status),
      el("span", { class: "meta" }, ` · ${a.attempts} attempt${a.attempts === 1 ? "" : "s"} · ${duration(a.durationMs)} · started ${when(a.startedAt)}`)),
    a.skippedBecause ? el("p", { class: "skipped" }, a.skippedBecause) : null,
    a.errors && a.errors.length ? el("div", { class: "action-errors" }, el("h3", {}, "Errors"), el("pre", { class: "body error-body" }, pretty(a.errors))) : null,
    a.inputs !== null && a.inputs !== undefined ? el("details", { open: true }, el("summary", {}, "Inputs"), el("pre", { class: "body action-inputs" }, pretty(a.inputs))) : null,
    a.outputs !== null && a.outputs !== undefined ? el("details", { open: true }, el("summary", {}, "Outputs"), el("pre", { class: "body action-outputs" }, pretty(a.outputs))) : null);
}

export async function renderRun(main, id) {
  let refreshes = 0;
  const messages = el("div", { id: "run-messages", role: "status" });
  async function draw() {
    const { run, actions } = await api("GET", `/api/runs/${enc(id)}`);
    const finished = !["Queued", "Running"].includes(run.status);
    const resubmit = el("button", { type: "button", id: "resubmit", onclick: async () => {
      const r = await api("POST", `/api/runs/${enc(id)}/resubmit`);
      location.hash = `#/runs/${enc(r.runId)}`;
    } }, "Resubmit");
    const cancel = finished ? null : el("button", { type: "button", id: "cancel", onclick: async () => {
      const r = await api("POST", `/api/runs/${enc(id)}/cancel`);
      mount(messages, el("p", {}, `Cancel requested: ${r.status}.`));
    } }, "Cancel");
    mount(main,
      el("p", {}, el("a", { href: "#/runs" }, "← Runs")),
      el("section", { class: "card", id: "run" },
        el("h1", {}, "Run of ", el("a", { href: `#/workflows/${enc(run.workflow)}` }, run.workflow), " ", statusPill(run.status)),
        el("div", { class: "meta" }, el("code", { id: "run-id" }, run.id), ` · trigger ${run.trigger} · created ${when(run.createdAt)} · started ${when(run.startedAt)} · ${duration(run.durationMs)}`),
        run.resubmittedFrom ? el("p", {}, "Resubmits ", el("a", { href: `#/runs/${enc(run.resubmittedFrom)}` }, run.resubmittedFrom)) : null,
        run.error ? el("p", { class: "error" }, run.error) : null,
        el("details", {}, el("summary", {}, "Trigger outputs"), el("pre", { class: "body", id: "trigger-outputs" }, pretty(run.triggerOutputs))),
        el("div", { class: "actions" }, resubmit, " ", cancel),
        messages),
      el("h2", {}, "Actions"),
      el("div", { id: "actions" }, actions.length ? actions.map(actionView) : el("p", { class: "muted" }, "No action has started yet.")));
    if (!finished && refreshes++ < REFRESH_MAX) {
      setTimeout(() => { if (location.hash === `#/runs/${enc(id)}`) draw().catch(() => {}); }, REFRESH_MS);
    }
  }
  await draw();
}
