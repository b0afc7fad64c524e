// Starts one real local worker (wrangler dev) for the whole end-to-end suite.
import type { TestProject } from "vitest/node";
import { startLocalWorker } from "../helpers/local-worker.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    token: string;
  }
}

export default async function setup(project: TestProject) {
  // Test-only fault injection (never in wrangler.toml): how the replication tests kill leaders.
  const worker = await startLocalWorker({ vars: { TRIBUTARY_FAULTS: "1" } });
  project.provide("baseUrl", worker.url);
  project.provide("token", worker.token);
  return async () => {
    await worker.stop();
  };
}
