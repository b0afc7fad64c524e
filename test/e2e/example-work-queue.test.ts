// Runs examples/work-queue/main.ts as its README says (with the deno binary of the npm package
// `deno`), against the local worker the e2e setup started, and checks what it prints.
import { describe, expect, inject, it } from "vitest";
import { DENO, denoInstalled, runDeno } from "./deno/run-deno.mjs";

const command = ["run", "--no-lock", "--allow-net", "--allow-env", "examples/work-queue/main.ts"];

describe("examples/work-queue", () => {
  it("handles the good jobs, retries the flaky one, and ends the corrupt ones in the dead-letter topic", async () => {
    expect(denoInstalled(), `${DENO} is missing: run npm install`).toBe(true);
    const run = await runDeno(command, { TRIBUTARY_URL: inject("baseUrl"), TRIBUTARY_TOKEN: inject("token") });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    const summary = JSON.parse(lines.at(-1)!.replace(/^Summary: /, ""));
    expect(summary).toMatchObject({
      jobs: 12,
      succeeded: 9,
      deadLettered: 3,
      deadLetteredJobs: [4, 8, 12],
      // 9 good jobs once, the flaky one once more, 3 corrupt ones 3 times each.
      deliveries: 19,
    });
    expect(summary.byWorker["worker-a"] + summary.byWorker["worker-b"]).toBe(9);
    expect(run.stdout).toContain("job 6: thumbnail of photo-6.jpg done (delivery 2 of 3)");
    for (const id of [4, 8, 12]) {
      expect(run.stdout).toMatch(
        new RegExp(
          `job ${id}: from ${summary.topic}/\\d offset \\d+, group ${summary.topic}-workers, 3 deliveries, reason "Error: photo-${id}.jpg is corrupt"`,
        ),
      );
    }
  });

  it("exits non-zero with the error when the worker refuses its token", async () => {
    const run = await runDeno(command, { TRIBUTARY_URL: inject("baseUrl"), TRIBUTARY_TOKEN: "not-the-token" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("UNAUTHENTICATED");
  });
});
