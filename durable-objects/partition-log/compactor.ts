/**
 * Runs compaction (compaction.ts plans it) one bounded slice at a time: the next few thousand
 * uncleaned records, or the next expired tombstones of the cleaned part. Each slice is one
 * transaction that removes records, updates the keys and moves `cleanedTo`, so a crash at any
 * point leaves the log either before or after the slice, and the next run goes on from there.
 *
 * Only records below the high watermark are examined: a record a failover could take back must
 * not remove an older one of its key. Records younger than minCompactionLagMs wait.
 */
import type { StorageCrashPoint } from "../../cluster/rpc/partition-log.ts";
import { keyIds, planSlice, SLICE_RECORDS, type SlicePlan } from "./compaction.ts";
import type { CompactionStore } from "./compaction-store.ts";
import type { StoragePolicy } from "./storage-policy.ts";
import type { LogBounds, PartitionStore } from "./store.ts";
import type { Tier } from "./tier.ts";

export interface CompactorHost {
  storage: DurableObjectStorage;
  store: PartitionStore;
  compaction: CompactionStore;
  tier: Tier;
  bounds: LogBounds;
  /** The high watermark as this replica serves it. */
  visibleEnd(): number;
  crash(point: StorageCrashPoint): void;
}

export interface SliceResult {
  /** Records examined (uncleaned records, or tombstones checked for expiry). */
  examined: number;
  /** Records removed. */
  removed: number;
  /** Whether another slice has work now. */
  more: boolean;
}

export class Compactor {
  constructor(private readonly host: CompactorHost) {}

  /** One slice: of the uncleaned part while some is cleanable, else of the expired tombstones. */
  async step(policy: StoragePolicy, now: number): Promise<SliceResult> {
    const { compaction, bounds } = this.host;
    const from = Math.max(bounds.cleanedTo, bounds.logStartOffset);
    const visible = this.host.visibleEnd();
    const end =
      policy.minCompactionLagMs > 0 ? compaction.cleanableEnd(from, visible, now - policy.minCompactionLagMs) : visible;
    const tombstoneCutoff = now - policy.deleteRetentionMs;
    if (from < end) {
      const { rows, next } =
        from < bounds.localStartOffset
          ? await this.host.tier.compactionRows(from, Math.min(end, bounds.localStartOffset), SLICE_RECORDS)
          : this.localRows(from, end);
      const ids = keyIds(rows);
      const distinct = [...new Set(ids.filter((id): id is string => id !== null))];
      const plan = planSlice(rows, ids, compaction.latestOf(distinct), tombstoneCutoff);
      this.apply(plan, next);
      // Then the rest of the uncleaned part, or the tombstones that expired meanwhile.
      return { examined: rows.length, removed: plan.remove.length, more: true };
    }
    const expired = compaction.expiredTombstones(tombstoneCutoff, SLICE_RECORDS);
    if (expired.length === 0) return { examined: 0, removed: 0, more: false };
    const remove = expired.map((t) => t.offset).sort((a, b) => a - b);
    this.apply({ remove, upsert: [], forget: expired.map((t) => t.id) }, bounds.cleanedTo);
    return { examined: expired.length, removed: remove.length, more: expired.length === SLICE_RECORDS };
  }

  private localRows(from: number, end: number) {
    const rows = this.host.compaction.compactionRows(from, end, SLICE_RECORDS);
    return { rows, next: rows.length === SLICE_RECORDS ? rows.at(-1)!.offset + 1 : end };
  }

  private apply(plan: SlicePlan, cleanedTo: number): void {
    const { store, compaction, storage, bounds, tier } = this.host;
    const tiered = plan.remove.filter((o) => o >= bounds.logStartOffset && o < bounds.localStartOffset);
    const removed = storage.transactionSync(() => {
      const bytes = compaction.applyCompaction(plan, bounds.localStartOffset, cleanedTo, bounds.highWatermark);
      this.host.crash("mid-compaction");
      if (tiered.length > 0) tier.markDead(tiered);
      return bytes;
    });
    if (tiered.length > 0) tier.load();
    bounds.cleanedTo = cleanedTo;
    bounds.totalBytes -= removed;
    bounds.localBytes -= removed;
    bounds.dirtyBytes = store.bytesFrom(cleanedTo);
  }
}
