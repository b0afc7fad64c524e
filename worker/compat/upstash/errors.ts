/**
 * Errors in the form the Upstash REST API answered them and `@upstash/kafka` parses:
 * `{"error": "<message>", "status": <http status>}` (the client turns it into an
 * `UpstashError` whose message is `error`). The message starts with Tributary's error code.
 */
import { ERROR_CODES, type ErrorCode } from "../../../sdk/protocol/errors.ts";
import { toApiError } from "../../errors.ts";
import { requestMetrics } from "../../metrics/request-metrics.ts";

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
  const e = toApiError(err);
  requestMetrics.error(e.code);
  return answer(e.code, e.message, e.headers);
}
