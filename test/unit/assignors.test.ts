import { describe, expect, it } from "vitest";
import {
  ASSIGNORS,
  type Assignment,
  type AssignorMember,
  rangeAssign,
  roundRobinAssign,
  stickyAssign,
} from "../../durable-objects/group-coordinator/assignors.ts";
import type { AssignorName, TopicPartition } from "../../sdk/protocol/schemas.ts";

const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition });
const members = (...ids: string[]): AssignorMember[] => ids.map((memberId) => ({ memberId, topics: ["t"] }));

function owners(assignment: Assignment): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [m, tps] of assignment) {
    for (const x of tps) out.set(`${x.topic}/${x.partition}`, [...(out.get(`${x.topic}/${x.partition}`) ?? []), m]);
  }
  return out;
}

function expectEveryPartitionOwnedOnce(assignment: Assignment, partitions: Map<string, number>) {
  const o = owners(assignment);
  for (const [topic, n] of partitions) {
    for (let p = 0; p < n; p++) expect(o.get(`${topic}/${p}`), `${topic}/${p}`).toHaveLength(1);
  }
}

function sizes(a: Assignment): number[] {
  return [...a.values()].map((x) => x.length).sort();
}

describe.each(["range", "roundrobin", "sticky"] as AssignorName[])("the %s assignor", (name) => {
  const assign = ASSIGNORS[name];
  it.each([
    [1, 6],
    [3, 6],
    [4, 6],
    [6, 4],
    [5, 17],
  ])("gives each partition to exactly one of %i members over %i partitions, balanced", (m, n) => {
    const parts = new Map([["t", n]]);
    const ids = Array.from({ length: m }, (_, i) => `m${i}`);
    const a = assign({ members: members(...ids), partitions: parts });
    expectEveryPartitionOwnedOnce(a, parts);
    const s = sizes(a);
    expect(s.at(-1)! - s[0]!).toBeLessThanOrEqual(1);
  });

  it("only gives a topic's partitions to members subscribed to it", () => {
    const parts = new Map([
      ["a", 3],
      ["b", 2],
    ]);
    const ms: AssignorMember[] = [
      { memberId: "x", topics: ["a"] },
      { memberId: "y", topics: ["a", "b"] },
    ];
    const a = assign({ members: ms, partitions: parts });
    expectEveryPartitionOwnedOnce(a, parts);
    expect(a.get("x")!.every((x) => x.topic === "a")).toBe(true);
    expect(a.get("y")!.filter((x) => x.topic === "b")).toHaveLength(2);
  });
});

describe("range", () => {
  it("hands out contiguous ranges, the first members taking the extra, as Kafka does", () => {
    const a = rangeAssign({ members: members("c1", "c2", "c3"), partitions: new Map([["t", 7]]) });
    expect(a.get("c1")).toEqual([tp("t", 0), tp("t", 1), tp("t", 2)]);
    expect(a.get("c2")).toEqual([tp("t", 3), tp("t", 4)]);
    expect(a.get("c3")).toEqual([tp("t", 5), tp("t", 6)]);
  });
});

describe("roundrobin", () => {
  it("deals partitions in turn", () => {
    const a = roundRobinAssign({ members: members("a", "b"), partitions: new Map([["t", 5]]) });
    expect(a.get("a")!.map((x) => x.partition)).toEqual([0, 2, 4]);
    expect(a.get("b")!.map((x) => x.partition)).toEqual([1, 3]);
  });
});

describe("sticky", () => {
  const parts = new Map([["t", 6]]);

  function moved(before: Assignment, after: Assignment): number {
    const o1 = owners(before);
    const o2 = owners(after);
    let n = 0;
    // Partitions that had an owner and now have another.
    for (const [k, v] of o2) if (o1.has(k) && o1.get(k)![0] !== v[0]) n++;
    return n;
  }

  it("moves only what a new member needs when one joins", () => {
    const before = stickyAssign({ members: members("a", "b"), partitions: parts });
    const after = stickyAssign({ members: members("a", "b", "c"), partitions: parts, previous: before });
    expectEveryPartitionOwnedOnce(after, parts);
    expect(sizes(after)).toEqual([2, 2, 2]);
    expect(moved(before, after)).toBe(2);
    // range, for comparison, moves more.
    const rangeAfter = rangeAssign({ members: members("a", "b", "c"), partitions: parts });
    expect(moved(before, rangeAfter)).toBeGreaterThan(2);
  });

  it("moves only the departed member's partitions when one leaves", () => {
    const before = stickyAssign({ members: members("a", "b", "c"), partitions: parts });
    const after = stickyAssign({ members: members("a", "c"), partitions: parts, previous: before });
    expectEveryPartitionOwnedOnce(after, parts);
    expect(moved(before, after)).toBe(before.get("b")!.length);
    for (const x of before.get("a")!) expect(after.get("a")).toContainEqual(x);
    for (const x of before.get("c")!) expect(after.get("c")).toContainEqual(x);
  });

  it("keeps everything in place when nothing changed", () => {
    const before = stickyAssign({ members: members("a", "b", "c", "d"), partitions: parts });
    const again = stickyAssign({ members: members("a", "b", "c", "d"), partitions: parts, previous: before });
    expect(moved(before, again)).toBe(0);
  });

  it("places new partitions without moving old ones", () => {
    const before = stickyAssign({ members: members("a", "b"), partitions: new Map([["t", 4]]) });
    const after = stickyAssign({ members: members("a", "b"), partitions: new Map([["t", 6]]), previous: before });
    expectEveryPartitionOwnedOnce(after, new Map([["t", 6]]));
    expect(moved(before, after)).toBe(0);
    expect(sizes(after)).toEqual([3, 3]);
  });

  it("stays balanced through a long run of joins and leaves, moving no more than needed each time", () => {
    const big = new Map([["t", 12]]);
    let current = stickyAssign({ members: members("m0"), partitions: big });
    const sequence = [
      ["m0", "m1"],
      ["m0", "m1", "m2", "m3"],
      ["m1", "m3"],
      ["m1", "m3", "m4"],
      ["m4"],
      ["m4", "m5", "m6"],
    ];
    for (const ids of sequence) {
      const next = stickyAssign({ members: members(...ids), partitions: big, previous: current });
      expectEveryPartitionOwnedOnce(next, big);
      const s = sizes(next);
      expect(s.at(-1)! - s[0]!).toBeLessThanOrEqual(1);
      // A partition moves only if its owner left or the owner is above its fair share.
      const leftOwners = [...current.keys()].filter((m) => !ids.includes(m));
      const mustMove = leftOwners.reduce((n, m) => n + current.get(m)!.length, 0);
      const ceil = Math.ceil(12 / ids.length);
      const overShare = [...current]
        .filter(([m]) => ids.includes(m))
        .reduce((n, [, t]) => n + Math.max(0, t.length - ceil), 0);
      expect(moved(current, next)).toBeLessThanOrEqual(mustMove + overShare);
      current = next;
    }
  });
});
