// The SDK consumer against a real local worker (wrangler dev, started by global-setup.ts).
// Every test runs twice: with long polls (Node 20 has no global WebSocket, so that is what the
// consumer does here by default), and with push, given undici's WebSocket (Node 22's global
// one; the undici package is in node_modules as a dependency of miniflare).
// test/e2e/consumer-push.test.ts has the tests about push itself.
import { WebSocket as UndiciWebSocket } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Consumer,
  type ConsumerMessage,
  createClient,
  type FetchFunction,
  NoOffsetError,
  TributaryError,
  type WebSocketConstructor,
  type WebSocketLike,
} from "../../sdk/index.ts";
import {
  client,
  committed,
  describeGroup,
  fast,
  fill,
  newTopic,
  overlapGuard,
  retry,
  token,
  unique,
  url,
  waitFor,
} from "./consumer-helpers.ts";

const running: Consumer[] = [];

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((c) => c.disconnect()));
});

type Seen = { partition: number; offset: number; value: unknown };

/** Collects what a consumer handles, per partition. */
function collector() {
  const seen: Seen[] = [];
  return {
    seen,
    eachMessage: async ({ partition, message }: { partition: number; message: ConsumerMessage }) => {
      seen.push({ partition, offset: message.offset, value: message.value });
    },
    offsets: (partition: number) => seen.filter((s) => s.partition === partition).map((s) => s.offset),
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

const modes: [string, WebSocketConstructor | undefined][] = [
  ["long polls", undefined],
  ["push", UndiciWebSocket],
];

describe.each(modes)("consumer (%s)", (_mode, webSocket) => {
  /** A consumer that is disconnected after the test, whatever happens. */
  function consumer(options: Parameters<typeof client.consumer>[0], c = client): Consumer {
    const made = c.consumer({ webSocket, ...options });
    running.push(made);
    return made;
  }

  it("reads every record of a multi-partition topic in order, commits, and leaves the group on disconnect", async () => {
    const topic = await newTopic(3);
    const groupId = unique("g");
    await fill(topic, 3, 20);
    const c = consumer({ groupId, ...fast });
    const { seen, eachMessage, offsets } = collector();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({ eachMessage });
    expect(
      c
        .assignment()
        .map((a) => a.partition)
        .sort(),
    ).toEqual([0, 1, 2]);
    expect(c.memberId).toMatch(/\S/);

    await waitFor(() => seen.length >= 60, "60 records");
    for (const p of [0, 1, 2]) expect(offsets(p)).toEqual(range(0, 20));
    expect(seen.find((s) => s.partition === 1 && s.offset === 7)?.value).toEqual({ p: 1, i: 7 });

    await c.disconnect();
    expect(await committed(groupId, topic)).toEqual([20, 20, 20]);
    const group = await describeGroup(groupId);
    expect(group.members).toEqual([]);
    expect(group.state).toBe("Empty");
    expect(c.assignment()).toEqual([]);
  });

  it("shares partitions among three members: each record handled once, no partition by two members at once", async () => {
    const topic = await newTopic(6);
    const groupId = unique("g");
    const guard = overlapGuard();
    const handled = new Map<string, string[]>();
    const members = ["a", "b", "c"].map((name) => {
      const c = consumer({ groupId, ...fast });
      return { name, c };
    });
    for (const { name, c } of members) {
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachMessage: ({ partition, message }) =>
          guard.around(name, topic, partition, async () => {
            const k = `${partition}/${message.offset}`;
            handled.set(k, [...(handled.get(k) ?? []), name]);
            await new Promise((r) => setTimeout(r, 2));
          }),
      });
    }
    // Steady state: every partition held by exactly one member.
    await waitFor(() => {
      const held = members.flatMap((m) => m.c.assignment().map((a) => a.partition));
      return held.length === 6 && new Set(held).size === 6 && members.every((m) => m.c.assignment().length === 2);
    }, "the six partitions split two by two");

    await fill(topic, 6, 15);
    await waitFor(() => handled.size >= 90, "90 records");
    for (const p of range(0, 6)) {
      for (const i of range(0, 15)) expect(handled.get(`${p}/${i}`), `record ${p}/${i}`).toHaveLength(1);
    }
    expect(guard.overlaps).toEqual([]);
    const byMember = new Map<string, number>();
    for (const [, names] of handled) byMember.set(names[0]!, (byMember.get(names[0]!) ?? 0) + 1);
    expect([...byMember.values()]).toEqual([30, 30, 30]);
  });

  it("hands partitions to a member that joins mid-stream with nothing lost and nothing handled twice", async () => {
    const topic = await newTopic(4);
    const groupId = unique("g");
    const guard = overlapGuard();
    const handled = new Map<string, string[]>();
    const run = (name: string, c: Consumer) =>
      c.run({
        eachMessage: ({ partition, message }) =>
          guard.around(name, topic, partition, async () => {
            const k = `${partition}/${message.offset}`;
            handled.set(k, [...(handled.get(k) ?? []), name]);
            await new Promise((r) => setTimeout(r, 20));
          }),
      });
    await fill(topic, 4, 50);
    const first = consumer({ groupId, ...fast });
    await first.subscribe({ topic, fromBeginning: true });
    await run("first", first);
    await waitFor(() => handled.size >= 20, "the first member to be under way");

    const second = consumer({ groupId, ...fast });
    await second.subscribe({ topic, fromBeginning: true });
    await run("second", second);
    await waitFor(() => second.assignment().length === 2 && first.assignment().length === 2, "the handover");
    await fill(topic, 4, 10, 50);

    await waitFor(() => handled.size >= 240, "240 records");
    const twice = [...handled].filter(([, names]) => names.length > 1);
    expect(twice).toEqual([]);
    expect(guard.overlaps).toEqual([]);
    expect(new Set([...handled.values()].map((names) => names[0]))).toEqual(new Set(["first", "second"]));
  });

  it("after a crash without a commit, the next member resumes from the committed offset with nothing lost", async () => {
    const topic = await newTopic(1);
    const groupId = unique("g");
    await fill(topic, 1, 10);
    // A member whose process dies: from the kill on, none of its calls get through.
    let dead = false;
    const killable: FetchFunction = (input, init) =>
      dead ? Promise.reject(new TypeError("the process is gone")) : fetch(input, init);
    const sockets: WebSocketLike[] = [];
    class KillableWebSocket extends UndiciWebSocket {
      constructor(address: string, init?: { headers?: Record<string, string> }) {
        if (dead) throw new TypeError("the process is gone");
        super(address, init);
        sockets.push(this);
      }
    }
    const crashing = consumer(
      {
        groupId,
        ...fast,
        sessionTimeoutMs: 2_000,
        autoCommit: false,
        ...(webSocket ? { webSocket: KillableWebSocket } : {}),
      },
      createClient({ url, token, retry, fetch: killable }),
    );
    const first = collector();
    await crashing.subscribe({ topic, fromBeginning: true });
    await crashing.run({ eachMessage: first.eachMessage });
    await waitFor(() => first.seen.length === 10, "the first member's 10 records");
    // It committed part of what it handled, then died before committing the rest.
    await crashing.commitOffsets([{ topic, partition: 0, offset: 6 }]);
    dead = true;
    for (const socket of sockets) socket.close(1000, "gone");

    const next = consumer({ groupId, ...fast });
    const second = collector();
    await next.subscribe({ topic });
    // Its session expires on the server (2 s), then the partition is the new member's.
    await next.run({ eachMessage: second.eachMessage });
    await waitFor(() => next.assignment().length === 1, "the partition to move to the new member");
    await fill(topic, 1, 5, 10);
    await waitFor(() => second.seen.length >= 9, "the records after the committed offset");
    expect(second.offsets(0)).toEqual(range(6, 15));
  });

  it("a member that disconnects commits what it handled: the next one starts right after it", async () => {
    const topic = await newTopic(2);
    const groupId = unique("g");
    await fill(topic, 2, 10);
    const a = consumer({ groupId, ...fast, autoCommitIntervalMs: 60_000 });
    const first = collector();
    await a.subscribe({ topic, fromBeginning: true });
    await a.run({ eachMessage: first.eachMessage });
    await waitFor(() => first.seen.length === 20, "20 records");
    await a.disconnect();
    expect(await committed(groupId, topic)).toEqual([10, 10]);

    await fill(topic, 2, 5, 10);
    const b = consumer({ groupId, ...fast });
    const second = collector();
    await b.subscribe({ topic, fromBeginning: true });
    await b.run({ eachMessage: second.eachMessage });
    await waitFor(() => second.seen.length >= 10, "the 10 new records");
    expect(second.offsets(0)).toEqual(range(10, 15));
    expect(second.offsets(1)).toEqual(range(10, 15));
  });

  it("commits only what commitOffsets commits when autoCommit is off", async () => {
    const topic = await newTopic(1);
    const groupId = unique("g");
    await fill(topic, 1, 8);
    const c = consumer({ groupId, ...fast, autoCommit: false });
    const commits: number[][] = [];
    c.on(c.events.COMMIT_OFFSETS, (e) => commits.push(e.offsets.map((o) => o.offset)));
    const { seen, eachMessage } = collector();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage });
    await waitFor(() => seen.length === 8, "8 records");
    expect(await committed(groupId, topic)).toEqual([null]);
    await c.commitOffsets([{ topic, partition: 0, offset: 5 }]);
    expect(await committed(groupId, topic)).toEqual([5]);
    await c.disconnect();
    expect(await committed(groupId, topic)).toEqual([5]);
    expect(commits).toEqual([[5]]);
  });

  it("refuses commitOffsets before run with a typed error", async () => {
    const c = consumer({ groupId: unique("g"), ...fast });
    const err = await c.commitOffsets([{ topic: "t", partition: 0, offset: 1 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe("ILLEGAL_STATE");
  });

  it("seeks: the partition is read again from the offset given, and that offset is committed", async () => {
    const topic = await newTopic(1);
    const groupId = unique("g");
    await fill(topic, 1, 10);
    const c = consumer({ groupId, ...fast });
    const seen: number[] = [];
    let sought = false;
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        seen.push(message.offset);
        if (message.offset === 6 && !sought) {
          sought = true;
          c.seek({ topic, partition: 0, offset: 3 });
        }
      },
    });
    await waitFor(() => seen.length >= 14, "the records after the seek");
    expect(seen).toEqual([...range(0, 7), ...range(3, 10)]);
    await c.disconnect();
    expect(await committed(groupId, topic)).toEqual([10]);
  });

  it("pauses a partition (the others go on) and resumes it where it stopped", async () => {
    const topic = await newTopic(2);
    const groupId = unique("g");
    await fill(topic, 1, 10); // partition 0 only
    const c = consumer({ groupId, ...fast });
    const { seen, eachMessage, offsets } = collector();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: async (payload) => {
        await eachMessage(payload);
        if (payload.partition === 0 && payload.message.offset === 2) payload.pause();
      },
    });
    await waitFor(() => c.paused().length === 1, "the pause");
    expect(c.paused()).toEqual([{ topic, partitions: [0] }]);
    // Records produced to partition 1 after partition 0's are handled while 0 stays paused.
    await client.producer().send({ topic, messages: range(0, 5).map((i) => ({ partition: 1, value: i })) });
    await waitFor(() => offsets(1).length === 5, "partition 1's records");
    expect(offsets(0)).toEqual([0, 1, 2]);

    c.resume([{ topic }]);
    expect(c.paused()).toEqual([]);
    await waitFor(() => offsets(0).length >= 10, "the rest of partition 0");
    expect(offsets(0)).toEqual(range(0, 10));
    expect(seen).toHaveLength(15);
  });

  it("hands batches to eachBatch, commits the resolved offsets, and reads unresolved ones again", async () => {
    const topic = await newTopic(2);
    const groupId = unique("g");
    await fill(topic, 2, 12);
    const c = consumer({ groupId, ...fast });
    const batches: { partition: number; offsets: number[]; highWatermark: number; lag: number }[] = [];
    let held = false;
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
        batches.push({
          partition: batch.partition,
          offsets: batch.messages.map((m) => m.offset),
          highWatermark: batch.highWatermark,
          lag: batch.offsetLag(),
        });
        expect(isRunning()).toBe(true);
        expect(isStale()).toBe(false);
        for (const m of batch.messages) {
          // Partition 1 stops short once, at offset 5: the rest of that batch comes again.
          if (batch.partition === 1 && m.offset === 5 && !held) {
            held = true;
            return;
          }
          resolveOffset(m.offset);
        }
      },
    });
    await waitFor(async () => (await committed(groupId, topic)).every((o) => o === 12), "offsets 12 committed");
    const p0 = batches.filter((b) => b.partition === 0);
    expect(p0.flatMap((b) => b.offsets)).toEqual(range(0, 12));
    expect(p0[0]!.highWatermark).toBe(12);
    expect(p0.at(-1)!.lag).toBe(0);
    const p1 = batches.filter((b) => b.partition === 1).flatMap((b) => b.offsets);
    expect(p1.slice(0, 12)).toEqual(range(0, 12));
    expect(p1.slice(12)).toEqual(range(5, 12));
  });

  it('with autoOffsetReset "latest", starts after the records that were there', async () => {
    const topic = await newTopic(2);
    await fill(topic, 2, 5);
    const c = consumer({ groupId: unique("g"), ...fast, autoOffsetReset: "latest" });
    const { seen, eachMessage } = collector();
    await c.subscribe({ topic });
    await c.run({ eachMessage });
    await fill(topic, 2, 3, 5);
    await waitFor(() => seen.length >= 6, "the 6 new records");
    expect(seen.map((s) => s.offset).sort()).toEqual([5, 5, 6, 6, 7, 7]);
  });

  it('with autoOffsetReset "none", run fails naming the partition without a committed offset, and starts where one is', async () => {
    const topic = await newTopic(1);
    const groupId = unique("g");
    await fill(topic, 1, 6);
    const c = consumer({ groupId, ...fast, autoOffsetReset: "none" });
    await c.subscribe({ topic });
    const err = await c.run({ eachMessage: async () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoOffsetError);
    expect((err as NoOffsetError).code).toBe("NO_OFFSET_FOR_PARTITION");
    expect((err as NoOffsetError).message).toContain(`${topic}/0`);
    expect((err as NoOffsetError).partition).toBe(0);
    // It left the group: an offset can be set with no member around.
    expect((await describeGroup(groupId)).members).toEqual([]);
    const set = await fetch(new URL(`/v1/groups/${groupId}/offsets`, url), {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ offsets: [{ topic, partition: 0, offset: 4 }] }),
    });
    expect(set.status).toBe(200);

    const { seen, eachMessage } = collector();
    await c.run({ eachMessage });
    await waitFor(() => seen.length >= 2, "the records after the committed offset");
    expect(seen.map((s) => s.offset)).toEqual([4, 5]);
  });

  it("retries a handler that throws, then crashes after retries, committing what it handled and leaving", async () => {
    const topic = await newTopic(1);
    const groupId = unique("g");
    await fill(topic, 1, 5);
    const c = consumer({ groupId, ...fast, retry: { retries: 2, initialRetryTime: 5, maxRetryTime: 20 } });
    const attempts: number[] = [];
    const crashed: Error[] = [];
    c.on(c.events.CRASH, ({ error }) => crashed.push(error));
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        attempts.push(message.offset);
        if (message.offset === 3) throw new Error("cannot handle 3");
      },
    });
    await waitFor(() => crashed.length === 1, "the crash");
    expect(crashed[0]!.message).toBe("cannot handle 3");
    expect(attempts).toEqual([0, 1, 2, 3, 3, 3]);
    expect(await committed(groupId, topic)).toEqual([3]);
    expect((await describeGroup(groupId)).members).toEqual([]);
  });

  it("fails run for a topic that does not exist", async () => {
    const c = consumer({ groupId: unique("g"), ...fast });
    await c.subscribe({ topic: unique("missing") });
    const err = await c.run({ eachMessage: async () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
  });
});
