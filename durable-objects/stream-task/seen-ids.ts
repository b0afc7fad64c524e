/**
 * The SQL of a stream task's dedupe stores: the ids seen (table seen_ids, one row per id), and
 * the sweep that forgets expired ones. TaskStore serves them as its StateStores' seen-id calls.
 */

/** The fewest dedupe ids a sweep looks at (see purge). */
const SWEEP_MIN = 1_000;

export class SeenIds {
  /** Per dedupe store: the id its sweep goes on after, and the ids written since the last. */
  private readonly sweepFrom = new Map<string, string>();
  private readonly writtenSinceSweep = new Map<string, number>();
  /** Dedupe stores whose ids kept by an earlier version have been moved into seen_ids. */
  private adopted = new Set<string>();

  constructor(private readonly sql: SqlStorage) {}

  /** A transaction was rolled back: the legacy ids it moved are back where they were. */
  rolledBack(): void {
    this.adopted = new Set();
  }

  /** When each of `ids` was seen, for those seen. */
  seen(store: string, ids: readonly string[]): Map<string, number> {
    const found = new Map<string, number>();
    if (ids.length === 0) return found;
    this.adoptLegacyIds(store);
    const rows = this.sql.exec<{ id: string; seen: number }>(
      "SELECT id, seen FROM seen_ids WHERE store = ? AND id IN (SELECT value FROM json_each(?))",
      store,
      JSON.stringify(ids),
    );
    for (const r of rows) found.set(r.id, r.seen);
    return found;
  }

  put(store: string, seen: ReadonlyMap<string, number>): void {
    if (seen.size === 0) return;
    this.adoptLegacyIds(store);
    this.writtenSinceSweep.set(store, (this.writtenSinceSweep.get(store) ?? 0) + seen.size);
    // [id, time] pairs: the Map serializes to them as it is.
    this.sql.exec(
      `INSERT INTO seen_ids (store, id, seen) SELECT ?1, value ->> 0, value ->> 1 FROM json_each(?2) WHERE true
       ON CONFLICT (store, id) DO UPDATE SET seen = excluded.seen`,
      store,
      JSON.stringify([...seen]),
    );
  }

  /**
   * Sweeps the next slice of a dedupe store, in id order, deleting the ids seen before `before`;
   * a slice is twice the ids written since the last sweep (at least SWEEP_MIN), so the sweep
   * goes round the store faster than it grows: an expired id stays at most one round, and the
   * store holds at most about twice its live ids. The position is kept in memory (a restarted
   * object starts a new round).
   */
  purge(store: string, before: number): void {
    const from = this.sweepFrom.get(store) ?? "";
    const budget = Math.max(SWEEP_MIN, 2 * (this.writtenSinceSweep.get(store) ?? 0));
    this.writtenSinceSweep.delete(store);
    const last = this.sql
      .exec<{ id: string | null }>(
        "SELECT max(id) AS id FROM (SELECT id FROM seen_ids WHERE store = ?1 AND id > ?2 ORDER BY id LIMIT ?3)",
        store,
        from,
        budget,
      )
      .one().id;
    if (last === null) {
      // Past the last id: the next sweep starts a new round.
      this.sweepFrom.delete(store);
      return;
    }
    this.sql.exec(
      "DELETE FROM seen_ids WHERE store = ?1 AND id > ?2 AND id <= ?3 AND seen < ?4",
      store,
      from,
      last,
      before,
    );
    this.sweepFrom.set(store, last);
  }

  /**
   * Up to the previous release, a dedupe kept each id as a windowed entry of `state`: the key is
   * the id, the window [seen, seen + withinMs]. The first time this object touches a dedupe
   * store, such rows move into seen_ids (in the batch's transaction), so ids seen before an
   * upgrade still drop their copies.
   */
  private adoptLegacyIds(store: string): void {
    if (this.adopted.has(store)) return;
    this.adopted.add(store);
    this.sql.exec(
      `INSERT INTO seen_ids (store, id, seen) SELECT store, key, ws FROM state WHERE store = ?1 AND true
       ON CONFLICT (store, id) DO UPDATE SET seen = max(seen, excluded.seen)`,
      store,
    );
    this.sql.exec("DELETE FROM state WHERE store = ?", store);
  }
}
