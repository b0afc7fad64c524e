/**
 * Forking a Durable Stream: a new fork asks its source's object for a starting point (the
 * source checks the fork point and resolves a sub-offset within its next message), then copies
 * the source's records below that point, page by page, into its own topic.
 */
import {
  bytesBody,
  isJsonStream,
  mediaType as normalize,
  STREAM_MAX_MESSAGE_BYTES,
  type StreamRecord,
} from "../../cluster/durable-streams/bodies.ts";
import { readPartition } from "../../cluster/reads.ts";
import type { CreateOutcome, EncodedBody, ForkRequest, ForkSource } from "../../cluster/rpc/durable-stream.ts";
import { encodeRecords } from "../../cluster/stored-records.ts";
import { durableStreamStub } from "../../cluster/stubs.ts";
import { bytesToBase64 } from "../../sdk/base64.ts";
import { type Failure, failure } from "../../sdk/protocol/errors.ts";
import { type StreamMeta, viewOf } from "./state.ts";
import type { StreamStore } from "./store.ts";

/** A fork copies its source in pages of this size. */
const COPY_PAGE_RECORDS = 1_000;
const COPY_PAGE_BYTES = 4 * 1024 * 1024;

/** Where a new fork starts, as its source gave it. */
export type ForkPoint = Extract<ForkSource, { kind: "ok" }>;

/** Appends records to the new fork's topic; a failure ends the copy. */
export type AddRecords = (encoded: EncodedBody) => Promise<Failure | undefined>;

/** Asks the source of a new fork for its starting point; anything else is the create's answer. */
export async function askSource(
  env: Env,
  fork: ForkRequest,
  contentType: string | undefined,
): Promise<ForkPoint | CreateOutcome> {
  const given = (await durableStreamStub(env, fork.from).forkFrom({
    offset: fork.offset,
    subOffset: fork.subOffset,
    contentType,
  })) as ForkSource;
  switch (given.kind) {
    case "ok":
      return given;
    case "not_found":
      return { kind: "source_not_found" };
    case "gone":
      return { kind: "source_gone" };
    case "content_type_mismatch":
      return { kind: "source_content_type_mismatch" };
    case "invalid":
      return { kind: "invalid", message: given.message };
  }
}

/**
 * The source's side: checks the fork point of a live stream and resolves a sub-offset within
 * the next message (a JSON stream's values, or a binary one's bytes, whose prefix the fork then
 * stores as its own first record). Counting the fork as a reference is the caller's.
 */
export async function forkPoint(
  env: Env,
  store: StreamStore,
  meta: StreamMeta,
  request: { offset?: number; subOffset?: number; contentType?: string },
): Promise<ForkSource> {
  if (request.contentType !== undefined && normalize(request.contentType) !== normalize(meta.contentType)) {
    return { kind: "content_type_mismatch" };
  }
  const at = request.offset ?? meta.tail;
  if (at > meta.tail) return { kind: "invalid", message: "Fork offset beyond source stream length" };
  let position = at;
  let prefixBase64: string | undefined;
  const boundaries = store.boundariesUpTo(at);
  const sub = request.subOffset ?? 0;
  if (sub > 0) {
    const end = store.nextBoundary(at);
    if (end === undefined) return { kind: "invalid", message: "Invalid fork sub-offset: no data past the fork offset" };
    if (isJsonStream(meta.contentType)) {
      if (sub > end - at) return { kind: "invalid", message: "Invalid fork sub-offset: past the message's values" };
      position = at + sub;
      boundaries.push(position);
    } else {
      const bytes = await readBytes(env, meta, at, end);
      if (sub > bytes.byteLength)
        return { kind: "invalid", message: "Invalid fork sub-offset: past the message's bytes" };
      prefixBase64 = bytesToBase64(bytes.subarray(0, sub));
    }
  }
  return { kind: "ok", view: viewOf(meta), position, prefixBase64, boundaries };
}

/** The record a binary sub-offset adds after the copy (the prefix of the source's next message), if any. */
export function forkPrefix(source: ForkPoint): EncodedBody | Failure | undefined {
  if (source.prefixBase64 === undefined) return undefined;
  return encodeRecords([{ valueBase64: source.prefixBase64 }], STREAM_MAX_MESSAGE_BYTES);
}

/** Copies a source's records below the fork point into the new fork's topic, page by page. */
export async function copySource(env: Env, source: ForkPoint, add: AddRecords): Promise<Failure | undefined> {
  const { view, position } = source;
  for (let offset = 0; offset < position; ) {
    const page = await readPartition(env, view.topic, 0, {
      offset,
      maxRecords: Math.min(COPY_PAGE_RECORDS, position - offset),
      maxBytes: COPY_PAGE_BYTES,
      waitMs: 0,
    });
    if (!page.ok) return page;
    const records = (JSON.parse(page.records) as StreamRecord[]).map((r) =>
      r.valueBase64 === undefined ? { value: r.value ?? null } : { valueBase64: r.valueBase64 },
    );
    if (records.length === 0) return failure("UNKNOWN_SERVER_ERROR", "the fork's source ended before the fork offset");
    const encoded = encodeRecords(records, STREAM_MAX_MESSAGE_BYTES);
    if ("ok" in encoded) return encoded;
    const failed = await add(encoded);
    if (failed) return failed;
    offset += records.length;
  }
  return undefined;
}

/** The bytes of a stream's records in [from, to). */
async function readBytes(env: Env, meta: StreamMeta, from: number, to: number): Promise<Uint8Array> {
  const page = await readPartition(env, meta.topic, 0, {
    offset: from,
    maxRecords: to - from,
    maxBytes: COPY_PAGE_BYTES,
    waitMs: 0,
  });
  return page.ok ? bytesBody(JSON.parse(page.records) as StreamRecord[]) : new Uint8Array(0);
}
