/** The protocol's answers: plain-text errors and empty bodies with headers, as its reference server gives them. */
import type { Context } from "hono";
import { bytesToBase64 } from "../../../sdk/base64.ts";
import { ERROR_CODES, type Failure } from "../../../sdk/protocol/errors.ts";
import { maxRequestBytes } from "../../body.ts";

export type Ctx = Context<{ Bindings: Env }>;

export function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain", ...headers } });
}

export function empty(status: number, headers: Record<string, string>): Response {
  return new Response(null, { status, headers });
}

export function failed(failure: Failure): Response {
  const { status, retriable } = ERROR_CODES[failure.code];
  return text(status, failure.message, retriable ? { "retry-after": "1" } : {});
}

export async function readBody(c: Ctx): Promise<Uint8Array | Response> {
  const limit = maxRequestBytes(c.env);
  if (Number(c.req.header("content-length") ?? "0") > limit) return text(413, `Body over ${limit} bytes`);
  const body = new Uint8Array(await c.req.arrayBuffer());
  return body.byteLength > limit ? text(413, `Body over ${limit} bytes`) : body;
}

export function etagOf(path: string, from: string, to: string, closed: boolean): string {
  return `"${bytesToBase64(new TextEncoder().encode(path))}:${from}:${to}${closed ? ":c" : ""}"`;
}
