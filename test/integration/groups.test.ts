import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { groupStub } from "../../cluster/stubs.ts";
import { call, createTopic, uniqueName, waitFor } from "../helpers/http.ts";

type TP = { topic: string; partition: number };

/** A consumer as the protocol sees it: join, heartbeat, rejoin on REBALANCE_IN_PROGRESS. */
class Member {
  memberId?: string;
  generation = -1;
  assignments: TP[] = [];
  constructor(
    readonly group: string,
    readonly topics: string[],
    readonly options: { sessionTimeoutMs?: number; assignor?: string } = {},
  ) {}

  async join() {
    const res = await call("POST", `/v1/groups/${this.group}/members`, {
      topics: this.topics,
      ...(this.memberId ? { memberId: this.memberId } : {}),
      ...this.options,
    });
    if (res.status !== 200) throw new Error(`join failed: ${JSON.stringify(res.json)}`);
    this.memberId = res.json.memberId;
    this.generation = res.json.generation;
    this.assignments = res.json.assignments;
    return res;
  }

  /** One heartbeat; joins again when the group is rebalancing. Returns the group state. */
  async beat(): Promise<string> {
    const res = await call("POST", `/v1/groups/${this.group}/members/${this.memberId}/heartbeat`, {
      generation: this.generation,
    });
    if (res.status === 409 && res.json.error.code === "REBALANCE_IN_PROGRESS") {
      await this.join();
      return "Rejoined";
    }
    if (res.status !== 200) throw new Error(`heartbeat failed: ${JSON.stringify(res.json)}`);
    this.assignments = res.json.assignments;
    return res.json.state;
  }

  async leave() {
    const res = await call("DELETE", `/v1/groups/${this.group}/members/${this.memberId}`);
    expect(res.status).toBe(200);
    this.assignments = [];
  }
}

const key = (tp: TP) => `${tp.topic}/${tp.partition}`;

/** No partition is held by two members at the same time. */
function expectNoOverlap(members: Member[]) {
  const seen = new Map<string, string>();
  for (const m of members) {
    for (const tp of m.assignments) {
      expect(seen.get(key(tp)), `${key(tp)} held by ${seen.get(key(tp))} and ${m.memberId}`).toBeUndefined();
      seen.set(key(tp), m.memberId!);
    }
  }
}

/** Heartbeats every member until the group is stable, checking for overlaps after every call. */
async function settle(members: Member[]) {
  for (let round = 0; round < 20; round++) {
    const states: string[] = [];
    for (const m of members) {
      states.push(await m.beat());
      expectNoOverlap(members);
    }
    if (states.every((s) => s === "Stable")) return;
  }
  throw new Error("the group did not settle");
}

function expectEachPartitionOwnedOnce(members: Member[], topic: string, partitions: number) {
  const owners = new Map<string, number>();
  for (const m of members) for (const tp of m.assignments) owners.set(key(tp), (owners.get(key(tp)) ?? 0) + 1);
  for (let p = 0; p < partitions; p++) expect(owners.get(`${topic}/${p}`), `${topic}/${p}`).toBe(1);
  expect(owners.size).toBe(partitions);
}

describe("consumer groups", () => {
  it.each(["range", "roundrobin", "sticky"])(
    "keeps every partition owned by exactly one live member as members go 1 → 3 → 2 → 0 (%s)",
    async (assignor) => {
      const topic = await createTopic(6);
      const group = uniqueName("g");
      const live: Member[] = [];
      const add = async () => {
        const m = new Member(group, [topic], { assignor });
        await m.join();
        live.push(m);
        expectNoOverlap(live);
      };
      await add();
      await settle(live);
      expectEachPartitionOwnedOnce(live, topic, 6);

      await add();
      await add();
      await settle(live);
      expectEachPartitionOwnedOnce(live, topic, 6);
      expect(live.map((m) => m.assignments.length)).toEqual([2, 2, 2]);

      const gone = live.splice(1, 1)[0]!;
      await gone.leave();
      await settle(live);
      expectEachPartitionOwnedOnce(live, topic, 6);

      for (const m of live.splice(0)) await m.leave();
      const described = await call("GET", `/v1/groups/${group}`);
      expect(described.json).toMatchObject({ state: "Empty", members: [] });
    },
  );

  it("gives a moved partition to its new owner only after the old owner let it go", async () => {
    const topic = await createTopic(2);
    const group = uniqueName("g");
    const a = new Member(group, [topic]);
    await a.join();
    expect(a.assignments).toHaveLength(2);
    const b = new Member(group, [topic]);
    await b.join();
    // a has not heard of the rebalance yet and still holds both: b gets nothing for now.
    expect(b.assignments).toEqual([]);
    await settle([a, b]);
    expect(a.assignments).toHaveLength(1);
    expect(b.assignments).toHaveLength(1);
  });

  it("moves an expired member's partitions to the others within the session timeout plus a heartbeat", async () => {
    const topic = await createTopic(4);
    const group = uniqueName("g");
    const a = new Member(group, [topic], { sessionTimeoutMs: 1500 });
    const b = new Member(group, [topic], { sessionTimeoutMs: 1500 });
    await a.join();
    await b.join();
    await settle([a, b]);
    expect(a.assignments).toHaveLength(2);
    const silentSince = Date.now();
    // b goes silent; a keeps heartbeating every 250 ms.
    await waitFor(
      async () => {
        await a.beat();
        await new Promise((r) => setTimeout(r, 250));
        return a.assignments.length === 4;
      },
      1500 + 250 + 3000,
      "a to take over b's partitions",
    );
    expect(Date.now() - silentSince).toBeGreaterThanOrEqual(1500);
    const res = await call("POST", `/v1/groups/${group}/members/${b.memberId}/heartbeat`, { generation: b.generation });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("UNKNOWN_MEMBER_ID");
  });

  it("rejects a commit from an old generation or for a partition the member does not own", async () => {
    const topic = await createTopic(2);
    const group = uniqueName("g");
    const a = new Member(group, [topic]);
    await a.join();
    const ok = await call("POST", `/v1/groups/${group}/offsets`, {
      memberId: a.memberId,
      generation: a.generation,
      offsets: [{ topic, partition: 0, offset: 5 }],
    });
    expect(ok.status).toBe(200);
    const oldGeneration = a.generation;
    const b = new Member(group, [topic]);
    await b.join();
    await settle([a, b]);
    expect(a.generation).toBeGreaterThan(oldGeneration);
    const stale = await call("POST", `/v1/groups/${group}/offsets`, {
      memberId: a.memberId,
      generation: oldGeneration,
      offsets: [{ topic, partition: a.assignments[0]!.partition, offset: 6 }],
    });
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe("ILLEGAL_GENERATION");
    const notMine = await call("POST", `/v1/groups/${group}/offsets`, {
      memberId: a.memberId,
      generation: a.generation,
      offsets: [{ topic, partition: b.assignments[0]!.partition, offset: 6 }],
    });
    expect(notMine.status).toBe(409);
    expect(notMine.json.error.code).toBe("ILLEGAL_GENERATION");
    const noMember = await call("POST", `/v1/groups/${group}/offsets`, {
      offsets: [{ topic, partition: 0, offset: 1 }],
    });
    expect(noMember.json.error.code).toBe("ILLEGAL_GENERATION");
    const offsets = await call("GET", `/v1/groups/${group}/offsets?topic=${topic}`);
    expect(offsets.json.offsets.find((o: TP) => o.partition === 0).committed).toBe(5);
  });

  it("moves only the partitions that must move with the sticky assignor", async () => {
    const topic = await createTopic(6);
    const group = uniqueName("g");
    const ms = [new Member(group, [topic], { assignor: "sticky" }), new Member(group, [topic], { assignor: "sticky" })];
    for (const m of ms) await m.join();
    await settle(ms);
    const before = new Map(ms.flatMap((m) => m.assignments.map((tp) => [key(tp), m.memberId])));
    const c = new Member(group, [topic], { assignor: "sticky" });
    await c.join();
    ms.push(c);
    await settle(ms);
    const after = new Map(ms.flatMap((m) => m.assignments.map((tp) => [key(tp), m.memberId])));
    const moved = [...after].filter(([k, owner]) => before.get(k) !== owner);
    expect(moved).toHaveLength(2);
    expect(moved.every(([, owner]) => owner === c.memberId)).toBe(true);
  });

  it("rebalances when a subscribed topic gains partitions", async () => {
    const topic = await createTopic(2);
    const group = uniqueName("g");
    const a = new Member(group, [topic]);
    await a.join();
    expect(a.assignments).toHaveLength(2);
    await call("PATCH", `/v1/topics/${topic}`, { partitions: 5 });
    await waitFor(
      async () => {
        await a.beat();
        await new Promise((r) => setTimeout(r, 200));
        return a.assignments.length === 5;
      },
      10_000,
      "the new partitions to be assigned",
    );
  });

  it("keeps members, generation and offsets across a restart of the coordinator", async () => {
    const topic = await createTopic(2);
    const group = uniqueName("g");
    const a = new Member(group, [topic]);
    await a.join();
    await call("POST", `/v1/groups/${group}/offsets`, {
      memberId: a.memberId,
      generation: a.generation,
      offsets: [{ topic, partition: 1, offset: 0 }],
    });
    const { evictDurableObject } = await import("cloudflare:test");
    await evictDurableObject(groupStub(env, group));
    expect(await a.beat()).toBe("Stable");
    const offsets = await call("GET", `/v1/groups/${group}/offsets?topic=${topic}`);
    expect(offsets.json.offsets.map((o: { committed: number | null }) => o.committed)).toEqual([null, 0]);
  });

  it("reports lag as the high watermark minus the committed offset, and lists groups", async () => {
    const topic = await createTopic(2);
    const group = uniqueName("g");
    await call("POST", `/v1/topics/${topic}/partitions/0/records`, {
      records: Array.from({ length: 10 }, (_, i) => ({ value: i })),
    });
    await call("POST", `/v1/topics/${topic}/partitions/1/records`, { records: [{ value: "x" }] });
    const commit = await call("POST", `/v1/groups/${group}/offsets`, { offsets: [{ topic, partition: 0, offset: 4 }] });
    expect(commit.status).toBe(200);
    const res = await call("GET", `/v1/groups/${group}/offsets?topic=${topic}`);
    expect(res.json.offsets).toEqual([
      { topic, partition: 0, committed: 4, highWatermark: 10, logStartOffset: 0, lag: 6 },
      { topic, partition: 1, committed: null, highWatermark: 1, logStartOffset: 0, lag: 1 },
    ]);
    const described = await call("GET", `/v1/groups/${group}`);
    expect(described.json).toMatchObject({ group, state: "Empty", totalLag: 7 });
    const list = await call("GET", "/v1/groups");
    expect(list.json.groups).toContainEqual(expect.objectContaining({ group, state: "Empty", members: 0 }));
  });

  it("resets offsets to earliest, latest, a time or an offset, but not under active members", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("g");
    const base = Date.now() - 10_000;
    await call("POST", `/v1/topics/${topic}/records`, {
      records: Array.from({ length: 5 }, (_, i) => ({ value: i, timestamp: base + i * 1000 })),
    });
    const reset = async (to: unknown) => call("POST", `/v1/groups/${group}/offsets/reset`, { topic, to });
    expect((await reset("latest")).json.offsets[0].committed).toBe(5);
    expect((await reset("earliest")).json.offsets[0].committed).toBe(0);
    expect((await reset({ timestamp: base + 2500 })).json.offsets[0].committed).toBe(3);
    expect((await reset({ offset: 2 })).json.offsets[0].committed).toBe(2);
    const m = new Member(group, [topic]);
    await m.join();
    const busy = await reset("earliest");
    expect(busy.status).toBe(409);
    expect(busy.json.error.code).toBe("NON_EMPTY_GROUP");
  });

  it("answers bad group calls with the error envelope", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("g");
    const unknownGroup = await call("GET", `/v1/groups/${group}`);
    expect(unknownGroup.status).toBe(404);
    expect(unknownGroup.json.error.code).toBe("GROUP_ID_NOT_FOUND");
    const badName = await call("POST", "/v1/groups/bad name/members", { topics: [topic] });
    expect(badName.json.error.code).toBe("INVALID_GROUP_ID");
    const malformed = await call("POST", `/v1/groups/${group}/members`, "{oops");
    expect(malformed.json.error.code).toBe("INVALID_REQUEST");
    const noTopics = await call("POST", `/v1/groups/${group}/members`, { topics: [] });
    expect(noTopics.status).toBe(400);
    expect(noTopics.json.error.message).toContain("topics");
    const shortSession = await call("POST", `/v1/groups/${group}/members`, { topics: [topic], sessionTimeoutMs: 10 });
    expect(shortSession.json.error.message).toContain("sessionTimeoutMs");
    const unknownTopic = await call("POST", `/v1/groups/${group}/members`, { topics: ["never-made-topic"] });
    expect(unknownTopic.status).toBe(404);
    expect(unknownTopic.json.error.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    const m = new Member(group, [topic]);
    await m.join();
    const ghost = await call("POST", `/v1/groups/${group}/members/nobody/heartbeat`, { generation: 1 });
    expect(ghost.status).toBe(404);
    expect(ghost.json.error.code).toBe("UNKNOWN_MEMBER_ID");
    const wrongGeneration = await call("POST", `/v1/groups/${group}/members/${m.memberId}/heartbeat`, {
      generation: 99,
    });
    expect(wrongGeneration.status).toBe(409);
    expect(wrongGeneration.json.error.code).toBe("REBALANCE_IN_PROGRESS");
    const badHeartbeat = await call("POST", `/v1/groups/${group}/members/${m.memberId}/heartbeat`, {
      generation: "one",
    });
    expect(badHeartbeat.json.error).toMatchObject({ code: "INVALID_REQUEST" });
    const ghostLeave = await call("DELETE", `/v1/groups/${group}/members/nobody`);
    expect(ghostLeave.json.error.code).toBe("UNKNOWN_MEMBER_ID");
    const rejoinGhost = await call("POST", `/v1/groups/${group}/members`, { topics: [topic], memberId: "nobody" });
    expect(rejoinGhost.json.error.code).toBe("UNKNOWN_MEMBER_ID");
    const badCommit = await call("POST", `/v1/groups/${group}/offsets`, {
      offsets: [{ topic, partition: 0, offset: -1 }],
    });
    expect(badCommit.json.error.code).toBe("INVALID_REQUEST");
  });
});
