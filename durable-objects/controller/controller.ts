/**
 * Controller: the cluster's topics and their config, and its scoped tokens. One instance per cluster. It pushes each
 * partition its config when the topic is created or changed; a partition that missed the push
 * pulls it from here (partitionSettings) the first time it is used. A thin class: SQL lives in
 * store.ts, leader failover in elections.ts and its rules in leader-state.ts.
 */
import { DurableObject } from "cloudflare:workers";
import { meterObject } from "../../cluster/meter.ts";
import type {
  CreateTopic,
  NewToken,
  PartitionLeader,
  TokenRecord,
  TopicMeta,
  UpdateTopic,
} from "../../cluster/rpc/controller.ts";
import type { PartitionRef, PartitionSettings, ReplicaRole } from "../../cluster/rpc/partition-log.ts";
import { partitionStub } from "../../cluster/stubs.ts";
import { type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import type { ProducerId, TokenInfo } from "../../sdk/protocol/schemas.ts";
import { migrate } from "../shared/migrations.ts";
import { Elections } from "./elections.ts";
import { alteredIsr, initialLeader, roleOf } from "./leader-state.ts";
import { ControllerStore, MIGRATIONS } from "./store.ts";
import { defaultConfig, resolveConfig } from "./topic-config.ts";

export class Controller extends DurableObject<Env> {
  private readonly store: ControllerStore;
  private readonly elections: Elections;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const metered = meterObject(this, ctx, env, "Controller");
    this.store = new ControllerStore(ctx.storage.sql);
    this.elections = new Elections(env, this.store, ctx.storage);
    ctx.blockConcurrencyWhile(async () => migrate(ctx.storage, MIGRATIONS));
    // biome-ignore lint/correctness/noConstructorReturn: the billable-unit meter's proxy (cluster/meter.ts; off unless TRIBUTARY_METER=1).
    return metered;
  }

  async createTopic(input: CreateTopic): Promise<Result<{ topic: TopicMeta }>> {
    if (this.store.topic(input.name)) {
      return failure("TOPIC_ALREADY_EXISTS", `topic '${input.name}' already exists`, { topic: input.name });
    }
    const config = resolveConfig(
      defaultConfig(input.replicationFactor),
      input.config,
      input.replicationFactor,
      this.tieredStorage,
    );
    if ("ok" in config) return config;
    const topic: TopicMeta = {
      name: input.name,
      id: crypto.randomUUID(),
      partitions: input.partitions,
      replicationFactor: input.replicationFactor,
      config,
      createdAt: Date.now(),
    };
    this.store.insertTopic(topic);
    this.addLeaders(topic, 0);
    await this.pushSettings(topic, 0);
    return { ok: true, topic: this.store.topic(topic.name)! };
  }

  /** Whether this deployment has the R2 bucket for tiered storage (apps may leave it out). */
  private get tieredStorage(): boolean {
    return (this.env as Partial<Env>).LOG_SEGMENTS !== undefined;
  }

  listTopics(): TopicMeta[] {
    return this.store.topics();
  }

  getTopic(name: string): Result<{ topic: TopicMeta }> {
    const topic = this.store.topic(name);
    return topic ? { ok: true, topic } : unknownTopic(name);
  }

  async updateTopic(name: string, update: UpdateTopic): Promise<Result<{ topic: TopicMeta }>> {
    const current = this.store.topic(name);
    if (!current) return unknownTopic(name);
    const partitions = update.partitions ?? current.partitions;
    if (partitions < current.partitions) {
      return failure(
        "INVALID_PARTITIONS",
        `topic '${name}' has ${current.partitions} partitions; the count can only go up`,
        { partitions: current.partitions },
      );
    }
    const config = resolveConfig(current.config, update.config, current.replicationFactor, this.tieredStorage);
    if ("ok" in config) return config;
    const topic: TopicMeta = { ...current, partitions, config };
    this.store.updateTopic(topic);
    this.addLeaders(topic, current.partitions);
    const configChanged = JSON.stringify(config) !== JSON.stringify(current.config);
    await this.pushSettings(topic, configChanged ? 0 : current.partitions);
    return { ok: true, topic: this.store.topic(name)! };
  }

  async deleteTopic(name: string): Promise<Result<{ topic: TopicMeta }>> {
    const topic = this.store.topic(name);
    if (!topic) return unknownTopic(name);
    this.store.deleteTopic(name);
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
    if (!transactionalId) return { id: crypto.randomUUID().replaceAll("-", ""), epoch: 0 };
    const known = this.store.producer(transactionalId);
    const next = known
      ? { id: known.id, epoch: known.epoch + 1 }
      : { id: crypto.randomUUID().replaceAll("-", ""), epoch: 0 };
    this.store.saveProducer(transactionalId, next);
    return next;
  }

  /** Lists a consumer group (its coordinator calls this once, when the group is first used). */
  registerGroup(name: string): void {
    this.store.registerGroup(name, Date.now());
  }

  /** Forgets a consumer group (its coordinator calls this when the group is deleted). */
  unregisterGroup(name: string): void {
    this.store.unregisterGroup(name);
  }

  listGroups(): string[] {
    return this.store.groups();
  }

  /** Stores a scoped token (the worker made its secret; only the hash comes here). */
  createToken(token: NewToken): TokenInfo {
    const record: TokenRecord = {
      id: `tok_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`,
      ...token,
      createdAt: Date.now(),
    };
    this.store.insertToken(record);
    return withoutHash(record);
  }

  /** Every scoped token, oldest first, without their hashes. */
  listTokens(): TokenInfo[] {
    return this.store.tokens().map(withoutHash);
  }

  /** The token whose secret has this SHA-256 (hex), if any: how the worker authenticates one. */
  tokenByHash(hash: string): TokenRecord | undefined {
    return this.store.tokenByHash(hash);
  }

  /** Deletes a token: from now on it is unknown (workers' caches forget it within seconds). */
  revokeToken(id: string): Result<{ token: TokenInfo }> {
    const gone = this.store.deleteToken(id);
    if (!gone) return failure("TOKEN_NOT_FOUND", `there is no token '${id}' (GET /v1/tokens lists them)`, { id });
    return { ok: true, token: withoutHash(gone) };
  }

  /** The settings of one partition; how a partition that missed a push learns its config. */
  partitionSettings(ref: PartitionRef): Result<{ settings: PartitionSettings }> {
    const topic = this.store.topic(ref.topic);
    if (!topic || topic.id !== ref.topicId || ref.partition >= topic.partitions) {
      return failure(
        "UNKNOWN_TOPIC_OR_PARTITION",
        `partition ${ref.partition} of topic '${ref.topic}' does not exist`,
        { topic: ref.topic, partition: ref.partition },
      );
    }
    const state = this.store.leader(ref.topic, ref.partition);
    const role = state ? roleOf(state, ref.replica ?? 0, topic.replicationFactor) : undefined;
    return { ok: true, settings: { ref, config: topic.config, ...(role ? { role } : {}) } };
  }

  /**
   * A leader changes its in-sync set (a follower fell behind, or caught up). Refused unless it
   * is still the leader of the current epoch: a deposed leader learns so here.
   */
  alterIsr(ref: PartitionRef, epoch: number, isr: number[]): Result<{ role: ReplicaRole }> {
    const topic = this.store.topic(ref.topic);
    const state = this.store.leader(ref.topic, ref.partition);
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
    const next = alteredIsr(state, isr, topic.replicationFactor);
    this.store.setIsr(ref.topic, ref.partition, next);
    return { ok: true, role: roleOf({ ...state, isr: next }, state.leader, topic.replicationFactor) };
  }

  /**
   * Someone could not reach the leader of `epoch`. If it does not answer a health check either,
   * an in-sync follower becomes the leader of the next epoch (never an out-of-sync one: that
   * could lose acknowledged records). Answers the leader to use now.
   */
  leaderFailed(ref: PartitionRef, epoch: number): Promise<Result<PartitionLeader>> {
    return this.elections.leaderFailed(ref, epoch);
  }

  /** Retries telling replicas their current role (those that were unreachable when it changed). */
  override async alarm(): Promise<void> {
    await this.elections.retryPendingRoles();
  }

  /** Replica 0 leads epoch 0 of each new partition of a replicated topic, all replicas in sync. */
  private addLeaders(topic: TopicMeta, fromPartition: number): void {
    if (topic.replicationFactor < 2) return;
    for (let p = fromPartition; p < topic.partitions; p++) {
      this.store.saveLeader(topic.name, p, initialLeader(topic.replicationFactor));
    }
  }

  /** Best effort: a replica that misses this pulls its settings when first used. */
  private async pushSettings(topic: TopicMeta, fromPartition: number): Promise<void> {
    await Promise.all(
      replicaRefs(topic, fromPartition).map((ref) => {
        const state = this.store.leader(topic.name, ref.partition);
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

function withoutHash({ hash: _, ...token }: TokenRecord): TokenInfo {
  return token;
}

function unknownTopic(name: string): Failure {
  return failure("UNKNOWN_TOPIC_OR_PARTITION", `topic '${name}' does not exist`, { topic: name });
}
