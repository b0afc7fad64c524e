/** The consumer's errors, and how it tells failures worth waiting out from those that stop it. */
import { TributaryError } from "../errors.ts";
import { isRetriable } from "../retry.ts";

/**
 * `autoOffsetReset` is `"none"` and the group has no committed offset for a partition it was
 * assigned. Commit an offset for it (or reset the group's offsets), or start from "earliest"
 * or "latest".
 *
 * @example
 * const consumer = client.consumer({ groupId: "billing", autoOffsetReset: "none" });
 * await consumer.subscribe({ topic: "orders" });
 * try {
 *   await consumer.run({ eachMessage });
 * } catch (err) {
 *   if (!(err instanceof NoOffsetError)) throw err;
 *   console.error(`no committed offset for ${err.topic}/${err.partition}`);
 * }
 */
export class NoOffsetError extends TributaryError {
  readonly topic: string;
  readonly partition: number;

  constructor(groupId: string, topic: string, partition: number) {
    super({
      code: "NO_OFFSET_FOR_PARTITION",
      message: `consumer group '${groupId}' has no committed offset for ${topic}/${partition} and autoOffsetReset is "none": commit an offset for it (or reset the group's offsets), or use autoOffsetReset "earliest" or "latest"`,
      retriable: false,
      details: { group: groupId, topic, partition },
    });
    this.name = "NoOffsetError";
    this.topic = topic;
    this.partition = partition;
  }
}

/** A call the consumer's state does not allow now (run twice, subscribe while running, …). */
export function illegalState(message: string): TributaryError {
  return new TributaryError({ code: "ILLEGAL_STATE", message, retriable: false });
}

/**
 * Whether a failure of a background call may pass if tried again later: a retriable error, or
 * a server error (5xx), which the consumer waits out rather than stopping for.
 */
export function transient(error: unknown): boolean {
  return isRetriable(error) || (error instanceof TributaryError && (error.status ?? 0) >= 500);
}

/** Whether `error` is a TributaryError with one of `codes`. */
export function hasCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof TributaryError && codes.includes(error.code);
}

/** `error` as an Error (a thrown non-Error is wrapped). */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
