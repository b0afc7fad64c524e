/**
 * Retention policy of a partition log, as pure functions. Records are kept in batches (one per
 * append); like Kafka's log segments, retention removes whole batches from the start of the
 * log: by time, while a batch's newest timestamp is older than `retentionMs`; by size, while
 * the log is larger than `retentionBytes`. `-1` disables either limit.
 */

export interface BatchInfo {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  bytes: number;
}

export interface RetentionLimits {
  retentionMs: number;
  retentionBytes: number;
}

export interface RetentionPlan {
  /** Records below this offset are to be removed (the new log start offset), or null for none. */
  deleteBefore: number | null;
  removedBytes: number;
}

export function planRetention(
  batchesInOrder: Iterable<BatchInfo>,
  totalBytes: number,
  limits: RetentionLimits,
  now: number,
): RetentionPlan {
  const cutoff = limits.retentionMs === -1 ? Number.NEGATIVE_INFINITY : now - limits.retentionMs;
  const maxBytes = limits.retentionBytes === -1 ? Number.POSITIVE_INFINITY : limits.retentionBytes;
  let deleteBefore: number | null = null;
  let removedBytes = 0;
  for (const batch of batchesInOrder) {
    const expired = batch.maxTimestamp < cutoff;
    const oversize = totalBytes - removedBytes > maxBytes;
    if (!expired && !oversize) break;
    deleteBefore = batch.lastOffset + 1;
    removedBytes += batch.bytes;
  }
  return { deleteBefore, removedBytes };
}

/** When the oldest remaining batch expires, or null when nothing will expire by time. */
export function nextExpiry(oldest: BatchInfo | undefined, limits: RetentionLimits): number | null {
  if (!oldest || limits.retentionMs === -1) return null;
  return oldest.maxTimestamp + limits.retentionMs;
}
