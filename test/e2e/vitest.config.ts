import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // One local worker serves every file; run files one at a time on this 2-core machine.
    fileParallelism: false,
  },
});
