/**
 * The SDK's errors: one root, `TributaryError`, carrying the wire `code` and whether the call may
 * be retried; a subclass only where callers branch on it (`OffsetOutOfRangeError`, whose bounds
 * say where to read from instead).
 */
import type { ErrorCode } from "./protocol/errors.ts";
import { MAX_REASON_LENGTH } from "./protocol/schemas.ts";

/**
 * Codes the SDK itself raises, beside the server's codes (see `ERROR_CODES` in
 * sdk/protocol/errors.ts):
 * - `CONNECTION_ERROR`: the server could not be reached, or answered something that is not
 *   Tributary's JSON (a proxy's error page, a cut-off body).
 * - `REQUEST_TIMED_OUT`: the server's code, also used when the SDK gives up waiting.
 * - `INVALID_RESPONSE`: the server answered JSON the SDK does not understand (a version mismatch).
 * - `INVALID_ARGUMENT`: options or arguments given to the SDK are wrong; the message names the field.
 */
export type ClientErrorCode = "CONNECTION_ERROR" | "INVALID_RESPONSE" | "INVALID_ARGUMENT";

/**
 * Every code a `TributaryError` can carry. Open-ended, so that a newer server's codes still
 * come through.
 */
export type TributaryErrorCode = ErrorCode | ClientErrorCode | (string & {});

/** What a `TributaryError` is made of. */
export interface TributaryErrorInit {
  code: TributaryErrorCode;
  message: string;
  retriable: boolean;
  /** The HTTP status of the answer, when there was one. */
  status?: number;
  /** The extra fields of the error envelope, e.g. `{ topic, partition }`. */
  details?: Record<string, unknown>;
  /** How long the server asked us to wait before retrying (its `Retry-After` header), in ms. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * The root of every error the SDK throws (except the reason of an `AbortSignal` the caller
 * aborted, which is passed through unchanged).
 *
 * @example
 * try {
 *   await admin.createTopic({ topic: "clicks", partitions: 6 });
 * } catch (err) {
 *   if (!(err instanceof TributaryError) || err.code !== "TOPIC_ALREADY_EXISTS") throw err;
 * }
 */
export class TributaryError extends Error {
  /** The error code: one of the server's (Kafka's names) or one of `ClientErrorCode`. */
  readonly code: TributaryErrorCode;
  /** Whether the same call may succeed if tried again; the retry module retries only these. */
  readonly retriable: boolean;
  /** The HTTP status of the answer, or undefined when no answer came. */
  readonly status: number | undefined;
  /** The envelope's extra fields (e.g. `topic`, `partition`, `field`). */
  readonly details: Record<string, unknown>;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(init: TributaryErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "TributaryError";
    this.code = init.code;
    this.retriable = init.retriable;
    this.status = init.status;
    this.details = init.details ?? {};
    this.retryAfterMs = init.retryAfterMs;
  }
}

/**
 * A fetch asked for an offset outside the partition's log: below `logStartOffset` (retention
 * removed those records) or above `highWatermark`. Read again from one of the two.
 *
 * @example
 * try {
 *   page = await client.fetch({ topic, partition, offset });
 * } catch (err) {
 *   if (!(err instanceof OffsetOutOfRangeError)) throw err;
 *   page = await client.fetch({ topic, partition, offset: err.logStartOffset });
 * }
 */
export class OffsetOutOfRangeError extends TributaryError {
  /** The first offset the partition still holds. */
  readonly logStartOffset: number;
  /** The offset the next record appended to the partition will get. */
  readonly highWatermark: number;

  constructor(init: Omit<TributaryErrorInit, "code" | "retriable">) {
    super({ ...init, code: "OFFSET_OUT_OF_RANGE", retriable: false });
    this.name = "OffsetOutOfRangeError";
    const { logStartOffset, highWatermark } = init.details ?? {};
    this.logStartOffset = typeof logStartOffset === "number" ? logStartOffset : Number.NaN;
    this.highWatermark = typeof highWatermark === "number" ? highWatermark : Number.NaN;
  }
}

/**
 * A thrown value as the reason of a failure (a nack's, a retry topic's headers), cut to what
 * the server keeps.
 */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text;
}

/** An `INVALID_ARGUMENT` error: options or arguments given to the SDK are wrong. */
export function invalidArgument(message: string, details?: Record<string, unknown>): TributaryError {
  return new TributaryError({ code: "INVALID_ARGUMENT", message, retriable: false, details });
}

/**
 * The producer was fenced: a newer producer with the same transactionalId took over (or the
 * producer's epoch is too old). It sends nothing more; make a new producer.
 */
export class ProducerFencedError extends TributaryError {
  constructor(init: Omit<TributaryErrorInit, "code" | "retriable">) {
    super({ ...init, code: "PRODUCER_FENCED", retriable: false });
    this.name = "ProducerFencedError";
  }
}
