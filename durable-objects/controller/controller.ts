/**
 * Controller: the cluster's topics and their config. One instance per cluster. It pushes each
 * partition its config when the topic is created or changed; a partition that missed the push
 * pulls it from here (partitionSettings) the first time it is used.
 */
import { DurableObject } from "cloudflare:workers";
import { type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import type { TopicConfigInput } from "../../sdk/protocol/schemas.ts";
import { partitionStub } from "../../worker/stubs.ts";
import type { PartitionRef, PartitionSettings } from "../partition-log/types.ts";
import { migrate } from "../shared/migrations.ts";
import { defaultConfig, resolveConfig } from "./topic-config.ts";
import type { TopicMeta } from "./types.ts";

const MIGRATIONS = [
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
];

interface TopicRow extends Record<string, SqlStorageValue> {
  name: string;
  id: string;
  partitions: number;
  replication_factor: number;
  config: string;
  created_at: number;
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

export interface CreateTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  config?: TopicConfigInput;
}

export interface UpdateTopic {
  partitions?: number;
  config?: TopicConfigInput;
}

export class Controller extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => migrate(ctx.storage, MIGRATIONS));
  }

  async createTopic(input: CreateTopic): Promise<Result<{ topic: TopicMeta }>> {
    if (this.find(input.name)) {
      return failure("TOPIC_ALREADY_EXISTS", `topic '${input.name}' already exists`, { topic: input.name });
    }
    const config = resolveConfig(defaultConfig(input.replicationFactor), input.config, input.replicationFactor);
    if ("ok" in config) return config;
    const topic: TopicMeta = {
      name: input.name,
      id: crypto.randomUUID(),
      partitions: input.partitions,
      replicationFactor: input.replicationFactor,
      config,
      createdAt: Date.now(),
    };
    this.ctx.storage.sql.exec(
      "INSERT INTO topics (name, id, partitions, replication_factor, config, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      topic.name,
      topic.id,
      topic.partitions,
      topic.replicationFactor,
      JSON.stringify(topic.config),
      topic.createdAt,
    );
    await this.pushSettings(topic, 0);
    return { ok: true, topic };
  }

  listTopics(): TopicMeta[] {
    return this.ctx.storage.sql.exec<TopicRow>("SELECT * FROM topics ORDER BY name").toArray().map(toMeta);
  }

  getTopic(name: string): Result<{ topic: TopicMeta }> {
    const topic = this.find(name);
    return topic ? { ok: true, topic } : unknownTopic(name);
  }

  async updateTopic(name: string, update: UpdateTopic): Promise<Result<{ topic: TopicMeta }>> {
    const current = this.find(name);
    if (!current) return unknownTopic(name);
    const partitions = update.partitions ?? current.partitions;
    if (partitions < current.partitions) {
      return failure(
        "INVALID_PARTITIONS",
        `topic '${name}' has ${current.partitions} partitions; the count can only go up`,
        { partitions: current.partitions },
      );
    }
    const config = resolveConfig(current.config, update.config, current.replicationFactor);
    if ("ok" in config) return config;
    const topic: TopicMeta = { ...current, partitions, config };
    this.ctx.storage.sql.exec(
      "UPDATE topics SET partitions = ?, config = ? WHERE name = ?",
      partitions,
      JSON.stringify(config),
      name,
    );
    const configChanged = JSON.stringify(config) !== JSON.stringify(current.config);
    await this.pushSettings(topic, configChanged ? 0 : current.partitions);
    return { ok: true, topic };
  }

  async deleteTopic(name: string): Promise<Result<{ topic: TopicMeta }>> {
    const topic = this.find(name);
    if (!topic) return unknownTopic(name);
    this.ctx.storage.sql.exec("DELETE FROM topics WHERE name = ?", name);
    await Promise.all(
      refs(topic, 0).map((ref) =>
        partitionStub(this.env, ref)
          .drop()
          .catch((err: unknown) => console.error(`dropping ${ref.topic}/${ref.partition} failed`, err)),
      ),
    );
    return { ok: true, topic };
  }

  /**
   * A producer id and epoch for idempotent produce. With a transactional id, the same id comes
   * back with the next epoch, which fences every older producer using that id.
   */
  initProducer(transactionalId?: string): { id: string; epoch: number } {
    const sql = this.ctx.storage.sql;
    if (!transactionalId) return { id: crypto.randomUUID().replaceAll("-", ""), epoch: 0 };
    const row = sql
      .exec<{ id: string; epoch: number }>(
        "SELECT id, epoch FROM producers WHERE transactional_id = ?",
        transactionalId,
      )
      .toArray()[0];
    const next = row ? { id: row.id, epoch: row.epoch + 1 } : { id: crypto.randomUUID().replaceAll("-", ""), epoch: 0 };
    sql.exec(
      "INSERT INTO producers (transactional_id, id, epoch) VALUES (?1, ?2, ?3) ON CONFLICT (transactional_id) DO UPDATE SET epoch = ?3",
      transactionalId,
      next.id,
      next.epoch,
    );
    return next;
  }

  /** Lists a consumer group (its coordinator calls this once, when the group is first used). */
  registerGroup(name: string): void {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO groups (name, created_at) VALUES (?, ?)", name, Date.now());
  }

  listGroups(): string[] {
    return this.ctx.storage.sql
      .exec<{ name: string }>("SELECT name FROM groups ORDER BY name")
      .toArray()
      .map((r) => r.name);
  }

  /** The settings of one partition; how a partition that missed a push learns its config. */
  partitionSettings(ref: PartitionRef): Result<{ settings: PartitionSettings }> {
    const topic = this.find(ref.topic);
    if (!topic || topic.id !== ref.topicId || ref.partition >= topic.partitions) {
      return failure(
        "UNKNOWN_TOPIC_OR_PARTITION",
        `partition ${ref.partition} of topic '${ref.topic}' does not exist`,
        { topic: ref.topic, partition: ref.partition },
      );
    }
    return { ok: true, settings: { ref, config: topic.config } };
  }

  private find(name: string): TopicMeta | undefined {
    const row = this.ctx.storage.sql.exec<TopicRow>("SELECT * FROM topics WHERE name = ?", name).toArray()[0];
    return row ? toMeta(row) : undefined;
  }

  /** Best effort: a partition that misses this pulls its settings when first used. */
  private async pushSettings(topic: TopicMeta, fromPartition: number): Promise<void> {
    await Promise.all(
      refs(topic, fromPartition).map((ref) =>
        partitionStub(this.env, ref)
          .configure({ ref, config: topic.config })
          .catch((err: unknown) => console.error(`configuring ${ref.topic}/${ref.partition} failed`, err)),
      ),
    );
  }
}

function refs(topic: TopicMeta, from: number): PartitionRef[] {
  const out: PartitionRef[] = [];
  for (let p = from; p < topic.partitions; p++) out.push({ topic: topic.name, topicId: topic.id, partition: p });
  return out;
}

function unknownTopic(name: string): Failure {
  return failure("UNKNOWN_TOPIC_OR_PARTITION", `topic '${name}' does not exist`, { topic: name });
}
