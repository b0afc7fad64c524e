// The Durable Streams conformance suite (@durable-streams/server-conformance-tests), unchanged,
// against the running local worker's /ds mount. The suite sends no credentials and has no option
// for headers, so this file does what a client's `headers` option does: it gives the process's
// fetch the bearer token for requests to the worker (and only to it). Auth stays on.
import { runConformanceTests } from "@durable-streams/server-conformance-tests";
import { afterAll, inject } from "vitest";

const baseUrl = inject("baseUrl");
const token = inject("token");
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
