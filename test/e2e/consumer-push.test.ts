// Push delivery in the SDK consumer: records come over a WebSocket per partition. Node 20 has
// no global WebSocket, so the test passes one: undici's (the WebSocket Node 22 ships as its
// global; the undici package is in node_modules as a dependency of miniflare). The consumer
// on Deno, with its global WebSocket, is covered by test/e2e/consumer-deno.test.ts.
import { WebSocket as UndiciWebSocket } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type Consumer, createClient, type FetchFunction, type WebSocketLike } from "../../sdk/index.ts";
import { client, fast, fill, newTopic, retry, token, unique, url, waitFor } from "./consumer-helpers.ts";

const running: Consumer[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((c) => c.disconnect()));
});

/** undici's WebSocket, remembering every socket made and the URL it was made for. */
function trackedWebSocket() {
  const sockets: { url: URL; socket: WebSocketLike }[] = [];
  class Tracked extends UndiciWebSocket {
    constructor(address: string, init?: { headers?: Record<string, string> }) {
      super(address, init);
      sockets.push({ url: new URL(address), socket: this });
    }
  }
  return { Tracked, sockets };
}

/** A client whose fetches are counted by path. */
function countingClient() {
  const paths: string[] = [];
  const counting: FetchFunction = (input, init) => {
    paths.push(`${init.method ?? "GET"} ${new URL(input).pathname}`);
    return fetch(input, init);
  };
  return { c: createClient({ url, token, retry, fetch: counting }), paths };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("consumer push delivery", () => {
  it("reads over WebSockets, in order, and a socket that drops is replaced from the last offset with nothing lost", async () => {
    const topic = await newTopic(2);
    await fill(topic, 2, 10);
    const { Tracked, sockets } = trackedWebSocket();
    const { c, paths } = countingClient();
    const consumer = c.consumer({ groupId: unique("g"), ...fast, webSocket: Tracked });
    running.push(consumer);
    const seen: { partition: number; offset: number; value: unknown }[] = [];
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push({ partition, offset: message.offset, value: message.value });
      },
    });
    await waitFor(() => seen.length === 20, "the first 20 records");
    expect(sockets).toHaveLength(2);
    expect(sockets.map((s) => s.url.pathname).sort()).toEqual([
      `/v1/topics/${topic}/partitions/0/subscribe`,
      `/v1/topics/${topic}/partitions/1/subscribe`,
    ]);
    // The token went in the Authorization header, not in the URL.
    expect(sockets.every((s) => !s.url.searchParams.has("token"))).toBe(true);

    // The connections drop; records appended meanwhile come over the new sockets.
    for (const { socket } of sockets) socket.close(1000, "test");
    await fill(topic, 2, 5, 10);
    await waitFor(() => seen.length >= 30, "the records after the reconnect");
    for (const p of [0, 1]) {
      const mine = seen.filter((s) => s.partition === p);
      expect(mine.map((s) => s.offset)).toEqual(range(0, 15));
      expect(mine.map((s) => s.value)).toEqual(range(0, 15).map((i) => ({ p, i })));
    }
    const resumed = sockets.slice(2).map((s) => s.url.searchParams.get("offset"));
    expect(resumed).toEqual(["10", "10"]);
    // Everything came by push: not one fetch of records.
    expect(paths.filter((p) => p.startsWith("GET") && p.endsWith("/records"))).toEqual([]);
  });

  it("falls back to long polls when sockets cannot be opened, and still reads everything", async () => {
    const topic = await newTopic(1);
    await fill(topic, 1, 6);
    // A WebSocket that never connects (a proxy that refuses upgrades, say).
    class Refused extends UndiciWebSocket {
      constructor(address: string) {
        super(address.replace(/^ws:\/\/[^/]+/, "ws://127.0.0.1:9"));
      }
    }
    const { c, paths } = countingClient();
    const consumer = c.consumer({
      groupId: unique("g"),
      ...fast,
      webSocket: Refused,
    });
    running.push(consumer);
    const offsets: number[] = [];
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void offsets.push(message.offset) });
    await fill(topic, 1, 4, 6);
    await waitFor(() => offsets.length >= 10, "10 records");
    expect(offsets).toEqual(range(0, 10));
    expect(paths.some((p) => p.startsWith("GET") && p.endsWith("/records"))).toBe(true);
  });

  it('uses long polls only with push "off", even with a WebSocket at hand', async () => {
    const topic = await newTopic(1);
    await fill(topic, 1, 3);
    const { Tracked, sockets } = trackedWebSocket();
    const consumer = client.consumer({ groupId: unique("g"), ...fast, webSocket: Tracked, push: "off" });
    running.push(consumer);
    const offsets: number[] = [];
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void offsets.push(message.offset) });
    await waitFor(() => offsets.length === 3, "3 records");
    expect(sockets).toEqual([]);
  });
});
