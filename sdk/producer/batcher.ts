/**
 * The producer's record accumulator (Kafka's RecordAccumulator): records wait per destination
 * (a partition, or a topic when the server partitions) in batches of at most `batchSize` bytes,
 * and a batch is sent when it is full, when its linger time has passed since its first record,
 * or when a flush asks for it. At most one batch per destination is in flight, so batches of one
 * destination are stored in the order their records were added; records added while a batch is
 * in flight gather in the next one.
 */
import type { Acks, ProduceRecord } from "../protocol/schemas.ts";

/** Where a batch goes: one partition, or (partition undefined) the topic route. */
export interface Destination {
  topic: string;
  partition?: number;
}

interface Entry<T> {
  record: ProduceRecord;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** Records for one destination, sent in one request. */
export interface Batch<T> {
  readonly destination: Destination;
  readonly acks: Acks;
  readonly records: ProduceRecord[];
  /** The records' estimated size on the wire (JSON, in UTF-8 bytes). */
  bytes: number;
  /** When the first record was added (ms). */
  readonly createdAt: number;
  /** Set by a flush: send as soon as the destination is free, whatever the linger. */
  forced: boolean;
  /** Settles once the batch's records are resolved or rejected. */
  readonly done: Promise<void>;
  /** Set by the sender on the first attempt and kept for retries (e.g. the producer stamp). */
  stamp?: unknown;
  entries: Entry<T>[];
  settle: () => void;
}

interface DestinationQueue<T> {
  destination: Destination;
  batches: Batch<T>[];
  inFlight: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/** How batches are formed and sent. */
export interface BatcherConfig<T> {
  /** The largest batch in bytes; a single larger record is sent alone. */
  batchSize: number;
  /** How long a batch waits for more records after its first one, in ms; 0 sends at the next drain. */
  lingerMs: number;
  /** Sends one batch; answers one result per record, in order. */
  deliver: (batch: Batch<T>) => Promise<T[]>;
  /** Told after each batch was taken off its queue to be sent. */
  onSent?: (batch: Batch<T>) => void;
  now?: () => number;
}

const encoder = new TextEncoder();

/** The size of a record as JSON in UTF-8 bytes, about what it takes on the wire. */
export function recordBytes(record: ProduceRecord): number {
  const json = JSON.stringify(record);
  // Most records are ASCII; only count bytes exactly when there is something to count.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a range check, not a control character
  return /^[\u0000-\u007f]*$/.test(json) ? json.length : encoder.encode(json).length;
}

/** Groups records into batches per destination and sends them (see the module comment). */
export class Batcher<T> {
  private readonly queues = new Map<string, DestinationQueue<T>>();
  private readonly now: () => number;

  constructor(private readonly config: BatcherConfig<T>) {
    this.now = config.now ?? Date.now;
  }

  /**
   * Adds a record for `destination`; the promise settles when its batch is acknowledged (or
   * fails). Nothing is sent before `drain()` or the linger timer.
   */
  add(destination: Destination, acks: Acks, record: ProduceRecord, bytes = recordBytes(record)): Promise<T> {
    const key = destinationKey(destination);
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { destination, batches: [], inFlight: false };
      this.queues.set(key, queue);
    }
    let batch = queue.batches.at(-1);
    if (!batch || batch.acks !== acks || (batch.records.length > 0 && batch.bytes + bytes > this.config.batchSize)) {
      batch = newBatch<T>(destination, acks, this.now());
      queue.batches.push(batch);
      // The batch before this one is closed now, so it may go.
      if (queue.batches.length > 1) this.drainQueue(key, queue);
      this.armTimer(key, queue);
    }
    const target = batch;
    const promise = new Promise<T>((resolve, reject) => {
      target.entries.push({ record, resolve, reject });
    });
    target.records.push(record);
    target.bytes += bytes;
    if (target.bytes >= this.config.batchSize) this.drainQueue(key, queue);
    return promise;
  }

  /** Sends every batch that is ready and whose destination has nothing in flight. */
  drain(): void {
    for (const [key, queue] of this.queues) this.drainQueue(key, queue);
  }

  /** Sends everything added so far, whatever the linger, and waits until it is acknowledged or failed. */
  async flush(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const queue of this.queues.values()) {
      for (const batch of queue.batches) {
        batch.forced = true;
        pending.push(batch.done);
      }
    }
    this.drain();
    await Promise.all(pending);
  }

  /** Batches waiting or in flight, over all destinations (for tests and metrics). */
  get pendingBatches(): number {
    let n = 0;
    for (const queue of this.queues.values()) n += queue.batches.length + (queue.inFlight ? 1 : 0);
    return n;
  }

  private isReady(queue: DestinationQueue<T>, batch: Batch<T>): boolean {
    return (
      batch.forced ||
      queue.batches.length > 1 ||
      batch.bytes >= this.config.batchSize ||
      this.now() - batch.createdAt >= this.config.lingerMs
    );
  }

  private armTimer(key: string, queue: DestinationQueue<T>): void {
    if (this.config.lingerMs === 0 || queue.timer !== undefined || queue.inFlight) return;
    const head = queue.batches[0];
    if (!head) return;
    const wait = Math.max(0, head.createdAt + this.config.lingerMs - this.now());
    queue.timer = setTimeout(() => {
      queue.timer = undefined;
      this.drainQueue(key, queue);
      // While a batch is in flight, its end drains and re-arms.
      if (!queue.inFlight) this.armTimer(key, queue);
    }, wait);
  }

  private drainQueue(key: string, queue: DestinationQueue<T>): void {
    const head = queue.batches[0];
    if (queue.inFlight || !head || !this.isReady(queue, head)) return;
    queue.batches.shift();
    queue.inFlight = true;
    if (queue.timer !== undefined) {
      clearTimeout(queue.timer);
      queue.timer = undefined;
    }
    this.config.onSent?.(head);
    const finish = () => {
      queue.inFlight = false;
      head.settle();
      if (queue.batches.length === 0) {
        this.queues.delete(key);
        return;
      }
      this.drainQueue(key, queue);
      this.armTimer(key, queue);
    };
    this.config.deliver(head).then(
      (results) => {
        head.entries.forEach((entry, i) => {
          entry.resolve(results[i] as T);
        });
        finish();
      },
      (error: unknown) => {
        for (const entry of head.entries) entry.reject(error);
        finish();
      },
    );
  }
}

function destinationKey({ topic, partition }: Destination): string {
  return partition === undefined ? topic : `${topic}/${partition}`;
}

function newBatch<T>(destination: Destination, acks: Acks, createdAt: number): Batch<T> {
  let settle!: () => void;
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  return { destination, acks, records: [], bytes: 0, createdAt, forced: false, done, entries: [], settle };
}
