/**
 * The SQL of compaction (compaction.ts plans it, compactor.ts runs it): the records a slice
 * examines, the `keys` table (each key's latest record in the cleaned part), and applying a
 * slice's plan to the records and batches. The tables are made by store.ts's migrations.
 * Synchronous: callers wrap writes in `transactionSync`.
 */
import type { CompactionRow, LatestOfKey, SlicePlan } from "./compaction.ts";
import { BATCH_OF, type BatchProducer, type PartitionStore, RECORD_TS } from "./store.ts";

export class CompactionStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly store: PartitionStore,
  ) {}

  /** The next records compaction examines: from `from` up to `end`, at most `limit`. */
  compactionRows(from: number, end: number, limit: number): CompactionRow[] {
    const cursor = this.sql.exec(
      `SELECT offset, data ->> '$.key', data ->> '$.keyBase64', json_type(data, '$.value') = 'null', ${RECORD_TS}
       FROM records WHERE offset >= ? AND offset < ? ORDER BY offset LIMIT ?`,
      from,
      end,
      limit,
    );
    const rows: CompactionRow[] = [];
    for (const r of cursor.raw()) {
      rows.push({
        offset: r[0] as number,
        key: r[1] as string | null,
        keyBase64: r[2] as string | null,
        tombstone: r[3] === 1,
        timestamp: r[4] as number,
      });
    }
    return rows;
  }

  /** The cleaned part's latest record of each of `ids` that has one. */
  latestOf(ids: readonly string[]): Map<string, LatestOfKey> {
    const found = new Map<string, LatestOfKey>();
    if (ids.length === 0) return found;
    const cursor = this.sql.exec(
      "SELECT id, offset, tombstone_ts FROM keys WHERE id IN (SELECT value FROM json_each(?))",
      JSON.stringify(ids),
    );
    for (const [id, offset, ts] of cursor.raw() as Iterable<[string, number, number | null]>) {
      found.set(id, { offset, tombstoneTs: ts });
    }
    return found;
  }

  /** Tombstones of the cleaned part with a timestamp below `cutoff`, oldest first, at most `limit`. */
  expiredTombstones(cutoff: number, limit: number): { id: string; offset: number }[] {
    return this.sql
      .exec<{ id: string; offset: number }>(
        "SELECT id, offset FROM keys WHERE tombstone_ts < ? ORDER BY tombstone_ts LIMIT ?",
        cutoff,
        limit,
      )
      .toArray();
  }

  /** When the oldest tombstone of the cleaned part was written, or null when there is none. */
  oldestTombstone(): number | null {
    return this.sql
      .exec<{ ts: number | null }>("SELECT min(tombstone_ts) AS ts FROM keys WHERE tombstone_ts IS NOT NULL")
      .one().ts;
  }

  /**
   * Where the records compaction may examine end, from `from` on: at the first batch whose newest
   * record is not older than `cutoff` (minCompactionLagMs), else at `end`.
   */
  cleanableEnd(from: number, end: number, cutoff: number): number {
    const young = this.sql
      .exec<{ base: number }>(
        `SELECT base_offset AS base FROM batches WHERE base_offset >= coalesce(${BATCH_OF}, ?1) AND base_offset < ?2
           AND max_ts >= ?3 ORDER BY base_offset LIMIT 1`,
        from,
        end,
        cutoff,
      )
      .toArray()[0];
    return young ? Math.max(from, Math.min(end, young.base)) : end;
  }

  /** The newest timestamp of the batch holding `offset` (or the next one), or null when there is none. */
  batchMaxTimestampAt(offset: number): number | null {
    return (
      this.sql
        .exec<{ ts: number }>(
          `SELECT max_ts AS ts FROM batches WHERE base_offset >= coalesce(${BATCH_OF}, ?1) ORDER BY base_offset LIMIT 1`,
          offset,
        )
        .toArray()[0]?.ts ?? null
    );
  }

  /**
   * Applies a slice's plan to the local log (removals at or above `localStart`; those below are
   * the R2 tier's, for the caller). A batch left without records goes, unless it is the log's last
   * batch or its producer's latest (its stamp is what rebuilds the producer's state after a
   * truncation, as Kafka keeps such empty batches). Answers the bytes that went.
   */
  applyCompaction(plan: SlicePlan, localStart: number, cleanedTo: number, highWatermark: number): number {
    const local = plan.remove.filter((o) => o >= localStart);
    let removed = 0;
    if (local.length > 0) {
      const offsets = JSON.stringify(local);
      // What each batch loses: the bytes of its removed records (work in proportion to what goes).
      const losses = this.sql
        .exec<{ base: number | null; bytes: number }>(
          `SELECT (SELECT base_offset FROM batches WHERE base_offset <= r.offset ORDER BY base_offset DESC LIMIT 1) AS base,
             sum(octet_length(r.data)) AS bytes
           FROM records AS r WHERE r.offset IN (SELECT value FROM json_each(?)) GROUP BY base`,
          offsets,
        )
        .toArray()
        .filter((l): l is { base: number; bytes: number } => l.base !== null);
      const bases = JSON.stringify(losses.map((l) => l.base));
      const bytesOf = () =>
        this.sql
          .exec<{ bytes: number | null }>(
            "SELECT sum(bytes) AS bytes FROM batches WHERE base_offset IN (SELECT value FROM json_each(?))",
            bases,
          )
          .one().bytes ?? 0;
      const before = bytesOf();
      this.sql.exec("DELETE FROM records WHERE offset IN (SELECT value FROM json_each(?))", offsets);
      this.sql.exec(
        `UPDATE batches SET bytes = max(0, bytes - (j.value ->> 1)) FROM json_each(?) AS j WHERE batches.base_offset = j.value ->> 0`,
        JSON.stringify(losses.map((l) => [l.base, l.bytes])),
      );
      const lastBase = this.sql
        .exec<{ base: number | null }>("SELECT max(base_offset) AS base FROM batches")
        .one().base;
      const empty = this.sql
        .exec<{ base: number; producer: string | null }>(
          `SELECT base_offset AS base, producer FROM batches WHERE base_offset IN (SELECT value FROM json_each(?))
             AND NOT EXISTS (SELECT 1 FROM records WHERE offset BETWEEN batches.base_offset AND batches.last_offset)`,
          bases,
        )
        .toArray();
      let dropped = false;
      for (const { base, producer } of empty) {
        const stamp = producer ? (JSON.parse(producer) as BatchProducer) : undefined;
        if (base === lastBase || (stamp && this.store.getProducer(stamp.id)?.recent.at(-1)?.baseOffset === base)) {
          this.sql.exec("UPDATE batches SET bytes = 0 WHERE base_offset = ?", base);
          continue;
        }
        this.sql.exec("DELETE FROM batches WHERE base_offset = ?", base);
        dropped = true;
      }
      if (dropped) this.store.setMeta("hw", String(highWatermark));
      removed = before - bytesOf();
    }
    if (plan.upsert.length > 0) {
      this.sql.exec(
        `INSERT INTO keys (id, offset, tombstone_ts) SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true
         ON CONFLICT (id) DO UPDATE SET offset = excluded.offset, tombstone_ts = excluded.tombstone_ts`,
        JSON.stringify(plan.upsert),
      );
    }
    if (plan.forget.length > 0) {
      this.sql.exec("DELETE FROM keys WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(plan.forget));
    }
    this.store.setMeta("cleaned_to", String(cleanedTo));
    return removed;
  }

  /** Forgets what compaction knew (the topic stopped being compacted): it starts over if it is compacted again. */
  resetCompaction(logStartOffset: number): void {
    this.sql.exec("DELETE FROM keys");
    this.store.setMeta("cleaned_to", String(logStartOffset));
  }
}
