import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      main: "./test/integration/worker.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TRIBUTARY_TOKENS: "test-token,second-token",
          MAX_REQUEST_BYTES: "4194304",
          TRIBUTARY_FAULTS: "1",
          TRIBUTARY_METER: "1",
          CORS_ORIGINS: "https://shop.example, http://localhost:5173/",
        },
      },
    }),
  ],
  test: {
    include: ["test/integration/**/*.test.ts"],
    // The ad-click example's tests run against its own worker (ad-clicks/vitest.config.ts).
    exclude: ["test/integration/ad-clicks/**"],
    testTimeout: 30_000,
  },
});
