/**
 * Push delivery of one partition: WebSocket subscribers (through the hibernation API, so an
 * idle subscriber costs nothing: each socket's position lives in its attachment) and
 * Server-Sent Events streams (held in memory while open). Each gets every record from its
 * start offset on, in order, as messages of up to PAGE_RECORDS records:
 * `{"records": [...], "nextOffset", "highWatermark"}`. Resuming at the last `nextOffset`
 * (for SSE, the `Last-Event-ID` the browser sends back) loses nothing. Over a gap of a compacted
 * log, a message may carry no records and only the new `nextOffset`.
 */
import type { Page } from "./render.ts";

/** Reads a page of the log up to the high watermark (from SQLite or from R2), as LogReader.page does. */
export type ReadPage = (offset: number, maxRecords: number) => Promise<Page>;

interface SocketPosition {
  offset: number;
}

interface SseStream {
  offset: number;
  writer: WritableStreamDefaultWriter<Uint8Array>;
}

const PAGE_RECORDS = 500;
/** Pages sent to one subscriber per wake-up, so one slow reader cannot hold the object. */
const PAGES_PER_ROUND = 20;
const KEEPALIVE_MS = 15_000;
const encoder = new TextEncoder();

export const SUBSCRIBER_TAG = "subscriber";

export class Subscribers {
  private readonly sse = new Set<SseStream>();
  private keepalive: ReturnType<typeof setInterval> | undefined;
  private pumping = false;
  private again = false;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly read: ReadPage,
    private readonly highWatermark: () => number,
  ) {}

  acceptWebSocket(offset: number): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [SUBSCRIBER_TAG]);
    server.serializeAttachment({ offset } satisfies SocketPosition);
    this.wake();
    return new Response(null, { status: 101, webSocket: client });
  }

  openSse(offset: number): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const stream: SseStream = { offset, writer: writable.getWriter() };
    this.sse.add(stream);
    // Tell EventSource to come back after a second if the connection drops.
    void stream.writer.write(encoder.encode("retry: 1000\n\n")).catch(() => this.sse.delete(stream));
    this.keepalive ??= setInterval(() => this.ping(), KEEPALIVE_MS);
    this.wake();
    return new Response(readable, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
      },
    });
  }

  /** New records (or new subscribers): send what each subscriber has not had yet. */
  wake(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    queueMicrotask(
      () => void this.pump().catch((err: unknown) => console.error("pushing records to subscribers failed", err)),
    );
  }

  /** Closes every subscriber, e.g. when the topic is deleted. */
  closeAll(code: number, reason: string): void {
    for (const ws of this.ctx.getWebSockets(SUBSCRIBER_TAG)) ws.close(code, reason);
    for (const s of this.sse) void s.writer.close().catch(() => {});
    this.sse.clear();
  }

  /** A subscriber's message: subscribers only listen; a ping gets a pong so clients can check the connection. */
  message(ws: WebSocket, message: string | ArrayBuffer): void {
    if (message === "ping") ws.send("pong");
  }

  /** A subscriber closed its socket: close our end too, with a code that may be sent (1005 and 1006 may not). */
  closed(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  get count(): number {
    return this.ctx.getWebSockets(SUBSCRIBER_TAG).length + this.sse.size;
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        let behind = false;
        for (const ws of this.ctx.getWebSockets(SUBSCRIBER_TAG)) {
          const position = ws.deserializeAttachment() as SocketPosition | null;
          if (!position) continue;
          const offset = await this.deliver(position.offset, (message) => ws.send(message));
          if (offset !== position.offset) ws.serializeAttachment({ offset } satisfies SocketPosition);
          if (offset < this.highWatermark()) behind = true;
        }
        for (const s of this.sse) {
          const offset = await this.deliver(s.offset, (message, next) => {
            void s.writer
              .write(encoder.encode(`id: ${next}\nevent: records\ndata: ${message}\n\n`))
              .catch(() => this.sse.delete(s));
          });
          s.offset = offset;
          if (offset < this.highWatermark()) behind = true;
        }
        // Let other calls (appends, fetches) in before the next round for readers far behind.
        if (behind) {
          this.again = true;
          await new Promise((r) => setTimeout(r, 0));
        }
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  /** Sends up to PAGES_PER_ROUND pages from `offset`; returns the new position. */
  private async deliver(offset: number, send: (message: string, nextOffset: number) => void): Promise<number> {
    for (let page = 0; page < PAGES_PER_ROUND && offset < this.highWatermark(); page++) {
      const { json, next } = await this.read(offset, PAGE_RECORDS);
      if (next <= offset) break;
      try {
        send(`{"records":${json},"nextOffset":${next},"highWatermark":${this.highWatermark()}}`, next);
      } catch {
        return offset; // the socket is closing; it will be dropped
      }
      offset = next;
    }
    return offset;
  }

  private ping(): void {
    if (this.sse.size === 0) {
      if (this.keepalive !== undefined) clearInterval(this.keepalive);
      this.keepalive = undefined;
      return;
    }
    for (const s of this.sse) void s.writer.write(encoder.encode(": keepalive\n\n")).catch(() => this.sse.delete(s));
  }
}
