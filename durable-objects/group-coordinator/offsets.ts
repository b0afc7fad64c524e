/**
 * What a group's committed offsets mean against the logs: the lag of each partition, and the
 * offsets a reset moves them to. Both ask the partitions (through the cluster layer); storing
 * the offsets is the coordinator's (store.ts).
 */
import { offsetAt, partitionStatus } from "../../cluster/reads.ts";
import type { TopicMeta } from "../../cluster/rpc/controller.ts";
import type { LogOffsets, OffsetCommit, PartitionLag, ResetTarget } from "../../cluster/rpc/group-coordinator.ts";
import { topicMeta } from "../../cluster/topic-cache.ts";
import type { Failure } from "../../sdk/protocol/errors.ts";
import { offsetKey } from "./store.ts";

/**
 * Lag of every partition of the given topics (default: topics committed to or subscribed).
 * A given topic that does not exist is a failure; a defaulted one is skipped.
 */
export async function lagOf(
  env: Env,
  committed: ReadonlyMap<string, number>,
  topics: string[] | undefined,
  subscribed: readonly string[],
): Promise<PartitionLag[] | Failure> {
  const names = topics ?? [
    ...new Set([...[...committed.keys()].map((k) => k.slice(0, k.lastIndexOf("/"))), ...subscribed]),
  ];
  const out: PartitionLag[] = [];
  for (const topic of names.sort()) {
    const meta = await findTopic(env, topic);
    if ("ok" in meta) {
      if (topics) return meta;
      continue; // a topic deleted since: nothing to report
    }
    const statuses = await Promise.all(
      Array.from({ length: meta.partitions }, (_, partition) => partitionStatus(env, meta, partition)),
    );
    statuses.forEach((s, partition) => {
      if (!s.ok) return;
      const c = committed.get(offsetKey(topic, partition)) ?? null;
      out.push({
        topic,
        partition,
        committed: c,
        highWatermark: s.highWatermark,
        logStartOffset: s.logStartOffset,
        lag: lagFrom(c, s),
      });
    });
  }
  return out;
}

/** Records after the committed offset (from the log start when nothing is committed, or it is below it). */
export function lagFrom(committed: number | null, log: LogOffsets): number {
  return Math.max(0, log.highWatermark - Math.max(committed ?? log.logStartOffset, log.logStartOffset));
}

/**
 * The offset of each partition of `meta` that `to` names: an offset (kept within the log),
 * the earliest or latest, or the first record at or after a timestamp.
 */
export async function resetTargets(env: Env, meta: TopicMeta, to: ResetTarget): Promise<OffsetCommit[] | Failure> {
  const offsets: OffsetCommit[] = [];
  for (let partition = 0; partition < meta.partitions; partition++) {
    let offset: number;
    if (typeof to === "object" && "offset" in to) {
      const status = await partitionStatus(env, meta, partition);
      if (!status.ok) return status;
      offset = Math.min(Math.max(to.offset, status.logStartOffset), status.highWatermark);
    } else {
      const at = typeof to === "object" ? to.timestamp : to;
      const found = await offsetAt(env, meta, partition, at);
      if (!found.ok) return found;
      offset = found.offset;
    }
    offsets.push({ topic: meta.name, partition, offset });
  }
  return offsets;
}

/** A topic's metadata (cached briefly by the cluster layer), or why there is none. */
async function findTopic(env: Env, topic: string): Promise<TopicMeta | Failure> {
  const answer = await topicMeta(env, topic);
  return answer.ok ? answer.topic : answer;
}
