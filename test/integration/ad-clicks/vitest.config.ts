import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// The ad-click example's own worker (examples/ad-click-aggregator), not the platform's.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./examples/ad-click-aggregator/wrangler.toml" },
      miniflare: {
        bindings: {
          TRIBUTARY_TOKENS: "test-token,second-token",
          AD_CLICKS_SIGNING_KEY: "test-signing-key-of-the-ad-server",
          TRIBUTARY_FAULTS: "1",
        },
      },
    }),
  ],
  test: {
    include: ["test/integration/ad-clicks/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
