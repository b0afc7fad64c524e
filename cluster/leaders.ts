/**
 * Calls on the leader of a partition. With replication, the topic metadata names each
 * partition's leading replica; when the leader answers that it no longer leads, or cannot be
 * reached at all, the Controller is told (it checks the leader and elects an in-sync follower)
 * and the call goes to the leader the fresh metadata names. Without replication, replica 0 is
 * the partition and calls go straight to it.
 */
import type { Result } from "../sdk/protocol/errors.ts";
import type { PartitionLeader, TopicIncarnation } from "./rpc/controller.ts";
import type { PartitionRef } from "./rpc/partition-log.ts";
import { controllerStub, LOCATION_HINTS, partitionStub } from "./stubs.ts";
import { invalidateTopic, topicMeta } from "./topic-cache.ts";

/** Calls made on one partition before giving up on finding its leader. */
const ATTEMPTS = 3;

/** The object holding the partition's leading replica (replica 0 of an unreplicated topic). */
export function leaderRef(topic: TopicIncarnation, partition: number): PartitionRef {
  const leader = topic.leaders?.[partition];
  const ref: PartitionRef = { topic: topic.name, topicId: topic.id, partition };
  return leader ? { ...ref, replica: leader.leader } : ref;
}

export type PartitionStub = ReturnType<typeof partitionStub>;

/**
 * Runs `call` on the partition's leader, following a change of leader (or electing one when
 * the leader cannot be reached) up to ATTEMPTS times.
 */
export async function onLeader<T>(
  env: Env,
  topic: TopicIncarnation,
  partition: number,
  call: (stub: PartitionStub, ref: PartitionRef) => Promise<Result<T>>,
): Promise<Result<T>> {
  let meta = topic;
  for (let attempt = 1; ; attempt++) {
    const ref = leaderRef(meta, partition);
    const leader: PartitionLeader | undefined = meta.leaders?.[partition];
    try {
      const result = await call(partitionStub(env, ref), ref);
      if (!leader || result.ok || result.code !== "NOT_LEADER_OR_FOLLOWER" || attempt >= ATTEMPTS) return result;
    } catch (err) {
      if (!leader || attempt >= ATTEMPTS) throw err;
      const elected = await controllerStub(env).leaderFailed(ref, leader.epoch);
      if (!elected.ok) return elected as Result<T>;
    }
    invalidateTopic(meta.name);
    const fresh = await topicMeta(env, meta.name, true);
    if (!fresh.ok) return fresh;
    meta = fresh.topic;
  }
}

/** The continent each location hint is on, to match a reader with a nearby replica. */
const HINT_CONTINENT: Record<string, string> = {
  enam: "NA",
  wnam: "NA",
  weur: "EU",
  eeur: "EU",
  apac: "AS",
  me: "AS",
  oc: "OC",
  sam: "SA",
  afr: "AF",
};

/**
 * The in-sync replica a reader should fetch from: the one placed on the reader's continent
 * (Cloudflare tells the worker where the request came from), else the leader.
 */
export function closestReplica(
  topic: TopicIncarnation,
  partition: number,
  continent: string | undefined,
): number | undefined {
  const leader = topic.leaders?.[partition];
  if (!leader) return undefined;
  if (!continent) return leader.leader;
  const near = leader.isr.find(
    (r) => HINT_CONTINENT[LOCATION_HINTS[(partition + r) % LOCATION_HINTS.length]!] === continent,
  );
  return near ?? leader.leader;
}
