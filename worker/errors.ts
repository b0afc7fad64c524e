/**
 * The worker's one error type, and what anything a route throws means as one. `app.onError`
 * answers it as the error envelope; the Upstash layer answers it in Upstash's form.
 */
import { HTTPException } from "hono/http-exception";
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

/** The success value of a result, without its `ok` flag; throws a failure as an ApiError. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw ApiError.from(result);
  const { ok: _, ...value } = result;
  return value as T;
}

/** Anything thrown while serving a request, as the ApiError to answer (logging what is unexpected). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    const code: ErrorCode =
      err.status === 413 ? "RECORD_LIST_TOO_LARGE" : err.status === 401 ? "UNAUTHENTICATED" : "INVALID_REQUEST";
    return new ApiError(code, err.message || "the request was refused");
  }
  // Errors thrown by the Durable Object runtime itself (object overloaded, reset, unreachable).
  const rt = err as Error & { retryable?: boolean; overloaded?: boolean };
  if (rt.overloaded) {
    return new ApiError(
      "THROTTLING_QUOTA_EXCEEDED",
      `the partition is overloaded, retry shortly: ${rt.message}`,
      undefined,
      { "Retry-After": "1" },
    );
  }
  if (rt.retryable) {
    return new ApiError("LEADER_NOT_AVAILABLE", `the partition is briefly unavailable, retry: ${rt.message}`);
  }
  console.error("unexpected error", err);
  return new ApiError("UNKNOWN_SERVER_ERROR", "the server failed unexpectedly; the error was logged");
}
