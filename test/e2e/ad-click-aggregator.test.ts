// The ad-click example as its README drives it: the load generator (Zipf ads, a hot ad, repeated,
// out-of-order and too-late clicks, some through the redirect endpoint) against the local
// worker, then the verifier comparing the advertiser API's answers with the exact expected counts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { runNode as node } from "../helpers/run-node.ts";

const dir = mkdtempSync(join(tmpdir(), "ad-clicks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("examples/ad-click-aggregator load generator and verifier", () => {
  it("counts every ad exactly per minute and per hour, and ranks the top ads, as the expected counts say", async () => {
    const out = join(dir, "expected.json");
    const url = inject("adClicksUrl");
    const load = await node("examples/ad-click-aggregator/load.mjs", [
      ...["--url", url, "--token", inject("token"), "--seconds", "4", "--rate", "1500", "--batch", "300"],
      ...["--ads", "50", "--redirects", "10", "--out", out],
    ]);
    expect(load.stderr).toBe("");
    expect(load.code).toBe(0);
    const expected = JSON.parse(readFileSync(out, "utf8"));
    // The run really had repeats and too-late clicks, and clicks through the redirect endpoint.
    expect(expected.clicks.redirected).toBe(10);
    expect(expected.clicks.repeatedRedirects).toBe(2);
    expect(expected.clicks.countedInMinutes).toBeLessThan(expected.clicks.produced + expected.clicks.redirected);
    const hot = Object.values(expected.minute[expected.hotAd] as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(hot / expected.clicks.countedInMinutes).toBeGreaterThan(0.25);

    const verify = await node("examples/ad-click-aggregator/verify.mjs", [
      ...["--expected", out, "--token", inject("token"), "--wait-seconds", "60"],
    ]);
    expect(verify.stderr).toBe("");
    expect(verify.stdout).toMatch(/exact: 51 ads, per minute and per hour, and the top 10 of \d minutes match/);
    expect(verify.code).toBe(0);
  });

  it("the verifier fails, listing the difference, when an expected count is off by one", async () => {
    const out = join(dir, "expected.json");
    const expected = JSON.parse(readFileSync(out, "utf8"));
    const [start, count] = Object.entries(expected.minute[expected.hotAd] as Record<string, number>)[0]!;
    expected.minute[expected.hotAd][start] = count + 1;
    const wrong = join(dir, "wrong.json");
    writeFileSync(wrong, JSON.stringify(expected));
    const verify = await node("examples/ad-click-aggregator/verify.mjs", [
      ...["--expected", wrong, "--token", inject("token"), "--wait-seconds", "0"],
    ]);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain(
      `minute ${expected.hotAd} ${new Date(Number(start)).toISOString()}: expected ${count + 1}, answered ${count}`,
    );
  });
});
