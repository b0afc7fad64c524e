/**
 * The stream apps bundled with this worker (Workers cannot load code at run time, so an app is
 * code registered here), and how the worker reaches their tasks: one StreamTask per
 * (app, sub-topology, partition). An app's tasks start on `POST /v1/apps/:app/start` or on
 * `GET /v1/apps` / `GET /v1/apps/:app`, and from then on run by themselves (alarms).
 */
import type { TopicMeta } from "../durable-objects/controller/types.ts";
import type { TaskIdentity, TaskStatus } from "../durable-objects/stream-task/types.ts";
import { adClicksApp } from "../examples/ad-click-aggregator/topology.ts";
import type { Result } from "../sdk/protocol/errors.ts";
import type { StreamsApp } from "../sdk/streams/index.ts";
import { controllerStub, streamTaskStub } from "./stubs.ts";

/** The registered apps. Add yours here: `import { myApp } from "…"; streamApps.push(myApp)` or in the list. */
export const streamApps: StreamsApp[] = [adClicksApp];

export function findStreamApp(name: string): StreamsApp | undefined {
  return streamApps.find((a) => a.name === name);
}

// Named in stubs.ts with the other objects; exported here too for the app routes and tests.
export { streamTaskStub };

export type AppPlan =
  | { ok: true; partitions: number[] }
  | { ok: false; reason: string; code: "UNKNOWN_TOPIC_OR_PARTITION" | "INVALID_PARTITIONS" };

/**
 * The partition count of each sub-topology: its source topics' (which must be equal, as Kafka
 * Streams requires of co-partitioned sources). Repartition topics are created here with the
 * partition count of the sub-topology writing them.
 */
export async function planApp(env: Env, app: StreamsApp): Promise<AppPlan> {
  // Store queries (a dashboard polling) need the plan each time; partition counts change rarely.
  const hit = plans.get(app.name);
  if (hit && hit.expires > Date.now()) return hit.plan;
  const plan = await makePlan(env, app);
  if (plan.ok) plans.set(app.name, { plan, expires: Date.now() + PLAN_TTL_MS });
  return plan;
}

const PLAN_TTL_MS = 5_000;
const plans = new Map<string, { plan: AppPlan; expires: number }>();

async function makePlan(env: Env, app: StreamsApp): Promise<AppPlan> {
  const topology = app.topology();
  const controller = controllerStub(env);
  const partitions: number[] = [];
  const writers = new Map<string, number>();
  // Repartition topics are made as durable as the app's own sources.
  let replicationFactor = 1;
  for (const sub of topology.subTopologies) {
    const counts: number[] = [];
    for (const source of sub.sources) {
      const internal = sub.internalSources.includes(source);
      let found = (await controller.getTopic(source)) as Result<{ topic: TopicMeta }>;
      if (!found.ok && internal) {
        const upstream = writers.get(source);
        const created = (await controller.createTopic({
          name: source,
          partitions: upstream === undefined ? 1 : partitions[upstream]!,
          replicationFactor,
        })) as Result<{ topic: TopicMeta }>;
        found = created.ok ? created : ((await controller.getTopic(source)) as Result<{ topic: TopicMeta }>);
      }
      if (!found.ok) {
        return {
          ok: false,
          code: "UNKNOWN_TOPIC_OR_PARTITION",
          reason: `source topic '${source}' does not exist; create it before starting app '${app.name}'`,
        };
      }
      counts.push(found.topic.partitions);
      if (!internal) replicationFactor = Math.max(replicationFactor, found.topic.replicationFactor);
    }
    if (new Set(counts).size > 1) {
      return {
        ok: false,
        code: "INVALID_PARTITIONS",
        reason: `sources ${sub.sources.join(", ")} of app '${app.name}' are read together and need the same partition count (they have ${counts.join(", ")})`,
      };
    }
    partitions.push(counts[0] ?? 0);
    for (const sink of sub.sinks) writers.set(sink, sub.id);
  }
  return { ok: true, partitions };
}

export interface AppState {
  name: string;
  state: "running" | "error" | "waiting";
  reason?: string;
  tasks: TaskStatus[];
}

/** Starts (idempotently) every task of the app and answers their progress. */
export async function startApp(env: Env, app: StreamsApp): Promise<AppState> {
  const plan = await planApp(env, app);
  if (!plan.ok) return { name: app.name, state: "waiting", reason: plan.reason, tasks: [] };
  const ids = plan.partitions.flatMap((n, subTopology) =>
    Array.from({ length: n }, (_, partition): TaskIdentity => ({ app: app.name, subTopology, partition })),
  );
  const tasks = await Promise.all(
    ids.map(async (id) => {
      const started = (await streamTaskStub(env, id).start(id)) as Result<{ status: TaskStatus }>;
      if (!started.ok) throw new Error(`task ${JSON.stringify(id)} refused to start: ${started.message}`);
      return started.status;
    }),
  );
  const failing = tasks.find((t) => t.lastError);
  return failing
    ? { name: app.name, state: "error", reason: failing.lastError!, tasks }
    : { name: app.name, state: "running", tasks };
}
