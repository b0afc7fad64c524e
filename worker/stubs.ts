/**
 * The one place that names Durable Objects. Everything else asks for a stub here and calls
 * typed RPC methods on it.
 */
import type { PartitionRef } from "../durable-objects/partition-log/types.ts";

/** The coordinator of one consumer group, named by the group id. */
export function groupStub(env: Env, group: string) {
  return env.GROUP_COORDINATOR.get(env.GROUP_COORDINATOR.idFromName(group));
}

/** The cluster's single Controller. */
export function controllerStub(env: Env) {
  return env.CONTROLLER.get(env.CONTROLLER.idFromName("cluster"));
}

/**
 * The PartitionLog holding one partition of one incarnation of a topic. The topic id is part
 * of the name, so a topic deleted and created again lands on fresh, empty objects.
 */
export function partitionStub(env: Env, ref: PartitionRef) {
  return env.PARTITION_LOG.get(env.PARTITION_LOG.idFromName(`${ref.topic}/${ref.topicId}/${ref.partition}`));
}
