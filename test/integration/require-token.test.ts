// `requireToken` and `authorize` from tributary/worker, as an app's own routes use them: any
// valid token, one with a given right, and a check inside the handler on a name from the body.
import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { StreamApps } from "../../cluster/stream-apps.ts";
import { createApp } from "../../worker/app.ts";
import { authorize, requireToken } from "../../worker/platform.ts";
import { TOKEN, uniqueName } from "../helpers/http.ts";
import { issueToken } from "./token-helpers.ts";

const routes = new Hono<{ Bindings: Env }>()
  .get("/me", requireToken, (c) => c.json({ name: c.get("principal").name }))
  .get("/me-too", requireToken(), (c) => c.json({ name: c.get("principal").name }))
  .post("/orders", requireToken({ resource: "topic", name: "orders", operation: "write" }), (c) =>
    c.json({ accepted: true }),
  )
  .post("/to", requireToken, async (c) => {
    const { topic } = await c.req.json<{ topic: string }>();
    authorize(c, "topic", topic, "write");
    return c.json({ accepted: topic });
  });
const app = createApp(new StreamApps([]), routes);

async function ask(path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await app.request(
    path,
    body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) },
    env,
  );
  return { status: res.status, json: (await res.json()) as any };
}

describe("requireToken and authorize in an app's routes", () => {
  it("lets any valid token through requireToken, with its principal in the context", async () => {
    const name = uniqueName("app-user");
    const { token } = await issueToken({ acls: [] }, name);
    expect(await ask("/me", token)).toEqual({ status: 200, json: { name } });
    expect(await ask("/me-too", token)).toEqual({ status: 200, json: { name } });
    expect(await ask("/me", TOKEN)).toEqual({ status: 200, json: { name: "bootstrap" } });
    expect((await ask("/me")).status).toBe(401);
    expect((await ask("/me-too", "trb_nope")).status).toBe(401);
  });

  it("lets only a token with the right through requireToken with a permission", async () => {
    const writer = await issueToken({ acls: [{ resource: "topic", pattern: "orders", operations: ["write"] }] });
    const reader = await issueToken({ acls: [{ resource: "topic", pattern: "orders", operations: ["read"] }] });
    expect(await ask("/orders", writer.token, {})).toEqual({ status: 200, json: { accepted: true } });
    const denied = await ask("/orders", reader.token, {});
    expect(denied.status).toBe(403);
    expect(denied.json.error).toMatchObject({
      code: "TOPIC_AUTHORIZATION_FAILED",
      topic: "orders",
      operation: "write",
    });
  });

  it("checks a name from the body with authorize", async () => {
    const { token } = await issueToken({ acls: [{ resource: "topic", pattern: "tenant-a.*", operations: ["write"] }] });
    expect(await ask("/to", token, { topic: "tenant-a.orders" })).toEqual({
      status: 200,
      json: { accepted: "tenant-a.orders" },
    });
    expect((await ask("/to", token, { topic: "tenant-b.orders" })).json.error.code).toBe("TOPIC_AUTHORIZATION_FAILED");
  });
});
