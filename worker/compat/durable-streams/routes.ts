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
import { bearerAuth } from "../../middleware/auth.ts";
import { type Ctx, text } from "./answers.ts";
import { COMMON_HEADERS } from "./headers.ts";
import { head, read } from "./read.ts";
import { append, create, remove } from "./write.ts";

/** Where app.ts mounts the protocol: a stream `orders/eu` is `/ds/orders/eu`. */
export const DURABLE_STREAMS_MOUNT = "/ds";

export const durableStreamsRoutes = new Hono<{ Bindings: Env }>();

durableStreamsRoutes.use("*", async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(COMMON_HEADERS)) {
    if (!c.res.headers.has(name)) c.res.headers.set(name, value);
  }
});
// CORS preflights carry no credentials, so they are answered before auth.
durableStreamsRoutes.options("*", () => new Response(null, { status: 204, headers: COMMON_HEADERS }));
durableStreamsRoutes.use("*", bearerAuth);
durableStreamsRoutes.all("*", async (c) => {
  const path = streamPath(c);
  if (!path) return text(404, "Stream not found");
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
