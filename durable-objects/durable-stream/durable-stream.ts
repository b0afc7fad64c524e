/**
 * DurableStream: the protocol state of one Durable Streams stream (named by its path), beside
 * the single-partition topic that holds its data. It owns what a topic's config cannot hold:
 * the content type, TTL and expiry, the closed flag, Stream-Seq and the producers' state, and it
 * is the stream's only writer, so every append is checked and applied in one place, in order.
 * Readers read the partition directly; they come here for the stream's state and to wait at
 * the tail (woken by the next append, close or delete). A fork's object asks its source's for
 * a starting point and copies the source's records; the source counts its live forks.
 *
 * The class keeps the RPC methods, the write queue and expiry. The group commit of appends is
 * appends.ts, forking fork.ts, making and dropping the stream's topic topic.ts, readers waiting
 * at the tail waiters.ts; the protocol's rules are state.ts and the SQL store.ts.
 */
import { DurableObject } from "cloudflare:workers";
import { meterObject } from "../../cluster/meter.ts";
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
import { durableStreamStub } from "../../cluster/stubs.ts";
import type { Failure } from "../../sdk/protocol/errors.ts";
import { migrate } from "../shared/migrations.ts";
import { StreamAppends } from "./appends.ts";
import { askSource, type ForkPoint, forkPoint } from "./fork.ts";
import { expiryTime, isExpired, type StreamMeta, sameSettings, viewOf } from "./state.ts";
import { MIGRATIONS, StreamStore } from "./store.ts";
import { buildTopic, dropTopic } from "./topic.ts";
import { TailWaiters } from "./waiters.ts";

export class DurableStream extends DurableObject<Env> {
  private readonly store: StreamStore;
  private meta: StreamMeta | undefined;
  /** Writes (create, append, close, delete, expiry) run one at a time, in arrival order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Readers waiting at the tail. */
  private readonly waiters = new TailWaiters();
  /** The group commit of appends. */
  private readonly appends: StreamAppends;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const metered = meterObject(this, ctx, env, "DurableStream");
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
    // biome-ignore lint/correctness/noConstructorReturn: the billable-unit meter's proxy (cluster/meter.ts; off unless TRIBUTARY_METER=1).
    return metered;
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
    const timedOut = await this.waiters.wait(timeoutMs);
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
    await dropTopic(this.env, meta.topic.name);
    this.store.clear();
    this.meta = undefined;
    await this.ctx.storage.deleteAlarm();
    this.wake();
    if (meta.fork) await durableStreamStub(this.env, meta.fork.from).release();
  }

  /**
   * Makes the stream's topic and its first records (topic.ts) and saves the stream. A failure
   * leaves nothing.
   */
  private async build(
    meta: StreamMeta,
    body: EncodedBody | undefined,
    source: ForkPoint | undefined,
  ): Promise<Failure | undefined> {
    const built = await buildTopic(this.env, meta, body, source);
    if ("ok" in built) return built;
    this.meta = meta;
    this.ctx.storage.transactionSync(() => {
      this.store.saveMeta(meta);
      this.store.addBoundaries(built.ends);
    });
    return undefined;
  }

  private async scheduleExpiry(): Promise<void> {
    const at = this.meta ? expiryTime(this.meta) : undefined;
    if (at === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }

  private wake(): void {
    this.waiters.wakeAll();
  }
}
