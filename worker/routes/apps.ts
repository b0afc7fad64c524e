/** Stream apps: their state, their topology, and interactive queries of their stores. */
import { Hono } from "hono";
import { z } from "zod";
import { queryStore, type StreamApps, startApp, storeOf } from "../../cluster/stream-apps.ts";
import { describeTopology, type StreamsApp } from "../../sdk/streams/index.ts";
import { unwrap } from "../errors.ts";
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

async function describeApp(env: Env, app: StreamsApp) {
  const state = await startApp(env, app);
  const lag = state.tasks.reduce((sum, t) => sum + t.sources.reduce((s, src) => s + (src.lag ?? 0), 0), 0);
  return { ...state, topology: describeTopology(app.topology()), lag };
}

/** The routes of the deployment's stream apps. */
export function appsRoutes(apps: StreamApps) {
  return new Hono<{ Bindings: Env }>()
    .get("/", async (c) => {
      const states = await Promise.all(apps.all.map((a) => startApp(c.env, a)));
      return c.json({
        apps: states.map((a) => ({
          name: a.name,
          state: a.state,
          tasks: a.tasks.length,
          ...(a.reason ? { reason: a.reason } : {}),
        })),
      });
    })
    .get("/:app", async (c) => c.json(await describeApp(c.env, unwrap(apps.get(c.req.param("app"))).app)))
    .post("/:app/start", async (c) => c.json(await describeApp(c.env, unwrap(apps.get(c.req.param("app"))).app)))
    .get("/:app/stores/:store", async (c) => {
      const { app } = unwrap(apps.get(c.req.param("app")));
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
