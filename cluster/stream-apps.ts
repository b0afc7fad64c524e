/**
 * The stream apps of a deployment and how the platform reaches their tasks: one StreamTask per
 * (app, sub-topology, partition). Workers cannot load code at run time, so an app is code
 * bundled with the worker and handed to createTributary. An app's tasks start when it is first
 * asked for (`POST /v1/apps/:app/start`, `GET /v1/apps`, an app's own routes), and from then on
 * run by themselves (alarms).
 */
import { failure, type Result } from "../sdk/protocol/errors.ts";
import { partitionForKey } from "../sdk/protocol/partitioner.ts";
import type { StoreEntry, StoreInfo, StoreScan, StreamsApp, SubTopology } from "../sdk/streams/index.ts";
import type { TaskIdentity, TaskStatus } from "./rpc/stream-task.ts";
import { streamTaskStub } from "./stubs.ts";
import { topicMeta } from "./topic-cache.ts";
import { ensureTopic } from "./topics.ts";

/** The apps bundled with a deployment. The list is read on every lookup, so it may grow. */
export class StreamApps {
  constructor(private readonly apps: readonly StreamsApp[] = []) {}

  find(name: string): StreamsApp | undefined {
    return this.apps.find((a) => a.name === name);
  }

  get all(): readonly StreamsApp[] {
    return this.apps;
  }

  /** The app named `name`, or NOT_FOUND naming the apps there are. */
  get(name: string): Result<{ app: StreamsApp }> {
    const app = this.find(name);
    if (app) return { ok: true, app };
    const known = this.apps.map((a) => a.name).join(", ") || "none";
    return failure("NOT_FOUND", `there is no stream app named '${name}' (registered: ${known})`, { app: name });
  }
}

/** Partition count of each sub-topology, by sub-topology id. */
export type AppPlan = Result<{ partitions: number[] }>;

const PLAN_TTL_MS = 5_000;
const plans = new Map<string, { plan: AppPlan; expires: number }>();

/**
 * The partition count of each sub-topology, and its repartition topics created. Sources read
 * together (joined or merged) must be co-partitioned, as Kafka Streams requires: the same
 * partition count (and keyed alike, which only their producers can ensure). A sub-topology with
 * topics of its own takes their partition count, and so do the repartition topics it reads; one
 * that reads only repartition topics takes the largest count of the sub-topologies writing them.
 * Global tables' topics must exist; their partition counts do not matter.
 */
export async function planApp(env: Env, app: StreamsApp): Promise<AppPlan> {
  // Store queries (a dashboard polling) need the plan each time; partition counts change rarely.
  const hit = plans.get(app.name);
  if (hit && hit.expires > Date.now()) return hit.plan;
  const plan = await makePlan(env, app);
  if (plan.ok) plans.set(app.name, { plan, expires: Date.now() + PLAN_TTL_MS });
  return plan;
}

async function makePlan(env: Env, app: StreamsApp): Promise<AppPlan> {
  const subs = app.topology().subTopologies;
  const own = (sub: SubTopology) => sub.sources.filter((t) => !sub.internalSources.includes(t));
  const found = new Map<string, number>();
  // Repartition topics are made as durable as the app's own sources.
  let replicationFactor = 1;
  for (const topic of new Set(subs.flatMap((sub) => [...own(sub), ...sub.globalTopics]))) {
    const meta = await topicMeta(env, topic);
    if (!meta.ok) {
      return meta.code === "UNKNOWN_TOPIC_OR_PARTITION"
        ? failure(
            "UNKNOWN_TOPIC_OR_PARTITION",
            `source topic '${topic}' does not exist; create it before starting app '${app.name}'`,
            { topic, app: app.name },
          )
        : meta;
    }
    found.set(topic, meta.topic.partitions);
    replicationFactor = Math.max(replicationFactor, meta.topic.replicationFactor);
  }
  const partitions: (number | undefined)[] = [];
  for (const sub of subs) {
    const counts = own(sub).map((t) => found.get(t)!);
    if (new Set(counts).size > 1) {
      return failure(
        "INVALID_PARTITIONS",
        `sources ${own(sub).join(", ")} of app '${app.name}' are read together (joined or merged), so they must be co-partitioned, but they have ${counts.join(", ")} partitions: create them with the same partition count, or repartition one side (stream.repartition(), or a table's stream .repartition().toTable()) so that it is written through a topic with the other's count`,
        { app: app.name, sources: own(sub) },
      );
    }
    partitions.push(counts[0]);
  }
  const writer = new Map<string, number>();
  for (const sub of subs) for (const sink of sub.sinks) writer.set(sink, sub.id);
  for (let changed = true; changed; ) {
    changed = false;
    for (const sub of subs) {
      if (partitions[sub.id] !== undefined) continue;
      const upstream = sub.internalSources.map((t) => partitions[writer.get(t)!]);
      if (upstream.some((n) => n === undefined)) continue;
      partitions[sub.id] = Math.max(1, ...(upstream as number[]));
      changed = true;
    }
  }
  for (const sub of subs) {
    const count = partitions[sub.id];
    if (count === undefined) throw new Error(`app '${app.name}': sub-topology ${sub.id} has no partition count`);
    for (const topic of sub.internalSources) {
      const made = await ensureTopic(env, topic, { partitions: count, replicationFactor });
      if (!made.ok) return made;
      if (made.topic.partitions !== count) {
        return failure(
          "INVALID_PARTITIONS",
          `repartition topic '${topic}' of app '${app.name}' has ${made.topic.partitions} partitions, but what reads it has ${count} (its sources changed since it was made): delete it (DELETE /v1/topics/${topic}) and it is made again`,
          { app: app.name, topic },
        );
      }
    }
  }
  return { ok: true, partitions: partitions as number[] };
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
  if (!plan.ok) return { name: app.name, state: "waiting", reason: plan.message, tasks: [] };
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

/** The queryable (not internal) store `name` of the app, or NOT_FOUND naming its stores. */
export function storeOf(app: StreamsApp, name: string): Result<{ store: StoreInfo }> {
  const stores = app.topology().stores.filter((s) => !s.internal);
  const store = stores.find((s) => s.name === name);
  if (store) return { ok: true, store };
  return failure(
    "NOT_FOUND",
    `app '${app.name}' has no store '${name}' (its stores: ${stores.map((s) => s.name).join(", ") || "none"})`,
    { store: name },
  );
}

/**
 * Entries of one of the app's stores: from the task owning `scan.key` (the partition its
 * sub-topology's partitioner gives the key), or from every task; sorted by key then window,
 * at most `scan.limit`. `truncated` says whether a task had more than the limit.
 */
export async function queryStore(
  env: Env,
  app: StreamsApp,
  name: string,
  scan: StoreScan,
): Promise<Result<{ store: StoreInfo; entries: StoreEntry[]; truncated: boolean }>> {
  const found = storeOf(app, name);
  if (!found.ok) return found;
  const { store } = found;
  const plan = await planApp(env, app);
  if (!plan.ok) return plan;
  const partitions = plan.partitions[store.subTopology]!;
  // Every task of its sub-topology holds all of a global table: one answers.
  const owners = store.global
    ? [0]
    : scan.key === undefined
      ? Array.from({ length: partitions }, (_, p) => p)
      : partitions > 0
        ? [partitionForKey(scan.key, partitions)]
        : [];
  const pages = await Promise.all(
    owners.map(
      (partition) =>
        streamTaskStub(env, { app: app.name, subTopology: store.subTopology, partition }).query(name, scan) as Promise<
          StoreEntry[]
        >,
    ),
  );
  const entries = pages
    .flat()
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.windowStart - b.windowStart))
    .slice(0, scan.limit);
  return { ok: true, store, entries, truncated: pages.some((p) => p.length >= scan.limit) };
}
