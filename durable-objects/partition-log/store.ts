/**
 * The SQL of a partition log. Records live one row each, keyed by offset (so a fetch is a
 * rowid range scan); an append writes all of its records with one `INSERT … SELECT … FROM
 * json_each(?)` per chunk (see stored-records.ts), plus one row in `batches` (the unit of
 * retention). A compacted log has gaps: reads go by the rows there are, never by counting from
 * an offset. Compaction's statements are compaction-store.ts, the R2 tier's manifest.ts.
 * Everything here is synchronous: callers wrap writes in `transactionSync`.
 */

import type { BatchRow } from "../../cluster/rpc/partition-log.ts";
import { TIMESTAMP_FIRST } from "../../cluster/stored-records.ts";
import type { ProducerStamp } from "../../sdk/protocol/schemas.ts";
import type { Migration } from "../shared/migrations.ts";
import { afterAppend, type ProducerState } from "./idempotence.ts";
import { fetchedForm, type Page, type RenderRow, storedForm } from "./render.ts";
import type { BatchInfo } from "./retention.ts";
import type { SegmentRow } from "./segment.ts";

/** What a batch row remembers of its idempotent producer. */
export interface BatchProducer extends ProducerStamp {
  appendTime: number;
}

export const MIGRATIONS: readonly Migration[] = [
  (sql) => {
    // `data` is the record's stored JSON text (see stored-records.ts), served as is.
    sql.exec(`CREATE TABLE records (
      offset INTEGER PRIMARY KEY,
      ts INTEGER NOT NULL,
      data TEXT NOT NULL
    )`);
    sql.exec(`CREATE TABLE batches (
      base_offset INTEGER PRIMARY KEY,
      last_offset INTEGER NOT NULL,
      max_ts INTEGER NOT NULL,
      bytes INTEGER NOT NULL
    )`);
    sql.exec("CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
  },
  (sql) => {
    // Idempotent producers: epoch, next sequence and last few batches per producer id.
    sql.exec("CREATE TABLE producers (id TEXT PRIMARY KEY, state TEXT NOT NULL)");
  },
  (sql) => {
    // Replication: each batch keeps its producer stamp, so a follower rebuilds the producer
    // table from the batches it copies (and after a truncation), as Kafka does from its log.
    sql.exec("ALTER TABLE batches ADD COLUMN producer TEXT");
  },
  (sql) => {
    // Compaction: the latest record of each key in the cleaned part of the log (key ids as
    // compaction.ts makes them), with the tombstone's timestamp when that record is one.
    sql.exec(`CREATE TABLE keys (
      id TEXT PRIMARY KEY,
      offset INTEGER NOT NULL,
      tombstone_ts INTEGER
    ) WITHOUT ROWID`);
    sql.exec("CREATE INDEX keys_by_offset ON keys (offset)");
    sql.exec("CREATE INDEX keys_tombstones ON keys (tombstone_ts) WHERE tombstone_ts IS NOT NULL");
    // The R2 tier (manifest.ts): each segment object of the log, the offsets compaction removed
    // from segments not yet written again, and objects that may exist in R2 but that the
    // manifest does not name (an upload under way, or an object to delete).
    sql.exec(`CREATE TABLE segments (
      base_offset INTEGER PRIMARY KEY,
      last_offset INTEGER NOT NULL,
      max_ts INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      records INTEGER NOT NULL,
      dead INTEGER NOT NULL DEFAULT 0,
      key TEXT NOT NULL
    )`);
    sql.exec("CREATE TABLE tiered_dead (offset INTEGER PRIMARY KEY)");
    sql.exec("CREATE TABLE r2_pending (key TEXT PRIMARY KEY)");
  },
];

// Records arrive as JSON arrays of stored records (stored-records.ts): json_each hands each one over as
// JSON text, which is kept as is. `ts` is the append time: a record that brought its own
// timestamp has it first in its text (stored-records.ts), where reads take it from. (Extracting it
// into `ts` as well made the insert 1.3–1.9 times as costly: `npm run bench:store`.)
const INSERT_CHUNK = `INSERT INTO records (offset, ts, data)
  SELECT ?1 + j.key, ?2, j.value FROM json_each(?3) AS j`;
/**
 * Records [?1, ?2) in the stored form, each with its timestamp (readStored), joined in offset
 * order: SQLite cannot flatten an ordered subquery into an aggregate (its flattening rule 16), so
 * group_concat takes the rows in the subquery's order. (`group_concat(… ORDER BY offset)` says
 * so too, but sorts again: 1.7–2 times the cost of the whole read, `npm run bench:store`.)
 */
const READ_STORED = `SELECT group_concat(rec, ',') AS json, count(*) AS count FROM (
  SELECT iif(substr(data, 1, ${TIMESTAMP_FIRST.length}) = '${TIMESTAMP_FIRST}', data,
    '${TIMESTAMP_FIRST}' || ts || ',' || substr(data, 2)) AS rec
  FROM records WHERE offset >= ?1 AND offset < ?2 ORDER BY offset)`;
/** A record's timestamp: its own, else its append time. */
export const RECORD_TS = "coalesce(data ->> '$.timestamp', ts)";
/** A batch's bytes counted again from its records (after compaction removed some). */
const BATCH_BYTES =
  "coalesce((SELECT sum(octet_length(data)) FROM records WHERE offset BETWEEN batches.base_offset AND batches.last_offset), 0)";
/** The batch holding offset ?1 (by the primary key: `last_offset` has no index). */
export const BATCH_OF = "(SELECT base_offset FROM batches WHERE base_offset <= ?1 ORDER BY base_offset DESC LIMIT 1)";

/** The log's offsets and sizes, kept in memory by the PartitionLog (one object, updated in place). */
export interface LogBounds {
  logStartOffset: number;
  /** The next offset this replica writes (its log end). */
  highWatermark: number;
  /** Bytes of every record, in SQLite and in R2. */
  totalBytes: number;
  /** The first offset held in SQLite; below it (down to the log start) the records are in R2. */
  localStartOffset: number;
  /** Bytes of the records held in SQLite. */
  localBytes: number;
  /** Compaction examined the records below this (the log start when the log is not compacted). */
  cleanedTo: number;
  /** Bytes of the batches from `cleanedTo` on: what compaction has not examined yet. */
  dirtyBytes: number;
}

export class PartitionStore {
  constructor(private readonly sql: SqlStorage) {}

  getMeta(key: string): string | undefined {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", key).toArray()[0]?.v;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET v = ?2", key, value);
  }

  getProducer(id: string): ProducerState | undefined {
    const row = this.sql.exec<{ state: string }>("SELECT state FROM producers WHERE id = ?", id).toArray()[0];
    return row ? (JSON.parse(row.state) as ProducerState) : undefined;
  }

  putProducer(id: string, state: ProducerState): void {
    this.sql.exec(
      "INSERT INTO producers (id, state) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET state = ?2",
      id,
      JSON.stringify(state),
    );
  }

  loadBounds(): LogBounds {
    const start = Number(this.getMeta("log_start_offset") ?? 0);
    const row = this.sql
      .exec<{ last: number | null; bytes: number | null; tierLast: number | null; tierBytes: number | null }>(
        `SELECT max(last_offset) AS last, sum(bytes) AS bytes,
          (SELECT max(last_offset) FROM segments) AS tierLast, (SELECT sum(bytes) FROM segments) AS tierBytes
         FROM batches`,
      )
      .one();
    const highWatermark = Math.max(
      start,
      row.last === null ? 0 : row.last + 1,
      row.tierLast === null ? 0 : row.tierLast + 1,
      Number(this.getMeta("hw") ?? 0),
    );
    const localStartOffset = Math.max(start, Number(this.getMeta("local_start") ?? 0));
    const cleanedTo = Math.max(start, Number(this.getMeta("cleaned_to") ?? 0));
    const localBytes = row.bytes ?? 0;
    return {
      logStartOffset: start,
      highWatermark,
      totalBytes: localBytes + (row.tierBytes ?? 0),
      localStartOffset,
      localBytes,
      cleanedTo,
      dirtyBytes: this.bytesFrom(cleanedTo),
    };
  }

  /** Bytes of the local batches with records at or after `offset` (none when it is the log end). */
  bytesFrom(offset: number): number {
    return (
      this.sql
        .exec<{ bytes: number | null }>(
          `SELECT sum(bytes) AS bytes FROM batches WHERE base_offset >= coalesce(${BATCH_OF}, ?1) AND last_offset >= ?1`,
          offset,
        )
        .one().bytes ?? 0
    );
  }

  /**
   * Appends records (JSON array texts, see stored-records.ts) at `baseOffset`: one statement per chunk
   * and one batch row. Callers run it inside a transaction, so a failing chunk stores nothing.
   */
  append(
    chunks: readonly string[],
    count: number,
    baseOffset: number,
    appendTime: number,
    maxTimestamp: number,
    bytes: number,
    producer?: ProducerStamp,
  ): void {
    let offset = baseOffset;
    for (const chunk of chunks) offset += this.sql.exec(INSERT_CHUNK, offset, appendTime, chunk).rowsWritten;
    if (offset !== baseOffset + count) {
      throw new Error(`append wrote ${offset - baseOffset} records where ${count} were sent`);
    }
    this.sql.exec(
      "INSERT INTO batches (base_offset, last_offset, max_ts, bytes, producer) VALUES (?, ?, ?, ?, ?)",
      baseOffset,
      baseOffset + count - 1,
      maxTimestamp,
      bytes,
      producer ? JSON.stringify({ ...producer, appendTime } satisfies BatchProducer) : null,
    );
  }

  /** How many of the records of `chunks` (an append's) have neither key nor keyBase64. */
  keylessRecords(chunks: readonly string[]): number {
    let n = 0;
    for (const chunk of chunks) {
      n += this.sql
        .exec<{ n: number }>(
          "SELECT count(*) AS n FROM json_each(?) WHERE value ->> '$.key' IS NULL AND value ->> '$.keyBase64' IS NULL",
          chunk,
        )
        .one().n;
    }
    return n;
  }

  /**
   * Whole batches from `from` on, as a leader sends them to a follower: at least one batch,
   * then more while their records stay under `maxBytes`, and never past `end` (the leader's
   * log end when the read began).
   */
  readForReplica(from: number, end: number, maxBytes: number): { records: string; batches: BatchRow[] } {
    const batches: BatchRow[] = [];
    let bytes = 0;
    const cursor = this.sql.exec(
      "SELECT base_offset, last_offset, max_ts, bytes, producer FROM batches WHERE base_offset >= ? AND base_offset < ? ORDER BY base_offset",
      from,
      end,
    );
    for (const row of cursor.raw()) {
      const b = row[3] as number;
      if (batches.length > 0 && bytes + b > maxBytes) break;
      bytes += b;
      batches.push({
        baseOffset: row[0] as number,
        lastOffset: row[1] as number,
        maxTimestamp: row[2] as number,
        bytes: b,
        producer: row[4] as string | null,
      });
    }
    if (batches.length === 0) return { records: "[]", batches };
    const last = batches.at(-1)!.lastOffset;
    const { rows } = this.sql
      .exec<{ rows: string }>(
        "SELECT json_group_array(json_array(offset, ts, data)) AS rows FROM (SELECT offset, ts, data FROM records WHERE offset >= ? AND offset <= ? ORDER BY offset)",
        from,
        last,
      )
      .one();
    return { records: rows, batches };
  }

  /**
   * Stores batches copied from the leader (rows as readForReplica renders them) and updates
   * the producer table from their stamps. Callers run it inside a transaction.
   */
  appendReplica(records: string, batches: readonly BatchRow[]): void {
    this.sql.exec(
      "INSERT INTO records (offset, ts, data) SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each(?) AS j",
      records,
    );
    for (const b of batches) {
      this.sql.exec(
        "INSERT INTO batches (base_offset, last_offset, max_ts, bytes, producer) VALUES (?, ?, ?, ?, ?)",
        b.baseOffset,
        b.lastOffset,
        b.maxTimestamp,
        b.bytes,
        b.producer,
      );
      if (b.producer) this.applyProducerBatch(b.baseOffset, b.lastOffset, b.producer);
    }
  }

  /**
   * Cuts the log at `offset` (a batch boundary): a follower dropping what the new leader never
   * had. Producers whose batches were cut get their state back from the batches that remain (or,
   * when none remains locally, from their remembered batches below the cut); the others keep
   * theirs. Compaction never goes past the high watermark, so the cut is normally above what it
   * cleaned; if not, it starts over from the log start (cleaning a clean log changes nothing).
   */
  truncateFrom(offset: number, logStartOffset: number): void {
    const cut = this.sql
      .exec<{ id: string }>(
        "SELECT DISTINCT producer ->> '$.id' AS id FROM batches WHERE base_offset >= ? AND producer IS NOT NULL",
        offset,
      )
      .toArray()
      .map((r) => r.id);
    this.sql.exec("DELETE FROM records WHERE offset >= ?", offset);
    this.sql.exec("DELETE FROM batches WHERE base_offset >= ?", offset);
    this.setMeta("hw", String(offset));
    for (const id of cut) {
      const before = this.getProducer(id);
      this.sql.exec("DELETE FROM producers WHERE id = ?", id);
      const cursor = this.sql.exec(
        "SELECT base_offset, last_offset, producer FROM batches WHERE producer ->> '$.id' = ? ORDER BY base_offset",
        id,
      );
      let replayed = false;
      for (const row of cursor.raw()) {
        this.applyProducerBatch(row[0] as number, row[1] as number, row[2] as string);
        replayed = true;
      }
      const kept = before?.recent.filter((b) => b.baseOffset < offset) ?? [];
      if (!replayed && before && kept.length > 0) {
        const last = kept.at(-1)!;
        this.putProducer(id, { epoch: before.epoch, nextSequence: last.sequence + last.count, recent: kept });
      }
    }
    if (Number(this.getMeta("cleaned_to") ?? 0) > offset) {
      this.sql.exec("DELETE FROM keys");
      this.setMeta("cleaned_to", String(logStartOffset));
    }
  }

  private applyProducerBatch(baseOffset: number, lastOffset: number, producerJson: string): void {
    const stamp = JSON.parse(producerJson) as BatchProducer;
    const count = lastOffset - baseOffset + 1;
    const batch = { sequence: stamp.sequence, count, baseOffset, appendTime: stamp.appendTime };
    this.putProducer(stamp.id, afterAppend(this.getProducer(stamp.id), stamp, batch));
  }

  /**
   * Reads from `offset` up to `end` (exclusive) and renders the records as a JSON array text,
   * stopping after `maxRecords` or once `maxBytes` of stored data is passed (always at least one
   * record). Gaps (offsets compaction removed) are stepped over.
   */
  read(partition: number, offset: number, maxRecords: number, maxBytes: number, end: number): Page {
    return this.renderPage(offset, end, maxRecords, maxBytes, fetchedForm(partition));
  }

  /**
   * The records from `offset` to `end`, each rendered by `render`, as a JSON array text: at most
   * `maxRecords`, stopping once `maxBytes` of stored data is passed (always at least one).
   */
  private renderPage(offset: number, end: number, maxRecords: number, maxBytes: number, render: RenderRow): Page {
    const cursor = this.sql.exec(
      "SELECT offset, ts, data FROM records WHERE offset >= ? AND offset < ? ORDER BY offset LIMIT ?",
      offset,
      end,
      maxRecords,
    );
    const parts: string[] = [];
    let bytes = 0;
    let last = -1;
    let cut = false;
    for (const [at, ts, data] of cursor.raw() as Iterable<[number, number, string]>) {
      bytes += data.length;
      if (parts.length > 0 && bytes > maxBytes) {
        cut = true;
        break;
      }
      parts.push(render(at, ts, data));
      last = at;
    }
    // Fewer rows than asked for, and none left out for size: everything up to `end` was read.
    const next = cut || parts.length === maxRecords ? last + 1 : end;
    return { json: `[${parts.join(",")}]`, count: parts.length, next };
  }

  /**
   * Reads from `offset` up to `end` in the stored form with every record's timestamp (a record
   * without its own gets its append time spliced in), as a JSON array text. Stops after
   * `maxRecords` offsets, or at the end of the last whole batch within `maxBytes` (past the
   * first); SQLite splices and joins the texts. A first batch over `maxBytes` is read record by
   * record, stopping inside it.
   */
  readStored(offset: number, maxRecords: number, maxBytes: number, end: number): Page {
    const pageEnd = this.pageEnd(offset, Math.min(end, offset + maxRecords), maxBytes);
    if (pageEnd === undefined) return this.renderPage(offset, end, maxRecords, maxBytes, storedForm);
    const row = this.sql.exec<{ json: string | null; count: number }>(READ_STORED, offset, pageEnd).one();
    return { json: `[${row.json ?? ""}]`, count: row.count, next: pageEnd };
  }

  /**
   * The end (exclusive) of a page from `offset`: whole batches while their bytes stay within
   * `maxBytes`, not past `limit`; undefined when the first batch alone is over `maxBytes`.
   */
  private pageEnd(offset: number, limit: number, maxBytes: number): number | undefined {
    let end = offset;
    let bytes = 0;
    const batches = this.sql.exec(
      `SELECT last_offset, bytes FROM batches WHERE base_offset >= coalesce(${BATCH_OF}, ?1) ORDER BY base_offset`,
      offset,
    );
    for (const [last, size] of batches.raw() as Iterable<[number, number]>) {
      bytes += size;
      if (bytes > maxBytes) return end > offset ? end : undefined;
      end = Math.min(last + 1, limit);
      if (end === limit) break;
    }
    // Past the last batch (removed by compaction): nothing more to read up to the limit.
    return Math.max(end, limit);
  }

  /** The first offset at or after `offset` whose timestamp is at or after `timestamp`. */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | undefined {
    // Like Kafka's time index: skip whole batches whose newest record is older, then scan one.
    const batch = this.sql
      .exec<{ base: number }>(
        "SELECT base_offset AS base FROM batches WHERE max_ts >= ? ORDER BY base_offset LIMIT 1",
        timestamp,
      )
      .toArray()[0];
    if (!batch) return undefined;
    return this.sql
      .exec<{ offset: number; timestamp: number }>(
        `SELECT offset, ${RECORD_TS} AS timestamp FROM records WHERE offset >= ? AND ${RECORD_TS} >= ? ORDER BY offset LIMIT 1`,
        batch.base,
        timestamp,
      )
      .toArray()[0];
  }

  *batchesInOrder(): Generator<BatchInfo> {
    const cursor = this.sql.exec("SELECT base_offset, last_offset, max_ts, bytes FROM batches ORDER BY base_offset");
    for (const row of cursor.raw()) {
      yield {
        baseOffset: row[0] as number,
        lastOffset: row[1] as number,
        maxTimestamp: row[2] as number,
        bytes: row[3] as number,
      };
    }
  }

  oldestBatch(): BatchInfo | undefined {
    const it = this.batchesInOrder();
    const first = it.next();
    it.return(undefined);
    return first.done ? undefined : first.value;
  }

  /**
   * Removes every local record below `offset` (retention, or Kafka's DeleteRecords) and the
   * batches entirely below it; a batch holding `offset` keeps its row, with its bytes counted
   * again. Answers the bytes that went.
   */
  deleteBefore(offset: number, highWatermark: number): number {
    const before = this.localBytesBelow(offset + 1);
    this.sql.exec("DELETE FROM records WHERE offset < ?", offset);
    this.sql.exec("DELETE FROM batches WHERE base_offset < ?1 AND last_offset < ?1", offset);
    this.sql.exec(
      `UPDATE batches SET bytes = ${BATCH_BYTES} WHERE base_offset = ${BATCH_OF} AND base_offset < ?1`,
      offset,
    );
    this.sql.exec("DELETE FROM keys WHERE offset < ?", offset);
    this.setMeta("log_start_offset", String(offset));
    // Keep the high watermark when the whole log goes.
    this.setMeta("hw", String(highWatermark));
    for (const k of ["local_start", "cleaned_to"]) {
      if (Number(this.getMeta(k) ?? 0) < offset) this.setMeta(k, String(offset));
    }
    return before - this.localBytesBelow(offset + 1);
  }

  /** Bytes of the local batches starting below `offset`. */
  private localBytesBelow(offset: number): number {
    return (
      this.sql
        .exec<{ bytes: number | null }>("SELECT sum(bytes) AS bytes FROM batches WHERE base_offset < ?", offset)
        .one().bytes ?? 0
    );
  }

  // ---- The local side of the R2 tier ----

  /** The records of [base, last] as a segment holds them, and their batches. */
  segmentRows(base: number, last: number): { rows: SegmentRow[]; batches: BatchRow[] } {
    const rows: SegmentRow[] = [];
    const cursor = this.sql.exec(
      `SELECT offset, ${RECORD_TS}, data FROM records WHERE offset >= ? AND offset <= ? ORDER BY offset`,
      base,
      last,
    );
    for (const [offset, timestamp, data] of cursor.raw() as Iterable<[number, number, string]>) {
      rows.push({ offset, timestamp, data });
    }
    const batches: BatchRow[] = this.sql
      .exec<{ baseOffset: number; lastOffset: number; maxTimestamp: number; bytes: number; producer: string | null }>(
        `SELECT base_offset AS baseOffset, last_offset AS lastOffset, max_ts AS maxTimestamp, bytes, producer
         FROM batches WHERE base_offset >= ? AND base_offset <= ? ORDER BY base_offset`,
        base,
        last,
      )
      .toArray();
    return { rows, batches };
  }

  /** Removes the local records and batches through `last`, which a segment in R2 now holds. Answers the bytes that went. */
  deleteLocalThrough(last: number, highWatermark: number): number {
    const before = this.localBytesBelow(last + 1);
    this.sql.exec("DELETE FROM records WHERE offset <= ?", last);
    this.sql.exec("DELETE FROM batches WHERE base_offset <= ?", last);
    this.setMeta("local_start", String(last + 1));
    this.setMeta("hw", String(highWatermark));
    return before;
  }

  dropAll(): void {
    this.sql.exec("DELETE FROM records");
    this.sql.exec("DELETE FROM batches");
    this.sql.exec("DELETE FROM keys");
  }
}
