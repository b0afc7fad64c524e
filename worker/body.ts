/** Reading JSON request bodies: size limit, optional gzip, and a clear error for bad JSON. */
import type { Context } from "hono";
import { ApiError } from "./errors.ts";

export const DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024;

export function maxRequestBytes(env: Env): number {
  const n = Number(env.MAX_REQUEST_BYTES);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_MAX_REQUEST_BYTES;
}

function tooLarge(limit: number): ApiError {
  return new ApiError(
    "RECORD_LIST_TOO_LARGE",
    `the request body is over the limit of ${limit} bytes; send fewer records per request`,
    { maxRequestBytes: limit },
  );
}

/** The request body as text, at most `limit` bytes after decompression. */
export async function readBodyText(c: Context<{ Bindings: Env }>): Promise<string> {
  const limit = maxRequestBytes(c.env);
  const declared = Number(c.req.header("content-length") ?? "0");
  const encoding = c.req.header("content-encoding")?.toLowerCase();
  if (!encoding || encoding === "identity") {
    if (declared > limit) throw tooLarge(limit);
    const text = await c.req.text();
    if (text.length > limit) throw tooLarge(limit);
    return text;
  }
  if (encoding !== "gzip" && encoding !== "deflate") {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", `content-encoding '${encoding}' is not supported; use gzip or none`);
  }
  const body = c.req.raw.body;
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const reader = body.pipeThrough(new DecompressionStream(encoding)).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError("INVALID_REQUEST", `the ${encoding} request body could not be decompressed: ${String(err)}`);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** The body parsed as JSON; an empty body is an error unless `emptyAs` says what it stands for. */
export async function readJson(
  c: Context<{ Bindings: Env }>,
  emptyAs?: unknown,
): Promise<{ json: unknown; text: string }> {
  const text = await readBodyText(c);
  if (text.trim().length === 0) {
    if (emptyAs !== undefined) return { json: emptyAs, text };
    throw new ApiError("INVALID_REQUEST", "the request body is empty; send a JSON object");
  }
  try {
    return { json: JSON.parse(text), text };
  } catch (err) {
    throw new ApiError("INVALID_REQUEST", `the request body is not valid JSON: ${(err as Error).message}`);
  }
}
