import { describe, expect, it } from "vitest";
import {
  applyAssignments,
  classicFromStored,
  classicToStored,
  completeJoin,
  emptyClassicGroup,
  expiredClassicMembers,
  fence,
  type JoinInput,
  join,
  joinAnswer,
  joinComplete,
  removeMembers,
} from "../../durable-objects/group-coordinator/classic.ts";

const input = (memberId: string, protocols = ["range"], extra: Partial<JoinInput> = {}): JoinInput => ({
  memberId,
  groupInstanceId: null,
  clientId: "c",
  clientHost: "",
  protocolType: "consumer",
  protocols: protocols.map((name) => ({ name, metadata: `subscription for ${name}` })),
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 5_000,
  requireKnownMemberId: false,
  ...extra,
});

let n = 0;
const id = () => String(++n);

describe("the classic group state machine", () => {
  it("hands out a member id first when the client requires known ids, and accepts it next", () => {
    const g = emptyClassicGroup();
    const first = join(g, input("", ["range"], { requireKnownMemberId: true }), id, 0);
    expect(first.kind).toBe("member-id-required");
    const memberId = (first as { memberId: string }).memberId;
    expect(join(g, input(memberId), id, 0)).toEqual({ kind: "wait", memberId });
    expect(join(g, input("never-handed-out"), id, 0)).toEqual({ kind: "error", code: "UNKNOWN_MEMBER_ID" });
  });

  it("completes a rebalance only when every member joined again, or when its time is up", () => {
    const g = emptyClassicGroup();
    const a = join(g, input(""), id, 0) as { memberId: string };
    expect(joinComplete(g, 0)).toBe(true);
    completeJoin(g, 0);
    applyAssignments(g, [{ memberId: a.memberId, assignment: "x" }]);
    expect(g.state).toBe("Stable");
    const b = join(g, input(""), id, 100) as { memberId: string };
    expect(g.state).toBe("PreparingRebalance");
    expect(joinComplete(g, 100)).toBe(false);
    expect(fence(g, a.memberId, 1)).toBe("REBALANCE_IN_PROGRESS");
    // a does not come back: at the deadline the rebalance completes without it.
    expect(joinComplete(g, 100 + 5_000)).toBe(true);
    expect(completeJoin(g, 5_100)).toEqual([a.memberId]);
    expect(g).toMatchObject({ generation: 2, leader: b.memberId, state: "CompletingRebalance" });
  });

  it("chooses the protocol all members support that most list first, and gives the leader the members", () => {
    const g = emptyClassicGroup();
    const a = join(g, input("", ["cooperative-sticky", "range"]), id, 0) as { memberId: string };
    const b = join(g, input("", ["range", "cooperative-sticky"]), id, 0) as { memberId: string };
    const c = join(g, input("", ["range"]), id, 0) as { memberId: string };
    completeJoin(g, 0);
    expect(g.protocolName).toBe("range");
    const leader = joinAnswer(g, a.memberId);
    expect(leader.members.map((m) => [m.memberId, m.metadata])).toEqual(
      [a, b, c].map((m) => [m.memberId, "subscription for range"]),
    );
    expect(joinAnswer(g, b.memberId).members).toEqual([]);
    expect(join(g, input("", ["sticky"]), id, 0)).toEqual({ kind: "error", code: "INCONSISTENT_GROUP_PROTOCOL" });
  });

  it("answers a follower that joins again unchanged in a stable group without a rebalance", () => {
    const g = emptyClassicGroup();
    const a = join(g, input(""), id, 0) as { memberId: string };
    const b = join(g, input(""), id, 0) as { memberId: string };
    completeJoin(g, 0);
    applyAssignments(g, []);
    expect(join(g, input(b.memberId), id, 10)).toEqual({ kind: "answer", memberId: b.memberId });
    expect(g.state).toBe("Stable");
    // The leader joining again starts one (it may want to assign anew).
    expect(join(g, input(a.memberId), id, 10).kind).toBe("wait");
    expect(g.state).toBe("PreparingRebalance");
  });

  it("replaces a static member that comes back under a new id, fencing the old one", () => {
    const g = emptyClassicGroup();
    const old = join(g, input("", ["range"], { groupInstanceId: "host-1" }), id, 0) as { memberId: string };
    completeJoin(g, 0);
    const again = join(g, input("", ["range"], { groupInstanceId: "host-1", requireKnownMemberId: true }), id, 5);
    expect(again.kind).toBe("wait");
    expect(g.members.has(old.memberId)).toBe(false);
    expect(fence(g, old.memberId, g.generation, "host-1")).toBe("FENCED_INSTANCE_ID");
  });

  it("expires silent members but not those waiting on a rebalance, and rebalances the rest", () => {
    const g = emptyClassicGroup();
    const a = join(g, input(""), id, 0) as { memberId: string };
    const b = join(g, input(""), id, 0) as { memberId: string };
    completeJoin(g, 0);
    g.members.get(b.memberId)!.lastSeen = 9_000;
    expect(expiredClassicMembers(g, 10_500)).toEqual([a.memberId]);
    removeMembers(g, [a.memberId], 10_500);
    expect(g.state).toBe("PreparingRebalance");
    join(g, input(b.memberId), id, 10_600);
    expect(expiredClassicMembers(g, 60_000)).toEqual([]);
  });

  it("keeps members, generation and assignments across a restart", () => {
    const g = emptyClassicGroup();
    const a = join(g, input(""), id, 0) as { memberId: string };
    completeJoin(g, 0);
    applyAssignments(g, [{ memberId: a.memberId, assignment: "p0" }]);
    const back = classicFromStored(JSON.parse(JSON.stringify(classicToStored(g))), 1_000);
    expect(back).toMatchObject({ state: "Stable", generation: 1, leader: a.memberId });
    expect(back.members.get(a.memberId)).toMatchObject({ assignment: "p0", lastSeen: 1_000 });
  });
});
