// Kafka's classic group protocol inside workerd, through the worker's /v1/groups/:g/classic
// routes (what the Kafka gateway calls): member ids handed out, the join barrier, the leader's
// assignment passed to the followers, fencing by generation, leaving, rebalance timeouts.
import { describe, expect, it } from "vitest";
import { call, createTopic, uniqueName } from "../helpers/http.ts";

const meta = (text: string) => btoa(text);

function joinBody(memberId: string, name = "range", extra: Record<string, unknown> = {}) {
  return {
    memberId,
    clientId: "test-client",
    protocolType: "consumer",
    protocols: [{ name, metadata: meta(`subscription of ${memberId || "new"}`) }],
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 2_000,
    ...extra,
  };
}

/** A member's first join: the coordinator names it, then it joins with that id. */
async function newMember(group: string, extra: Record<string, unknown> = {}) {
  const first = await call("POST", `/v1/groups/${group}/classic/join`, joinBody("", "range", extra));
  expect(first.status).toBe(409);
  expect(first.json.error.code).toBe("MEMBER_ID_REQUIRED");
  return first.json.error.memberId as string;
}

const join = (group: string, memberId: string, extra: Record<string, unknown> = {}) =>
  call("POST", `/v1/groups/${group}/classic/join`, joinBody(memberId, "range", extra));
const sync = (group: string, memberId: string, generation: number, assignments: unknown[] = []) =>
  call("POST", `/v1/groups/${group}/classic/sync`, { memberId, generation, assignments });
const heartbeat = (group: string, memberId: string, generation: number) =>
  call("POST", `/v1/groups/${group}/classic/heartbeat`, { memberId, generation });

describe("classic consumer groups", () => {
  it("runs a rebalance: the leader gets every member's metadata and hands out assignments", async () => {
    const group = uniqueName("g");
    const a = await newMember(group);
    const alone = await join(group, a);
    expect(alone.status).toBe(200);
    expect(alone.json).toMatchObject({ memberId: a, generation: 1, leader: a, protocolName: "range" });
    expect(alone.json.members).toEqual([
      { memberId: a, groupInstanceId: null, metadata: meta(`subscription of ${a}`) },
    ]);
    expect((await sync(group, a, 1, [{ memberId: a, assignment: meta("all of it") }])).json.assignment).toBe(
      meta("all of it"),
    );
    expect((await heartbeat(group, a, 1)).status).toBe(200);

    // A second member: the first learns of the rebalance from its heartbeat and joins again.
    const b = await newMember(group);
    const bJoin = join(group, b);
    await expect.poll(async () => (await heartbeat(group, a, 1)).json.error?.code).toBe("REBALANCE_IN_PROGRESS");
    const [aAgain, bJoined] = await Promise.all([join(group, a), bJoin]);
    expect(aAgain.json).toMatchObject({ generation: 2, leader: a });
    expect(aAgain.json.members.map((m: { memberId: string }) => m.memberId).sort()).toEqual([a, b].sort());
    expect(bJoined.json).toMatchObject({ generation: 2, leader: a, members: [] });

    // The follower's sync waits for the leader's.
    const bSync = sync(group, b, 2);
    const aSync = await sync(group, a, 2, [
      { memberId: a, assignment: meta("p0") },
      { memberId: b, assignment: meta("p1") },
    ]);
    expect(aSync.json.assignment).toBe(meta("p0"));
    expect((await bSync).json).toEqual({ protocolType: "consumer", protocolName: "range", assignment: meta("p1") });

    const described = await call("GET", `/v1/groups/${group}`);
    expect(described.json).toMatchObject({ state: "Stable", generation: 2, membership: "classic", assignor: "range" });
    expect(described.json.members.find((m: { memberId: string }) => m.memberId === b).assignment).toBe(meta("p1"));
  });

  it("fences commits and heartbeats by generation, and refuses unknown members", async () => {
    const group = uniqueName("g");
    const topic = await createTopic(1);
    const a = await newMember(group);
    await join(group, a);
    await sync(group, a, 1, [{ memberId: a, assignment: "" }]);
    const offsets = [{ topic, partition: 0, offset: 0 }];
    expect((await call("POST", `/v1/groups/${group}/offsets`, { memberId: a, generation: 1, offsets })).status).toBe(
      200,
    );
    const stale = await call("POST", `/v1/groups/${group}/offsets`, { memberId: a, generation: 0, offsets });
    expect(stale.json.error.code).toBe("ILLEGAL_GENERATION");
    const stranger = await call("POST", `/v1/groups/${group}/offsets`, { memberId: "nobody", generation: 1, offsets });
    expect(stranger.json.error.code).toBe("UNKNOWN_MEMBER_ID");
    const alone = await call("POST", `/v1/groups/${group}/offsets`, { offsets });
    expect(alone.json.error.code).toBe("ILLEGAL_GENERATION");
    expect((await heartbeat(group, a, 7)).json.error.code).toBe("ILLEGAL_GENERATION");
    expect((await join(group, "made-up")).json.error.code).toBe("UNKNOWN_MEMBER_ID");
  });

  it("refuses a member whose protocols the group cannot share, and Tributary's own consumers", async () => {
    const group = uniqueName("g");
    const a = await newMember(group);
    await join(group, a);
    const other = await call("POST", `/v1/groups/${group}/classic/join`, {
      ...joinBody(""),
      protocolType: "connect",
    });
    expect(other.json.error.code).toBe("INCONSISTENT_GROUP_PROTOCOL");
    const c = await newMember(group);
    const unshared = await call("POST", `/v1/groups/${group}/classic/join`, joinBody(c, "sticky"));
    expect(unshared.json.error.code).toBe("INCONSISTENT_GROUP_PROTOCOL");
    const topic = await createTopic(1);
    const native = await call("POST", `/v1/groups/${group}/members`, { topics: [topic] });
    expect(native.json.error.code).toBe("INCONSISTENT_GROUP_PROTOCOL");
  });

  it("drops a member that does not join again within the rebalance timeout", async () => {
    const group = uniqueName("g");
    const a = await newMember(group);
    await join(group, a, { rebalanceTimeoutMs: 500 });
    const b = await newMember(group);
    // a never joins again: after its rebalance timeout, b's join completes without it.
    const started = Date.now();
    const bJoined = await join(group, b, { rebalanceTimeoutMs: 500 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(bJoined.json).toMatchObject({ generation: 2, leader: b });
    expect(bJoined.json.members.map((m: { memberId: string }) => m.memberId)).toEqual([b]);
    expect((await heartbeat(group, a, 2)).json.error.code).toBe("UNKNOWN_MEMBER_ID");
  });

  it("lets members leave, then deletes the empty group and its offsets", async () => {
    const group = uniqueName("g");
    const topic = await createTopic(1);
    const a = await newMember(group);
    await join(group, a);
    await sync(group, a, 1, [{ memberId: a, assignment: "" }]);
    await call("POST", `/v1/groups/${group}/offsets`, {
      memberId: a,
      generation: 1,
      offsets: [{ topic, partition: 0, offset: 0 }],
    });
    const refused = await call("DELETE", `/v1/groups/${group}`);
    expect(refused.json.error.code).toBe("NON_EMPTY_GROUP");
    const left = await call("POST", `/v1/groups/${group}/classic/leave`, {
      members: [{ memberId: a }, { memberId: "nobody" }],
    });
    expect(left.json.members).toEqual([
      { memberId: a, groupInstanceId: null },
      { memberId: "nobody", groupInstanceId: null, error: "UNKNOWN_MEMBER_ID" },
    ]);
    expect((await call("GET", `/v1/groups/${group}`)).json.state).toBe("Empty");
    expect((await call("DELETE", `/v1/groups/${group}`)).json).toEqual({ deleted: group });
    expect((await call("GET", `/v1/groups/${group}`)).json.error.code).toBe("GROUP_ID_NOT_FOUND");
    const listed = (await call("GET", "/v1/groups")).json.groups.map((g: { group: string }) => g.group);
    expect(listed).not.toContain(group);
  });
});
