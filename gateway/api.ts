/**
 * Tributary's HTTP API as the gateway calls it: the SDK's one fetch wrapper (sdk/http.ts), with
 * the token of the connection a request came on, so that Tributary checks each Kafka client's
 * rights as it checks any other caller's. Failures are TributaryErrors carrying the API's code,
 * which errors.ts maps to Kafka's.
 */
import type { z } from "zod";
import { TributaryError } from "../sdk/errors.ts";
import { type HttpRequest, send } from "../sdk/http.ts";

export interface ApiOptions {
  /** The worker's base URL. */
  url: string;
  /** How long to wait for an answer beyond a long poll's own wait. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

/** Calls of one client (one token). */
export interface Api {
  request<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.output<S>>;
}

export function createApi(options: ApiOptions, token: string): Api {
  const baseUrl = new URL(options.url.endsWith("/") ? options.url : `${options.url}/`);
  const fetchFn = options.fetch ?? fetch;
  const config = {
    baseUrl,
    token,
    fetch: (input: string, init: RequestInit) => fetchFn(input, init),
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
  };
  return { request: (request, schema) => send(config, request, schema) };
}

/** The API's error code of a failure (or CONNECTION_ERROR for anything else). */
export function codeOf(err: unknown): string {
  return err instanceof TributaryError ? err.code : "UNKNOWN_SERVER_ERROR";
}

export { TributaryError };
