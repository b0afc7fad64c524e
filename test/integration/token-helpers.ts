// Scoped tokens for the tests inside workerd: issued by the superuser test token, and requests
// made with any token (or none), in the form each layer authenticates (bearer, Basic for Upstash).
import { exports } from "cloudflare:workers";
import { call } from "../helpers/http.ts";

export interface Issued {
  id: string;
  token: string;
}

/** Issues a scoped token with the superuser token; throws unless it was created. */
export async function issueToken(body: { acls: unknown[]; [field: string]: unknown }, name = "test"): Promise<Issued> {
  const res = await call("POST", "/v1/tokens", { name, ...body });
  if (res.status !== 201) throw new Error(`issuing a token failed: ${res.status} ${JSON.stringify(res.json)}`);
  return { id: res.json.id, token: res.json.token };
}

export interface Answer {
  status: number;
  /** The error code: of the JSON envelope, or the prefix of an Upstash error; undefined on success. */
  code: string | undefined;
  json: any;
  headers: Headers;
}

/**
 * A request made with `token` (none when undefined): as a bearer token, or as the password of
 * Basic auth on /upstash. Answers need not be JSON (HEAD, the Durable Streams protocol).
 */
export async function requestAs(
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const h: Record<string, string> = { ...headers };
  if (token !== undefined) {
    h.authorization = path.startsWith("/upstash") ? `Basic ${btoa(`user:${token}`)}` : `Bearer ${token}`;
  }
  if (body !== undefined && !h["content-type"]) h["content-type"] = "application/json";
  const init: RequestInit = { method, headers: h };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await exports.default.fetch(new Request(`http://tributary.test${path}`, init));
  const text = method === "HEAD" ? "" : await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const envelope = json?.error;
  const code =
    typeof envelope === "object" && envelope !== null
      ? envelope.code
      : typeof envelope === "string"
        ? /^([A-Z_]+):/.exec(envelope)?.[1]
        : undefined;
  return { status: res.status, code, json, headers: res.headers };
}
