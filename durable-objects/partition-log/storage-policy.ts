/**
 * What a partition does with its old records, resolved once from its topic's config: retention
 * by time and size (cleanup policy "delete", and "compact,delete"), compaction ("compact", and
 * "compact,delete"), and tiering to R2 (a local limit other than -1). Pure; the defaults of
 * topics created before a field existed are filled in here.
 */
import { TOPIC_DEFAULTS, type TopicConfig } from "../../sdk/protocol/schemas.ts";

export interface StoragePolicy {
  /** Records older than this (by timestamp) go; -1 never (also with cleanupPolicy "compact"). */
  retentionMs: number;
  /** The oldest records go while the partition is over this; -1 never (also with "compact"). */
  retentionBytes: number;
  /** Whether only the latest record of each key is kept. */
  compact: boolean;
  /** How long a tombstone stays once compaction has seen it, counted from its timestamp. */
  deleteRetentionMs: number;
  minCompactionLagMs: number;
  /** -1: no bound. */
  maxCompactionLagMs: number;
  /** Records older than this move to R2; -1 never. */
  localRetentionMs: number;
  /** The oldest records move to R2 while the partition's own storage holds more; -1 never. */
  localRetentionBytes: number;
}

export function storagePolicy(config: TopicConfig): StoragePolicy {
  const compact = config.cleanupPolicy === "compact" || config.cleanupPolicy === "compact,delete";
  const deletes = config.cleanupPolicy !== "compact";
  return {
    retentionMs: deletes ? config.retentionMs : -1,
    retentionBytes: deletes ? config.retentionBytes : -1,
    compact,
    deleteRetentionMs: config.deleteRetentionMs ?? TOPIC_DEFAULTS.deleteRetentionMs,
    minCompactionLagMs: config.minCompactionLagMs ?? TOPIC_DEFAULTS.minCompactionLagMs,
    maxCompactionLagMs: config.maxCompactionLagMs ?? TOPIC_DEFAULTS.maxCompactionLagMs,
    localRetentionMs: config.localRetentionMs ?? TOPIC_DEFAULTS.localRetentionMs,
    localRetentionBytes: config.localRetentionBytes ?? TOPIC_DEFAULTS.localRetentionBytes,
  };
}

/** Whether the partition moves old records to R2. */
export function tiers(policy: StoragePolicy): boolean {
  return policy.localRetentionMs !== -1 || policy.localRetentionBytes !== -1;
}
