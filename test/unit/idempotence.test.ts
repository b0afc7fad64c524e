import { describe, expect, it } from "vitest";
import { afterAppend, decide, type ProducerState } from "../../durable-objects/partition-log/idempotence.ts";

const stamp = (sequence: number, epoch = 0) => ({ id: "p1", epoch, sequence });

describe("decide", () => {
  it("takes sequence 0 from a producer it has not seen, and nothing else", () => {
    expect(decide(undefined, stamp(0), 3)).toEqual({ kind: "append" });
    expect(decide(undefined, stamp(5), 3)).toMatchObject({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
  });

  it("expects each batch to follow the last, and answers a retried batch with its first offsets", () => {
    const state = afterAppend(undefined, stamp(0), { sequence: 0, count: 3, baseOffset: 10, appendTime: 1 });
    expect(state.nextSequence).toBe(3);
    expect(decide(state, stamp(3), 2)).toEqual({ kind: "append" });
    expect(decide(state, stamp(0), 3)).toEqual({
      kind: "duplicate",
      batch: { sequence: 0, count: 3, baseOffset: 10, appendTime: 1 },
    });
    expect(decide(state, stamp(4), 2)).toMatchObject({
      code: "OUT_OF_ORDER_SEQUENCE_NUMBER",
      details: { expectedSequence: 3 },
    });
    expect(decide(state, stamp(0), 2)).toMatchObject({ code: "INVALID_REQUEST" });
  });

  it("remembers only the last five batches", () => {
    let state: ProducerState | undefined;
    for (let i = 0; i < 7; i++)
      state = afterAppend(state, stamp(i), { sequence: i, count: 1, baseOffset: i, appendTime: 0 });
    expect(state!.recent.map((b) => b.sequence)).toEqual([2, 3, 4, 5, 6]);
    expect(decide(state, stamp(1), 1)).toMatchObject({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
    expect(decide(state, stamp(2), 1)).toMatchObject({ kind: "duplicate" });
  });

  it("fences an older epoch and starts a newer one at sequence 0", () => {
    const state = afterAppend(undefined, stamp(0, 2), { sequence: 0, count: 5, baseOffset: 0, appendTime: 0 });
    expect(decide(state, stamp(5, 1), 1)).toMatchObject({ code: "PRODUCER_FENCED", details: { currentEpoch: 2 } });
    expect(decide(state, stamp(0, 3), 1)).toEqual({ kind: "append" });
    expect(decide(state, stamp(5, 3), 1)).toMatchObject({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
    const next = afterAppend(state, stamp(0, 3), { sequence: 0, count: 1, baseOffset: 5, appendTime: 0 });
    expect(next).toEqual({
      epoch: 3,
      nextSequence: 1,
      recent: [{ sequence: 0, count: 1, baseOffset: 5, appendTime: 0 }],
    });
  });
});
