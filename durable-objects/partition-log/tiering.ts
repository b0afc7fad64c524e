/**
 * Tiered storage policy, as pure functions (Kafka's local.retention.*): which of a partition's
 * oldest local batches move to R2 as the next segment, when that is due, what a segment object
 * is named, and when compaction has removed enough of a segment to write it again.
 */
import type { PartitionRef } from "../../cluster/rpc/partition-log.ts";
import type { BatchInfo } from "./retention.ts";
import type { StoragePolicy } from "./storage-policy.ts";

/** A segment holds whole batches up to about this many bytes (at least one batch). */
export const SEGMENT_BYTES = 4 * 1024 * 1024;
/**
 * Records past localRetentionMs move this much later, so that a slow partition sends a few
 * batches per segment instead of one object per batch.
 */
export const LOCAL_EXPIRY_GRACE_MS = 5 * 60_000;

/** The next segment to upload: whole local batches from the local start. */
export interface UploadPlan {
  baseOffset: number;
  lastOffset: number;
  bytes: number;
  maxTimestamp: number;
  batches: BatchInfo[];
}

/**
 * The next segment, or null when none is due: while the local part is over localRetentionBytes,
 * the oldest batches that bring it under the limit, but at least half the limit's worth (so that
 * segments are not tiny) and at most SEGMENT_BYTES; and the oldest batches past
 * localRetentionMs. Only batches entirely below `uploadEnd` go (the high watermark: records a
 * failover could take back stay local; on a compacted partition, also the end of the cleaned
 * part).
 */
export function planUpload(
  localBatches: Iterable<BatchInfo>,
  localBytes: number,
  policy: Pick<StoragePolicy, "localRetentionMs" | "localRetentionBytes">,
  now: number,
  uploadEnd: number,
): UploadPlan | null {
  const overBytes = policy.localRetentionBytes !== -1 && localBytes > policy.localRetentionBytes;
  const cutoff = policy.localRetentionMs === -1 ? Number.NEGATIVE_INFINITY : now - policy.localRetentionMs;
  const target = overBytes
    ? Math.max(localBytes - policy.localRetentionBytes, Math.min(SEGMENT_BYTES, policy.localRetentionBytes / 2))
    : 0;
  const batches: BatchInfo[] = [];
  let bytes = 0;
  let maxTimestamp = Number.NEGATIVE_INFINITY;
  for (const b of localBatches) {
    if (b.lastOffset >= uploadEnd) break;
    if (batches.length > 0 && bytes + b.bytes > SEGMENT_BYTES) break;
    if (bytes >= target && !(b.maxTimestamp < cutoff)) break;
    batches.push(b);
    bytes += b.bytes;
    maxTimestamp = Math.max(maxTimestamp, b.maxTimestamp);
  }
  if (batches.length === 0) return null;
  return { baseOffset: batches[0]!.baseOffset, lastOffset: batches.at(-1)!.lastOffset, bytes, maxTimestamp, batches };
}

/** When the oldest local batch moves to R2 by time, or null when none will. */
export function localExpiry(
  oldest: BatchInfo | undefined,
  policy: Pick<StoragePolicy, "localRetentionMs">,
): number | null {
  if (!oldest || policy.localRetentionMs === -1) return null;
  return oldest.maxTimestamp + policy.localRetentionMs + LOCAL_EXPIRY_GRACE_MS;
}

/** Whether a segment is written again without the records compaction removed: once half of it is gone. */
export function rewriteDue(segment: { records: number; dead: number }): boolean {
  return segment.dead > 0 && segment.dead * 2 >= segment.records;
}

const pad = (n: number) => String(n).padStart(20, "0");

/**
 * The object name of a segment: per partition replica (each replica tiers its own copy), offsets
 * zero-padded so that names sort in log order, and a sequence number that makes a rewritten
 * segment a new object (the old one is deleted once the manifest names the new one).
 */
export function segmentKey(ref: PartitionRef, baseOffset: number, lastOffset: number, seq: number): string {
  return `${ref.topic}/${ref.topicId}/${ref.partition}/${ref.replica ?? 0}/${pad(baseOffset)}-${pad(lastOffset)}.${seq}`;
}
