// One step of the designer: a connector operation called through a project
// connection, each top-level input either a value (a field the form
// generator draws from the operation's input schema), a token (an earlier
// step's output, or the trigger's body) or JSON. A step that is not a
// connector call (If, Foreach, Compose, ...) is kept as its JSON, so that
// nothing of a loaded workflow is lost.

import { el } from "./dom.js";
import { buildForm, outputTokens } from "./form.js";

const NAME = /^[A-Za-z0-9_]{1,80}$/;

function escapePointer(name) {
  return String(name).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** A copy of `schema` whose defaults are `value`: how a saved literal is shown in its field. */
function withValue(schema, value) {
  const s = { ...(schema || {}) };
  if (value === undefined) return s;
  if (s.properties && value && typeof value === "object" && !Array.isArray(value)) {
    s.properties = Object.fromEntries(Object.entries(s.properties).map(([k, sub]) => [k, withValue(sub, value[k])]));
  } else {
    s.default = value;
  }
  return s;
}

function isExpression(v) {
  return typeof v === "string" && ((v.startsWith("@") && !v.startsWith("@@")) || v.includes("@{"));
}

function hasExpression(v) {
  if (isExpression(v)) return true;
  if (Array.isArray(v)) return v.some(hasExpression);
  if (v && typeof v === "object") return Object.values(v).some(hasExpression);
  return false;
}

/** The tokens a step may use: the trigger's body (and its fields) and every earlier step's outputs. */
export function tokensBefore(ctx, index) {
  const out = [{ expr: "triggerBody()", label: "trigger body" }];
  const schema = ctx.triggerSchema();
  for (const k of Object.keys((schema && schema.properties) || {})) {
    out.push({ expr: `triggerBody()?['${k.replace(/'/g, "''")}']`, label: `trigger body › ${k}` });
  }
  ctx.steps.slice(0, index).forEach((s) => {
    const schema = s.outputSchema();
    const name = s.name();
    if (!name) return;
    const tokens = schema ? outputTokens(schema, name) : [{ expr: `body('${name}')`, name: "body" }];
    for (const t of tokens) out.push({ expr: t.expr, label: `${name} › ${t.name}` });
  });
  return out;
}

/**
 * A connector step. `ctx` gives {connections, operations(connector), steps,
 * triggerSchema(), changed()}; `initial` is {name, action} from a loaded
 * workflow, or undefined for a new step.
 */
export function connectorStep(ctx, initial) {
  const action = (initial && initial.action) || {};
  const cfg = (action.inputs && action.inputs.serviceProviderConfiguration) || {};
  const saved = (action.inputs && action.inputs.parameters) || {};
  const nameInput = el("input", { type: "text", class: "step-name", value: (initial && initial.name) || "", spellcheck: "false", "aria-label": "step name" });
  const connSelect = el("select", { class: "step-connection", "aria-label": "connection" },
    el("option", { value: "" }, "(pick a connection)"),
    ctx.connections.map((c) => el("option", { value: c.name, selected: c.name === cfg.connectionName }, `${c.name}${c.displayName ? ` — ${c.displayName}` : ""}`)));
  const opSelect = el("select", { class: "step-operation", "aria-label": "operation" });
  const inputsNode = el("div", { class: "step-inputs" });
  const stepError = el("div", { class: "field-error step-error", role: "alert" });
  let op = null;
  let inputs = []; // {name, mode, form, tokenSelect, json, error, wrapper}
  let first = true;

  const connection = () => ctx.connections.find((c) => c.name === connSelect.value);

  async function loadOperations() {
    const c = connection();
    opSelect.replaceChildren(el("option", { value: "" }, "(pick an operation)"));
    op = null;
    if (!c || !c.connector) { drawInputs(); return; }
    const ops = (await ctx.operations(c.connector)).filter((o) => o.kind === "action");
    for (const o of ops) opSelect.append(el("option", { value: o.id, selected: first && o.id === cfg.operationId }, o.summary ? `${o.summary} (${o.id})` : o.id));
    if (opSelect.value) op = ops.find((o) => o.id === opSelect.value);
    drawInputs();
  }

  function drawInputs() {
    const schema = (op && op.inputSchema) || {};
    const required = new Set(schema.required || []);
    const values = first ? saved : {};
    first = false;
    inputs = Object.entries(schema.properties || {}).map(([name, sub]) => {
      const value = values[name];
      const mode = value === undefined ? "value" : isExpression(value) ? "token" : hasExpression(value) || Array.isArray(value) ? "json" : "value";
      return input(name, sub, required.has(name), mode, value);
    });
    inputsNode.replaceChildren(...inputs.map((i) => i.wrapper));
    if (!op) inputsNode.append(el("p", { class: "muted small" }, "Pick a connection and an operation to fill in its inputs."));
  }

  function input(name, sub, required, mode, value) {
    const form = buildForm({ type: "object", properties: { [name]: withValue(sub, mode === "value" ? value : undefined) }, required: required ? [name] : [] });
    const tokenSelect = el("select", { class: "token-pick", "aria-label": `${name} token` });
    const json = el("textarea", { class: "json", rows: 2, "aria-label": `${name} JSON`, placeholder: "JSON (expressions in strings allowed)" });
    if (mode === "json") json.value = JSON.stringify(value, null, 2);
    const error = el("div", { class: "field-error", role: "alert", dataset: { errorFor: `/${escapePointer(name)}` } });
    const modeSelect = el("select", { class: "input-mode small", "aria-label": `${name} is` },
      ["value", "token", "json"].map((m) => el("option", { value: m, selected: m === mode }, m === "value" ? "a value" : m === "token" ? "a token" : "JSON")));
    const body = el("div", { class: "input-body" });
    const entry = { name, required, form, tokenSelect, json, error, modeSelect, saved: mode === "token" ? value : undefined };
    const draw = () => {
      entry.mode = modeSelect.value;
      if (entry.mode === "token") fillTokens(entry);
      body.replaceChildren(entry.mode === "value" ? form.node : entry.mode === "token" ? el("div", { class: "field" }, el("label", {}, name, required ? el("span", { class: "required" }, " *") : null), tokenSelect) : el("div", { class: "field" }, el("label", {}, `${name} (JSON)`), json));
    };
    modeSelect.addEventListener("change", draw);
    entry.wrapper = el("div", { class: "step-input", dataset: { input: name } }, el("div", { class: "input-head" }, modeSelect), body, error);
    draw();
    return entry;
  }

  function fillTokens(entry) {
    const keep = entry.tokenSelect.value || (entry.saved ? entry.saved.replace(/^@/, "") : "");
    const index = ctx.steps.indexOf(api);
    const tokens = tokensBefore(ctx, index < 0 ? ctx.steps.length : index);
    entry.tokenSelect.replaceChildren(el("option", { value: "" }, "(pick a token)"),
      ...tokens.map((t) => el("option", { value: t.expr, selected: t.expr === keep }, `${t.label}  —  @${t.expr}`)));
    if (keep && !tokens.some((t) => t.expr === keep)) entry.tokenSelect.append(el("option", { value: keep, selected: true }, `@${keep}`));
  }

  connSelect.addEventListener("change", () => { loadOperations().catch((e) => { stepError.textContent = String(e.message || e); }); ctx.changed(); });
  opSelect.addEventListener("change", async () => {
    const c = connection();
    const ops = c && c.connector ? await ctx.operations(c.connector) : [];
    op = ops.find((o) => o.id === opSelect.value) || null;
    drawInputs();
    ctx.changed();
  });
  nameInput.addEventListener("change", () => ctx.changed());

  const api = {
    kind: "connector",
    node: null,
    name: () => nameInput.value.trim(),
    ready: () => loadOperations(),
    outputSchema: () => (op ? op.outputSchema : null),
    refreshTokens: () => inputs.filter((i) => i.mode === "token").forEach(fillTokens),
    /** The action's JSON, or throws {errors: [...]} after marking the fields. */
    toAction() {
      const errors = [];
      clearErrors();
      if (!NAME.test(api.name())) { stepError.textContent = "a step name is 1 to 80 letters, digits or _"; errors.push("name"); }
      const c = connection();
      if (!c) { stepError.textContent = "pick a connection"; errors.push("connection"); }
      if (!op) { stepError.textContent = stepError.textContent || "pick an operation"; errors.push("operation"); }
      const parameters = {};
      for (const i of inputs) {
        try {
          if (i.mode === "token") {
            if (i.tokenSelect.value) parameters[i.name] = `@${i.tokenSelect.value}`;
            else if (i.required) throw new Error("pick a token");
          } else if (i.mode === "json") {
            if (i.json.value.trim()) parameters[i.name] = JSON.parse(i.json.value);
            else if (i.required) throw new Error("a JSON value is required");
          } else {
            const v = i.form.collect()[i.name];
            if (v !== undefined) parameters[i.name] = v;
          }
        } catch (e) {
          if (!e.errors) i.error.textContent = String(e.message || e);
          errors.push(i.name);
        }
      }
      if (errors.length) { const e = new Error("invalid step"); e.errors = errors; throw e; }
      const out = {
        type: "ServiceProvider",
        inputs: { parameters, serviceProviderConfiguration: { connectionName: c.name, operationId: op.id, serviceProviderId: c.serviceProviderId } },
      };
      for (const k of ["retryPolicy", "runtimeConfiguration", "timeout", "operationOptions"]) if (action[k] !== undefined) out[k] = action[k];
      return out;
    },
    /** Shows a problem the server found at `rest` (the pointer inside the action). */
    showProblem(rest, message) {
      const m = /^\/inputs\/parameters\/([^/]+)(.*)$/.exec(rest);
      const name = m && m[1].replace(/~1/g, "/").replace(/~0/g, "~");
      const i = m && inputs.find((x) => x.name === name);
      if (i) {
        if (i.mode === "value") i.form.showErrors([{ pointer: `/${m[1]}${m[2]}`, message }]);
        else i.error.textContent = message;
        i.wrapper.classList.add("invalid");
        return;
      }
      stepError.textContent = stepError.textContent ? `${stepError.textContent}; ${message}` : message;
    },
  };
  function clearErrors() {
    stepError.textContent = "";
    for (const i of inputs) { i.error.textContent = ""; i.form.clearErrors(); i.wrapper.classList.remove("invalid"); }
  }
  api.clearErrors = clearErrors;
  api.body = el("div", { class: "step-body" },
    el("div", { class: "row" },
      el("div", { class: "field grow" }, el("label", {}, "Connection"), connSelect),
      el("div", { class: "field grow" }, el("label", {}, "Operation"), opSelect)),
    inputsNode, stepError);
  api.nameInput = nameInput;
  return api;
}

/** A step that is not a connector call, kept and edited as its JSON. */
export function jsonStep(ctx, initial) {
  const nameInput = el("input", { type: "text", class: "step-name", value: initial.name, spellcheck: "false", "aria-label": "step name" });
  const { runAfter, ...rest } = initial.action;
  const area = el("textarea", { class: "json", rows: 8, spellcheck: "false", "aria-label": "action JSON" }, JSON.stringify(rest, null, 2));
  const stepError = el("div", { class: "field-error step-error", role: "alert" });
  const api = {
    kind: "json",
    name: () => nameInput.value.trim(),
    ready: async () => {},
    outputSchema: () => null,
    refreshTokens: () => {},
    clearErrors: () => { stepError.textContent = ""; },
    toAction() {
      stepError.textContent = "";
      if (!NAME.test(api.name())) { stepError.textContent = "a step name is 1 to 80 letters, digits or _"; throw Object.assign(new Error("invalid"), { errors: ["name"] }); }
      try { return JSON.parse(area.value); } catch (e) { stepError.textContent = `not JSON: ${e.message}`; throw Object.assign(new Error("invalid"), { errors: ["json"] }); }
    },
    showProblem(restPointer, message) { stepError.textContent = `${restPointer || "(the step)"}: ${message}`; },
  };
  api.body = el("div", { class: "step-body" }, el("p", { class: "muted small" }, `A ${initial.action.type || "non-connector"} action, edited as JSON.`), area, stepError);
  api.nameInput = nameInput;
  return api;
}
