/**
 * The one place that names Durable Objects. Everything else asks for a stub here and calls
 * typed RPC methods on it.
 */
import type { PartitionRef } from "./rpc/partition-log.ts";
import type { TaskIdentity } from "./rpc/stream-task.ts";

/** The coordinator of one consumer group, named by the group id. */
export function groupStub(env: Env, group: string) {
  return env.GROUP_COORDINATOR.get(env.GROUP_COORDINATOR.idFromName(group));
}

/** The cluster's single Controller. */
export function controllerStub(env: Env) {
  return env.CONTROLLER.get(env.CONTROLLER.idFromName("cluster"));
}

/**
 * Where replicas go: each replica of a partition gets a different region, so one region's
 * outage leaves the others (hints only matter when an object is first created).
 */
export const LOCATION_HINTS: readonly DurableObjectLocationHint[] = [
  "enam",
  "weur",
  "apac",
  "wnam",
  "eeur",
  "oc",
  "sam",
  "afr",
  "me",
];

/**
 * The PartitionLog holding one replica of one partition of one incarnation of a topic. The
 * topic id is part of the name, so a topic deleted and created again lands on fresh, empty
 * objects. Replica 0 keeps the name of an unreplicated partition; replicas 1 and up add `/r<n>`.
 */
export function partitionStub(env: Env, ref: PartitionRef) {
  const base = `${ref.topic}/${ref.topicId}/${ref.partition}`;
  if (ref.replica === undefined) return env.PARTITION_LOG.get(env.PARTITION_LOG.idFromName(base));
  const name = ref.replica === 0 ? base : `${base}/r${ref.replica}`;
  const locationHint = LOCATION_HINTS[(ref.partition + ref.replica) % LOCATION_HINTS.length]!;
  return env.PARTITION_LOG.get(env.PARTITION_LOG.idFromName(name), { locationHint });
}

/** The StreamTask running one sub-topology of a stream app on one partition. */
export function streamTaskStub(env: Env, id: TaskIdentity) {
  return env.STREAM_TASK.get(env.STREAM_TASK.idFromName(`${id.app}/${id.subTopology}/${id.partition}`));
}

/** The DurableStream object of one Durable Streams path (`/ds/...`). */
export function durableStreamStub(env: Env, path: string) {
  return env.DURABLE_STREAM.get(env.DURABLE_STREAM.idFromName(path));
}

/** The produce quota of one scoped token, named by the token id. */
export function tokenQuotaStub(env: Env, tokenId: string) {
  return env.TOKEN_QUOTA.get(env.TOKEN_QUOTA.idFromName(tokenId));
}
