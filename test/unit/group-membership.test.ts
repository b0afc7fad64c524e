import { describe, expect, it } from "vitest";
import {
  admit,
  describeMembers,
  emptyGroup,
  type GroupState,
  handOut,
  type Joining,
  membersReading,
  notePartitions,
  pruneTopics,
  rebalance,
} from "../../durable-objects/group-coordinator/membership.ts";

const joining = (over: Partial<Joining> = {}): Joining => ({
  topics: ["t"],
  sessionTimeoutMs: 10_000,
  assignor: "range",
  ...over,
});

function groupWith(...ids: string[]): GroupState {
  const g = emptyGroup();
  g.partitions.set("t", 2);
  for (const memberId of ids) admit(g, joining({ instanceId: memberId }), 0);
  rebalance(g);
  for (const id of ids) handOut(g, id);
  return g;
}

describe("notePartitions", () => {
  it("answers whether any topic's partition count changed, and keeps the new counts", () => {
    const g = emptyGroup();
    expect(notePartitions(g, new Map([["t", 2]]))).toBe(true);
    expect(notePartitions(g, new Map([["t", 2]]))).toBe(false);
    expect(notePartitions(g, new Map([["t", 3]]))).toBe(true);
    expect(g.partitions.get("t")).toBe(3);
    expect(notePartitions(g, new Map())).toBe(false);
  });
});

describe("admit", () => {
  it("adds a new member under a fresh member id, and a rebalance is due", () => {
    const g = emptyGroup();
    const { memberId, changed } = admit(g, joining(), 5);
    expect(memberId).toMatch(/^member-/);
    expect(changed).toBe(true);
    expect(g.members.get(memberId)).toMatchObject({ topics: ["t"], sessionTimeoutMs: 10_000, lastSeen: 5 });
  });

  it("adds a static member under its instance id", () => {
    const g = emptyGroup();
    expect(admit(g, joining({ instanceId: "inst-1" }), 0)).toEqual({ memberId: "inst-1", changed: true });
  });

  it("updates a member joining again; no rebalance unless its topics changed", () => {
    const g = emptyGroup();
    const { memberId } = admit(g, joining(), 0);
    expect(admit(g, joining({ memberId, sessionTimeoutMs: 20_000, autoCommit: true }), 9)).toEqual({
      memberId,
      changed: false,
    });
    expect(g.members.get(memberId)).toMatchObject({ sessionTimeoutMs: 20_000, autoCommit: true, lastSeen: 9 });
    expect(admit(g, joining({ memberId, topics: ["t", "u"] }), 10).changed).toBe(true);
    expect(g.members.get(memberId)?.topics).toEqual(["t", "u"]);
  });

  it("lets the only member choose the assignor, and not a second one", () => {
    const g = emptyGroup();
    const { memberId } = admit(g, joining(), 0);
    expect(admit(g, joining({ memberId, assignor: "sticky" }), 1).changed).toBe(true);
    expect(g.assignor).toBe("sticky");
    admit(g, joining({ assignor: "roundrobin" }), 2);
    expect(g.assignor).toBe("sticky");
  });
});

describe("pruneTopics", () => {
  it("forgets partition counts of topics no member subscribes to", () => {
    const g = groupWith("a");
    g.partitions.set("gone", 4);
    pruneTopics(g);
    expect([...g.partitions.keys()]).toEqual(["t"]);
  });
});

describe("membersReading", () => {
  it("lists the members subscribed to a topic", () => {
    const g = groupWith("a", "b");
    admit(g, joining({ instanceId: "c", topics: ["u"] }), 0);
    expect(membersReading(g, "t").map((m) => m.memberId)).toEqual(["a", "b"]);
    expect(membersReading(g, "none")).toEqual([]);
  });
});

describe("describeMembers", () => {
  it("lists each member with its topics, session timeout and the partitions it holds", () => {
    const g = groupWith("a", "b");
    expect(describeMembers(g)).toEqual([
      { memberId: "a", topics: ["t"], sessionTimeoutMs: 10_000, assignments: [{ topic: "t", partition: 0 }] },
      { memberId: "b", topics: ["t"], sessionTimeoutMs: 10_000, assignments: [{ topic: "t", partition: 1 }] },
    ]);
  });
});
