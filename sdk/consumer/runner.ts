/**
 * Hands a partition's records to the handler given to `consumer.run`: to `eachMessage` one at a
 * time, or to `eachBatch` together, and resolves the offsets of those processed.
 */
import type { TopicPartitionOffset } from "../group.ts";
import type { ReaderRecord } from "../reader.ts";
import type { OffsetManager } from "./offsets.ts";
import type { PartitionLoop, Session } from "./session.ts";
import type { SubscriptionState } from "./subscription-state.ts";
import type { Batch, ConsumerMessage, ConsumerRunConfig } from "./types.ts";

/** The handlers of `consumer.run`, checked: eachMessage or eachBatch. */
export type RunHandlers = ConsumerRunConfig & { eachBatchAutoResolve: boolean };

/** What the runner needs. */
export interface RunnerOptions {
  handlers: RunHandlers;
  offsets: OffsetManager;
  subscriptions: SubscriptionState;
  /** Sends a heartbeat now. */
  heartbeat: () => Promise<void>;
  /** Pauses a partition; returns a function that resumes it. */
  pause: (topic: string, partition: number) => () => void;
  /** `consumer.commitOffsets`. */
  commitOffsets: (offsets: TopicPartitionOffset[]) => Promise<void>;
  /** False once the consumer is stopping. */
  isRunning: () => boolean;
}

/** What the handler made of records: the position after the last one processed, and its error if it threw. */
export interface Processed {
  next: number;
  error?: unknown;
}

function toMessage(record: ReaderRecord): ConsumerMessage {
  return {
    offset: record.offset,
    key: record.key,
    value: record.value,
    headers: record.headers,
    timestamp: record.timestamp,
  };
}

/** Runs one `consumer.run`'s handlers. */
export class Runner {
  readonly #options: RunnerOptions;

  constructor(options: RunnerOptions) {
    this.#options = options;
  }

  /**
   * Hands records to the handler; returns the position after the last one processed, and the
   * handler's error if it threw.
   */
  async process(
    session: Session,
    loop: PartitionLoop,
    records: ReaderRecord[],
    highWatermark: number,
    position: number,
  ): Promise<Processed> {
    const { topic, partition } = loop;
    const { handlers, offsets, subscriptions } = this.#options;
    const heartbeat = () => this.#options.heartbeat();
    const pause = () => this.#options.pause(topic, partition);
    const resolve = (next: number) => {
      if (next <= position) return;
      position = next;
      offsets.resolve(loop.key, next);
    };

    if (handlers.eachMessage) {
      for (const record of records) {
        if (this.#stale(session, loop) || subscriptions.isPaused(topic, partition)) break;
        try {
          await handlers.eachMessage({
            topic,
            partition,
            message: toMessage(record),
            heartbeat,
            pause,
            signal: session.signal,
          });
        } catch (error) {
          return { next: position, error };
        }
        resolve(record.offset + 1);
      }
      return { next: position };
    }

    const messages = records.map(toMessage);
    const last = records.at(-1)!.offset;
    const batch: Batch = {
      topic,
      partition,
      highWatermark,
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => messages[0]?.offset ?? null,
      lastOffset: () => last,
      offsetLag: () => Math.max(0, highWatermark - (last + 1)),
    };
    try {
      await handlers.eachBatch!({
        batch,
        resolveOffset: (offset: number) => {
          if (offset >= position && offset <= last) resolve(offset + 1);
        },
        heartbeat,
        commitOffsetsIfNecessary: async (given?: TopicPartitionOffset[]) => {
          if (given !== undefined) return this.#options.commitOffsets(given);
          await offsets.commitIfNecessary(session);
        },
        uncommittedOffsets: () => offsets.uncommitted(session.loops.values()),
        isRunning: () => this.#options.isRunning(),
        isStale: () => this.#stale(session, loop),
        pause,
        signal: session.signal,
      });
    } catch (error) {
      return { next: position, error };
    }
    if (handlers.eachBatchAutoResolve && !this.#stale(session, loop)) resolve(last + 1);
    return { next: position };
  }

  /** Whether the loop should stop handing over this partition's records (taken away, or moved by a seek). */
  #stale(session: Session, loop: PartitionLoop): boolean {
    return session.signal.aborted || this.#options.subscriptions.isSeeking(loop.key);
  }
}
