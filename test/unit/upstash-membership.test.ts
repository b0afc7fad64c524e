// What the GroupCoordinator keeps for stateless consumer instances (the Upstash REST API):
// read positions per member, fenced like commits, dropped with the partitions they belong to.
import { describe, expect, it } from "vitest";
import {
  emptyGroup,
  fromStored,
  type GroupState,
  handOut,
  keptPositions,
  positionOf,
  rebalance,
  removeMember,
  setPositions,
  toStored,
} from "../../durable-objects/group-coordinator/membership.ts";

function groupOf(members: string[], partitions = 2): GroupState {
  const g = emptyGroup();
  g.partitions.set("t", partitions);
  for (const memberId of members)
    g.members.set(memberId, { memberId, topics: ["t"], sessionTimeoutMs: 1000, lastSeen: 0 });
  rebalance(g);
  for (const m of members) handOut(g, m);
  return g;
}

const tp = (partition: number) => ({ topic: "t", partition });

describe("member read positions", () => {
  it("keeps positions of partitions the member holds at its generation, and refuses others", () => {
    const g = groupOf(["a"]);
    expect(setPositions(g, "a", g.generation, [{ ...tp(0), offset: 5 }])).toBeUndefined();
    expect(positionOf(g, "a", tp(0))).toBe(5);
    expect(setPositions(g, "a", g.generation - 1, [{ ...tp(1), offset: 9 }])).toMatchObject(tp(1));
    expect(setPositions(g, "a", g.generation, [{ ...tp(7), offset: 9 }])).toMatchObject(tp(7));
    expect(positionOf(g, "a", tp(1))).toBeUndefined();
  });

  it("drops a position when its partition moves to another member", () => {
    const g = groupOf(["a"]);
    setPositions(g, "a", g.generation, [
      { ...tp(0), offset: 5 },
      { ...tp(1), offset: 6 },
    ]);
    g.members.set("b", { memberId: "b", topics: ["t"], sessionTimeoutMs: 1000, lastSeen: 0 });
    rebalance(g);
    const kept = handOut(g, "a").partitions;
    expect(kept).toHaveLength(1);
    const moved = kept[0]!.partition === 0 ? 1 : 0;
    expect(positionOf(g, "a", kept[0]!)).toBe(kept[0]!.partition === 0 ? 5 : 6);
    expect(positionOf(g, "a", tp(moved))).toBeUndefined();
  });

  it("forgets a removed member's positions and survives being stored and restored", () => {
    const g = groupOf(["a", "b"]);
    const [aPart] = g.owned.get("a")!.partitions;
    const [bPart] = g.owned.get("b")!.partitions;
    setPositions(g, "a", g.generation, [{ ...aPart!, offset: 3 }]);
    setPositions(g, "b", g.generation, [{ ...bPart!, offset: 4 }]);
    const restored = fromStored(JSON.parse(JSON.stringify(toStored(g))), 0);
    expect(positionOf(restored, "a", aPart!)).toBe(3);
    removeMember(restored, "a");
    expect(positionOf(restored, "a", aPart!)).toBeUndefined();
    expect(positionOf(restored, "b", bPart!)).toBe(4);
  });

  it("lists a member's kept positions, for the auto commit", () => {
    const g = groupOf(["a"]);
    setPositions(g, "a", g.generation, [
      { ...tp(0), offset: 5 },
      { ...tp(1), offset: 6 },
    ]);
    expect(keptPositions(g, "a")).toEqual([
      { ...tp(0), offset: 5 },
      { ...tp(1), offset: 6 },
    ]);
    expect(keptPositions(g, "nobody")).toEqual([]);
  });

  it("restores groups stored before positions were kept", () => {
    const { positions: _, ...old } = toStored(groupOf(["a"]));
    expect(fromStored(old, 0).positions.size).toBe(0);
  });
});
