/** Stream apps: their state, their topology, and interactive queries of their stores. */
import { Hono } from "hono";
import { z } from "zod";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";
import { describeTopology, type StreamsApp } from "../../sdk/streams/index.ts";
import type { StoreEntry } from "../../sdk/streams/state.ts";
import { ApiError } from "../errors.ts";
import { findStreamApp, planApp, startApp, streamApps, streamTaskStub } from "../stream-apps.ts";
import { validate } from "../validate.ts";

const MAX_ENTRIES = 10_000;

const int = (name: string) =>
  z
    .string()
    .regex(/^-?\d+$/, `${name} must be a whole number of milliseconds`)
    .transform(Number);

const storeQuerySchema = z.strictObject({
  key: z.string().optional(),
  from: int("from").optional(),
  to: int("to").optional(),
  limit: z
    .string()
    .regex(/^\d+$/, "limit must be a whole number")
    .transform(Number)
    .pipe(z.int().min(1, "limit must be at least 1").max(MAX_ENTRIES, `limit must be at most ${MAX_ENTRIES}`))
    .default(1000),
});

function appOf(name: string): StreamsApp {
  const app = findStreamApp(name);
  if (!app) {
    const known = streamApps.map((a) => a.name).join(", ") || "none";
    throw new ApiError("NOT_FOUND", `there is no stream app named '${name}' (registered: ${known})`, { app: name });
  }
  return app;
}

async function describeApp(env: Env, app: StreamsApp) {
  const state = await startApp(env, app);
  const lag = state.tasks.reduce((sum, t) => sum + t.sources.reduce((s, src) => s + (src.lag ?? 0), 0), 0);
  return { ...state, topology: describeTopology(app.topology()), lag };
}

export const appsRoutes = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => {
    const apps = await Promise.all(streamApps.map((a) => startApp(c.env, a)));
    return c.json({
      apps: apps.map((a) => ({
        name: a.name,
        state: a.state,
        tasks: a.tasks.length,
        ...(a.reason ? { reason: a.reason } : {}),
      })),
    });
  })
  .get("/:app", async (c) => c.json(await describeApp(c.env, appOf(c.req.param("app")))))
  .post("/:app/start", async (c) => c.json(await describeApp(c.env, appOf(c.req.param("app")))))
  .get("/:app/stores/:store", async (c) => {
    const app = appOf(c.req.param("app"));
    const name = c.req.param("store");
    const info = app.topology().stores.find((s) => s.name === name && !s.internal);
    if (!info) {
      const known = app
        .topology()
        .stores.filter((s) => !s.internal)
        .map((s) => s.name);
      throw new ApiError(
        "NOT_FOUND",
        `app '${app.name}' has no store '${name}' (its stores: ${known.join(", ") || "none"})`,
        {
          store: name,
        },
      );
    }
    const query = validate(storeQuerySchema, c.req.query(), "store query");
    const plan = await planApp(c.env, app);
    if (!plan.ok) throw new ApiError(plan.code, plan.reason);
    const partitions = plan.partitions[info.subTopology]!;
    // A key lives in the task of its partition (the partitioner of its sub-topology's sources).
    const owners =
      query.key === undefined
        ? Array.from({ length: partitions }, (_, p) => p)
        : partitions > 0
          ? [partitionForKey(query.key, partitions)]
          : [];
    const scan = { key: query.key, from: query.from, to: query.to, limit: query.limit };
    const pages = await Promise.all(
      owners.map(
        (partition) =>
          streamTaskStub(c.env, { app: app.name, subTopology: info.subTopology, partition }).query(
            name,
            scan,
          ) as Promise<StoreEntry[]>,
      ),
    );
    const entries = pages
      .flat()
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.windowStart - b.windowStart))
      .slice(0, query.limit)
      .map((e) =>
        info.windowed
          ? { key: e.keyValue, windowStart: e.windowStart, windowEnd: e.windowEnd, value: e.value }
          : { key: e.keyValue, value: e.value },
      );
    return c.json({ store: name, entries });
  });
