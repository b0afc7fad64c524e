/**
 * Errors in the form the Upstash REST API answered them and `@upstash/kafka` parses:
 * `{"error": "<message>", "status": <http status>}` (the client turns it into an
 * `UpstashError` whose message is `error`). The message starts with Tributary's error code.
 */
import { HTTPException } from "hono/http-exception";
import { ERROR_CODES, type ErrorCode } from "../../../sdk/protocol/errors.ts";
import { ApiError } from "../../errors.ts";

export interface UpstashErrorBody {
  error: string;
  status: number;
}

export interface UpstashErrorAnswer {
  status: number;
  body: UpstashErrorBody;
  headers?: Record<string, string>;
}

function answer(code: ErrorCode, message: string, headers?: Record<string, string>): UpstashErrorAnswer {
  const status = ERROR_CODES[code].status;
  return { status, body: { error: `${code}: ${message}`, status }, headers };
}

/** The answer for anything thrown while serving an Upstash route. */
export function toUpstashError(err: unknown): UpstashErrorAnswer {
  if (err instanceof ApiError) return answer(err.code, err.message, err.headers);
  if (err instanceof HTTPException) {
    const code: ErrorCode =
      err.status === 413 ? "RECORD_LIST_TOO_LARGE" : err.status === 401 ? "UNAUTHENTICATED" : "INVALID_REQUEST";
    return answer(code, err.message || "the request was refused");
  }
  // Errors of the Durable Object runtime itself (object overloaded, reset, unreachable).
  const rt = err as Error & { retryable?: boolean; overloaded?: boolean };
  if (rt.overloaded) {
    return answer("THROTTLING_QUOTA_EXCEEDED", `the partition is overloaded, retry shortly: ${rt.message}`, {
      "Retry-After": "1",
    });
  }
  if (rt.retryable) return answer("LEADER_NOT_AVAILABLE", `the partition is briefly unavailable, retry: ${rt.message}`);
  return answer("UNKNOWN_SERVER_ERROR", "the server failed unexpectedly; the error was logged");
}
