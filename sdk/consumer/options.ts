/**
 * The consumer's options: what `client.consumer()` takes, and the schema that resolves the
 * defaults and checks them together when the consumer is created (errors name the field).
 */
import { z } from "zod";
import { groupIdOption, intIn } from "../options.ts";
import { MAX_FETCH_RECORDS, MAX_WAIT_MS } from "../protocol/schemas.ts";
import { globalWebSocket, type WebSocketConstructor } from "../push.ts";
import { type RetryOptions, retryOptionsSchema } from "../retry.ts";

/** Where a partition with no committed offset starts, and what an out-of-range offset resets to. */
export type AutoOffsetReset = "earliest" | "latest" | "none";

/** How records reach the consumer: `"auto"` pushes when a WebSocket is at hand, `"off"` long-polls. */
export type PushMode = "auto" | "websocket" | "off";

/** What `client.consumer()` takes. Times are in milliseconds. */
export interface ConsumerOptions {
  /** The consumer group: members of one group share the partitions of the topics they read. */
  groupId: string;
  /** A member silent this long is removed from the group (1000 to 300000). Default 30000. */
  sessionTimeoutMs?: number;
  /** How often the member heartbeats; must be below sessionTimeoutMs. Default 3000. */
  heartbeatIntervalMs?: number;
  /** Commit processed offsets on an interval and when the group rebalances. Default true. */
  autoCommit?: boolean;
  /** How often processed offsets are committed, with autoCommit. Default 5000. */
  autoCommitIntervalMs?: number;
  /**
   * Where a partition without a committed offset starts, and where an offset that fell out of
   * the log (retention) moves to: `"earliest"`, `"latest"` (default), or `"none"`, which fails
   * with a `NoOffsetError` naming the partition. `subscribe({ fromBeginning: true })` means
   * `"earliest"` for its topics.
   */
  autoOffsetReset?: AutoOffsetReset;
  /** How the group's partitions are divided among members; the server's default is `"range"`. */
  assignor?: "range" | "roundrobin" | "sticky";
  /** The most records handed to one eachBatch (1 to 10000). Default 500. */
  maxRecords?: number;
  /** How long one long poll (or wait on a socket) lasts when there is nothing new (100 to 30000). Default 5000. */
  maxWaitMs?: number;
  /**
   * `"auto"` (default): records are pushed over a WebSocket per partition when the runtime has
   * one (Node 22+, Deno, Bun, browsers, Workers) or `webSocket` is given, and fetched with long
   * polls otherwise (Node 20). `"websocket"`: push, and fail now if there is no WebSocket.
   * `"off"`: always long-poll.
   */
  push?: PushMode;
  /** A WebSocket class to push with instead of the global one, e.g. `WebSocket` of the `ws` or `undici` package. */
  webSocket?: WebSocketConstructor;
  /**
   * How calls that fail with a retriable error are retried, over the client's. A handler that
   * throws is retried with the same backoff, `retries` times; then the consumer crashes.
   */
  retry?: RetryOptions;
}

const DEFAULTS = {
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  autoCommitIntervalMs: 5_000,
  maxRecords: 500,
  maxWaitMs: 5_000,
} as const;

/** The consumer's options (schema), resolved and checked together. */
export const consumerOptionsSchema = z
  .strictObject({
    groupId: groupIdOption,
    sessionTimeoutMs: intIn(1_000, 300_000).default(DEFAULTS.sessionTimeoutMs),
    heartbeatIntervalMs: intIn(10, 299_999).optional(),
    autoCommit: z.boolean({ error: "must be true or false" }).default(true),
    autoCommitIntervalMs: intIn(10, 3_600_000).default(DEFAULTS.autoCommitIntervalMs),
    autoOffsetReset: z
      .enum(["earliest", "latest", "none"], { error: 'must be "earliest", "latest" or "none"' })
      .default("latest"),
    assignor: z
      .enum(["range", "roundrobin", "sticky"], { error: 'must be "range", "roundrobin" or "sticky"' })
      .optional(),
    maxRecords: intIn(1, MAX_FETCH_RECORDS).default(DEFAULTS.maxRecords),
    maxWaitMs: intIn(100, MAX_WAIT_MS).default(DEFAULTS.maxWaitMs),
    push: z.enum(["auto", "websocket", "off"], { error: 'must be "auto", "websocket" or "off"' }).default("auto"),
    webSocket: z
      .custom<WebSocketConstructor>((v) => typeof v === "function", "must be a WebSocket class (a constructor)")
      .optional(),
    retry: retryOptionsSchema.optional(),
  })
  .transform((o, ctx) => {
    const heartbeatIntervalMs =
      o.heartbeatIntervalMs ?? Math.min(DEFAULTS.heartbeatIntervalMs, Math.floor(o.sessionTimeoutMs / 3));
    if (heartbeatIntervalMs >= o.sessionTimeoutMs) {
      ctx.issues.push({
        code: "custom",
        input: o.heartbeatIntervalMs,
        path: ["heartbeatIntervalMs"],
        message: `must be below sessionTimeoutMs (${o.sessionTimeoutMs}); a third of it or less is best`,
      });
    }
    if (o.push === "websocket" && o.webSocket === undefined && globalWebSocket() === undefined) {
      ctx.issues.push({
        code: "custom",
        input: o.push,
        path: ["push"],
        message:
          '"websocket" needs a WebSocket, and this runtime has no global WebSocket (Node 20 has none): pass one as webSocket, or use push "auto"',
      });
    }
    return { ...o, heartbeatIntervalMs };
  });

/** The options resolved: defaults filled in, heartbeatIntervalMs derived from the session timeout. */
export type ConsumerConfig = z.output<typeof consumerOptionsSchema>;
