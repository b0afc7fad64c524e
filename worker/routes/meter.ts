/**
 * Benchmark- and test-only: the billable-unit meter's counters (cluster/meter.ts),
 * summed over every object of this isolate, per class and in total, with the worker's requests.
 * `GET` reads them; `POST /reset` reads them and starts them again from zero. The route answers
 * only when the TRIBUTARY_METER variable is "1" (`npm run cost` sets it; wrangler.toml never
 * does): otherwise 404. It needs `alter` on the cluster, as fault injection does.
 */
import { Hono } from "hono";
import { meterEnabled, readMeter } from "../../cluster/meter.ts";
import { ApiError } from "../errors.ts";
import { authorize } from "../middleware/authorize.ts";

function checkEnabled(env: Env, what: string) {
  if (!meterEnabled(env)) {
    throw new ApiError("NOT_FOUND", `there is no route ${what}; see the API reference, docs/api.md`);
  }
}

export const meterRoutes = new Hono<{ Bindings: Env }>()
  .get("/", (c) => {
    authorize(c, "cluster", "cluster", "alter");
    checkEnabled(c.env, "GET /v1/_test/meter");
    return c.json(readMeter(false));
  })
  .post("/reset", (c) => {
    authorize(c, "cluster", "cluster", "alter");
    checkEnabled(c.env, "POST /v1/_test/meter/reset");
    return c.json(readMeter(true));
  });
