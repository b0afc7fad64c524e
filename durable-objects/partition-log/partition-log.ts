/**
 * PartitionLog: one partition of one topic, an ordered append-only log in the object's SQLite,
 * its oldest records optionally in R2. A thin class: RPC methods and the alarm. SQL lives in
 * store.ts (and manifest.ts for the R2 tier); the replica's role and a leader's copying to its
 * followers in leadership.ts and replication.ts; what the alarm does in maintenance.ts
 * (retention.ts, compaction.ts and compactor.ts, tiering.ts and tier.ts); reading wherever the
 * records are in log-reader.ts; producer ids in idempotence.ts, quotas in quotas.ts, push
 * delivery in subscribers.ts, long polls in waiters.ts; test-only faults in ../shared/faults.ts.
 * Expected failures (failures.ts) are returned as results, never thrown.
 */
import { DurableObject } from "cloudflare:workers";
import { meterObject } from "../../cluster/meter.ts";
import {
  type AppendRequest,
  type AppendSuccess,
  type DeleteRecordsRequest,
  type DeleteRecordsSuccess,
  type FaultSpec,
  type FetchRequest,
  type FetchSuccess,
  type MaintenanceReport,
  type PartitionRef,
  type PartitionSettings,
  type PartitionStatus,
  type ReplicaRole,
  type ReplicateRequest,
  type ReplicateSuccess,
  type StorageCrashPoint,
  SUBSCRIBE_REF_HEADER,
} from "../../cluster/rpc/partition-log.ts";
import type { TaskIdentity } from "../../cluster/rpc/stream-task.ts";
import { keylessOnCompactedTopic } from "../../cluster/stored-records.ts";
import { controllerStub, streamTaskStub } from "../../cluster/stubs.ts";
import { type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import type { TopicConfig } from "../../sdk/protocol/schemas.ts";
import { CrashPoints, faultInjectionOff, faultsEnabled, InjectedCrash, ReplicaFaults } from "../shared/faults.ts";
import { migrate } from "../shared/migrations.ts";
import { CompactionStore } from "./compaction-store.ts";
import { checkOffset, errorResponse, overQuota, unknownPartition } from "./failures.ts";
import { afterAppend, decide } from "./idempotence.ts";
import { Leadership } from "./leadership.ts";
import { LogReader } from "./log-reader.ts";
import { Maintenance } from "./maintenance.ts";
import { Manifest } from "./manifest.ts";
import { ProduceQuotas } from "./quotas.ts";
import { type StoragePolicy, storagePolicy } from "./storage-policy.ts";
import { type LogBounds, MIGRATIONS, PartitionStore } from "./store.ts";
import { Subscribers } from "./subscribers.ts";
import { TaskWakeups } from "./task-wakeups.ts";
import { SegmentGone, Tier } from "./tier.ts";
import { Waiters } from "./waiters.ts";

export class PartitionLog extends DurableObject<Env> {
  private readonly store: PartitionStore;
  private readonly compaction: CompactionStore;
  private readonly waiters = new Waiters();
  private readonly quotas = new ProduceQuotas();
  private readonly subscribers: Subscribers;
  /** Stream tasks sleeping until this partition grows (task-wakeups.ts). */
  private readonly wakeups: TaskWakeups;
  private settings: PartitionSettings | null = null;
  /** What the topic's config says to do with old records (retention, compaction, tiering). */
  private policy: StoragePolicy | null = null;
  private deleted = false;
  /** Updated in place: the maintenance, the tier and the reader hold the same object. */
  private readonly bounds: LogBounds = {
    logStartOffset: 0,
    highWatermark: 0,
    totalBytes: 0,
    localStartOffset: 0,
    localBytes: 0,
    cleanedTo: 0,
    dirtyBytes: 0,
  };
  /** Records and bytes stored since the replica began (the store's counters, kept here too). */
  /** What this replica has stored since it began (the metrics' append counters). */
  private appended = { records: 0, bytes: 0 };
  /** The records below the local start, as segments in R2. */
  private readonly tier: Tier;
  private readonly reader: LogReader;
  /** The alarm's work: retention, compaction, tiering. */
  private readonly maintenance: Maintenance;
  /** This replica's role in a replicated partition, and the leader's copying to its followers. */
  private readonly leadership: Leadership;
  /** The high watermark: readers see records below it (all of them with one replica). */
  private visibleEnd = 0;
  /** Faults injected by tests (TRIBUTARY_FAULTS=1 only). */
  private readonly faults: ReplicaFaults;
  private readonly crashes = new CrashPoints<StorageCrashPoint>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const metered = meterObject(this, ctx, env, "PartitionLog");
    this.store = new PartitionStore(ctx.storage.sql);
    this.compaction = new CompactionStore(ctx.storage.sql, this.store);
    this.faults = new ReplicaFaults(this.store);
    this.wakeups = new TaskWakeups(this.store, (task) => streamTaskStub(env, task).wake());
    const storage = {
      storage: ctx.storage,
      store: this.store,
      bounds: this.bounds,
      ref: () => this.settings?.ref,
      deleted: () => this.deleted,
      crash: (point: StorageCrashPoint) => this.crashes.pass(point),
    };
    // Deployments without the binding (an app's own wrangler.toml) keep every record local.
    this.tier = new Tier((env as Partial<Env>).LOG_SEGMENTS, new Manifest(ctx.storage.sql), storage);
    this.reader = new LogReader(this.store, this.tier, this.bounds);
    this.maintenance = new Maintenance({
      ...storage,
      compaction: this.compaction,
      tier: this.tier,
      visibleEnd: () => this.visibleEnd,
      policy: () => (this.deleted ? undefined : (this.policy ?? undefined)),
    });
    this.leadership = new Leadership(env, this.store, {
      settings: () => this.settings,
      logEnd: () => this.bounds.highWatermark,
      logStart: () => this.bounds.logStartOffset,
      visibleEnd: () => this.visibleEnd,
      truncate: (offset) => this.truncate(offset),
      advance: (end) => this.advance(end),
      readForReplica: (from, end, maxBytes) => this.reader.forReplica(from, end, maxBytes),
    });
    this.subscribers = new Subscribers(
      ctx,
      (offset, max) =>
        this.reader.page(this.settings?.ref.partition ?? 0, offset, this.visibleEnd, max, Number.MAX_SAFE_INTEGER),
      () => this.visibleEnd,
    );
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      const settings = this.store.getMeta("settings");
      this.settings = settings ? (JSON.parse(settings) as PartitionSettings) : null;
      this.policy = this.settings ? storagePolicy(this.settings.config) : null;
      this.deleted = this.store.getMeta("deleted") === "1";
      Object.assign(this.bounds, this.store.loadBounds());
      // The append counters (docs/metrics.md) start from the log as it is: every offset below the
      // high watermark was stored by this replica (offsets are dense), and the bytes still held.
      // Counting them in memory costs no row per append; after a restart the bytes counter may
      // come back lower (retention removed some), which Prometheus reads as a counter reset.
      this.appended = { records: this.bounds.highWatermark, bytes: this.bounds.totalBytes };
      this.tier.load();
      const role = this.store.getMeta("role");
      this.faults.load();
      this.wakeups.load();
      this.visibleEnd = Math.min(this.bounds.highWatermark, Number(this.store.getMeta("visible_end") ?? 0));
      if (role) this.leadership.load(JSON.parse(role) as ReplicaRole);
      else this.visibleEnd = this.bounds.highWatermark;
      await this.maintenance.load();
    });
    // biome-ignore lint/correctness/noConstructorReturn: the billable-unit meter's proxy (cluster/meter.ts; off unless TRIBUTARY_METER=1).
    return metered;
  }

  /** Stores (or updates) which partition this is, its topic's config and its replica role. */
  async configure(settings: PartitionSettings): Promise<Result<object>> {
    await this.faults.gate();
    if (this.deleted) return unknownPartition(settings.ref);
    if (this.settings && this.settings.ref.topicId !== settings.ref.topicId) {
      return failure("UNKNOWN_TOPIC_OR_PARTITION", "this partition belongs to another incarnation of the topic");
    }
    this.adopt(settings);
    await this.maintenance.reschedule();
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
      end = this.truncate(request.from);
    }
    if (request.from === end && request.batches.length > 0) {
      const { records, batches } = request;
      this.ctx.storage.transactionSync(() => this.store.appendReplica(records, batches));
      end = batches.at(-1)!.lastOffset + 1;
      this.bounds.highWatermark = end;
      for (const b of batches) this.added(b.bytes, b.lastOffset - b.baseOffset + 1);
    }
    // The leader's log start (retention, DeleteRecords) is this replica's too.
    const start = Math.min(request.logStartOffset ?? 0, end);
    if (start > this.bounds.logStartOffset) this.maintenance.advanceLogStart(start);
    await this.maintenance.poke();
    this.advance(Math.min(request.highWatermark, end));
    return { ok: true, logEndOffset: end };
  }

  /** Test-only faults, enabled by the TRIBUTARY_FAULTS variable (never set in production config). */
  async injectFault(spec: FaultSpec): Promise<Result<{ faults: FaultSpec }>> {
    if (!faultsEnabled(this.env)) return faultInjectionOff();
    const { crash, ...kept } = spec;
    if (crash) {
      this.crashes.arm(crash);
      return { ok: true, faults: spec };
    }
    const faults = this.faults.set(kept);
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
    // The worker checks this before any partition is written; a config changed since it looked is checked here.
    if (this.policy?.compact && this.store.keylessRecords(chunks) > 0)
      return keylessOnCompactedTopic(request.ref.topic);
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
    this.added(bytes, count);
    const replication = this.leadership.replication;
    if (replication) replication.kick();
    else this.advance(this.bounds.highWatermark);
    await this.maintenance.poke();
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
    let page: Awaited<ReturnType<LogReader["page"]>>;
    try {
      const { ref, offset, maxRecords, maxBytes, form } = request;
      page = await this.reader.page(ref.partition, offset, this.visibleEnd, maxRecords, maxBytes, form);
    } catch (err) {
      // Retention removed the segment being read.
      const moved = err instanceof SegmentGone ? checkOffset(request.offset, this.bounds) : null;
      if (moved) return moved;
      throw err;
    }
    return {
      ok: true,
      records: page.json,
      count: page.count,
      nextOffset: page.next,
      highWatermark: this.visibleEnd,
      logStartOffset: this.bounds.logStartOffset,
    };
  }

  /**
   * A stream task that read up to `offset` and found nothing more: it is woken (once) when the
   * records at `offset` become visible, or answered `ready` if they already are.
   */
  async wakeOnAppend(ref: PartitionRef, task: TaskIdentity, offset: number): Promise<Result<{ ready: boolean }>> {
    const config = await this.configFor(ref);
    if ("ok" in config) return config;
    await this.faults.gate();
    return { ok: true, ...this.wakeups.watch(task, offset, this.visibleEnd) };
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
    const found = await this.reader.offsetFor(at, this.visibleEnd);
    return found ? { ok: true, ...found } : { ok: true, offset: this.visibleEnd };
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
      appendedRecords: this.appended.records,
      appendedBytes: this.appended.bytes,
      ...(this.leadership.role ? { role: this.leadership.role } : {}),
      ...(this.tier.segments.length > 0 || this.bounds.localStartOffset > this.bounds.logStartOffset
        ? {
            localStartOffset: this.bounds.localStartOffset,
            localBytes: this.bounds.localBytes,
            segments: this.tier.segments.length,
          }
        : {}),
    };
  }

  /**
   * Kafka's DeleteRecords: the log start moves up to `beforeOffset` (-1: the high watermark) on
   * the leader, and on its followers with the next copy. Only committed records may go.
   */
  async deleteRecords(request: DeleteRecordsRequest): Promise<Result<DeleteRecordsSuccess>> {
    await this.faults.gate();
    const config = await this.configFor(request.ref);
    if ("ok" in config) return config;
    const refused = await this.leadership.admit(1, config.minInsyncReplicas);
    if (refused) return refused;
    const before = request.beforeOffset === -1 ? this.visibleEnd : request.beforeOffset;
    if (before > this.visibleEnd) {
      return failure(
        "OFFSET_OUT_OF_RANGE",
        `cannot delete records before offset ${before}: the high watermark is ${this.visibleEnd}`,
        { logStartOffset: this.bounds.logStartOffset, highWatermark: this.visibleEnd },
      );
    }
    if (before > this.bounds.logStartOffset) {
      this.maintenance.advanceLogStart(before);
      this.waiters.wakeAll();
      this.leadership.replication?.kick();
      await this.maintenance.reschedule();
    }
    return { ok: true, logStartOffset: this.bounds.logStartOffset };
  }

  /** Deletes the partition's data for good: it refuses appends and reads from now on. */
  async drop(): Promise<Result<object>> {
    this.ctx.storage.transactionSync(() => {
      this.store.dropAll();
      this.tier.dropAll();
      this.store.setMeta("deleted", "1");
    });
    this.tier.load();
    this.deleted = true;
    this.leadership.stop();
    this.bounds.totalBytes = 0;
    this.bounds.localBytes = 0;
    this.waiters.wakeAll();
    this.subscribers.closeAll(4404, "the topic was deleted");
    // Its R2 segments are deleted by one more alarm.
    await this.maintenance.dropped();
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
    try {
      await this.maintenance.fired(Date.now());
    } catch (err) {
      if (err instanceof InjectedCrash) await this.crashed(err);
      throw err;
    }
  }

  /**
   * Runs the alarm's work (retention, compaction, tiering) now, as if at `now`, until nothing
   * more is due: for tests and the bench, which measure and check what the alarm does.
   */
  async maintain(now = Date.now(), maxRuns = 1_000): Promise<MaintenanceReport> {
    const total = { runs: 0, examined: 0, removed: 0, uploaded: 0, rewritten: 0 };
    try {
      for (let more = true; more && total.runs < maxRuns; total.runs++) {
        const report = await this.maintenance.run(now);
        total.examined += report.examined;
        total.removed += report.removed;
        total.uploaded += report.uploaded;
        total.rewritten += report.rewritten;
        more = report.more;
      }
    } catch (err) {
      if (err instanceof InjectedCrash) await this.crashed(err);
      throw err;
    }
    await this.maintenance.reschedule();
    const b = this.bounds;
    return {
      ...total,
      logStartOffset: b.logStartOffset,
      localStartOffset: b.localStartOffset,
      cleanedTo: b.cleanedTo,
      highWatermark: b.highWatermark,
      totalBytes: b.totalBytes,
      localBytes: b.localBytes,
      segments: this.tier.segments.length,
      databaseBytes: this.ctx.storage.sql.databaseSize,
      segmentLoads: this.tier.cache.loads,
    };
  }

  /** An injected crash: the object is thrown away with everything it holds in memory, as a real crash would. */
  private async crashed(err: InjectedCrash): Promise<void> {
    this.store.setMeta("crashes_injected", String(Number(this.store.getMeta("crashes_injected") ?? 0) + 1));
    await this.ctx.storage.sync();
    this.ctx.abort(err.message);
  }

  /** Records were appended (or copied from the leader). */
  private added(bytes: number, records: number): void {
    this.appended.records += records;
    this.appended.bytes += bytes;
    this.bounds.totalBytes += bytes;
    this.bounds.localBytes += bytes;
    this.bounds.dirtyBytes += bytes;
  }

  /**
   * Cuts the log at `offset`; readers never saw what is cut (it was above the high watermark).
   * Records in R2 are committed, so the cut is never below the local start. Answers the log end.
   */
  private truncate(offset: number): number {
    const cut = Math.max(offset, this.bounds.localStartOffset);
    this.ctx.storage.transactionSync(() => this.store.truncateFrom(cut, this.bounds.logStartOffset));
    Object.assign(this.bounds, this.store.loadBounds());
    if (this.visibleEnd > cut) this.visibleEnd = cut;
    return this.bounds.highWatermark;
  }

  /** The high watermark moved: long polls and subscribers get the newly visible records. */
  private advance(end: number): void {
    if (end <= this.visibleEnd) return;
    this.visibleEnd = end;
    if (this.leadership.role) this.store.setMeta("visible_end", String(end));
    this.waiters.wakeAll();
    this.subscribers.wake();
    this.wakeups.notify(end);
  }

  /** Keeps which partition this is and its topic's config, and takes the role sent with them. */
  private adopt({ role, ...settings }: PartitionSettings): PartitionSettings {
    const compacted = this.policy?.compact ?? false;
    this.settings = settings;
    this.policy = storagePolicy(settings.config);
    this.store.setMeta("settings", JSON.stringify(settings));
    if (this.policy.compact !== compacted) {
      // Compaction starts from the log start (or stops, forgetting its keys).
      this.ctx.storage.transactionSync(() => this.compaction.resetCompaction(this.bounds.logStartOffset));
      this.bounds.cleanedTo = this.bounds.logStartOffset;
      this.bounds.dirtyBytes = this.bounds.localBytes;
    }
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
