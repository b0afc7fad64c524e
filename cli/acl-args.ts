/**
 * The command line's way of writing ACLs and expiries, as pure functions: `--acl
 * topic:clicks:write`, `--acl group:dash-*:read,describe`, `--acl cluster:alter`, and `--expires
 * 30d` (or an ISO date, or ms since the epoch). The server validates the ACLs again.
 */
import type { AclOperation, AclResource } from "../sdk/index.ts";

export interface AclArg {
  resource: AclResource;
  pattern?: string;
  operations: AclOperation[];
}

const RESOURCES = new Set(["topic", "group", "cluster"]);
const OPERATIONS = new Set(["write", "read", "describe", "create", "delete", "alter"]);

/** `resource:pattern:op,op` (a cluster ACL: `cluster:op,op`); throws naming what is wrong. */
export function parseAcl(text: string): AclArg {
  const parts = text.split(":");
  const resource = parts[0] ?? "";
  if (!RESOURCES.has(resource)) {
    throw new Error(`--acl ${text}: the resource is topic, group or cluster (as topic:clicks:write)`);
  }
  const cluster = resource === "cluster";
  if (parts.length !== (cluster ? 2 : 3) && !(cluster && parts.length === 3 && parts[1] === "*")) {
    throw new Error(
      cluster
        ? `--acl ${text}: write a cluster ACL as cluster:<operations> (as cluster:alter)`
        : `--acl ${text}: write it as ${resource}:<name or prefix*>:<operations> (as ${resource}:clicks:read)`,
    );
  }
  const operations = parts.at(-1)!.split(",").filter(Boolean);
  const unknown = operations.find((o) => !OPERATIONS.has(o));
  if (operations.length === 0 || unknown !== undefined) {
    throw new Error(`--acl ${text}: operations are write, read, describe, create, delete or alter, comma-separated`);
  }
  return {
    resource: resource as AclResource,
    ...(cluster ? {} : { pattern: parts[1] }),
    operations: operations as AclOperation[],
  };
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** When a token expires: `30d`, `12h`, `90m`, `45s` from `now`, an ISO date, or ms since the epoch. */
export function parseExpiry(text: string, now = Date.now()): number {
  const relative = /^(\d+)([smhd])$/.exec(text);
  if (relative) return now + Number(relative[1]) * UNITS[relative[2]!]!;
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw new Error(`--expires ${text}: give a duration (30d, 12h, 90m), an ISO date or ms since the epoch`);
  return at;
}
