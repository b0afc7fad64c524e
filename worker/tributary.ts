/**
 * createTributary: a deployment of the platform, as a worker entry and the Durable Object
 * classes wrangler binds. The root wrangler.toml deploys the platform alone
 * (worker/index.ts); an app built on Tributary bundles its stream apps and routes with it:
 *
 * @example
 * // my-app/worker.ts (main of its wrangler config, which binds the same objects)
 * import { createTributary } from "tributary/worker";
 * import { clicksApp } from "./topology.ts";
 * import { routes } from "./routes.ts";
 *
 * const tributary = createTributary({ streamApps: [clicksApp], routes });
 * export class Controller extends tributary.Controller {}
 * export class PartitionLog extends tributary.PartitionLog {}
 * export class GroupCoordinator extends tributary.GroupCoordinator {}
 * export class StreamTask extends tributary.StreamTask {}
 * export class DurableStream extends tributary.DurableStream {}
 * export class TokenQuota extends tributary.TokenQuota {}
 * export default tributary.worker;
 */

import { meterEnabled, meterWorkerRequest } from "../cluster/meter.ts";
import { StreamApps } from "../cluster/stream-apps.ts";
import { Controller } from "../durable-objects/controller/controller.ts";
import { DurableStream } from "../durable-objects/durable-stream/durable-stream.ts";
import { GroupCoordinator } from "../durable-objects/group-coordinator/group-coordinator.ts";
import { PartitionLog } from "../durable-objects/partition-log/partition-log.ts";
import { StreamTask } from "../durable-objects/stream-task/stream-task.ts";
import { TokenQuota } from "../durable-objects/token-quota/token-quota.ts";
import type { StreamsApp } from "../sdk/streams/index.ts";
import { type AppRoutes, createApp } from "./app.ts";

export interface TributaryOptions {
  /**
   * The stream apps this deployment runs (Workers cannot load code at run time, so they are
   * bundled). The list is read on every lookup: an app added to it later is found too.
   */
  streamApps?: StreamsApp[];
  /**
   * The app's own HTTP routes, mounted at `/` beside the platform's (`/v1`, `/ds`, `/upstash`,
   * `/healthz`, which come first). Errors they throw get the platform's error envelope.
   */
  routes?: AppRoutes;
}

export interface Tributary {
  /** The worker entry: `export default tributary.worker`. */
  worker: ExportedHandler<Env>;
  Controller: typeof Controller;
  PartitionLog: typeof PartitionLog;
  GroupCoordinator: typeof GroupCoordinator;
  StreamTask: typeof StreamTask;
  DurableStream: typeof DurableStream;
  TokenQuota: typeof TokenQuota;
}

export function createTributary(options: TributaryOptions = {}): Tributary {
  const apps = new StreamApps(options.streamApps ?? []);
  const app = createApp(apps, options.routes);
  /** StreamTask running this deployment's apps. */
  class AppStreamTask extends StreamTask {
    protected override readonly apps = apps;
  }
  return {
    worker: {
      fetch: (request, env, ctx) => {
        // The billable-unit meter (npm run cost and its tests only): each request the worker gets.
        if (meterEnabled(env)) meterWorkerRequest();
        return app.fetch(request, env, ctx);
      },
    },
    Controller,
    PartitionLog,
    GroupCoordinator,
    StreamTask: AppStreamTask,
    DurableStream,
    TokenQuota,
  };
}
