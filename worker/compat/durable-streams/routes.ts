/**
 * The Durable Streams protocol (https://github.com/durable-streams/durable-streams) over
 * Tributary: PUT creates a stream, POST appends (or closes), GET reads from an offset (catch-up,
 * `live=long-poll` or `live=sse`), HEAD gives its metadata, DELETE removes it. Each stream is a
 * single-partition topic; a DurableStream object per path holds the protocol's own state and
 * is the stream's only writer (write.ts); readers read the partition directly (read.ts).
 * Answers use the protocol's headers, status codes and plain-text error bodies, as its
 * reference server does.
 */
import { Hono } from "hono";
import { topicNameFor } from "../../../cluster/durable-streams/topic-name.ts";
import type { AclOperation } from "../../../sdk/protocol/schemas.ts";
import { bearerAuth } from "../../middleware/auth.ts";
import { authorize } from "../../middleware/authorize.ts";
import { addHeaders, allowedOrigin, isPreflight } from "../../middleware/cors.ts";
import { type Ctx, text } from "./answers.ts";
import { COMMON_HEADERS } from "./headers.ts";
import { head, read } from "./read.ts";
import { append, create, remove } from "./write.ts";

/** Where app.ts mounts the protocol: a stream `orders/eu` is `/ds/orders/eu`. */
export const DURABLE_STREAMS_MOUNT = "/ds";

export const durableStreamsRoutes = new Hono<{ Bindings: Env }>();

/** The protocol's headers, and the CORS_ORIGINS origin if the request's is allowed. */
function headersFor(c: Ctx): Record<string, string> {
  const origin = allowedOrigin(c.env, c.req.header("origin"));
  return { ...COMMON_HEADERS, vary: "Origin", ...(origin ? { "access-control-allow-origin": origin } : {}) };
}

durableStreamsRoutes.use("*", async (c, next) => {
  const headers = headersFor(c);
  // CORS preflights carry no credentials, so they are answered before auth.
  if (isPreflight(c.req.raw)) return new Response(null, { status: 204, headers });
  await next();
  addHeaders(c, Object.fromEntries(Object.entries(headers).filter(([name]) => !c.res.headers.has(name))));
});
durableStreamsRoutes.options("*", (c) => new Response(null, { status: 204, headers: headersFor(c) }));
durableStreamsRoutes.use("*", bearerAuth);

/** What each method does to the stream's topic, as a topic ACL names it. */
const OPERATIONS: Record<string, AclOperation> = {
  PUT: "create",
  POST: "write",
  GET: "read",
  HEAD: "describe",
  DELETE: "delete",
};

durableStreamsRoutes.all("*", async (c) => {
  const path = streamPath(c);
  if (!path) return text(404, "Stream not found");
  // A stream is its topic (cluster/durable-streams/topic-name.ts), and its topic's ACLs rule it.
  const operation = OPERATIONS[c.req.method];
  if (operation) authorize(c, "topic", await topicNameFor(path), operation);
  const forkedFrom = c.req.method === "PUT" ? c.req.header("stream-forked-from") : undefined;
  if (forkedFrom) authorize(c, "topic", await topicNameFor(forkedFrom), "read");
  switch (c.req.method) {
    case "PUT":
      return create(c, path);
    case "POST":
      return append(c, path);
    case "GET":
      return read(c, path);
    case "HEAD":
      return head(c, path);
    case "DELETE":
      return remove(c, path);
    default:
      return text(405, "Method not allowed");
  }
});

/** The stream's path below the mount point, as sent (still percent-encoded). */
function streamPath(c: Ctx): string | undefined {
  const pathname = new URL(c.req.url).pathname;
  const path = pathname.slice(DURABLE_STREAMS_MOUNT.length);
  return path.length > 1 ? path : undefined;
}
