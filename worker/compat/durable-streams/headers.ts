/**
 * The protocol's request headers, parsed and checked before anything is stored. Failures are
 * the plain-text 400 answers the protocol's reference server gives.
 */

export const H = {
  nextOffset: "Stream-Next-Offset",
  cursor: "Stream-Cursor",
  upToDate: "Stream-Up-To-Date",
  closed: "Stream-Closed",
  seq: "Stream-Seq",
  ttl: "Stream-TTL",
  expiresAt: "Stream-Expires-At",
  sseEncoding: "Stream-SSE-Data-Encoding",
  producerId: "Producer-Id",
  producerEpoch: "Producer-Epoch",
  producerSeq: "Producer-Seq",
  expectedSeq: "Producer-Expected-Seq",
  receivedSeq: "Producer-Received-Seq",
} as const;

/**
 * CORS and browser-safety headers on every answer (the protocol's section on browsers). The
 * allowed origin itself is CORS_ORIGINS's, as for the rest of the API (middleware/cors.ts).
 */
export const COMMON_HEADERS: Record<string, string> = {
  "access-control-allow-methods": "GET, POST, PUT, DELETE, HEAD, OPTIONS",
  "access-control-allow-headers":
    "content-type, authorization, if-none-match, Stream-Seq, Stream-TTL, Stream-Expires-At, Stream-Closed, Producer-Id, Producer-Epoch, Producer-Seq, Stream-Forked-From, Stream-Fork-Offset, Stream-Fork-Sub-Offset",
  "access-control-expose-headers":
    "Stream-Next-Offset, Stream-Cursor, Stream-Up-To-Date, Stream-Closed, Producer-Epoch, Producer-Seq, Producer-Expected-Seq, Producer-Received-Seq, etag, content-type, content-encoding, vary",
  "x-content-type-options": "nosniff",
  "cross-origin-resource-policy": "cross-origin",
};

type Invalid = { invalid: string };

export interface CreateOptions {
  contentType: string;
  ttlSeconds?: number;
  expiresAt?: string;
  closed: boolean;
}

const DEFAULT_CONTENT_TYPE = "application/octet-stream";
const TTL = /^(0|[1-9]\d*)$/;
const STRICT_INTEGER = /^\d+$/;

/** The request's content type, if it names one (`type/subtype`). */
export function givenContentType(headers: Headers): string | undefined {
  const given = headers.get("content-type")?.trim();
  return given && /^[\w-]+\/[\w-]+/.test(given) ? given : undefined;
}

export function parseCreate(headers: Headers): CreateOptions | Invalid {
  const contentType = givenContentType(headers) ?? DEFAULT_CONTENT_TYPE;
  const ttl = headers.get(H.ttl) ?? undefined;
  const expiresAt = headers.get(H.expiresAt) ?? undefined;
  if (ttl !== undefined && expiresAt !== undefined) {
    return { invalid: "Cannot specify both Stream-TTL and Stream-Expires-At" };
  }
  if (ttl !== undefined && (!TTL.test(ttl) || !Number.isSafeInteger(Number(ttl)))) {
    return { invalid: "Invalid Stream-TTL value" };
  }
  if (expiresAt !== undefined && Number.isNaN(new Date(expiresAt).getTime())) {
    return { invalid: "Invalid Stream-Expires-At timestamp" };
  }
  return {
    contentType,
    ttlSeconds: ttl === undefined ? undefined : Number(ttl),
    expiresAt,
    closed: headers.get(H.closed) === "true",
  };
}

export interface ProducerHeaders {
  id: string;
  epoch: number;
  seq: number;
}

/** The producer triple, if the request carries one: all three headers or none. */
export function parseProducer(headers: Headers): { producer?: ProducerHeaders } | Invalid {
  const id = headers.get(H.producerId) ?? undefined;
  const epoch = headers.get(H.producerEpoch) ?? undefined;
  const seq = headers.get(H.producerSeq) ?? undefined;
  if (id === undefined && epoch === undefined && seq === undefined) return {};
  if (id === undefined || epoch === undefined || seq === undefined) {
    return { invalid: "All producer headers (Producer-Id, Producer-Epoch, Producer-Seq) must be provided together" };
  }
  if (id === "") return { invalid: "Invalid Producer-Id: must not be empty" };
  if (!STRICT_INTEGER.test(epoch) || !Number.isSafeInteger(Number(epoch))) {
    return { invalid: "Invalid Producer-Epoch: must be a non-negative integer" };
  }
  if (!STRICT_INTEGER.test(seq) || !Number.isSafeInteger(Number(seq))) {
    return { invalid: "Invalid Producer-Seq: must be a non-negative integer" };
  }
  return { producer: { id, epoch: Number(epoch), seq: Number(seq) } };
}

export interface ForkHeaders {
  from: string;
  offsetHeader?: string;
  subOffset?: number;
}

const FORK_OFFSET = /^\d+_\d+$/;
const SUB_OFFSET = /^(0|[1-9]\d*)$/;

/** Stream-Forked-From, Stream-Fork-Offset and Stream-Fork-Sub-Offset, if the create is a fork. */
export function parseFork(headers: Headers): { fork?: ForkHeaders } | Invalid {
  const from = headers.get("stream-forked-from") ?? undefined;
  const offsetHeader = headers.get("stream-fork-offset") ?? undefined;
  const sub = headers.get("stream-fork-sub-offset") ?? undefined;
  if (sub !== undefined && from === undefined) return { invalid: "Stream-Fork-Sub-Offset requires Stream-Forked-From" };
  if (from === undefined) return {};
  if (offsetHeader !== undefined && !FORK_OFFSET.test(offsetHeader)) {
    return { invalid: "Invalid Stream-Fork-Offset format" };
  }
  if (sub !== undefined && (!SUB_OFFSET.test(sub) || !Number.isSafeInteger(Number(sub)))) {
    return { invalid: "Invalid Stream-Fork-Sub-Offset format" };
  }
  return { fork: { from, offsetHeader, subOffset: sub === undefined ? undefined : Number(sub) } };
}
