// A queue's figures (GET /v1/groups/:group/queue) on a known workload, and redriving its dead
// letters back to the topic (POST …/queue/redrive), through the HTTP routes and the SDK.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { groupStub } from "../../cluster/stubs.ts";
import type { GroupCoordinator } from "../../durable-objects/group-coordinator/group-coordinator.ts";
import type { QueueStore } from "../../durable-objects/group-coordinator/queue-store.ts";
import { createClient } from "../../sdk/index.ts";
import { call, createTopic, TOKEN, uniqueName } from "../helpers/http.ts";
import { type Received, receive } from "./queue-helpers.ts";
import { issueToken, requestAs } from "./token-helpers.ts";

async function stats(group: string, query = "") {
  const res = await call("GET", `/v1/groups/${group}/queue${query}`);
  if (res.status !== 200) throw new Error(JSON.stringify(res.json));
  return res.json;
}

const client = createClient({
  url: "http://tributary.test",
  token: TOKEN,
  fetch: (input, init) => exports.default.fetch(new Request(input, init)),
});

/** The figures that move, in all (the rest of the answer is checked where it matters). */
const totals = (s: Record<string, unknown>) => ({
  backlog: s.backlog,
  inFlight: s.inFlight,
  delayed: s.delayed,
  redeliverable: s.redeliverable,
  redeliveries: s.redeliveries,
  acked: s.acked,
  deadLettered: s.deadLettered,
  redriven: s.redriven,
  deadLetterRemaining: s.deadLetterRemaining,
});

describe("queue stats", () => {
  it("counts backlog, leases by state, redeliveries, acks and dead letters of a known workload", async () => {
    const topic = await createTopic(2);
    const group = uniqueName("qs");
    await call("PUT", `/v1/groups/${group}/queue`, { topic, maxDeliveries: 2 });
    const records = Array.from({ length: 10 }, (_, i) => ({ value: i, partition: i < 6 ? 0 : 1 }));
    expect((await call("POST", `/v1/topics/${topic}/records`, { records })).status).toBe(200);

    const before = await stats(group);
    expect(before).toMatchObject({ group, topic, maxDeliveries: 2, deadLetterTopic: `${topic}.dlq` });
    expect(totals(before)).toEqual({
      backlog: 10,
      inFlight: 0,
      delayed: 0,
      redeliverable: 0,
      redeliveries: 0,
      acked: 0,
      deadLettered: 0,
      redriven: 0,
      deadLetterRemaining: 0,
    });
    expect(before.partitions).toEqual([
      expect.objectContaining({ partition: 0, highWatermark: 6, nextOffset: null, committed: null, backlog: 6 }),
      expect.objectContaining({ partition: 1, highWatermark: 4, nextOffset: null, committed: null, backlog: 4 }),
    ]);

    // Receive 4; ack one, nack one with a long delay, nack one to be delivered again at once.
    const got = await receive(group, { topic, maxRecords: 4 });
    expect(got).toHaveLength(4);
    // A fresh queue takes new records from its partitions in turn, the first first.
    expect(got.every((r) => r.partition === 0)).toBe(true);
    const [done, later, again, held] = got as [Received, Received, Received, Received];
    expect((await call("POST", `/v1/groups/${group}/ack`, { receipts: [done.receipt] })).json).toEqual({ acked: 1 });
    await call("POST", `/v1/groups/${group}/nack`, { receipts: [later.receipt], delayMs: 600_000 });
    await call("POST", `/v1/groups/${group}/nack`, { receipts: [again.receipt], reason: "try again" });
    expect(totals(await stats(group))).toMatchObject({
      backlog: 6,
      inFlight: 1,
      delayed: 1,
      redeliverable: 1,
      redeliveries: 0,
      acked: 1,
      deadLettered: 0,
    });

    // The nacked one comes back (a redelivery), fails again and, at maxDeliveries, is a dead letter.
    const [second] = await receive(group, { topic, maxRecords: 1 });
    expect(second).toMatchObject({ partition: again.partition, offset: again.offset, deliveryCount: 2 });
    const mid = await stats(group);
    expect(totals(mid)).toMatchObject({ inFlight: 2, redeliverable: 0, redeliveries: 1 });
    await call("POST", `/v1/groups/${group}/nack`, { receipts: [second!.receipt], reason: "poison" });
    const after = await stats(group);
    expect(totals(after)).toEqual({
      backlog: 6,
      inFlight: 1,
      delayed: 1,
      redeliverable: 0,
      redeliveries: 1,
      acked: 1,
      deadLettered: 1,
      redriven: 0,
      deadLetterRemaining: 1,
    });
    // Per partition, the figures add up to the totals, and each partition's stand alone.
    for (const field of ["backlog", "inFlight", "delayed", "redeliveries", "acked", "deadLettered"] as const) {
      const sum = after.partitions.reduce((n: number, p: Record<string, number>) => n + p[field]!, 0);
      expect(sum).toBe(after[field]);
    }
    expect(after.partitions[again.partition]).toMatchObject({ deadLettered: 1, redeliveries: 1 });
    expect(after.partitions[held.partition].inFlight).toBe(1);
    // Done below the first unfinished record: the committed offsets follow.
    expect(after.partitions[0].committed).toBe(Math.min(later.offset, held.offset));
    // The SDK answers the same figures.
    expect(totals(await client.admin().queueStats(group))).toEqual(totals(after));
  });

  it("redrives the group's dead letters back to their partition once, without the dead-letter headers", async () => {
    const topic = await createTopic(2);
    const group = uniqueName("qr");
    const other = uniqueName("qr-other");
    await call("PUT", `/v1/groups/${group}/queue`, { topic, maxDeliveries: 1 });
    await call("PUT", `/v1/groups/${other}/queue`, { topic, maxDeliveries: 1 });
    await call("POST", `/v1/topics/${topic}/records`, {
      records: [
        { key: "k-a", value: { job: "a" }, headers: { origin: "test" }, partition: 1 },
        { valueBase64: "AAEC", partition: 1 },
        { value: "c", partition: 0 },
      ],
    });
    // Both groups fail every record once: each record goes to the shared dead-letter topic twice.
    for (const g of [group, other]) {
      const got = await receive(g, { topic, maxRecords: 10 });
      expect(got).toHaveLength(3);
      await call("POST", `/v1/groups/${g}/nack`, { receipts: got.map((r) => r.receipt), reason: "failed" });
    }
    const dlq = `${topic}.dlq`;
    expect((await stats(group)).deadLetterRemaining).toBe(6);

    // Two records a call: the other group's dead letters are stepped over, not moved.
    const first = await client.admin().redriveQueue({ group, maxRecords: 2 });
    let redriven = first.redriven;
    let skipped = first.skipped;
    expect(first.redriven + first.skipped).toBe(2);
    for (let i = 0; i < 5; i++) {
      const next = await call("POST", `/v1/groups/${group}/queue/redrive`, { maxRecords: 2 });
      expect(next.status).toBe(200);
      redriven += next.json.redriven;
      skipped += next.json.skipped;
      if (next.json.remaining === 0) break;
    }
    expect({ redriven, skipped }).toEqual({ redriven: 3, skipped: 3 });
    // Again: nothing left, nothing moved twice.
    expect((await call("POST", `/v1/groups/${group}/queue/redrive`, {})).json).toEqual({
      redriven: 0,
      skipped: 0,
      remaining: 0,
    });
    const s = await stats(group);
    expect(s).toMatchObject({ redriven: 3, deadLetterRemaining: 0, backlog: 3, deadLettered: 3 });
    expect((await call("GET", `/v1/topics/${dlq}`)).status).toBe(200);

    // The group receives them again, as produced, in the partitions they came from.
    const back = await receive(group, { topic, maxRecords: 10 });
    expect(back).toHaveLength(3);
    const byValue = new Map(
      back.map((r) => [JSON.stringify(r.value ?? (r as { valueBase64?: string }).valueBase64), r]),
    );
    expect(byValue.get(JSON.stringify({ job: "a" }))).toMatchObject({
      partition: 1,
      key: "k-a",
      headers: { origin: "test", "x-redrive-count": "1" },
      deliveryCount: 1,
    });
    expect(byValue.get('"AAEC"')).toMatchObject({ partition: 1, headers: { "x-redrive-count": "1" } });
    expect(byValue.get('"c"')).toMatchObject({ partition: 0 });
    for (const r of back) expect(Object.keys(r.headers ?? {}).filter((h) => h.startsWith("x-dlq-"))).toEqual([]);
  });

  it("keeps the redrive position when the append to the topic fails, so a retry moves the dead letter back once", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("qf");
    await call("PUT", `/v1/groups/${group}/queue`, { topic, maxDeliveries: 1 });
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: "job" }] });
    const [r] = await receive(group, { topic });
    await call("POST", `/v1/groups/${group}/nack`, { receipts: [r!.receipt], reason: "broken" });
    const down = await call("POST", "/v1/_test/faults", { topic, partition: 0, replica: 0, unavailable: true });
    expect(down.status).toBe(200);
    // The injected fault throws inside the partition, which the worker answers as a 500; what
    // matters here is that nothing of the redrive was kept.
    const failed = await call("POST", `/v1/groups/${group}/queue/redrive`, {});
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.json.error.code).toMatch(/^[A-Z_]+$/);
    await call("POST", "/v1/_test/faults", { topic, partition: 0, replica: 0, unavailable: false });
    expect(await stats(group)).toMatchObject({ redriven: 0, deadLetterRemaining: 1, backlog: 0 });
    expect((await call("POST", `/v1/groups/${group}/queue/redrive`, {})).json).toEqual({
      redriven: 1,
      skipped: 0,
      remaining: 0,
    });
    expect(await stats(group)).toMatchObject({ redriven: 1, deadLetterRemaining: 0, backlog: 1 });
    const [again] = await receive(group, { topic });
    expect(again).toMatchObject({ value: "job", deliveryCount: 1, headers: { "x-redrive-count": "1" } });
  });

  it("moves a dead letter back twice when it crashes between the append and keeping the position: at least once", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("qc");
    await call("PUT", `/v1/groups/${group}/queue`, { topic, maxDeliveries: 1 });
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: "job" }] });
    const [r] = await receive(group, { topic });
    await call("POST", `/v1/groups/${group}/nack`, { receipts: [r!.receipt] });
    // The crash: the position is never stored after the append went through.
    await runInDurableObject(groupStub(env, group), async (instance: GroupCoordinator) => {
      const store = (instance as unknown as { queue: { leases: QueueStore } }).queue.leases;
      const keep = store.setRedrivePosition;
      store.setRedrivePosition = () => {
        throw new Error("crash injected between the append and the position");
      };
      const config = { topic, maxDeliveries: 1, deadLetterTopic: `${topic}.dlq` };
      await expect(instance.redriveQueue(group, config, 10)).rejects.toThrow(/crash injected/);
      store.setRedrivePosition = keep;
    });
    expect(await stats(group)).toMatchObject({ redriven: 0, deadLetterRemaining: 1, backlog: 1 });
    expect((await call("POST", `/v1/groups/${group}/queue/redrive`, {})).json).toMatchObject({ redriven: 1 });
    const back = await receive(group, { topic, maxRecords: 10 });
    expect(back.map((b) => b.value)).toEqual(["job", "job"]);
  });

  it("answers 404 for a group never used, 409 for a consumer group, and 400 for a bad redrive", async () => {
    const topic = await createTopic(1);
    const never = uniqueName("never");
    const none = await call("GET", `/v1/groups/${never}/queue`);
    expect(none).toMatchObject({ status: 404, json: { error: { code: "GROUP_ID_NOT_FOUND" } } });
    const noRedrive = await call("POST", `/v1/groups/${never}/queue/redrive`, {});
    expect(noRedrive).toMatchObject({ status: 404, json: { error: { code: "GROUP_ID_NOT_FOUND" } } });

    const consumers = uniqueName("cg");
    await call("POST", `/v1/groups/${consumers}/offsets`, { offsets: [{ topic, partition: 0, offset: 0 }] });
    const clash = await call("GET", `/v1/groups/${consumers}/queue`);
    expect(clash).toMatchObject({ status: 409, json: { error: { code: "INCONSISTENT_GROUP_PROTOCOL" } } });
    expect((await call("POST", `/v1/groups/${consumers}/queue/redrive`, {})).status).toBe(409);

    const queue = uniqueName("qe");
    await call("PUT", `/v1/groups/${queue}/queue`, { topic });
    const zero = await call("POST", `/v1/groups/${queue}/queue/redrive`, { maxRecords: 0 });
    expect(zero).toMatchObject({ status: 400, json: { error: { code: "INVALID_REQUEST", field: "maxRecords" } } });
    const tooMany = await call("POST", `/v1/groups/${queue}/queue/redrive`, { maxRecords: 10_001 });
    expect(tooMany.status).toBe(400);
    // Before any dead letter there is nothing to redrive.
    expect((await call("POST", `/v1/groups/${queue}/queue/redrive`, {})).json).toEqual({
      redriven: 0,
      skipped: 0,
      remaining: 0,
    });

    // A group with two queues must say which.
    const second = await createTopic(1);
    await call("PUT", `/v1/groups/${queue}/queue`, { topic: second });
    const which = await call("GET", `/v1/groups/${queue}/queue`);
    expect(which).toMatchObject({ status: 400, json: { error: { code: "INVALID_REQUEST", field: "topic" } } });
    expect((await stats(queue, `?topic=${second}`)).topic).toBe(second);
    const notHis = await call("GET", `/v1/groups/${queue}/queue?topic=${uniqueName("nope")}`);
    expect(notHis).toMatchObject({ status: 409, json: { error: { code: "INCONSISTENT_GROUP_PROTOCOL" } } });
  });

  it("redrives only for a token that may alter the group, read the dead-letter topic and write the topic", async () => {
    const topic = await createTopic(1);
    const group = uniqueName("qa");
    await call("PUT", `/v1/groups/${group}/queue`, { topic, maxDeliveries: 1 });
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: "x" }] });
    const [r] = await receive(group, { topic });
    await call("POST", `/v1/groups/${group}/nack`, { receipts: [r!.receipt] });
    const dlq = `${topic}.dlq`;
    const alter = { resource: "group", pattern: group, operations: ["alter"] };
    const read = { resource: "topic", pattern: dlq, operations: ["read"] };
    const write = { resource: "topic", pattern: topic, operations: ["write"] };
    const path = `/v1/groups/${group}/queue/redrive`;
    for (const [acls, code, name] of [
      [[read, write], "GROUP_AUTHORIZATION_FAILED", group],
      [[alter, write], "TOPIC_AUTHORIZATION_FAILED", dlq],
      [[alter, read], "TOPIC_AUTHORIZATION_FAILED", topic],
    ] as const) {
      const { token } = await issueToken({ acls: [...acls] });
      const answer = await requestAs(token, "POST", path, {});
      expect(answer).toMatchObject({ status: 403, code });
      expect(Object.values(answer.json.error)).toContain(name);
    }
    expect((await stats(group)).deadLetterRemaining).toBe(1);
    const { token } = await issueToken({ acls: [alter, read, write] });
    expect((await requestAs(token, "POST", path, {})).json).toEqual({ redriven: 1, skipped: 0, remaining: 0 });
    // Describing the group is enough to read the figures.
    const viewer = await issueToken({ acls: [{ resource: "group", pattern: group, operations: ["describe"] }] });
    expect((await requestAs(viewer.token, "GET", `/v1/groups/${group}/queue`)).json).toMatchObject({ redriven: 1 });
  });
});
