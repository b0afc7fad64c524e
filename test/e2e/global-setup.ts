// Starts the real local workers (wrangler dev) for the whole end-to-end suite: the platform as
// the root wrangler.toml deploys it, the ad-click and Yahoo Streaming Benchmark examples' own
// workers, and a Kafka gateway.
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startLocalGateway } from "../helpers/local-gateway.mjs";
import { freePort, ROOT, startLocalWorker } from "../helpers/local-worker.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    token: string;
    /** The ad-click example's worker (examples/ad-click-aggregator/wrangler.toml). */
    adClicksUrl: string;
    /** A free port for the browser test's page, whose origin (http://127.0.0.1:<port>) the worker allows (CORS). */
    pagePort: number;
    /** A Kafka gateway (`tributary gateway`) in front of the platform, with the token for clients without SASL. */
    kafkaBroker: string;
    /** The Yahoo Streaming Benchmark example's worker (examples/yahoo-streaming-benchmark/wrangler.toml). */
    ysbUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const pagePort = await freePort();
  const [worker, adClicks, ysb] = await Promise.all([
    // Test-only fault injection (never in wrangler.toml): how the replication tests kill leaders.
    // CORS: the browser test's page, and the origin the docs' examples use.
    startLocalWorker({
      vars: { TRIBUTARY_FAULTS: "1", CORS_ORIGINS: `http://127.0.0.1:${pagePort},http://127.0.0.1:5173` },
    }),
    startLocalWorker({ config: join(ROOT, "examples/ad-click-aggregator/wrangler.toml") }),
    startLocalWorker({ config: join(ROOT, "examples/yahoo-streaming-benchmark/wrangler.toml") }),
  ]);
  const gateway = await startLocalGateway({ url: worker.url, token: worker.token });
  project.provide("baseUrl", worker.url);
  project.provide("token", worker.token);
  project.provide("adClicksUrl", adClicks.url);
  project.provide("pagePort", pagePort);
  project.provide("kafkaBroker", gateway.broker);
  project.provide("ysbUrl", ysb.url);
  return async () => {
    await Promise.all([worker.stop(), adClicks.stop(), ysb.stop(), gateway.stop()]);
  };
}
