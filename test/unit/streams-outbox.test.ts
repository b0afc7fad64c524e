import { describe, expect, it } from "vitest";
import { planOutbox } from "../../durable-objects/stream-task/outbox.ts";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";

describe("the stream task's outbox", () => {
  it("cuts outputs into one batch per partition, in order, with contiguous sequences per partition", () => {
    const next = new Map<string, number>();
    const take = (topicId: string, partition: number, count: number) => {
      const k = `${topicId}/${partition}`;
      const first = next.get(k) ?? 0;
      next.set(k, first + count);
      return first;
    };
    const topics = new Map([
      ["out", { id: "out-1", partitions: 3 }],
      ["late", { id: "late-1", partitions: 1 }],
    ]);
    const keys = ["a", "b", "c", "d", "e", "f"];
    const outputs = keys.map((key, i) => ({ topic: "out", key, value: i, timestamp: 1000 + i }));
    const first = planOutbox([...outputs, { topic: "late", key: "x", value: null, timestamp: -5.5 }], topics, take);
    const second = planOutbox(outputs.slice(0, 2), topics, take);
    for (const b of [...first, ...second].filter((b) => b.topic === "out")) {
      for (const r of b.records) expect(partitionForKey(r.key!, 3)).toBe(b.partition);
    }
    const byPartition = (batches: typeof first, p: number) =>
      batches.find((b) => b.topic === "out" && b.partition === p);
    const continued = [0, 1, 2].flatMap((p) => {
      const a = byPartition(first, p);
      const b = byPartition(second, p);
      return a && b ? [[a.sequence + a.records.length, b.sequence]] : [];
    });
    // The second batch of a partition starts where the first ended.
    expect(continued.length).toBeGreaterThan(0);
    for (const [expected, actual] of continued) expect(actual).toBe(expected);
    expect(first.reduce((n, b) => n + (b.topic === "out" ? b.records.length : 0), 0)).toBe(6);
    // Record timestamps on the log are whole, non-negative milliseconds.
    expect(first.find((b) => b.topic === "late")).toMatchObject({
      topicId: "late-1",
      partition: 0,
      sequence: 0,
      records: [{ key: "x", value: null, timestamp: 0 }],
    });
  });

  it("refuses an output topic that was not resolved before processing", () => {
    expect(() => planOutbox([{ topic: "nope", value: 1, timestamp: 0 }], new Map(), () => 0)).toThrow(/not resolved/);
  });
});
