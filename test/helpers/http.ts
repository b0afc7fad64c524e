// Calls the worker in-process (inside workerd) the way a client would over HTTP.
import { exports } from "cloudflare:workers";

export const TOKEN = "test-token";

export async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any; headers: Headers }> {
  const init: RequestInit = {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
  };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await exports.default.fetch(new Request(`http://tributary.test${path}`, init));
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, json, headers: res.headers };
}

let n = 0;
/** A topic name no other test uses. */
export function uniqueName(prefix = "t"): string {
  return `${prefix}-${Date.now().toString(36)}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function createTopic(partitions = 1, config: Record<string, unknown> = {}, name = uniqueName()) {
  const res = await call("POST", "/v1/topics", { name, partitions, replicationFactor: 1, config });
  if (res.status !== 201) throw new Error(`creating topic ${name} failed: ${JSON.stringify(res.json)}`);
  return name;
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
