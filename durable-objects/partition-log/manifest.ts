/**
 * The SQL of a partition's R2 tier: the manifest (one row per segment object), the offsets
 * compaction removed from segments not yet written again, and the objects that may exist in R2
 * without the manifest naming them (an upload under way, an object to delete). The tables are
 * made by store.ts's migrations. Synchronous: callers wrap writes in `transactionSync`.
 */

/** One segment object of the log, as the manifest keeps it. */
export interface ManifestEntry {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  /** What the segment's batches counted for (retentionBytes, the partition's size). */
  bytes: number;
  /** Records in the object. */
  records: number;
  /** Of those, how many compaction removed since (reads skip them). */
  dead: number;
  /** The R2 object's name. */
  key: string;
}

type Row = [number, number, number, number, number, number, string];

export class Manifest {
  constructor(private readonly sql: SqlStorage) {}

  /** Every segment, in log order. */
  entries(): ManifestEntry[] {
    const cursor = this.sql.exec(
      "SELECT base_offset, last_offset, max_ts, bytes, records, dead, key FROM segments ORDER BY base_offset",
    );
    return ([...cursor.raw()] as Row[]).map(([baseOffset, lastOffset, maxTimestamp, bytes, records, dead, key]) => ({
      baseOffset,
      lastOffset,
      maxTimestamp,
      bytes,
      records,
      dead,
      key,
    }));
  }

  /** Adds a segment, or replaces the one with the same base offset (a rewrite). */
  put(e: ManifestEntry): void {
    this.sql.exec(
      `INSERT INTO segments (base_offset, last_offset, max_ts, bytes, records, dead, key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
       ON CONFLICT (base_offset) DO UPDATE SET last_offset = ?2, max_ts = ?3, bytes = ?4, records = ?5, dead = ?6, key = ?7`,
      e.baseOffset,
      e.lastOffset,
      e.maxTimestamp,
      e.bytes,
      e.records,
      e.dead,
      e.key,
    );
  }

  remove(baseOffset: number): void {
    this.sql.exec("DELETE FROM segments WHERE base_offset = ?", baseOffset);
  }

  /** Compaction removed `offsets` from the segment at `baseOffset`. */
  addDead(baseOffset: number, offsets: readonly number[]): void {
    const inserted = this.sql.exec(
      "INSERT OR IGNORE INTO tiered_dead (offset) SELECT value FROM json_each(?)",
      JSON.stringify(offsets),
    ).rowsWritten;
    this.sql.exec("UPDATE segments SET dead = dead + ? WHERE base_offset = ?", inserted, baseOffset);
  }

  /** The removed offsets in [from, last], in order. */
  deadIn(from: number, last: number): number[] {
    return this.sql
      .exec<{ offset: number }>(
        "SELECT offset FROM tiered_dead WHERE offset >= ? AND offset <= ? ORDER BY offset",
        from,
        last,
      )
      .toArray()
      .map((r) => r.offset);
  }

  /** Forgets the removed offsets in [from, last] (their segment was written again, or went). */
  dropDead(from: number, last: number): void {
    this.sql.exec("DELETE FROM tiered_dead WHERE offset >= ? AND offset <= ?", from, last);
  }

  /** Objects that may be in R2 without the manifest naming them. */
  pending(): string[] {
    return this.sql
      .exec<{ key: string }>("SELECT key FROM r2_pending")
      .toArray()
      .map((r) => r.key);
  }

  addPending(key: string): void {
    this.sql.exec("INSERT OR IGNORE INTO r2_pending (key) VALUES (?)", key);
  }

  removePending(key: string): void {
    this.sql.exec("DELETE FROM r2_pending WHERE key = ?", key);
  }

  /** Every segment leaves the manifest and its object is to be deleted (the topic was deleted). */
  dropAll(): void {
    this.sql.exec("INSERT OR IGNORE INTO r2_pending (key) SELECT key FROM segments");
    this.sql.exec("DELETE FROM segments");
    this.sql.exec("DELETE FROM tiered_dead");
  }
}
