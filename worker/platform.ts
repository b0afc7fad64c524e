/**
 * `tributary/worker`: what an app built on the platform imports. `createTributary` makes the
 * deployment (worker entry and Durable Object classes); the rest is for the app's own routes:
 * the platform's calls in process (no HTTP hop), its auth (`requireToken`, `authorize`: the
 * calling token's ACLs, docs/security.md), validation and errors.
 *
 * @example
 * import { Hono } from "hono";
 * import { appendToTopic, requireToken, unwrap } from "tributary/worker";
 *
 * const mayWrite = requireToken({ resource: "topic", name: "orders", operation: "write" });
 * export const routes = new Hono<{ Bindings: Env }>().post("/orders", mayWrite, async (c) => {
 *   const order = await c.req.json();
 *   unwrap(await appendToTopic(c.env, "orders", [{ key: order.id, value: order }], { acks: "all" }));
 *   return c.json({ accepted: order.id }, 202);
 * });
 */
export type { Appended, AppendedBatch, AppendOptions } from "../cluster/append.ts";
export { appendToTopic, eachRecord } from "../cluster/append.ts";
export { offsetAt, partitionStatus, readPartition } from "../cluster/reads.ts";
export type { TopicMeta } from "../cluster/rpc/controller.ts";
export type { FetchSuccess } from "../cluster/rpc/partition-log.ts";
export type { AppState } from "../cluster/stream-apps.ts";
export { queryStore, startApp } from "../cluster/stream-apps.ts";
export type { NewTopic } from "../cluster/topics.ts";
export { describeTopic, ensureTopic } from "../cluster/topics.ts";
export type { ErrorCode, Failure, Result } from "../sdk/protocol/errors.ts";
export type { AclOperation, AclResource } from "../sdk/protocol/schemas.ts";
export type { StoreEntry, StoreScan } from "../sdk/streams/index.ts";
export type { AppRoutes } from "./app.ts";
export { ApiError, unwrap } from "./errors.ts";
export type { Principal } from "./middleware/auth.ts";
export type { Permission } from "./middleware/authorize.ts";
export { authorize, requireToken } from "./middleware/authorize.ts";
export type { Tributary, TributaryOptions } from "./tributary.ts";
export { createTributary } from "./tributary.ts";
export { validate } from "./validate.ts";
