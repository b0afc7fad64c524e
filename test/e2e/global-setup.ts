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
  const worker = await startLocalWorker();
  project.provide("baseUrl", worker.url);
  project.provide("token", worker.token);
  return async () => {
    await worker.stop();
  };
}
