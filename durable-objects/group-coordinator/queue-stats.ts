/**
 * A queue's figures (GET /v1/groups/:group/queue): per partition of its topic, the records not
 * delivered yet (from queue mode's cursor to the high watermark), its leases by state, and the
 * counters queue mode keeps; and how much of the dead-letter topic is left to redrive.
 */
import { partitionStatus } from "../../cluster/reads.ts";
import type { TopicMeta } from "../../cluster/rpc/controller.ts";
import type { LogOffsets } from "../../cluster/rpc/group-coordinator.ts";
import type { PartitionStatus } from "../../cluster/rpc/partition-log.ts";
import { topicMeta } from "../../cluster/topic-cache.ts";
import type { Failure, Result } from "../../sdk/protocol/errors.ts";
import type { QueuePartitionStats, QueueStats } from "../../sdk/protocol/schemas.ts";
import type { QueueConfig } from "./leases.ts";
import type { QueueStore } from "./queue-store.ts";
import { offsetKey } from "./store.ts";

/** Every partition's status, or the first failure. */
export async function statusesOf(env: Env, topic: TopicMeta): Promise<PartitionStatus[] | Failure> {
  const answers = await Promise.all(
    Array.from({ length: topic.partitions }, (_, partition) => partitionStatus(env, topic, partition)),
  );
  const failed = answers.find((a) => !a.ok);
  if (failed && !failed.ok) return failed;
  return answers.map((a) => a as PartitionStatus);
}

/**
 * Where a redrive of a dead-letter partition goes on from: its kept position, within the log (a
 * position above the high watermark means the topic was deleted and created again).
 */
export function redriveFrom(position: number | undefined, status: LogOffsets): number {
  if (position === undefined || position > status.highWatermark) return status.logStartOffset;
  return Math.max(position, status.logStartOffset);
}

/** The queue's config and figures, asking each partition of its topic and dead-letter topic once. */
export async function queueStats(
  env: Env,
  store: QueueStore,
  committed: ReadonlyMap<string, number>,
  group: string,
  config: QueueConfig,
): Promise<Result<QueueStats>> {
  const meta = await topicMeta(env, config.topic);
  if (!meta.ok) return meta;
  const statuses = await statusesOf(env, meta.topic);
  if (!Array.isArray(statuses)) return statuses;
  const remaining = await deadLetterRemaining(env, store, config.deadLetterTopic);
  if (typeof remaining !== "number") return remaining;
  return { ok: true, group, ...figuresOf(store, committed, config, statuses, remaining, Date.now()) };
}

/**
 * The queue's figures against the given offsets of its topic's partitions (and what is left of
 * its dead-letter topic): from the store alone, without calls to the partitions. /metrics asks
 * the partitions once for every group and hands their offsets in.
 */
export function figuresOf(
  store: QueueStore,
  committed: ReadonlyMap<string, number>,
  config: QueueConfig,
  logs: readonly LogOffsets[],
  deadLetterRemaining: number,
  now: number,
): Omit<QueueStats, "group"> {
  const cursors = store.cursors(config.topic);
  const figures = store.figures(config.topic, now);
  const partitions: QueuePartitionStats[] = logs.map((s, partition) => {
    const nextOffset = cursors.get(partition) ?? null;
    const done = committed.get(offsetKey(config.topic, partition)) ?? null;
    // Before the first receive, new records are taken from the committed offset, or the log start.
    const from = Math.max(nextOffset ?? done ?? s.logStartOffset, s.logStartOffset);
    const f = figures.get(partition);
    return {
      partition,
      logStartOffset: s.logStartOffset,
      highWatermark: s.highWatermark,
      nextOffset,
      committed: done,
      backlog: Math.max(0, s.highWatermark - from),
      inFlight: f?.inFlight ?? 0,
      delayed: f?.delayed ?? 0,
      redeliverable: f?.redeliverable ?? 0,
      redeliveries: f?.redeliveries ?? 0,
      acked: f?.acked ?? 0,
      deadLettered: f?.deadLettered ?? 0,
    };
  });
  const sum = (field: keyof QueuePartitionStats) => partitions.reduce((n, p) => n + ((p[field] as number) ?? 0), 0);
  return {
    topic: config.topic,
    maxDeliveries: config.maxDeliveries,
    deadLetterTopic: config.deadLetterTopic,
    backlog: sum("backlog"),
    inFlight: sum("inFlight"),
    delayed: sum("delayed"),
    redeliverable: sum("redeliverable"),
    redeliveries: sum("redeliveries"),
    acked: sum("acked"),
    deadLettered: sum("deadLettered"),
    redriven: store.redriven(config.deadLetterTopic),
    deadLetterRemaining,
    partitions,
  };
}

/** Records of a dead-letter topic, with these offsets, past the group's redrive positions. */
export function remainingOf(store: QueueStore, deadLetterTopic: string, logs: readonly LogOffsets[]): number {
  const positions = store.redrivePositions(deadLetterTopic);
  return logs.reduce((n, s, p) => n + (s.highWatermark - redriveFrom(positions.get(p), s)), 0);
}

/** Records of the dead-letter topic past the group's redrive positions (0 when there is no such topic). */
async function deadLetterRemaining(env: Env, store: QueueStore, deadLetterTopic: string): Promise<number | Failure> {
  const meta = await topicMeta(env, deadLetterTopic);
  if (!meta.ok) return meta.code === "UNKNOWN_TOPIC_OR_PARTITION" ? 0 : meta;
  const statuses = await statusesOf(env, meta.topic);
  if (!Array.isArray(statuses)) return statuses;
  return remainingOf(store, deadLetterTopic, statuses);
}
