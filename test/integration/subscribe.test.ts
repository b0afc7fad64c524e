import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createTopic, TOKEN, waitFor } from "../helpers/http.ts";

type Page = { records: { offset: number; value: unknown }[]; nextOffset: number; highWatermark: number };

async function openSocket(path: string) {
  const res = await exports.default.fetch(
    new Request(`http://t${path}`, { headers: { upgrade: "websocket", authorization: `Bearer ${TOKEN}` } }),
  );
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const pages: Page[] = [];
  ws.accept();
  ws.addEventListener("message", (e) => pages.push(JSON.parse(e.data as string)));
  return { ws, pages, records: () => pages.flatMap((p) => p.records) };
}

async function produce(topic: string, values: unknown[]) {
  const res = await call("POST", `/v1/topics/${topic}/partitions/0/records`, {
    records: values.map((value) => ({ value })),
  });
  expect(res.status).toBe(200);
}

describe("push delivery", () => {
  it("streams the backlog and then new records over a WebSocket, in order, and resumes after a reconnect with nothing lost", async () => {
    const topic = await createTopic(1);
    await produce(topic, [0, 1, 2]);
    const first = await openSocket(`/v1/topics/${topic}/partitions/0/subscribe?offset=0`);
    await waitFor(() => first.records().length === 3, 5000, "the backlog");
    await produce(topic, [3, 4]);
    await waitFor(() => first.records().length === 5, 5000, "the new records");
    const resumeAt = first.pages.at(-1)!.nextOffset;
    first.ws.close(1000, "bye");
    // Records appended while disconnected.
    await produce(topic, [5, 6, 7]);
    const second = await openSocket(`/v1/topics/${topic}/partitions/0/subscribe?offset=${resumeAt}`);
    await produce(topic, [8]);
    await waitFor(() => second.records().length === 4, 5000, "the records after the reconnect");
    const all = [...first.records(), ...second.records()];
    expect(all.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(all.map((r) => r.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    second.ws.close(1000, "done");
  });

  it("sends a large backlog in pages", async () => {
    const topic = await createTopic(1);
    await produce(
      topic,
      Array.from({ length: 1200 }, (_, i) => i),
    );
    const sub = await openSocket(`/v1/topics/${topic}/partitions/0/subscribe?offset=100`);
    await waitFor(() => sub.records().length === 1100, 10_000, "the whole backlog");
    expect(sub.pages.length).toBeGreaterThan(1);
    expect(sub.records().map((r) => r.offset)).toEqual(Array.from({ length: 1100 }, (_, i) => i + 100));
    sub.ws.close(1000, "done");
  });

  it("starts at the end by default and at earliest when asked", async () => {
    const topic = await createTopic(1);
    await produce(topic, ["old"]);
    const latest = await openSocket(`/v1/topics/${topic}/partitions/0/subscribe`);
    const earliest = await openSocket(`/v1/topics/${topic}/partitions/0/subscribe?offset=earliest`);
    await produce(topic, ["new"]);
    await waitFor(() => latest.records().length === 1 && earliest.records().length === 2, 5000, "both subscribers");
    expect(latest.records().map((r) => r.value)).toEqual(["new"]);
    expect(earliest.records().map((r) => r.value)).toEqual(["old", "new"]);
    latest.ws.close(1000, "done");
    earliest.ws.close(1000, "done");
  });

  it("streams as Server-Sent Events whose ids let an EventSource resume where it stopped", async () => {
    const topic = await createTopic(1);
    await produce(topic, [0, 1]);
    const read = async (headers: Record<string, string>, path: string, want: number) => {
      const res = await exports.default.fetch(
        new Request(`http://t${path}`, { headers: { accept: "text/event-stream", ...headers } }),
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      const events: { id: string; data: Page }[] = [];
      while (events.reduce((n, e) => n + e.data.records.length, 0) < want) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        let end = text.indexOf("\n\n");
        while (end !== -1) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const id = /^id: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id && data) events.push({ id, data: JSON.parse(data) });
          end = text.indexOf("\n\n");
        }
      }
      await reader.cancel();
      return events;
    };
    // The token in the query, as a browser's EventSource must send it.
    const first = await read({}, `/v1/topics/${topic}/partitions/0/subscribe?offset=0&token=${TOKEN}`, 2);
    expect(first.flatMap((e) => e.data.records.map((r) => r.value))).toEqual([0, 1]);
    const lastId = first.at(-1)!.id;
    expect(lastId).toBe("2");
    await produce(topic, [2, 3]);
    const second = await read(
      { "last-event-id": lastId, authorization: `Bearer ${TOKEN}` },
      `/v1/topics/${topic}/partitions/0/subscribe?offset=0`,
      2,
    );
    expect(second.flatMap((e) => e.data.records.map((r) => r.offset))).toEqual([2, 3]);
  });

  it("refuses a subscribe without a token, for an unknown partition, or outside the log", async () => {
    const topic = await createTopic(1);
    const noToken = await exports.default.fetch(new Request(`http://t/v1/topics/${topic}/partitions/0/subscribe`));
    expect(noToken.status).toBe(401);
    const badToken = await exports.default.fetch(
      new Request(`http://t/v1/topics/${topic}/partitions/0/subscribe?token=nope`),
    );
    expect(badToken.status).toBe(401);
    const unknown = await call("GET", `/v1/topics/${topic}/partitions/5/subscribe`);
    expect(unknown.json.error.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    const above = await call("GET", `/v1/topics/${topic}/partitions/0/subscribe?offset=10`);
    expect(above.status).toBe(416);
    expect(above.json.error.code).toBe("OFFSET_OUT_OF_RANGE");
  });

  it("closes subscribers when the topic is deleted", async () => {
    const topic = await createTopic(1);
    const sub = await openSocket(`/v1/topics/${topic}/partitions/0/subscribe`);
    const closed = new Promise<number>((r) => sub.ws.addEventListener("close", (e) => r(e.code)));
    await call("DELETE", `/v1/topics/${topic}`);
    expect(await closed).toBe(4404);
  });
});
