// `npm run bench:store`: the store-level measurements (bench/store-probe.bench.ts) inside workerd.
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../wrangler.toml" },
      miniflare: { bindings: { TRIBUTARY_TOKENS: "bench-token" } },
    }),
  ],
  test: {
    root: "bench",
    include: ["store-probe.bench.ts"],
    testTimeout: 600_000,
  },
});
