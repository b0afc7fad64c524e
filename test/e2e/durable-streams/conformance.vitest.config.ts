// The vitest that runs the Durable Streams conformance suite for ../durable-streams-conformance.test.ts.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/durable-streams/conformance.suite.ts"],
    // The suite's own long-poll tests allow 21 s; everything else answers in well under that.
    testTimeout: 30_000,
    // Some of the suite's SSE tests give up on a stream after 2 s, which this shared 2-core
    // machine, running workerd, the dev proxy and the suite at once, now and then exceeds.
    retry: 2,
  },
});
