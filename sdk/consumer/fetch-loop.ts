/**
 * The loop of each assigned partition (one per partition, partitions in parallel): reads the
 * partition's records in order from its source, hands them to the runner, applies seeks and
 * pauses, moves an offset that fell out of the log by autoOffsetReset, and waits out failed
 * reads and failed handlers with backoff.
 */
import { OffsetOutOfRangeError } from "../errors.ts";
import type { PartitionSource, SourceBatch } from "../push.ts";
import { type RetryPolicy, retryDelay, sleep } from "../retry.ts";
import { toError, transient } from "./errors.ts";
import type { OffsetManager } from "./offsets.ts";
import type { PartitionSources } from "./partition-source.ts";
import type { Runner } from "./runner.ts";
import type { PartitionLoop, Session } from "./session.ts";
import type { SubscriptionState } from "./subscription-state.ts";

/** What the fetch loop needs. */
export interface FetchLoopOptions {
  policy: RetryPolicy;
  subscriptions: SubscriptionState;
  offsets: OffsetManager;
  sources: PartitionSources;
  /** Hands the records read to the handler. */
  runner: Runner;
}

/** Resolves once `signal` is aborted. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Starts and runs the partition loops of one `consumer.run`. */
export class FetchLoop {
  readonly #options: FetchLoopOptions;

  constructor(options: FetchLoopOptions) {
    this.#options = options;
  }

  /**
   * Looks up where the given partitions start, then starts their loops. Resolves true once they
   * run; false if they could not start (`NoOffsetError`, a failed lookup), which ends the
   * session: a retriable failure joins again (and retries), others crash.
   */
  start(session: Session, loops: PartitionLoop[]): Promise<boolean> {
    return this.#startLoops(session, loops).then(
      () => true,
      (error: unknown) => {
        if (transient(error)) session.end({ kind: "rebalance" });
        else session.end({ kind: "crash", error: toError(error) });
        return false;
      },
    );
  }

  async #startLoops(session: Session, loops: PartitionLoop[]): Promise<void> {
    const ready = await this.#options.offsets.starts(session, loops);
    if (session.signal.aborted) return;
    for (const [loop, start] of ready) {
      loop.done = this.#consume(session, loop, start).catch((error: unknown) => {
        session.end({ kind: "crash", error: toError(error) });
      });
    }
  }

  /** Consumes one partition, in order, until the session ends. */
  async #consume(session: Session, loop: PartitionLoop, start: number): Promise<void> {
    const { policy, subscriptions, offsets, sources } = this.#options;
    const { topic, partition } = loop;
    let position = start;
    let source: PartitionSource | undefined;
    let fetchFailures = 0;
    let handlerFailures = 0;
    const close = () => {
      source?.close();
      source = undefined;
    };
    try {
      while (!session.signal.aborted) {
        const seek = subscriptions.takeSeek(loop.key);
        if (seek !== undefined) {
          position = seek;
          offsets.resolve(loop.key, seek);
          close();
        }
        const wake = loop.signal;
        if (subscriptions.isPaused(topic, partition)) {
          close();
          await aborted(wake);
          continue;
        }
        source ??= sources.open(topic, partition, position);
        let batch: SourceBatch;
        try {
          batch = await source.next(wake);
          fetchFailures = 0;
        } catch (error) {
          if (wake.aborted) continue;
          close();
          if (error instanceof OffsetOutOfRangeError) {
            position = this.#reset(topic, error);
            continue;
          }
          if (!transient(error)) throw error;
          await sleep(retryDelay(fetchFailures++, policy, error), session.signal).catch(() => {});
          continue;
        }
        const records = batch.records.filter((r) => r.offset >= position);
        if (records.length === 0) {
          // Past a compacted log's gap: the position moves on, so commits and lag count it as read.
          if (batch.nextOffset > position) {
            position = batch.nextOffset;
            offsets.setPosition(loop.key, position);
          }
          continue;
        }
        const { next, error } = await this.#options.runner.process(
          session,
          loop,
          records,
          batch.highWatermark,
          position,
        );
        const all = next === records.at(-1)!.offset + 1;
        if (!all) close(); // stopped early: read on from `next`
        position = all && error === undefined ? Math.max(next, batch.nextOffset) : next;
        offsets.setPosition(loop.key, position);
        if (error === undefined) {
          handlerFailures = 0;
          continue;
        }
        // A handler that gave up because the partition was taken away is not a failure.
        if (session.signal.aborted) break;
        if (handlerFailures >= policy.retries) throw error;
        await sleep(retryDelay(handlerFailures++, policy), session.signal).catch(() => {});
      }
    } finally {
      close();
      offsets.setPosition(loop.key, position);
    }
  }

  /** Where an offset that fell out of the log moves to, by the topic's autoOffsetReset. */
  #reset(topic: string, error: OffsetOutOfRangeError): number {
    const reset = this.#options.subscriptions.resetOf(topic);
    if (reset === "none" || Number.isNaN(error.logStartOffset)) throw error;
    return reset === "earliest" ? error.logStartOffset : error.highWatermark;
  }
}
