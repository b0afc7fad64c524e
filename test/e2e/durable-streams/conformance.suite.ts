// The Durable Streams conformance suite (@durable-streams/server-conformance-tests), unchanged,
// against a running Tributary worker's /ds mount. Run by ../durable-streams-conformance.test.ts
// in a vitest of its own (see conformance.vitest.config.ts). The suite sends no credentials and
// has no option for headers, so this file does what a client's `headers` option does: it gives
// the process's fetch the bearer token for requests to the worker, and only to it. Auth stays on.
import { runConformanceTests } from "@durable-streams/server-conformance-tests";
import { afterAll } from "vitest";

const baseUrl = process.env.DS_CONFORMANCE_WORKER_URL;
const token = process.env.DS_CONFORMANCE_TOKEN;
if (!baseUrl || !token) throw new Error("set DS_CONFORMANCE_WORKER_URL and DS_CONFORMANCE_TOKEN");

const plainFetch = globalThis.fetch;
globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input);
  if (!url.startsWith(baseUrl)) return plainFetch(input, init);
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
  return plainFetch(input, { ...init, headers });
};
afterAll(() => {
  globalThis.fetch = plainFetch;
});

runConformanceTests({ baseUrl: `${baseUrl}/ds` });
