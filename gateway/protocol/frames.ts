/**
 * Framing: every Kafka request and response is a 4-byte big-endian size and that many bytes. A
 * request starts with its header (API key, version, correlation id, client id), whose version
 * follows from whether the API's version is flexible; so does the response header's, except
 * that ApiVersions always answers with header v0 (a client reads it before it knows versions).
 */
import { Reader } from "@platformatic/kafka";
import { decode, encode, MalformedRequest, type Struct } from "./codec.ts";
import { type ApiSpec, type Definitions, inRange } from "./schema.ts";

export const API_VERSIONS_KEY = 18;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Splits a byte stream into frames, refusing any over `maxFrameBytes` before buffering it. */
export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Adds received bytes; answers the frames now complete (their bodies, without the size). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const size = head.readInt32BE(0);
      if (size < 0 || size > this.maxFrameBytes) {
        throw new MalformedRequest(`a request of ${size} bytes is over the gateway's limit of ${this.maxFrameBytes}`);
      }
      if (this.buffered < 4 + size) break;
      const all = Buffer.concat(this.chunks, this.buffered);
      frames.push(all.subarray(4, 4 + size));
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return frames;
  }

  /** Bytes held for a frame not yet complete. */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    return Buffer.concat(this.chunks, this.buffered).subarray(0, n);
  }
}

/** The header of a request frame, and a reader at its body. */
export function readHeader(defs: Definitions, frame: Buffer): { header: RequestHeader; body: Reader; api?: ApiSpec } {
  if (frame.length < 8) throw new MalformedRequest(`a request of ${frame.length} bytes has no room for a header`);
  const reader = Reader.from(frame);
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const api = defs.apis.get(apiKey);
  // An unknown API, or a version past what the definitions know: read the v1 header, which every
  // version shares up to the client id (a v2 header's tagged fields stay unread in the body), so
  // that ApiVersions can still be answered.
  const flexible =
    api !== undefined && knowsVersion(api, apiVersion) && inRange(api.request.flexibleVersions, apiVersion);
  const h = decode(defs.requestHeader, flexible ? 2 : 1, reader);
  const header: RequestHeader = {
    apiKey,
    apiVersion,
    correlationId: h.correlationId as number,
    clientId: (h.clientId as string | null) ?? null,
  };
  return { header, body: reader, api };
}

/** A response frame: size, header, body. */
export function responseFrame(
  defs: Definitions,
  api: ApiSpec,
  version: number,
  correlationId: number,
  body: Struct,
): Buffer {
  const flexible = api.apiKey !== API_VERSIONS_KEY && inRange(api.response.flexibleVersions, version);
  const w = encode(defs.responseHeader, flexible ? 1 : 0, { correlationId });
  encode(api.response, version, body, w);
  return w.prependLength().buffer;
}

/** Whether the definitions (and so this gateway) know `version` of the API. */
export function knowsVersion(api: ApiSpec, version: number): boolean {
  return inRange(api.request.validVersions, version);
}
