/**
 * Queue mode's storage: per-message leases of a group over a topic (see leases.ts), each
 * topic's queue config, and a per-partition cursor from which new records are taken in order.
 * Everything is synchronous; callers wrap multi-statement steps in `transactionSync`.
 */
import type { Migration } from "../shared/migrations.ts";
import { defaultQueueConfig, type Lease, parseReceipt, type QueueConfig } from "./leases.ts";

export const QUEUE_MIGRATION: Migration = (sql) => {
  sql.exec(`CREATE TABLE queue_config (
    topic TEXT PRIMARY KEY,
    max_deliveries INTEGER NOT NULL,
    dead_letter_topic TEXT NOT NULL
  )`);
  sql.exec(`CREATE TABLE queue_cursor (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
  )`);
  sql.exec(`CREATE TABLE leases (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    record TEXT NOT NULL,
    delivery_count INTEGER NOT NULL,
    visible_at INTEGER NOT NULL,
    receipt TEXT NOT NULL,
    last_error TEXT,
    PRIMARY KEY (topic, partition, offset)
  )`);
  sql.exec("CREATE INDEX leases_by_visibility ON leases (topic, visible_at)");
};

/**
 * For the queue's figures (GET …/queue) and redrives: whether a lease waits out a nack's delay
 * (not a visibility timeout), counters per partition, and how far each partition of a
 * dead-letter topic has been redriven.
 */
export const QUEUE_STATS_MIGRATION: Migration = (sql) => {
  sql.exec("ALTER TABLE leases ADD COLUMN nacked INTEGER NOT NULL DEFAULT 0");
  sql.exec(`CREATE TABLE queue_counters (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    redeliveries INTEGER NOT NULL DEFAULT 0,
    acked INTEGER NOT NULL DEFAULT 0,
    dead_lettered INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (topic, partition)
  )`);
  sql.exec(`CREATE TABLE queue_redrive (
    dead_letter_topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    redriven INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dead_letter_topic, partition)
  )`);
};

/** The tables of queue mode, for forgetting a group. */
export const QUEUE_TABLES = ["queue_config", "queue_cursor", "leases", "queue_counters", "queue_redrive"] as const;

export type QueueCounter = "redeliveries" | "acked" | "dead_lettered";

/** The leases of one partition by state, and its counters. */
export interface PartitionFigures {
  inFlight: number;
  delayed: number;
  redeliverable: number;
  redeliveries: number;
  acked: number;
  deadLettered: number;
}

function toLease(row: (string | number | null | ArrayBuffer)[]): Lease {
  return {
    topic: row[0] as string,
    partition: row[1] as number,
    offset: row[2] as number,
    record: row[3] as string,
    deliveryCount: row[4] as number,
    visibleAt: row[5] as number,
    receipt: row[6] as string,
    lastError: row[7] as string | null,
    nacked: row[8] === 1,
  };
}

const LEASE_COLUMNS = "topic, partition, offset, record, delivery_count, visible_at, receipt, last_error, nacked";

export class QueueStore {
  constructor(private readonly sql: SqlStorage) {}

  config(topic: string): QueueConfig {
    const row = this.sql
      .exec<{ max_deliveries: number; dead_letter_topic: string }>(
        "SELECT max_deliveries, dead_letter_topic FROM queue_config WHERE topic = ?",
        topic,
      )
      .toArray()[0];
    if (!row) return defaultQueueConfig(topic);
    return { topic, maxDeliveries: row.max_deliveries, deadLetterTopic: row.dead_letter_topic };
  }

  setConfig(config: QueueConfig): void {
    this.sql.exec(
      `INSERT INTO queue_config (topic, max_deliveries, dead_letter_topic) VALUES (?1, ?2, ?3)
       ON CONFLICT (topic) DO UPDATE SET max_deliveries = ?2, dead_letter_topic = ?3`,
      config.topic,
      config.maxDeliveries,
      config.deadLetterTopic,
    );
  }

  /** Whether the group has read this topic in queue mode. */
  inUse(topic: string): boolean {
    return this.sql.exec("SELECT 1 FROM queue_cursor WHERE topic = ? LIMIT 1", topic).toArray().length > 0;
  }

  /** Leases whose visibility deadline has passed, oldest deadline first. */
  due(topic: string, now: number, limit: number): Lease[] {
    return [
      ...this.sql
        .exec(
          `SELECT ${LEASE_COLUMNS} FROM leases WHERE topic = ? AND visible_at <= ? ORDER BY visible_at, partition, offset LIMIT ?`,
          topic,
          now,
          limit,
        )
        .raw(),
    ].map(toLease);
  }

  /** The soonest time a leased record of the topic becomes deliverable again. */
  nextVisible(topic: string): number | null {
    const row = this.sql
      .exec<{ at: number | null }>("SELECT min(visible_at) AS at FROM leases WHERE topic = ?", topic)
      .one();
    return row.at;
  }

  byReceipt(receipt: string): Lease | undefined {
    const key = parseReceipt(receipt);
    if (!key) return undefined;
    const row = [
      ...this.sql
        .exec(
          `SELECT ${LEASE_COLUMNS} FROM leases WHERE topic = ? AND partition = ? AND offset = ?`,
          key.topic,
          key.partition,
          key.offset,
        )
        .raw(),
    ][0];
    const lease = row ? toLease(row) : undefined;
    return lease?.receipt === receipt ? lease : undefined;
  }

  put(lease: Lease): void {
    this.sql.exec(
      `INSERT INTO leases (${LEASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (topic, partition, offset) DO UPDATE SET delivery_count = excluded.delivery_count,
         visible_at = excluded.visible_at, receipt = excluded.receipt, last_error = excluded.last_error,
         nacked = excluded.nacked`,
      lease.topic,
      lease.partition,
      lease.offset,
      lease.record,
      lease.deliveryCount,
      lease.visibleAt,
      lease.receipt,
      lease.lastError,
      lease.nacked ? 1 : 0,
    );
  }

  remove(lease: Pick<Lease, "topic" | "partition" | "offset">): void {
    this.sql.exec(
      "DELETE FROM leases WHERE topic = ? AND partition = ? AND offset = ?",
      lease.topic,
      lease.partition,
      lease.offset,
    );
  }

  cursor(topic: string, partition: number): number | undefined {
    return this.sql
      .exec<{ next_offset: number }>(
        "SELECT next_offset FROM queue_cursor WHERE topic = ? AND partition = ?",
        topic,
        partition,
      )
      .toArray()[0]?.next_offset;
  }

  setCursor(topic: string, partition: number, next: number): void {
    this.sql.exec(
      `INSERT INTO queue_cursor (topic, partition, next_offset) VALUES (?1, ?2, ?3)
       ON CONFLICT (topic, partition) DO UPDATE SET next_offset = ?3`,
      topic,
      partition,
      next,
    );
  }

  /** The offset below which every record of the partition is done (acked or dead-lettered). */
  doneBelow(topic: string, partition: number): number | undefined {
    const row = this.sql
      .exec<{ low: number | null }>(
        "SELECT min(offset) AS low FROM leases WHERE topic = ? AND partition = ?",
        topic,
        partition,
      )
      .one();
    return row.low ?? this.cursor(topic, partition);
  }

  /** The topics the group has configured or read as queues. */
  queueTopics(): string[] {
    return this.sql
      .exec<{ topic: string }>("SELECT topic FROM queue_config UNION SELECT topic FROM queue_cursor ORDER BY topic")
      .toArray()
      .map((r) => r.topic);
  }

  /** Every partition's cursor of the topic, by partition. */
  cursors(topic: string): Map<number, number> {
    const out = new Map<number, number>();
    for (const row of this.sql.exec("SELECT partition, next_offset FROM queue_cursor WHERE topic = ?", topic).raw()) {
      out.set(row[0] as number, row[1] as number);
    }
    return out;
  }

  /** Adds `by` to a counter of the partition. */
  count(topic: string, partition: number, counter: QueueCounter, by = 1): void {
    this.sql.exec(
      `INSERT INTO queue_counters (topic, partition, ${counter}) VALUES (?1, ?2, ?3)
       ON CONFLICT (topic, partition) DO UPDATE SET ${counter} = ${counter} + ?3`,
      topic,
      partition,
      by,
    );
  }

  /** The leases of each partition of the topic by state at `now`, and its counters. */
  figures(topic: string, now: number): Map<number, PartitionFigures> {
    const out = new Map<number, PartitionFigures>();
    const of = (partition: number) => {
      let f = out.get(partition);
      if (!f) {
        f = { inFlight: 0, delayed: 0, redeliverable: 0, redeliveries: 0, acked: 0, deadLettered: 0 };
        out.set(partition, f);
      }
      return f;
    };
    const leases = this.sql.exec(
      `SELECT partition,
         sum(visible_at > ?2 AND nacked = 0), sum(visible_at > ?2 AND nacked = 1), sum(visible_at <= ?2)
       FROM leases WHERE topic = ?1 GROUP BY partition`,
      topic,
      now,
    );
    for (const row of leases.raw()) {
      const f = of(row[0] as number);
      f.inFlight = row[1] as number;
      f.delayed = row[2] as number;
      f.redeliverable = row[3] as number;
    }
    const counters = this.sql.exec(
      "SELECT partition, redeliveries, acked, dead_lettered FROM queue_counters WHERE topic = ?",
      topic,
    );
    for (const row of counters.raw()) {
      const f = of(row[0] as number);
      f.redeliveries = row[1] as number;
      f.acked = row[2] as number;
      f.deadLettered = row[3] as number;
    }
    return out;
  }

  /** How far each partition of a dead-letter topic has been redriven: the next offset, by partition. */
  redrivePositions(deadLetterTopic: string): Map<number, number> {
    const out = new Map<number, number>();
    const rows = this.sql.exec(
      "SELECT partition, next_offset FROM queue_redrive WHERE dead_letter_topic = ?",
      deadLetterTopic,
    );
    for (const row of rows.raw()) out.set(row[0] as number, row[1] as number);
    return out;
  }

  /** Records moved back from the dead-letter topic so far. */
  redriven(deadLetterTopic: string): number {
    return this.sql
      .exec<{ n: number }>(
        "SELECT coalesce(sum(redriven), 0) AS n FROM queue_redrive WHERE dead_letter_topic = ?",
        deadLetterTopic,
      )
      .one().n;
  }

  /** Moves a dead-letter partition's redrive position on, counting the records moved back. */
  setRedrivePosition(deadLetterTopic: string, partition: number, next: number, redriven: number): void {
    this.sql.exec(
      `INSERT INTO queue_redrive (dead_letter_topic, partition, next_offset, redriven) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (dead_letter_topic, partition) DO UPDATE SET next_offset = ?3, redriven = redriven + ?4`,
      deadLetterTopic,
      partition,
      next,
      redriven,
    );
  }
}
