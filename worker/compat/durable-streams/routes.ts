/**
 * The Durable Streams protocol (https://github.com/durable-streams/durable-streams) over
 * Tributary: PUT creates a stream, POST appends (or closes), GET reads from an offset (catch-up,
 * `live=long-poll` or `live=sse`), HEAD gives its metadata, DELETE removes it. Each stream is a
 * single-partition topic; a DurableStream object per path holds the protocol's own state and
 * is the stream's only writer. Answers use the protocol's headers, status codes and plain-text
 * error bodies, as its reference server does.
 */

import type { Context } from "hono";
import { Hono } from "hono";
import {
  bytesBody,
  encodeBody,
  isJsonStream,
  isTextStream,
  jsonBody,
  type StreamRecord,
} from "../../../cluster/durable-streams/bodies.ts";
import { readPartition } from "../../../cluster/reads.ts";
import type { AppendOutcome, CreateOutcome, StreamView } from "../../../cluster/rpc/durable-stream.ts";
import { durableStreamStub } from "../../../cluster/stubs.ts";
import { bytesToBase64 } from "../../../sdk/base64.ts";
import { ERROR_CODES, type Failure } from "../../../sdk/protocol/errors.ts";
import { maxRequestBytes } from "../../body.ts";
import { bearerAuth } from "../../middleware/auth.ts";
import { responseCursor } from "./cursor.ts";
import { COMMON_HEADERS, givenContentType, H, parseCreate, parseFork, parseProducer } from "./headers.ts";
import { encodeOffset, parseOffset } from "./offsets.ts";
import { controlEvent, sseEvent } from "./sse.ts";

/** Where app.ts mounts the protocol: a stream `orders/eu` is `/ds/orders/eu`. */
export const DURABLE_STREAMS_MOUNT = "/ds";

/** How long a long-poll (or an idle SSE connection between keep-alives) waits at the tail. */
export const LIVE_WAIT_MS = 10_000;
/** Stored bytes per partition read; a catch-up read answers at most about this much, then the client follows. */
const READ_MAX_BYTES = 4 * 1024 * 1024;
const READ_MAX_RECORDS = 100_000;

type Ctx = Context<{ Bindings: Env }>;

export const durableStreamsRoutes = new Hono<{ Bindings: Env }>();

durableStreamsRoutes.use("*", async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(COMMON_HEADERS)) {
    if (!c.res.headers.has(name)) c.res.headers.set(name, value);
  }
});
// CORS preflights carry no credentials, so they are answered before auth.
durableStreamsRoutes.options("*", () => new Response(null, { status: 204, headers: COMMON_HEADERS }));
durableStreamsRoutes.use("*", bearerAuth);
durableStreamsRoutes.all("*", async (c) => {
  const path = streamPath(c);
  if (!path) return text(404, "Stream not found");
  switch (c.req.method) {
    case "PUT":
      return create(c, path);
    case "POST":
      return append(c, path);
    case "GET":
      return read(c, path);
    case "HEAD":
      return head(c, path);
    case "DELETE":
      return remove(c, path);
    default:
      return text(405, "Method not allowed");
  }
});

/** The stream's path below the mount point, as sent (still percent-encoded). */
function streamPath(c: Ctx): string | undefined {
  const pathname = new URL(c.req.url).pathname;
  const path = pathname.slice(DURABLE_STREAMS_MOUNT.length);
  return path.length > 1 ? path : undefined;
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain", ...headers } });
}

function empty(status: number, headers: Record<string, string>): Response {
  return new Response(null, { status, headers });
}

function failed(failure: Failure): Response {
  const { status, retriable } = ERROR_CODES[failure.code];
  return text(status, failure.message, retriable ? { "retry-after": "1" } : {});
}

async function readBody(c: Ctx): Promise<Uint8Array | Response> {
  const limit = maxRequestBytes(c.env);
  if (Number(c.req.header("content-length") ?? "0") > limit) return text(413, `Body over ${limit} bytes`);
  const body = new Uint8Array(await c.req.arrayBuffer());
  return body.byteLength > limit ? text(413, `Body over ${limit} bytes`) : body;
}

function etagOf(path: string, from: string, to: string, closed: boolean): string {
  return `"${bytesToBase64(new TextEncoder().encode(path))}:${from}:${to}${closed ? ":c" : ""}"`;
}

async function create(c: Ctx, path: string): Promise<Response> {
  const settings = parseCreate(c.req.raw.headers);
  if ("invalid" in settings) return text(400, settings.invalid);
  const forked = parseFork(c.req.raw.headers);
  if ("invalid" in forked) return text(400, forked.invalid);
  const { fork } = forked;
  let forkOffset: number | undefined;
  if (fork?.offsetHeader !== undefined) {
    const parsed = parseOffset(fork.offsetHeader);
    forkOffset = parsed?.kind === "at" ? parsed.position : Number.POSITIVE_INFINITY;
  }
  const body = await readBody(c);
  if (body instanceof Response) return body;
  // A fork without a Content-Type takes its source's, which its body is then encoded for.
  let asked: Partial<typeof settings> = settings;
  let contentType = settings.contentType;
  if (fork && givenContentType(c.req.raw.headers) === undefined) {
    const { contentType: _, ...rest } = settings;
    asked = rest;
    const source = await durableStreamStub(c.env, fork.from).head();
    if (source.kind !== "found") {
      return source.kind === "gone"
        ? text(409, "source stream was deleted but still has active forks")
        : text(404, "Source stream not found");
    }
    contentType = source.view.contentType;
  }
  const encoded = body.byteLength > 0 ? encodeBody(body, contentType, true) : undefined;
  if (encoded && "ok" in encoded) return failed(encoded);
  const outcome = (await durableStreamStub(c.env, path).create(
    path,
    asked,
    encoded,
    fork && { from: fork.from, offset: forkOffset, offsetHeader: fork.offsetHeader, subOffset: fork.subOffset },
  )) as CreateOutcome;
  switch (outcome.kind) {
    case "created":
    case "exists": {
      const headers: Record<string, string> = {
        "content-type": outcome.view.contentType,
        [H.nextOffset]: encodeOffset(outcome.view.tail),
      };
      if (outcome.kind === "created") headers.location = c.req.url.split("?")[0]!;
      if (outcome.view.closed) headers[H.closed] = "true";
      return empty(outcome.kind === "created" ? 201 : 200, headers);
    }
    case "conflict":
      return text(409, "Stream already exists with different configuration");
    case "gone":
      return text(
        409,
        "stream was deleted but still has active forks — path cannot be reused until all forks are removed",
      );
    case "source_not_found":
      return text(404, "Source stream not found");
    case "source_gone":
      return text(409, "source stream was deleted but still has active forks");
    case "source_content_type_mismatch":
      return text(409, "Content type mismatch with source stream");
    case "invalid":
      return text(400, outcome.message);
    case "failed":
      return failed(outcome.failure);
  }
}

async function append(c: Ctx, path: string): Promise<Response> {
  const close = c.req.header(H.closed) === "true";
  const parsed = parseProducer(c.req.raw.headers);
  if ("invalid" in parsed) return text(400, parsed.invalid);
  const { producer } = parsed;
  const body = await readBody(c);
  if (body instanceof Response) return body;
  const contentType = c.req.header("content-type");
  if (body.byteLength === 0 && !close) return text(400, "Empty body");
  if (body.byteLength > 0 && !contentType) return text(400, "Content-Type header is required");
  const encoded = body.byteLength > 0 ? encodeBody(body, contentType!, false) : undefined;
  if (encoded && "ok" in encoded) return failed(encoded);
  const outcome = (await durableStreamStub(c.env, path).append({
    contentType,
    seq: c.req.header(H.seq),
    producer,
    close,
    body: encoded,
  })) as AppendOutcome;
  const producerHeaders = (seq: number): Record<string, string> =>
    producer ? { [H.producerEpoch]: String(producer.epoch), [H.producerSeq]: String(seq) } : {};
  const closedHeader = (closed: boolean): Record<string, string> => (closed ? { [H.closed]: "true" } : {});
  switch (outcome.kind) {
    case "appended":
      return empty(producer && encoded ? 200 : 204, {
        [H.nextOffset]: encodeOffset(outcome.tail),
        ...producerHeaders(producer?.seq ?? 0),
        ...closedHeader(outcome.closed),
      });
    case "duplicate":
      return empty(204, {
        [H.nextOffset]: encodeOffset(outcome.tail),
        ...producerHeaders(outcome.lastSeq),
        ...closedHeader(outcome.closed),
      });
    case "not_found":
      return text(404, "Stream not found");
    case "gone":
      return text(410, "Stream is gone");
    case "closed":
      return text(409, "Stream is closed", { [H.closed]: "true", [H.nextOffset]: encodeOffset(outcome.tail) });
    case "content_type_mismatch":
      return text(409, "Content-type mismatch");
    case "seq_conflict":
      return text(409, "Sequence conflict");
    case "stale_epoch":
      return text(403, "Stale producer epoch", { [H.producerEpoch]: String(outcome.currentEpoch) });
    case "invalid_epoch_seq":
      return text(400, "New epoch must start with sequence 0");
    case "sequence_gap":
      return text(409, "Producer sequence gap", {
        [H.expectedSeq]: String(outcome.expected),
        [H.receivedSeq]: String(outcome.received),
      });
    case "invalid":
      return text(400, outcome.message);
    case "failed":
      return failed(outcome.failure);
  }
}

async function head(c: Ctx, path: string): Promise<Response> {
  const found = await durableStreamStub(c.env, path).head();
  if (found.kind !== "found") return empty(found.kind === "gone" ? 410 : 404, { "content-type": "text/plain" });
  const { view } = found;
  const offset = encodeOffset(view.tail);
  const headers: Record<string, string> = {
    "content-type": view.contentType,
    [H.nextOffset]: offset,
    // The tail moves with every append: never cached.
    "cache-control": "no-store",
    etag: etagOf(path, "-1", offset, view.closed),
  };
  if (view.closed) headers[H.closed] = "true";
  if (view.ttlSeconds !== undefined) headers[H.ttl] = String(view.ttlSeconds);
  if (view.expiresAt !== undefined) headers[H.expiresAt] = view.expiresAt;
  return empty(200, headers);
}

async function remove(c: Ctx, path: string): Promise<Response> {
  const { kind } = await durableStreamStub(c.env, path).remove();
  if (kind === "gone") return text(410, "Stream is gone");
  return kind === "deleted" ? empty(204, {}) : text(404, "Stream not found");
}

interface Page {
  records: StreamRecord[];
  next: number;
  upToDate: boolean;
}

/** Records from `position` on, up to one page; undefined if the stream's topic went away meanwhile. */
async function readPage(env: Env, view: StreamView, position: number): Promise<Page | undefined> {
  const answer = await readPartition(env, view.topic, 0, {
    offset: position,
    maxRecords: READ_MAX_RECORDS,
    maxBytes: READ_MAX_BYTES,
    waitMs: 0,
  });
  if (!answer.ok) {
    if (answer.code === "UNKNOWN_TOPIC_OR_PARTITION") return undefined;
    throw new Error(`reading stream partition ${view.topic.name}: ${answer.code} ${answer.message}`);
  }
  const records = answer.count > 0 ? (JSON.parse(answer.records) as StreamRecord[]) : [];
  return { records, next: answer.nextOffset, upToDate: answer.nextOffset >= answer.highWatermark };
}

async function read(c: Ctx, path: string): Promise<Response> {
  const url = new URL(c.req.url);
  const offsets = url.searchParams.getAll("offset");
  const live = url.searchParams.get("live") ?? undefined;
  const cursor = url.searchParams.get("cursor") ?? undefined;
  const offsetParam = offsets[0];
  if (offsets.length > 1) return text(400, "Multiple offset parameters not allowed");
  if (offsetParam === "") return text(400, "Empty offset parameter");
  const offset = offsetParam === undefined ? { kind: "start" as const } : parseOffset(offsetParam);
  if (!offset) return text(400, "Invalid offset format");
  if ((live === "long-poll" || live === "sse") && offsetParam === undefined) {
    return text(400, `${live === "sse" ? "SSE" : "Long-poll"} requires offset parameter`);
  }
  const stub = durableStreamStub(c.env, path);
  const found = await stub.open();
  if (found.kind !== "found")
    return found.kind === "gone" ? text(410, "Stream is gone") : text(404, "Stream not found");
  let view = found.view;
  const start = offset.kind === "start" ? 0 : offset.kind === "now" ? view.tail : Math.min(offset.position, view.tail);
  if (live === "sse") return sse(c.env, stub, view, start, cursor);

  const contentType = { "content-type": view.contentType };
  if (offset.kind === "now" && live !== "long-poll") {
    return new Response(isJsonStream(view.contentType) ? "[]" : "", {
      status: 200,
      headers: {
        ...contentType,
        [H.nextOffset]: encodeOffset(view.tail),
        [H.upToDate]: "true",
        "cache-control": "no-store",
        ...(view.closed ? { [H.closed]: "true" } : {}),
      },
    });
  }

  let page = await readPage(c.env, view, start);
  if (!page) return text(404, "Stream not found");
  const caughtUp = offset.kind === "now" || (offset.kind === "at" && start === view.tail);
  if (live === "long-poll" && caughtUp && page.records.length === 0) {
    const timeoutHeaders = (closed: boolean) => ({
      [H.nextOffset]: encodeOffset(start),
      [H.upToDate]: "true",
      [H.cursor]: responseCursor(cursor),
      ...(closed ? { [H.closed]: "true" } : {}),
    });
    if (view.closed) return empty(204, timeoutHeaders(true));
    const waited = await stub.wait(start, LIVE_WAIT_MS);
    if (waited.kind !== "found") {
      return waited.kind === "gone" ? text(410, "Stream is gone") : text(404, "Stream not found");
    }
    view = waited.view;
    if (start >= view.tail) return empty(204, timeoutHeaders(view.closed));
    page = await readPage(c.env, view, start);
    if (!page) return text(404, "Stream not found");
  }

  const next = encodeOffset(page.next);
  const atTail = page.next >= view.tail;
  const closedHere = view.closed && atTail && page.upToDate;
  const etag = etagOf(path, offsetParam ?? "-1", next, closedHere);
  if (c.req.header("if-none-match") === etag) return empty(304, { etag });
  const headers: Record<string, string> = { ...contentType, [H.nextOffset]: next, etag };
  if (live === "long-poll") headers[H.cursor] = responseCursor(cursor);
  if (page.upToDate) headers[H.upToDate] = "true";
  if (closedHere) headers[H.closed] = "true";
  const body = isJsonStream(view.contentType) ? jsonBody(page.records) : bytesBody(page.records);
  return new Response(body, { status: 200, headers });
}

type Stub = ReturnType<typeof durableStreamStub>;

/**
 * `live=sse`: data events with the records, a control event (next offset, cursor, up-to-date)
 * after each batch, a keep-alive control event after each quiet wait, and a final control
 * event with `streamClosed` once a closed stream has been read to its end.
 */
function sse(env: Env, stub: Stub, first: StreamView, start: number, cursor: string | undefined): Response {
  const json = isJsonStream(first.contentType);
  const base64 = !isTextStream(first.contentType);
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const send = (event: string) => writer.write(encoder.encode(event));

  const run = async () => {
    let view = first;
    let position = start;
    for (;;) {
      const page = await readPage(env, view, position);
      if (!page) return;
      // A batch's data event and its control event go out in one write, so a reader never sees
      // the data without the offset after it.
      let data = "";
      if (page.records.length > 0) {
        const payload = json
          ? jsonBody(page.records)
          : base64
            ? bytesToBase64(bytesBody(page.records))
            : decoder.decode(bytesBody(page.records), { stream: true });
        data = sseEvent("data", payload);
      }
      position = page.next;
      const offset = encodeOffset(position);
      if (view.closed && position >= view.tail && page.upToDate) {
        await send(data + controlEvent({ streamNextOffset: offset, streamClosed: true }));
        return;
      }
      await send(
        data +
          controlEvent({
            streamNextOffset: offset,
            streamCursor: responseCursor(cursor),
            ...(page.upToDate ? { upToDate: true } : {}),
          }),
      );
      if (!page.upToDate) continue;
      const waited = await stub.wait(position, LIVE_WAIT_MS);
      if (waited.kind !== "found") return;
      view = waited.view;
      if (view.closed && position >= view.tail) {
        await send(controlEvent({ streamNextOffset: offset, streamClosed: true }));
        return;
      }
    }
  };
  // A write fails once the client has gone: that ends the loop.
  run()
    .catch(() => undefined)
    .finally(() => writer.close().catch(() => undefined));

  const headers: Record<string, string> = { "content-type": "text/event-stream", "cache-control": "no-cache" };
  if (base64) headers[H.sseEncoding] = "base64";
  return new Response(readable, { status: 200, headers });
}
