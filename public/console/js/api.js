// The console's calls to the worker's /v1 API: same origin, the token in the Authorization
// header only (docs/api.md). An error answer becomes an ApiError carrying the envelope's code.
import { savedToken } from "./session.js";

export class ApiError extends Error {
  /** @param {number} status @param {any} body */
  constructor(status, body) {
    const e = body?.error ?? {};
    super(e.message ?? `the API answered ${status}`);
    this.status = status;
    this.code = e.code ?? "UNKNOWN_SERVER_ERROR";
    this.details = e;
  }
}

/** Called with an ApiError whenever the API answers 401 (the token was revoked or expired). */
let onUnauthenticated = /** @type {(err: ApiError) => void} */ (() => {});
/** @param {(err: ApiError) => void} fn */
export function whenUnauthenticated(fn) {
  onUnauthenticated = fn;
}

/**
 * One call: `api("/topics")`, `api("/topics", { method: "POST", body: {...} })`. Path and query
 * are relative to /v1; `token` overrides the kept one (the login form checks a new one).
 * @param {string} path
 * @param {{ method?: string, body?: unknown, token?: string, signal?: AbortSignal }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, { method = "GET", body, token = savedToken(), signal } = {}) {
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${token ?? ""}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    credentials: "omit",
    cache: "no-store",
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { error: { message: text.slice(0, 200) } };
  }
  if (!res.ok) {
    const err = new ApiError(res.status, json);
    if (res.status === 401) onUnauthenticated(err);
    throw err;
  }
  return json;
}

/** Path segments, encoded. */
export function p(...parts) {
  return parts.map((x) => `/${encodeURIComponent(String(x))}`).join("");
}

/**
 * Maps over `items` with at most `limit` calls at once.
 * @template T, U
 * @param {T[]} items @param {number} limit @param {(item: T, i: number) => Promise<U>} fn
 * @returns {Promise<U[]>}
 */
export async function pooled(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
