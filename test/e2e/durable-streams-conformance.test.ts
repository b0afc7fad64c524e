// Runs the Durable Streams conformance suite against the end-to-end worker, in a vitest of its own,
// and prints its pass count. Every test must pass (the suite's opt-in subscription tests, for the
// protocol's reserved webhook APIs, are not enabled).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, inject, test } from "vitest";

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTests: number;
  testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
}

test("the Durable Streams conformance suite passes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ds-conformance-"));
  const report = join(dir, "report.json");
  try {
    await new Promise<void>((resolve) => {
      execFile(
        process.execPath,
        [
          "node_modules/vitest/vitest.mjs",
          "run",
          "--config",
          "test/e2e/durable-streams/conformance.vitest.config.ts",
          "--reporter=json",
          `--outputFile=${report}`,
        ],
        {
          env: {
            ...process.env,
            DS_CONFORMANCE_WORKER_URL: inject("baseUrl"),
            DS_CONFORMANCE_TOKEN: inject("token"),
          },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 1_500_000,
        },
        () => resolve(),
      );
    });
    const result = JSON.parse(readFileSync(report, "utf8")) as JsonReport;
    const failed = result.testResults
      .flatMap((file) => file.assertionResults)
      .filter((t) => t.status === "failed")
      .map((t) => `${t.fullName}: ${t.failureMessages[0]?.split("\n")[0] ?? ""}`);
    console.log(
      `Durable Streams conformance: ${result.numPassedTests} passed, ${result.numFailedTests} failed, ` +
        `${result.numPendingTests} not run (the suite's opt-in subscription tests) of ${result.numTotalTests}`,
    );
    expect(failed).toEqual([]);
    expect(result.numPassedTests).toBeGreaterThanOrEqual(332);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 1_600_000);
