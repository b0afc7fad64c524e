import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { hashSecret } from "../../cluster/token-cache.ts";
import { call, createTopic, uniqueName, waitFor } from "../helpers/http.ts";
import { issueToken, requestAs } from "./token-helpers.ts";

describe("scoped tokens", () => {
  it("answers a new token's secret once, lists it without the secret, and knows who it is", async () => {
    const name = uniqueName("ingest");
    const acls = [{ resource: "topic", pattern: "web-events.*", operations: ["write"] }];
    const created = await call("POST", "/v1/tokens", { name, acls, quota: { recordsPerSecond: 100 } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name, acls, quota: { recordsPerSecond: 100 } });
    expect(created.json.token).toMatch(/^trb_[A-Za-z0-9_-]{43}$/);
    expect(created.json.id).toMatch(/^tok_/);

    const listed = await call("GET", "/v1/tokens");
    const entry = listed.json.tokens.find((t: { id: string }) => t.id === created.json.id);
    expect(entry).toEqual({
      id: created.json.id,
      name,
      acls,
      quota: { recordsPerSecond: 100 },
      createdAt: expect.any(Number),
    });
    expect(JSON.stringify(listed.json)).not.toContain(created.json.token);

    const me = await requestAs(created.json.token, "GET", "/v1/token");
    expect(me.status).toBe(200);
    expect(me.json).toEqual({ id: created.json.id, name, superuser: false, acls, quota: { recordsPerSecond: 100 } });
    const root = await call("GET", "/v1/token");
    expect(root.json).toEqual({ name: "bootstrap", superuser: true, acls: [] });
  });

  it("keeps only the SHA-256 of the secret in the Controller", async () => {
    const { id, token } = await issueToken({ acls: [] });
    const stub = env.CONTROLLER.get(env.CONTROLLER.idFromName("cluster"));
    const rows = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<Record<string, string>>("SELECT * FROM tokens WHERE id = ?", id).toArray(),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.hash).toBe(await hashSecret(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it("refuses a revoked token at once on the worker that revoked it, and a second revoke", async () => {
    const { id, token } = await issueToken({ acls: [] });
    expect((await requestAs(token, "GET", "/v1/token")).status).toBe(200);
    const revoked = await call("DELETE", `/v1/tokens/${id}`);
    expect(revoked).toMatchObject({ status: 200, json: { revoked: id } });
    const after = await requestAs(token, "GET", "/v1/token");
    expect(after).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    expect(after.headers.get("www-authenticate")).toContain("Bearer");
    expect(await call("DELETE", `/v1/tokens/${id}`)).toMatchObject({
      status: 404,
      json: { error: { code: "TOKEN_NOT_FOUND" } },
    });
  });

  it("refuses an expired token with 401, and a token that would expire in the past", async () => {
    const { token } = await issueToken({ acls: [], expiresAt: Date.now() + 300 });
    expect((await requestAs(token, "GET", "/v1/token")).status).toBe(200);
    const expired = await waitFor(async () => {
      const r = await requestAs(token, "GET", "/v1/token");
      return r.status === 401 ? r : undefined;
    }, 5_000);
    expect(expired.code).toBe("UNAUTHENTICATED");
    expect(expired.json.error.message).toContain("expired");
    const past = await call("POST", "/v1/tokens", { name: "late", acls: [], expiresAt: Date.now() - 1 });
    expect(past).toMatchObject({ status: 400, json: { error: { code: "INVALID_REQUEST", field: "expiresAt" } } });
  });

  it("refuses a token it never issued, and tells how to send one", async () => {
    const made = await requestAs(`trb_${"A".repeat(43)}`, "GET", "/v1/token");
    expect(made).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    expect((await requestAs(undefined, "GET", "/v1/token")).json.error.message).toContain("Authorization: Bearer");
  });

  it("validates ACLs, naming the field", async () => {
    const bad = await call("POST", "/v1/tokens", {
      name: "x",
      acls: [{ resource: "topic", pattern: "a*b", operations: ["write"] }],
    });
    expect(bad).toMatchObject({ status: 400, json: { error: { code: "INVALID_REQUEST", field: "acls[0].pattern" } } });
  });

  it("lets only superusers and tokens with cluster alter manage tokens", async () => {
    const { id, token } = await issueToken({ acls: [{ resource: "cluster", operations: ["describe"] }] });
    for (const [method, path, body] of [
      ["POST", "/v1/tokens", { name: "more", acls: [] }],
      ["GET", "/v1/tokens", undefined],
      ["DELETE", `/v1/tokens/${id}`, undefined],
    ] as const) {
      expect(await requestAs(token, method, path, body)).toMatchObject({
        status: 403,
        code: "CLUSTER_AUTHORIZATION_FAILED",
      });
    }
    expect((await requestAs(token, "GET", "/v1/token")).status).toBe(200);
  });

  it("lets a token issue only rights it holds, expiring no later than itself, within its quota", async () => {
    const expiresAt = Date.now() + 3_600_000;
    const admin = await issueToken({
      acls: [
        { resource: "cluster", operations: ["alter"] },
        { resource: "topic", pattern: "tenant-a.*", operations: ["write", "read"] },
      ],
      expiresAt,
      quota: { recordsPerSecond: 50 },
    });
    const ok = await requestAs(admin.token, "POST", "/v1/tokens", {
      name: "page",
      acls: [{ resource: "topic", pattern: "tenant-a.clicks", operations: ["write"] }],
      quota: { recordsPerSecond: 500, bytesPerSecond: 4096 },
    });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ expiresAt, quota: { recordsPerSecond: 50, bytesPerSecond: 4096 } });

    const wider = await requestAs(admin.token, "POST", "/v1/tokens", {
      name: "page",
      acls: [{ resource: "topic", pattern: "tenant-*", operations: ["write"] }],
    });
    expect(wider).toMatchObject({ status: 403, code: "TOPIC_AUTHORIZATION_FAILED" });
    expect(wider.json.error.message).toContain("only rights it holds");
    const more = await requestAs(admin.token, "POST", "/v1/tokens", {
      name: "page",
      acls: [{ resource: "topic", pattern: "tenant-a.clicks", operations: ["delete"] }],
    });
    expect(more).toMatchObject({ status: 403, code: "TOPIC_AUTHORIZATION_FAILED" });
  });
});

describe("per-token produce quotas", () => {
  it("answers 429 with Retry-After over the token's records per second, storing nothing", async () => {
    const topic = await createTopic(1);
    const { token } = await issueToken({
      acls: [{ resource: "topic", pattern: topic, operations: ["write"] }],
      quota: { recordsPerSecond: 5 },
    });
    const records = (n: number) => ({ records: Array.from({ length: n }, (_, i) => ({ value: i })) });
    // A batch over the rate goes through and takes the bucket nine seconds below zero: until it
    // is back above, produces wait.
    expect((await requestAs(token, "POST", `/v1/topics/${topic}/records`, records(50))).status).toBe(200);
    const refused = await requestAs(token, "POST", `/v1/topics/${topic}/records`, records(5));
    expect(refused).toMatchObject({ status: 429, code: "THROTTLING_QUOTA_EXCEEDED" });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.json.error.retryAfterMs).toBeGreaterThan(0);
    expect(refused.json.error.retriable).toBe(true);
    const offsets = await call("GET", `/v1/topics/${topic}/partitions/0/offsets?at=latest`);
    expect(offsets.json.offset).toBe(50);
    // The superuser has no quota.
    expect((await call("POST", `/v1/topics/${topic}/records`, records(5))).status).toBe(200);
  });

  it("counts bytes per second across the token's produces", async () => {
    const topic = await createTopic(1);
    const { token } = await issueToken({
      acls: [{ resource: "topic", pattern: topic, operations: ["write"] }],
      quota: { bytesPerSecond: 1024 },
    });
    const big = { records: [{ value: "x".repeat(10_000) }] };
    expect((await requestAs(token, "POST", `/v1/topics/${topic}/records`, big)).status).toBe(200);
    expect(await requestAs(token, "POST", `/v1/topics/${topic}/records`, big)).toMatchObject({
      status: 429,
      code: "THROTTLING_QUOTA_EXCEEDED",
    });
  });
});
