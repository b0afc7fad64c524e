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

/** CORS and browser-safety headers on every answer (the protocol's section on browsers). */
export const COMMON_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, DELETE, HEAD, OPTIONS",
  "access-control-allow-headers":
    "content-type, authorization, if-none-match, Stream-Seq, Stream-TTL, Stream-Expires-At, Stream-Closed, Producer-Id, Producer-Epoch, Producer-Seq",
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

export function parseCreate(headers: Headers): CreateOptions | Invalid {
  const given = headers.get("content-type")?.trim();
  const contentType = given && /^[\w-]+\/[\w-]+/.test(given) ? given : DEFAULT_CONTENT_TYPE;
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
