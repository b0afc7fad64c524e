/**
 * GET /metrics (and /v1/metrics): the cluster's figures and this isolate's request metrics in
 * Prometheus's text format (docs/metrics.md). Needs `describe` on the cluster.
 */
import { Hono } from "hono";
import { collectClusterMetrics } from "../../cluster/cluster-metrics.ts";
import type { StreamApps } from "../../cluster/stream-apps.ts";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/exposition.ts";
import { renderMetrics } from "../metrics/render-metrics.ts";
import { requestMetrics } from "../metrics/request-metrics.ts";
import { authorize } from "../middleware/authorize.ts";

export function metricsRoutes(apps: StreamApps) {
  return new Hono<{ Bindings: Env }>().get("/", async (c) => {
    authorize(c, "cluster", "cluster", "describe");
    const started = Date.now();
    const cluster = await collectClusterMetrics(c.env, apps.all);
    const text = renderMetrics(cluster, requestMetrics, (Date.now() - started) / 1000);
    return c.body(text, 200, { "content-type": EXPOSITION_CONTENT_TYPE });
  });
}
