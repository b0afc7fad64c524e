/**
 * The SQL of the Controller: topics, consumer groups, transactional producers, the leaders
 * of replicated partitions and scoped tokens. Rows are converted to domain types here (JSON columns parsed), so
 * nothing outside this file knows a column name. Everything is synchronous.
 */
import type { PartitionLeader, TokenRecord, TopicMeta } from "../../cluster/rpc/controller.ts";
import type { ProducerId } from "../../sdk/protocol/schemas.ts";
import type { Migration } from "../shared/migrations.ts";
import type { LeaderState } from "./leader-state.ts";

export const MIGRATIONS: readonly Migration[] = [
  (sql: SqlStorage) => {
    sql.exec(`CREATE TABLE topics (
      name TEXT PRIMARY KEY,
      id TEXT NOT NULL,
      partitions INTEGER NOT NULL,
      replication_factor INTEGER NOT NULL,
      config TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`);
  },
  (sql: SqlStorage) => {
    sql.exec("CREATE TABLE groups (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL)");
  },
  (sql: SqlStorage) => {
    sql.exec("CREATE TABLE producers (transactional_id TEXT PRIMARY KEY, id TEXT NOT NULL, epoch INTEGER NOT NULL)");
  },
  (sql: SqlStorage) => {
    // Replicated partitions: leader, leader epoch, in-sync replicas, the epochs' start offsets,
    // and the replicas that still have to hear of the current role (retried by the alarm).
    sql.exec(`CREATE TABLE leaders (
      topic TEXT NOT NULL,
      partition INTEGER NOT NULL,
      leader INTEGER NOT NULL,
      epoch INTEGER NOT NULL,
      isr TEXT NOT NULL,
      history TEXT NOT NULL,
      pending TEXT NOT NULL,
      PRIMARY KEY (topic, partition)
    )`);
  },
  (sql: SqlStorage) => {
    // Scoped API tokens: only the SHA-256 of each secret is kept, looked up by it.
    sql.exec(`CREATE TABLE tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE,
      acls TEXT NOT NULL,
      quota TEXT,
      expires_at INTEGER,
      created_at INTEGER NOT NULL
    )`);
  },
];

interface TopicRow extends Record<string, SqlStorageValue> {
  name: string;
  id: string;
  partitions: number;
  replication_factor: number;
  config: string;
  created_at: number;
}

interface LeaderRow extends Record<string, SqlStorageValue> {
  topic: string;
  partition: number;
  leader: number;
  epoch: number;
  isr: string;
  history: string;
  pending: string;
}

interface TokenRow extends Record<string, SqlStorageValue> {
  id: string;
  name: string;
  hash: string;
  acls: string;
  quota: string | null;
  expires_at: number | null;
  created_at: number;
}

function toToken(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    acls: JSON.parse(row.acls),
    ...(row.quota === null ? {} : { quota: JSON.parse(row.quota) }),
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
    createdAt: row.created_at,
  };
}

function toMeta(row: TopicRow): TopicMeta {
  return {
    name: row.name,
    id: row.id,
    partitions: row.partitions,
    replicationFactor: row.replication_factor,
    config: JSON.parse(row.config),
    createdAt: row.created_at,
  };
}

function toState(row: LeaderRow): LeaderState {
  return {
    leader: row.leader,
    epoch: row.epoch,
    isr: JSON.parse(row.isr),
    history: JSON.parse(row.history),
    pending: JSON.parse(row.pending),
  };
}

/** A replicated partition whose replicas have not all heard of its current role. */
export interface PendingRoles {
  topic: string;
  partition: number;
  state: LeaderState;
}

export class ControllerStore {
  constructor(private readonly sql: SqlStorage) {}

  // ---- topics ----

  /** One topic, with its partitions' leaders when it is replicated (and they are all known). */
  topic(name: string): TopicMeta | undefined {
    const row = this.sql.exec<TopicRow>("SELECT * FROM topics WHERE name = ?", name).toArray()[0];
    if (!row) return undefined;
    const topic = toMeta(row);
    if (topic.replicationFactor > 1) {
      const leaders = this.sql
        .exec<LeaderRow>("SELECT * FROM leaders WHERE topic = ? ORDER BY partition", name)
        .toArray()
        .map((r): PartitionLeader => ({ leader: r.leader, epoch: r.epoch, isr: JSON.parse(r.isr) as number[] }));
      if (leaders.length === topic.partitions) topic.leaders = leaders;
    }
    return topic;
  }

  /** Every topic by name, without leaders. */
  topics(): TopicMeta[] {
    return this.sql.exec<TopicRow>("SELECT * FROM topics ORDER BY name").toArray().map(toMeta);
  }

  insertTopic(topic: TopicMeta): void {
    this.sql.exec(
      "INSERT INTO topics (name, id, partitions, replication_factor, config, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      topic.name,
      topic.id,
      topic.partitions,
      topic.replicationFactor,
      JSON.stringify(topic.config),
      topic.createdAt,
    );
  }

  /** Saves a topic's partition count and config (the only fields that change). */
  updateTopic(topic: TopicMeta): void {
    this.sql.exec(
      "UPDATE topics SET partitions = ?, config = ? WHERE name = ?",
      topic.partitions,
      JSON.stringify(topic.config),
      topic.name,
    );
  }

  /** Deletes a topic and its partitions' leaders. */
  deleteTopic(name: string): void {
    this.sql.exec("DELETE FROM topics WHERE name = ?", name);
    this.sql.exec("DELETE FROM leaders WHERE topic = ?", name);
  }

  // ---- producers ----

  producer(transactionalId: string): ProducerId | undefined {
    return this.sql
      .exec<{ id: string; epoch: number }>(
        "SELECT id, epoch FROM producers WHERE transactional_id = ?",
        transactionalId,
      )
      .toArray()[0];
  }

  saveProducer(transactionalId: string, producer: ProducerId): void {
    this.sql.exec(
      "INSERT INTO producers (transactional_id, id, epoch) VALUES (?1, ?2, ?3) ON CONFLICT (transactional_id) DO UPDATE SET epoch = ?3",
      transactionalId,
      producer.id,
      producer.epoch,
    );
  }

  // ---- groups ----

  registerGroup(name: string, now: number): void {
    this.sql.exec("INSERT OR IGNORE INTO groups (name, created_at) VALUES (?, ?)", name, now);
  }

  unregisterGroup(name: string): void {
    this.sql.exec("DELETE FROM groups WHERE name = ?", name);
  }

  groups(): string[] {
    return this.sql
      .exec<{ name: string }>("SELECT name FROM groups ORDER BY name")
      .toArray()
      .map((r) => r.name);
  }

  // ---- leaders of replicated partitions ----

  leader(topic: string, partition: number): LeaderState | undefined {
    const row = this.sql
      .exec<LeaderRow>("SELECT * FROM leaders WHERE topic = ? AND partition = ?", topic, partition)
      .toArray()[0];
    return row ? toState(row) : undefined;
  }

  saveLeader(topic: string, partition: number, s: LeaderState): void {
    this.sql.exec(
      `INSERT INTO leaders (topic, partition, leader, epoch, isr, history, pending) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
       ON CONFLICT (topic, partition) DO UPDATE SET leader = ?3, epoch = ?4, isr = ?5, history = ?6, pending = ?7`,
      topic,
      partition,
      s.leader,
      s.epoch,
      JSON.stringify(s.isr),
      JSON.stringify(s.history),
      JSON.stringify(s.pending),
    );
  }

  setIsr(topic: string, partition: number, isr: number[]): void {
    this.sql.exec(
      "UPDATE leaders SET isr = ? WHERE topic = ? AND partition = ?",
      JSON.stringify(isr),
      topic,
      partition,
    );
  }

  /** Sets the replicas still to tell of the role of `epoch`; a no-op once a newer epoch is saved. */
  setPending(topic: string, partition: number, epoch: number, pending: number[]): void {
    this.sql.exec(
      "UPDATE leaders SET pending = ? WHERE topic = ? AND partition = ? AND epoch = ?",
      JSON.stringify(pending),
      topic,
      partition,
      epoch,
    );
  }

  /** The partitions with replicas still to tell of their role. */
  pendingRoles(): PendingRoles[] {
    return this.sql
      .exec<LeaderRow>("SELECT * FROM leaders WHERE pending != '[]'")
      .toArray()
      .map((row) => ({ topic: row.topic, partition: row.partition, state: toState(row) }));
  }

  countPendingRoles(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM leaders WHERE pending != '[]'").one().n;
  }

  // ---- scoped tokens ----

  insertToken(token: TokenRecord): void {
    this.sql.exec(
      "INSERT INTO tokens (id, name, hash, acls, quota, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      token.id,
      token.name,
      token.hash,
      JSON.stringify(token.acls),
      token.quota ? JSON.stringify(token.quota) : null,
      token.expiresAt ?? null,
      token.createdAt,
    );
  }

  tokenByHash(hash: string): TokenRecord | undefined {
    const row = this.sql.exec<TokenRow>("SELECT * FROM tokens WHERE hash = ?", hash).toArray()[0];
    return row ? toToken(row) : undefined;
  }

  tokens(): TokenRecord[] {
    return this.sql.exec<TokenRow>("SELECT * FROM tokens ORDER BY created_at, id").toArray().map(toToken);
  }

  /** Deletes a token; answers it as it was, or undefined when there was none. */
  deleteToken(id: string): TokenRecord | undefined {
    const row = this.sql.exec<TokenRow>("DELETE FROM tokens WHERE id = ? RETURNING *", id).toArray()[0];
    return row ? toToken(row) : undefined;
  }
}
