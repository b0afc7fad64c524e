// The real @durable-streams/client against the local worker's /ds mount: only the URL and the
// bearer token (its `headers` option) differ from using it against any Durable Streams server.
import { DurableStream, FetchError, IdempotentProducer, StaleEpochError, stream } from "@durable-streams/client";
import { describe, expect, inject, it } from "vitest";
import { topicNameFor } from "../../cluster/durable-streams/topic-name.ts";

const base = inject("baseUrl");
const token = inject("token");
const headers = { Authorization: `Bearer ${token}` };
let n = 0;
const newPath = (what: string) => `/client-tests/${what}-${Date.now().toString(36)}-${(n++).toString(36)}`;
const urlOf = (path: string) => `${base}/ds${path}`;

async function waitFor<T>(check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("@durable-streams/client against Tributary", () => {
  it("writes JSON events with the idempotent producer, reads them back in order, and they are a topic's records", async () => {
    const path = newPath("events");
    const handle = await DurableStream.create({ url: urlOf(path), headers, contentType: "application/json" });
    const producer = new IdempotentProducer(handle, "orders-writer", { headers, lingerMs: 5 });
    const events = Array.from({ length: 500 }, (_, i) => ({ i, kind: i % 3 === 0 ? "order" : "click" }));
    for (const event of events) producer.append(JSON.stringify(event));
    await producer.flush();
    await producer.close();

    const res = await stream<{ i: number; kind: string }>({ url: urlOf(path), headers, live: false });
    expect(await res.json()).toEqual(events);

    // The same records through Tributary's own API: one JSON message per record, in one partition.
    const topic = await topicNameFor(path);
    const described = await fetch(`${base}/v1/topics/${topic}`, { headers });
    expect(described.status).toBe(200);
    const { partitions } = (await described.json()) as { partitions: { highWatermark: number }[] };
    expect(partitions).toHaveLength(1);
    expect(partitions[0]!.highWatermark).toBe(events.length);
  });

  it("delivers appends live over SSE and long-poll, and resumes from a saved offset", async () => {
    const path = newPath("live");
    const handle = await DurableStream.create({ url: urlOf(path), headers, contentType: "application/json" });
    await handle.append(JSON.stringify({ n: 0 }));

    const seen: number[] = [];
    let offset: string | undefined;
    const live = await handle.stream<{ n: number }>({ live: "sse" });
    live.subscribeJson(async (batch) => {
      for (const item of batch.items) seen.push(item.n);
      if (seen.length === 2) offset = batch.offset;
    });
    await handle.append(JSON.stringify({ n: 1 }));
    await waitFor(() => (seen.length >= 2 ? true : undefined));
    live.cancel();
    expect(seen).toEqual([0, 1]);

    // The client sends each append as one JSON message (an array stays one message).
    await handle.append(JSON.stringify({ n: 2 }));
    await handle.append(JSON.stringify([3]));
    const resumed = await stream<{ n: number } | number[]>({ url: urlOf(path), headers, offset, live: "long-poll" });
    const more: number[] = [];
    resumed.subscribeJson(async (batch) => {
      for (const item of batch.items) more.push(Array.isArray(item) ? item[0] : item.n);
    });
    await waitFor(() => (more.length >= 2 ? true : undefined));
    await handle.append(JSON.stringify({ n: 4 }));
    await waitFor(() => (more.length >= 3 ? true : undefined));
    resumed.cancel();
    expect(more).toEqual([2, 3, 4]);
  });

  it("keeps binary bodies byte for byte, large ones included", async () => {
    const path = newPath("bytes");
    const handle = await DurableStream.create({ url: urlOf(path), headers, contentType: "application/octet-stream" });
    const small = Uint8Array.from({ length: 256 }, (_, i) => i);
    const large = new Uint8Array(1_500_000);
    for (let i = 0; i < large.length; i++) large[i] = (i * 7919) % 251;
    await handle.append(small);
    await handle.append(large);
    const body = await (await handle.stream({ live: false })).body();
    expect(body.length).toBe(small.length + large.length);
    expect(Buffer.from(body).equals(Buffer.concat([small, large]))).toBe(true);
  });

  it("closes a stream: readers see the end, appends are refused", async () => {
    const path = newPath("closing");
    const handle = await DurableStream.create({ url: urlOf(path), headers, contentType: "text/plain" });
    await handle.append("last words");
    await handle.close();
    const res = await handle.stream({ live: "long-poll" });
    expect(await res.text()).toBe("last words");
    expect(res.streamClosed).toBe(true);
    expect((await handle.head()).streamClosed).toBe(true);
    await expect(handle.append("more")).rejects.toThrow();
  });

  it("fences a producer whose epoch is older than one the stream has seen", async () => {
    const path = newPath("fencing");
    const handle = await DurableStream.create({ url: urlOf(path), headers, contentType: "text/plain" });
    const newer = new IdempotentProducer(handle, "writer", { headers, epoch: 1 });
    newer.append("from epoch 1");
    await newer.flush();
    const errors: unknown[] = [];
    const zombie = new IdempotentProducer(handle, "writer", { headers, epoch: 0, onError: (e) => errors.push(e) });
    zombie.append("from epoch 0");
    await zombie.flush().catch((e: unknown) => errors.push(e));
    expect(errors.some((e) => e instanceof StaleEpochError)).toBe(true);
    expect(await (await handle.stream({ live: false })).text()).toBe("from epoch 1");
  });

  it("answers a fork of a stream from itself as a missing source, at once", async () => {
    const path = newPath("self-fork");
    const res = await fetch(urlOf(path), { method: "PUT", headers: { ...headers, "Stream-Forked-From": path } });
    expect(res.status).toBe(404);
    expect((await fetch(urlOf(path), { method: "HEAD", headers })).status).toBe(404);
  });

  it("refuses a client without the token", async () => {
    const path = newPath("auth");
    const error = await DurableStream.create({ url: urlOf(path), contentType: "text/plain" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).status).toBe(401);
    expect((await fetch(urlOf(path), { method: "HEAD", headers })).status).toBe(404);
  });
});
