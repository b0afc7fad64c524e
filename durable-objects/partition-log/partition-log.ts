/**
 * PartitionLog: one partition of one topic, an ordered append-only log in the object's SQLite.
 * A thin class: RPC methods and the retention alarm; SQL lives in store.ts, policy in
 * retention.ts. Expected failures are returned as results, never thrown.
 */
import { DurableObject } from "cloudflare:workers";
import { ERROR_CODES, errorBody, type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import type { TopicConfig } from "../../sdk/protocol/schemas.ts";
import { controllerStub } from "../../worker/stubs.ts";
import { migrate } from "../shared/migrations.ts";
import { afterAppend, decide, TokenBucket } from "./idempotence.ts";
import { nextExpiry, planRetention } from "./retention.ts";
import { type LogBounds, MIGRATIONS, PartitionStore } from "./store.ts";
import { Subscribers } from "./subscribers.ts";
import {
  type AppendRequest,
  type AppendSuccess,
  type FetchRequest,
  type FetchSuccess,
  type PartitionRef,
  type PartitionSettings,
  type PartitionStatus,
  SUBSCRIBE_REF_HEADER,
} from "./types.ts";
import { Waiters } from "./waiters.ts";

export class PartitionLog extends DurableObject<Env> {
  private readonly store: PartitionStore;
  private readonly waiters = new Waiters();
  private readonly quotas = new ProduceQuotas();
  private readonly subscribers: Subscribers;
  private settings: PartitionSettings | null = null;
  private deleted = false;
  private bounds: LogBounds = { logStartOffset: 0, highWatermark: 0, totalBytes: 0 };
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new PartitionStore(ctx.storage.sql);
    this.subscribers = new Subscribers(
      ctx,
      (offset, max) => this.store.read(this.settings?.ref.partition ?? 0, offset, max, Number.MAX_SAFE_INTEGER),
      () => this.bounds.highWatermark,
    );
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      const settings = this.store.getMeta("settings");
      this.settings = settings ? (JSON.parse(settings) as PartitionSettings) : null;
      this.deleted = this.store.getMeta("deleted") === "1";
      this.bounds = this.store.loadBounds();
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Stores (or updates) which partition this is and its topic's config. */
  async configure(settings: PartitionSettings): Promise<Result<object>> {
    if (this.deleted) return unknownPartition(settings.ref);
    if (this.settings && this.settings.ref.topicId !== settings.ref.topicId) {
      return failure("UNKNOWN_TOPIC_OR_PARTITION", "this partition belongs to another incarnation of the topic");
    }
    this.settings = settings;
    this.store.setMeta("settings", JSON.stringify(settings));
    await this.scheduleRetention(true);
    return { ok: true };
  }

  async append(request: AppendRequest): Promise<Result<AppendSuccess>> {
    const config = await this.configFor(request.ref);
    if ("ok" in config) return config;
    const { chunks, count, bytes, producer } = request;
    if (count === 0) return failure("INVALID_REQUEST", "an append needs at least one record");
    const known = producer ? this.store.getProducer(producer.id) : undefined;
    if (producer) {
      const decision = decide(known, producer, count);
      if ("ok" in decision) return decision;
      if (decision.kind === "duplicate") {
        const { baseOffset, appendTime } = decision.batch;
        return { ok: true, baseOffset, appendTime, duplicate: true };
      }
    }
    const appendTime = Date.now();
    const wait = this.quotas.take(config, count, bytes, appendTime);
    if (wait > 0) {
      return failure(
        "THROTTLING_QUOTA_EXCEEDED",
        `partition ${request.ref.partition} of '${request.ref.topic}' is over its produce quota; retry in ${wait} ms`,
        { retryAfterMs: wait },
      );
    }
    const baseOffset = this.bounds.highWatermark;
    const maxTimestamp = Math.max(request.maxTimestamp ?? -1, request.usesAppendTime ? appendTime : -1);
    this.ctx.storage.transactionSync(() => {
      this.store.append(chunks, count, baseOffset, appendTime, maxTimestamp, bytes, request.recordTimestamps);
      if (producer) {
        const batch = { sequence: producer.sequence, count, baseOffset, appendTime };
        this.store.putProducer(producer.id, afterAppend(known, producer, batch));
      }
    });
    this.bounds.highWatermark = baseOffset + count;
    this.bounds.totalBytes += bytes;
    this.waiters.wakeAll();
    this.subscribers.wake();
    await this.scheduleRetention();
    return { ok: true, baseOffset, appendTime };
  }

  async read(request: FetchRequest): Promise<Result<FetchSuccess>> {
    const config = await this.configFor(request.ref);
    if ("ok" in config) return config;
    const outOfRange = this.checkOffset(request.offset);
    if (outOfRange) return outOfRange;
    if (request.offset === this.bounds.highWatermark && request.waitMs > 0) {
      await this.waiters.wait(request.waitMs);
      if (this.deleted) return unknownPartition(request.ref);
      // Retention may have moved the start past the offset while we waited.
      const moved = this.checkOffset(request.offset);
      if (moved) return moved;
    }
    const { json, count } = this.store.read(
      request.ref.partition,
      request.offset,
      request.maxRecords,
      request.maxBytes,
    );
    return {
      ok: true,
      records: json,
      count,
      nextOffset: request.offset + count,
      highWatermark: this.bounds.highWatermark,
      logStartOffset: this.bounds.logStartOffset,
    };
  }

  async offsetFor(
    ref: PartitionRef,
    at: "earliest" | "latest" | number,
  ): Promise<Result<{ offset: number; timestamp?: number }>> {
    const config = await this.configFor(ref);
    if ("ok" in config) return config;
    if (at === "earliest") return { ok: true, offset: this.bounds.logStartOffset };
    if (at === "latest") return { ok: true, offset: this.bounds.highWatermark };
    const found = this.store.offsetForTimestamp(at);
    return found ? { ok: true, ...found } : { ok: true, offset: this.bounds.highWatermark };
  }

  async status(ref: PartitionRef): Promise<Result<PartitionStatus>> {
    const config = await this.configFor(ref);
    if ("ok" in config) return config;
    return {
      ok: true,
      partition: ref.partition,
      logStartOffset: this.bounds.logStartOffset,
      highWatermark: this.bounds.highWatermark,
      bytes: this.bounds.totalBytes,
    };
  }

  /** Deletes the partition's data for good: it refuses appends and reads from now on. */
  async drop(): Promise<Result<object>> {
    this.ctx.storage.transactionSync(() => {
      this.store.dropAll();
      this.store.setMeta("deleted", "1");
    });
    this.deleted = true;
    this.bounds.totalBytes = 0;
    this.waiters.wakeAll();
    this.subscribers.closeAll(4404, "the topic was deleted");
    await this.ctx.storage.deleteAlarm();
    this.alarmAt = null;
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
    const config = await this.configFor(ref);
    if ("ok" in config) return errorResponse(config);
    const outOfRange = this.checkOffset(offset);
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
    this.alarmAt = null;
    if (this.deleted || !this.settings) return;
    this.enforceRetention(Date.now());
    await this.scheduleRetention();
  }

  /** Removes expired or excess batches from the start of the log. Exposed for tests. */
  enforceRetention(now: number): { logStartOffset: number } {
    if (!this.settings) return { logStartOffset: this.bounds.logStartOffset };
    const plan = planRetention(this.store.batchesInOrder(), this.bounds.totalBytes, this.settings.config, now);
    if (plan.deleteBefore !== null) {
      const start = plan.deleteBefore;
      this.ctx.storage.transactionSync(() => this.store.truncateBefore(start, this.bounds.highWatermark));
      this.bounds.logStartOffset = start;
      this.bounds.totalBytes -= plan.removedBytes;
    }
    return { logStartOffset: this.bounds.logStartOffset };
  }

  /**
   * Sets the alarm for the next retention step: now when the log is over its size limit, else
   * when the oldest batch expires. Cheap on the append path: no SQL once an alarm is set.
   */
  private async scheduleRetention(recompute = false): Promise<void> {
    if (!this.settings || this.deleted) return;
    const config = this.settings.config;
    const overSize = config.retentionBytes !== -1 && this.bounds.totalBytes > config.retentionBytes;
    if (this.alarmAt !== null && !overSize && !recompute) return;
    const due = overSize ? Date.now() : nextExpiry(this.store.oldestBatch(), config);
    if (due === null) {
      if (recompute && this.alarmAt !== null) {
        this.alarmAt = null;
        await this.ctx.storage.deleteAlarm();
      }
      return;
    }
    if (this.alarmAt !== null && this.alarmAt <= due && !recompute) return;
    this.alarmAt = due;
    await this.ctx.storage.setAlarm(due);
  }

  private checkOffset(offset: number): Failure | null {
    const { logStartOffset, highWatermark } = this.bounds;
    if (offset >= logStartOffset && offset <= highWatermark) return null;
    return failure(
      "OFFSET_OUT_OF_RANGE",
      offset < logStartOffset
        ? `offset ${offset} is below the log start offset ${logStartOffset} (older records were removed by retention); fetch from ${logStartOffset}`
        : `offset ${offset} is above the high watermark ${highWatermark}; the next record will get offset ${highWatermark}`,
      { logStartOffset, highWatermark },
    );
  }

  /** This partition's config, pulling it from the Controller the first time it is needed. */
  private async configFor(ref: PartitionRef): Promise<TopicConfig | Failure> {
    if (this.deleted) return unknownPartition(ref);
    if (!this.settings) {
      const found = (await controllerStub(this.env).partitionSettings(ref)) as Result<{ settings: PartitionSettings }>;
      if (!found.ok) return found;
      if (!this.settings) {
        this.settings = found.settings;
        this.store.setMeta("settings", JSON.stringify(found.settings));
      }
    }
    if (this.settings.ref.topicId !== ref.topicId) return unknownPartition(ref);
    return this.settings.config;
  }
}

function errorResponse(f: Failure): Response {
  return Response.json(errorBody(f.code, f.message, f.details), { status: ERROR_CODES[f.code].status });
}

function unknownPartition(ref: PartitionRef): Failure {
  return failure(
    "UNKNOWN_TOPIC_OR_PARTITION",
    `partition ${ref.partition} of topic '${ref.topic}' does not exist (the topic was deleted)`,
    { topic: ref.topic, partition: ref.partition },
  );
}

/** The produce quotas of one partition (records/s and bytes/s), each a token bucket. */
class ProduceQuotas {
  private records: TokenBucket | undefined;
  private bytes: TokenBucket | undefined;

  /** Milliseconds to wait before this append may go, or 0 once it is counted. */
  take(config: TopicConfig, count: number, bytes: number, now: number): number {
    const recordRate = config.produceRecordsPerSecond ?? -1;
    const byteRate = config.produceBytesPerSecond ?? -1;
    this.records = recordRate > 0 ? this.bucket(this.records, recordRate, now) : undefined;
    this.bytes = byteRate > 0 ? this.bucket(this.bytes, byteRate, now) : undefined;
    const waitRecords = this.records?.take(count, now) ?? 0;
    if (waitRecords > 0) return waitRecords;
    return this.bytes?.take(bytes, now) ?? 0;
  }

  private bucket(current: TokenBucket | undefined, rate: number, now: number): TokenBucket {
    if (!current) return new TokenBucket(rate, now);
    current.setRate(rate);
    return current;
  }
}
