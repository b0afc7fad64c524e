/**
 * DurableStream: the protocol state of one Durable Streams stream (named by its path), beside
 * the single-partition topic that holds its data. It owns what a topic's config cannot hold:
 * the content type, TTL and expiry, the closed flag, Stream-Seq and the producers' state, and it
 * is the stream's only writer, so every append is checked and applied in one place, in order.
 * Readers read the partition directly; they come here for the stream's state and to wait at
 * the tail (woken by the next append, close or delete). A fork's object asks its source's for
 * a starting point and copies the source's records; the source counts its live forks.
 */
import { DurableObject } from "cloudflare:workers";
import { STREAM_MAX_MESSAGE_BYTES } from "../../cluster/durable-streams/bodies.ts";
import { topicNameFor } from "../../cluster/durable-streams/topic-name.ts";
import type { TopicMeta } from "../../cluster/rpc/controller.ts";
import type {
  AppendInput,
  AppendOutcome,
  CreateOutcome,
  EncodedBody,
  ForkRequest,
  ForkSource,
  InvalidBody,
  Lookup,
  StreamSettings,
  WaitOutcome,
} from "../../cluster/rpc/durable-stream.ts";
import { controllerStub, durableStreamStub } from "../../cluster/stubs.ts";
import type { Failure, Result } from "../../sdk/protocol/errors.ts";
import { migrate } from "../shared/migrations.ts";
import { appendToPartition, StreamAppends } from "./appends.ts";
import { askSource, copySource, type ForkPoint, forkPoint, forkPrefix } from "./fork.ts";
import { expiryTime, isExpired, type StreamMeta, sameSettings, viewOf } from "./state.ts";
import { MIGRATIONS, StreamStore } from "./store.ts";

export class DurableStream extends DurableObject<Env> {
  private readonly store: StreamStore;
  private meta: StreamMeta | undefined;
  /** Writes (create, append, close, delete, expiry) run one at a time, in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly waiters = new Set<() => void>();
  /** The group commit of appends. */
  private readonly appends: StreamAppends;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new StreamStore(ctx.storage.sql);
    this.appends = new StreamAppends(env, ctx.storage, this.store, {
      serially: (work) => this.serially(work),
      current: (now) => this.current(now),
      wake: () => this.wake(),
    });
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      this.meta = this.store.loadMeta();
    });
  }

  /**
   * Creates the stream, or answers a repeated create. `asked` lacks a content type only for a
   * fork, which then takes its source's; a fork also inherits its source's TTL or expiry when
   * given neither.
   */
  async create(
    path: string,
    asked: Partial<StreamSettings>,
    body?: EncodedBody | InvalidBody,
    fork?: ForkRequest,
  ): Promise<CreateOutcome> {
    return this.serially(async () => {
      const now = Date.now();
      const existing = await this.current(now);
      if (existing?.softDeleted) return { kind: "gone" };
      if (existing) {
        return sameSettings(existing, asked, fork) ? { kind: "exists", view: viewOf(existing) } : { kind: "conflict" };
      }
      if (body && "invalid" in body) return { kind: "invalid", message: body.invalid };
      // A stream that does not exist yet cannot be its own source (and waiting on itself would hang).
      if (fork?.from === path) return { kind: "source_not_found" };
      let source: ForkPoint | undefined;
      if (fork) {
        const given = await askSource(this.env, fork, asked.contentType);
        if (given.kind !== "ok") return given;
        source = given;
      }
      const inherited = source?.view;
      const expiry =
        asked.ttlSeconds !== undefined || asked.expiresAt !== undefined || !inherited
          ? { ttlSeconds: asked.ttlSeconds, expiresAt: asked.expiresAt }
          : { ttlSeconds: inherited.ttlSeconds, expiresAt: inherited.expiresAt };
      const meta: StreamMeta = {
        contentType: asked.contentType ?? inherited?.contentType ?? "application/octet-stream",
        closed: asked.closed ?? false,
        ...expiry,
        path,
        topic: { name: "", id: "" },
        createdAt: now,
        lastAccessedAt: now,
        tail: 0,
        fork: fork && { from: fork.from, offsetHeader: fork.offsetHeader, subOffset: fork.subOffset ?? 0, asked },
      };
      const built = await this.build(meta, body, source);
      if (built) {
        if (fork) await durableStreamStub(this.env, fork.from).release();
        return { kind: "failed", failure: built };
      }
      await this.scheduleExpiry();
      this.wake();
      return { kind: "created", view: viewOf(meta) };
    });
  }

  /**
   * A fork's source: checks the fork point, resolves a sub-offset within the next message, and
   * counts the fork as a reference (released when the fork goes).
   */
  async forkFrom(request: { offset?: number; subOffset?: number; contentType?: string }): Promise<ForkSource> {
    return this.serially(async () => {
      const meta = await this.current(Date.now());
      if (!meta) return { kind: "not_found" };
      if (meta.softDeleted) return { kind: "gone" };
      const point = await forkPoint(this.env, this.store, meta, request);
      if (point.kind === "ok") {
        meta.refCount = (meta.refCount ?? 0) + 1;
        this.store.saveMeta(meta);
      }
      return point;
    });
  }

  /** A fork of this stream is gone: a soft-deleted stream goes for good with its last fork. */
  async release(): Promise<void> {
    await this.serially(async () => {
      const meta = this.meta;
      if (!meta) return;
      meta.refCount = Math.max(0, (meta.refCount ?? 0) - 1);
      if (meta.softDeleted && meta.refCount === 0) await this.purge(meta);
      else this.store.saveMeta(meta);
    });
  }

  /** An append (or close): checked in arrival order and written with the others queued meanwhile (appends.ts). */
  async append(input: AppendInput): Promise<AppendOutcome> {
    return this.appends.append(input);
  }

  /** The stream's state, without counting as an access (HEAD). */
  async head(): Promise<Lookup> {
    const meta = await this.currentOutsideQueue();
    if (!meta) return { kind: "not_found" };
    return meta.softDeleted ? { kind: "gone" } : { kind: "found", view: viewOf(meta) };
  }

  /** The stream's state for a read, which counts as an access for a sliding TTL. */
  async open(): Promise<Lookup> {
    const meta = await this.currentOutsideQueue();
    if (!meta) return { kind: "not_found" };
    if (meta.softDeleted) return { kind: "gone" };
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
    if (before.softDeleted) return { kind: "gone" };
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
    if (after.softDeleted) return { kind: "gone" };
    return { kind: "found", view: viewOf(after), timedOut };
  }

  /** Deletes the stream; one with live forks is only soft-deleted (410) until its last fork goes. */
  async remove(): Promise<{ kind: "deleted" | "not_found" | "gone" }> {
    return this.serially(async () => {
      const meta = await this.current(Date.now());
      if (!meta) return { kind: "not_found" };
      if (meta.softDeleted) return { kind: "gone" };
      await this.end(meta);
      return { kind: "deleted" };
    });
  }

  override async alarm(): Promise<void> {
    await this.serially(async () => {
      const meta = this.meta;
      if (!meta || meta.softDeleted) return;
      if (isExpired(meta, Date.now())) await this.end(meta);
      else await this.scheduleExpiry();
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The stream (settled), ending it if it has expired; a soft-deleted one is returned as such.
   * Inside the queue.
   */
  private async current(now: number): Promise<StreamMeta | undefined> {
    const meta = this.meta;
    if (!meta) return undefined;
    if (!meta.softDeleted && isExpired(meta, now)) {
      await this.end(meta);
      return this.meta;
    }
    if (meta.pending) await this.appends.settle(meta, meta.pending);
    return meta;
  }

  /** For readers: an expired stream is gone for them at once; its cleanup goes through the queue. */
  private async currentOutsideQueue(): Promise<StreamMeta | undefined> {
    const meta = this.meta;
    if (!meta) return undefined;
    if (!meta.softDeleted && isExpired(meta, Date.now())) return this.serially(() => this.current(Date.now()));
    return meta;
  }

  /** Deleted or expired: gone for good, or soft-deleted while forks of it live. */
  private async end(meta: StreamMeta): Promise<void> {
    if ((meta.refCount ?? 0) === 0) {
      await this.purge(meta);
      return;
    }
    meta.softDeleted = true;
    this.store.saveMeta(meta);
    await this.ctx.storage.deleteAlarm();
    this.wake();
  }

  private touch(meta: StreamMeta): void {
    meta.lastAccessedAt = Date.now();
    // Only a sliding TTL depends on the last access; other streams need not write on reads.
    if (meta.ttlSeconds !== undefined) this.store.saveMeta(meta);
  }

  private async purge(meta: StreamMeta): Promise<void> {
    await this.dropTopic(meta.topic.name);
    this.store.clear();
    this.meta = undefined;
    await this.ctx.storage.deleteAlarm();
    this.wake();
    if (meta.fork) await durableStreamStub(this.env, meta.fork.from).release();
  }

  /**
   * Makes the stream's topic and its first records: a fork's copy of its source (and the
   * sub-offset's prefix), then the initial body; saves the stream. A failure leaves nothing.
   */
  private async build(
    meta: StreamMeta,
    body: EncodedBody | undefined,
    source: ForkPoint | undefined,
  ): Promise<Failure | undefined> {
    const topic = await this.freshTopic(meta.path);
    if ("ok" in topic) return topic;
    meta.topic = { name: topic.name, id: topic.id };
    const ends: number[] = [];
    const add = async (encoded: EncodedBody): Promise<Failure | undefined> => {
      const answer = await appendToPartition(this.env, meta, encoded);
      if (!answer.ok) return answer;
      meta.tail = answer.batches[0]!.baseOffset + encoded.count;
      return undefined;
    };
    const steps: (() => Promise<Failure | undefined>)[] = [];
    if (source) {
      steps.push(() => copySource(this.env, source, add));
      ends.push(...source.boundaries);
      const prefix = forkPrefix(source);
      if (prefix && "ok" in prefix) return prefix;
      if (prefix) steps.push(async () => (await add(prefix)) ?? void ends.push(meta.tail));
    }
    if (body && body.count > 0) steps.push(async () => (await add(body)) ?? void ends.push(meta.tail));
    for (const step of steps) {
      const failed = await step();
      if (failed) {
        // Not yet visible to anyone: the topic goes, and the next create starts afresh.
        await this.dropTopic(meta.topic.name);
        return failed;
      }
    }
    this.meta = meta;
    this.ctx.storage.transactionSync(() => {
      this.store.saveMeta(meta);
      this.store.addBoundaries(ends);
    });
    return undefined;
  }

  private async scheduleExpiry(): Promise<void> {
    const at = this.meta ? expiryTime(this.meta) : undefined;
    if (at === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** A new, empty topic for the path; one left behind by an interrupted create or delete is replaced. */
  private async freshTopic(path: string): Promise<TopicMeta | Failure> {
    const name = await topicNameFor(path);
    const create = () =>
      controllerStub(this.env).createTopic({
        name,
        partitions: 1,
        // One replica: the protocol promises that an acknowledged append is read back at once,
        // and a replicated partition serves reads only up to what its followers hold.
        replicationFactor: 1,
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
