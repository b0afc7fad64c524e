// The push source (sdk/push.ts) against a fake WebSocket the test drives: where it subscribes,
// how it resumes after a dropped socket, its fallback to fetch, and its flow control.
// test/e2e/consumer-push.test.ts runs it against a real worker.
import { describe, expect, it } from "vitest";
import type { HttpRequest, Transport } from "../../sdk/http.ts";
import { PushSource, type WebSocketConstructor } from "../../sdk/push.ts";

type Listener = (event: { data?: unknown }) => void;

/** A WebSocket the test opens, feeds and drops by hand. */
class FakeSocket {
  static made: FakeSocket[] = [];
  readyState = 0;
  closed = false;
  readonly sent: string[] = [];
  readonly #listeners = new Map<string, Listener[]>();

  constructor(
    readonly url: string,
    readonly init?: { headers?: Record<string, string> },
  ) {
    FakeSocket.made.push(this);
  }

  addEventListener(type: string, listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.closed = true;
  }

  emit(type: string, data?: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) listener({ data });
  }

  open(): this {
    this.readyState = 1;
    this.emit("open");
    return this;
  }

  /** Pushes a page of records `from` to `to` (exclusive). */
  page(from: number, to: number, highWatermark = to): void {
    const records = [];
    for (let o = from; o < to; o++) records.push({ partition: 0, offset: o, timestamp: 1_000 + o, value: o });
    this.emit("message", JSON.stringify({ records, nextOffset: to, highWatermark }));
  }

  drop(): void {
    this.emit("close");
  }
}

/** A transport answering fetches of records from `offset` with records up to `end`. */
function fakeTransport(end: number) {
  const requests: HttpRequest[] = [];
  const transport: Transport = {
    async request(request, schema) {
      requests.push(request);
      const from = Number(request.query?.offset);
      const records = [];
      for (let o = from; o < end; o++) records.push({ partition: 0, offset: o, timestamp: 1, value: o });
      return schema.parse({ records, nextOffset: Math.max(from, end), highWatermark: end, logStartOffset: 0 });
    },
  };
  return { transport, requests };
}

function source(options: { offset?: number; headers?: boolean; maxRecords?: number; waitMs?: number; end?: number }) {
  FakeSocket.made = [];
  const { transport, requests } = fakeTransport(options.end ?? 0);
  const connection = {
    baseUrl: new URL("https://tributary.test/base/"),
    token: "secret",
    webSocket: FakeSocket as unknown as WebSocketConstructor,
    headers: options.headers ?? true,
  };
  const push = new PushSource(connection, transport, {
    topic: "clicks",
    partition: 0,
    offset: options.offset ?? 0,
    maxRecords: options.maxRecords ?? 100,
    waitMs: options.waitMs ?? 5_000,
  });
  return { push, requests, connection };
}

const signal = () => new AbortController().signal;
const offsets = (batch: { records: { offset: number }[] }) => batch.records.map((r) => r.offset);
const latest = () => FakeSocket.made.at(-1)!;

describe("PushSource", () => {
  it("subscribes at its offset with the token in the Authorization header, and yields pushed records in order", async () => {
    const { push } = source({ offset: 5 });
    const first = push.next(signal());
    const socket = latest().open();
    expect(socket.url).toBe("wss://tributary.test/base/v1/topics/clicks/partitions/0/subscribe?offset=5");
    expect(socket.init).toEqual({ headers: { authorization: "Bearer secret" } });
    socket.page(5, 8, 10);
    expect(await first).toEqual({
      records: [5, 6, 7].map((o) => ({
        topic: "clicks",
        partition: 0,
        offset: o,
        timestamp: 1_000 + o,
        key: null,
        value: o,
        headers: {},
      })),
      highWatermark: 10,
      nextOffset: 8,
    });
    push.close();
    expect(socket.closed).toBe(true);
  });

  it("puts the token in the URL when the runtime's WebSocket takes no headers", async () => {
    const { push } = source({ headers: false, waitMs: 10 });
    await push.next(signal());
    expect(new URL(latest().url).searchParams.get("token")).toBe("secret");
    expect(latest().init).toBeUndefined();
    push.close();
  });

  it("falls back to the token in the URL when the constructor refuses headers", async () => {
    FakeSocket.made = [];
    let calls = 0;
    // Like a browser's WebSocket, whose second argument can only be protocols.
    class Picky extends FakeSocket {
      constructor(url: string, protocols?: unknown) {
        calls++;
        if (protocols !== undefined) throw new SyntaxError("invalid protocol");
        super(url);
      }
    }
    const { transport } = fakeTransport(0);
    const connection = {
      baseUrl: new URL("http://t.test/"),
      token: "secret",
      webSocket: Picky as unknown as WebSocketConstructor,
      headers: true,
    };
    const push = new PushSource(connection, transport, {
      topic: "t",
      partition: 0,
      offset: 0,
      maxRecords: 10,
      waitMs: 10,
    });
    await push.next(signal());
    expect(calls).toBe(2);
    expect(connection.headers).toBe(false);
    expect(latest().url).toBe("ws://t.test/v1/topics/t/partitions/0/subscribe?offset=0&token=secret");
    push.close();
  });

  it("replaces a dropped socket with one subscribed after the last record received, skipping repeats", async () => {
    const { push } = source({});
    const first = push.next(signal());
    latest().open().page(0, 3);
    expect(offsets(await first)).toEqual([0, 1, 2]);
    latest().drop();

    const second = push.next(signal());
    const replacement = latest();
    expect(FakeSocket.made).toHaveLength(2);
    expect(new URL(replacement.url).searchParams.get("offset")).toBe("3");
    replacement.open().page(2, 5); // a page that starts before the offset asked for
    expect(offsets(await second)).toEqual([3, 4]);
    push.close();
  });

  it("reads by fetch when a socket cannot be opened, then tries a socket again", async () => {
    const { push, requests } = source({ offset: 2, end: 4 });
    const first = push.next(signal());
    latest().emit("error");
    latest().emit("close");
    expect(offsets(await first)).toEqual([2, 3]);
    expect(requests.map((r) => [r.path, r.query?.offset])).toEqual([["v1/topics/clicks/partitions/0/records", 2]]);

    const second = push.next(signal());
    expect(FakeSocket.made).toHaveLength(2);
    expect(new URL(latest().url).searchParams.get("offset")).toBe("4");
    latest().open().page(4, 5);
    expect(offsets(await second)).toEqual([4]);
    push.close();
  });

  it("hands out at most maxRecords at a time, and closes the socket while too much waits", async () => {
    const { push } = source({ maxRecords: 10 });
    const first = push.next(signal());
    const socket = latest().open();
    socket.page(0, 1_200); // over the buffer's limit (1000 records)
    expect(offsets(await first)).toEqual([...Array(10).keys()]);
    expect(socket.closed).toBe(true);

    // Once the buffer has drained below half, the source subscribes from after what it holds.
    let taken = 10;
    while (taken < 800) taken += (await push.next(signal())).records.length;
    expect(FakeSocket.made).toHaveLength(2);
    expect(new URL(latest().url).searchParams.get("offset")).toBe("1200");
    push.close();
  });

  it("answers no records after waitMs when nothing comes, and stops waiting when aborted", async () => {
    const { push } = source({ waitMs: 20 });
    const idle = push.next(signal());
    latest().open();
    expect(await idle).toEqual({ records: [], highWatermark: 0, nextOffset: 0 });

    const controller = new AbortController();
    const waiting = push.next(controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    push.close();
  });
});
