/**
 * Kafka-style ACLs, as pure functions: whether a token's ACLs allow an operation on a resource,
 * and whether they cover the ACLs of a token it issues. A pattern is a literal name or a prefix
 * ending in `*`; `read`, `write`, `delete` and `alter` imply `describe`, as in Kafka.
 * Unit-tested in test/unit/acl.test.ts.
 */
import type { Acl, AclOperation, AclResource } from "../../sdk/protocol/schemas.ts";

/** Kafka: READ, WRITE, DELETE and ALTER each imply DESCRIBE on the same resource. */
const IMPLY_DESCRIBE: ReadonlySet<AclOperation> = new Set(["read", "write", "delete", "alter"]);

/** Whether `pattern` (a literal, or a prefix ending in `*`) matches the name. */
export function patternMatches(pattern: string, name: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** Whether every name `inner` matches is matched by `outer` too. */
export function patternCovers(outer: string, inner: string): boolean {
  if (!outer.endsWith("*")) return outer === inner;
  return inner.startsWith(outer.slice(0, -1));
}

function grants(acl: Acl, operation: AclOperation): boolean {
  return (
    acl.operations.includes(operation) ||
    (operation === "describe" && acl.operations.some((o) => IMPLY_DESCRIBE.has(o)))
  );
}

/** Whether the ACLs allow `operation` on the resource named `name` (any name for the cluster). */
export function allows(acls: readonly Acl[], resource: AclResource, name: string, operation: AclOperation): boolean {
  return acls.some((a) => a.resource === resource && grants(a, operation) && patternMatches(a.pattern, name));
}

/** Whether the ACLs allow `operation` on at least one resource of the kind (e.g. write on some topic). */
export function allowsSome(acls: readonly Acl[], resource: AclResource, operation: AclOperation): boolean {
  return acls.some((a) => a.resource === resource && grants(a, operation));
}

/**
 * The first of `wanted` (with the operation concerned) that `held` does not cover: a token may
 * issue only rights it holds itself, on names its own patterns match. Undefined when all are.
 */
export function uncovered(
  held: readonly Acl[],
  wanted: readonly Acl[],
): { acl: Acl; operation: AclOperation } | undefined {
  for (const acl of wanted) {
    for (const operation of acl.operations) {
      const covered = held.some(
        (h) => h.resource === acl.resource && grants(h, operation) && patternCovers(h.pattern, acl.pattern),
      );
      if (!covered) return { acl, operation };
    }
  }
  return undefined;
}
