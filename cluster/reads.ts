/**
 * Reading partitions: a page of records, an offset by time or end, a partition's status. A topic
 * is given by name (then its cached metadata is used, and refreshed when the topic turns out to
 * have been deleted and created again) or as the incarnation the caller holds.
 */
import { failure, type Result } from "../sdk/protocol/errors.ts";
import { onLeader } from "./leaders.ts";
import { noSuchPartition } from "./route-records.ts";
import type { TopicIncarnation, TopicMeta } from "./rpc/controller.ts";
import type { DeleteRecordsSuccess, FetchRequest, FetchSuccess, PartitionStatus } from "./rpc/partition-log.ts";
import type { TaskIdentity } from "./rpc/stream-task.ts";
import { partitionStub } from "./stubs.ts";
import { withTopic } from "./topic-cache.ts";

export type TopicArg = string | TopicIncarnation;
export type ReadRequest = Omit<FetchRequest, "ref">;

/** Runs `call` for one partition of the topic, refusing a partition the topic does not have. */
export function onPartition<T>(
  env: Env,
  topic: TopicArg,
  partition: number,
  call: (topic: TopicIncarnation) => Promise<Result<T>>,
): Promise<Result<T>> {
  const run = async (meta: TopicIncarnation) => {
    const partitions = (meta as Partial<TopicMeta>).partitions;
    if (partitions !== undefined && partition >= partitions) return noSuchPartition(meta.name, partition, partitions);
    return call(meta);
  };
  return typeof topic === "string" ? withTopic(env, topic, run) : run(topic);
}

/**
 * A page of records from `request.offset` on. Any in-sync replica serves reads up to the high
 * watermark: `replica` names one (the closest, say); when it cannot be reached or does not
 * serve the partition, the leader answers.
 */
export function readPartition(
  env: Env,
  topic: TopicArg,
  partition: number,
  request: ReadRequest,
  replica?: number,
): Promise<Result<FetchSuccess>> {
  return onPartition(env, topic, partition, async (meta) => {
    const replicas = (meta as Partial<TopicMeta>).replicationFactor;
    if (replica !== undefined && replicas !== undefined && replica >= replicas) {
      return failure(
        "INVALID_REQUEST",
        `topic '${meta.name}' has ${replicas} replica(s); replica ${replica} does not exist`,
        { field: "replica" },
      );
    }
    const leader = meta.leaders?.[partition]?.leader;
    if (replica !== undefined && leader !== undefined && replica !== leader) {
      const ref = { topic: meta.name, topicId: meta.id, partition, replica };
      const answer = (await partitionStub(env, ref)
        .read({ ref, ...request })
        .catch(() => null)) as Result<FetchSuccess> | null;
      if (answer && (answer.ok || answer.code !== "NOT_LEADER_OR_FOLLOWER")) return answer;
    }
    return onLeader(env, meta, partition, (stub, ref) => stub.read({ ref, ...request }));
  });
}

/**
 * A page from `request.offset`, or from the log start when retention removed the records at
 * the offset before they were read (for readers inside the platform that must go on: stream
 * tasks, queue mode).
 */
export async function readPartitionOrStart(
  env: Env,
  topic: TopicArg,
  partition: number,
  request: ReadRequest,
): Promise<Result<FetchSuccess>> {
  const page = await readPartition(env, topic, partition, request);
  const start = page.ok ? undefined : (page.details?.logStartOffset as number | undefined);
  if (page.ok || page.code !== "OFFSET_OUT_OF_RANGE" || start === undefined || request.offset >= start) return page;
  return readPartition(env, topic, partition, { ...request, offset: start, waitMs: 0 });
}

/** The offset at `at`: the log start, the high watermark, or the first at or after a time. */
export function offsetAt(
  env: Env,
  topic: TopicArg,
  partition: number,
  at: "earliest" | "latest" | number,
): Promise<Result<{ offset: number; timestamp?: number }>> {
  return onPartition(env, topic, partition, (meta) =>
    onLeader(env, meta, partition, (stub, ref) => stub.offsetFor(ref, at)),
  );
}

/** The partition's log start, high watermark, size and (replicated) role, from its leader. */
export function partitionStatus(env: Env, topic: TopicArg, partition: number): Promise<Result<PartitionStatus>> {
  return onPartition(env, topic, partition, (meta) => onLeader(env, meta, partition, (stub, ref) => stub.status(ref)));
}

/**
 * Kafka's DeleteRecords on one partition: its log start moves up to `beforeOffset` (-1: the high
 * watermark), on the leader and then on its followers.
 */
export function deleteRecords(
  env: Env,
  topic: TopicArg,
  partition: number,
  beforeOffset: number,
): Promise<Result<DeleteRecordsSuccess>> {
  return onPartition(env, topic, partition, (meta) =>
    onLeader(env, meta, partition, (stub, ref) => stub.deleteRecords({ ref, beforeOffset })),
  );
}

/**
 * Asks the partition's leader to wake the stream task `task` once the records at `offset` are
 * visible (a task that found nothing more sleeps instead of polling); `ready` when they already are.
 */
export function wakeOnAppend(
  env: Env,
  topic: TopicIncarnation,
  partition: number,
  task: TaskIdentity,
  offset: number,
): Promise<Result<{ ready: boolean }>> {
  return onLeader(env, topic, partition, (stub, ref) => stub.wakeOnAppend(ref, task, offset));
}
