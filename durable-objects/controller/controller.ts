/**
 * Controller: the cluster's topics and their config. One instance per cluster. It pushes each
 * partition its config when the topic is created or changed; a partition that missed the push
 * pulls it from here (partitionSettings) the first time it is used.
 */
import { DurableObject } from "cloudflare:workers";
import type { CreateTopic, PartitionLeader, TopicMeta, UpdateTopic } from "../../cluster/rpc/controller.ts";
import type { EpochStart, PartitionRef, PartitionSettings, ReplicaRole } from "../../cluster/rpc/partition-log.ts";
import { partitionStub } from "../../cluster/stubs.ts";
import { type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import type { ProducerId } from "../../sdk/protocol/schemas.ts";
import { migrate } from "../shared/migrations.ts";
import { defaultConfig, resolveConfig } from "./topic-config.ts";

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
];

/** How long the Controller waits for a replica to answer a health check or a role change. */
const REPLICA_TIMEOUT_MS = 1_500;
/** How often the Controller retries telling replicas their role. */
const ROLE_RETRY_MS = 1_000;

interface LeaderRow extends Record<string, SqlStorageValue> {
  topic: string;
  partition: number;
  leader: number;
  epoch: number;
  isr: string;
  history: string;
  pending: string;
}

interface LeaderState extends PartitionLeader {
  history: EpochStart[];
  pending: number[];
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

function roleOf(state: LeaderState, replica: number, replicas: number): ReplicaRole {
  return { replica, replicas, leader: state.leader, epoch: state.epoch, isr: state.isr, history: state.history };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

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

export class Controller extends DurableObject<Env> {
  /** Elections in progress, per partition: concurrent reports of one failure share one. */
  private readonly elections = new Map<string, Promise<Result<PartitionLeader>>>();

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
    this.addLeaders(topic, 0);
    await this.pushSettings(topic, 0);
    return { ok: true, topic: this.find(topic.name)! };
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
    this.addLeaders(topic, current.partitions);
    const configChanged = JSON.stringify(config) !== JSON.stringify(current.config);
    await this.pushSettings(topic, configChanged ? 0 : current.partitions);
    return { ok: true, topic: this.find(name)! };
  }

  async deleteTopic(name: string): Promise<Result<{ topic: TopicMeta }>> {
    const topic = this.find(name);
    if (!topic) return unknownTopic(name);
    this.ctx.storage.sql.exec("DELETE FROM topics WHERE name = ?", name);
    this.ctx.storage.sql.exec("DELETE FROM leaders WHERE topic = ?", name);
    await Promise.all(
      replicaRefs(topic, 0).map((ref) =>
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
  initProducer(transactionalId?: string): ProducerId {
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
    const state = this.leaderState(ref.topic, ref.partition);
    const role = state ? roleOf(state, ref.replica ?? 0, topic.replicationFactor) : undefined;
    return { ok: true, settings: { ref, config: topic.config, ...(role ? { role } : {}) } };
  }

  /**
   * A leader changes its in-sync set (a follower fell behind, or caught up). Refused unless it
   * is still the leader of the current epoch: a deposed leader learns so here.
   */
  alterIsr(ref: PartitionRef, epoch: number, isr: number[]): Result<{ role: ReplicaRole }> {
    const topic = this.find(ref.topic);
    const state = this.leaderState(ref.topic, ref.partition);
    if (!topic || topic.id !== ref.topicId || !state) {
      return failure("UNKNOWN_TOPIC_OR_PARTITION", `partition ${ref.partition} of '${ref.topic}' does not exist`);
    }
    if (state.epoch !== epoch || state.leader !== ref.replica) {
      return failure(
        "NOT_LEADER_OR_FOLLOWER",
        `epoch ${epoch} is over: replica ${state.leader} leads epoch ${state.epoch}`,
        {
          leader: state.leader,
          leaderEpoch: state.epoch,
        },
      );
    }
    const next = [...new Set([state.leader, ...isr])].filter((r) => r < topic.replicationFactor).sort((a, b) => a - b);
    this.ctx.storage.sql.exec(
      "UPDATE leaders SET isr = ? WHERE topic = ? AND partition = ?",
      JSON.stringify(next),
      ref.topic,
      ref.partition,
    );
    return { ok: true, role: roleOf({ ...state, isr: next }, state.leader, topic.replicationFactor) };
  }

  /**
   * Someone could not reach the leader of `epoch`. If it does not answer a health check either,
   * an in-sync follower becomes the leader of the next epoch (never an out-of-sync one: that
   * could lose acknowledged records). Answers the leader to use now.
   */
  leaderFailed(ref: PartitionRef, epoch: number): Promise<Result<PartitionLeader>> {
    const key = `${ref.topic}/${ref.partition}`;
    const running = this.elections.get(key);
    if (running) return running;
    const election = this.elect(ref, epoch).finally(() => this.elections.delete(key));
    this.elections.set(key, election);
    return election;
  }

  /** Retries telling replicas their current role (those that were unreachable when it changed). */
  override async alarm(): Promise<void> {
    const rows = this.ctx.storage.sql.exec<LeaderRow>("SELECT * FROM leaders WHERE pending != '[]'").toArray();
    for (const row of rows) {
      const topic = this.find(row.topic);
      if (!topic) continue;
      await this.pushRoles(topic, row.partition, toState(row));
    }
    await this.scheduleRoleRetry();
  }

  private async elect(ref: PartitionRef, epoch: number): Promise<Result<PartitionLeader>> {
    const topic = this.find(ref.topic);
    const state = this.leaderState(ref.topic, ref.partition);
    if (!topic || topic.id !== ref.topicId || !state) {
      return failure("UNKNOWN_TOPIC_OR_PARTITION", `partition ${ref.partition} of '${ref.topic}' does not exist`);
    }
    const current = { leader: state.leader, epoch: state.epoch, isr: state.isr };
    if (state.epoch !== epoch) return { ok: true, ...current };
    const stub = (replica: number) => partitionStub(this.env, { ...ref, replica });
    const alive = await withTimeout(stub(state.leader).ping(), REPLICA_TIMEOUT_MS).then(
      (p) => p.epoch === state.epoch,
      () => false,
    );
    if (alive) return { ok: true, ...current };
    const isr = state.isr.filter((r) => r !== state.leader);
    const rf = topic.replicationFactor;
    for (const candidate of isr) {
      try {
        const { logEndOffset } = await withTimeout(stub(candidate).ping(), REPLICA_TIMEOUT_MS);
        const next: LeaderState = {
          leader: candidate,
          epoch: state.epoch + 1,
          isr,
          history: [...state.history, { epoch: state.epoch + 1, startOffset: logEndOffset }],
          pending: [],
        };
        const taken = await withTimeout(stub(candidate).setRole(roleOf(next, candidate, rf)), REPLICA_TIMEOUT_MS);
        if (!taken.ok) continue;
        next.pending = Array.from({ length: rf }, (_, r) => r).filter((r) => r !== candidate);
        this.saveLeader(ref.topic, ref.partition, next);
        console.log(
          `${ref.topic}/${ref.partition}: replica ${candidate} leads epoch ${next.epoch} from offset ${logEndOffset}`,
        );
        await this.pushRoles(topic, ref.partition, next);
        await this.scheduleRoleRetry();
        return { ok: true, leader: next.leader, epoch: next.epoch, isr: next.isr };
      } catch {
        // This candidate is unreachable too: try the next in-sync replica.
      }
    }
    return failure(
      "LEADER_NOT_AVAILABLE",
      `the leader of partition ${ref.partition} of '${ref.topic}' is unreachable and no in-sync replica could take over`,
      { leader: state.leader, leaderEpoch: state.epoch, isr: state.isr },
    );
  }

  /** Tells the replicas still pending their role; those that do not answer stay pending. */
  private async pushRoles(topic: TopicMeta, partition: number, state: LeaderState): Promise<void> {
    const ref = { topic: topic.name, topicId: topic.id, partition };
    const missed: number[] = [];
    await Promise.all(
      state.pending.map(async (replica) => {
        const answer = await withTimeout(
          partitionStub(this.env, { ...ref, replica }).setRole(roleOf(state, replica, topic.replicationFactor)),
          REPLICA_TIMEOUT_MS,
        ).catch(() => null);
        if (!answer) missed.push(replica);
      }),
    );
    // Only if no newer election replaced this state meanwhile.
    this.ctx.storage.sql.exec(
      "UPDATE leaders SET pending = ? WHERE topic = ? AND partition = ? AND epoch = ?",
      JSON.stringify(missed.sort()),
      topic.name,
      partition,
      state.epoch,
    );
  }

  private async scheduleRoleRetry(): Promise<void> {
    const { n } = this.ctx.storage.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM leaders WHERE pending != '[]'")
      .one();
    if (n > 0) await this.ctx.storage.setAlarm(Date.now() + ROLE_RETRY_MS);
  }

  private leaderState(topic: string, partition: number): LeaderState | undefined {
    const row = this.ctx.storage.sql
      .exec<LeaderRow>("SELECT * FROM leaders WHERE topic = ? AND partition = ?", topic, partition)
      .toArray()[0];
    return row ? toState(row) : undefined;
  }

  private saveLeader(topic: string, partition: number, s: LeaderState): void {
    this.ctx.storage.sql.exec(
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

  /** Replica 0 leads epoch 0 of each new partition of a replicated topic, all replicas in sync. */
  private addLeaders(topic: TopicMeta, fromPartition: number): void {
    if (topic.replicationFactor < 2) return;
    const all = Array.from({ length: topic.replicationFactor }, (_, r) => r);
    for (let p = fromPartition; p < topic.partitions; p++) {
      this.saveLeader(topic.name, p, {
        leader: 0,
        epoch: 0,
        isr: all,
        history: [{ epoch: 0, startOffset: 0 }],
        pending: [],
      });
    }
  }

  private find(name: string): TopicMeta | undefined {
    const row = this.ctx.storage.sql.exec<TopicRow>("SELECT * FROM topics WHERE name = ?", name).toArray()[0];
    if (!row) return undefined;
    const topic = toMeta(row);
    if (topic.replicationFactor > 1) {
      const leaders = this.ctx.storage.sql
        .exec<LeaderRow>("SELECT * FROM leaders WHERE topic = ? ORDER BY partition", name)
        .toArray()
        .map((r) => ({ leader: r.leader, epoch: r.epoch, isr: JSON.parse(r.isr) as number[] }));
      if (leaders.length === topic.partitions) topic.leaders = leaders;
    }
    return topic;
  }

  /** Best effort: a replica that misses this pulls its settings when first used. */
  private async pushSettings(topic: TopicMeta, fromPartition: number): Promise<void> {
    await Promise.all(
      replicaRefs(topic, fromPartition).map((ref) => {
        const state = this.leaderState(topic.name, ref.partition);
        const role = state ? roleOf(state, ref.replica ?? 0, topic.replicationFactor) : undefined;
        return partitionStub(this.env, ref)
          .configure({ ref, config: topic.config, ...(role ? { role } : {}) })
          .catch((err: unknown) => console.error(`configuring ${ref.topic}/${ref.partition} failed`, err));
      }),
    );
  }
}

/** Every replica of the partitions from `from` on (replica 0 only for an unreplicated topic). */
function replicaRefs(topic: TopicMeta, from: number): PartitionRef[] {
  const out: PartitionRef[] = [];
  for (let p = from; p < topic.partitions; p++) {
    if (topic.replicationFactor < 2) out.push({ topic: topic.name, topicId: topic.id, partition: p });
    else
      for (let r = 0; r < topic.replicationFactor; r++)
        out.push({ topic: topic.name, topicId: topic.id, partition: p, replica: r });
  }
  return out;
}

function unknownTopic(name: string): Failure {
  return failure("UNKNOWN_TOPIC_OR_PARTITION", `topic '${name}' does not exist`, { topic: name });
}
