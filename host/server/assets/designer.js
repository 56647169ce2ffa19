// The workflow designer: the project's workflows, and one workflow as its
// trigger and its actions in order (each runs after the one before it),
// each action a connector operation whose inputs are drawn from its input
// schema (steps.js). Save PUTs the workflow.json (the server checks it and
// loads it at once; every problem it finds is shown beside its field);
// Start runs it now with a trigger body and opens the run in the monitor.

import { api, enc, ApiError } from "./api.js";
import { el, mount } from "./dom.js";
import { connectorStep, jsonStep } from "./steps.js";

const WORKFLOW_NAME = /^[A-Za-z0-9_-]{1,80}$/;

function when(ms) {
  return ms ? new Date(ms).toLocaleString() : "—";
}

function pill(status) {
  const ok = status === "Succeeded";
  const bad = ["Failed", "Cancelled", "TimedOut"].includes(status);
  return el("span", { class: `pill ${ok ? "ok" : bad ? "bad" : "wait"}` }, status);
}

export async function renderWorkflows(main) {
  const { workflows } = await api("GET", "/api/workflows");
  const nameInput = el("input", { type: "text", id: "new-workflow-name", placeholder: "new-workflow", spellcheck: "false" });
  const error = el("div", { class: "field-error", role: "alert" });
  mount(main,
    el("h1", {}, "Workflows"),
    el("section", { class: "card" },
      el("table", { id: "workflows" },
        el("thead", {}, el("tr", {}, ["workflow", "trigger", "enabled", "last run"].map((h) => el("th", {}, h)))),
        el("tbody", {}, workflows.map((w) => el("tr", { dataset: { workflow: w.name } },
          el("td", {}, el("a", { href: `#/workflows/${enc(w.name)}` }, w.name)),
          el("td", {}, `${w.trigger} (${w.triggerKind})`),
          el("td", {}, w.enabled ? "yes" : "no"),
          el("td", {}, w.lastRun ? [pill(w.lastRun.status), " ", el("a", { href: `#/runs/${enc(w.lastRun.id)}` }, when(w.lastRun.createdAt))] : "—")))))),
    el("form", { class: "card", id: "new-workflow", onsubmit: (e) => {
      e.preventDefault();
      const name = nameInput.value.trim();
      if (!WORKFLOW_NAME.test(name)) { error.textContent = "1 to 80 letters, digits, - or _"; return; }
      if (workflows.some((w) => w.name === name)) { error.textContent = "a workflow of that name exists"; return; }
      location.hash = `#/workflows/${enc(name)}/new`;
    } },
    el("h2", {}, "New workflow"),
    el("div", { class: "row" }, nameInput, el("button", { type: "submit", class: "primary", id: "create-workflow" }, "Create")), error));
}

/** The actions in the order they run: each after those its runAfter names. */
function ordered(actions) {
  const names = Object.keys(actions || {});
  const placed = [];
  const done = new Set();
  for (let guard = 0; guard < names.length + 1 && placed.length < names.length; guard++) {
    for (const n of names) {
      if (done.has(n)) continue;
      const after = Object.keys(actions[n].runAfter || {});
      if (after.every((a) => done.has(a) || !names.includes(a))) { placed.push(n); done.add(n); }
    }
  }
  for (const n of names) if (!done.has(n)) placed.push(n);
  return placed;
}

function isChain(actions, order) {
  return order.every((n, i) => {
    const after = Object.keys(actions[n].runAfter || {});
    return i === 0 ? after.length === 0 : after.length === 1 && after[0] === order[i - 1];
  });
}

export async function renderDesigner(main, name, isNew) {
  const [{ connections }, loaded] = await Promise.all([
    api("GET", "/api/project"),
    isNew ? Promise.resolve(null) : api("GET", `/api/workflows/${enc(name)}`),
  ]);
  const doc = loaded ? loaded.workflow : { definition: { triggers: { manual: { type: "Request", kind: "Http", inputs: { schema: {} } } }, actions: {} }, kind: "Stateful" };
  const def = doc.definition || doc;
  const operationsCache = new Map();
  const ctx = {
    connections,
    steps: [],
    operations: (connector) => {
      if (!operationsCache.has(connector)) operationsCache.set(connector, api("GET", `/api/connectors/${enc(connector)}`).then((c) => c.operations || []));
      return operationsCache.get(connector);
    },
    triggerSchema: () => {
      try { const t = JSON.parse(triggerArea.value); const only = Object.values(t)[0]; return only && only.inputs && only.inputs.schema; } catch { return null; }
    },
    changed: () => ctx.steps.forEach((s) => s.refreshTokens()),
  };
  const order = ordered(def.actions);
  let chain = isChain(def.actions || {}, order);
  const originalRunAfter = Object.fromEntries(order.map((n) => [n, def.actions[n].runAfter || {}]));

  const triggerArea = el("textarea", { id: "trigger-json", class: "json", rows: 6, spellcheck: "false" }, JSON.stringify(def.triggers || {}, null, 2));
  const triggerError = el("div", { class: "field-error", role: "alert", id: "trigger-error" });
  const list = el("ol", { class: "steps", id: "steps" });
  const messages = el("div", { id: "designer-messages", role: "status" });
  const bodyArea = el("textarea", { id: "start-body", class: "json", rows: 3, spellcheck: "false", placeholder: "trigger body (JSON)" }, "{}");

  function drawSteps() {
    list.replaceChildren(...ctx.steps.map((s, i) => {
      const controls = el("div", { class: "step-controls" },
        el("button", { type: "button", class: "small", disabled: i === 0, onclick: () => move(i, -1), "aria-label": "move up" }, "↑"),
        el("button", { type: "button", class: "small", disabled: i === ctx.steps.length - 1, onclick: () => move(i, 1), "aria-label": "move down" }, "↓"),
        el("button", { type: "button", class: "small remove-step", onclick: () => { ctx.steps.splice(i, 1); chain = true; drawSteps(); ctx.changed(); } }, "Remove"));
      return el("li", { class: "card step", dataset: { index: String(i) } },
        el("div", { class: "step-head" }, el("span", { class: "step-number" }, `${i + 1}`), s.nameInput, controls),
        el("p", { class: "muted small" }, i === 0 ? "runs first, after the trigger" : `runs after ${ctx.steps[i - 1].name() || "the step above"} succeeds`),
        s.body);
    }));
  }
  function move(i, by) {
    const [s] = ctx.steps.splice(i, 1);
    ctx.steps.splice(i + by, 0, s);
    chain = true;
    drawSteps();
    ctx.changed();
  }
  async function addStep(initial) {
    const s = initial && initial.action.type !== "ServiceProvider" ? jsonStep(ctx, initial) : connectorStep(ctx, initial);
    ctx.steps.push(s);
    // A new step joins the chain: the designer's order is the run order.
    if (!initial) chain = true;
    await s.ready();
    drawSteps();
    ctx.changed();
  }

  function collect() {
    triggerError.textContent = "";
    let triggers;
    try { triggers = JSON.parse(triggerArea.value); } catch (e) { triggerError.textContent = `not JSON: ${e.message}`; throw e; }
    const actions = {};
    const errors = [];
    ctx.steps.forEach((s, i) => {
      try {
        const a = s.toAction();
        a.runAfter = chain ? (i === 0 ? {} : { [ctx.steps[i - 1].name()]: ["Succeeded"] }) : (originalRunAfter[s.name()] || {});
        actions[s.name()] = a;
      } catch (e) { errors.push(e); }
    });
    if (errors.length) throw Object.assign(new Error("Fix the marked fields."), { errors });
    const out = { ...doc, definition: { ...def, triggers, actions } };
    if (!out.kind) out.kind = "Stateful";
    return out;
  }

  function showProblems(problems) {
    const general = [];
    for (const p of problems) {
      const m = /^\/definition\/actions\/([^/]+)(.*)$/.exec(p.pointer || "");
      const step = m && ctx.steps.find((s) => s.name() === m[1].replace(/~1/g, "/").replace(/~0/g, "~"));
      if (step) { step.showProblem(m[2], p.message); continue; }
      if ((p.pointer || "").startsWith("/definition/triggers")) { triggerError.textContent += `${p.pointer}: ${p.message} `; continue; }
      general.push(p);
    }
    mount(messages, el("div", { class: "error", id: "save-error", role: "alert" },
      el("p", {}, `Not saved: ${problems.length} problem(s).`),
      general.length ? el("ul", {}, general.map((p) => el("li", {}, `line ${p.line}: ${p.pointer || "(top)"}: ${p.message}`))) : null));
  }

  async function save() {
    ctx.steps.forEach((s) => s.clearErrors());
    let body;
    try { body = collect(); } catch (e) {
      mount(messages, el("p", { class: "error", id: "save-error", role: "alert" }, e.message || "Fix the marked fields."));
      return false;
    }
    try {
      const r = await api("PUT", `/api/workflows/${enc(name)}`, body);
      mount(messages, el("p", { class: "ok-text", id: "save-ok" }, r.created ? "Created and loaded: it runs now." : "Saved and loaded: new runs use it."));
      if (isNew) { isNew = false; history.replaceState(null, "", `#/workflows/${enc(name)}`); }
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && e.problems) { showProblems(e.problems); return false; }
      mount(messages, el("p", { class: "error", id: "save-error", role: "alert" }, String(e.message || e)));
      return false;
    }
  }

  async function start() {
    let triggerBody;
    try { triggerBody = bodyArea.value.trim() ? JSON.parse(bodyArea.value) : null; } catch (e) {
      mount(messages, el("p", { class: "error", role: "alert" }, `The trigger body is not JSON: ${e.message}`)); return;
    }
    if (isNew && !(await save())) return;
    try {
      const r = await api("POST", `/api/workflows/${enc(name)}/run`, { body: triggerBody });
      location.hash = `#/runs/${enc(r.runId)}`;
    } catch (e) {
      mount(messages, el("p", { class: "error", role: "alert" }, String(e.message || e)));
    }
  }

  const toggle = loaded ? el("button", { type: "button", id: "toggle-enabled", onclick: async () => {
    await api("POST", `/api/workflows/${enc(name)}/${loaded.enabled ? "disable" : "enable"}`);
    loaded.enabled = !loaded.enabled;
    toggle.textContent = loaded.enabled ? "Disable" : "Enable";
    mount(messages, el("p", {}, loaded.enabled ? "Enabled: its trigger starts runs." : "Disabled: its trigger starts nothing."));
  } }, loaded.enabled ? "Disable" : "Enable") : null;

  mount(main,
    el("p", {}, el("a", { href: "#/workflows" }, "← Workflows")),
    el("h1", {}, name, isNew ? el("span", { class: "badge" }, "new") : null),
    el("section", { class: "card" }, el("h2", {}, "Trigger"),
      el("p", { class: "muted small" }, "The workflow's trigger as WDL JSON (a Request trigger's inputs.schema gives the tokens of its body)."),
      triggerArea, triggerError),
    el("h2", {}, "Actions"),
    list,
    el("div", { class: "actions" }, el("button", { type: "button", id: "add-step", onclick: () => addStep() }, "Add a step")),
    el("section", { class: "card sticky" },
      el("div", { class: "row" },
        el("button", { type: "button", class: "primary", id: "save", onclick: save }, "Save"),
        toggle,
        el("div", { class: "grow" }, bodyArea),
        el("button", { type: "button", id: "start", onclick: start }, "Start")),
      messages));
  for (const n of order) await addStep({ name: n, action: def.actions[n] });
  drawSteps();
}
