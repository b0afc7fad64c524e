// The SDK consumer on Deno (test/e2e/deno/consumer-push.ts), whose global WebSocket the
// consumer uses by default: push delivery with the runtime's own WebSocket, across dropped
// sockets. Run with the deno binary of the npm package `deno`, against the local worker.
import { describe, expect, inject, it } from "vitest";
import { DENO, denoInstalled, runDeno } from "./deno/run-deno.mjs";

const script = ["run", "--no-lock", "--allow-net", "--allow-env", "test/e2e/deno/consumer-push.ts"];

describe("the SDK consumer on Deno", () => {
  it("reads by push over Deno's WebSocket, in order, and resumes after the sockets drop", async () => {
    expect(denoInstalled(), `${DENO} is missing: run npm install`).toBe(true);
    const run = await runDeno(script, { TRIBUTARY_URL: inject("baseUrl"), TRIBUTARY_TOKEN: inject("token") });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "");
    expect(summary).toEqual({ ok: true, runtime: "deno", read: 30, sockets: 4 });
  });
});
