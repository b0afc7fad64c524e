/**
 * Counts every request the worker answers into this isolate's request metrics
 * (metrics/request-metrics.ts): by the route pattern it matched (as `/v1/topics/:topic`, never
 * the raw path, so the series stay few), its method and status, and how long it took.
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { requestMetrics } from "../metrics/request-metrics.ts";

/**
 * The pattern of the route that answers: the last matched route of a method (the middleware
 * are `ALL` routes); else the last catch-all matched (as `/ds/*`, or `/v1/*` for a path under
 * /v1 that no route matches); else `unmatched`.
 */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c).filter((r) => r.path !== "/*" && r.path !== "*");
  return (routes.findLast((r) => r.method !== "ALL") ?? routes.at(-1))?.path ?? "unmatched";
}

export const countRequests: MiddlewareHandler = async (c, next) => {
  // Workers' clocks move on only across I/O, which every request but the simplest does.
  const started = Date.now();
  await next();
  requestMetrics.observe({ method: c.req.method, route: routeLabel(c) }, c.res.status, (Date.now() - started) / 1000);
};
