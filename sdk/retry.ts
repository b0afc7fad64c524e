/**
 * The SDK's one retry module: exponential backoff with full jitter, retrying only errors whose
 * `retriable` is true, and never sooner than a server's `Retry-After` allows.
 *
 * The delay before retry n (counting from 0) is a random time between 0 and
 * `min(maxRetryTime, initialRetryTime * multiplier^n)` ("full jitter"), so that many clients
 * failing together do not come back together.
 */
import { z } from "zod";
import { TributaryError } from "./errors.ts";
import { intIn } from "./options.ts";

/**
 * How a call is retried when it fails with a retriable error (kafkajs's names). Times are in
 * milliseconds.
 */
export interface RetryOptions {
  /** How many times to retry after the first attempt; 0 turns retrying off. Default 5. */
  retries?: number;
  /** The ceiling of the first backoff. Default 300. */
  initialRetryTime?: number;
  /** The largest backoff ceiling. Default 30000 (or initialRetryTime, when that is larger). */
  maxRetryTime?: number;
  /** How much the ceiling grows per retry. Default 2. */
  multiplier?: number;
}

/** Retry options with every field resolved. */
export type RetryPolicy = Readonly<Required<RetryOptions>>;

/** The defaults, as kafkajs has them. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 5, initialRetryTime: 300, maxRetryTime: 30_000, multiplier: 2 };

/** The schema of `RetryOptions`, with the allowed ranges. */
export const retryOptionsSchema = z
  .strictObject({
    retries: intIn(0, 100).optional(),
    initialRetryTime: intIn(0, 60_000).optional(),
    maxRetryTime: intIn(0, 600_000).optional(),
    multiplier: z
      .number({ error: "must be a number from 1 to 10" })
      .min(1, "must be a number from 1 to 10")
      .max(10, "must be a number from 1 to 10")
      .optional(),
  })
  .check((ctx) => {
    const { initialRetryTime, maxRetryTime } = ctx.value;
    if (initialRetryTime !== undefined && maxRetryTime !== undefined && maxRetryTime < initialRetryTime) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        path: ["maxRetryTime"],
        message: `must be at least initialRetryTime (${initialRetryTime})`,
      });
    }
  });

/** Resolves (already validated) options over `base`. */
export function resolveRetry(options: RetryOptions | undefined, base: RetryPolicy = DEFAULT_RETRY): RetryPolicy {
  const initialRetryTime = options?.initialRetryTime ?? base.initialRetryTime;
  return {
    retries: options?.retries ?? base.retries,
    initialRetryTime,
    maxRetryTime: options?.maxRetryTime ?? Math.max(base.maxRetryTime, initialRetryTime),
    multiplier: options?.multiplier ?? base.multiplier,
  };
}

/** The largest backoff before retry `attempt` (0 for the first retry). */
export function backoffCeiling(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxRetryTime, policy.initialRetryTime * policy.multiplier ** attempt);
}

/**
 * The wait before retry `attempt` after `error`: full jitter under the backoff ceiling, but
 * never less than the server's Retry-After (retrying sooner would only be refused again).
 */
export function retryDelay(attempt: number, policy: RetryPolicy, error?: unknown, random = Math.random): number {
  const jittered = Math.round(random() * backoffCeiling(attempt, policy));
  const retryAfter = error instanceof TributaryError ? error.retryAfterMs : undefined;
  return retryAfter === undefined ? jittered : Math.max(retryAfter, jittered);
}

/** Whether `error` is one the retry module retries. */
export function isRetriable(error: unknown): boolean {
  return error instanceof TributaryError && error.retriable;
}

/** What the retry module tells `onRetry` before it waits. */
export interface RetryEvent {
  /** The retry about to happen, from 0. */
  attempt: number;
  delayMs: number;
  error: TributaryError;
}

/** Run-time controls of `retry`: stopping, observing, and (in tests) time and randomness. */
export interface RetryControl {
  /** Stops waiting and retrying; the signal's reason is thrown. */
  signal?: AbortSignal;
  onRetry?: (event: RetryEvent) => void;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `operation`, and again after a backoff each time it fails with a retriable
 * TributaryError, at most `policy.retries` more times. Any other error, and the last one, is
 * thrown as it is.
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  control: RetryControl = {},
): Promise<T> {
  const wait = control.sleep ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (control.signal?.aborted) throw control.signal.reason;
      if (!isRetriable(error) || attempt >= policy.retries) throw error;
      const delayMs = retryDelay(attempt, policy, error, control.random);
      control.onRetry?.({ attempt, delayMs, error: error as TributaryError });
      await wait(delayMs, control.signal);
    }
  }
}
