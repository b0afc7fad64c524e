/**
 * PartitionLog: one partition of one topic, an ordered append-only log in the object's SQLite.
 * A thin class: RPC methods and the retention alarm; SQL lives in store.ts, policy in
 * retention.ts. Expected failures are returned as results, never thrown.
 */
import { DurableObject } from "cloudflare:workers";
import {
  type AppendRequest,
  type AppendSuccess,
  type FaultSpec,
  type FetchRequest,
  type FetchSuccess,
  type PartitionRef,
  type PartitionSettings,
  type PartitionStatus,
  type ReplicaRole,
  type ReplicateRequest,
  type ReplicateSuccess,
  SUBSCRIBE_REF_HEADER,
} from "../../cluster/rpc/partition-log.ts";
import { controllerStub, partitionStub } from "../../cluster/stubs.ts";
import { type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import type { TopicConfig } from "../../sdk/protocol/schemas.ts";
import { faultInjectionOff, faultsEnabled, ReplicaFaults } from "../shared/faults.ts";
import { migrate } from "../shared/migrations.ts";
import { checkOffset, errorResponse, notEnoughReplicas, notLeader, overQuota, unknownPartition } from "./failures.ts";
import { afterAppend, decide } from "./idempotence.ts";
import { ProduceQuotas } from "./quotas.ts";
import { truncationPoint } from "./replica-state.ts";
import { Replication } from "./replication.ts";
import { RetentionAlarm } from "./retention-alarm.ts";
import { type LogBounds, MIGRATIONS, PartitionStore } from "./store.ts";
import { Subscribers } from "./subscribers.ts";
import { Waiters } from "./waiters.ts";

export class PartitionLog extends DurableObject<Env> {
  private readonly store: PartitionStore;
  private readonly waiters = new Waiters();
  private readonly quotas = new ProduceQuotas();
  private readonly subscribers: Subscribers;
  private settings: PartitionSettings | null = null;
  private deleted = false;
  /** Updated in place: the retention alarm holds the same object. */
  private readonly bounds: LogBounds = { logStartOffset: 0, highWatermark: 0, totalBytes: 0 };
  private readonly retention: RetentionAlarm;
  /** Leader, follower and in-sync set of a replicated partition; null with one replica. */
  private role: ReplicaRole | null = null;
  /** Whether the role was checked with the Controller since this object (re)started. */
  private roleConfirmed = false;
  /** The leader's copy loops to its followers. */
  private replication: Replication | null = null;
  /** The high watermark: readers see records below it (all of them with one replica). */
  private visibleEnd = 0;
  /** Faults injected by tests (TRIBUTARY_FAULTS=1 only). */
  private readonly faults: ReplicaFaults;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new PartitionStore(ctx.storage.sql);
    this.faults = new ReplicaFaults(this.store);
    this.retention = new RetentionAlarm(ctx.storage, this.store, this.bounds, () =>
      this.deleted ? undefined : this.settings?.config,
    );
    this.subscribers = new Subscribers(
      ctx,
      (offset, max) =>
        this.store.read(
          this.settings?.ref.partition ?? 0,
          offset,
          Math.min(max, this.visibleEnd - offset),
          Number.MAX_SAFE_INTEGER,
        ),
      () => this.visibleEnd,
    );
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      const settings = this.store.getMeta("settings");
      this.settings = settings ? (JSON.parse(settings) as PartitionSettings) : null;
      this.deleted = this.store.getMeta("deleted") === "1";
      Object.assign(this.bounds, this.store.loadBounds());
      const role = this.store.getMeta("role");
      this.faults.load();
      this.visibleEnd = Math.min(this.bounds.highWatermark, Number(this.store.getMeta("visible_end") ?? 0));
      if (role) this.applyRole(JSON.parse(role) as ReplicaRole);
      else this.visibleEnd = this.bounds.highWatermark;
      await this.retention.load();
    });
  }

  /** Stores (or updates) which partition this is, its topic's config and its replica role. */
  async configure(settings: PartitionSettings): Promise<Result<object>> {
    await this.faults.gate();
    if (this.deleted) return unknownPartition(settings.ref);
    if (this.settings && this.settings.ref.topicId !== settings.ref.topicId) {
      return failure("UNKNOWN_TOPIC_OR_PARTITION", "this partition belongs to another incarnation of the topic");
    }
    const { role, ...rest } = settings;
    this.settings = rest;
    this.store.setMeta("settings", JSON.stringify(rest));
    if (role) this.takeRole(role);
    await this.retention.schedule(true);
    return { ok: true };
  }

  /**
   * The Controller names the leader of an epoch (or changes the in-sync set). A follower of a
   * new epoch first cuts what the new leader never had. Answers this replica's log end, which
   * is where a new leader's epoch starts.
   */
  async setRole(role: ReplicaRole): Promise<Result<{ logEndOffset: number }>> {
    await this.faults.gate();
    if (this.deleted) return failure("UNKNOWN_TOPIC_OR_PARTITION", "the topic was deleted");
    if (this.role && role.epoch < this.role.epoch) {
      return notLeader(`epoch ${role.epoch} is older than this replica's epoch ${this.role.epoch}`, this.role);
    }
    this.takeRole(role);
    return { ok: true, logEndOffset: this.bounds.highWatermark };
  }

  /** The Controller's health check of a leader. */
  async ping(): Promise<{ epoch: number; leader: number; logEndOffset: number }> {
    await this.faults.gate();
    return { epoch: this.role?.epoch ?? 0, leader: this.role?.leader ?? 0, logEndOffset: this.bounds.highWatermark };
  }

  /**
   * A follower takes batches from its leader. An older epoch is refused (the sender was
   * deposed); a newer one makes this replica follow it, cutting its log where the new epoch
   * began. The answer is this replica's log end, which tells the leader where to go on from.
   */
  async replicate(request: ReplicateRequest): Promise<Result<ReplicateSuccess>> {
    await this.faults.gate();
    const config = await this.configFor(request.ref);
    if ("ok" in config) return config;
    const role = this.role;
    if (!role) return notLeader("this replica has no replication role", null);
    if (request.epoch < role.epoch) {
      return notLeader(`leader epoch ${request.epoch} was replaced by epoch ${role.epoch}`, role);
    }
    if (request.epoch > role.epoch || role.leader !== request.leader) {
      this.takeRole({ ...role, leader: request.leader, epoch: request.epoch, history: request.history });
    }
    let end = this.bounds.highWatermark;
    // The leader is the authority on its epoch's log: whatever this replica holds past the
    // leader's idea of it is not in the leader's log.
    if (request.from < end && request.from >= this.bounds.logStartOffset) {
      this.truncate(request.from);
      end = request.from;
    }
    if (request.from === end && request.batches.length > 0) {
      const { records, batches } = request;
      this.ctx.storage.transactionSync(() => this.store.appendReplica(records, batches));
      end = batches.at(-1)!.lastOffset + 1;
      this.bounds.highWatermark = end;
      for (const b of batches) this.bounds.totalBytes += b.bytes;
      await this.retention.schedule();
    }
    this.advance(Math.min(request.highWatermark, end));
    return { ok: true, logEndOffset: end };
  }

  /** Test-only faults, enabled by the TRIBUTARY_FAULTS variable (never set in production config). */
  async injectFault(spec: FaultSpec): Promise<Result<{ faults: FaultSpec }>> {
    if (!faultsEnabled(this.env)) return faultInjectionOff();
    const faults = this.faults.set(spec);
    // An unavailable replica does nothing on its own either: a leader stops copying.
    this.replication?.stop();
    this.replication = null;
    if (this.role && !faults.unavailable) this.applyRole(this.role);
    if (spec.restart) this.ctx.abort("restart injected by a test");
    return { ok: true, faults };
  }

  async append(request: AppendRequest): Promise<Result<AppendSuccess>> {
    await this.faults.gate();
    const config = await this.configFor(request.ref);
    if ("ok" in config) return config;
    const role = await this.confirmedRole();
    if (role) {
      if (role.leader !== role.replica) return notLeader(`replica ${role.replica} is a follower`, role);
      if (request.acks === "all" && role.isr.length < config.minInsyncReplicas) {
        return notEnoughReplicas(role, config.minInsyncReplicas, false);
      }
    }
    const { chunks, count, bytes, producer } = request;
    if (count === 0) return failure("INVALID_REQUEST", "an append needs at least one record");
    const known = producer ? this.store.getProducer(producer.id) : undefined;
    if (producer) {
      const decision = decide(known, producer, count);
      if ("ok" in decision) return decision;
      if (decision.kind === "duplicate") {
        const { baseOffset, appendTime } = decision.batch;
        const stored = await this.replicated(request, baseOffset + count, config);
        return stored ?? { ok: true, baseOffset, appendTime, duplicate: true };
      }
    }
    const appendTime = Date.now();
    const wait = this.quotas.take(config, count, bytes, appendTime);
    if (wait > 0) return overQuota(request.ref, wait);
    const baseOffset = this.bounds.highWatermark;
    const maxTimestamp = Math.max(request.maxTimestamp ?? -1, request.usesAppendTime ? appendTime : -1);
    this.ctx.storage.transactionSync(() => {
      this.store.append(chunks, count, baseOffset, appendTime, maxTimestamp, bytes, producer);
      if (producer) {
        const batch = { sequence: producer.sequence, count, baseOffset, appendTime };
        this.store.putProducer(producer.id, afterAppend(known, producer, batch));
      }
    });
    this.bounds.highWatermark = baseOffset + count;
    this.bounds.totalBytes += bytes;
    if (this.replication) this.replication.kick();
    else this.advance(this.bounds.highWatermark);
    await this.retention.schedule();
    const stored = await this.replicated(request, baseOffset + count, config);
    return stored ?? { ok: true, baseOffset, appendTime };
  }

  /**
   * For `acks: "all"` on a replicated partition: waits until every in-sync replica holds the
   * records below `end`. Undefined when they do (or nothing needs waiting), else the failure.
   */
  private async replicated(request: AppendRequest, end: number, config: TopicConfig): Promise<Failure | undefined> {
    const replication = this.replication;
    if (request.acks !== "all" || !replication) return undefined;
    const lagMs = config.replicaLagTimeMs ?? DEFAULT_REPLICA_LAG_MS;
    const reached = await replication.waitFor(end, lagMs + 500);
    const role = this.role;
    if (!role || role.leader !== role.replica) {
      return notLeader("this replica stopped leading before the records were replicated", role);
    }
    if (reached && role.isr.length >= config.minInsyncReplicas) return undefined;
    return notEnoughReplicas(role, config.minInsyncReplicas, true);
  }

  async read(request: FetchRequest): Promise<Result<FetchSuccess>> {
    const config = await this.configFor(request.ref);
    if ("ok" in config) return config;
    await this.faults.gate();
    const outOfRange = checkOffset(request.offset, this.bounds);
    if (outOfRange) return outOfRange;
    if (request.offset >= this.visibleEnd && request.waitMs > 0) {
      await this.waiters.wait(request.waitMs);
      if (this.deleted) return unknownPartition(request.ref);
      // Retention may have moved the start past the offset while we waited.
      const moved = checkOffset(request.offset, this.bounds);
      if (moved) return moved;
    }
    const visible = Math.min(request.maxRecords, this.visibleEnd - request.offset);
    const { json, count } =
      visible > 0
        ? request.form === "stored"
          ? this.store.readStored(request.offset, visible, request.maxBytes)
          : this.store.read(request.ref.partition, request.offset, visible, request.maxBytes)
        : { json: "[]", count: 0 };
    return {
      ok: true,
      records: json,
      count,
      nextOffset: request.offset + count,
      highWatermark: this.visibleEnd,
      logStartOffset: this.bounds.logStartOffset,
    };
  }

  async offsetFor(
    ref: PartitionRef,
    at: "earliest" | "latest" | number,
  ): Promise<Result<{ offset: number; timestamp?: number }>> {
    await this.faults.gate();
    const config = await this.configFor(ref);
    if ("ok" in config) return config;
    if (at === "earliest") return { ok: true, offset: this.bounds.logStartOffset };
    if (at === "latest") return { ok: true, offset: this.visibleEnd };
    const found = this.store.offsetForTimestamp(at);
    return found && found.offset < this.visibleEnd ? { ok: true, ...found } : { ok: true, offset: this.visibleEnd };
  }

  async status(ref: PartitionRef): Promise<Result<PartitionStatus>> {
    await this.faults.gate();
    const config = await this.configFor(ref);
    if ("ok" in config) return config;
    return {
      ok: true,
      partition: ref.partition,
      logStartOffset: this.bounds.logStartOffset,
      highWatermark: this.visibleEnd,
      logEndOffset: this.bounds.highWatermark,
      bytes: this.bounds.totalBytes,
      ...(this.role ? { role: this.role } : {}),
    };
  }

  /** Deletes the partition's data for good: it refuses appends and reads from now on. */
  async drop(): Promise<Result<object>> {
    this.ctx.storage.transactionSync(() => {
      this.store.dropAll();
      this.store.setMeta("deleted", "1");
    });
    this.deleted = true;
    this.replication?.stop();
    this.replication = null;
    this.bounds.totalBytes = 0;
    this.waiters.wakeAll();
    this.subscribers.closeAll(4404, "the topic was deleted");
    await this.retention.cancel();
    return { ok: true };
  }

  /**
   * Push delivery (`GET …/subscribe`, forwarded by the worker): a WebSocket upgrade, or else a
   * Server-Sent Events stream. The worker passes the partition and start offset it validated.
   */
  override async fetch(request: Request): Promise<Response> {
    const ref = JSON.parse(request.headers.get(SUBSCRIBE_REF_HEADER) ?? "null") as PartitionRef | null;
    const offset = Number(new URL(request.url).searchParams.get("offset"));
    if (!ref || !Number.isSafeInteger(offset)) {
      return errorResponse(failure("INVALID_REQUEST", "subscribe through /v1/topics/:topic/partitions/:p/subscribe"));
    }
    await this.faults.gate();
    const config = await this.configFor(ref);
    if ("ok" in config) return errorResponse(config);
    const outOfRange = checkOffset(offset, this.bounds);
    if (outOfRange) return errorResponse(outOfRange);
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return this.subscribers.acceptWebSocket(offset);
    return this.subscribers.openSse(offset);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    // Subscribers only listen; a ping gets a pong so clients can check the connection.
    if (message === "ping") ws.send("pong");
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  override async alarm(): Promise<void> {
    await this.retention.fired(Date.now());
  }

  /** Removes expired or excess batches from the start of the log. Exposed for tests. */
  enforceRetention(now: number): { logStartOffset: number } {
    return this.retention.enforce(now);
  }

  /**
   * Applies a role: a new epoch in which this replica follows first cuts its log where that
   * epoch began; leading starts the copy loops to the followers.
   */
  private takeRole(role: ReplicaRole): void {
    const previous = this.role;
    if (previous && role.epoch > previous.epoch && role.leader !== role.replica) {
      const cut = truncationPoint(role.history, previous.epoch, this.bounds.highWatermark);
      if (cut < this.bounds.highWatermark) this.truncate(cut);
    }
    this.store.setMeta("role", JSON.stringify(role));
    this.roleConfirmed = true;
    this.applyRole(role);
  }

  private applyRole(role: ReplicaRole): void {
    const wasLeading = this.replication !== null && this.role?.epoch === role.epoch;
    this.role = role;
    if (role.leader !== role.replica || role.replicas < 2) {
      this.replication?.stop();
      this.replication = null;
      return;
    }
    if (!wasLeading) {
      this.replication?.stop();
      this.replication = new Replication(this.replicationHost(), this.visibleEnd);
    }
    this.replication!.kick();
  }

  private replicationHost() {
    const ref = { ...this.settings!.ref };
    delete ref.replica;
    return {
      ref,
      role: () => this.role!,
      logEnd: () => this.bounds.highWatermark,
      lagMs: () => this.settings?.config.replicaLagTimeMs ?? DEFAULT_REPLICA_LAG_MS,
      follower: (replica: number) => partitionStub(this.env, { ...ref, replica }),
      readForReplica: (from: number, end: number, maxBytes: number) => this.store.readForReplica(from, end, maxBytes),
      advance: (hw: number) => this.advance(hw),
      alterIsr: async (isr: number[]) => {
        const role = this.role!;
        const answer = (await controllerStub(this.env)
          .alterIsr({ ...ref, replica: role.replica }, role.epoch, isr)
          .catch(() => null)) as Result<{ role: ReplicaRole }> | null;
        if (!answer) return;
        if (answer.ok) this.takeRole(answer.role);
        else await this.refreshRole();
      },
      deposed: () => this.refreshRole(),
    };
  }

  /** Asks the Controller for this replica's current role (after a restart, or when deposed). */
  private async refreshRole(): Promise<void> {
    const ref = this.settings?.ref;
    if (!ref) return;
    const found = (await controllerStub(this.env).partitionSettings(ref)) as Result<{ settings: PartitionSettings }>;
    if (found.ok && found.settings.role) this.takeRole(found.settings.role);
    this.roleConfirmed = true;
  }

  /** The role, checked with the Controller once per start of this object before it leads. */
  private async confirmedRole(): Promise<ReplicaRole | null> {
    if (this.role && !this.roleConfirmed) await this.refreshRole();
    return this.role;
  }

  /** Cuts the log at `offset`; readers never saw what is cut (it was above the high watermark). */
  private truncate(offset: number): void {
    this.ctx.storage.transactionSync(() => this.store.truncateFrom(offset));
    Object.assign(this.bounds, this.store.loadBounds());
    if (this.visibleEnd > offset) this.visibleEnd = offset;
  }

  /** The high watermark moved: long polls and subscribers get the newly visible records. */
  private advance(end: number): void {
    if (end <= this.visibleEnd) return;
    this.visibleEnd = end;
    if (this.role) this.store.setMeta("visible_end", String(end));
    this.waiters.wakeAll();
    this.subscribers.wake();
  }

  /** This partition's config, pulling it from the Controller the first time it is needed. */
  private async configFor(ref: PartitionRef): Promise<TopicConfig | Failure> {
    if (this.deleted) return unknownPartition(ref);
    if (!this.settings) {
      const found = (await controllerStub(this.env).partitionSettings(ref)) as Result<{ settings: PartitionSettings }>;
      if (!found.ok) return found;
      if (!this.settings) {
        const { role, ...settings } = found.settings;
        this.settings = settings;
        this.store.setMeta("settings", JSON.stringify(settings));
        if (role) this.takeRole(role);
      }
    }
    if (this.settings.ref.topicId !== ref.topicId) return unknownPartition(ref);
    return this.settings.config;
  }
}

/** How long a follower may stay behind before it leaves the in-sync set (Kafka's replica.lag.time.max.ms). */
export const DEFAULT_REPLICA_LAG_MS = 10_000;
