// What the GroupCoordinator does for the Upstash REST API's consumer instances, inside workerd:
// static members named by their instance id, read positions kept for them (fenced like
// commits), and Kafka's auto commit of those positions on a new join, a leave and an expiry.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { groupStub } from "../../cluster/stubs.ts";
import { unwrap } from "../../worker/errors.ts";
import { createTopic, uniqueName, waitFor } from "../helpers/http.ts";

async function committedOf(group: string, topic: string): Promise<(number | null)[]> {
  return unwrap(await groupStub(env, group).offsets(group, topic)).offsets.map((o) => o.committed);
}

async function joinInstance(
  group: string,
  topic: string,
  instanceId: string,
  autoCommit: boolean,
  sessionTimeoutMs = 30_000,
) {
  const joined = await groupStub(env, group).join({
    group,
    topics: [topic],
    instanceId,
    autoCommit,
    sessionTimeoutMs,
    assignor: "range",
  });
  return unwrap(joined);
}

async function positionsOf(group: string, instanceId: string) {
  return unwrap(await groupStub(env, group).positions(group, instanceId));
}

describe("static members with kept positions", () => {
  it("creates the member under the instance id, and the same id joins the same member again", async () => {
    const topic = await createTopic(2);
    const group = uniqueName("g");
    const first = await joinInstance(group, topic, "instance-1", false);
    expect(first.memberId).toBe("instance-1");
    const again = await joinInstance(group, topic, "instance-1", false);
    expect(again).toMatchObject({ memberId: "instance-1", generation: first.generation });
    expect((await positionsOf(group, "instance-1")).partitions).toEqual([
      { topic, partition: 0, position: null, committed: null },
      { topic, partition: 1, position: null, committed: null },
    ]);
  });

  it("keeps positions only for partitions the member holds at its generation", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("g");
    const { generation } = await joinInstance(group, topic, "i", false);
    const stub = groupStub(env, group);
    expect(await stub.seek(group, "i", generation, [{ topic, partition: 0, offset: 4 }])).toMatchObject({ ok: true });
    expect((await positionsOf(group, "i")).partitions[0]).toMatchObject({ position: 4, committed: null });
    expect(await stub.seek(group, "i", generation + 1, [{ topic, partition: 0, offset: 5 }])).toMatchObject({
      ok: false,
      code: "ILLEGAL_GENERATION",
    });
    expect(await stub.seek(group, "nobody", generation, [{ topic, partition: 0, offset: 5 }])).toMatchObject({
      ok: false,
      code: "UNKNOWN_MEMBER_ID",
    });
  });

  it("auto-commits the kept positions when the member joins again and when it leaves", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("g");
    const { generation } = await joinInstance(group, topic, "i", true);
    await groupStub(env, group).seek(group, "i", generation, [{ topic, partition: 0, offset: 3 }]);
    expect(await committedOf(group, topic)).toEqual([null]);
    await joinInstance(group, topic, "i", true);
    expect(await committedOf(group, topic)).toEqual([3]);
    await groupStub(env, group).seek(group, "i", generation, [{ topic, partition: 0, offset: 7 }]);
    expect(await groupStub(env, group).leave(group, "i")).toMatchObject({ ok: true });
    expect(await committedOf(group, topic)).toEqual([7]);
  });

  it("auto-commits an expired member's positions, and never a manual member's", async () => {
    const [auto, manual] = [await createTopic(1), await createTopic(1)];
    const [g1, g2] = [uniqueName("g"), uniqueName("g")];
    const a = await joinInstance(g1, auto, "i", true, 1_000);
    const m = await joinInstance(g2, manual, "i", false, 1_000);
    await groupStub(env, g1).seek(g1, "i", a.generation, [{ topic: auto, partition: 0, offset: 2 }]);
    await groupStub(env, g2).seek(g2, "i", m.generation, [{ topic: manual, partition: 0, offset: 2 }]);
    await waitFor(async () => (await groupStub(env, g1).summary()).members === 0, 10_000, "the auto member to expire");
    await waitFor(
      async () => (await groupStub(env, g2).summary()).members === 0,
      10_000,
      "the manual member to expire",
    );
    expect(await committedOf(g1, auto)).toEqual([2]);
    expect(await committedOf(g2, manual)).toEqual([null]);
  });
});
