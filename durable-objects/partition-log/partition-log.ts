/**
 * PartitionLog: one partition of one topic, an ordered append-only log in the object's SQLite.
 * A thin class: RPC methods and the retention alarm. SQL lives in store.ts; the replica's role
 * and a leader's copying to its followers in leadership.ts and replication.ts; retention in
 * retention.ts (policy) and retention-alarm.ts; producer ids in idempotence.ts, quotas in
 * quotas.ts, push delivery in subscribers.ts, long polls in waiters.ts; test-only faults in
 * ../shared/faults.ts. Expected failures (failures.ts) are returned as results, never thrown.
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
import { controllerStub } from "../../cluster/stubs.ts";
import { type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import type { TopicConfig } from "../../sdk/protocol/schemas.ts";
import { faultInjectionOff, faultsEnabled, ReplicaFaults } from "../shared/faults.ts";
import { migrate } from "../shared/migrations.ts";
import { checkOffset, errorResponse, overQuota, unknownPartition } from "./failures.ts";
import { afterAppend, decide } from "./idempotence.ts";
import { Leadership } from "./leadership.ts";
import { ProduceQuotas } from "./quotas.ts";
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
  /** This replica's role in a replicated partition, and the leader's copying to its followers. */
  private readonly leadership: Leadership;
  /** The high watermark: readers see records below it (all of them with one replica). */
  private visibleEnd = 0;
  /** Faults injected by tests (TRIBUTARY_FAULTS=1 only). */
  private readonly faults: ReplicaFaults;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new PartitionStore(ctx.storage.sql);
    this.faults = new ReplicaFaults(this.store);
    this.leadership = new Leadership(env, this.store, {
      settings: () => this.settings,
      logEnd: () => this.bounds.highWatermark,
      visibleEnd: () => this.visibleEnd,
      truncate: (offset) => this.truncate(offset),
      advance: (end) => this.advance(end),
    });
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
      if (role) this.leadership.load(JSON.parse(role) as ReplicaRole);
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
    this.adopt(settings);
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
    const refused = this.leadership.assign(role);
    return refused ?? { ok: true, logEndOffset: this.bounds.highWatermark };
  }

  /** The Controller's health check of a leader. */
  async ping(): Promise<{ epoch: number; leader: number; logEndOffset: number }> {
    await this.faults.gate();
    const role = this.leadership.role;
    return { epoch: role?.epoch ?? 0, leader: role?.leader ?? 0, logEndOffset: this.bounds.highWatermark };
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
    const refused = this.leadership.follow(request);
    if (refused) return refused;
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
    this.leadership.stop();
    if (!faults.unavailable) this.leadership.resume();
    if (spec.restart) this.ctx.abort("restart injected by a test");
    return { ok: true, faults };
  }

  async append(request: AppendRequest): Promise<Result<AppendSuccess>> {
    await this.faults.gate();
    const config = await this.configFor(request.ref);
    if ("ok" in config) return config;
    const refused = await this.leadership.admit(request.acks, config.minInsyncReplicas);
    if (refused) return refused;
    const { chunks, count, bytes, producer } = request;
    if (count === 0) return failure("INVALID_REQUEST", "an append needs at least one record");
    const known = producer ? this.store.getProducer(producer.id) : undefined;
    if (producer) {
      const decision = decide(known, producer, count);
      if ("ok" in decision) return decision;
      if (decision.kind === "duplicate") {
        const { baseOffset, appendTime } = decision.batch;
        const stored = await this.leadership.replicated(request.acks, baseOffset + count, config);
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
    const replication = this.leadership.replication;
    if (replication) replication.kick();
    else this.advance(this.bounds.highWatermark);
    await this.retention.schedule();
    const stored = await this.leadership.replicated(request.acks, baseOffset + count, config);
    return stored ?? { ok: true, baseOffset, appendTime };
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
      ...(this.leadership.role ? { role: this.leadership.role } : {}),
    };
  }

  /** Deletes the partition's data for good: it refuses appends and reads from now on. */
  async drop(): Promise<Result<object>> {
    this.ctx.storage.transactionSync(() => {
      this.store.dropAll();
      this.store.setMeta("deleted", "1");
    });
    this.deleted = true;
    this.leadership.stop();
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
    this.subscribers.message(ws, message);
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.subscribers.closed(ws, code, reason);
  }

  override async alarm(): Promise<void> {
    await this.retention.fired(Date.now());
  }

  /** Removes expired or excess batches from the start of the log. Exposed for tests. */
  enforceRetention(now: number): { logStartOffset: number } {
    return this.retention.enforce(now);
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
    if (this.leadership.role) this.store.setMeta("visible_end", String(end));
    this.waiters.wakeAll();
    this.subscribers.wake();
  }

  /** Keeps which partition this is and its topic's config, and takes the role sent with them. */
  private adopt({ role, ...settings }: PartitionSettings): PartitionSettings {
    this.settings = settings;
    this.store.setMeta("settings", JSON.stringify(settings));
    if (role) this.leadership.take(role);
    return settings;
  }

  /** This partition's config, pulling it from the Controller the first time it is needed. */
  private async configFor(ref: PartitionRef): Promise<TopicConfig | Failure> {
    if (this.deleted) return unknownPartition(ref);
    let settings = this.settings;
    if (!settings) {
      const found = (await controllerStub(this.env).partitionSettings(ref)) as Result<{ settings: PartitionSettings }>;
      if (!found.ok) return found;
      // Another call may have configured this partition while this one waited.
      settings = this.settings ?? this.adopt(found.settings);
    }
    if (settings.ref.topicId !== ref.topicId) return unknownPartition(ref);
    return settings.config;
  }
}
