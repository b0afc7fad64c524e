import { describe, expect, it } from "vitest";
import type { ReplicaRole } from "../../cluster/rpc/partition-log.ts";
import { highWatermark, nextIsr, truncationPoint } from "../../durable-objects/partition-log/replica-state.ts";

const role = (over: Partial<ReplicaRole> = {}): ReplicaRole => ({
  replica: 0,
  replicas: 3,
  leader: 0,
  epoch: 0,
  isr: [0, 1, 2],
  history: [{ epoch: 0, startOffset: 0 }],
  ...over,
});

describe("truncationPoint", () => {
  const history = [
    { epoch: 0, startOffset: 0 },
    { epoch: 1, startOffset: 10 },
    { epoch: 3, startOffset: 25 },
  ];

  it("cuts a deposed leader's log where the next epoch began", () => {
    expect(truncationPoint(history, 0, 15)).toBe(10);
  });

  it("cuts at the first epoch after the replica's own, even when it missed several", () => {
    expect(truncationPoint(history, 1, 40)).toBe(25);
  });

  it("cuts nothing when the log ends before the new epoch began", () => {
    expect(truncationPoint(history, 0, 7)).toBe(7);
  });

  it("cuts nothing for a replica already in the newest epoch", () => {
    expect(truncationPoint(history, 3, 30)).toBe(30);
  });
});

describe("highWatermark", () => {
  it("is the smallest log end over the in-sync replicas, the leader included", () => {
    expect(
      highWatermark(
        50,
        [0, 1, 2],
        0,
        new Map([
          [1, 40],
          [2, 45],
        ]),
      ),
    ).toBe(40);
  });

  it("ignores followers outside the in-sync set", () => {
    expect(
      highWatermark(
        50,
        [0, 2],
        0,
        new Map([
          [1, 3],
          [2, 45],
        ]),
      ),
    ).toBe(45);
  });

  it("counts an in-sync follower that never answered as having nothing", () => {
    expect(highWatermark(50, [0, 1], 0, new Map())).toBe(0);
  });

  it("is the leader's log end when it is alone in sync", () => {
    expect(highWatermark(50, [0], 0, new Map([[1, 3]]))).toBe(50);
  });
});

describe("nextIsr", () => {
  const now = 100_000;

  it("drops a follower that has not caught up for longer than the lag time", () => {
    const followers = [
      { replica: 1, logEndOffset: 40, caughtUpAt: now - 5_000 },
      { replica: 2, logEndOffset: 50, caughtUpAt: now },
    ];
    expect(nextIsr(role(), followers, 50, 1_000, now)).toEqual([0, 2]);
  });

  it("keeps a follower that is behind for less than the lag time", () => {
    const followers = [
      { replica: 1, logEndOffset: 40, caughtUpAt: now - 500 },
      { replica: 2, logEndOffset: 50, caughtUpAt: now },
    ];
    expect(nextIsr(role(), followers, 50, 1_000, now)).toBeNull();
  });

  it("takes back a follower once it reached the leader's log end", () => {
    const followers = [
      { replica: 1, logEndOffset: 50, caughtUpAt: now },
      { replica: 2, logEndOffset: 50, caughtUpAt: now },
    ];
    expect(nextIsr(role({ isr: [0] }), followers, 50, 1_000, now)).toEqual([0, 1, 2]);
  });

  it("drops a follower that never answered once the lag time passed", () => {
    const followers = [{ replica: 1, logEndOffset: null, caughtUpAt: now - 2_000 }];
    expect(nextIsr(role({ replicas: 2, isr: [0, 1] }), followers, 0, 1_000, now)).toEqual([0]);
  });
});
