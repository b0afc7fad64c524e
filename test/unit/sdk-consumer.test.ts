// The consumer's group protocol against a fake coordinator the test scripts: what it does on a
// rebalance, on partitions handed over later, when the coordinator forgot it, and on
// disconnect. test/e2e/consumer.test.ts runs the consumer against a real worker.
import { afterEach, describe, expect, it } from "vitest";
import { type Consumer, createClient, type FetchFunction } from "../../sdk/index.ts";

interface Call {
  method: string;
  path: string;
  body: any;
}

type Answer = { status: number; body: unknown };

const ok = (body: unknown): Answer => ({ status: 200, body });
const failure = (status: number, code: string): Answer => ({
  status,
  body: { error: { code, message: code.toLowerCase(), retriable: false } },
});

/**
 * A fake worker with one topic, "t": records (value = offset) per partition, a group's
 * committed offsets, and join/heartbeat answers the test decides.
 */
function fakeWorker(options: {
  records: number[];
  committed?: (number | null)[];
  join: (body: { memberId?: string }, n: number) => Answer;
  heartbeat?: (body: { generation: number }, n: number) => Answer | undefined;
}) {
  const calls: Call[] = [];
  const committed = options.committed ?? options.records.map(() => null);
  let joins = 0;
  let beats = 0;
  let last: { memberId: string; generation: number; assignments: unknown[] } | undefined;

  const answer = async (method: string, url: URL, body: any, signal?: AbortSignal | null): Promise<Answer> => {
    const path = url.pathname;
    if (method === "POST" && path === "/v1/groups/g/members") {
      const a = options.join(body, joins++);
      if (a.status === 200) last = a.body as typeof last;
      return a;
    }
    if (method === "POST" && path.endsWith("/heartbeat")) {
      return options.heartbeat?.(body, beats++) ?? ok({ ...last, state: "Stable" });
    }
    if (method === "POST" && path === "/v1/groups/g/offsets") {
      for (const o of body.offsets) committed[o.partition] = o.offset;
      return ok({ committed: body.offsets });
    }
    if (method === "GET" && path === "/v1/groups/g/offsets") {
      const offsets = options.records.map((end, partition) => ({
        topic: "t",
        partition,
        committed: committed[partition] ?? null,
        highWatermark: end,
        logStartOffset: 0,
        lag: 0,
      }));
      return ok({ offsets });
    }
    if (method === "DELETE" && path.startsWith("/v1/groups/g/members/")) return ok({ left: path.split("/").at(-1) });
    const fetched = /^\/v1\/topics\/t\/partitions\/(\d+)\/records$/.exec(path);
    if (method === "GET" && fetched) {
      const partition = Number(fetched[1]);
      const from = Number(url.searchParams.get("offset"));
      const end = options.records[partition]!;
      if (from >= end) {
        // A long poll with nothing new: wait a little (or until aborted), answer no records.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 20);
          signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          });
        });
        signal?.throwIfAborted();
      }
      const records = [];
      for (let o = from; o < end; o++) records.push({ partition, offset: o, timestamp: 1, value: o });
      return ok({ records, nextOffset: Math.max(from, end), highWatermark: end, logStartOffset: 0 });
    }
    return failure(404, "NOT_FOUND");
  };

  const fetch: FetchFunction = async (input, init) => {
    const url = new URL(input);
    const body = init.body === undefined ? undefined : JSON.parse(init.body as string);
    const method = init.method ?? "GET";
    calls.push({ method, path: url.pathname, body });
    const { status, body: out } = await answer(method, url, body, init.signal);
    return Response.json(out, { status });
  };
  return { fetch, calls, committed };
}

const joined = (memberId: string, generation: number, partitions: number[]) =>
  ok({ memberId, generation, assignments: partitions.map((partition) => ({ topic: "t", partition })) });

const running: Consumer[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((c) => c.disconnect()));
});

function consumerOn(fetch: FetchFunction, options: { autoCommitIntervalMs?: number } = {}) {
  const client = createClient({ url: "http://tributary.test", token: "t", fetch, retry: { retries: 0 } });
  const consumer = client.consumer({
    groupId: "g",
    sessionTimeoutMs: 1_000,
    heartbeatIntervalMs: 10,
    autoCommitIntervalMs: options.autoCommitIntervalMs ?? 60_000,
    maxWaitMs: 100,
    push: "off",
  });
  running.push(consumer);
  return consumer;
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The group calls (not fetches of records or heartbeats), as "METHOD what". */
const groupCalls = (calls: Call[]) =>
  calls
    .filter((c) => c.path.startsWith("/v1/groups/") && !c.path.endsWith("/heartbeat"))
    .map((c) => `${c.method} ${c.path.replace("/v1/groups/g", "") || "/"}`);

describe("consumer group protocol", () => {
  it("on REBALANCE_IN_PROGRESS commits what it handled with the old generation, then joins again with its member id", async () => {
    const handled: string[] = [];
    let rebalanced = false;
    const worker = fakeWorker({
      records: [3, 2],
      join: (_body, n) => (n === 0 ? joined("m-1", 1, [0, 1]) : joined("m-1", 2, [0])),
      heartbeat: ({ generation }) => {
        if (generation === 1 && handled.length === 5 && !rebalanced) {
          rebalanced = true;
          return failure(409, "REBALANCE_IN_PROGRESS");
        }
        return undefined;
      },
    });
    const consumer = consumerOn(worker.fetch);
    const generations: number[] = [];
    consumer.on("consumer.group_join", (e) => generations.push(e.generation));
    await consumer.subscribe({ topic: "t", fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => void handled.push(`${partition}/${message.offset}`),
    });
    await waitFor(() => generations.length === 2, "the second join");

    const commit = worker.calls.find((c) => c.path === "/v1/groups/g/offsets" && c.method === "POST")!;
    expect(commit.body).toEqual({
      memberId: "m-1",
      generation: 1,
      offsets: [
        { topic: "t", partition: 0, offset: 3 },
        { topic: "t", partition: 1, offset: 2 },
      ],
    });
    const joins = worker.calls.filter((c) => c.path === "/v1/groups/g/members");
    expect(joins.map((j) => j.body.memberId)).toEqual([undefined, "m-1"]);
    expect(groupCalls(worker.calls).slice(0, 4)).toEqual([
      "POST /members",
      "GET /offsets",
      "POST /offsets",
      "POST /members",
    ]);
    expect(consumer.assignment()).toEqual([{ topic: "t", partition: 0 }]);
    expect(handled.sort()).toEqual(["0/0", "0/1", "0/2", "1/0", "1/1"]);
  });

  it("starts a partition a heartbeat hands over later, from the group's committed offset", async () => {
    const handled: string[] = [];
    const worker = fakeWorker({
      records: [2, 4],
      committed: [null, 2],
      join: () => joined("m-1", 1, [0]),
      heartbeat: (_body, n) =>
        n < 3
          ? undefined
          : ok({ generation: 1, assignments: [0, 1].map((partition) => ({ topic: "t", partition })), state: "Stable" }),
    });
    const consumer = consumerOn(worker.fetch);
    await consumer.subscribe({ topic: "t", fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => void handled.push(`${partition}/${message.offset}`),
    });
    await waitFor(() => handled.length === 4, "4 records");
    expect(handled.filter((h) => h.startsWith("1/"))).toEqual(["1/2", "1/3"]);
    expect(consumer.assignment()).toEqual([
      { topic: "t", partition: 0 },
      { topic: "t", partition: 1 },
    ]);
    // Where partition 1 starts was looked up when it came, not taken from the join's lookup.
    expect(groupCalls(worker.calls).filter((c) => c === "GET /offsets")).toHaveLength(2);
  });

  it("joins as a new member, committing nothing, when the coordinator no longer knows it", async () => {
    let fenced = false;
    const worker = fakeWorker({
      records: [2],
      join: (_body, n) => (n === 0 ? joined("m-1", 1, [0]) : joined("m-2", 2, [0])),
      heartbeat: ({ generation }) => {
        if (generation === 1 && !fenced) {
          fenced = true;
          return failure(404, "UNKNOWN_MEMBER_ID");
        }
        return undefined;
      },
    });
    const consumer = consumerOn(worker.fetch);
    const members: string[] = [];
    consumer.on("consumer.group_join", (e) => members.push(e.memberId));
    await consumer.subscribe({ topic: "t", fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    await waitFor(() => members.length === 2, "the second join");
    expect(members).toEqual(["m-1", "m-2"]);
    const joins = worker.calls.filter((c) => c.path === "/v1/groups/g/members");
    expect(joins[1]!.body.memberId).toBeUndefined();
    expect(groupCalls(worker.calls).slice(0, 4)).toEqual([
      "POST /members",
      "GET /offsets",
      "POST /members",
      "GET /offsets",
    ]);
    expect(consumer.memberId).toBe("m-2");
  });

  it("joins afresh when a rejoin's member id is unknown", async () => {
    const worker = fakeWorker({
      records: [0],
      join: (body, n) => {
        if (n === 0) return joined("m-1", 1, [0]);
        if (body.memberId !== undefined) return failure(404, "UNKNOWN_MEMBER_ID");
        return joined("m-2", 3, [0]);
      },
      heartbeat: ({ generation }) => (generation === 1 ? failure(409, "REBALANCE_IN_PROGRESS") : undefined),
    });
    const consumer = consumerOn(worker.fetch);
    await consumer.subscribe({ topic: "t" });
    await consumer.run({ eachMessage: async () => {} });
    await waitFor(() => consumer.memberId === "m-2", "the fresh join");
    const joins = worker.calls.filter((c) => c.path === "/v1/groups/g/members");
    expect(joins.map((j) => j.body.memberId)).toEqual([undefined, "m-1", undefined]);
  });

  it("commits on its interval, and on disconnect commits the rest and then leaves", async () => {
    const handled: number[] = [];
    const worker = fakeWorker({ records: [3], join: () => joined("m-1", 1, [0]) });
    const consumer = consumerOn(worker.fetch, { autoCommitIntervalMs: 20 });
    await consumer.subscribe({ topic: "t", fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void handled.push(message.offset) });
    await waitFor(() => worker.committed[0] === 3, "the interval's commit");
    await consumer.disconnect();
    const calls = groupCalls(worker.calls);
    expect(calls.at(-1)).toBe("DELETE /members/m-1");
    expect(calls.filter((c) => c === "POST /offsets")).toHaveLength(1); // nothing new to commit at the end
    expect(consumer.assignment()).toEqual([]);
  });

  it("rides out heartbeats that fail with a server error", async () => {
    let beats = 0;
    const worker = fakeWorker({
      records: [1],
      join: () => joined("m-1", 1, [0]),
      heartbeat: (_body, n) => {
        beats = n + 1;
        return n < 3 ? failure(500, "UNKNOWN_SERVER_ERROR") : undefined;
      },
    });
    const consumer = consumerOn(worker.fetch);
    const crashes: Error[] = [];
    consumer.on("consumer.crash", ({ error }) => crashes.push(error));
    await consumer.subscribe({ topic: "t", fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    await waitFor(() => beats >= 5, "five heartbeats");
    expect(crashes).toEqual([]);
    expect(consumer.memberId).toBe("m-1");
    expect(worker.calls.filter((c) => c.path === "/v1/groups/g/members")).toHaveLength(1);
  });

  it("crashes, commits and leaves when a heartbeat is refused for good", async () => {
    const handled: number[] = [];
    const worker = fakeWorker({
      records: [2],
      join: () => joined("m-1", 1, [0]),
      heartbeat: () => (handled.length === 2 ? failure(401, "UNAUTHENTICATED") : undefined),
    });
    const consumer = consumerOn(worker.fetch);
    const crashes: Error[] = [];
    consumer.on("consumer.crash", ({ error }) => crashes.push(error));
    await consumer.subscribe({ topic: "t", fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void handled.push(message.offset) });
    await waitFor(() => crashes.length === 1, "the crash");
    expect((crashes[0] as { code?: string }).code).toBe("UNAUTHENTICATED");
    expect(worker.committed).toEqual([2]);
    expect(groupCalls(worker.calls).slice(-2)).toEqual(["POST /offsets", "DELETE /members/m-1"]);
  });
});
