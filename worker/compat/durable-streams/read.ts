/** Reads: HEAD (the stream's state), GET from an offset (catch-up, `live=long-poll`, `live=sse`). */
import {
  bytesBody,
  isJsonStream,
  isTextStream,
  jsonBody,
  type StreamRecord,
} from "../../../cluster/durable-streams/bodies.ts";
import { readPartition } from "../../../cluster/reads.ts";
import type { StreamView } from "../../../cluster/rpc/durable-stream.ts";
import { durableStreamStub } from "../../../cluster/stubs.ts";
import { bytesToBase64 } from "../../../sdk/base64.ts";
import { type Ctx, empty, etagOf, text } from "./answers.ts";
import { responseCursor } from "./cursor.ts";
import { H } from "./headers.ts";
import { encodeOffset, parseOffset } from "./offsets.ts";
import { controlEvent, sseEvent } from "./sse.ts";

/** How long a long-poll (or an idle SSE connection between keep-alives) waits at the tail. */
const LIVE_WAIT_MS = 10_000;
/** Stored bytes per partition read; a catch-up read answers at most about this much, then the client follows. */
const READ_MAX_BYTES = 4 * 1024 * 1024;
const READ_MAX_RECORDS = 100_000;

export async function head(c: Ctx, path: string): Promise<Response> {
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

export async function read(c: Ctx, path: string): Promise<Response> {
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
