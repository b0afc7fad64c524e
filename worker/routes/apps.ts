/** Stream apps: their state, their topology, and interactive queries of their stores. */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { queryStore, type StreamApps, startApp, storeOf } from "../../cluster/stream-apps.ts";
import { describeTopology, type StreamsApp } from "../../sdk/streams/index.ts";
import { unwrap } from "../errors.ts";
import type { Principal } from "../middleware/auth.ts";
import { can, denied, principalOf } from "../middleware/authorize.ts";
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

/** The topics an app reads and writes, without its internal (repartition) topics. */
function appTopics(app: StreamsApp): { sources: string[]; sinks: string[] } {
  const sources = new Set<string>();
  const sinks = new Set<string>();
  for (const node of app.topology().nodes) {
    if (node.kind === "source" && !node.internal) sources.add(node.topic);
    if (node.kind === "sink" && !node.internal) sinks.add(node.topic);
  }
  return { sources: [...sources], sinks: [...sinks] };
}

/**
 * Whether the principal may see an app (its state, topology and lag) or, with `read`, query its
 * stores: `describe` on the cluster, or the operation on every topic it involves (to describe:
 * its sources and sinks; to read its stores, made of its sources' records: its sources).
 */
function mayUse(principal: Principal, app: StreamsApp, operation: "describe" | "read"): string | undefined {
  if (can(principal, "cluster", "cluster", "describe")) return undefined;
  const { sources, sinks } = appTopics(app);
  const topics = operation === "read" ? sources : [...sources, ...sinks];
  return topics.find((t) => !can(principal, "topic", t, operation));
}

function authorizeApp(c: Context, app: StreamsApp, operation: "describe" | "read"): void {
  const principal = principalOf(c);
  const missing = mayUse(principal, app, operation);
  if (missing !== undefined) throw denied(principal, "topic", missing, operation);
}

async function describeApp(env: Env, app: StreamsApp) {
  const state = await startApp(env, app);
  const lag = state.tasks.reduce((sum, t) => sum + t.sources.reduce((s, src) => s + (src.lag ?? 0), 0), 0);
  return { ...state, topology: describeTopology(app.topology()), lag };
}

/** The routes of the deployment's stream apps. */
export function appsRoutes(apps: StreamApps) {
  return new Hono<{ Bindings: Env }>()
    .get("/", async (c) => {
      const principal = principalOf(c);
      const visible = apps.all.filter((a) => mayUse(principal, a, "describe") === undefined);
      const states = await Promise.all(visible.map((a) => startApp(c.env, a)));
      return c.json({
        apps: states.map((a) => ({
          name: a.name,
          state: a.state,
          tasks: a.tasks.length,
          ...(a.reason ? { reason: a.reason } : {}),
        })),
      });
    })
    .get("/:app", async (c) => {
      const { app } = unwrap(apps.get(c.req.param("app")));
      authorizeApp(c, app, "describe");
      return c.json(await describeApp(c.env, app));
    })
    .post("/:app/start", async (c) => {
      const { app } = unwrap(apps.get(c.req.param("app")));
      authorizeApp(c, app, "describe");
      return c.json(await describeApp(c.env, app));
    })
    .get("/:app/stores/:store", async (c) => {
      const { app } = unwrap(apps.get(c.req.param("app")));
      authorizeApp(c, app, "read");
      const name = c.req.param("store");
      const { store } = unwrap(storeOf(app, name));
      const query = validate(storeQuerySchema, c.req.query(), "store query");
      const { entries } = unwrap(await queryStore(c.env, app, name, query));
      return c.json({
        store: name,
        entries: entries.map((e) =>
          store.windowed
            ? { key: e.keyValue, windowStart: e.windowStart, windowEnd: e.windowEnd, value: e.value }
            : { key: e.keyValue, value: e.value },
        ),
      });
    });
}
