import { describe, expect, it } from "vitest";
import {
  alteredIsr,
  candidates,
  initialLeader,
  type LeaderState,
  othersThan,
  roleOf,
  successor,
} from "../../durable-objects/controller/leader-state.ts";

const state = (over: Partial<LeaderState> = {}): LeaderState => ({
  leader: 0,
  epoch: 0,
  isr: [0, 1, 2],
  history: [{ epoch: 0, startOffset: 0 }],
  pending: [],
  ...over,
});

describe("initialLeader", () => {
  it("makes replica 0 the leader of epoch 0 with every replica in sync and none pending", () => {
    expect(initialLeader(3)).toEqual(state());
  });
});

describe("roleOf", () => {
  it("tells a replica its own number beside the partition's leader, epoch, in-sync set and history", () => {
    const s = state({ leader: 1, epoch: 2, isr: [1, 2], history: [{ epoch: 2, startOffset: 7 }] });
    expect(roleOf(s, 2, 3)).toEqual({
      replica: 2,
      replicas: 3,
      leader: 1,
      epoch: 2,
      isr: [1, 2],
      history: [{ epoch: 2, startOffset: 7 }],
    });
  });
});

describe("alteredIsr", () => {
  it("keeps the leader in the in-sync set even when it asks without itself", () => {
    expect(alteredIsr(state({ leader: 1 }), [2], 3)).toEqual([1, 2]);
  });

  it("drops replicas that do not exist, and duplicates, and sorts numerically", () => {
    expect(alteredIsr(state({ leader: 2 }), [10, 0, 2, 0, 5], 3)).toEqual([0, 2]);
  });
});

describe("candidates", () => {
  it("offers the other in-sync replicas only, in their order, never an out-of-sync one", () => {
    expect(candidates(state({ leader: 1, isr: [0, 1] }))).toEqual([0]);
    expect(candidates(state({ leader: 0, isr: [0] }))).toEqual([]);
  });
});

describe("successor", () => {
  it("starts the next epoch at the new leader's log end, with the other in-sync replicas as its set", () => {
    const before = state({
      epoch: 3,
      history: [
        { epoch: 0, startOffset: 0 },
        { epoch: 3, startOffset: 40 },
      ],
    });
    expect(successor(before, 2, 55)).toEqual({
      leader: 2,
      epoch: 4,
      isr: [1, 2],
      history: [
        { epoch: 0, startOffset: 0 },
        { epoch: 3, startOffset: 40 },
        { epoch: 4, startOffset: 55 },
      ],
      pending: [],
    });
    expect(before.history).toHaveLength(2);
  });
});

describe("othersThan", () => {
  it("lists every replica but the given one", () => {
    expect(othersThan(1, 3)).toEqual([0, 2]);
    expect(othersThan(0, 1)).toEqual([]);
  });
});
