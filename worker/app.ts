/** The Hono app: routes, auth, and the one place that turns failures into the error envelope. */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { adClickRoutes } from "../examples/ad-click-aggregator/routes.ts";
import { ERROR_CODES, errorBody } from "../sdk/protocol/errors.ts";
import { DURABLE_STREAMS_MOUNT, durableStreamsRoutes } from "./compat/durable-streams/routes.ts";
import { upstashRoutes } from "./compat/upstash/routes.ts";
import { ApiError } from "./errors.ts";
import { bearerAuth } from "./middleware/auth.ts";
import { appsRoutes } from "./routes/apps.ts";
import { faultsRoutes } from "./routes/faults.ts";
import { groupsRoutes } from "./routes/groups.ts";
import { producersRoutes } from "./routes/producers.ts";
import { recordsRoutes } from "./routes/records.ts";
import { topicsRoutes } from "./routes/topics.ts";

export const app = new Hono<{ Bindings: Env }>();

app.get("/healthz", (c) => c.json({ ok: true }));

app.use("/v1/*", bearerAuth);
app.route("/v1/topics", topicsRoutes);
app.route("/v1/topics", recordsRoutes);
app.route("/v1/groups", groupsRoutes);
app.route("/v1/producers", producersRoutes);
app.route("/v1/apps", appsRoutes);
app.route("/v1/_test/faults", faultsRoutes);
// The Durable Streams protocol, with its own auth (bearer, after CORS preflights).
app.route(DURABLE_STREAMS_MOUNT, durableStreamsRoutes);
// The Upstash Kafka REST API (for the @upstash/kafka client), with HTTP Basic auth.
app.route("/upstash", upstashRoutes);
// The ad-click aggregator example (examples/ad-click-aggregator): clicks, queries, dashboard.
app.route("/", adClickRoutes);

app.notFound((c) =>
  c.json(
    errorBody(
      "NOT_FOUND",
      `there is no route ${c.req.method} ${new URL(c.req.url).pathname}; see the API table in the README`,
    ),
    404,
  ),
);

app.onError((err, c) => {
  if (err instanceof ApiError) {
    const status = ERROR_CODES[err.code].status as ContentfulStatusCode;
    return c.json(errorBody(err.code, err.message, err.details), status, err.headers);
  }
  if (err instanceof HTTPException) {
    const code =
      err.status === 413 ? "RECORD_LIST_TOO_LARGE" : err.status === 401 ? "UNAUTHENTICATED" : "INVALID_REQUEST";
    return c.json(errorBody(code, err.message || "the request was refused"), err.status as ContentfulStatusCode);
  }
  // Errors thrown by the Durable Object runtime itself (object overloaded, reset, unreachable).
  const rt = err as Error & { retryable?: boolean; overloaded?: boolean };
  if (rt.overloaded) {
    return c.json(
      errorBody("THROTTLING_QUOTA_EXCEEDED", `the partition is overloaded, retry shortly: ${rt.message}`),
      429,
      {
        "Retry-After": "1",
      },
    );
  }
  if (rt.retryable) {
    return c.json(errorBody("LEADER_NOT_AVAILABLE", `the partition is briefly unavailable, retry: ${rt.message}`), 503);
  }
  console.error("unexpected error", err);
  return c.json(errorBody("UNKNOWN_SERVER_ERROR", "the server failed unexpectedly; the error was logged"), 500);
});
