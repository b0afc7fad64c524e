/**
 * BenchProbe: the raw reference of the benchmark. The same inserts the PartitionLog does
 * (same schema and migrations, same `PartitionStore.append` in `transactionSync`, the append
 * request built by the same `prepareAppend` (routing and encoding) from the same records the HTTP
 * benchmark sends), without HTTP, the worker, or an RPC per batch. Each measurement uses a
 * fresh object, so every run starts from an empty log.
 */
import { DurableObject } from "cloudflare:workers";
import { prepareAppend } from "../cluster/append.ts";
import type { AppendRequest } from "../cluster/rpc/partition-log.ts";
import { MIGRATIONS, PartitionStore } from "../durable-objects/partition-log/store.ts";
import { migrate } from "../durable-objects/shared/migrations.ts";
import { DEFAULT_FETCH_BYTES, TOPIC_DEFAULTS } from "../sdk/protocol/schemas.ts";
import { makeRecords } from "./records.mjs";

export interface BatchShape {
  /** Bytes of each record's JSON text. */
  recordBytes: number;
  /** Records per append. */
  batchSize: number;
}

export interface LoopBounds {
  maxBatches: number;
  /** Only bounds the loop when the clock advances during synchronous work (see clockCheck). */
  maxMs: number;
}

export interface LoopResult {
  batches: number;
  records: number;
  bytes: number;
  /** Wall time of the loop by the object's own clock (0 when that clock stood still). */
  innerMs: number;
}

export interface ClockCheck {
  dateMs: number;
  perfMs: number;
  statements: number;
}

/** An append as the worker sends it to a PartitionLog, less the partition reference. */
export type ProbeAppend = Omit<AppendRequest, "ref">;

/** A one-partition topic with the default config, as the benchmark's topics are. */
const BENCH_TOPIC = {
  name: "bench",
  id: "bench",
  partitions: 1,
  replicationFactor: 1,
  config: { ...TOPIC_DEFAULTS },
  createdAt: 0,
};

/**
 * The records run.mjs sends for this shape, routed and encoded as the worker's produce route
 * does (prepareAppend), so the object gets the same append request.
 */
export function appendFor(shape: BatchShape): ProbeAppend {
  const prepared = prepareAppend(BENCH_TOPIC, makeRecords(shape.recordBytes, shape.batchSize), { partition: 0 });
  if (!prepared.ok) throw new Error(`the benchmark records do not encode: ${prepared.message}`);
  const batch = prepared.batches[0]!;
  const encoded = prepared.encoded[0]!;
  return {
    chunks: encoded.chunks,
    count: encoded.count,
    bytes: encoded.bytes,
    maxTimestamp: batch.maxTimestamp,
    usesAppendTime: batch.usesAppendTime,
  };
}

export class BenchProbe extends DurableObject<Env> {
  private readonly store: PartitionStore;
  private highWatermark = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new PartitionStore(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      this.highWatermark = this.store.loadBounds().highWatermark;
    });
  }

  /** Does nothing: its round trip is subtracted from timings taken outside the object. */
  ping(): number {
    return this.highWatermark;
  }

  /**
   * Whether Date.now() and performance.now() advance during synchronous work here (workerd may
   * freeze them until the next I/O, as production Workers do against timing attacks).
   */
  clockCheck(statements: number): ClockCheck {
    const date0 = Date.now();
    const perf0 = performance.now();
    const sql = this.ctx.storage.sql;
    for (let i = 0; i < statements; i++) sql.exec("SELECT 1").one();
    return { dateMs: Date.now() - date0, perfMs: performance.now() - perf0, statements };
  }

  /** The raw rate: appends in a loop inside this one call, each in its own transactionSync. */
  insertLoop(shape: BatchShape, bounds: LoopBounds): LoopResult {
    const append = appendFor(shape);
    const start = performance.now();
    let batches = 0;
    while (batches < bounds.maxBatches && performance.now() - start < bounds.maxMs) {
      this.appendBatch(append);
      batches++;
    }
    return {
      batches,
      records: batches * append.count,
      bytes: batches * append.bytes,
      innerMs: performance.now() - start,
    };
  }

  /**
   * The same loop, but each append is committed to disk before the next one starts
   * (`storage.sync()`), as each produce request's append is before it is acknowledged.
   */
  async insertLoopCommitted(shape: BatchShape, bounds: LoopBounds): Promise<LoopResult> {
    const append = appendFor(shape);
    const start = performance.now();
    let batches = 0;
    while (batches < bounds.maxBatches && performance.now() - start < bounds.maxMs) {
      this.appendBatch(append);
      await this.ctx.storage.sync();
      batches++;
    }
    return {
      batches,
      records: batches * append.count,
      bytes: batches * append.bytes,
      innerMs: performance.now() - start,
    };
  }

  /** One append per call: what one RPC and its own commit add to an append. */
  appendOnce(append: ProbeAppend): number {
    return this.appendBatch(append);
  }

  /** Range reads of `maxRecords` through the object's log, wrapping at the end, in one call. */
  readLoop(maxRecords: number, bounds: LoopBounds): LoopResult {
    const end = this.highWatermark;
    if (end === 0) throw new Error("readLoop needs rows: run insertLoop on this object first");
    const start = performance.now();
    let offset = 0;
    let batches = 0;
    let records = 0;
    let bytes = 0;
    while (batches < bounds.maxBatches && performance.now() - start < bounds.maxMs) {
      const page = this.store.read(0, offset, maxRecords, DEFAULT_FETCH_BYTES, end);
      records += page.count;
      bytes += page.json.length;
      offset = offset + page.count >= end ? 0 : offset + page.count;
      batches++;
    }
    return { batches, records, bytes, innerMs: performance.now() - start };
  }

  private appendBatch(request: ProbeAppend): number {
    // As PartitionLog.append does, less the config lookup, the wake-ups and the retention timer.
    const appendTime = Date.now();
    const baseOffset = this.highWatermark;
    const maxTimestamp = Math.max(request.maxTimestamp ?? -1, request.usesAppendTime ? appendTime : -1);
    const { chunks, count, bytes } = request;
    this.ctx.storage.transactionSync(() => {
      this.store.append(chunks, count, baseOffset, appendTime, maxTimestamp, bytes);
    });
    this.highWatermark = baseOffset + count;
    return baseOffset;
  }
}
