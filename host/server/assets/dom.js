// Building DOM nodes without innerHTML: every text a connector wrote goes
// in as text, never as markup.

/** el("div", {class: "x", onclick: f}, child, "text", ...) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces the children of `node`. */
export function mount(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
}

/** A colour the connector gave, if it is #rrggbb (anything else is ignored). */
export function safeColor(color) {
  return /^#[0-9a-fA-F]{6}$/.test(color || "") ? color : "#6b7280";
}

/** An icon: a data: image the connector gave, or its initials. */
export function icon(service, size = 40) {
  const uri = service.iconUri || "";
  if (/^data:image\/(svg\+xml|png|jpeg|gif|webp)[;,]/.test(uri)) {
    return el("img", { class: "icon", src: uri, alt: "", width: size, height: size });
  }
  const initials = (service.displayName || service.id || "?").split(/\s+/).map((w) => w[0]).join("").slice(0, 2);
  const node = el("span", { class: "icon initials" }, initials.toUpperCase());
  node.style.backgroundColor = safeColor(service.brandColor);
  return node;
}

/** Pretty JSON text. */
export function pretty(value) {
  return JSON.stringify(value, null, 2);
}
