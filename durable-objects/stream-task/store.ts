/**
 * The SQL of a stream task: its state stores (the dedupe stores' ids in seen-ids.ts), its input
 * offsets (and those of the global tables' partitions it copies), its stream time, the next
 * producer sequence per output partition, and the outbox of batches still to produce. The task writes all of these for one input batch in one
 * `transactionSync`. Everything here is synchronous.
 */
import { entryOf, newMap } from "../../sdk/streams/maps.ts";
import {
  type StateStores,
  type StoreEntry,
  type StoreScan,
  type WindowRef,
  windowId,
} from "../../sdk/streams/state.ts";
import type { Migration } from "../shared/migrations.ts";
import type { OutboxBatch } from "./outbox.ts";
import { SeenIds } from "./seen-ids.ts";

export const MIGRATIONS: readonly Migration[] = [
  (sql) => {
    sql.exec("CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    // The offset of the next record to read, per source topic (Kafka's committed offset).
    sql.exec("CREATE TABLE offsets (topic TEXT PRIMARY KEY, next_offset INTEGER NOT NULL)");
    // Key-value entries sit in the window [0, 0]; `key_json` keeps the key as the topology had it.
    sql.exec(`CREATE TABLE state (
      store TEXT NOT NULL,
      key TEXT NOT NULL,
      ws INTEGER NOT NULL,
      we INTEGER NOT NULL,
      key_json TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (store, key, ws, we)
    ) WITHOUT ROWID`);
    sql.exec("CREATE INDEX state_by_end ON state (store, we)");
    sql.exec(`CREATE TABLE sequences (
      topic TEXT NOT NULL,
      partition INTEGER NOT NULL,
      next_sequence INTEGER NOT NULL,
      PRIMARY KEY (topic, partition)
    )`);
    sql.exec(`CREATE TABLE outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      topic TEXT NOT NULL,
      topic_id TEXT NOT NULL,
      partition INTEGER NOT NULL,
      sequence INTEGER NOT NULL,
      records TEXT NOT NULL
    )`);
  },
  (sql) => {
    // Dedupe stores: one row per id (a dedupe writes one per record, so it is kept small). No
    // index by time: expired ids are swept in id order (purgeSeenIds), which costs less than
    // keeping a second index on every insert (`npm run bench:store`: 1.0–1.7 µs per id at
    // 300,000 ids, 1.8–2.5 with the index).
    sql.exec(`CREATE TABLE seen_ids (
      store TEXT NOT NULL,
      id TEXT NOT NULL,
      seen INTEGER NOT NULL,
      PRIMARY KEY (store, id)
    ) WITHOUT ROWID`);
  },
  (sql) => {
    // The next offset to read of each partition of a global table's topic: every task joining a
    // global table reads all its partitions into its own copy (a store of `state`).
    sql.exec(`CREATE TABLE global_offsets (
      topic TEXT NOT NULL,
      partition INTEGER NOT NULL,
      next_offset INTEGER NOT NULL,
      PRIMARY KEY (topic, partition)
    )`);
  },
];

interface StateRow {
  key: string;
  ws: number;
  we: number;
  key_json: string;
  value: string;
  [column: string]: SqlStorageValue;
}

function toEntry(r: StateRow): StoreEntry {
  return {
    key: r.key,
    keyValue: JSON.parse(r.key_json),
    windowStart: r.ws,
    windowEnd: r.we,
    value: JSON.parse(r.value),
  };
}

const COLUMNS = "key, ws, we, key_json, value";

/** A state row as the cache keeps it: its columns' text, parsed again on every read. */
interface CachedRow {
  keyJson: string;
  value: string;
}

/** Entries kept in memory at most; past that the cache starts over (it only saves reads). */
const CACHE_ENTRIES = 100_000;

export class TaskStore implements StateStores {
  /**
   * The windows read or written lately, per store, key, and "start/end" (null: known absent),
   * so that a task's next batch reads them from memory. Written through with the rows: it holds
   * what the open transaction wrote, so the task drops it when a transaction fails.
   */
  private cache = new Map<string, Map<string, Map<string, CachedRow | null>>>();
  private cached = 0;
  /** Per store: no cached window ends before this (so most purges skip the cache). */
  private cacheMinEnd = new Map<string, number>();

  /** The dedupe stores' ids (seen-ids.ts). */
  private readonly seen: SeenIds;

  constructor(private readonly sql: SqlStorage) {
    this.seen = new SeenIds(sql);
  }

  /** What a rolled-back transaction undid: the rows it cached and the legacy ids it moved. */
  rolledBack(): void {
    this.dropCache();
    this.seen.rolledBack();
  }

  /** Forgets the cached rows. */
  private dropCache(): void {
    this.cache = new Map();
    this.cached = 0;
    this.cacheMinEnd = new Map();
  }

  private remember(store: string, key: string, start: number, end: number, row: CachedRow | null): void {
    if (this.cached >= CACHE_ENTRIES) this.dropCache();
    const windows = entryOf(entryOf(this.cache, store, newMap), key, newMap);
    const id = windowId(start, end);
    if (end < (this.cacheMinEnd.get(store) ?? Number.POSITIVE_INFINITY)) this.cacheMinEnd.set(store, end);
    if (!windows.has(id)) this.cached++;
    windows.set(id, row);
  }

  getMeta(k: string): string | undefined {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v;
  }

  setMeta(k: string, v: string): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET v = ?2", k, v);
  }

  offsets(): Map<string, number> {
    const rows = this.sql.exec<{ topic: string; next_offset: number }>("SELECT topic, next_offset FROM offsets");
    return new Map(rows.toArray().map((r) => [r.topic, r.next_offset]));
  }

  setOffset(topic: string, next: number): void {
    this.sql.exec(
      "INSERT INTO offsets (topic, next_offset) VALUES (?1, ?2) ON CONFLICT (topic) DO UPDATE SET next_offset = ?2",
      topic,
      next,
    );
  }

  /** The next offset to read of each global table partition copied, by "topic/partition". */
  globalOffsets(): Map<string, number> {
    const rows = this.sql.exec<{ topic: string; partition: number; next_offset: number }>(
      "SELECT topic, partition, next_offset FROM global_offsets ORDER BY topic, partition",
    );
    return new Map(rows.toArray().map((r) => [`${r.topic}/${r.partition}`, r.next_offset]));
  }

  setGlobalOffset(topic: string, partition: number, next: number): void {
    this.sql.exec(
      `INSERT INTO global_offsets (topic, partition, next_offset) VALUES (?1, ?2, ?3)
       ON CONFLICT (topic, partition) DO UPDATE SET next_offset = ?3`,
      topic,
      partition,
      next,
    );
  }

  /** Takes `count` sequence numbers for (topic, partition): the first one taken. */
  takeSequence(topic: string, partition: number, count: number): number {
    const row = this.sql
      .exec<{ next_sequence: number }>(
        "SELECT next_sequence FROM sequences WHERE topic = ? AND partition = ?",
        topic,
        partition,
      )
      .toArray()[0];
    const first = row?.next_sequence ?? 0;
    this.sql.exec(
      "INSERT INTO sequences (topic, partition, next_sequence) VALUES (?1, ?2, ?3) ON CONFLICT (topic, partition) DO UPDATE SET next_sequence = ?3",
      topic,
      partition,
      first + count,
    );
    return first;
  }

  addToOutbox(b: Omit<OutboxBatch, "id">): void {
    this.sql.exec(
      "INSERT INTO outbox (topic, topic_id, partition, sequence, records) VALUES (?, ?, ?, ?, ?)",
      b.topic,
      b.topicId,
      b.partition,
      b.sequence,
      JSON.stringify(b.records),
    );
  }

  outbox(): OutboxBatch[] {
    return this.sql
      .exec<{ id: number; topic: string; topic_id: string; partition: number; sequence: number; records: string }>(
        "SELECT * FROM outbox ORDER BY id",
      )
      .toArray()
      .map((r) => ({
        id: r.id,
        topic: r.topic,
        topicId: r.topic_id,
        partition: r.partition,
        sequence: r.sequence,
        records: JSON.parse(r.records),
      }));
  }

  outboxSize(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
  }

  removeFromOutbox(id: number): void {
    this.sql.exec("DELETE FROM outbox WHERE id = ?", id);
  }

  get(store: string, key: string, start: number, end: number): StoreEntry | undefined {
    return this.getMany(store, [{ key, start, end }])[0];
  }

  put(e: StoreEntry & { store: string }): void {
    this.putMany(e.store, [e]);
  }

  /** One statement for a batch's writes to a store (a statement per row costs several times more). */
  putMany(store: string, entries: readonly StoreEntry[]): void {
    if (entries.length === 0) return;
    const rows = entries.map((e) => {
      const keyJson = JSON.stringify(e.keyValue ?? null);
      const value = JSON.stringify(e.value ?? null);
      this.remember(store, e.key, e.windowStart, e.windowEnd, { keyJson, value });
      return [e.key, e.windowStart, e.windowEnd, keyJson, value];
    });
    this.sql.exec(
      `INSERT INTO state (store, key, ws, we, key_json, value)
       SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?2) WHERE true
       ON CONFLICT (store, key, ws, we) DO UPDATE SET value = excluded.value, key_json = excluded.key_json`,
      store,
      JSON.stringify(rows),
    );
  }

  getMany(store: string, windows: readonly WindowRef[]): StoreEntry[] {
    const found: StoreEntry[] = [];
    const missing: WindowRef[] = [];
    for (const w of windows) {
      const row = this.cache.get(store)?.get(w.key)?.get(windowId(w.start, w.end));
      if (row === undefined) missing.push(w);
      else if (row !== null) {
        found.push({
          key: w.key,
          keyValue: JSON.parse(row.keyJson),
          windowStart: w.start,
          windowEnd: w.end,
          value: JSON.parse(row.value),
        });
      }
    }
    if (missing.length === 0) return found;
    for (const w of missing) this.remember(store, w.key, w.start, w.end, null);
    // json_each drives the join: one primary-key lookup per window asked for.
    const rows = this.sql.exec<StateRow>(
      `SELECT s.key, s.ws, s.we, s.key_json, s.value FROM json_each(?2) AS w CROSS JOIN state AS s
       ON s.store = ?1 AND s.key = w.value ->> 0 AND s.ws = w.value ->> 1 AND s.we = w.value ->> 2`,
      store,
      JSON.stringify(missing.map((w) => [w.key, w.start, w.end])),
    );
    for (const r of rows) {
      this.remember(store, r.key, r.ws, r.we, { keyJson: r.key_json, value: r.value });
      found.push(toEntry(r));
    }
    return found;
  }

  seenIds(store: string, ids: readonly string[]): Map<string, number> {
    return this.seen.seen(store, ids);
  }

  putSeenIds(store: string, seen: ReadonlyMap<string, number>): void {
    this.seen.put(store, seen);
  }

  /** Sweeps the next slice of a dedupe store's ids seen before `before` (see SeenIds.purge). */
  purgeSeenIds(store: string, before: number): void {
    this.seen.purge(store, before);
  }

  delete(store: string, key: string, start: number, end: number): void {
    this.remember(store, key, start, end, null);
    this.sql.exec("DELETE FROM state WHERE store = ? AND key = ? AND ws = ? AND we = ?", store, key, start, end);
  }

  overlapping(store: string, key: string, from: number, to: number): StoreEntry[] {
    return this.sql
      .exec<StateRow>(
        `SELECT ${COLUMNS} FROM state WHERE store = ? AND key = ? AND ws <= ? AND we >= ? ORDER BY ws`,
        store,
        key,
        to,
        from,
      )
      .toArray()
      .map(toEntry);
  }

  endedBy(store: string, end: number): StoreEntry[] {
    return this.sql
      .exec<StateRow>(`SELECT ${COLUMNS} FROM state WHERE store = ? AND we <= ? ORDER BY we, ws, key`, store, end)
      .toArray()
      .map(toEntry);
  }

  purge(store: string, end: number): void {
    this.sql.exec("DELETE FROM state WHERE store = ? AND we < ?", store, end);
    const keys = this.cache.get(store);
    if (!keys || end <= (this.cacheMinEnd.get(store) ?? Number.POSITIVE_INFINITY)) return;
    this.cacheMinEnd.delete(store);
    for (const [key, windows] of keys) {
      for (const id of windows.keys()) {
        const we = Number(id.slice(id.indexOf("/") + 1));
        if (we < end) {
          windows.delete(id);
          this.cached--;
        } else if (we < (this.cacheMinEnd.get(store) ?? Number.POSITIVE_INFINITY)) this.cacheMinEnd.set(store, we);
      }
      if (windows.size === 0) keys.delete(key);
    }
  }

  scan(store: string, scan: StoreScan): StoreEntry[] {
    const where = ["store = ?"];
    const args: SqlStorageValue[] = [store];
    if (scan.key !== undefined) {
      where.push("key = ?");
      args.push(scan.key);
    }
    if (scan.from !== undefined) {
      where.push("ws >= ?");
      args.push(scan.from);
    }
    if (scan.to !== undefined) {
      where.push("ws <= ?");
      args.push(scan.to);
    }
    args.push(scan.limit);
    return this.sql
      .exec<StateRow>(`SELECT ${COLUMNS} FROM state WHERE ${where.join(" AND ")} ORDER BY key, ws LIMIT ?`, ...args)
      .toArray()
      .map(toEntry);
  }
}
