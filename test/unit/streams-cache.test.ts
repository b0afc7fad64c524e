import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type InputRecord,
  MemoryStores,
  processBatch,
  SessionWindows,
  streamsApp,
  TimeWindows,
} from "../../sdk/streams/index.ts";
import { CachedStores } from "../../sdk/streams/store-cache.ts";

const rec = (key: string, timestamp: number): InputRecord => ({ key, value: 1, timestamp });

function countingApp(cache: boolean | undefined) {
  const app = streamsApp("cache");
  app
    .stream("in", { key: z.string(), value: z.number() })
    .groupByKey()
    .windowedBy(TimeWindows.of(1_000).grace(10_000))
    .count({ name: "counts", cache })
    .toStream()
    .to("out");
  return app.topology();
}

const summary = (outputs: { topic: string; key?: string; value: unknown; timestamp: number }[]) =>
  outputs.map((o) => {
    const v = o.value as { start: number; value: number };
    return `${o.key}@${v.start}=${v.value} (ts ${o.timestamp})`;
  });

describe("the record cache of aggregations", () => {
  const batch = [rec("a", 100), rec("b", 200), rec("a", 300), rec("a", 1_100), rec("b", 400)];

  it("forwards every update when the cache is off (the default)", () => {
    const r = processBatch(countingApp(undefined), 0, "in", batch, new MemoryStores(), -1);
    expect(summary(r.outputs)).toEqual([
      "a@0=1 (ts 100)",
      "b@0=1 (ts 200)",
      "a@0=2 (ts 300)",
      "a@1000=1 (ts 1100)",
      "b@0=2 (ts 400)",
    ]);
  });

  it("forwards only the latest update per key and window of a batch, in order of last update, with cache: true", () => {
    const topology = countingApp(true);
    const stores = new MemoryStores();
    const first = processBatch(topology, 0, "in", batch, stores, -1);
    expect(summary(first.outputs)).toEqual(["a@0=2 (ts 300)", "a@1000=1 (ts 1100)", "b@0=2 (ts 400)"]);
    // The next batch goes on from the stored counts.
    const second = processBatch(topology, 0, "in", [rec("a", 500)], stores, first.streamTime);
    expect(summary(second.outputs)).toEqual(["a@0=3 (ts 500)"]);
  });

  it("forwards a merged-away session once, as a tombstone, with cache: true", () => {
    const app = streamsApp("sessions");
    app
      .stream("in", { key: z.string(), value: z.number() })
      .groupByKey()
      .windowedBy(SessionWindows.withGap(200).grace(10_000))
      .count({ name: "sessions", cache: true })
      .toStream()
      .to("out");
    const stores = new MemoryStores();
    const topology = app.topology();
    const first = processBatch(topology, 0, "in", [rec("a", 0)], stores, -1);
    const second = processBatch(topology, 0, "in", [rec("a", 300), rec("a", 150)], stores, first.streamTime);
    expect(second.outputs.map((o) => [o.topic, o.value])).toEqual([
      ["out", { key: "a", start: 0, end: 0, value: null }],
      ["out", { key: "a", start: 300, end: 300, value: null }],
      ["out", { key: "a", start: 0, end: 300, value: 3 }],
    ]);
  });
});

describe("the store cache of a batch", () => {
  it("serves a batch's reads from its own writes and deletes, and writes through only on flush", () => {
    const inner = new MemoryStores();
    inner.put({ store: "s", key: "k", keyValue: "k", windowStart: 0, windowEnd: 10, value: { n: 1 } });
    inner.put({ store: "s", key: "k", keyValue: "k", windowStart: 20, windowEnd: 30, value: { n: 2 } });
    const cached = new CachedStores(inner);
    cached.put({ store: "s", key: "k", keyValue: "k", windowStart: 0, windowEnd: 10, value: { n: 5 } });
    cached.delete("s", "k", 20, 30);
    cached.put({ store: "s", key: "k", keyValue: "k", windowStart: 40, windowEnd: 50, value: { n: 3 } });
    expect(cached.get("s", "k", 0, 10)?.value).toEqual({ n: 5 });
    expect(cached.get("s", "k", 20, 30)).toBeUndefined();
    expect(cached.overlapping("s", "k", 0, 100).map((e) => [e.windowStart, e.value])).toEqual([
      [0, { n: 5 }],
      [40, { n: 3 }],
    ]);
    expect(inner.overlapping("s", "k", 0, 100).map((e) => e.value)).toEqual([{ n: 1 }, { n: 2 }]);
    cached.flush();
    expect(inner.overlapping("s", "k", 0, 100).map((e) => e.value)).toEqual([{ n: 5 }, { n: 3 }]);
  });

  it("reads a batch's ids and windows in one query per store, and writes each once", () => {
    const calls: string[] = [];
    class CountingStores extends MemoryStores {
      override get(store: string, key: string, start: number, end: number) {
        calls.push(`get ${key}`);
        return super.get(store, key, start, end);
      }
      override getMany(store: string, windows: readonly { key: string; start: number; end: number }[]) {
        calls.push(`getMany ${store} ${windows.map((w) => `${w.key}@${w.start}`).join(",")}`);
        return super.getMany(store, windows);
      }
      override putMany(store: string, entries: readonly { key: string }[] & Parameters<MemoryStores["putMany"]>[1]) {
        calls.push(`putMany ${store} ${entries.map((e) => e.key).join(",")}`);
        super.putMany(store, entries);
      }
      override seenIds(store: string, ids: readonly string[]) {
        calls.push(`seenIds ${store} ${ids.join(",")}`);
        return super.seenIds(store, ids);
      }
      override putSeenIds(store: string, seen: ReadonlyMap<string, number>) {
        calls.push(`putSeenIds ${store} ${[...seen.keys()].join(",")}`);
        super.putSeenIds(store, seen);
      }
    }
    const app = streamsApp("batched");
    app
      .stream("in", { key: z.string(), value: z.object({ id: z.string() }) })
      .dedupe({ id: (_k, v) => v.id, withinMs: 10_000, name: "seen" })
      .groupByKey()
      .windowedBy(TimeWindows.of(1_000).grace(10_000))
      .count({ name: "counts", cache: true })
      .toStream()
      .to("out");
    const topology = app.topology();
    const stores = new CountingStores();
    const click = (key: string, id: string, timestamp: number): InputRecord => ({ key, value: { id }, timestamp });
    processBatch(topology, 0, "in", [click("a", "x", 100)], stores, -1);
    calls.length = 0;
    const r = processBatch(
      topology,
      0,
      "in",
      [
        click("a", "x", 200),
        click("a", "y", 300),
        click("b", "z", 1_500),
        click("a", "w", 400),
        click("b", "z", 1_600),
      ],
      stores,
      100,
    );
    expect(calls).toEqual([
      "seenIds seen x,y,z,w,z",
      "putSeenIds seen y,z,w",
      "getMany counts b@1000,a@0",
      "putMany counts b,a",
    ]);
    // In the order of their last updates; a: the stored count (1, the first batch) + y and w.
    expect(summary(r.outputs)).toEqual(["b@1000=1 (ts 1500)", "a@0=3 (ts 400)"]);
  });

  it("drops a copy of a record in the same batch as the first and in a later one", () => {
    const app = streamsApp("dedupe");
    app
      .stream("in", { key: z.string(), value: z.object({ id: z.string() }) })
      .dedupe({ id: (_k, v) => v.id, withinMs: 1_000, name: "seen" })
      .to("out");
    const topology = app.topology();
    const stores = new MemoryStores();
    const click = (id: string, timestamp: number): InputRecord => ({ key: "k", value: { id }, timestamp });
    const first = processBatch(topology, 0, "in", [click("x", 1), click("y", 2), click("x", 3)], stores, -1);
    expect(first.outputs.map((o) => o.value)).toEqual([{ id: "x" }, { id: "y" }]);
    const second = processBatch(topology, 0, "in", [click("y", 4), click("x", 2_000)], stores, first.streamTime);
    expect(second.outputs.map((o) => o.value)).toEqual([{ id: "x" }]);
    expect(first.deduped + second.deduped).toBe(2);
  });

  it("keeps what it holds apart from the objects callers get and put", () => {
    const cached = new CachedStores(new MemoryStores());
    const value = { n: 1 };
    cached.put({ store: "s", key: "k", keyValue: "k", windowStart: 0, windowEnd: 0, value });
    value.n = 99;
    (cached.get("s", "k", 0, 0)!.value as { n: number }).n = 98;
    expect(cached.get("s", "k", 0, 0)?.value).toEqual({ n: 1 });
  });

  it("leaves the stores untouched when a batch fails part way", () => {
    const app = streamsApp("failing");
    app
      .stream("in", { key: z.string(), value: z.number() })
      .peek((k) => {
        if (k === "boom") throw new Error("boom");
      })
      .groupByKey()
      .count({ name: "counts" });
    const stores = new MemoryStores();
    const topology = app.topology();
    expect(() => processBatch(topology, 0, "in", [rec("a", 1), rec("a", 2), rec("boom", 3)], stores, -1)).toThrow(
      "boom",
    );
    expect(stores.scan("counts", { limit: 10 })).toEqual([]);
    processBatch(topology, 0, "in", [rec("a", 1), rec("a", 2)], stores, -1);
    expect(stores.scan("counts", { limit: 10 }).map((e) => [e.key, e.value])).toEqual([["a", 2]]);
  });
});
