/**
 * The SDK's one fetch wrapper: one HTTP exchange with the worker. It adds the bearer token,
 * sends and reads JSON, checks answers against their schema, and turns every failure into a
 * TributaryError: the error envelope into its code, an unreachable server or an answer that
 * is not Tributary's JSON into a CONNECTION_ERROR. Retrying is the caller's business
 * (retry.ts); this module makes exactly one attempt.
 */
import type { z } from "zod";
import { OffsetOutOfRangeError, TributaryError } from "./errors.ts";
import { ERROR_CODES, isErrorCode } from "./protocol/errors.ts";

/**
 * The fetch the SDK calls: the global `fetch` by default. A Workers service binding works
 * too, bound to its binding: `(input, init) => env.TRIBUTARY.fetch(input, init)`.
 */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/** Where and how to reach the worker. */
export interface HttpConfig {
  /** The worker's base URL, ending in "/" (the API lives under `v1/` below it). */
  baseUrl: URL;
  token: string;
  fetch: FetchFunction;
  /** How long to wait for an answer, on top of a long poll's own wait. */
  requestTimeoutMs: number;
}

/** One API call. */
export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Relative to the base URL, e.g. `v1/topics/clicks`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Aborts the call; the signal's reason is thrown as it is. */
  signal?: AbortSignal;
  /** How long the server may hold the call on purpose (a long poll), in ms. */
  waitMs?: number;
}

/** Makes API calls and returns their checked answers; what admin, producer and reader use. */
export interface Transport {
  request<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.output<S>>;
}

/** The answer's `Retry-After` in milliseconds: delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat || "(empty)";
}

/** The TributaryError an answer with an error status stands for. */
function answerError(what: string, status: number, text: string, json: unknown, headers: Headers): TributaryError {
  const retryAfterMs = parseRetryAfter(headers.get("retry-after"));
  const envelope = isObject(json) ? json.error : undefined;
  if (isObject(envelope) && typeof envelope.code === "string" && typeof envelope.message === "string") {
    const { code, message, retriable, ...details } = envelope;
    const init = { message, status, details, retryAfterMs };
    if (code === "OFFSET_OUT_OF_RANGE") return new OffsetOutOfRangeError(init);
    return new TributaryError({
      ...init,
      code,
      retriable:
        typeof retriable === "boolean" ? retriable : isErrorCode(code) ? ERROR_CODES[code].retriable : status >= 500,
    });
  }
  // Not the worker's envelope: a proxy, a load balancer, or a URL that is not a Tributary worker.
  return new TributaryError({
    code: "CONNECTION_ERROR",
    message: `${what} answered ${status} with ${json === undefined ? "a body that is not JSON" : "JSON without an error envelope"} (${snippet(text)}); is the client's url the address of a Tributary worker?`,
    retriable: status >= 500 || status === 408 || status === 429,
    status,
    retryAfterMs,
  });
}

/**
 * `body`, or a rejection with the signal's reason once it aborts. Node's fetch (undici) can miss
 * an abort that comes while it reads a body, leaving `response.text()` pending forever
 * (nodejs/undici#4089, nodejs/node#56917): a consumer stopping mid-read would then never stop.
 */
function untilAborted<T>(body: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    body.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Makes one call and returns its answer checked against `schema`; throws a TributaryError for
 * every failure, except the reason of the caller's own abort signal.
 */
export async function send<S extends z.ZodType>(
  config: HttpConfig,
  request: HttpRequest,
  schema: S,
): Promise<z.output<S>> {
  const url = new URL(request.path, config.baseUrl);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const what = `${request.method} ${url.pathname}`;
  const userSignal = request.signal;
  userSignal?.throwIfAborted();

  const headers: Record<string, string> = { authorization: `Bearer ${config.token}`, accept: "application/json" };
  const init: RequestInit = { method: request.method, headers };
  if (request.body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(request.body);
  }

  // One controller for both the caller's signal and the timeout, so either one cancels the
  // request and the reading of its body.
  const controller = new AbortController();
  init.signal = controller.signal;
  const timeoutMs = config.requestTimeoutMs + (request.waitMs ?? 0);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort(userSignal?.reason);
  userSignal?.addEventListener("abort", onAbort, { once: true });

  const failed = (cause: unknown): never => {
    if (userSignal?.aborted) throw userSignal.reason;
    if (timedOut) {
      throw new TributaryError({
        code: "REQUEST_TIMED_OUT",
        message: `${what} got no answer within ${timeoutMs} ms`,
        retriable: true,
        cause,
      });
    }
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new TributaryError({
      code: "CONNECTION_ERROR",
      message: `${what} failed: the server at ${url.origin} could not be reached (${reason})`,
      retriable: true,
      cause,
    });
  };

  let response: Response;
  let text: string;
  try {
    response = await config.fetch(url.href, init);
    text = await untilAborted(response.text(), controller.signal);
  } catch (cause) {
    return failed(cause);
  } finally {
    clearTimeout(timer);
    userSignal?.removeEventListener("abort", onAbort);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) throw answerError(what, response.status, text, json, response.headers);
  if (json === undefined) {
    throw new TributaryError({
      code: "CONNECTION_ERROR",
      message: `${what} answered ${response.status} with a body that is not JSON (${snippet(text)}); it may have been cut off`,
      retriable: true,
      status: response.status,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TributaryError({
      code: "INVALID_RESPONSE",
      message: `${what} answered JSON this SDK does not understand (${issue.path.join(".") || "answer"}: ${issue.message}); are the SDK and the worker of the same version?`,
      retriable: false,
      status: response.status,
      details: { issues: parsed.error.issues },
    });
  }
  return parsed.data;
}
