/** The Hono app: routes, CORS, auth, and the one place that turns failures into the error envelope. */
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { StreamApps } from "../cluster/stream-apps.ts";
import { ERROR_CODES, errorBody } from "../sdk/protocol/errors.ts";
import { DURABLE_STREAMS_MOUNT, durableStreamsRoutes } from "./compat/durable-streams/routes.ts";
import { upstashRoutes } from "./compat/upstash/routes.ts";
import { consoleRoutes } from "./console/routes.ts";
import { toApiError } from "./errors.ts";
import { requestMetrics } from "./metrics/request-metrics.ts";
import { bearerAuth } from "./middleware/auth.ts";
import { requireToken } from "./middleware/authorize.ts";
import { apiCors } from "./middleware/cors.ts";
import { countRequests } from "./middleware/metrics.ts";
import { appsRoutes } from "./routes/apps.ts";
import { faultsRoutes } from "./routes/faults.ts";
import { groupsRoutes } from "./routes/groups.ts";
import { meterRoutes } from "./routes/meter.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { producersRoutes } from "./routes/producers.ts";
import { recordsRoutes } from "./routes/records.ts";
import { tokensRoutes } from "./routes/tokens.ts";
import { topicsRoutes } from "./routes/topics.ts";

/**
 * Any Hono app of routes an app built on Tributary adds (`createTributary({ routes })`). Its
 * bindings are the deployment's Env and more, hence the loose type.
 */
// biome-ignore lint/suspicious/noExplicitAny: apps bring their own Env type.
export type AppRoutes = Hono<any, any, any>;

/** The platform's HTTP app: the API under /v1, the compatibility layers, and the app's own routes. */
export function createApp(apps: StreamApps, routes?: AppRoutes): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  // Every request, by route pattern, status and time (this isolate's; docs/metrics.md).
  app.use("*", countRequests);
  app.get("/healthz", (c) => c.json({ ok: true }));
  // The web console's page (no token: it holds no data; its calls to /v1 carry the token).
  app.route("/console", consoleRoutes);
  // Prometheus scrapes /metrics with a bearer token; /v1/metrics is the same under the API.
  const metrics = metricsRoutes(apps);
  app.use("/metrics", requireToken);
  app.route("/metrics", metrics);

  // CORS first: preflights carry no credentials. Then auth; each route authorizes what it does.
  app.use("/v1/*", apiCors);
  app.use("/v1/*", bearerAuth);
  app.route("/v1", tokensRoutes);
  app.route("/v1/topics", topicsRoutes);
  app.route("/v1/topics", recordsRoutes);
  app.route("/v1/groups", groupsRoutes);
  app.route("/v1/producers", producersRoutes);
  app.route("/v1/apps", appsRoutes(apps));
  app.route("/v1/_test/faults", faultsRoutes);
  app.route("/v1/metrics", metrics);
  app.route("/v1/_test/meter", meterRoutes);
  // The Durable Streams protocol, with its own auth (bearer, after CORS preflights).
  app.route(DURABLE_STREAMS_MOUNT, durableStreamsRoutes);
  // The Upstash Kafka REST API (for the @upstash/kafka client), with HTTP Basic auth.
  app.use("/upstash/*", apiCors);
  app.route("/upstash", upstashRoutes);
  if (routes) app.route("/", routes);

  app.notFound((c) => {
    requestMetrics.error("NOT_FOUND");
    return c.json(
      errorBody(
        "NOT_FOUND",
        `there is no route ${c.req.method} ${new URL(c.req.url).pathname}; see the API reference, docs/api.md`,
      ),
      404,
    );
  });
  app.onError((err, c) => {
    const e = toApiError(err);
    requestMetrics.error(e.code);
    return c.json(
      errorBody(e.code, e.message, e.details),
      ERROR_CODES[e.code].status as ContentfulStatusCode,
      e.headers,
    );
  });
  return app;
}
