/**
 * The wire error table shared by the worker and the SDK: every error code the API can answer,
 * with its HTTP status and whether a client may retry it. Codes reuse Kafka's names where Kafka
 * has one.
 */
export const ERROR_CODES = {
  INVALID_REQUEST: { status: 400, retriable: false },
  INVALID_TOPIC_EXCEPTION: { status: 400, retriable: false },
  INVALID_PARTITIONS: { status: 400, retriable: false },
  INVALID_CONFIG: { status: 400, retriable: false },
  INVALID_RECORD: { status: 400, retriable: false },
  INVALID_GROUP_ID: { status: 400, retriable: false },
  INVALID_SESSION_TIMEOUT: { status: 400, retriable: false },
  UNAUTHENTICATED: { status: 401, retriable: false },
  TOPIC_AUTHORIZATION_FAILED: { status: 403, retriable: false },
  GROUP_AUTHORIZATION_FAILED: { status: 403, retriable: false },
  CLUSTER_AUTHORIZATION_FAILED: { status: 403, retriable: false },
  NOT_FOUND: { status: 404, retriable: false },
  UNKNOWN_TOPIC_OR_PARTITION: { status: 404, retriable: false },
  UNKNOWN_MEMBER_ID: { status: 404, retriable: false },
  GROUP_ID_NOT_FOUND: { status: 404, retriable: false },
  TOKEN_NOT_FOUND: { status: 404, retriable: false },
  METHOD_NOT_ALLOWED: { status: 405, retriable: false },
  TOPIC_ALREADY_EXISTS: { status: 409, retriable: false },
  ILLEGAL_GENERATION: { status: 409, retriable: false },
  REBALANCE_IN_PROGRESS: { status: 409, retriable: false },
  NON_EMPTY_GROUP: { status: 409, retriable: false },
  MEMBER_ID_REQUIRED: { status: 409, retriable: false },
  INCONSISTENT_GROUP_PROTOCOL: { status: 409, retriable: false },
  FENCED_INSTANCE_ID: { status: 409, retriable: false },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { status: 409, retriable: false },
  INVALID_PRODUCER_EPOCH: { status: 409, retriable: false },
  PRODUCER_FENCED: { status: 409, retriable: false },
  MESSAGE_TOO_LARGE: { status: 413, retriable: false },
  RECORD_LIST_TOO_LARGE: { status: 413, retriable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retriable: false },
  OFFSET_OUT_OF_RANGE: { status: 416, retriable: false },
  THROTTLING_QUOTA_EXCEEDED: { status: 429, retriable: true },
  UNKNOWN_SERVER_ERROR: { status: 500, retriable: false },
  NOT_ENOUGH_REPLICAS: { status: 503, retriable: true },
  NOT_LEADER_OR_FOLLOWER: { status: 503, retriable: true },
  LEADER_NOT_AVAILABLE: { status: 503, retriable: true },
  REQUEST_TIMED_OUT: { status: 504, retriable: true },
} as const satisfies Record<string, { status: number; retriable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The body of every error response: `{"error": {"code", "message", "retriable", ...details}}`. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    retriable: boolean;
    [detail: string]: unknown;
  };
}

/** A failure as Durable Objects return it across RPC (custom error classes do not survive RPC). */
export interface Failure {
  ok: false;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export type Result<T> = ({ ok: true } & T) | Failure;

export function failure(code: ErrorCode, message: string, details?: Record<string, unknown>): Failure {
  return details ? { ok: false, code, message, details } : { ok: false, code, message };
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  // code, message and retriable first (and never overridden by a detail).
  const head = { code, message, retriable: ERROR_CODES[code].retriable };
  return { error: Object.assign({ ...head }, details, head) };
}
