/**
 * Topics as their users see them: made when missing (ensureTopic, for the topics the platform
 * writes itself: dead letters, stream apps' outputs and repartition topics, an app's input), and
 * described with each partition's offsets, size and replicas.
 */
import type { Result } from "../sdk/protocol/errors.ts";
import type { TopicConfigInput, TopicDescription } from "../sdk/protocol/schemas.ts";
import { partitionStatus } from "./reads.ts";
import type { TopicMeta } from "./rpc/controller.ts";
import { controllerStub } from "./stubs.ts";
import { invalidateTopic, topicMeta } from "./topic-cache.ts";

export interface NewTopic {
  /** Default 1. */
  partitions?: number;
  /** Default 1. */
  replicationFactor?: number;
  config?: TopicConfigInput;
}

/** The topic, created as `create` says if it does not exist yet (an existing one is left as it is). */
export async function ensureTopic(
  env: Env,
  name: string,
  create: NewTopic = {},
): Promise<Result<{ topic: TopicMeta }>> {
  const found = await topicMeta(env, name);
  if (found.ok || found.code !== "UNKNOWN_TOPIC_OR_PARTITION") return found;
  const created = (await controllerStub(env).createTopic({
    name,
    partitions: create.partitions ?? 1,
    replicationFactor: create.replicationFactor ?? 1,
    config: create.config,
  })) as Result<{ topic: TopicMeta }>;
  invalidateTopic(name);
  // Someone else made it meanwhile: theirs it is.
  if (!created.ok && created.code === "TOPIC_ALREADY_EXISTS") return topicMeta(env, name, true);
  return created;
}

/** The topic with every partition's log start, high watermark, bytes and, when replicated, its replicas. */
export async function describeTopic(env: Env, topic: TopicMeta): Promise<Result<TopicDescription>> {
  const statuses = await Promise.all(
    Array.from({ length: topic.partitions }, (_, partition) => partitionStatus(env, topic, partition)),
  );
  const failed = statuses.find((s) => !s.ok);
  if (failed && !failed.ok) return failed;
  const partitions = statuses.map((s, partition) => {
    const status = s as Extract<typeof s, { ok: true }>;
    const leader = topic.leaders?.[partition];
    return {
      partition,
      logStartOffset: status.logStartOffset,
      highWatermark: status.highWatermark,
      bytes: status.bytes,
      ...(status.localStartOffset !== undefined
        ? { localStartOffset: status.localStartOffset, localBytes: status.localBytes, segments: status.segments }
        : {}),
      ...(leader
        ? {
            leader: leader.leader,
            leaderEpoch: leader.epoch,
            replicas: Array.from({ length: topic.replicationFactor }, (_, r) => r),
            isr: leader.isr,
          }
        : {}),
    };
  });
  return {
    ok: true,
    name: topic.name,
    id: topic.id,
    partitions,
    replicationFactor: topic.replicationFactor,
    config: topic.config,
    createdAt: topic.createdAt,
  };
}
