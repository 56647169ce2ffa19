// Connections: the list (secrets only by name: their values never come
// back), a form generated from a connector's connection parameters with
// secret fields masked, Save and Test connection.

import { api, enc } from "./api.js";
import { el, mount } from "./dom.js";

function testResult(slot, r) {
  mount(slot, r.ok
    ? el("span", { class: "pill ok", role: "status" }, `connection works (${r.durationMs} ms)`)
    : el("span", { class: "pill bad", role: "status" }, `${r.error.kind || r.error.category}${r.error.code ? ` (${r.error.code})` : ""}: ${r.error.connectorMessage || r.error.message}`));
}

function row(conn) {
  const slot = el("span", { class: "test-result" });
  const test = el("button", { type: "button", class: "small", dataset: { test: conn.name }, onclick: async () => {
    mount(slot, "testing…");
    try { testResult(slot, await api("POST", `/api/connections/${enc(conn.name)}/test`)); } catch (e) { mount(slot, el("span", { class: "error" }, e.message)); }
  } }, "Test connection");
  const values = Object.entries(conn.values).map(([k, v]) => `${k}=${v}`);
  const secrets = conn.secrets.map((s) => `${s}=••••`);
  return el("tr", { dataset: { connection: conn.name } },
    el("td", {}, conn.name), el("td", {}, conn.connector), el("td", {}, conn.source === "config" ? "host.toml" : "server"),
    el("td", { class: "mono" }, [...values, ...secrets].join("  ") || "—"),
    el("td", {}, test, " ", slot));
}

function parameterField(p) {
  const id = `param-${p.name}`;
  let input;
  if (p.kind === "boolean") {
    input = el("input", { id, type: "checkbox", name: p.name, checked: p.defaultValue === "true" });
  } else {
    input = el("input", { id, name: p.name, autocomplete: p.kind === "secret" ? "new-password" : "off",
      type: p.kind === "secret" ? "password" : p.kind === "integer" ? "number" : "text",
      step: p.kind === "integer" ? "1" : null, placeholder: p.defaultValue || "" });
  }
  input.dataset.kind = p.kind;
  return el("div", { class: "field", dataset: { pointer: p.name } },
    el("label", { for: id }, p.displayName || p.name, p.required ? el("span", { class: "required" }, " *") : null,
      p.kind === "secret" ? el("span", { class: "muted small" }, " (secret: write-only)") : null),
    input, p.description ? el("small", { class: "help" }, p.description) : null,
    el("div", { class: "field-error", role: "alert" }));
}

export async function renderConnections(main) {
  const [{ connections }, { connectors }] = await Promise.all([api("GET", "/api/connections"), api("GET", "/api/connectors")]);
  const loaded = connectors.filter((c) => c.loaded);
  const paramsSlot = el("div", { id: "params" });
  const message = el("div", { id: "connection-message", role: "status" });
  const connectorSelect = el("select", { id: "new-connector" }, loaded.map((c) => el("option", { value: c.name }, c.service.displayName || c.name)));
  const nameInput = el("input", { id: "new-name", placeholder: "my-connection", autocomplete: "off" });
  const showParams = () => {
    const c = loaded.find((x) => x.name === connectorSelect.value);
    const params = c ? c.service.connectionParameters : [];
    mount(paramsSlot, params.length ? params.map(parameterField) : el("p", { class: "muted" }, "This connector has no connection parameters."));
  };
  connectorSelect.addEventListener("change", showParams);
  const form = el("form", { class: "card", id: "connection-form", onsubmit: async (e) => {
    e.preventDefault();
    const values = {};
    const secrets = {};
    for (const input of paramsSlot.querySelectorAll("input")) {
      const v = input.type === "checkbox" ? String(input.checked) : input.value;
      if (v === "" ) continue;
      (input.dataset.kind === "secret" ? secrets : values)[input.name] = v;
    }
    try {
      await api("POST", "/api/connections", { name: nameInput.value.trim(), connector: connectorSelect.value, values, secrets });
      await renderConnections(main);
      document.getElementById("connection-message").textContent = "Saved.";
    } catch (err) {
      mount(message, el("p", { class: "error" }, err.message));
    }
  } },
  el("h2", {}, "New connection"),
  el("div", { class: "field" }, el("label", { for: "new-connector" }, "Connector"), connectorSelect),
  el("div", { class: "field" }, el("label", { for: "new-name" }, "Name", el("span", { class: "required" }, " *")), nameInput),
  paramsSlot,
  el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", id: "save-connection" }, "Save")),
  message);
  showParams();
  mount(main,
    el("h1", {}, "Connections"),
    el("section", { class: "card" },
      connections.length
        ? el("table", { class: "list", id: "connections" },
          el("thead", {}, el("tr", {}, ["name", "connector", "from", "values", ""].map((h) => el("th", {}, h)))),
          el("tbody", {}, connections.map(row)))
        : el("p", { class: "muted" }, "No connections yet.")),
    loaded.length ? form : null);
}
