/**
 * The group commit of a DurableStream's appends. Appends (and closes) are checked one by one,
 * in arrival order, against the stream as the earlier ones leave it, and those accepted while
 * an earlier group was being written go to the partition together, as one append: one call and
 * one commit for many requests, in order, all stored or none. An append whose answer was lost
 * is settled against the partition's high watermark before the next write.
 */
import { type Appended, appendToTopic } from "../../cluster/append.ts";
import { partitionStatus } from "../../cluster/reads.ts";
import type { AppendInput, AppendOutcome, EncodedBody } from "../../cluster/rpc/durable-stream.ts";
import type { Result } from "../../sdk/protocol/errors.ts";
import { admit, type PendingAppend, type ProducerState, type StreamMeta, type Working } from "./state.ts";
import type { StreamStore } from "./store.ts";

/** Stored bytes of the appends written to the partition in one call, at most (but one append may be larger). */
const GROUP_MAX_BYTES = 8 * 1024 * 1024;

/** What the DurableStream gives its appends: its write queue, its stream, and its waiting readers. */
export interface AppendsHost {
  /** Runs `work` after every write queued before it (the object's one write queue). */
  serially<T>(work: () => Promise<T>): Promise<T>;
  /** The stream (settled), ending it if it has expired. Inside the queue. */
  current(now: number): Promise<StreamMeta | undefined>;
  /** The stream moved: readers waiting at the tail look again. */
  wake(): void;
}

interface Queued {
  input: AppendInput;
  resolve: (outcome: AppendOutcome) => void;
  reject: (err: unknown) => void;
}

export class StreamAppends {
  /** Appends waiting for the group being written (see append). */
  private readonly queued: Queued[] = [];

  constructor(
    private readonly env: Env,
    private readonly storage: DurableObjectStorage,
    private readonly store: StreamStore,
    private readonly host: AppendsHost,
  ) {}

  /** Queues an append (or close); it is answered once its group is written. */
  append(input: AppendInput): Promise<AppendOutcome> {
    return new Promise<AppendOutcome>((resolve, reject) => {
      this.queued.push({ input, resolve, reject });
      if (this.queued.length === 1) this.host.serially(() => this.write()).catch(() => undefined);
    });
  }

  /** An append whose answer was lost: the partition's high watermark says whether it landed. */
  async settle(meta: StreamMeta, pending: PendingAppend): Promise<void> {
    const status = await partitionStatus(this.env, meta.topic, 0);
    if (status.ok && status.highWatermark >= pending.base + pending.count) {
      this.apply(meta, { ...pending, base: status.highWatermark - pending.count });
    } else {
      meta.pending = undefined;
      this.store.saveMeta(meta);
    }
  }

  private async write(): Promise<void> {
    const group = this.takeGroup();
    // What did not fit goes next, behind this group.
    if (this.queued.length > 0) this.host.serially(() => this.write()).catch(() => undefined);
    try {
      const now = Date.now();
      const meta = await this.host.current(now);
      if (!meta || meta.softDeleted) {
        for (const item of group) item.resolve({ kind: meta ? "gone" : "not_found" });
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
        const answer = await appendToPartition(this.env, meta, { chunks, count: pending.count, bytes });
        if (!answer.ok) {
          meta.pending = undefined;
          this.store.saveMeta(meta);
          for (const { item } of accepted) item.resolve({ kind: "failed", failure: answer });
          return;
        }
        pending.base = answer.batches[0]!.baseOffset;
      }
      // Where the group really landed (the partition's offset), against where it was checked.
      const shift = pending.base - meta.tail;
      meta.lastAccessedAt = now;
      const ends = accepted.filter(({ item }) => item.input.body).map(({ end }) => end + shift);
      this.apply(meta, pending, ends);
      for (const { item, end, closed } of accepted) item.resolve({ kind: "appended", tail: end + shift, closed });
    } catch (err) {
      for (const item of group) item.reject(err);
    }
  }

  /** The queued appends up to GROUP_MAX_BYTES (at least one), so a group stays one modest call. */
  private takeGroup(): Queued[] {
    let bytes = 0;
    let n = 0;
    for (const { input } of this.queued) {
      const size = input.body && !("invalid" in input.body) ? input.body.bytes : 0;
      if (n > 0 && bytes + size > GROUP_MAX_BYTES) break;
      bytes += size;
      n++;
    }
    return this.queued.splice(0, n);
  }

  /** Applies an append (or close) that the partition has stored, with its producer and Stream-Seq state. */
  private apply(meta: StreamMeta, done: PendingAppend, ends: readonly number[] = []): void {
    meta.pending = undefined;
    meta.tail = done.base + done.count;
    if (done.seq !== undefined) meta.lastSeq = done.seq;
    if (done.close) {
      meta.closed = true;
      if (done.close !== true) meta.closedBy = done.close;
    }
    this.storage.transactionSync(() => {
      for (const { id, state } of done.producers) this.store.putProducer(id, state);
      this.store.addBoundaries(ends);
      this.store.saveMeta(meta);
    });
    this.host.wake();
  }
}

/** Appends records encoded by the worker (one request's body, or a group of them) to the stream's partition. */
export function appendToPartition(env: Env, meta: StreamMeta, body: EncodedBody): Promise<Result<Appended>> {
  return appendToTopic(env, meta.topic, { ...body, preEncoded: true }, { partition: 0 });
}
