/** The SQL of a DurableStream: its metadata (one row) and its producers' state. */
import type { Migration } from "../shared/migrations.ts";
import type { ProducerState, StreamMeta } from "./state.ts";

export const MIGRATIONS: readonly Migration[] = [
  (sql) => {
    sql.exec("CREATE TABLE stream (id INTEGER PRIMARY KEY CHECK (id = 1), meta TEXT NOT NULL)");
    sql.exec(
      "CREATE TABLE producers (id TEXT PRIMARY KEY, epoch INTEGER NOT NULL, last_seq INTEGER NOT NULL, updated_at INTEGER NOT NULL)",
    );
  },
  (sql) => {
    // Where each append (a protocol message) ends: a fork's sub-offset counts within one.
    sql.exec("CREATE TABLE messages (end_position INTEGER PRIMARY KEY)");
  },
];

export class StreamStore {
  constructor(private readonly sql: SqlStorage) {}

  loadMeta(): StreamMeta | undefined {
    const row = this.sql.exec<{ meta: string }>("SELECT meta FROM stream WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.meta) as StreamMeta) : undefined;
  }

  saveMeta(meta: StreamMeta): void {
    this.sql.exec("INSERT OR REPLACE INTO stream (id, meta) VALUES (1, ?)", JSON.stringify(meta));
  }

  getProducer(id: string): ProducerState | undefined {
    const row = this.sql
      .exec<{ epoch: number; last_seq: number; updated_at: number }>(
        "SELECT epoch, last_seq, updated_at FROM producers WHERE id = ?",
        id,
      )
      .toArray()[0];
    return row ? { epoch: row.epoch, lastSeq: row.last_seq, updatedAt: row.updated_at } : undefined;
  }

  putProducer(id: string, state: ProducerState): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO producers (id, epoch, last_seq, updated_at) VALUES (?, ?, ?, ?)",
      id,
      state.epoch,
      state.lastSeq,
      state.updatedAt,
    );
  }

  addBoundaries(ends: readonly number[]): void {
    for (const end of ends) this.sql.exec("INSERT OR IGNORE INTO messages (end_position) VALUES (?)", end);
  }

  /** Message ends at or below `position`. */
  boundariesUpTo(position: number): number[] {
    return this.sql
      .exec<{ e: number }>("SELECT end_position AS e FROM messages WHERE end_position <= ? ORDER BY e", position)
      .toArray()
      .map((r) => r.e);
  }

  /** Where the message after `position` ends, if there is one. */
  nextBoundary(position: number): number | undefined {
    return (
      this.sql
        .exec<{ e: number }>("SELECT MIN(end_position) AS e FROM messages WHERE end_position > ?", position)
        .toArray()[0]?.e ?? undefined
    );
  }

  clear(): void {
    this.sql.exec("DELETE FROM stream");
    this.sql.exec("DELETE FROM producers");
    this.sql.exec("DELETE FROM messages");
  }
}
