// Write connector-host connectors in JavaScript with little boilerplate.
//
// A connector is a `Connector` with operations registered by `action` and
// `pollingTrigger`; each handler takes plain values (the input parsed from
// JSON, with the schema's top-level defaults filled in) and returns plain
// values (the output body, serialized to JSON for you). Errors are thrown:
// `throw ConnectorError.notFound("file-not-found", "...")` gives the caller
// the contract's `connector-error` of that kind.
//
//   import { Connector, ConnectorError } from "./connector-sdk.js";
//
//   const connector = new Connector({ id: "hello", displayName: "Hello", version: "0.1.0" });
//   connector.action({
//     id: "greet",
//     summary: "Greet someone",
//     inputSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
//     outputSchema: { type: "object", properties: { message: { type: "string" } } },
//   }, (ctx, input) => ({ message: `Hello, ${input.name}!` }));
//
//   // componentize-js exports one object per exported interface.
//   export const { provider, trigger } = connector.exports();
//
// Build with `componentize-js app.js --wit wit --world-name connector
// -d http fetch-event -o app.wasm` (the `-d` flags leave out the engine's
// fetch support, so that a connector that makes no HTTP calls imports no
// wasi:http). A connector that calls HTTP APIs uses the engine's `fetch` and
// is built with `-d fetch-event` only: it then imports wasi:http, which the
// host links and checks against the operator's `--allow-http` grants.
// `fetchChecked` and `statusError` below turn fetch's failures and error
// statuses into connector errors.
//
// The additions of contract 0.2.0 (`connector:provider@0.2.0`):
// - call context: an action's or a poll's `ctx` has `runId`, `step`,
//   `attempt`, `idempotencyKey` and `remainingMs` (empty, 1 and `undefined`
//   in calls without one); send `ctx.idempotencyKey` to an API that
//   deduplicates, so that a retried step does not do its work twice;
// - dynamic values: `connector.dynamicValues("op", "property", handler,
//   { dependsOn: [...] })` registers `handler(ctx, input) => [{ value, title }]`
//   for one input property (`input` holds what is filled so far, partial and
//   not checked); the helper writes the keyword `x-dynamic-values`
//   (`{"depends-on": [...]}`) into the property's schema, which is what tells
//   the host to ask;
// - push triggers: `connector.pushTrigger({ id, ..., path }, handler)`
//   registers `handler(ctx, input, event) => [{ id, body }]` for events of
//   the host's webhook (`event.method`, `.path`, `.headers`, `.body` bytes,
//   `.text()`, `.json()`); with `subscribe` and `unsubscribe` in the options
//   the trigger says `needs-subscription`: the host calls `subscribe(ctx,
//   input, callbackUrl)` when the trigger starts and stores what it returns
//   (any JSON value), and `unsubscribe(ctx, input, subscription)` when the
//   trigger is removed.
//
// Handlers may be `async` (or return a promise): componentize-js runs the
// engine's event loop until the promise settles, and a rejection becomes the
// contract's error case like a throw.
//
// What the module does for every connector, so that its author does not:
// - checks the top level of each input against the input schema (an
//   object; required properties present; property types, enums, `minimum`
//   and `maximum`, `minLength`, `maxLength` and `pattern`; no unknown
//   properties when `additionalProperties` is false) and answers
//   `invalid-input` `bad-input` when it does not fit: the host validates
//   inputs fully first, but a connector must not trust that blindly;
// - parses a trigger's state, checks it against `stateSchema` when given,
//   and answers `invalid-input` `bad-state` for a state it cannot read;
// - turns an unexpected exception into an `internal` error (and logs it)
//   instead of a trap, and answers unknown operation ids, properties without
//   dynamic values, and the push-trigger and subscription functions of
//   operations that are not push triggers (or need no subscription), with
//   `invalid-input` errors.

import { log as hostLog } from "connector:provider/log@0.2.0";

/** The keyword that marks an input property with dynamic values. */
export const DYNAMIC_VALUES_KEYWORD = "x-dynamic-values";

const ERROR_KINDS = [
  "invalid-input",
  "unauthorized",
  "forbidden",
  "not-found",
  "conflict",
  "throttled",
  "transient",
  "internal",
];

/** A failure the connector reports: the contract's `connector-error`. */
export class ConnectorError extends Error {
  /**
   * @param {string} kind one of invalid-input, unauthorized, forbidden,
   *   not-found, conflict, throttled, transient, internal
   * @param {string} code short and machine-readable, e.g. `file-not-found`
   * @param {string} message for people; must not contain secrets
   * @param {number} [retryAfterMs] for `throttled`: when to retry
   */
  constructor(kind, code, message, retryAfterMs) {
    super(message);
    if (!ERROR_KINDS.includes(kind)) {
      throw new TypeError(`unknown error kind ${JSON.stringify(kind)}; one of ${ERROR_KINDS.join(", ")}`);
    }
    this.kind = kind;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }

  /** The input (or a trigger's state) is wrong; the same input fails again. */
  static invalidInput(code, message) { return new ConnectorError("invalid-input", code, message); }
  /** The connection's credentials were refused. */
  static unauthorized(code, message) { return new ConnectorError("unauthorized", code, message); }
  /** The credentials are valid but not allowed to do this. */
  static forbidden(code, message) { return new ConnectorError("forbidden", code, message); }
  /** The thing the input names does not exist. */
  static notFound(code, message) { return new ConnectorError("not-found", code, message); }
  /** The request conflicts with the current state. */
  static conflict(code, message) { return new ConnectorError("conflict", code, message); }
  /** The service asks to slow down; retry after `retryAfterMs`. */
  static throttled(code, message, retryAfterMs) {
    return new ConnectorError("throttled", code, message, retryAfterMs);
  }
  /** A passing failure; retrying may succeed. */
  static transient(code, message) { return new ConnectorError("transient", code, message); }
  /** A bug or an unexpected state in the connector or the service. */
  static internal(code, message) { return new ConnectorError("internal", code, message); }

  /** The record the bindings lower into the WIT error case. */
  toRecord() {
    return {
      kind: this.kind,
      code: this.code,
      message: this.message,
      retryAfterMs: this.retryAfterMs === undefined ? undefined : BigInt(this.retryAfterMs),
    };
  }
}

const REPLY = Symbol("reply");

/** An action's answer with a status other than 200; a plain body answers 200. */
export function reply(status, body) {
  return { [REPLY]: true, status, body };
}

/**
 * `fetch(url, init)`, with a failure to get any response as a connector
 * error. The engine's fetch rejects with the same `TypeError: NetworkError`
 * whether the host refused the request (the operator did not grant the
 * origin with `--allow-http`) or the server could not be reached (DNS,
 * connect, TLS, timeout), so the two cannot be told apart here: both are
 * `transient` `fetch-failed` (a retry helps once the server is back or the
 * origin is granted), with a message naming both causes. A response with an
 * error status is returned; see `statusError`.
 */
export async function fetchChecked(url, init = undefined) {
  try {
    return await fetch(url, init);
  } catch (e) {
    const origin = originOf(url);
    throw ConnectorError.transient("fetch-failed",
      `no response from ${origin}: the host refused the request (is ${origin} granted with ` +
      `--allow-http?) or the server could not be reached (${e && e.message || e})`);
  }
}

function originOf(url) {
  try {
    return new URL(String(url)).origin;
  } catch {
    return String(url);
  }
}

/**
 * The connector error of a response's error status, or undefined for a
 * status below 400: 400 and 422 `invalid-input` (`rejected`), 401
 * `unauthorized`, 403 `forbidden`, 404 `not-found` (`notFoundCode`, default
 * `not-found`), 409 `conflict`, 429 `throttled` (with `retry-after`), 5xx
 * `transient` (`server-error`), any other `internal` (`unexpected-status`).
 */
export function statusError(response, notFoundCode = "not-found") {
  const status = response.status;
  if (status < 400) return undefined;
  const message = `${response.url || "the server"} answered ${status}`;
  if (status === 400 || status === 422) return ConnectorError.invalidInput("rejected", message);
  if (status === 401) return ConnectorError.unauthorized("unauthorized", message);
  if (status === 403) return ConnectorError.forbidden("forbidden", message);
  if (status === 404) return ConnectorError.notFound(notFoundCode, message);
  if (status === 409) return ConnectorError.conflict("conflict", message);
  if (status === 429) {
    const seconds = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
    return ConnectorError.throttled("throttled", message, (Number.isFinite(seconds) ? seconds : 1) * 1000);
  }
  if (status >= 500 && status <= 599) return ConnectorError.transient("server-error", message);
  return ConnectorError.internal("unexpected-status", message);
}

/** Structured logging to the host: `log.info("message", { field: value })`. */
export const log = Object.fromEntries(
  ["trace", "debug", "info", "warn", "error"].map((level) => [
    level,
    (message, fields = {}) =>
      hostLog(level, String(message), Object.entries(fields).map(([k, v]) => [String(k), String(v)])),
  ]),
);

const VISIBILITIES = ["important", "advanced", "internal"];
const ITEM_MODES = ["single", "split"];
const PARAMETER_KINDS = ["text", "secret", "integer", "boolean"];

function oneOf(what, value, choices) {
  if (!choices.includes(value)) {
    throw new TypeError(`${what} ${JSON.stringify(value)} is not one of ${choices.join(", ")}`);
  }
  return value;
}

/**
 * A connector: its service description and its operations.
 *
 * `new Connector({ id, displayName, version, description, brandColor,
 * iconUri, parameters: [{ name, displayName, kind, description, required,
 * default }], outboundHosts: [...], directories: [{ guestPath, description,
 * writable }] })`; then register operations and end the module with
 * `export const { provider, trigger } = connector.exports();`.
 */
export class Connector {
  constructor({
    id, displayName, version, description = "", brandColor = "#6b7280", iconUri = "",
    parameters = [], outboundHosts = [], directories = [],
  }) {
    this.service = {
      id,
      displayName,
      description,
      version,
      brandColor,
      iconUri,
      connectionParameters: parameters.map((p) => ({
        name: p.name,
        displayName: p.displayName ?? p.name,
        description: p.description ?? "",
        kind: oneOf("parameter kind", p.kind ?? "text", PARAMETER_KINDS),
        required: Boolean(p.required),
        defaultValue: p.default === undefined ? undefined : String(p.default),
      })),
      capabilities: {
        outboundHosts: [...outboundHosts],
        directories: directories.map((d) => ({
          guestPath: d.guestPath,
          description: d.description ?? "",
          writable: Boolean(d.writable),
        })),
      },
    };
    this.operations = new Map();
    this.check = undefined;
  }

  #register(op) {
    if (this.operations.has(op.id)) throw new TypeError(`operation ${op.id} is registered twice`);
    this.operations.set(op.id, op);
  }

  /**
   * Registers an action: `handler(ctx, input)` returns the body (answered
   * with 200) or `reply(status, body)`.
   */
  action({ id, summary, description = "", visibility = "important", inputSchema, outputSchema }, handler) {
    this.#register({
      id, kind: "action", summary, description,
      visibility: oneOf("visibility", visibility, VISIBILITIES),
      inputSchema, outputSchema, handler, trigger: undefined, dynamic: new Map(),
    });
    return handler;
  }

  /**
   * Registers a polling trigger: `handler(ctx, input, state)` returns
   * `{ items: [{ id, body }], state, pollAgainAfterMs }`; `state` is what the
   * last poll returned (`undefined` on the first), and a returned `state`
   * of `undefined` keeps the current one. `outputSchema` is one item body's.
   */
  pollingTrigger({
    id, summary, description = "", visibility = "important", inputSchema, outputSchema,
    stateSchema, everySeconds = 60, itemMode = "split",
  }, handler) {
    this.#register({
      id, kind: "polling-trigger", summary, description,
      visibility: oneOf("visibility", visibility, VISIBILITIES),
      inputSchema, outputSchema, stateSchema, handler, dynamic: new Map(),
      trigger: {
        defaultRecurrenceSeconds: everySeconds,
        itemMode: oneOf("item mode", itemMode, ITEM_MODES),
        needsSubscription: false,
      },
    });
    return handler;
  }

  /**
   * Registers a push trigger fed by the host's webhook at `path` (default
   * `/hooks/<id>`): `handler(ctx, input, event)` returns the items
   * `[{ id, body }]` of one event. For an event source that must be told
   * where to send, give both `subscribe(ctx, input, callbackUrl)` (returns
   * any JSON value, which the host stores) and `unsubscribe(ctx, input,
   * subscription)`: the trigger then says `needs-subscription`. An already
   * ended subscription should not be an error.
   */
  pushTrigger({
    id, summary, description = "", visibility = "important", inputSchema, outputSchema,
    itemMode = "split", path, subscribe, unsubscribe,
  }, handler) {
    if ((subscribe === undefined) !== (unsubscribe === undefined)) {
      throw new TypeError(`push trigger ${id}: give both subscribe and unsubscribe, or neither`);
    }
    this.#register({
      id, kind: "push-trigger", summary, description,
      visibility: oneOf("visibility", visibility, VISIBILITIES),
      inputSchema, outputSchema, handler, dynamic: new Map(),
      path: path ?? `/hooks/${id}`,
      subscription: subscribe ? { subscribe, unsubscribe } : undefined,
      trigger: {
        defaultRecurrenceSeconds: 0,
        itemMode: oneOf("item mode", itemMode, ITEM_MODES),
        needsSubscription: subscribe !== undefined,
      },
    });
    return handler;
  }

  /**
   * Registers the choices of the input property `property` of the operation
   * `operation` (registered before): `handler(ctx, input)` returns
   * `[{ value, title }]`, where `input` holds the inputs filled so far
   * (possibly partial, not checked). `dependsOn` names the inputs the list
   * is computed from.
   */
  dynamicValues(operation, property, handler, { dependsOn = [] } = {}) {
    const op = this.operations.get(operation);
    if (!op) throw new TypeError(`dynamic values for ${operation}: register the operation first`);
    op.dynamic.set(property, { dependsOn: [...dependsOn], handler });
    return handler;
  }

  /** Registers the "test connection" check: `handler(ctx)` throws to refuse. */
  checkConnection(handler) {
    this.check = handler;
    return handler;
  }

  #find(id, kind, what) {
    const op = this.operations.get(id);
    if (!op || op.kind !== kind) {
      throw ConnectorError.invalidInput("unknown-operation",
        `the ${this.service.id} connector has no ${what} named \`${id}\``);
    }
    return op;
  }

  #hasTriggers() {
    return [...this.operations.values()].some((op) => op.kind !== "action");
  }

  #notPushTrigger(id) {
    if (!this.#hasTriggers()) {
      return ConnectorError.invalidInput("no-triggers",
        `the ${this.service.id} connector has no triggers, so none named \`${id}\``);
    }
    return ConnectorError.invalidInput("not-a-push-trigger",
      `the ${this.service.id} connector has no push trigger named \`${id}\``);
  }

  #push(id) {
    const op = this.operations.get(id);
    if (!op || op.kind !== "push-trigger") throw this.#notPushTrigger(id);
    return op;
  }

  #subscribed(id) {
    const op = this.#push(id);
    if (!op.subscription) {
      throw ConnectorError.invalidInput("no-subscription",
        `the push trigger \`${id}\` does not need a subscription`);
    }
    return op;
  }

  #handleEvent(id, connection, inputText, rawEvent) {
    const op = this.#push(id);
    const input = parseInput(inputText, op.inputSchema);
    const finish = (items) => {
      if (!Array.isArray(items)) {
        throw ConnectorError.internal("bad-event-result", `the handler of \`${id}\` did not return [items]`);
      }
      return items.map((item) => ({ id: String(item.id), body: toJson(item.body, "item") }));
    };
    const result = op.handler(context(id, connection), input, event(rawEvent));
    return isPromise(result) ? result.then(finish) : finish(result);
  }

  #subscribe(id, connection, inputText, callbackUrl) {
    const op = this.#subscribed(id);
    const input = parseInput(inputText, op.inputSchema);
    const finish = (subscription) => ({ data: toJson(subscription, "subscription") });
    const result = op.subscription.subscribe(context(id, connection), input, callbackUrl);
    return isPromise(result) ? result.then(finish) : finish(result);
  }

  #unsubscribe(id, connection, inputText, subscription) {
    const op = this.#subscribed(id);
    const input = parseInput(inputText, op.inputSchema);
    let data;
    try {
      data = JSON.parse(subscription.data);
    } catch (e) {
      throw ConnectorError.invalidInput("bad-subscription",
        `the subscription is not one this trigger made: ${e.message}`);
    }
    const result = op.subscription.unsubscribe(context(id, connection), input, data);
    return isPromise(result) ? result.then(() => undefined) : undefined;
  }

  #dynamicValues(id, property, connection, inputText) {
    const op = this.operations.get(id);
    if (!op) {
      throw ConnectorError.invalidInput("unknown-operation",
        `the ${this.service.id} connector has no operation named \`${id}\``);
    }
    const dynamic = op.dynamic.get(property);
    if (!dynamic) {
      throw ConnectorError.invalidInput("no-dynamic-values",
        `the input property \`${property}\` of \`${id}\` has no dynamic values`);
    }
    let input;
    try {
      input = JSON.parse(inputText);
    } catch (e) {
      throw ConnectorError.invalidInput("bad-input", `the input is not JSON: ${e.message}`);
    }
    if (!TYPE_CHECKS.object(input)) {
      throw ConnectorError.invalidInput("bad-input",
        `the input does not fit the schema: expected an object, got ${jsonType(input)}`);
    }
    const finish = (choices) => {
      if (!Array.isArray(choices)) {
        throw ConnectorError.internal("bad-choices", `the dynamic values of \`${property}\` are not a list`);
      }
      return choices.map((c) => ({ value: toJson(c.value, "choice"), title: String(c.title ?? "") }));
    };
    const result = dynamic.handler(context(id, connection), input);
    return isPromise(result) ? result.then(finish) : finish(result);
  }

  #invoke(id, connection, inputText, call) {
    const op = this.#find(id, "action", "action");
    const input = parseInput(inputText, op.inputSchema);
    const finish = (result) => {
      if (result && result[REPLY]) {
        return { status: result.status, body: toJson(result.body, "output") };
      }
      return { status: 200, body: toJson(result, "output") };
    };
    const result = op.handler(context(id, connection, call), input);
    return isPromise(result) ? result.then(finish) : finish(result);
  }

  #poll(id, connection, inputText, stateText, call) {
    if (!this.#hasTriggers()) throw this.#notPushTrigger(id);
    const op = this.#find(id, "polling-trigger", "polling trigger");
    const input = parseInput(inputText, op.inputSchema);
    let state;
    if (stateText !== undefined) {
      try {
        state = JSON.parse(stateText);
      } catch (e) {
        throw ConnectorError.invalidInput("bad-state", `the trigger state is not JSON: ${e.message}`);
      }
      if (op.stateSchema) {
        const problem = check(state, op.stateSchema, false);
        if (problem) {
          throw ConnectorError.invalidInput("bad-state",
            `the trigger state is not one this trigger returned: ${problem}; reset the trigger's state`);
        }
      }
    }
    const finish = (result) => {
      if (!result || !Array.isArray(result.items)) {
        throw ConnectorError.internal("bad-poll", `the handler of \`${id}\` did not return { items: [...] }`);
      }
      return {
        items: result.items.map((item) => ({ id: String(item.id), body: toJson(item.body, "item") })),
        state: result.state === undefined ? undefined : toJson(result.state, "state"),
        pollAgainAfterMs: result.pollAgainAfterMs === undefined || result.pollAgainAfterMs === null
          ? undefined
          : BigInt(Math.max(0, Math.floor(result.pollAgainAfterMs))),
      };
    };
    const result = op.handler(context(id, connection, call), input, state);
    return isPromise(result) ? result.then(finish) : finish(result);
  }

  /** The objects componentize-js exports: `export const { provider, trigger } = connector.exports();` */
  exports() {
    const provider = {
      describeService: () => this.service,
      listOperations: () => [...this.operations.values()].map((op) => ({
        id: op.id,
        summary: op.summary,
        description: op.description,
        visibility: op.visibility,
        kind: op.kind,
        inputSchema: JSON.stringify(annotated(op)),
        outputSchema: JSON.stringify(op.outputSchema),
        trigger: op.trigger,
      })),
      checkConnection: (connection) => guard("check-connection", () => {
        const result = this.check ? this.check(context("check-connection", connection)) : undefined;
        return isPromise(result) ? result.then(() => undefined) : undefined;
      }),
      invoke: (id, connection, input, call) => guard(id, () => this.#invoke(id, connection, input, call)),
      dynamicValues: (id, property, connection, input) =>
        guard(id, () => this.#dynamicValues(id, property, connection, input)),
    };
    const trigger = {
      poll: (id, connection, input, state, call) =>
        guard(id, () => this.#poll(id, connection, input, state, call)),
      pushBinding: (id, connection, input) => guard(id, () => {
        const op = this.#push(id);
        parseInput(input, op.inputSchema);
        return { bindingType: "webhook", bindingInfo: JSON.stringify({ path: op.path }) };
      }),
      handleEvent: (id, connection, input, rawEvent) =>
        guard(id, () => this.#handleEvent(id, connection, input, rawEvent)),
      subscribe: (id, connection, input, callbackUrl) =>
        guard(id, () => this.#subscribe(id, connection, input, callbackUrl)),
      unsubscribe: (id, connection, input, subscription) =>
        guard(id, () => this.#unsubscribe(id, connection, input, subscription)),
    };
    return { provider, trigger };
  }
}

/**
 * The call a handler runs in: its operation id, the connection's values and,
 * for actions and polls, the call context the host passed (`call`).
 */
function context(operation, connection, call = undefined) {
  return {
    operation,
    connection: Object.fromEntries(connection),
    runId: call ? call.runId : "",
    step: call ? call.step : "",
    attempt: call ? Math.max(1, call.attempt) : 1,
    idempotencyKey: call ? call.idempotencyKey : "",
    // u64 in the contract: a BigInt in the bindings; a number is handier.
    remainingMs: call ? Number(call.remainingMs) : undefined,
  };
}

/** An event as handlers see it: headers as an object, the body as bytes. */
function event(raw) {
  const body = raw.body instanceof Uint8Array ? raw.body : Uint8Array.from(raw.body ?? []);
  return {
    method: raw.method,
    path: raw.path,
    headers: Object.fromEntries(raw.headers.map(([k, v]) => [k.toLowerCase(), v])),
    body,
    /** The body as UTF-8 text. */
    text() { return new TextDecoder().decode(body); },
    /** The body as JSON; a body that is not JSON is invalid-input bad-json. */
    json() {
      try {
        return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
      } catch (e) {
        throw ConnectorError.invalidInput("bad-json", `the event body is not JSON: ${e.message}`);
      }
    },
  };
}

/** An operation's input schema with `x-dynamic-values` on its dynamic properties. */
function annotated(op) {
  const schema = op.inputSchema;
  if (!op.dynamic || op.dynamic.size === 0 || !schema || typeof schema.properties !== "object") return schema;
  const copy = JSON.parse(JSON.stringify(schema));
  for (const [name, { dependsOn }] of op.dynamic) {
    const prop = copy.properties[name];
    if (prop && typeof prop === "object") {
      prop[DYNAMIC_VALUES_KEYWORD] = dependsOn.length > 0 ? { "depends-on": dependsOn } : {};
    }
  }
  return copy;
}

/** Runs a handler; what it throws becomes the contract's error case. */
function guard(operation, call) {
  let result;
  try {
    result = call();
  } catch (e) {
    throw errorRecord(operation, e);
  }
  if (isPromise(result)) {
    return result.then(undefined, (e) => { throw errorRecord(operation, e); });
  }
  return result;
}

function isPromise(value) {
  return value !== null && typeof value === "object" && typeof value.then === "function";
}

function errorRecord(operation, e) {
  if (e instanceof ConnectorError) return e.toRecord();
  // A bug: report it rather than trap.
  log.error("unhandled exception", { operation, stack: String(e && e.stack || e).slice(0, 2000) });
  const name = e && e.name ? e.name : "Error";
  return ConnectorError.internal("unhandled-exception", `${name}: ${e && e.message || e}`).toRecord();
}

function toJson(value, what) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw ConnectorError.internal("serialize", `cannot serialize the ${what}: ${e.message}`);
  }
  if (text === undefined) {
    throw ConnectorError.internal("serialize", `the ${what} is undefined, which JSON cannot hold`);
  }
  return text;
}

function parseInput(text, schema) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw ConnectorError.invalidInput("bad-input", `the input is not JSON: ${e.message}`);
  }
  const problem = check(value, schema, true);
  if (problem) {
    throw ConnectorError.invalidInput("bad-input", `the input does not fit the schema: ${problem}`);
  }
  return value;
}

const TYPE_CHECKS = {
  object: (v) => v !== null && typeof v === "object" && !Array.isArray(v),
  array: (v) => Array.isArray(v),
  string: (v) => typeof v === "string",
  boolean: (v) => typeof v === "boolean",
  null: (v) => v === null,
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === "number" && Number.isFinite(v),
};

function typeOk(value, schema) {
  if (!schema || typeof schema !== "object" || schema.type === undefined) return true;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.some((t) => (TYPE_CHECKS[t] ?? (() => true))(value));
}

function jsonType(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Checks the top level of `value` against an object `schema`: the type,
 * required and unknown properties, each property's type, enum, bounds and
 * pattern; fills in the properties' defaults. Returns the first problem, or
 * undefined.
 */
function check(value, schema, fillDefaults) {
  if (!schema || typeof schema !== "object") return undefined;
  if (!typeOk(value, schema)) return `at /: expected ${JSON.stringify(schema.type)}, got ${jsonType(value)}`;
  if (!TYPE_CHECKS.object(value)) return undefined;
  const properties = schema.properties ?? {};
  for (const name of schema.required ?? []) {
    if (!(name in value)) return `at /: the property \`${name}\` is required`;
  }
  if (schema.additionalProperties === false) {
    for (const name of Object.keys(value)) {
      if (!(name in properties)) return `at /${name}: unknown property \`${name}\``;
    }
  }
  for (const [name, sub] of Object.entries(properties)) {
    if (!sub || typeof sub !== "object") continue;
    if (!(name in value)) {
      if (fillDefaults && "default" in sub) value[name] = JSON.parse(JSON.stringify(sub.default));
      continue;
    }
    if (!typeOk(value[name], sub)) {
      return `at /${name}: expected ${JSON.stringify(sub.type)}, got ${jsonType(value[name])}`;
    }
    if (Array.isArray(sub.enum) && !sub.enum.some((c) => JSON.stringify(c) === JSON.stringify(value[name]))) {
      return `at /${name}: ${JSON.stringify(value[name])} is not one of ${sub.enum.map((c) => JSON.stringify(c)).join(", ")}`;
    }
    const problem = bounds(value[name], sub);
    if (problem) return `at /${name}: ${problem}`;
  }
  return undefined;
}

/** A number's `minimum` and `maximum`, a string's `minLength`, `maxLength` and `pattern`. */
function bounds(value, schema) {
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) {
      return `${value} is less than the minimum ${schema.minimum}`;
    }
    if (typeof schema.maximum === "number" && value > schema.maximum) {
      return `${value} is greater than the maximum ${schema.maximum}`;
    }
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof schema.minLength === "number" && length < schema.minLength) {
      return `${JSON.stringify(value)} is shorter than ${schema.minLength} characters`;
    }
    if (typeof schema.maxLength === "number" && length > schema.maxLength) {
      return `${JSON.stringify(value).slice(0, 80)} is longer than ${schema.maxLength} characters`;
    }
    if (typeof schema.pattern === "string") {
      let re;
      for (const flags of ["u", ""]) {
        try {
          re = new RegExp(schema.pattern, flags);
          break;
        } catch {
          re = undefined; // a pattern the engine cannot read: the host checks it
        }
      }
      if (re && !re.test(value)) {
        return `${JSON.stringify(value).slice(0, 80)} does not match the pattern ${schema.pattern}`;
      }
    }
  }
  return undefined;
}
