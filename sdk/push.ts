/**
 * Where a consumer's partition loop gets its records from: a WebSocket subscription (push) when
 * the runtime has WebSockets, long-poll fetches otherwise. Both follow a position, so a
 * source closed and opened again at the last offset processed misses nothing.
 *
 * The push source falls back to one long-poll fetch whenever its socket cannot be opened: the
 * fetch makes progress and, when something is wrong (an offset out of range, a deleted topic,
 * a bad token), it fails with the server's error, which a failed WebSocket upgrade cannot say.
 */
import type { z } from "zod";
import type { Transport } from "./http.ts";
import { partitionPath } from "./paths.ts";
import { subscribePageSchema } from "./protocol/schemas.ts";
import { decodeRecord, type FetchPage, fetchRecords, type ReaderRecord } from "./reader.ts";

/** What a source yields: the next records of the partition, in order (maybe none yet). */
export interface SourceBatch {
  records: ReaderRecord[];
  /** The partition's high watermark when the records were read. */
  highWatermark: number;
  /**
   * Where the source reads on from after these records: past the last of them, and past any
   * gap after it (offsets a compacted log no longer has).
   */
  nextOffset: number;
}

/** Records of one partition from a position on. */
export interface PartitionSource {
  /**
   * The next records after those already returned; waits a while for some, then may answer
   * none. Throws the server's errors (e.g. `OffsetOutOfRangeError`) and the signal's reason.
   */
  next(signal: AbortSignal): Promise<SourceBatch>;
  /** Stops the source (closes its socket); it must not be used afterwards. */
  close(): void;
}

/**
 * The WebSocket the SDK needs: the standard browser API. `globalThis.WebSocket` of Node 22+,
 * Deno, Bun, browsers and Workers fits, and so do the `WebSocket` classes of the `undici` and
 * `ws` packages (which also take `{ headers }` as second argument).
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: { data?: unknown }) => void): void;
}

/** A WebSocket class: `new WebSocket(url)`, or `new WebSocket(url, { headers })` where supported. */
export type WebSocketConstructor = new (
  url: string,
  protocolsOrOptions?: string | string[] | { headers?: Record<string, string> },
) => WebSocketLike;

/** Where a source reads: the partition, the start offset, and how much at a time. */
export interface SourceOptions {
  topic: string;
  partition: number;
  offset: number;
  /** At most this many records per batch. */
  maxRecords: number;
  /** How long one wait for new records lasts, in ms (a long poll's waitMs). */
  waitMs: number;
}

/** How a push source reaches the worker. */
export interface PushConnection {
  baseUrl: URL;
  token: string;
  webSocket: WebSocketConstructor;
  /**
   * Whether the constructor takes `{ headers }` (Node, Deno, Bun, the undici and ws packages).
   * If not (browsers, Workers), the token goes in the URL (`?token=`), which the worker accepts
   * on subscribe only.
   */
  headers: boolean;
}

/** The global WebSocket class of this runtime, if it has one. */
export function globalWebSocket(): WebSocketConstructor | undefined {
  const ws = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof ws === "function" ? (ws as WebSocketConstructor) : undefined;
}

/** Whether this runtime's WebSocket constructor takes `{ headers }` (Node, Deno, Bun do; browsers do not). */
export function runtimeSendsHeaders(): boolean {
  const g = globalThis as { Deno?: unknown; Bun?: unknown; process?: { versions?: { node?: unknown } } };
  const inWorkers =
    (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent === "Cloudflare-Workers";
  return !inWorkers && (g.Deno !== undefined || g.Bun !== undefined || typeof g.process?.versions?.node === "string");
}

/** Reads with long polls: one fetch per `next`, from the position on. */
export function fetchSource(transport: Transport, options: SourceOptions): PartitionSource {
  let position = options.offset;
  return {
    async next(signal) {
      const page = await fetchRecords(transport, {
        topic: options.topic,
        partition: options.partition,
        offset: position,
        maxRecords: options.maxRecords,
        waitMs: options.waitMs,
        signal,
      });
      position = page.nextOffset;
      return { records: page.records, highWatermark: page.highWatermark, nextOffset: page.nextOffset };
    },
    close() {},
  };
}

/** With no message for this long, the source sends "ping"; the worker answers "pong". */
const PING_AFTER_MS = 15_000;
/** A socket silent this long after a ping is taken for dead and replaced. */
const PONG_TIMEOUT_MS = 10_000;
/** The most fetches the source makes before trying a socket again. */
const MAX_FETCH_ROUNDS = 16;

/**
 * Reads by WebSocket subscription: the worker pushes every record from the position on, and
 * new ones as they are appended. Records wait in a buffer until `next` takes them; a full
 * buffer closes the socket (so a slow handler does not pile up memory), and the source
 * subscribes again from where the buffer ends once it has drained. A socket that closes, or
 * goes silent, is replaced by one subscribed at the same position.
 */
export class PushSource implements PartitionSource {
  readonly #connection: PushConnection;
  readonly #options: SourceOptions;
  readonly #fetch: (offset: number, signal: AbortSignal) => Promise<FetchPage>;
  readonly #maxBuffered: number;
  /** The offset after the last record received. */
  #received: number;
  #highWatermark = 0;
  #buffer: ReaderRecord[] = [];
  #socket: WebSocketLike | undefined;
  #opened = false;
  #failures = 0;
  #fetchRounds = 0;
  #closed = false;
  #wake: (() => void) | undefined;
  #lastMessageAt = 0;
  #pingedAt = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(connection: PushConnection, transport: Transport, options: SourceOptions) {
    this.#connection = connection;
    this.#options = options;
    this.#received = options.offset;
    this.#maxBuffered = Math.max(1000, options.maxRecords * 4);
    this.#fetch = (offset, signal) =>
      fetchRecords(transport, {
        topic: options.topic,
        partition: options.partition,
        offset,
        maxRecords: options.maxRecords,
        waitMs: options.waitMs,
        signal,
      });
  }

  async next(signal: AbortSignal): Promise<SourceBatch> {
    for (;;) {
      signal.throwIfAborted();
      if (this.#closed) throw new Error("the push source is closed");
      if (this.#socket === undefined && this.#buffer.length < this.#maxBuffered / 2) {
        if (this.#fetchRounds > 0 && this.#buffer.length === 0) {
          // No socket could be opened: read by fetch, which also surfaces the server's error.
          this.#fetchRounds--;
          const page = await this.#fetch(this.#received, signal);
          this.#received = page.nextOffset;
          this.#highWatermark = page.highWatermark;
          return { records: page.records, highWatermark: page.highWatermark, nextOffset: page.nextOffset };
        }
        if (this.#fetchRounds === 0) this.#connect();
      }
      if (this.#buffer.length > 0) {
        const records = this.#buffer.splice(0, this.#options.maxRecords);
        const nextOffset = this.#buffer[0]?.offset ?? this.#received;
        return { records, highWatermark: this.#highWatermark, nextOffset };
      }
      if (this.#socket === undefined) continue; // it failed at once: fetch
      if (!(await this.#waitForRecords(signal))) {
        return { records: [], highWatermark: this.#highWatermark, nextOffset: this.#received };
      }
    }
  }

  close(): void {
    this.#closed = true;
    this.#buffer = [];
    this.#drop();
    this.#wake?.();
  }

  /**
   * Waits for records or a closed socket (true), or for `waitMs` to pass (false); rejects with
   * the signal's reason when it is aborted.
   */
  #waitForRecords(signal: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const cleanUp = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#wake = undefined;
      };
      const onAbort = () => {
        cleanUp();
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        cleanUp();
        resolve(false);
      }, this.#options.waitMs);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#wake = () => {
        cleanUp();
        resolve(true);
      };
    });
  }

  #connect(): void {
    if (this.#socket !== undefined || this.#closed) return;
    const { baseUrl, token, webSocket, headers } = this.#connection;
    const { topic, partition } = this.#options;
    const url = new URL(`${partitionPath(topic, partition)}/subscribe`, baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("offset", String(this.#received));
    let socket: WebSocketLike;
    try {
      if (headers) {
        socket = new webSocket(url.href, { headers: { authorization: `Bearer ${token}` } });
      } else {
        url.searchParams.set("token", token);
        socket = new webSocket(url.href);
      }
    } catch {
      // A constructor that refuses `{ headers }`: pass the token in the URL from now on.
      if (!headers) {
        this.#failed();
        return;
      }
      this.#connection.headers = false;
      this.#connect();
      return;
    }
    this.#socket = socket;
    this.#opened = false;
    this.#lastMessageAt = Date.now();
    this.#pingedAt = 0;
    socket.addEventListener("open", () => {
      if (socket !== this.#socket) return;
      this.#opened = true;
      this.#timer ??= setInterval(() => this.#checkAlive(), Math.min(PING_AFTER_MS, PONG_TIMEOUT_MS) / 2);
    });
    socket.addEventListener("message", (event) => {
      if (socket !== this.#socket) return;
      this.#lastMessageAt = Date.now();
      this.#pingedAt = 0;
      if (event.data === "pong" || typeof event.data !== "string") return;
      if (this.#receive(event.data)) delivered = true;
    });
    let delivered = false;
    const onEnd = () => {
      if (socket !== this.#socket) return;
      this.#drop();
      // A socket that never opened, or closed without a record, counts as failed: the next
      // read is a fetch, so a server that keeps refusing sockets is not asked in a tight loop.
      if (delivered) this.#failures = 0;
      else this.#failed();
      this.#wake?.();
    };
    socket.addEventListener("close", onEnd);
    socket.addEventListener("error", onEnd);
  }

  /** Buffers the records of a page; false if `data` is not a page. */
  #receive(data: string): boolean {
    let page: z.output<typeof subscribePageSchema>;
    try {
      page = subscribePageSchema.parse(JSON.parse(data));
    } catch {
      return false; // the worker sends nothing else but "pong"
    }
    this.#highWatermark = page.highWatermark;
    for (const wire of page.records) {
      if (wire.offset < this.#received) continue; // already had it (a page sent before a reconnect)
      this.#buffer.push(decodeRecord(this.#options.topic, wire));
    }
    this.#received = Math.max(this.#received, page.nextOffset);
    // Enough waiting: stop the flow until the buffer drains (then subscribe from #received).
    if (this.#buffer.length >= this.#maxBuffered) this.#drop();
    if (this.#buffer.length > 0) this.#wake?.();
    return true;
  }

  /** A socket failed: read by fetch for a while, longer after each failure in a row. */
  #failed(): void {
    this.#failures++;
    this.#fetchRounds = Math.min(MAX_FETCH_ROUNDS, 2 ** (this.#failures - 1));
  }

  #checkAlive(): void {
    if (!this.#socket || !this.#opened) return;
    const now = Date.now();
    if (this.#pingedAt > 0 && now - this.#pingedAt > PONG_TIMEOUT_MS) {
      this.#drop();
      this.#wake?.();
    } else if (this.#pingedAt === 0 && now - this.#lastMessageAt > PING_AFTER_MS) {
      this.#pingedAt = now;
      try {
        this.#socket.send("ping");
      } catch {
        this.#drop();
      }
    }
  }

  /** Forgets the current socket (closing it); its late events are ignored. */
  #drop(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#opened = false;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      socket?.close(1000, "done");
    } catch {
      // already closing
    }
  }
}
