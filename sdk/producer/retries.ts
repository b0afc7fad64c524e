/**
 * How the producer retries its requests: after a retriable failure, again after a backoff, at
 * most `retry.retries` times; after a 429 (THROTTLING_QUOTA_EXCEEDED), again after the server's
 * Retry-After, without counting it as a failure. The producer retries by itself, not through the
 * transport, so that throttling never uses up the retries.
 */
import { TributaryError } from "../errors.ts";
import { backoffCeiling, DEFAULT_RETRY, sleep as defaultSleep, type RetryPolicy, retryDelay } from "../retry.ts";

/** How the producer retries, and (in tests) how it waits. */
export interface ProducerRuntime {
  /**
   * The producer's retry policy, for a transport that makes one attempt per call. Without it,
   * the producer assumes the transport retries and does not retry failures itself.
   */
  retry?: RetryPolicy;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * How long in total a batch may wait because the worker throttled it before the send fails. A
 * throttled batch is not a failure: it waits the Retry-After and goes again, without using up
 * `retry.retries`.
 */
export const MAX_THROTTLE_WAIT_MS = 300_000;

/** Runs the producer's requests with its retries (see the module comment). */
export class ProducerRetries {
  private readonly policy: RetryPolicy;
  private readonly random: () => number;
  private readonly wait: (ms: number) => Promise<void>;

  constructor(runtime: ProducerRuntime) {
    this.policy = runtime.retry ?? { ...DEFAULT_RETRY, retries: 0 };
    this.random = runtime.random ?? Math.random;
    this.wait = runtime.sleep ?? ((ms) => defaultSleep(ms));
  }

  /**
   * Runs `operation` until it succeeds: after a retriable failure, again after a backoff, at most
   * `retry.retries` times; after a 429, again after the server's Retry-After, without counting it
   * as a failure, for up to MAX_THROTTLE_WAIT_MS in all.
   */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    let failures = 0;
    let throttledMs = 0;
    for (;;) {
      try {
        return await operation();
      } catch (error) {
        if (!(error instanceof TributaryError)) throw error;
        if (error.code === "THROTTLING_QUOTA_EXCEEDED") {
          const delay = this.throttleDelay(error, throttledMs);
          if (throttledMs + delay <= MAX_THROTTLE_WAIT_MS) {
            throttledMs += delay;
            await this.wait(delay);
            continue;
          }
        }
        if (!error.retriable || failures >= this.policy.retries) throw error;
        await this.wait(retryDelay(failures, this.policy, error, this.random));
        failures++;
      }
    }
  }

  /** The server's wait (the body's retryAfterMs, else Retry-After) plus up to 10% jitter. */
  private throttleDelay(error: TributaryError, throttledMs: number): number {
    const fromBody = error.details.retryAfterMs;
    const asked =
      typeof fromBody === "number" && fromBody >= 0
        ? fromBody
        : (error.retryAfterMs ?? backoffCeiling(Math.min(10, Math.floor(throttledMs / 1000)), this.policy));
    return Math.max(1, Math.round(asked * (1 + 0.1 * this.random())));
  }
}
