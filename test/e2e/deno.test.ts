// Runs the SDK on Deno: test/e2e/deno/sdk-smoke.ts, with the deno binary of the npm package
// `deno` (a dev dependency), against the local worker the e2e setup started.
import { describe, expect, inject, it } from "vitest";
import { DENO, denoInstalled, runDeno } from "./deno/run-deno.mjs";

// --no-lock: leave no deno.lock in the project. "zod" resolves from node_modules because the
// project has a package.json (Deno 2's manual node_modules mode), so nothing is downloaded.
const smoke = ["run", "--no-lock", "--allow-net", "--allow-env", "--allow-read", "test/e2e/deno/sdk-smoke.ts"];

describe("the SDK on Deno", () => {
  it("has the deno binary installed from npm", () => {
    expect(denoInstalled(), `${DENO} is missing: run npm install`).toBe(true);
  });

  it("type-checks the SDK's source with deno check", async () => {
    const run = await runDeno(["check", "--no-lock", "sdk/index.ts"], {});
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
  });

  it("creates a topic, produces keyed records and reads them back", async () => {
    const run = await runDeno(smoke, { TRIBUTARY_URL: inject("baseUrl"), TRIBUTARY_TOKEN: inject("token") });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "");
    expect(summary).toMatchObject({ ok: true, runtime: "deno", produced: 13, read: 13 });
    expect(summary.deno).toMatch(/^\d+\.\d+\.\d+/);
    expect(summary.partitions.length).toBeGreaterThan(1);
  });

  it("exits non-zero when the worker refuses it", async () => {
    const run = await runDeno(smoke, { TRIBUTARY_URL: inject("baseUrl"), TRIBUTARY_TOKEN: "not-the-token" });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("UNAUTHENTICATED");
    expect(run.stdout).toBe("");
  });
});
