// CORS for browsers on other origins: the CORS_ORIGINS of the test config (vitest.config.ts)
// may call the API; preflights are answered before auth; other origins get no allow headers.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createTopic, uniqueName } from "../helpers/http.ts";
import { issueToken } from "./token-helpers.ts";

const SHOP = "https://shop.example";

function preflight(path: string, origin: string, method = "POST", headers = "authorization, content-type") {
  return exports.default.fetch(
    new Request(`http://tributary.test${path}`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
    }),
  );
}

describe("CORS", () => {
  it("answers a preflight from an allowed origin before auth, naming the origin", async () => {
    const res = await preflight("/v1/topics/clicks/records", SHOP);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(res.headers.get("vary")).toContain("Origin");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("allows an origin listed with a trailing slash, compared without it", async () => {
    const res = await preflight("/v1/topics", "http://localhost:5173");
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
  });

  it("gives an origin that is not allowed no allow headers, on preflights and answers", async () => {
    const pre = await preflight("/v1/topics/clicks/records", "https://evil.example");
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    const res = await exports.default.fetch(
      new Request("http://tributary.test/v1/topics", {
        headers: { origin: "https://evil.example", authorization: "Bearer test-token" },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("lets a page produce with a write-only token, and read the answer and the errors", async () => {
    const topic = await createTopic(1);
    const { token } = await issueToken({ acls: [{ resource: "topic", pattern: topic, operations: ["write"] }] });
    const send = (path: string, t = token) =>
      exports.default.fetch(
        new Request(`http://tributary.test${path}`, {
          method: "POST",
          headers: { origin: SHOP, authorization: `Bearer ${t}`, "content-type": "application/json" },
          body: JSON.stringify({ records: [{ value: { page: "/" } }] }),
        }),
      );
    const ok = await send(`/v1/topics/${topic}/records`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(ok.headers.get("access-control-expose-headers")).toContain("retry-after");
    const denied = await send(`/v1/groups/${uniqueName()}/offsets`);
    expect(denied.status).toBe(403);
    expect(denied.headers.get("access-control-allow-origin")).toBe(SHOP);
    const unauthenticated = await send(`/v1/topics/${topic}/records`, "nope");
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get("access-control-allow-origin")).toBe(SHOP);
  });

  it("adds the allow headers to a subscription's event stream", async () => {
    const topic = await createTopic(1);
    const res = await exports.default.fetch(
      new Request(`http://tributary.test/v1/topics/${topic}/partitions/0/subscribe?token=test-token`, {
        headers: { origin: SHOP, accept: "text/event-stream" },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.headers.get("access-control-allow-origin")).toBe(SHOP);
    await res.body?.cancel();
  });

  it("uses the same origins for the Durable Streams and Upstash routes", async () => {
    const ds = await preflight("/ds/cors/stream", SHOP, "GET", "if-none-match");
    expect(ds.status).toBe(204);
    expect(ds.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(ds.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("if-none-match");
    const dsOther = await preflight("/ds/cors/stream", "https://evil.example", "GET");
    expect(dsOther.headers.get("access-control-allow-origin")).toBeNull();
    const path = `/ds/cors/${uniqueName()}`;
    const created = await exports.default.fetch(
      new Request(`http://tributary.test${path}`, {
        method: "PUT",
        headers: { origin: SHOP, authorization: "Bearer test-token", "content-type": "text/plain" },
      }),
    );
    expect(created.status).toBe(201);
    expect(created.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(created.headers.get("x-content-type-options")).toBe("nosniff");
    const upstash = await preflight("/upstash/produce", SHOP);
    expect(upstash.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect((await call("GET", "/healthz")).status).toBe(200);
  });
});
