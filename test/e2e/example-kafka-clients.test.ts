// Runs examples/kafka-clients/orders.mjs (a plain kafkajs program) as its README says, against
// the suite's worker and Kafka gateway, and checks what it prints: every order read once, the
// totals per customer, the group's commits, and a clear failure with a wrong token.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { ROOT } from "../helpers/local-worker.mjs";

function runExample(token: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, "examples/kafka-clients/orders.mjs")],
      {
        cwd: ROOT,
        timeout: 60_000,
        env: { ...process.env, KAFKA_BROKER: inject("kafkaBroker"), TRIBUTARY_TOKEN: token },
      },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("examples/kafka-clients", () => {
  it("produces, consumes in a group and commits every order through the gateway", async () => {
    const run = await runExample(inject("token"));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(13);
    const summary = JSON.parse(lines.at(-1)!.replace(/^Summary: /, ""));
    expect(summary).toMatchObject({ read: 12, committed: 12, byCustomer: { ada: 220, grace: 260, edsger: 300 } });
    // Each customer's orders are on one partition, in the order produced.
    for (const customer of ["ada", "grace", "edsger"]) {
      const mine = lines.filter((l) => l.includes(` of ${customer}:`));
      expect(new Set(mine.map((l) => /partition (\d+)/.exec(l)![1])).size).toBe(1);
      const orders = mine.map((l) => Number(/^order (\d+)/.exec(l)![1]));
      expect(orders).toEqual([...orders].sort((a, b) => a - b));
    }
  });

  it("exits 1 with SASL's error when the token is wrong", async () => {
    const run = await runExample("not-the-token");
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain("the password is not a valid Tributary token");
  });
});
