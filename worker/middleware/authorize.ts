/**
 * Authorization: whether the calling token may perform an operation, as Kafka's ACLs decide it
 * (acl.ts). Every route of every layer names the resource and operation it performs and calls
 * `authorize` before it changes or reveals anything; a missing right answers 403 with Kafka's
 * code. Superusers (TRIBUTARY_TOKENS) may do everything. The route → operation table is in
 * docs/security.md. Also here: `requireToken` for an app's own routes, and the per-token
 * produce quota.
 */
import type { Context, MiddlewareHandler, Next } from "hono";
import { tokenQuotaStub } from "../../cluster/stubs.ts";
import type { ErrorCode, Result } from "../../sdk/protocol/errors.ts";
import type { AclOperation, AclResource } from "../../sdk/protocol/schemas.ts";
import { ApiError, unwrap } from "../errors.ts";
import { allows, allowsSome } from "./acl.ts";
import { authenticateRequest, type Principal } from "./auth.ts";

const CODES: Record<AclResource, ErrorCode> = {
  topic: "TOPIC_AUTHORIZATION_FAILED",
  group: "GROUP_AUTHORIZATION_FAILED",
  cluster: "CLUSTER_AUTHORIZATION_FAILED",
};

/** The cluster's name in messages and ACL matching (a cluster ACL's pattern is always `*`). */
const CLUSTER = "cluster";

/** The principal the auth middleware found; a route reached without it is a bug. */
export function principalOf(c: Context): Principal {
  const principal = c.get("principal");
  if (!principal) throw new Error(`no principal for ${c.req.method} ${c.req.path}: the route has no auth middleware`);
  return principal;
}

/** Whether the principal may perform `operation` on the resource (named `name`; any name for the cluster). */
export function can(principal: Principal, resource: AclResource, name: string, operation: AclOperation): boolean {
  return principal.superuser || allows(principal.acls, resource, resource === "cluster" ? CLUSTER : name, operation);
}

/** The 403 for a principal without `operation` on a resource. */
export function denied(principal: Principal, resource: AclResource, name: string, operation: AclOperation): ApiError {
  const what = resource === "cluster" ? "the cluster" : `${resource} '${name}'`;
  const acl = JSON.stringify({
    resource,
    ...(resource === "cluster" ? {} : { pattern: name }),
    operations: [operation],
  });
  return new ApiError(
    CODES[resource],
    `the token '${principal.name}' may not ${operation} ${what}: it needs an ACL such as ${acl}`,
    { resource, ...(resource === "cluster" ? {} : { [resource]: name }), operation },
  );
}

/** Throws the 403 unless the calling token may perform `operation` on the resource. */
export function authorize(c: Context, resource: AclResource, name: string, operation: AclOperation): void {
  const principal = principalOf(c);
  if (!can(principal, resource, name, operation)) throw denied(principal, resource, name, operation);
}

/** `authorize` for each of the topics (each once). */
export function authorizeTopics(c: Context, topics: Iterable<string>, operation: AclOperation): void {
  for (const topic of new Set(topics)) authorize(c, "topic", topic, operation);
}

/** Creating a topic: `create` on the topic, or on the cluster (Kafka's CreateTopics rule). */
export function authorizeCreateTopic(c: Context, topic: string): void {
  const principal = principalOf(c);
  if (!can(principal, "cluster", CLUSTER, "create")) authorize(c, "topic", topic, "create");
}

/**
 * A producer id (POST /v1/producers): `write` on the cluster (Kafka's IdempotentWrite), or,
 * without a transactional id, `write` on any topic (as Kafka 3 allows, KIP-679). A
 * transactional id fences every other producer using it, so it takes the cluster right.
 */
export function authorizeInitProducer(c: Context, transactionalId: string | undefined): void {
  const principal = principalOf(c);
  if (can(principal, "cluster", CLUSTER, "write")) return;
  if (transactionalId === undefined && allowsSome(principal.acls, "topic", "write")) return;
  throw denied(principal, "cluster", CLUSTER, "write");
}

/** What an app's own route requires of the calling token: one operation on one resource. */
export interface Permission {
  resource: AclResource;
  /** The topic or group; leave it out for the cluster. */
  name?: string;
  operation: AclOperation;
}

function requireMiddleware(permission?: Permission): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    await authenticateRequest(c);
    if (permission) authorize(c, permission.resource, permission.name ?? CLUSTER, permission.operation);
    await next();
  };
}

/**
 * Auth for an app's own routes: `requireToken` (or `requireToken()`) lets any valid token
 * through; `requireToken({ resource, name, operation })` only one allowed that operation.
 * Either way the principal is `c.get("principal")` in the handler, and `authorize(c, …)`
 * checks more (a name from the body).
 *
 * @example
 * app.post("/orders", requireToken({ resource: "topic", name: "orders", operation: "write" }), handler);
 */
export function requireToken(c: Context<{ Bindings: Env }>, next: Next): Promise<void>;
export function requireToken(permission?: Permission): MiddlewareHandler<{ Bindings: Env }>;
export function requireToken(
  first?: Permission | Context<{ Bindings: Env }>,
  next?: Next,
): MiddlewareHandler<{ Bindings: Env }> | Promise<void> {
  if (next !== undefined) return requireMiddleware()(first as Context<{ Bindings: Env }>, next) as Promise<void>;
  return requireMiddleware(first as Permission | undefined);
}

/**
 * Counts a produce against the calling token's quota (records/s, bytes/s across the cluster),
 * or throws 429 THROTTLING_QUOTA_EXCEEDED with Retry-After before anything is stored. Tokens
 * without a quota (and superusers) cost nothing here.
 */
export async function chargeProduce(c: Context<{ Bindings: Env }>, records: number, bytes: number): Promise<void> {
  const { id, quota } = principalOf(c);
  if (!id || !quota) return;
  unwrap((await tokenQuotaStub(c.env, id).take(quota, records, bytes)) as Result<object>);
}
