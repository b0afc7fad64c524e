/**
 * Gzip for request bodies, with the web's CompressionStream, which Node (18+), Deno, Bun,
 * browsers and Workers all have. The worker reads `Content-Encoding: gzip` bodies.
 */
import { invalidArgument } from "./errors.ts";
import type { FetchFunction } from "./http.ts";

/** Bodies smaller than this (in bytes) are sent as they are: gzip would save little or nothing. */
export const GZIP_MIN_BYTES = 1024;

/** The compression codecs a producer can use. */
export type CompressionType = "gzip" | "none";

/** Whether this runtime has CompressionStream. */
export function hasCompressionStream(): boolean {
  return typeof CompressionStream === "function";
}

/** Throws a clear error when gzip is asked for on a runtime without CompressionStream. */
export function checkCompression(compression: CompressionType, where: string): void {
  if (compression === "gzip" && !hasCompressionStream()) {
    throw invalidArgument(
      `${where}: compression: "gzip" needs the global CompressionStream, which this runtime lacks (Node 18+, Deno, Bun, browsers and Workers have it); use compression: "none"`,
      { field: "compression" },
    );
  }
}

interface ByteTransform {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<BufferSource>;
}

async function pipe(data: Uint8Array, transform: ByteTransform): Promise<Uint8Array<ArrayBuffer>> {
  const writer = transform.writable.getWriter();
  // Written while read: a large body would otherwise fill the stream's queue and stall.
  const writing = writer.write(data as Uint8Array<ArrayBuffer>).then(() => writer.close());
  const [out] = await Promise.all([new Response(transform.readable).arrayBuffer(), writing]);
  return new Uint8Array(out);
}

/** Gzips `data`. */
export function gzip(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return pipe(data, new CompressionStream("gzip"));
}

/** Gunzips `data` (the inverse of `gzip`; used by tests and tools). */
export function gunzip(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return pipe(data, new DecompressionStream("gzip"));
}

const encoder = new TextEncoder();

/**
 * Wraps `fetch` so that string bodies of at least `minBytes` are gzipped and sent with
 * `Content-Encoding: gzip`. Smaller bodies, and requests without a body, pass through as they are.
 */
export function gzipBodies(fetch: FetchFunction, minBytes = GZIP_MIN_BYTES): FetchFunction {
  return async (input, init) => {
    if (typeof init.body !== "string" || init.body.length < minBytes / 3) return fetch(input, init);
    const bytes = encoder.encode(init.body);
    if (bytes.length < minBytes) return fetch(input, init);
    const headers = new Headers(init.headers);
    headers.set("content-encoding", "gzip");
    return fetch(input, { ...init, headers, body: await gzip(bytes) });
  };
}
