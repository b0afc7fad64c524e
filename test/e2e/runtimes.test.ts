// The SDK on every JavaScript runtime it claims, with scoped tokens: the same scenario
// (runtimes/scenario.ts: an idempotent producer with a write-only token, that token refused a
// read, a reader and a consumer group with a read token, every record pushed over WebSockets)
// on Node, on Deno and on Bun (each binary from npm), and inside a Worker (runtimes/sdk-worker,
// its own wrangler dev, calling the platform over HTTP). The browser runs it through the
// browser example (browser.test.ts). A missing runtime fails its test: a skipped one checks
// nothing.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { WebSocket as UndiciWebSocket } from "undici";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClient, type WebSocketConstructor } from "../../sdk/index.ts";
import { ROOT, startLocalWorker } from "../helpers/local-worker.mjs";
import { runDeno } from "./deno/run-deno.mjs";
import { runScenario, type ScenarioInput } from "./runtimes/scenario.ts";

const url = inject("baseUrl");
const admin = createClient({ url, token: inject("token") }).admin();
/** Bun from npm (the `bun` dev dependency); TRIBUTARY_TEST_BUN names another binary. */
const BUN = process.env.TRIBUTARY_TEST_BUN ?? join(ROOT, "node_modules/.bin/bun");
const CLI = "test/e2e/runtimes/cli.ts";

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

/** A new topic and group, and a write-only and a read token for them. */
async function prepare(runtime: string): Promise<ScenarioInput> {
  const topic = unique(`rt-${runtime}`);
  const group = unique(`rt-${runtime}-g`);
  await admin.createTopic({ topic, partitions: 2, replicationFactor: 1 });
  const write = await admin.createToken({
    name: `${runtime} writer`,
    acls: [{ resource: "topic", pattern: topic, operations: ["write"] }],
  });
  const read = await admin.createToken({
    name: `${runtime} reader`,
    acls: [
      { resource: "topic", pattern: topic, operations: ["read"] },
      { resource: "group", pattern: group, operations: ["read"] },
    ],
  });
  return { url, topic, group, writeToken: write.token, readToken: read.token };
}

const expected = {
  produced: 6,
  refused: "TOPIC_AUTHORIZATION_FAILED",
  read: 6,
  consumed: 6,
  matches: true,
  partitions: expect.any(Array),
  consumerFetches: 0,
};

function run(command: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    execFile(command, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 90_000 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

const lastLine = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1) ?? "null");

describe("the SDK on every runtime, with scoped tokens", () => {
  it("runs on Node", async () => {
    const summary = await runScenario({
      ...(await prepare("node")),
      webSocket: UndiciWebSocket as unknown as WebSocketConstructor,
    });
    expect(summary).toEqual(expected);
  });

  it("runs on Deno", async () => {
    const input = await prepare("deno");
    const result = await runDeno(["run", "--no-lock", "--allow-net", "--allow-env", "--allow-read", CLI], {
      SCENARIO: JSON.stringify(input),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lastLine(result.stdout)).toEqual({ runtime: "deno", version: expect.any(String), ...expected });
  });

  it("runs on Bun, installed from npm", async () => {
    expect(existsSync(BUN), `${BUN} is missing: add bun to the devDependencies and run npm install`).toBe(true);
    const input = await prepare("bun");
    const result = await run(BUN, [CLI], { SCENARIO: JSON.stringify(input) });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lastLine(result.stdout)).toEqual({
      runtime: "bun",
      version: expect.stringMatching(/^\d+\.\d+/),
      ...expected,
    });
  });

  describe("inside a Worker", () => {
    let worker: Awaited<ReturnType<typeof startLocalWorker>>;
    beforeAll(async () => {
      worker = await startLocalWorker({ config: join(ROOT, "test/e2e/runtimes/sdk-worker/wrangler.toml") });
    }, 90_000);
    afterAll(async () => {
      await worker?.stop();
    });

    it("runs in a worker that calls the platform over HTTP", async () => {
      const input = await prepare("worker");
      const res = await fetch(`${worker.url}/run`, { method: "POST", body: JSON.stringify(input) });
      const summary = await res.json();
      expect(summary).toEqual({ runtime: "workerd", version: "Cloudflare-Workers", ...expected });
      expect(res.status).toBe(200);
    });
  });
});
