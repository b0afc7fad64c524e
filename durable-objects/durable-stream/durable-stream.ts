/**
 * DurableStream: the protocol state of one Durable Streams stream (named by its path), beside
 * the single-partition topic that holds its data. It owns what a topic's config cannot hold:
 * the content type, TTL and expiry, the closed flag, Stream-Seq and the producers' state, and it
 * is the stream's only writer, so every append is checked and applied in one place, in order.
 * Readers read the partition directly; they come here for the stream's state and to wait at
 * the tail (woken by the next append, close or delete).
 */
import { DurableObject } from "cloudflare:workers";
import type { Failure, Result } from "../../sdk/protocol/errors.ts";
import { STREAM_MAX_MESSAGE_BYTES } from "../../worker/compat/durable-streams/messages.ts";
import { topicNameFor } from "../../worker/compat/durable-streams/topic-name.ts";
import { controllerStub, partitionStub } from "../../worker/stubs.ts";
import type { TopicMeta } from "../controller/types.ts";
import type { AppendSuccess, PartitionRef, PartitionStatus } from "../partition-log/types.ts";
import { migrate } from "../shared/migrations.ts";
import {
  admit,
  expiryTime,
  isExpired,
  type PendingAppend,
  type ProducerState,
  type StreamMeta,
  sameSettings,
  viewOf,
  type Working,
} from "./state.ts";
import { MIGRATIONS, StreamStore } from "./store.ts";
import type {
  AppendInput,
  AppendOutcome,
  CreateOutcome,
  EncodedBody,
  InvalidBody,
  Lookup,
  StreamSettings,
  WaitOutcome,
} from "./types.ts";

export class DurableStream extends DurableObject<Env> {
  private readonly store: StreamStore;
  private meta: StreamMeta | undefined;
  /** Writes (create, append, close, delete, expiry) run one at a time, in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly waiters = new Set<() => void>();
  /** Appends waiting for the group being written (see append). */
  private readonly appends: Queued[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new StreamStore(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      this.meta = this.store.loadMeta();
    });
  }

  async create(path: string, settings: StreamSettings, body?: EncodedBody | InvalidBody): Promise<CreateOutcome> {
    return this.serially(async () => {
      const now = Date.now();
      const existing = await this.current(now);
      if (existing)
        return sameSettings(existing, settings) ? { kind: "exists", view: viewOf(existing) } : { kind: "conflict" };
      if (body && "invalid" in body) return { kind: "invalid", message: body.invalid };
      const topic = await this.freshTopic(path);
      if ("ok" in topic) return { kind: "failed", failure: topic };
      const meta: StreamMeta = {
        ...settings,
        path,
        topic: { name: topic.name, id: topic.id },
        createdAt: now,
        lastAccessedAt: now,
        tail: 0,
      };
      if (body && body.count > 0) {
        // Not yet visible to anyone: if this fails, the next create replaces the topic.
        const answer = await this.appendToPartition(meta, body);
        if (!answer.ok) {
          await this.dropTopic(meta.topic.name);
          return { kind: "failed", failure: answer };
        }
        meta.tail = answer.baseOffset + body.count;
      }
      this.meta = meta;
      this.store.saveMeta(meta);
      await this.scheduleExpiry();
      this.wake();
      return { kind: "created", view: viewOf(meta) };
    });
  }

  /**
   * Appends (and closes) are checked one by one, in arrival order, against the stream as the
   * earlier ones leave it, and those accepted while an earlier group was being written go to
   * the partition together, as one append (a group commit): one call and one commit for many
   * requests, in order, all stored or none.
   */
  async append(input: AppendInput): Promise<AppendOutcome> {
    return new Promise<AppendOutcome>((resolve, reject) => {
      this.appends.push({ input, resolve, reject });
      if (this.appends.length === 1) this.serially(() => this.writeAppends()).catch(() => undefined);
    });
  }

  private async writeAppends(): Promise<void> {
    const group = this.appends.splice(0);
    try {
      const now = Date.now();
      const meta = await this.current(now);
      if (!meta) {
        for (const item of group) item.resolve({ kind: "not_found" });
        return;
      }
      const work: Working = { tail: meta.tail, closed: meta.closed, closedBy: meta.closedBy, lastSeq: meta.lastSeq };
      const producers = new Map<string, ProducerState | undefined>();
      const known = (id: string) => (producers.has(id) ? producers.get(id) : this.store.getProducer(id));
      const pending: PendingAppend = { base: meta.tail, count: 0, producers: [] };
      const chunks: string[] = [];
      let bytes = 0;
      const accepted: { item: Queued; end: number; closed: boolean }[] = [];
      for (const item of group) {
        const verdict = admit(work, meta.contentType, item.input, known, now);
        if ("kind" in verdict) {
          item.resolve(verdict);
          continue;
        }
        const { input } = item;
        const body = input.body && !("invalid" in input.body) ? input.body : undefined;
        if (body) {
          chunks.push(...body.chunks);
          pending.count += body.count;
          bytes += body.bytes;
          work.tail += body.count;
        }
        if (verdict.producer) {
          producers.set(verdict.producer.id, verdict.producer.state);
          pending.producers.push(verdict.producer);
        }
        if (body && input.seq !== undefined) work.lastSeq = pending.seq = input.seq;
        if (input.close) {
          work.closed = true;
          work.closedBy = input.producer;
          pending.close = input.producer ?? true;
        }
        accepted.push({ item, end: work.tail, closed: input.close });
      }
      if (accepted.length === 0) return;
      if (pending.count > 0) {
        meta.pending = pending;
        this.store.saveMeta(meta);
        const answer = await this.appendToPartition(meta, { chunks, count: pending.count, bytes });
        if (!answer.ok) {
          meta.pending = undefined;
          this.store.saveMeta(meta);
          for (const { item } of accepted) item.resolve({ kind: "failed", failure: answer });
          return;
        }
        pending.base = answer.baseOffset;
      }
      // Where the group really landed (the partition's offset), against where it was checked.
      const shift = pending.base - meta.tail;
      meta.lastAccessedAt = now;
      this.apply(meta, pending);
      for (const { item, end, closed } of accepted) item.resolve({ kind: "appended", tail: end + shift, closed });
    } catch (err) {
      for (const item of group) item.reject(err);
    }
  }

  /** The stream's state, without counting as an access (HEAD). */
  async head(): Promise<Lookup> {
    const meta = await this.currentOutsideQueue();
    return meta ? { kind: "found", view: viewOf(meta) } : { kind: "not_found" };
  }

  /** The stream's state for a read, which counts as an access for a sliding TTL. */
  async open(): Promise<Lookup> {
    const meta = await this.currentOutsideQueue();
    if (!meta) return { kind: "not_found" };
    this.touch(meta);
    return { kind: "found", view: viewOf(meta) };
  }

  /**
   * Waits up to `timeoutMs` while a reader at `position` is at the tail of an open stream;
   * answers as soon as records arrive, the stream closes or goes away.
   */
  async wait(position: number, timeoutMs: number): Promise<WaitOutcome> {
    const before = await this.currentOutsideQueue();
    if (!before) return { kind: "not_found" };
    this.touch(before);
    if (position < before.tail || before.closed) return { kind: "found", view: viewOf(before), timedOut: false };
    let timedOut = false;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        timedOut = true;
        done();
      }, timeoutMs);
      this.waiters.add(done);
    });
    const after = this.meta;
    if (!after) return { kind: "not_found" };
    return { kind: "found", view: viewOf(after), timedOut };
  }

  async remove(): Promise<{ deleted: boolean }> {
    return this.serially(async () => {
      const meta = await this.current(Date.now());
      if (!meta) return { deleted: false };
      await this.purge(meta);
      return { deleted: true };
    });
  }

  override async alarm(): Promise<void> {
    await this.serially(async () => {
      if (!this.meta) return;
      if (isExpired(this.meta, Date.now())) await this.purge(this.meta);
      else await this.scheduleExpiry();
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The live stream (settled and not expired), purging it if it has expired. Inside the queue. */
  private async current(now: number): Promise<StreamMeta | undefined> {
    const meta = this.meta;
    if (!meta) return undefined;
    if (isExpired(meta, now)) {
      await this.purge(meta);
      return undefined;
    }
    if (meta.pending) await this.settle(meta, meta.pending);
    return meta;
  }

  /** For readers: an expired stream is gone for them at once; its cleanup goes through the queue. */
  private async currentOutsideQueue(): Promise<StreamMeta | undefined> {
    const meta = this.meta;
    if (!meta) return undefined;
    if (isExpired(meta, Date.now())) {
      await this.serially(() => this.current(Date.now()));
      return undefined;
    }
    return meta;
  }

  private touch(meta: StreamMeta): void {
    meta.lastAccessedAt = Date.now();
    // Only a sliding TTL depends on the last access; other streams need not write on reads.
    if (meta.ttlSeconds !== undefined) this.store.saveMeta(meta);
  }

  /** Applies an append (or close) that the partition has stored, with its producer and Stream-Seq state. */
  private apply(meta: StreamMeta, done: PendingAppend): void {
    meta.pending = undefined;
    meta.tail = done.base + done.count;
    if (done.seq !== undefined) meta.lastSeq = done.seq;
    if (done.close) {
      meta.closed = true;
      if (done.close !== true) meta.closedBy = done.close;
    }
    this.ctx.storage.transactionSync(() => {
      for (const { id, state } of done.producers) this.store.putProducer(id, state);
      this.store.saveMeta(meta);
    });
    this.wake();
  }

  /** An append whose answer was lost: the partition's high watermark says whether it landed. */
  private async settle(meta: StreamMeta, pending: PendingAppend): Promise<void> {
    const status = (await partitionStub(this.env, this.ref(meta)).status(this.ref(meta))) as Result<PartitionStatus>;
    if (status.ok && status.highWatermark >= pending.base + pending.count) {
      this.apply(meta, { ...pending, base: status.highWatermark - pending.count });
    } else {
      meta.pending = undefined;
      this.store.saveMeta(meta);
    }
  }

  private async purge(meta: StreamMeta): Promise<void> {
    await this.dropTopic(meta.topic.name);
    this.store.clear();
    this.meta = undefined;
    await this.ctx.storage.deleteAlarm();
    this.wake();
  }

  private async scheduleExpiry(): Promise<void> {
    const at = this.meta ? expiryTime(this.meta) : undefined;
    if (at === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private ref(meta: StreamMeta): PartitionRef {
    return { topic: meta.topic.name, topicId: meta.topic.id, partition: 0 };
  }

  private async appendToPartition(meta: StreamMeta, body: EncodedBody): Promise<Result<AppendSuccess>> {
    const ref = this.ref(meta);
    return (await partitionStub(this.env, ref).append({
      ref,
      chunks: body.chunks,
      count: body.count,
      bytes: body.bytes,
      usesAppendTime: true,
      recordTimestamps: false,
    })) as Result<AppendSuccess>;
  }

  /** A new, empty topic for the path; one left behind by an interrupted create or delete is replaced. */
  private async freshTopic(path: string): Promise<TopicMeta | Failure> {
    const name = await topicNameFor(path);
    const create = () =>
      controllerStub(this.env).createTopic({
        name,
        partitions: 1,
        replicationFactor: 3,
        config: { retentionMs: -1, retentionBytes: -1, maxMessageBytes: STREAM_MAX_MESSAGE_BYTES },
      }) as Promise<Result<{ topic: TopicMeta }>>;
    let created = await create();
    if (!created.ok && created.code === "TOPIC_ALREADY_EXISTS") {
      await this.dropTopic(name);
      created = await create();
    }
    return created.ok ? created.topic : created;
  }

  private async dropTopic(name: string): Promise<void> {
    await controllerStub(this.env).deleteTopic(name);
  }
}

interface Queued {
  input: AppendInput;
  resolve: (outcome: AppendOutcome) => void;
  reject: (err: unknown) => void;
}
