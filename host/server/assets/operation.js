// An operation: its form (generated from the input schema), a connection
// picker, Run, and the result: status and pretty body, or the typed error
// and its code; a bad input is shown beside its field. The output schema
// is shown as the tokens a later step may use.

import { api, enc, ApiError } from "./api.js";
import { el, mount, pretty, safeColor } from "./dom.js";
import { buildForm, outputTokens } from "./form.js";

function stepName(op) {
  return (op.summary || op.id).replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "");
}

// The sandbox's report of the call: fuel burned, linear memory at the peak.
function usage(m) {
  const fuel = m && m.fuelUsed != null ? `fuel ${m.fuelUsed.toLocaleString("en")}` : "fuel not metered";
  const memory = m && m.memoryUsed != null ? `memory ${(m.memoryUsed / 1048576).toFixed(1)} MiB` : "memory not reported";
  return `${fuel} · ${memory}`;
}

function resultView(kind, r) {
  const meta = el("div", { class: "meta", id: "result-meta" },
    `${r.durationMs} ms`, ` · ${usage(r.metering)}`);
  if (r.ok) {
    let heading;
    let body;
    if (kind === "action") {
      heading = el("div", { class: "result-head ok" }, el("span", { class: "pill ok", id: "result-status" }, `${r.status}`), " Succeeded — the body matches the output schema");
      body = r.body;
    } else {
      heading = el("div", { class: "result-head ok" }, el("span", { class: "pill ok", id: "result-status" }, `${r.items.length} item(s)`), " Polled (nothing delivered, nothing committed)");
      body = { items: r.items, state: r.state, pollAgainAfterMs: r.pollAgainAfterMs };
    }
    return el("section", { class: "card result", id: "result" }, heading, meta, el("pre", { class: "body", id: "result-body" }, pretty(body)));
  }
  const e = r.error;
  const title = e.category === "connector-error" ? `${e.kind} (${e.code})` : e.category;
  return el("section", { class: "card result failed", id: "result" },
    el("div", { class: "result-head" }, el("span", { class: "pill bad", id: "result-status" }, "error"), " ", el("strong", { id: "result-error-kind" }, title)),
    meta,
    el("p", { id: "result-error" }, e.connectorMessage || e.message),
    e.retryAfterMs ? el("p", { class: "muted" }, `retry after ${e.retryAfterMs} ms`) : null,
    e.pointer ? el("p", { class: "muted" }, `at ${e.pointer}`) : null);
}

export async function renderOperation(main, name, opId) {
  const [c, { connections }] = await Promise.all([
    api("GET", `/api/connectors/${enc(name)}`),
    api("GET", "/api/connections"),
  ]);
  const op = (c.operations || []).find((o) => o.id === opId);
  if (!op) throw new Error(`${name} has no operation ${opId}`);
  const mine = connections.filter((x) => x.connector === name);
  const picker = el("select", { id: "connection" },
    el("option", { value: "" }, c.service.connectionParameters.length ? "(no connection)" : "(none needed)"),
    mine.map((x, i) => el("option", { value: x.name, selected: i === 0 }, `${x.name} (${x.source})`)));
  const resultSlot = el("div", { id: "result-slot" });
  const kind = op.kind === "action" ? "action" : op.kind === "polling-trigger" ? "poll" : null;

  const form = buildForm(op.inputSchema, {
    dynamicProperties: op.dynamicValues || [],
    dynamic: async (property) => {
      let input = {};
      try { input = form.collect(); } catch { input = {}; }
      const r = await api("POST", `/api/connectors/${enc(name)}/operations/${enc(opId)}/dynamic-values`,
        { connection: picker.value || null, property, input });
      if (!r.ok) throw new Error(r.error.message);
      return r.values;
    },
  });
  const stateArea = kind === "poll" ? el("textarea", { id: "poll-state", rows: 2, class: "json", placeholder: "state (JSON; empty for a first poll)" }) : null;
  const run = el("button", { type: "submit", class: "primary", id: "run" }, kind === "poll" ? "Poll once" : "Run");
  const formNode = el("form", { id: "operation-form", novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    let input;
    try { input = form.collect(); } catch (err) {
      if (err.errors) { mount(resultSlot, el("p", { class: "error", id: "form-error" }, "Fix the marked fields.")); return; }
      throw err;
    }
    const request = { connection: picker.value || null, input };
    if (stateArea && stateArea.value.trim()) {
      try { request.state = JSON.parse(stateArea.value); } catch (err) {
        mount(resultSlot, el("p", { class: "error" }, `The state is not JSON: ${err.message}`)); return;
      }
    }
    run.disabled = true;
    mount(resultSlot, el("p", { class: "muted" }, "Running…"));
    try {
      const r = await api("POST", `/api/connectors/${enc(name)}/operations/${enc(opId)}/${kind === "poll" ? "poll" : "invoke"}`, request);
      if (!r.ok && r.error.pointer !== undefined) form.showErrors([{ pointer: r.error.pointer, message: r.error.message.replace(/^invalid input at \S+: /, "") }]);
      mount(resultSlot, resultView(op.kind === "action" ? "action" : "poll", r));
    } catch (err) {
      if (err instanceof ApiError && err.pointer) form.showErrors([{ pointer: err.pointer.replace(/^\/input/, ""), message: err.message }]);
      mount(resultSlot, el("p", { class: "error", role: "alert" }, String(err.message || err)));
    } finally { run.disabled = false; }
  } },
  form.node,
  stateArea ? el("div", { class: "field" }, el("label", { for: "poll-state" }, "State"), stateArea) : null,
  el("div", { class: "field" }, el("label", { for: "connection" }, "Connection"), picker),
  kind ? el("div", { class: "actions" }, run) : el("p", { class: "muted" }, "A push trigger runs when its events arrive; it cannot be run from here."));

  const step = stepName(op);
  const tokens = outputTokens(op.outputSchema, step);
  const head = el("div", { class: "card connector-head" },
    el("h1", {}, op.summary || op.id),
    el("div", { class: "meta" }, `${c.service.displayName} · ${op.id} · ${op.kind} · ${op.visibility}`),
    el("p", {}, op.description || ""));
  head.style.borderTopColor = safeColor(c.service.brandColor);
  mount(main,
    el("p", {}, el("a", { href: `#/c/${enc(name)}` }, `← ${c.service.displayName || name}`)),
    head,
    el("div", { class: "columns" },
      el("section", { class: "card" }, el("h2", {}, "Input"), formNode, resultSlot),
      el("section", { class: "card" }, el("h2", {}, "Output tokens"),
        el("p", { class: "muted small" }, `What a later step may use when this step is named ${step}.`),
        el("table", { class: "tokens", id: "tokens" },
          el("thead", {}, el("tr", {}, el("th", {}, "token"), el("th", {}, "type"), el("th", {}, "description"))),
          el("tbody", {}, tokens.map((t) => el("tr", {}, el("td", {}, el("code", {}, t.expr)), el("td", {}, t.type), el("td", {}, t.description))))))));
}
