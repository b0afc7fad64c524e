// Kafka's DeleteRecords: POST /v1/topics/:topic/partitions/:p/delete-records moves the log start.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { partitionStub } from "../../cluster/stubs.ts";
import { createClient } from "../../sdk/index.ts";
import { call, createTopic, TOKEN, uniqueName, waitFor } from "../helpers/http.ts";

const deleteBefore = (topic: string, beforeOffset: unknown, partition = 0) =>
  call("POST", `/v1/topics/${topic}/partitions/${partition}/delete-records`, { beforeOffset });

const fetchAt = (topic: string, offset: number) =>
  call("GET", `/v1/topics/${topic}/partitions/0/records?offset=${offset}`);

async function fiveAndFive(topic: string) {
  for (const from of [0, 5]) {
    const records = Array.from({ length: 5 }, (_, i) => ({ value: from + i }));
    expect((await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records, acks: "all" })).status).toBe(200);
  }
}

describe("DeleteRecords", () => {
  it("moves the log start to the offset given, inside a batch too, and refuses reads below it", async () => {
    const topic = await createTopic(1);
    await fiveAndFive(topic);
    const bytes = (await call("GET", `/v1/topics/${topic}`)).json.partitions[0].bytes;
    expect((await deleteBefore(topic, 3)).json).toEqual({ partition: 0, logStartOffset: 3 });
    const below = await fetchAt(topic, 2);
    expect(below.status).toBe(416);
    expect(below.json.error).toMatchObject({ code: "OFFSET_OUT_OF_RANGE", logStartOffset: 3, highWatermark: 10 });
    expect((await fetchAt(topic, 3)).json.records.map((r: { value: number }) => r.value)).toEqual([
      3, 4, 5, 6, 7, 8, 9,
    ]);
    expect((await call("GET", `/v1/topics/${topic}/partitions/0/offsets?at=earliest`)).json).toEqual({ offset: 3 });
    const described = (await call("GET", `/v1/topics/${topic}`)).json.partitions[0];
    expect(described).toMatchObject({ logStartOffset: 3, highWatermark: 10 });
    expect(described.bytes).toBeLessThan(bytes);

    // An offset below the start changes nothing; -1 is the high watermark.
    expect((await deleteBefore(topic, 1)).json.logStartOffset).toBe(3);
    expect((await deleteBefore(topic, -1)).json.logStartOffset).toBe(10);
    expect((await fetchAt(topic, 10)).json).toMatchObject({ records: [], logStartOffset: 10, highWatermark: 10 });
    const next = await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: "after" }] });
    expect(next.json.results[0].offset).toBe(10);
  });

  it("refuses an offset above the high watermark, a bad body and a missing partition", async () => {
    const topic = await createTopic(1);
    await fiveAndFive(topic);
    const above = await deleteBefore(topic, 11);
    expect(above.status).toBe(416);
    expect(above.json.error).toMatchObject({ code: "OFFSET_OUT_OF_RANGE", highWatermark: 10, logStartOffset: 0 });
    const bad = await deleteBefore(topic, "3");
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: "INVALID_REQUEST" });
    expect((await deleteBefore(topic, 1, 4)).json.error.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
  });

  it("reaches the followers of a replicated partition, and the SDK's admin sends it", async () => {
    const name = uniqueName("dr");
    const created = await call("POST", "/v1/topics", { name, replicationFactor: 3, config: { minInsyncReplicas: 2 } });
    await fiveAndFive(name);
    const client = createClient({
      url: "http://tributary.test",
      token: TOKEN,
      fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    });
    expect(await client.admin().deleteTopicRecords({ topic: name, partitions: [{ partition: 0, offset: 5 }] })).toEqual(
      [{ partition: 0, logStartOffset: 5 }],
    );
    const ref = { topic: name, topicId: created.json.id as string, partition: 0 };
    for (const replica of [1, 2]) {
      const status = await waitFor(
        async () => {
          const s = await partitionStub(env, { ...ref, replica }).status({ ...ref, replica });
          return s.ok && s.logStartOffset === 5 ? s : undefined;
        },
        10_000,
        `replica ${replica}'s log start`,
      );
      expect(status).toMatchObject({ logStartOffset: 5, highWatermark: 10 });
    }
  });
});
