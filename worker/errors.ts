/** The worker's one error type; `app.onError` turns it (and anything else) into the envelope. */
import type { ErrorCode, Failure, Result } from "../sdk/protocol/errors.ts";

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }

  static from(f: Failure): ApiError {
    const wait = f.details?.retryAfterMs;
    const headers =
      typeof wait === "number" ? { "Retry-After": String(Math.max(1, Math.ceil(wait / 1000))) } : undefined;
    return new ApiError(f.code, f.message, f.details, headers);
  }
}

/** The success value of a Durable Object result, without its `ok` flag; throws a failure. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw ApiError.from(result);
  const { ok: _, ...value } = result;
  return value as T;
}
