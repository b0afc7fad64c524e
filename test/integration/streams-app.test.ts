import { describe, expect, it } from "vitest";
import { z } from "zod";
import { SessionWindows, Suppressed, streamsApp, TimeWindows } from "../../sdk/streams/index.ts";
import { call, uniqueName, waitFor } from "../helpers/http.ts";
import {
  Click,
  produce,
  queryStore,
  readAll,
  registerApp,
  startApp,
  taskStatus,
  waitForRecords,
} from "./stream-apps-fixtures.ts";
import { testApps } from "./worker.ts";

describe("stream apps", () => {
  it("counts clicks per key per window across partitions and writes every update to the output topic once", async () => {
    const { app, source, output } = await registerApp(2, (app, source, output) => {
      app
        .stream(source, { key: z.string(), value: Click })
        .groupByKey()
        .windowedBy(TimeWindows.of(1000))
        .count({ name: "per-second" })
        .toStream()
        .to(output);
    });
    const started = await startApp(app.name);
    expect(started.status).toBe(200);
    expect(started.json.state).toBe("running");
    expect(started.json.tasks).toHaveLength(2);
    // Recent event times (older ones would fall to the topic's retention), from a window start.
    const base = Math.floor(Date.now() / 1000) * 1000 - 10_000;
    const clicks = [
      ["ad-1", 100],
      ["ad-2", 200],
      ["ad-1", 999],
      ["ad-1", 1000],
      ["ad-3", 1500],
      ["ad-2", 1999],
    ] as const;
    await produce(
      source,
      clicks.map(([ad, ts], i) => ({ key: ad, value: { ad, id: `c${i}` }, timestamp: base + ts })),
    );
    const records = await waitForRecords(output, clicks.length);
    const finals = new Map<string, number>();
    for (const r of records) finals.set(`${r.value.key}@${r.value.start - base}`, r.value.value);
    expect(Object.fromEntries(finals)).toEqual({
      "ad-1@0": 2,
      "ad-1@1000": 1,
      "ad-2@0": 1,
      "ad-2@1000": 1,
      "ad-3@1000": 1,
    });
    const entries = await queryStore(app.name, "per-second");
    const relative = (e: any) => [e.key, e.windowStart - base, e.windowEnd - base, e.value];
    expect(entries.map(relative)).toEqual([
      ["ad-1", 0, 1000, 2],
      ["ad-1", 1000, 2000, 1],
      ["ad-2", 0, 1000, 1],
      ["ad-2", 1000, 2000, 1],
      ["ad-3", 1000, 2000, 1],
    ]);
    expect((await queryStore(app.name, "per-second", `?key=ad-1&from=${base + 1000}`)).map(relative)).toEqual([
      ["ad-1", 1000, 2000, 1],
    ]);
    const described = await call("GET", `/v1/apps/${app.name}`);
    expect(described.json.topology.stores).toEqual([{ name: "per-second", subTopology: 0, windowed: "time" }]);
    await waitFor(async () => (await call("GET", `/v1/apps/${app.name}`)).json.lag === 0, 10_000, "lag 0");
  });

  it("repartitions by a new key so that all records of a key meet in one task", async () => {
    const { app, source, output } = await registerApp(2, (app, source, output) => {
      app
        .stream(source, { key: z.string(), value: Click })
        .groupBy((_ad, click) => click.campaign, { key: z.string(), name: "by-campaign" })
        .count({ name: "per-campaign" })
        .toStream()
        .to(output);
    });
    expect((await startApp(app.name)).json.tasks).toHaveLength(4);
    const campaigns = ["spring", "summer", "autumn"];
    const records = Array.from({ length: 30 }, (_, i) => {
      const ad = `ad-${i % 7}`;
      return { key: ad, value: { ad, id: `c${i}`, campaign: campaigns[(i * 5) % 3]! } };
    });
    await produce(source, records);
    const outputs = await waitForRecords(output, 30);
    const truth = { autumn: 10, spring: 10, summer: 10 };
    const last: Record<string, number> = {};
    for (const r of outputs) last[r.key] = Math.max(last[r.key] ?? 0, r.value);
    expect(last).toEqual(truth);
    expect(await queryStore(app.name, "per-campaign")).toEqual(
      Object.entries(truth).map(([key, value]) => ({ key, value })),
    );
    expect(await queryStore(app.name, "per-campaign", "?key=summer")).toEqual([{ key: "summer", value: 10 }]);
    const repartition = await call("GET", `/v1/topics/${app.name}.by-campaign.repartition`);
    expect(repartition.json.partitions).toHaveLength(2);
    // The source's records spread over both partitions, and so did the campaigns.
    const sourceRecords = await readAll(source);
    expect(new Set(sourceRecords.map((r) => r.partition)).size).toBe(2);
    const counted = await Promise.all([0, 1].map(async (p) => (await taskStatus(app.name, 1, p)).counters.processed));
    expect(counted[0]! + counted[1]!).toBe(30);
    expect(counted.every((n) => n > 0)).toBe(true);
  });

  it("counts records late within grace, sends later ones to the late-records topic and emits final windows only", async () => {
    const { app, source, output } = await registerApp(1, (app, source, output) => {
      app
        .stream(source, { key: z.string(), value: Click })
        .groupByKey()
        .windowedBy(TimeWindows.of(1000).grace(500))
        .count({ name: "final" })
        .suppress(Suppressed.untilWindowCloses())
        .toStream()
        .to(output);
    });
    await startApp(app.name);
    const base = Math.floor(Date.now() / 1000) * 1000 - 10_000;
    const at = [100, 1499, 999, 1500, 998, 2600];
    await produce(
      source,
      at.map((t, i) => ({ key: "ad-1", value: { ad: "ad-1", id: `c${i}` }, timestamp: base + t })),
    );
    const finals = await waitForRecords(output, 2);
    expect(finals.map((r) => [r.key, r.value.start - base, r.value.end - base, r.value.value])).toEqual([
      ["ad-1", 0, 1000, 2],
      ["ad-1", 1000, 2000, 2],
    ]);
    const late = await waitForRecords(`${app.name}.late-records`, 1);
    expect(late[0]).toMatchObject({ key: "ad-1", value: { id: "c4" }, timestamp: base + 998 });
    expect((await taskStatus(app.name, 0, 0)).counters.late).toBe(1);
    expect((await queryStore(app.name, "final")).map((e) => [e.windowStart - base, e.value])).toEqual([
      [0, 2],
      [1000, 2],
      [2000, 1],
    ]);
  });

  it("drops a click seen again within the dedupe span", async () => {
    const { app, source } = await registerApp(1, (app, source) => {
      app
        .stream(source, { key: z.string(), value: Click })
        .dedupe({ id: (_k, c) => c.id, withinMs: 60_000, name: "seen" })
        .groupByKey()
        .count({ name: "unique-clicks" });
    });
    await startApp(app.name);
    const ids = ["a", "b", "a", "c", "b", "d", "a"];
    await produce(
      source,
      ids.map((id) => ({ key: "ad-9", value: { ad: "ad-9", id } })),
    );
    await waitFor(async () => (await taskStatus(app.name, 0, 0)).counters.processed === ids.length);
    expect(await queryStore(app.name, "unique-clicks")).toEqual([{ key: "ad-9", value: 4 }]);
    expect((await taskStatus(app.name, 0, 0)).counters.deduped).toBe(3);
  });

  it("answers unknown apps and stores and bad queries with the error envelope, and waits for missing sources", async () => {
    const unknownApp = await call("GET", "/v1/apps/no-such-app/stores/x");
    expect(unknownApp.status).toBe(404);
    expect(unknownApp.json.error).toMatchObject({ code: "NOT_FOUND", retriable: false });
    const { app } = await registerApp(1, (app, source) => {
      app.stream(source, { key: z.string(), value: Click }).groupByKey().count({ name: "n" });
    });
    const unknownStore = await call("GET", `/v1/apps/${app.name}/stores/nope`);
    expect(unknownStore.status).toBe(404);
    expect(unknownStore.json.error.message).toContain("its stores: n");
    const bad = await call("GET", `/v1/apps/${app.name}/stores/n?limit=0`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("INVALID_REQUEST");
    const orphan = streamsApp(uniqueName("app"));
    orphan.stream(uniqueName("missing"), { key: z.string(), value: Click }).to(uniqueName("out"));
    testApps.push(orphan);
    const listed = await call("GET", "/v1/apps");
    expect(listed.status).toBe(200);
    const entry = listed.json.apps.find((a: { name: string }) => a.name === orphan.name);
    expect(entry).toMatchObject({ state: "waiting", tasks: 0 });
    expect(entry.reason).toContain("does not exist");
  });

  it("stops a task whose code throws, keeps its offset and reports the error", async () => {
    const { app, source } = await registerApp(1, (app, source) => {
      app
        .stream(source, { key: z.string(), value: Click })
        .mapValues((click) => {
          if (click.id === "bad") throw new Error(`cannot handle click ${click.id}`);
          return click;
        })
        .groupByKey()
        .count({ name: "n" });
    });
    await startApp(app.name);
    await produce(source, [
      { key: "ad-1", value: { ad: "ad-1", id: "bad" } },
      { key: "ad-1", value: { ad: "ad-1", id: "good" } },
    ]);
    const failed = await waitFor(async () => {
      const answer = await call("GET", `/v1/apps/${app.name}`);
      return answer.json.state === "error" ? answer.json : undefined;
    });
    expect(failed.reason).toContain("cannot handle click bad");
    // The failed batch was rolled back whole: nothing counted, the offset still at the start.
    expect(failed.tasks[0].sources[0].offset).toBe(0);
    expect(failed.tasks[0].counters.processed).toBe(0);
    expect(await queryStore(app.name, "n")).toEqual([]);
  });

  it("counts a batch once when it failed after its aggregate wrote, and ran again", async () => {
    let failures = 0;
    const { app, source, output } = await registerApp(1, (app, source, output) => {
      app
        .stream(source, { key: z.string(), value: Click })
        .groupByKey()
        .windowedBy(TimeWindows.of(60_000).grace(60_000))
        .count({ name: "n", cache: true })
        .toStream()
        // After the store was written (and its rows cached): the transaction rolls back.
        .peek(() => {
          if (failures++ === 0) throw new Error("fails once, after the count");
        })
        .to(output);
    });
    await startApp(app.name);
    const t = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    await produce(source, [
      { key: "ad-1", value: { ad: "ad-1", id: "a" }, timestamp: t + 1 },
      { key: "ad-1", value: { ad: "ad-1", id: "b" }, timestamp: t + 2 },
    ]);
    const [update] = await waitForRecords(output, 1);
    expect(update.value).toMatchObject({ start: t, value: 2 });
    expect(failures).toBe(2);
    expect((await queryStore(app.name, "n")).map((e) => e.value)).toEqual([2]);
  });

  it("keeps hopping windows and merged sessions in the task's SQLite stores", async () => {
    const { app, source, output } = await registerApp(1, (app, source, output) => {
      const grouped = app.stream(source, { key: z.string(), value: Click }).groupByKey();
      grouped.windowedBy(TimeWindows.of(3000).advanceBy(1000)).count({ name: "hopping" });
      grouped.windowedBy(SessionWindows.withGap(500).grace(60_000)).count({ name: "sessions" }).toStream().to(output);
    });
    await startApp(app.name);
    const base = Math.floor(Date.now() / 1000) * 1000 - 20_000;
    const at = [0, 400, 2000, 2450, 900];
    await produce(
      source,
      at.map((t, i) => ({ key: "u", value: { ad: "u", id: `c${i}` }, timestamp: base + t })),
    );
    // 0 and 400 form a session, 2000 and 2450 another; 900 joins the first (400 + 500 reaches it).
    // A session that grows is replaced: a tombstone (null) for the old bounds, then the new ones.
    const updates = await waitForRecords(output, 8);
    expect(updates.map((r) => [r.value.start - base, r.value.end - base, r.value.value])).toEqual([
      [0, 0, 1],
      [0, 0, null],
      [0, 400, 2],
      [2000, 2000, 1],
      [2000, 2000, null],
      [2000, 2450, 2],
      [0, 400, null],
      [0, 900, 3],
    ]);
    expect(
      (await queryStore(app.name, "sessions")).map((e) => [e.windowStart - base, e.windowEnd - base, e.value]),
    ).toEqual([
      [0, 900, 3],
      [2000, 2450, 2],
    ]);
    const hopping = await queryStore(app.name, "hopping", `?from=${base - 2000}&to=${base + 2000}`);
    // 900 came after 2450: the windows ending at 1000 and 2000 (no grace) had closed, so it
    // counts in the one still open only, and is not late as a record.
    expect(hopping.map((e) => [e.windowStart - base, e.value])).toEqual([
      [-2000, 2],
      [-1000, 2],
      [0, 5],
      [1000, 2],
      [2000, 2],
    ]);
    expect((await taskStatus(app.name, 0, 0)).counters.late).toBe(0);
  });
});
