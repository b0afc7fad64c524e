/**
 * CORS: which web pages may call the API from a browser. The origins come from the CORS_ORIGINS
 * variable (comma-separated, `*` for any; none by default). Preflights carry no credentials,
 * so they are answered here, before auth; other answers get the allow headers for an allowed
 * origin, and `Vary: Origin` always. Credentials travel only in the Authorization header (no
 * cookies), so nothing is allowed with credentials mode. The Durable Streams routes use the
 * same origins with the protocol's own headers.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../errors.ts";

/** CORS_ORIGINS, parsed: any origin, or these; or the entries that are not origins. */
export type CorsOrigins = { any: boolean; origins: ReadonlySet<string> } | { invalid: string[] };

/**
 * Parses CORS_ORIGINS: comma-separated origins (`scheme://host[:port]`, a trailing `/` allowed)
 * or `*`; empty or unset allows none.
 */
export function parseCorsOrigins(raw: string | undefined): CorsOrigins {
  const list = (raw ?? "")
    .split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  const invalid = list.filter((o) => o !== "*" && !isOrigin(o));
  if (invalid.length > 0) return { invalid };
  return { any: list.includes("*"), origins: new Set(list) };
}

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && url.origin === text;
  } catch {
    return false;
  }
}

let parsed: { raw: string | undefined; origins: CorsOrigins } | undefined;

/**
 * The request's Origin if CORS_ORIGINS allows it, else undefined. A CORS_ORIGINS with an entry
 * that is not an origin fails every browser request (500, naming it), not only that origin's.
 */
export function allowedOrigin(env: Env, origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  const raw = (env as { CORS_ORIGINS?: string }).CORS_ORIGINS;
  if (!parsed || parsed.raw !== raw) parsed = { raw, origins: parseCorsOrigins(raw) };
  const allowed = parsed.origins;
  if ("invalid" in allowed) {
    throw new ApiError(
      "UNKNOWN_SERVER_ERROR",
      `the CORS_ORIGINS variable lists what is not an origin: ${allowed.invalid.map((o) => `'${o}'`).join(", ")}; write each as scheme://host[:port] (as https://shop.example), or * for any`,
    );
  }
  return allowed.any || allowed.origins.has(origin) ? origin : undefined;
}

/** Whether a request is a CORS preflight. */
export function isPreflight(req: Request): boolean {
  return req.method === "OPTIONS" && req.headers.has("origin") && req.headers.has("access-control-request-method");
}

/**
 * Sets headers on the context's answer, in place, or on a copy when its headers are immutable
 * (an object's answer passed through). A WebSocket upgrade (101) is left as it is: CORS does
 * not apply to WebSockets, and a copy would lose the socket.
 */
export function addHeaders(c: Context, headers: Record<string, string>): void {
  if (c.res.status === 101) return;
  try {
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  } catch {
    const copy = new Response(c.res.body, c.res);
    for (const [k, v] of Object.entries(headers)) copy.headers.set(k, v);
    c.res = copy;
  }
}

const API_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const API_REQUEST_HEADERS = "authorization, content-type, content-encoding, last-event-id";
const API_EXPOSED_HEADERS = "retry-after, www-authenticate";

/** CORS for /v1 and /upstash. */
export const apiCors = createMiddleware<{ Bindings: Env }>(async (c: Context<{ Bindings: Env }>, next) => {
  const origin = allowedOrigin(c.env, c.req.header("origin"));
  if (isPreflight(c.req.raw)) {
    const headers: Record<string, string> = { vary: "Origin" };
    if (origin) {
      headers["access-control-allow-origin"] = origin;
      headers["access-control-allow-methods"] = API_METHODS;
      headers["access-control-allow-headers"] = API_REQUEST_HEADERS;
      headers["access-control-max-age"] = "600";
    }
    return c.body(null, 204, headers);
  }
  await next();
  const headers: Record<string, string> = { vary: "Origin" };
  if (origin) {
    headers["access-control-allow-origin"] = origin;
    headers["access-control-expose-headers"] = API_EXPOSED_HEADERS;
  }
  addHeaders(c, headers);
});
