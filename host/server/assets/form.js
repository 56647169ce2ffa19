// A form generated from a JSON Schema: strings (enums as selects, formats
// such as date-time), numbers with bounds, booleans, nested objects,
// arrays of items, required marks, defaults, descriptions as help. Each
// field knows its JSON pointer, so an error the host reports at a pointer
// is shown beside the field it belongs to.

import { el } from "./dom.js";

const MAX_DEPTH = 8;

function typeOf(schema) {
  if (!schema || typeof schema !== "object") return "any";
  let t = schema.type;
  if (Array.isArray(t)) t = t.find((x) => x !== "null") || "null";
  if (t) return t;
  if (schema.enum) return "enum";
  if (schema.properties) return "object";
  return "any";
}

function idFor(pointer) {
  return "field" + (pointer === "" ? "-root" : pointer.replace(/[^A-Za-z0-9]/g, "_"));
}

function escapePointer(name) {
  return String(name).replace(/~/g, "~0").replace(/\//g, "~1");
}

class FieldError extends Error {
  constructor(pointer, message) { super(message); this.pointer = pointer; }
}

/** datetime-local text (no zone) <-> RFC 3339 in UTC. */
function toRfc3339(local) {
  if (!local) return "";
  return (local.length === 16 ? local + ":00" : local) + "Z";
}
function fromRfc3339(text) {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?)/.exec(text || "");
  return m ? m[1] : "";
}

/**
 * Builds the form of `schema`. `options.dynamic(name)` (optional) loads the
 * choices of a top-level property listed in `options.dynamicProperties`.
 * Returns {node, collect(), showErrors(errors), clearErrors()}.
 */
export function buildForm(schema, options = {}) {
  const fields = new Map(); // pointer -> {wrapper, error}

  function wrap(pointer, label, required, help, control, inline = false) {
    const error = el("div", { class: "field-error", role: "alert", dataset: { errorFor: pointer } });
    const labelNode = label === null ? null : el("label", { for: idFor(pointer) }, label,
      required ? el("span", { class: "required", title: "required", "aria-hidden": "true" }, " *") : null);
    const wrapper = el("div", { class: "field" + (inline ? " inline" : ""), dataset: { pointer } },
      inline ? [control, labelNode] : [labelNode, control],
      help ? el("small", { class: "help" }, help) : null, error);
    fields.set(pointer, { wrapper, error });
    return wrapper;
  }

  // Each builder returns {node, get}: get() gives undefined for "leave it
  // out", or throws FieldError.
  function field(s, pointer, label, required, depth, top) {
    s = s && typeof s === "object" ? s : {};
    const help = s.description || "";
    const title = s.title || label;
    const id = idFor(pointer);
    const t = s.enum ? "enum" : typeOf(s);
    const hasDefault = Object.prototype.hasOwnProperty.call(s, "default");

    if (top && options.dynamicProperties && options.dynamicProperties.includes(label) && options.dynamic) {
      const select = el("select", { id, "aria-required": required ? "true" : null }, el("option", { value: "" }, "(load the choices)"));
      let choices = [];
      const load = el("button", { type: "button", class: "small", onclick: async () => {
        load.disabled = true;
        try {
          choices = await options.dynamic(label);
          select.replaceChildren(el("option", { value: "" }, required ? "(pick one)" : "(none)"),
            ...choices.map((c, i) => el("option", { value: String(i) }, c.title)));
        } catch (e) {
          fields.get(pointer).error.textContent = String(e.message || e);
        } finally { load.disabled = false; }
      } }, "Load choices");
      const node = wrap(pointer, title, required, help, el("div", { class: "row" }, select, load));
      return { node, get: () => {
        if (select.value === "") {
          if (required) throw new FieldError(pointer, "pick a value");
          return undefined;
        }
        return choices[Number(select.value)].value;
      } };
    }

    if (t === "enum") {
      const values = s.enum;
      const select = el("select", { id, "aria-required": required ? "true" : null },
        !required && !hasDefault ? el("option", { value: "" }, "(none)") : null,
        values.map((v, i) => el("option", { value: String(i), selected: hasDefault && JSON.stringify(v) === JSON.stringify(s.default) }, typeof v === "string" ? v : JSON.stringify(v))));
      return { node: wrap(pointer, title, required, help, select), get: () => (select.value === "" ? undefined : values[Number(select.value)]) };
    }

    if (t === "string") {
      const format = s.format;
      let control;
      let read;
      if (format === "date-time") {
        control = el("input", { id, type: "datetime-local", step: "1", value: hasDefault ? fromRfc3339(s.default) : "" });
        read = () => toRfc3339(control.value);
      } else if (format === "date") {
        control = el("input", { id, type: "date", value: hasDefault ? s.default : "" });
        read = () => control.value;
      } else {
        const short = typeof s.maxLength === "number" && s.maxLength <= 80;
        const type = format === "email" ? "email" : format === "uri" ? "url" : "text";
        control = short || format
          ? el("input", { id, type, maxlength: s.maxLength, spellcheck: "false" })
          : el("textarea", { id, rows: 2, spellcheck: "false" });
        if (hasDefault) control.value = String(s.default);
        read = () => control.value;
      }
      control.setAttribute("aria-required", required ? "true" : "false");
      const note = format === "date-time" ? " (UTC)" : "";
      return { node: wrap(pointer, title + note, required, help, control), get: () => {
        const v = read();
        if (v === "" && !required) return undefined;
        return v;
      } };
    }

    if (t === "integer" || t === "number") {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum : undefined);
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum : undefined);
      const input = el("input", { id, type: "number", inputmode: t === "integer" ? "numeric" : "decimal",
        step: t === "integer" ? "1" : "any", min, max, value: hasDefault ? s.default : "",
        "aria-required": required ? "true" : "false" });
      const bounds = [min !== undefined ? `≥ ${min}` : null, max !== undefined ? `≤ ${max}` : null].filter(Boolean).join(", ");
      return { node: wrap(pointer, title, required, [help, bounds].filter(Boolean).join(" "), input), get: () => {
        if (input.value === "") {
          if (required) throw new FieldError(pointer, "a number is required");
          return undefined;
        }
        const n = Number(input.value);
        if (!Number.isFinite(n)) throw new FieldError(pointer, "not a number");
        if (t === "integer" && !Number.isInteger(n)) throw new FieldError(pointer, "a whole number is required");
        return n;
      } };
    }

    if (t === "boolean") {
      if (required || hasDefault) {
        const box = el("input", { id, type: "checkbox", checked: hasDefault ? !!s.default : false });
        return { node: wrap(pointer, title, required, help, box, true), get: () => box.checked };
      }
      const select = el("select", { id }, el("option", { value: "" }, "(unset)"), el("option", { value: "true" }, "true"), el("option", { value: "false" }, "false"));
      return { node: wrap(pointer, title, required, help, select), get: () => (select.value === "" ? undefined : select.value === "true") };
    }

    if (t === "object" && s.properties && depth < MAX_DEPTH) {
      const req = new Set(Array.isArray(s.required) ? s.required : []);
      // Required properties first. (The host hands schemas over as JSON
      // objects whose keys are sorted, so the author's order is not known.)
      const entries = Object.entries(s.properties);
      entries.sort(([a], [b]) => Number(req.has(b)) - Number(req.has(a)));
      const children = entries.map(([name, sub]) =>
        [name, field(sub, `${pointer}/${escapePointer(name)}`, name, req.has(name), depth + 1, depth === 0)]);
      const body = el("div", { class: depth === 0 ? "fields" : "fields nested" }, children.map(([, c]) => c.node));
      const node = depth === 0 ? wrap(pointer, null, false, "", body)
        : wrap(pointer, title, required, help, el("fieldset", {}, body));
      return { node, get: () => {
        const out = {};
        const errors = [];
        for (const [name, c] of children) {
          try {
            const v = c.get();
            if (v !== undefined) out[name] = v;
          } catch (e) { if (e instanceof FieldError || e.errors) errors.push(e); else throw e; }
        }
        if (errors.length) { const e = new Error("invalid"); e.errors = errors.flatMap((x) => x.errors || [x]); throw e; }
        if (!required && depth > 0 && Object.keys(out).length === 0) return undefined;
        return out;
      } };
    }

    if (t === "array" && s.items && typeof s.items === "object" && ["string", "integer", "number", "boolean", "object", "enum"].includes(s.items.enum ? "enum" : typeOf(s.items)) && depth < MAX_DEPTH) {
      const list = el("ol", { class: "array-items" });
      const items = [];
      let next = 0;
      const add = (initial) => {
        const index = next++;
        const entry = { f: field(s.items, `${pointer}/${index}`, `item ${index + 1}`, true, depth + 1, false) };
        const remove = el("button", { type: "button", class: "small", onclick: () => { items.splice(items.indexOf(entry), 1); entry.li.remove(); } }, "Remove");
        entry.li = el("li", {}, entry.f.node, remove);
        items.push(entry);
        list.append(entry.li);
        if (initial !== undefined) { /* defaults of arrays are shown as help */ }
      };
      const addButton = el("button", { type: "button", class: "small", id: `${id}-add`, onclick: () => add() }, "Add item");
      const extra = [help, hasDefault ? `default ${JSON.stringify(s.default)}` : "", s.minItems ? `at least ${s.minItems}` : "", s.maxItems ? `at most ${s.maxItems}` : ""].filter(Boolean).join("; ");
      const node = wrap(pointer, title, required, extra, el("div", { class: "array", id }, list, addButton));
      return { node, get: () => {
        if (items.length === 0) return required ? [] : undefined;
        const out = [];
        const errors = [];
        for (const it of items) {
          try { out.push(it.f.get()); } catch (e) { errors.push(...(e.errors || [e])); }
        }
        if (errors.length) { const e = new Error("invalid"); e.errors = errors; throw e; }
        return out;
      } };
    }

    // Anything else (no type, free-form objects, mixed arrays): JSON text.
    const area = el("textarea", { id, rows: 3, class: "json", spellcheck: "false", placeholder: "JSON" });
    if (hasDefault) area.value = JSON.stringify(s.default, null, 2);
    return { node: wrap(pointer, title + " (JSON)", required, help, area), get: () => {
      if (area.value.trim() === "") {
        if (required) throw new FieldError(pointer, "a JSON value is required");
        return undefined;
      }
      try { return JSON.parse(area.value); } catch (e) { throw new FieldError(pointer, `not JSON: ${e.message}`); }
    } };
  }

  const root = field(schema, "", "input", true, 0, false);

  function clearErrors() {
    for (const { wrapper, error } of fields.values()) {
      error.textContent = "";
      wrapper.classList.remove("invalid");
    }
  }

  /** Shows each {pointer, message} beside its field (or the nearest parent). */
  function showErrors(errors) {
    const unplaced = [];
    for (let { pointer, message } of errors) {
      pointer = pointer === "/" ? "" : pointer || "";
      // "x" is a required property, reported at the parent: show it at x.
      const missing = /"([^"]+)" is a required property/.exec(message || "");
      if (missing && fields.has(`${pointer}/${escapePointer(missing[1])}`)) pointer = `${pointer}/${escapePointer(missing[1])}`;
      let p = pointer;
      while (!fields.has(p) && p !== "") p = p.slice(0, p.lastIndexOf("/"));
      const f = fields.get(p);
      if (!f || p === "") { unplaced.push(message); continue; }
      f.error.textContent = message;
      f.wrapper.classList.add("invalid");
    }
    return unplaced;
  }

  /** The input, or throws {errors: [{pointer, message}]}. */
  function collect() {
    clearErrors();
    try {
      return root.get();
    } catch (e) {
      if (e instanceof FieldError) e.errors = [e];
      if (!e.errors) throw e;
      showErrors(e.errors.map((x) => ({ pointer: x.pointer, message: x.message })));
      throw e;
    }
  }

  return { node: root.node, collect, showErrors, clearErrors };
}

/** The tokens a later step may use for each field of an output schema. */
export function outputTokens(schema, step) {
  const out = [];
  const walk = (s, expr, name, depth) => {
    if (!s || typeof s !== "object" || depth > 5) return;
    out.push({ expr, name, type: Array.isArray(s.type) ? s.type.join(" | ") : (s.type || "any"), description: s.description || "" });
    if (s.properties && typeof s.properties === "object") {
      for (const [k, sub] of Object.entries(s.properties)) {
        walk(sub, `${expr}?['${k.replace(/'/g, "''")}']`, k, depth + 1);
      }
    }
  };
  walk(schema, `body('${step.replace(/'/g, "''")}')`, "body", 0);
  return out;
}
