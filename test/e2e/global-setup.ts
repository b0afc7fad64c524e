// Starts the real local workers (wrangler dev) for the whole end-to-end suite: the platform as
// the root wrangler.toml deploys it, and the ad-click example's own worker.
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { ROOT, startLocalWorker } from "../helpers/local-worker.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    token: string;
    /** The ad-click example's worker (examples/ad-click-aggregator/wrangler.toml). */
    adClicksUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const [worker, adClicks] = await Promise.all([
    // Test-only fault injection (never in wrangler.toml): how the replication tests kill leaders.
    startLocalWorker({ vars: { TRIBUTARY_FAULTS: "1" } }),
    startLocalWorker({ config: join(ROOT, "examples/ad-click-aggregator/wrangler.toml") }),
  ]);
  project.provide("baseUrl", worker.url);
  project.provide("token", worker.token);
  project.provide("adClicksUrl", adClicks.url);
  return async () => {
    await Promise.all([worker.stop(), adClicks.stop()]);
  };
}
