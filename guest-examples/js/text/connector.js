// `text`: text utilities for workflows, and a trigger for reminders that fall due.
//
// A connector written in JavaScript with the helper module
// guest-sdk/js/connector-sdk.js and built into a component with
// componentize-js. Most operations compute and need nothing; two read a text
// over HTTP with the engine's `fetch` (over wasi:http), from a site the
// connection names (or any URL), which the operator must grant
// (`--allow-http "https://{site}"`).
//
// - `slugify`: a text as a URL slug (`Hello, World!` -> `hello-world`);
// - `word-count`: words, characters, lines and sentences of a text;
// - `change-case`: upper, lower, title, camel, snake or kebab case;
// - `extract`: every match of a regular expression, with its groups;
// - `fetch-text` (HTTP): the text of a document at a URL (HTML made plain);
// - `analyze-url` (HTTP): the counts of `word-count` and the most frequent
//   words of a document at a URL;
// - `reminder-due` (polling trigger): the reminders of its input (each with
//   an id and a due date-time) fire once each when they fall due. Its state
//   is a cursor: the (due, id) of the last reminder delivered.

import { Connector, ConnectorError, fetchChecked, statusError } from "../../../guest-sdk/js/connector-sdk.js";

const ICON =
  "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAyNCAyNCI+" +
  "PHBhdGggZD0iTTQgNmgxNk00IDEyaDEwTTQgMThoMTQiIHN0cm9rZT0iI2QxNDk1YiIgc3Ryb2tlLXdpZHRoPSIyIiBzdHJva2UtbGlu" +
  "ZWNhcD0icm91bmQiLz48L3N2Zz4=";

const connector = new Connector({
  id: "text",
  displayName: "Text Tools",
  version: "0.1.0",
  description:
    "Slugifies, counts, changes the case of and extracts patterns from text; triggers when " +
    "a reminder falls due.",
  brandColor: "#d1495b",
  iconUri: ICON,
  parameters: [
    {
      name: "site", displayName: "Site", kind: "text",
      description: "The site (host and optional port, e.g. docs.example.com) that fetch-text and " +
        "analyze-url read from when given a path rather than a whole URL.",
    },
    {
      name: "site_use_tls", displayName: "Site over HTTPS", kind: "boolean", default: "true",
      description: "false to read the site over plain HTTP (a local server).",
    },
  ],
  outboundHosts: ["https://{site}", "http://{site}"],
});

/** An object schema that allows exactly `properties`. */
function closed(properties, required = [], description = "The operation's input.") {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    description,
    type: "object",
    properties,
    required,
    additionalProperties: false,
  };
}

const TEXT = { type: "string", description: "The text." };

// A word is a run of anything but white space and ASCII punctuation (the
// apostrophe excepted). Spelt out rather than with Unicode property escapes
// (\p{L}), which the engine componentize-js embeds is built without.
const WORD = /[^\s!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~]+/g;

/** The words of a text. */
function words(text) {
  return text.match(WORD) ?? [];
}

// Letters with accents and their plain forms, for slugs. A table, because
// the engine componentize-js embeds has no String.prototype.normalize.
const ACCENTS = {
  a: "àáâãäåāăą", c: "çćĉċč", d: "ďđ", e: "èéêëēĕėęě", g: "ĝğġģ", h: "ĥħ",
  i: "ìíîïĩīĭįı", j: "ĵ", k: "ķ", l: "ĺļľŀł", n: "ñńņňŉ", o: "òóôõöøōŏő",
  r: "ŕŗř", s: "śŝşš", ss: "ß", t: "ţťŧ", u: "ùúûüũūŭůűų", w: "ŵ", y: "ýÿŷ", z: "źżž",
  ae: "æ", oe: "œ", th: "þ",
};
const FOLD = new Map(Object.entries(ACCENTS).flatMap(([plain, accented]) =>
  [...accented].map((letter) => [letter, plain])));

/** A lower-case text with its accented Latin letters made plain. */
function foldAccents(text) {
  return [...text].map((letter) => FOLD.get(letter) ?? letter).join("");
}

connector.action({
  id: "slugify",
  summary: "Make a URL slug",
  description:
    "Lower-cases a text, drops accents (of Latin letters) and punctuation, and joins its words " +
    "with `separator`, " +
    "cut to `max_length` characters at a word boundary where possible.",
  inputSchema: closed({
    text: TEXT,
    separator: { type: "string", enum: ["-", "_", "."], default: "-", description: "Between words." },
    max_length: { type: "integer", minimum: 1, maximum: 1000, default: 80, description: "Longest slug." },
  }, ["text"]),
  outputSchema: closed({ slug: { type: "string", description: "The slug; empty if the text has no words." } },
    ["slug"], "The operation's output."),
}, (ctx, input) => {
  const plain = foldAccents(input.text.toLowerCase());
  const parts = (plain.match(/[a-z0-9]+/g) ?? []);
  let slug = parts.join(input.separator);
  if (slug.length > input.max_length) {
    const cut = slug.slice(0, input.max_length);
    const boundary = cut.lastIndexOf(input.separator);
    slug = boundary > 0 ? cut.slice(0, boundary) : cut;
  }
  return { slug };
});

connector.action({
  id: "word-count",
  summary: "Count words",
  description: "Counts the words, characters (Unicode code points), lines and sentences of a text.",
  inputSchema: closed({ text: TEXT }, ["text"]),
  outputSchema: closed({
    words: { type: "integer", minimum: 0 },
    characters: { type: "integer", minimum: 0 },
    lines: { type: "integer", minimum: 0 },
    sentences: { type: "integer", minimum: 0 },
  }, ["words", "characters", "lines", "sentences"], "The operation's output."),
}, (ctx, input) => countText(input.text));

/** Words, characters (code points), lines and sentences of a text. */
function countText(text) {
  return {
    words: words(text).length,
    characters: [...text].length,
    lines: text === "" ? 0 : text.split(/\r\n|\r|\n/).length,
    sentences: text.split(/[.!?]+/).filter((part) => words(part).length > 0).length,
  };
}

const CASES = ["upper", "lower", "title", "camel", "snake", "kebab"];

connector.action({
  id: "change-case",
  summary: "Change case",
  description:
    "Writes a text in upper, lower or title case, or its words joined in camel, snake or kebab case.",
  inputSchema: closed({
    text: TEXT,
    case: { type: "string", enum: CASES, description: "The case to write." },
  }, ["text", "case"]),
  outputSchema: closed({ text: { type: "string" } }, ["text"], "The operation's output."),
}, (ctx, input) => {
  const w = words(input.text).map((word) => word.toLowerCase());
  const capital = (word) => word.charAt(0).toUpperCase() + word.slice(1);
  switch (input.case) {
    case "upper": return { text: input.text.toUpperCase() };
    case "lower": return { text: input.text.toLowerCase() };
    case "title": return { text: input.text.toLowerCase().replace(WORD, capital) };
    case "camel": return { text: w.map((word, i) => (i === 0 ? word : capital(word))).join("") };
    case "snake": return { text: w.join("_") };
    default: return { text: w.join("-") };
  }
});

const MAX_MATCHES = 1000;

connector.action({
  id: "extract",
  summary: "Extract matches",
  description:
    "Finds every match of a JavaScript regular expression in a text (at most 1000), with " +
    "its index and capture groups. An invalid pattern is a `bad-pattern` error.",
  inputSchema: closed({
    text: TEXT,
    pattern: { type: "string", minLength: 1, description: "A regular expression, without slashes." },
    flags: { type: "string", pattern: "^[imsu]*$", default: "", description: "Flags: i, m, s, u." },
  }, ["text", "pattern"]),
  outputSchema: closed({
    matches: {
      type: "array",
      items: {
        type: "object",
        properties: {
          match: { type: "string" },
          index: { type: "integer", minimum: 0 },
          groups: { type: "array", items: { type: ["string", "null"] } },
        },
        required: ["match", "index", "groups"],
        additionalProperties: false,
      },
    },
    count: { type: "integer", minimum: 0 },
  }, ["matches", "count"], "The operation's output."),
  visibility: "advanced",
}, (ctx, input) => {
  let re;
  try {
    re = new RegExp(input.pattern, `${input.flags.replace(/g/g, "")}g`);
  } catch (e) {
    throw ConnectorError.invalidInput("bad-pattern", `the pattern is not a regular expression: ${e.message}`);
  }
  const matches = [];
  for (const m of input.text.matchAll(re)) {
    if (matches.length === MAX_MATCHES) break;
    matches.push({ match: m[0], index: m.index, groups: m.slice(1).map((g) => g ?? null) });
  }
  return { matches, count: matches.length };
});

// ---------------------------------------------------------------------------
// Texts read over HTTP

const URL_OR_PATH = {
  type: "string",
  pattern: "^(https?://[^\\s]+|/[^\\s]*)$",
  description: "An http(s) URL, or a path (starting with /) on the connection's site.",
};

/** The absolute URL of `url`: itself, or a path on the connection's site. */
function resolveUrl(ctx, url) {
  if (/^https?:\/\//i.test(url)) return url;
  const site = ctx.connection.site;
  if (!site) {
    throw ConnectorError.invalidInput("no-site",
      `${JSON.stringify(url)} is a path, but the connection names no site to read it from`);
  }
  const scheme = ctx.connection.site_use_tls === "false" ? "http" : "https";
  return `${scheme}://${site}${url}`;
}

/** Media types read as text; anything else is refused. */
function isText(mediaType) {
  return mediaType === "" || mediaType.startsWith("text/") || /^application\/([\w.+-]*\+)?(json|xml)$/.test(mediaType);
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/** The text of an HTML document: no scripts, styles or tags; blocks on their own lines. */
function htmlToText(html) {
  return html
    .replace(/<(script|style|head)\b[^]*?<\/\1\s*>/gi, "")
    .replace(/<!--[^]*?-->/g, "")
    .replace(/<(br|\/p|\/div|\/li|\/h[1-6]|\/tr|\/title)\b[^>]*>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name) => {
      if (name[0] === "#") {
        const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
        return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .split("\n")
    .map((line) => line.replace(/[ \t\r\f\v]+/g, " ").trim())
    .filter((line) => line !== "")
    .join("\n");
}

/**
 * Reads the document at `url` as text: `{ url, status, contentType, text }`.
 * An error status is the connector error of its kind (404 `page-not-found`);
 * a body that is not text is `invalid-input` `not-text`.
 */
async function readText(ctx, url) {
  const absolute = resolveUrl(ctx, url);
  const response = await fetchChecked(absolute, { headers: { accept: "text/plain, text/html;q=0.9, */*;q=0.1" } });
  const error = statusError(response, "page-not-found");
  if (error) throw error;
  const contentType = response.headers.get("content-type") ?? "";
  const mediaType = contentType.split(";")[0].trim().toLowerCase();
  if (!isText(mediaType)) {
    throw ConnectorError.invalidInput("not-text", `${absolute} is ${mediaType}, not a text`);
  }
  const body = await response.text();
  return {
    url: absolute,
    status: response.status,
    contentType: mediaType,
    text: mediaType === "text/html" || mediaType === "application/xhtml+xml" ? htmlToText(body) : body,
  };
}

connector.action({
  id: "fetch-text",
  summary: "Fetch a text",
  description:
    "Reads the document at a URL (or a path on the connection's site) as text: HTML is made " +
    "plain (no tags, scripts or styles). At most `max_characters` are returned. The operator " +
    "must grant the URL's origin.",
  inputSchema: closed({
    url: URL_OR_PATH,
    max_characters: { type: "integer", minimum: 1, maximum: 1000000, default: 100000 },
  }, ["url"]),
  outputSchema: closed({
    url: { type: "string", description: "The URL read." },
    content_type: { type: "string", description: "Its media type, e.g. text/html." },
    text: { type: "string" },
    characters: { type: "integer", minimum: 0, description: "Characters of the whole text." },
    truncated: { type: "boolean", description: "Whether `text` was cut at `max_characters`." },
  }, ["url", "content_type", "text", "characters", "truncated"], "The operation's output."),
}, async (ctx, input) => {
  const doc = await readText(ctx, input.url);
  const chars = [...doc.text];
  return {
    url: doc.url,
    content_type: doc.contentType,
    text: chars.slice(0, input.max_characters).join(""),
    characters: chars.length,
    truncated: chars.length > input.max_characters,
  };
});

// Words too common to say anything about a text.
const STOP_WORDS = new Set(("a an and are as at be but by for from has have he her his i in is it its " +
  "not of on or she that the their there they this to was were which will with you your").split(" "));

connector.action({
  id: "analyze-url",
  summary: "Analyse a text at a URL",
  description:
    "Reads the document at a URL (or a path on the connection's site) as `fetch-text` does, and " +
    "counts its words, characters, lines and sentences (as `word-count`), the minutes it takes " +
    "to read (at 200 words a minute) and its `top` most frequent words (common English words " +
    "left out).",
  inputSchema: closed({
    url: URL_OR_PATH,
    top: { type: "integer", minimum: 0, maximum: 50, default: 5, description: "How many frequent words." },
  }, ["url"]),
  outputSchema: closed({
    url: { type: "string" },
    content_type: { type: "string" },
    words: { type: "integer", minimum: 0 },
    characters: { type: "integer", minimum: 0 },
    lines: { type: "integer", minimum: 0 },
    sentences: { type: "integer", minimum: 0 },
    reading_minutes: { type: "integer", minimum: 0 },
    top_words: {
      type: "array",
      items: closed({ word: { type: "string" }, count: { type: "integer", minimum: 1 } },
        ["word", "count"], "A word and how often it occurs."),
    },
  }, ["url", "content_type", "words", "characters", "lines", "sentences", "reading_minutes", "top_words"],
  "The operation's output."),
}, async (ctx, input) => {
  const doc = await readText(ctx, input.url);
  const counts = countText(doc.text);
  const frequency = new Map();
  for (const word of words(doc.text)) {
    const w = word.toLowerCase().replace(/^'+|'+$/g, "");
    if (w.length < 2 || STOP_WORDS.has(w) || /^\d+$/.test(w)) continue;
    frequency.set(w, (frequency.get(w) ?? 0) + 1);
  }
  const top = [...frequency]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, input.top)
    .map(([word, count]) => ({ word, count }));
  return {
    url: doc.url,
    content_type: doc.contentType,
    ...counts,
    reading_minutes: Math.ceil(counts.words / 200),
    top_words: top,
  };
});

// ---------------------------------------------------------------------------
// The reminder trigger

const REMINDER_STATE = {
  type: "object",
  properties: {
    cursor: {
      type: ["object", "null"],
      description: "The last reminder delivered, or null before the first.",
    },
  },
  required: ["cursor"],
  additionalProperties: false,
};

/** Milliseconds since the epoch of an ISO 8601 date-time, or a `bad-datetime` error. */
function parseDue(text, where) {
  const ms = typeof text === "string" && /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) {
    throw ConnectorError.invalidInput("bad-datetime",
      `${where} is not an ISO 8601 date-time with a UTC offset: ${JSON.stringify(text)}`);
  }
  return ms;
}

/** Orders reminders by (due, id): the order they are delivered in. */
function compare(a, b) {
  return a.dueMs - b.dueMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

connector.pollingTrigger({
  id: "reminder-due",
  summary: "When a reminder falls due",
  description:
    "Fires once for each reminder of the input whose due date-time has passed, in order of due " +
    "time, at most `max_items` per poll (the rest at once in the next poll). A reminder due " +
    "before the last one delivered is not delivered.",
  inputSchema: closed({
    reminders: {
      type: "array",
      description: "The reminders to watch.",
      items: {
        type: "object",
        properties: {
          id: { type: "string", minLength: 1, description: "Unique among the reminders." },
          text: { type: "string", description: "What to be reminded of." },
          due: { type: "string", description: "When, ISO 8601 with a UTC offset." },
        },
        required: ["id", "text", "due"],
        additionalProperties: false,
      },
    },
    max_items: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
  }, ["reminders"]),
  outputSchema: closed({
    id: { type: "string" },
    text: { type: "string" },
    due: { type: "string", description: "When it fell due, as given." },
  }, ["id", "text", "due"], "A reminder that fell due."),
  stateSchema: REMINDER_STATE,
  everySeconds: 60,
  itemMode: "split",
}, (ctx, input, state) => {
  let cursor = null;
  if (state !== undefined && state.cursor !== null) {
    const bad = (why) =>
      ConnectorError.invalidInput("bad-state", `the trigger state's cursor ${why}; reset the trigger's state`);
    const { id, due } = state.cursor;
    if (typeof id !== "string") throw bad("has no id");
    let dueMs;
    try {
      dueMs = parseDue(due, "due");
    } catch {
      throw bad(`has no due date-time (${JSON.stringify(due)})`);
    }
    cursor = { id, dueMs };
  }
  const seen = new Set();
  const reminders = input.reminders.map((r, i) => {
    if (seen.has(r.id)) {
      throw ConnectorError.invalidInput("duplicate-id", `two reminders have the id ${JSON.stringify(r.id)}`);
    }
    seen.add(r.id);
    return { ...r, dueMs: parseDue(r.due, `/reminders/${i}/due`) };
  });
  const now = Date.now();
  const due = reminders
    .filter((r) => r.dueMs <= now && (cursor === null || compare(r, cursor) > 0))
    .sort(compare);
  const batch = due.slice(0, input.max_items);
  const last = batch.at(-1);
  return {
    items: batch.map((r) => ({ id: `${r.id}@${r.due}`, body: { id: r.id, text: r.text, due: r.due } })),
    state: { cursor: last ? { id: last.id, due: last.due } : state?.cursor ?? null },
    pollAgainAfterMs: due.length > batch.length ? 0 : undefined,
  };
});

export const { provider, trigger } = connector.exports();
