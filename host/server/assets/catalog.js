// The catalog: a card per connector, and a connector's operations grouped
// by visibility (important first, advanced behind a toggle, internal hidden).

import { api, enc } from "./api.js";
import { el, icon, mount, safeColor } from "./dom.js";

export async function renderCatalog(main) {
  const { connectors } = await api("GET", "/api/connectors");
  const cards = connectors.map((c) => {
    if (!c.loaded) {
      return el("article", { class: "card connector failed", dataset: { connector: c.name } },
        el("h2", {}, c.name), el("p", { class: "error" }, "Could not be loaded: ", c.error));
    }
    const s = c.service;
    const card = el("a", { class: "card connector", href: `#/c/${enc(c.name)}`, dataset: { connector: c.name } },
      el("div", { class: "card-head" }, icon(s), el("div", {},
        el("h2", {}, s.displayName || s.id),
        el("div", { class: "meta" }, `v${s.version}`, " · ", `contract ${c.contract}`, " · ", c.name))),
      el("p", {}, s.description || ""),
      el("div", { class: "meta" }, `${c.actions} action${c.actions === 1 ? "" : "s"}, ${c.triggers} trigger${c.triggers === 1 ? "" : "s"}`));
    card.style.borderTopColor = safeColor(s.brandColor);
    return card;
  });
  mount(main,
    el("h1", {}, "Connectors"),
    connectors.length ? el("div", { class: "grid", id: "catalog" }, cards)
      : el("p", { class: "muted" }, "No connectors are configured: add [[connector]] tables to host.toml."));
}

function operationRow(name, op) {
  const kind = { "action": "action", "polling-trigger": "polling trigger", "push-trigger": "push trigger" }[op.kind] || op.kind;
  return el("li", { class: "operation" },
    el("a", { href: `#/c/${enc(name)}/op/${enc(op.id)}`, dataset: { operation: op.id } }, op.summary || op.id),
    el("span", { class: `badge ${op.kind}` }, kind),
    el("div", { class: "muted small" }, op.description || ""));
}

export async function renderConnector(main, name) {
  const c = await api("GET", `/api/connectors/${enc(name)}`);
  if (!c.loaded) {
    mount(main, el("div", { class: "card error-box" }, el("h1", {}, name), el("p", {}, c.error)));
    return;
  }
  const s = c.service;
  const important = c.operations.filter((o) => o.visibility === "important");
  const advanced = c.operations.filter((o) => o.visibility === "advanced");
  const advancedList = el("ul", { class: "operations", id: "advanced", hidden: true }, advanced.map((o) => operationRow(name, o)));
  const toggle = el("button", { type: "button", class: "link", id: "toggle-advanced",
    onclick: () => { advancedList.hidden = !advancedList.hidden; toggle.textContent = advancedList.hidden ? `Show ${advanced.length} advanced` : "Hide advanced"; } },
  `Show ${advanced.length} advanced`);
  const head = el("div", { class: "card connector-head" },
    el("div", { class: "card-head" }, icon(s, 48), el("div", {},
      el("h1", {}, s.displayName || s.id),
      el("div", { class: "meta" }, `${s.id} v${s.version} · contract ${c.contract}`))),
    el("p", {}, s.description || ""));
  head.style.borderTopColor = safeColor(s.brandColor);
  mount(main,
    el("p", {}, el("a", { href: "#/" }, "← Catalog")),
    head,
    el("h2", {}, "Operations"),
    el("ul", { class: "operations", id: "important" }, important.map((o) => operationRow(name, o))),
    advanced.length ? [toggle, advancedList] : null);
}
