// Each kind of join inside workerd, against outputs computed by hand: the real StreamTasks read
// the topics, keep the tables and join buffers in their SQLite, and are crashed (their objects
// aborted) before and after a commit on the way, which must neither lose nor double a record.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";
import { JoinWindows, streamsApp } from "../../sdk/streams/index.ts";
import { call, createTopic, uniqueName, waitFor } from "../helpers/http.ts";
import {
  injectFault,
  produce,
  queryStore,
  readAll,
  startApp,
  taskStatus,
  waitForRecords,
  waitProcessed,
} from "./stream-apps-fixtures.ts";
import { testApps } from "./worker.ts";

const User = z.object({ name: z.string() });
const Click = z.object({ page: z.string() });

/** `n` keys `<prefix>-…` that Kafka's partitioner puts on partition `partition` of `partitions`. */
function keysOn(prefix: string, partition: number, partitions: number, n = 1): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < n; i++)
    if (partitionForKey(`${prefix}-${i}`, partitions) === partition) keys.push(`${prefix}-${i}`);
  return keys;
}

/** The values of a topic's records, per key, in log order. */
function valuesByKey(records: any[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const r of records) {
    out[r.key] ??= [];
    out[r.key]!.push(r.value);
  }
  return out;
}

const values = (records: any[]) => records.map((r) => r.value);

/** A store's entries, or undefined while the task answering is crashing (by a test's fault). */
const storeNow = (app: string, store: string) => queryStore(app, store).catch(() => undefined);

/** Every task of the app done: its outbox empty; answers their statuses. */
async function settled(app: string, tasks: [number, number][]) {
  return waitFor(async () => {
    const all = await Promise.all(tasks.map(([sub, p]) => taskStatus(app, sub, p))).catch(() => undefined);
    return all?.every((s) => s.pendingOutputs === 0 && s.lastError === null) ? all : undefined;
  });
}

describe("joins inside workerd", () => {
  it("joins clicks with the users table across two co-partitioned partitions, at the table's value when each click is processed, exactly once through crashes", async () => {
    const users = await createTopic(2);
    const clicks = await createTopic(2);
    const [ann] = keysOn("user", 0, 2);
    const [bo] = keysOn("user", 1, 2);
    const [nobody] = keysOn("nobody", 0, 2);
    const inner = uniqueName("inner");
    const left = uniqueName("left");
    const app = streamsApp(uniqueName("app"));
    const table = app.table(users, { key: z.string(), value: User, name: "users" });
    const stream = app.stream(clicks, { key: z.string(), value: Click });
    stream.join(table, (c, u) => `${u.name}:${c.page}`).to(inner);
    stream.leftJoin(table, (c, u) => `${u?.name ?? "?"}:${c.page}`).to(left);
    testApps.push(app);

    await produce(users, [
      { key: ann, value: { name: "Ann" } },
      { key: bo, value: { name: "Bo" } },
    ]);
    const started = await startApp(app.name);
    expect(started.json.state).toBe("running");
    expect(started.json.tasks).toHaveLength(2);
    await waitFor(async () => (await queryStore(app.name, "users")).length === 2, 10_000, "both users in the table");
    await produce(clicks, [
      { key: ann, value: { page: "/1" } },
      { key: bo, value: { page: "/2" } },
      { key: nobody, value: { page: "/3" } },
    ]);
    await waitForRecords(inner, 2);
    await waitForRecords(left, 3);

    // An update after the clicks joins none of them again; the clicks after it see it.
    await produce(users, [
      { key: ann, value: { name: "Anna" } },
      { key: bo, value: null },
    ]);
    await waitFor(
      async () =>
        JSON.stringify(await queryStore(app.name, "users")) === JSON.stringify([{ key: ann, value: { name: "Anna" } }]),
      10_000,
      "the table updated",
    );
    // Each task crashes once before its next commit, then once after the one after.
    for (const p of [0, 1]) await injectFault(app.name, 0, p, "before-commit");
    await produce(clicks, [
      { key: ann, value: { page: "/4" } },
      { key: bo, value: { page: "/5" } },
    ]);
    await waitForRecords(inner, 3);
    await waitForRecords(left, 5);
    for (const p of [0, 1]) await injectFault(app.name, 0, p, "after-commit");
    await produce(clicks, [
      { key: ann, value: { page: "/6" } },
      { key: bo, value: { page: "/7" } },
    ]);
    await waitForRecords(inner, 4);
    await waitForRecords(left, 7);

    const statuses = await settled(app.name, [
      [0, 0],
      [0, 1],
    ]);
    expect(statuses.map((s) => s.faultsInjected)).toEqual([2, 2]);
    expect(valuesByKey(await readAll(inner))).toEqual({ [ann!]: ["Ann:/1", "Anna:/4", "Anna:/6"], [bo!]: ["Bo:/2"] });
    expect(valuesByKey(await readAll(left))).toEqual({
      [ann!]: ["Ann:/1", "Anna:/4", "Anna:/6"],
      [bo!]: ["Bo:/2", "?:/5", "?:/7"],
      [nobody!]: ["?:/3"],
    });
  });

  it("copies a global table whole before the first record, follows its updates and joins by a computed key, exactly once through crashes", async () => {
    const campaigns = await createTopic(2);
    const views = await createTopic(1);
    const inner = uniqueName("inner");
    const left = uniqueName("left");
    // All there before the app starts: the task copies the table before it processes a view.
    await produce(campaigns, [
      { key: "ad-1", value: { campaign: "spring" } },
      { key: "ad-2", value: { campaign: "summer" } },
      { key: "ad-3", value: { campaign: "autumn" } },
    ]);
    await produce(views, [
      { key: "v1", value: { ad: "ad-1" } },
      { key: "v2", value: { ad: "ad-4" } },
      { key: "v3", value: { ad: "ad-2" } },
    ]);
    const app = streamsApp(uniqueName("app"));
    const global = app.globalTable(campaigns, {
      key: z.string(),
      value: z.object({ campaign: z.string() }),
      name: "campaigns",
    });
    const stream = app.stream(views, { key: z.string(), value: z.object({ ad: z.string() }) });
    stream
      .join(
        global,
        (_k, v) => v.ad,
        (v, c) => `${v.ad}:${c.campaign}`,
      )
      .to(inner);
    stream
      .leftJoin(
        global,
        (_k, v) => v.ad,
        (v, c) => `${v.ad}:${c?.campaign ?? "none"}`,
      )
      .to(left);
    testApps.push(app);
    expect((await startApp(app.name)).json.topology.subTopologies[0].globalTables).toEqual([campaigns]);
    expect(values(await waitForRecords(inner, 2))).toEqual(["ad-1:spring", "ad-2:summer"]);
    expect(values(await waitForRecords(left, 3))).toEqual(["ad-1:spring", "ad-4:none", "ad-2:summer"]);

    // The copy's next commit (of the table's update) crashes before it is kept...
    await injectFault(app.name, 0, 0, "before-commit");
    await produce(campaigns, [
      { key: "ad-4", value: { campaign: "winter" } },
      { key: "ad-1", value: null },
    ]);
    await waitFor(
      async () => (await storeNow(app.name, "campaigns"))?.map((e) => e.key).join() === "ad-2,ad-3,ad-4",
      10_000,
      "the global table's copy updated",
    );
    expect((await taskStatus(app.name, 0, 0)).faultsInjected).toBe(1);
    // ...and the views' after.
    await injectFault(app.name, 0, 0, "after-commit");
    await produce(views, [
      { key: "v4", value: { ad: "ad-4" } },
      { key: "v5", value: { ad: "ad-1" } },
    ]);
    await waitForRecords(inner, 3);
    await waitForRecords(left, 5);
    await settled(app.name, [[0, 0]]);
    // The copy's position in each partition of the table's topic, and its lag once a round read them.
    const status = await waitFor(async () => {
      const s = await taskStatus(app.name, 0, 0);
      return s.globalTables.every((g) => g.lag === 0) ? s : undefined;
    });
    expect(status.faultsInjected).toBe(2);
    expect(status.globalTables.map((g) => [g.topic, g.partition, g.lag])).toEqual([
      [campaigns, 0, 0],
      [campaigns, 1, 0],
    ]);
    expect(status.counters.processed).toBe(5);
    expect(values(await readAll(inner))).toEqual(["ad-1:spring", "ad-2:summer", "ad-4:winter"]);
    expect(values(await readAll(left))).toEqual([
      "ad-1:spring",
      "ad-4:none",
      "ad-2:summer",
      "ad-4:winter",
      "ad-1:none",
    ]);
  });

  it("joins two streams within a window: inner, left and outer, late and out-of-order records, exactly once through crashes", async () => {
    const l = await createTopic(1);
    const r = await createTopic(1);
    const outs = { inner: uniqueName("inner"), left: uniqueName("left"), outer: uniqueName("outer") };
    const app = streamsApp(uniqueName("app"));
    const ls = app.stream(l, { key: z.string(), value: z.string() });
    const rs = app.stream(r, { key: z.string(), value: z.string() });
    const joiner = (a: string | null, b: string | null) => `${a ?? "-"}+${b ?? "-"}`;
    // A left record at t joins right records in [t - 10 s, t + 10 s]; each side waits 10 s + 5 s of grace.
    const windows = JoinWindows.ofTimeDifferenceAndGrace(10_000, 5_000);
    ls.join(rs, joiner, windows, { name: "j-inner" }).to(outs.inner);
    ls.leftJoin(rs, joiner, windows, { name: "j-left" }).to(outs.left);
    ls.outerJoin(rs, joiner, windows, { name: "j-outer" }).to(outs.outer);
    testApps.push(app);
    expect((await startApp(app.name)).json.state).toBe("running");
    // Recent event times (older ones would fall to the topics' retention), in seconds from a base.
    const base = Math.floor(Date.now() / 1000) * 1000 - 300_000;
    const steps: [string, string, number][] = [
      [l, "a", 100],
      [r, "x", 105], // joins a
      [l, "b", 120], // nothing in [110, 130] yet
      [r, "y", 90], // stream time 120 > 90 + 15: late
      [r, "z", 112], // out of order within grace: joins b
      [l, "c", 140], // nothing in [130, 150]
      [r, "w", 160], // nothing in [150, 170]; c's window closed (140 + 15 < 160)
      [l, "d", 176], // nothing in [166, 186]; w's window closed (160 + 15 < 176)
    ];
    for (const [i, [topic, value, s]] of steps.entries()) {
      if (i === 4) await injectFault(app.name, 0, 0, "before-commit");
      if (i === 6) await injectFault(app.name, 0, 0, "after-commit");
      await produce(topic, [{ key: "k", value, timestamp: base + s * 1000 }]);
      await waitProcessed(app.name, 0, 0, i + 1);
    }
    const expected = {
      inner: [
        ["a+x", 105],
        ["b+z", 120],
      ],
      left: [
        ["a+x", 105],
        ["b+z", 120],
        ["c+-", 140],
      ],
      outer: [
        ["a+x", 105],
        ["b+z", 120],
        ["c+-", 140],
        ["-+w", 160],
      ],
    };
    for (const [kind, out] of Object.entries(outs)) {
      const records = await waitForRecords(out, expected[kind as keyof typeof expected].length);
      expect(records.map((o) => [o.value, (o.timestamp - base) / 1000])).toEqual(
        expected[kind as keyof typeof expected],
      );
    }
    const late = await waitForRecords(`${app.name}.late-records`, 3);
    expect(late.map((o) => [o.value, o.headers.store]).sort()).toEqual([
      ["y", "j-inner"],
      ["y", "j-left"],
      ["y", "j-outer"],
    ]);
    const [status] = await settled(app.name, [[0, 0]]);
    expect(status!.faultsInjected).toBe(2);
    expect(status!.counters).toMatchObject({ processed: 8, late: 3 });
  });

  it("joins two tables on updates of either side: inner, left and outer, materialized, exactly once through crashes", async () => {
    const a = await createTopic(1);
    const b = await createTopic(1);
    const outs = { inner: uniqueName("inner"), left: uniqueName("left"), outer: uniqueName("outer") };
    const app = streamsApp(uniqueName("app"));
    const ta = app.table(a, { key: z.string(), value: z.number(), name: "a" });
    const tb = app.table(b, { key: z.string(), value: z.string(), name: "b" });
    const joiner = (x: number | null, y: string | null) => `${x ?? "-"}${y ?? "-"}`;
    ta.join(tb, joiner, { name: "ab-inner" }).toStream().to(outs.inner);
    ta.leftJoin(tb, joiner, { name: "ab-left" }).toStream().to(outs.left);
    ta.outerJoin(tb, joiner, { name: "ab-outer" }).toStream().to(outs.outer);
    testApps.push(app);
    expect((await startApp(app.name)).json.state).toBe("running");
    const steps: [string, number | string | null][] = [
      [a, 1],
      [b, "x"],
      [a, 2],
      [b, null],
      [a, null],
      [b, "y"],
    ];
    for (const [i, [topic, value]] of steps.entries()) {
      if (i === 2) await injectFault(app.name, 0, 0, "before-commit");
      if (i === 4) await injectFault(app.name, 0, 0, "after-commit");
      await produce(topic, [{ key: "k", value }]);
      await waitProcessed(app.name, 0, 0, i + 1);
    }
    const expected = {
      inner: ["1x", "2x", null],
      left: ["1-", "1x", "2x", "2-", null],
      outer: ["1-", "1x", "2x", "2-", null, "-y"],
    };
    for (const [kind, out] of Object.entries(outs)) {
      const want = expected[kind as keyof typeof expected];
      expect(values(await waitForRecords(out, want.length))).toEqual(want);
    }
    expect(await queryStore(app.name, "ab-inner")).toEqual([]);
    expect(await queryStore(app.name, "ab-left")).toEqual([]);
    expect(await queryStore(app.name, "ab-outer")).toEqual([{ key: "k", value: "-y" }]);
    const [status] = await settled(app.name, [[0, 0]]);
    expect(status!.faultsInjected).toBe(2);
    for (const [kind, out] of Object.entries(outs)) {
      expect(await readAll(out)).toHaveLength(expected[kind as keyof typeof expected].length);
    }
  });

  it("refuses to start an app whose joined sources have different partition counts, saying what to do", async () => {
    const users = await createTopic(2);
    const clicks = await createTopic(3);
    const app = streamsApp(uniqueName("app"));
    const table = app.table(users, { key: z.string(), value: User });
    app
      .stream(clicks, { key: z.string(), value: Click })
      .join(table, (c) => c)
      .to(uniqueName("out"));
    testApps.push(app);
    const answer = await startApp(app.name);
    expect(answer.json.state).toBe("waiting");
    expect(answer.json.reason).toBe(
      `sources ${users}, ${clicks} of app '${app.name}' are read together (joined or merged), so they must be co-partitioned, but they have 2, 3 partitions: create them with the same partition count, or repartition one side (stream.repartition(), or a table's stream .repartition().toTable()) so that it is written through a topic with the other's count`,
    );
  });

  it("co-partitions a stream with a table of another partition count through repartition()", async () => {
    const users = await createTopic(2);
    const clicks = await createTopic(3);
    const out = uniqueName("out");
    const app = streamsApp(uniqueName("app"));
    const table = app.table(users, { key: z.string(), value: User, name: "users" });
    app
      .stream(clicks, { key: z.string(), value: Click })
      .repartition({ name: "clicks-by-user" })
      .join(table, (c, u) => `${u.name}:${c.page}`)
      .to(out);
    testApps.push(app);
    await produce(users, [
      { key: "u1", value: { name: "Ann" } },
      { key: "u2", value: { name: "Bo" } },
    ]);
    expect((await startApp(app.name)).json.tasks).toHaveLength(2 + 3);
    const repartition = await waitFor(async () => {
      const meta = await call("GET", `/v1/topics/${app.name}.clicks-by-user.repartition`);
      return meta.status === 200 ? meta.json : undefined;
    });
    expect(repartition.partitions).toHaveLength(2);
    await waitFor(async () => (await queryStore(app.name, "users")).length === 2, 10_000, "both users in the table");
    await produce(clicks, [
      { key: "u1", value: { page: "/a" } },
      { key: "u2", value: { page: "/b" } },
      { key: "u1", value: { page: "/c" } },
    ]);
    expect(valuesByKey(await waitForRecords(out, 3))).toEqual({ u1: ["Ann:/a", "Ann:/c"], u2: ["Bo:/b"] });
  });
});
