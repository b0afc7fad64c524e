// The Yahoo Streaming Benchmark example as its README drives it: the generator (100 campaigns × 10
// ads, view/click/purchase events) against the example's own worker at a small rate, timing every
// window and checking its count as it goes, then the verifier comparing every window's count with
// the ground truth the generator wrote.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { runNode as node } from "../helpers/run-node.ts";

const dir = mkdtempSync(join(tmpdir(), "ysb-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("examples/yahoo-streaming-benchmark generator and verifier", () => {
  const out = join(dir, "expected.json");
  const connection = ["--url", inject("ysbUrl"), "--token", inject("token")];

  it("counts the views of every campaign in every 10-second window exactly, joined through the campaigns global table", async () => {
    const load = await node("examples/yahoo-streaming-benchmark/load.mjs", [
      ...connection,
      ...["--rate", "600", "--seconds", "12", "--batch", "200", "--out", out],
    ]);
    expect(load.stderr).toBe("");
    expect(load.code).toBe(0);
    expect(load.stdout).toContain("every window's count is exact");
    expect(load.stdout).toMatch(/window end → final count queryable: p50 \d+ ms, p99 \d+ ms/);
    const truth = JSON.parse(readFileSync(out, "utf8"));
    expect(truth.campaigns).toHaveLength(100);
    // About a third of the events are views, over at least two windows.
    expect(truth.views / truth.events).toBeGreaterThan(0.25);
    expect(truth.views / truth.events).toBeLessThan(0.42);
    const windows = Object.keys(truth.windows).length;
    expect(windows).toBeGreaterThanOrEqual(2);

    const verify = await node("examples/yahoo-streaming-benchmark/verify.mjs", [
      ...connection,
      ...["--expected", out, "--wait-seconds", "30"],
    ]);
    expect(verify.stderr).toBe("");
    expect(verify.stdout).toContain(
      `exact: ${windows} windows × 100 campaigns, ${truth.views} views of ${truth.events} events`,
    );
    expect(verify.code).toBe(0);
  });

  it("the verifier fails, naming the window and the campaign, when a count is off by one", async () => {
    const truth = JSON.parse(readFileSync(out, "utf8"));
    const [start, counts] = Object.entries(truth.windows as Record<string, Record<string, number>>)[0]!;
    const [campaign, n] = Object.entries(counts)[0]!;
    truth.windows[start][campaign] = n + 1;
    const wrong = join(dir, "wrong.json");
    writeFileSync(wrong, JSON.stringify(truth));
    const verify = await node("examples/yahoo-streaming-benchmark/verify.mjs", [
      ...connection,
      ...["--expected", wrong, "--wait-seconds", "0"],
    ]);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain(
      `window ${new Date(Number(start)).toISOString()} campaign ${campaign}: expected ${n + 1}, answered ${n}`,
    );
  });
});
