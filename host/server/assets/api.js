// The API client: the token lives in sessionStorage (never a cookie, so a
// cross-site request cannot carry it) and travels as a bearer header.

const KEY = "connector-host-token";

/** Takes `#token=...` from the address once, then removes it from the URL. */
export function captureToken() {
  const match = location.hash.match(/^#token=([A-Za-z0-9]+)/);
  if (match) {
    sessionStorage.setItem(KEY, match[1]);
    history.replaceState(null, "", location.pathname + "#/");
  }
  return sessionStorage.getItem(KEY);
}

export function setToken(token) {
  sessionStorage.setItem(KEY, token.trim());
}

export function hasToken() {
  return !!sessionStorage.getItem(KEY);
}

/** An API failure: status and the server's error body. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error && error.message ? error.message : `HTTP ${status}`);
    this.status = status;
    this.code = error && error.code;
    this.pointer = error && error.pointer;
    this.problems = error && error.problems;
  }
}

/** Calls the API; resolves to the JSON body, rejects with ApiError. */
export async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(KEY) || ""}` };
  const init = { method, headers, credentials: "omit", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    throw new ApiError(response.status, json && json.error ? json.error : { message: text.slice(0, 200) });
  }
  return json;
}

export const enc = encodeURIComponent;
