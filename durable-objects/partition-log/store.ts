/**
 * The SQL of a partition log. Records live one row each, keyed by offset (so a fetch is a
 * rowid range scan); an append writes all of its records with one `INSERT … SELECT … FROM
 * json_each(?)` per chunk (see stored-records.ts), plus one row in `batches` (the unit of retention). Everything here is synchronous: callers wrap writes in `transactionSync`.
 */

import type { BatchRow } from "../../cluster/rpc/partition-log.ts";
import { TIMESTAMP_FIRST } from "../../cluster/stored-records.ts";
import type { ProducerStamp } from "../../sdk/protocol/schemas.ts";
import type { Migration } from "../shared/migrations.ts";
import { afterAppend, type ProducerState } from "./idempotence.ts";
import type { BatchInfo } from "./retention.ts";

/** What a batch row remembers of its idempotent producer. */
interface BatchProducer extends ProducerStamp {
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
const RECORD_TS = "coalesce(data ->> '$.timestamp', ts)";

export interface LogBounds {
  logStartOffset: number;
  highWatermark: number;
  totalBytes: number;
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
      .exec<{ last: number | null; bytes: number | null }>(
        "SELECT max(last_offset) AS last, sum(bytes) AS bytes FROM batches",
      )
      .one();
    const highWatermark = Math.max(start, row.last === null ? 0 : row.last + 1, Number(this.getMeta("hw") ?? 0));
    return { logStartOffset: start, highWatermark, totalBytes: row.bytes ?? 0 };
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
   * had. The producer table is rebuilt from the batches that remain.
   */
  truncateFrom(offset: number): void {
    this.sql.exec("DELETE FROM records WHERE offset >= ?", offset);
    this.sql.exec("DELETE FROM batches WHERE base_offset >= ?", offset);
    this.setMeta("hw", String(offset));
    this.sql.exec("DELETE FROM producers");
    const cursor = this.sql.exec(
      "SELECT base_offset, last_offset, producer FROM batches WHERE producer IS NOT NULL ORDER BY base_offset",
    );
    for (const row of cursor.raw()) this.applyProducerBatch(row[0] as number, row[1] as number, row[2] as string);
  }

  private applyProducerBatch(baseOffset: number, lastOffset: number, producerJson: string): void {
    const stamp = JSON.parse(producerJson) as BatchProducer;
    const count = lastOffset - baseOffset + 1;
    const batch = { sequence: stamp.sequence, count, baseOffset, appendTime: stamp.appendTime };
    this.putProducer(stamp.id, afterAppend(this.getProducer(stamp.id), stamp, batch));
  }

  /**
   * Reads from `offset` on and renders the records as a JSON array text, stopping after
   * `maxRecords` or once `maxBytes` of stored data is passed (always at least one record).
   */
  read(partition: number, offset: number, maxRecords: number, maxBytes: number): { json: string; count: number } {
    const head = `{"partition":${partition},"offset":`;
    // A stored record that brought its own timestamp starts with it (stored-records.ts).
    return this.renderPage(offset, maxRecords, maxBytes, (at, ts, data) =>
      data.startsWith(TIMESTAMP_FIRST)
        ? `${head}${at},${data.slice(1)}`
        : `${head}${at},"timestamp":${ts},${data.slice(1)}`,
    );
  }

  /**
   * The records from `offset` on, each rendered by `render`, as a JSON array text: at most
   * `maxRecords`, stopping once `maxBytes` of stored data is passed (always at least one).
   */
  private renderPage(
    offset: number,
    maxRecords: number,
    maxBytes: number,
    render: (offset: number, ts: number, data: string) => string,
  ): { json: string; count: number } {
    const cursor = this.sql.exec(
      "SELECT offset, ts, data FROM records WHERE offset >= ? ORDER BY offset LIMIT ?",
      offset,
      maxRecords,
    );
    const parts: string[] = [];
    let bytes = 0;
    for (const [at, ts, data] of cursor.raw() as Iterable<[number, number, string]>) {
      bytes += data.length;
      if (parts.length > 0 && bytes > maxBytes) break;
      parts.push(render(at, ts, data));
    }
    return { json: `[${parts.join(",")}]`, count: parts.length };
  }

  /**
   * Reads from `offset` on in the stored form with every record's timestamp (a record without its
   * own gets its append time spliced in), as a JSON array text. Stops after `maxRecords`, or at
   * the end of the last whole batch within `maxBytes` (past the first); SQLite splices and joins
   * the texts. A first batch over `maxBytes` is read record by record, stopping inside it.
   */
  readStored(offset: number, maxRecords: number, maxBytes: number): { json: string; count: number } {
    const end = this.pageEnd(offset, maxRecords, maxBytes);
    if (end === undefined) {
      return this.renderPage(offset, maxRecords, maxBytes, (_at, ts, data) =>
        data.startsWith(TIMESTAMP_FIRST) ? data : `${TIMESTAMP_FIRST}${ts},${data.slice(1)}`,
      );
    }
    const row = this.sql.exec<{ json: string | null; count: number }>(READ_STORED, offset, end).one();
    return { json: `[${row.json ?? ""}]`, count: row.count };
  }

  /**
   * The end (exclusive) of a page from `offset`: whole batches while their bytes stay within
   * `maxBytes`, at most `maxRecords`; undefined when the first batch alone is over `maxBytes`.
   */
  private pageEnd(offset: number, maxRecords: number, maxBytes: number): number | undefined {
    const limit = offset + maxRecords;
    let end = offset;
    let bytes = 0;
    // From the batch holding `offset` on (by the primary key: `last_offset` has no index).
    const batches = this.sql.exec(
      `SELECT last_offset, bytes FROM batches WHERE base_offset >= coalesce(
         (SELECT base_offset FROM batches WHERE base_offset <= ?1 ORDER BY base_offset DESC LIMIT 1), ?1)
       ORDER BY base_offset`,
      offset,
    );
    for (const [last, size] of batches.raw() as Iterable<[number, number]>) {
      bytes += size;
      if (bytes > maxBytes) return end > offset ? end : undefined;
      end = Math.min(last + 1, limit);
      if (end === limit) break;
    }
    return end;
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

  /** Removes every record and batch below `offset` (a prefix of the log). */
  truncateBefore(offset: number, highWatermark: number): void {
    this.sql.exec("DELETE FROM records WHERE offset < ?", offset);
    this.sql.exec("DELETE FROM batches WHERE base_offset < ?", offset);
    this.setMeta("log_start_offset", String(offset));
    // Keep the high watermark when retention removes the whole log.
    this.setMeta("hw", String(highWatermark));
  }

  dropAll(): void {
    this.sql.exec("DELETE FROM records");
    this.sql.exec("DELETE FROM batches");
  }
}
