import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type InputRecord,
  MemoryStores,
  type OutputRecord,
  processBatch,
  SessionWindows,
  type StreamsApp,
  Suppressed,
  streamsApp,
  TimeWindows,
} from "../../sdk/streams/index.ts";

/**
 * Runs an app's topology the way its tasks would, with one partition: each batch goes to the
 * sub-topology reading its topic; records written to a repartition topic are fed on to the
 * sub-topology reading that.
 */
function harness(app: StreamsApp) {
  const topology = app.topology();
  const stores = new MemoryStores();
  const streamTimes = topology.subTopologies.map(() => -1);
  const out: OutputRecord[] = [];
  const counters = { late: 0, skipped: 0, deduped: 0 };
  const feed = (topic: string, records: InputRecord[]): void => {
    const sub = topology.subTopologies.find((s) => s.sources.includes(topic));
    if (!sub) throw new Error(`nothing reads ${topic}`);
    const r = processBatch(topology, sub.id, topic, records, stores, streamTimes[sub.id]!);
    streamTimes[sub.id] = r.streamTime;
    counters.late += r.late;
    counters.skipped += r.skipped;
    counters.deduped += r.deduped;
    for (const o of r.outputs) {
      if (sub.sinks.includes(o.topic) && topology.subTopologies.some((s) => s.internalSources.includes(o.topic))) {
        feed(o.topic, [{ key: o.key, value: o.value, timestamp: o.timestamp }]);
      } else out.push(o);
    }
  };
  return { topology, stores, out, counters, feed, to: (topic: string) => out.filter((o) => o.topic === topic) };
}

const Click = z.object({ adId: z.string(), clickId: z.string(), price: z.number().default(1) });
const rec = (key: string | null, value: unknown, timestamp: number): InputRecord => ({ key, value, timestamp });
const click = (adId: string, clickId: string, timestamp: number, price = 1) =>
  rec(adId, { adId, clickId, price }, timestamp);

describe("stateless operators", () => {
  it("filters, maps, maps values, flat-maps, selects keys and peeks, in order", () => {
    const app = streamsApp("ops");
    const peeked: string[] = [];
    app
      .stream("in", { key: z.string(), value: z.number() })
      .filter((_k, v) => v % 2 === 1)
      .map((k, v) => [k.toUpperCase(), v * 10])
      .mapValues((v, k) => `${k}=${v}`)
      .flatMap((k, v) => [
        [k, v],
        [`${k}2`, `${v}!`],
      ])
      .selectKey((k) => `key-${k}`)
      .peek((k) => peeked.push(k))
      .to("out");
    const h = harness(app);
    h.feed("in", [rec("a", 1, 10), rec("b", 2, 11), rec("c", 3, 12)]);
    expect(h.to("out").map((o) => [o.key, o.value, o.timestamp])).toEqual([
      ["key-A", "A=10", 10],
      ["key-A2", "A=10!", 10],
      ["key-C", "C=30", 12],
      ["key-C2", "C=30!", 12],
    ]);
    expect(peeked).toEqual(["key-A", "key-A2", "key-C", "key-C2"]);
  });

  it("merges two streams and sends each record to the first branch it matches only", () => {
    const app = streamsApp("branches");
    const a = app.stream("a", { key: z.string(), value: z.number() });
    const b = app.stream("b", { key: z.string(), value: z.number() });
    const [small, medium] = a.merge(b).branch(
      (_k, v) => v < 10,
      (_k, v) => v < 100,
    );
    small!.to("small");
    medium!.to("medium");
    const h = harness(app);
    expect(h.topology.subTopologies).toHaveLength(1);
    expect(h.topology.subTopologies[0]!.sources).toEqual(["a", "b"]);
    h.feed("a", [rec("x", 5, 1), rec("x", 50, 2), rec("x", 500, 3)]);
    h.feed("b", [rec("y", 7, 4)]);
    expect(h.to("small").map((o) => o.value)).toEqual([5, 7]);
    expect(h.to("medium").map((o) => o.value)).toEqual([50]);
  });

  it("skips and counts records the source schemas reject, and takes event time from the extractor", () => {
    const app = streamsApp("schemas");
    app
      .stream("in", { key: z.string(), value: Click, timestamp: (_k, v) => v.price * 1000 })
      .mapValues((v) => v.adId)
      .to("out");
    const h = harness(app);
    h.feed("in", [
      click("ad-1", "c1", 5, 7),
      rec(null, { adId: "ad-2", clickId: "c2" }, 6),
      rec("ad-3", { nope: 1 }, 7),
    ]);
    expect(h.counters.skipped).toBe(2);
    expect(h.to("out")).toEqual([{ topic: "out", key: "ad-1", value: "ad-1", timestamp: 7000 }]);
  });
});

describe("aggregations", () => {
  it("counts, reduces and aggregates per key into named stores, emitting every update", () => {
    const app = streamsApp("aggs");
    const grouped = app.stream("clicks", { key: z.string(), value: Click }).groupByKey();
    grouped.count({ name: "count" }).toStream().to("counts");
    grouped
      .reduce((a, b) => ({ adId: a.adId, clickId: b.clickId, price: a.price + b.price }), { name: "spend" })
      .toStream()
      .mapValues((v) => v.price)
      .to("spend");
    grouped
      .aggregate(
        () => [] as string[],
        (_k, v, agg) => [...agg, v.clickId],
        { name: "ids", value: z.array(z.string()) },
      )
      .toStream()
      .to("ids");
    const h = harness(app);
    h.feed("clicks", [click("ad-1", "c1", 1, 2), click("ad-2", "c2", 2, 3), click("ad-1", "c3", 3, 4)]);
    expect(h.to("counts").map((o) => [o.key, o.value])).toEqual([
      ["ad-1", 1],
      ["ad-2", 1],
      ["ad-1", 2],
    ]);
    expect(h.to("spend").map((o) => [o.key, o.value])).toEqual([
      ["ad-1", 2],
      ["ad-2", 3],
      ["ad-1", 6],
    ]);
    expect(h.stores.get("ids", "ad-1", 0, 0)?.value).toEqual(["c1", "c3"]);
    expect(h.stores.scan("count", { limit: 10 }).map((e) => [e.key, e.value])).toEqual([
      ["ad-1", 2],
      ["ad-2", 1],
    ]);
  });

  it("counts a click at the boundary millisecond in one tumbling window and writes windows with their bounds", () => {
    const app = streamsApp("tumbling");
    app
      .stream("clicks", { key: z.string(), value: Click })
      .groupByKey()
      .windowedBy(TimeWindows.of(60_000))
      .count({ name: "per-minute" })
      .toStream()
      .to("out");
    const h = harness(app);
    h.feed("clicks", [click("ad-1", "a", 59_999), click("ad-1", "b", 60_000), click("ad-1", "c", 60_001)]);
    expect(h.to("out").map((o) => o.value)).toEqual([
      { key: "ad-1", start: 0, end: 60_000, value: 1 },
      { key: "ad-1", start: 60_000, end: 120_000, value: 1 },
      { key: "ad-1", start: 60_000, end: 120_000, value: 2 },
    ]);
    expect(h.stores.scan("per-minute", { limit: 10 }).map((e) => [e.windowStart, e.value])).toEqual([
      [0, 1],
      [60_000, 2],
    ]);
  });

  it("counts a record in every hopping window that contains it", () => {
    const app = streamsApp("hopping");
    app
      .stream("clicks", { key: z.string(), value: Click })
      .groupByKey()
      .windowedBy(TimeWindows.of(30).advanceBy(10))
      .count({ name: "hops" });
    const h = harness(app);
    h.feed("clicks", [click("k", "a", 5), click("k", "b", 25), click("k", "c", 31)]);
    expect(h.stores.scan("hops", { key: "k", limit: 10 }).map((e) => [e.windowStart, e.value])).toEqual([
      [0, 2],
      [10, 2],
      [20, 2],
      [30, 1],
    ]);
  });

  it("merges sessions a record bridges and emits a tombstone for the sessions merged away", () => {
    const app = streamsApp("sessions");
    app
      .stream("clicks", { key: z.string(), value: Click })
      .groupByKey()
      .windowedBy(SessionWindows.withGap(100).grace(1000))
      .aggregate(
        () => 0,
        (_k, v, sum) => sum + v.price,
        { name: "spend", merge: (_k, a, b) => a + b },
      )
      .toStream()
      .to("out");
    const h = harness(app);
    h.feed("clicks", [click("u", "a", 0, 1), click("u", "b", 180, 2), click("u", "c", 90, 4)]);
    expect(h.to("out").map((o) => o.value)).toEqual([
      { key: "u", start: 0, end: 0, value: 1 },
      { key: "u", start: 180, end: 180, value: 2 },
      { key: "u", start: 0, end: 0, value: null },
      { key: "u", start: 180, end: 180, value: null },
      { key: "u", start: 0, end: 180, value: 7 },
    ]);
    expect(h.stores.scan("spend", { limit: 10 }).map((e) => [e.windowStart, e.windowEnd, e.value])).toEqual([
      [0, 180, 7],
    ]);
  });

  it("counts a late record inside the grace period and sends one beyond it to the late-records topic", () => {
    const app = streamsApp("late");
    app
      .stream("clicks", { key: z.string(), value: Click })
      .groupByKey()
      .windowedBy(TimeWindows.of(1000).grace(500))
      .count({ name: "c" });
    const h = harness(app);
    h.feed("clicks", [click("k", "a", 900), click("k", "b", 1499)]);
    h.feed("clicks", [click("k", "late-in-grace", 999)]);
    expect(h.stores.get("c", "k", 0, 1000)?.value).toBe(2);
    h.feed("clicks", [click("k", "closes", 1500), click("k", "too-late", 998)]);
    expect(h.stores.get("c", "k", 0, 1000)?.value).toBe(2);
    expect(h.counters.late).toBe(1);
    expect(h.to("late.late-records")).toEqual([
      {
        topic: "late.late-records",
        key: "k",
        value: { adId: "k", clickId: "too-late", price: 1 },
        timestamp: 998,
        headers: { store: "c", "stream-time": "1500" },
      },
    ]);
  });

  it("with suppress, emits each window once, when stream time passes its end plus grace", () => {
    const app = streamsApp("final");
    app
      .stream("clicks", { key: z.string(), value: Click })
      .groupByKey()
      .windowedBy(TimeWindows.of(1000).grace(100))
      .count({ name: "c" })
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to("final");
    const h = harness(app);
    h.feed("clicks", [click("a", "1", 10), click("b", "2", 20), click("a", "3", 999), click("a", "4", 1050)]);
    expect(h.to("final")).toEqual([]);
    h.feed("clicks", [click("a", "5", 1099)]);
    expect(h.to("final")).toEqual([]);
    h.feed("clicks", [click("b", "6", 1100)]);
    expect(h.to("final").map((o) => o.value)).toEqual([
      { key: "a", start: 0, end: 1000, value: 2 },
      { key: "b", start: 0, end: 1000, value: 1 },
    ]);
    h.feed("clicks", [click("a", "7", 5000)]);
    expect(h.to("final").map((o) => o.value)).toHaveLength(4);
    expect(h.to("final")[2]!.value).toEqual({ key: "a", start: 1000, end: 2000, value: 2 });
    expect(h.to("final")[3]!.value).toEqual({ key: "b", start: 1000, end: 2000, value: 1 });
  });

  it("forgets windows past their retention", () => {
    const app = streamsApp("retention");
    app
      .stream("clicks", { key: z.string(), value: Click })
      .groupByKey()
      .windowedBy(TimeWindows.of(100))
      .count({ name: "c", retentionMs: 1000 });
    const h = harness(app);
    h.feed("clicks", [click("k", "a", 0)]);
    h.feed("clicks", [click("k", "b", 1100)]);
    expect(h.stores.scan("c", { limit: 10 })).toHaveLength(2);
    h.feed("clicks", [click("k", "c", 1101)]);
    expect(h.stores.scan("c", { limit: 10 }).map((e) => e.windowStart)).toEqual([1100]);
  });
});

describe("dedupe", () => {
  it("drops a record whose id was seen within the span and keeps one seen longer ago", () => {
    const app = streamsApp("dedupe");
    app
      .stream("clicks", { key: z.string(), value: Click })
      .dedupe({ id: (_k, v) => v.clickId, withinMs: 1000, name: "seen" })
      .mapValues((v) => v.clickId)
      .to("out");
    const h = harness(app);
    h.feed("clicks", [click("ad", "x", 0), click("ad", "x", 1000), click("ad", "y", 1200)]);
    h.feed("clicks", [click("ad", "x", 1001), click("ad", "y", 1300)]);
    expect(h.to("out").map((o) => [o.value, o.timestamp])).toEqual([
      ["x", 0],
      ["y", 1200],
      ["x", 1001],
    ]);
    expect(h.counters.deduped).toBe(2);
  });
});

describe("repartitioning", () => {
  it("sends records grouped by a new key through a repartition topic and counts them there", () => {
    const app = streamsApp("regroup");
    app
      .stream("clicks", { key: z.string(), value: z.object({ campaign: z.string() }) })
      .groupBy((_k, v) => v.campaign, { key: z.string(), name: "by-campaign" })
      .count({ name: "per-campaign" });
    const h = harness(app);
    expect(h.topology.subTopologies.map((s) => [s.sources, s.sinks, s.stores])).toEqual([
      [["clicks"], ["regroup.by-campaign.repartition"], []],
      [["regroup.by-campaign.repartition"], [], ["per-campaign"]],
    ]);
    h.feed("clicks", [
      rec("ad-1", { campaign: "c1" }, 1),
      rec("ad-2", { campaign: "c1" }, 2),
      rec("ad-3", { campaign: "c2" }, 3),
    ]);
    expect(h.stores.scan("per-campaign", { limit: 10 }).map((e) => [e.key, e.value])).toEqual([
      ["c1", 2],
      ["c2", 1],
    ]);
  });

  it("repartitions on groupByKey after the key was changed, and not otherwise", () => {
    const plain = streamsApp("plain");
    plain
      .stream("in", { key: z.string(), value: z.number() })
      .mapValues((v) => v)
      .groupByKey()
      .count({ name: "n" });
    expect(plain.topology().subTopologies).toHaveLength(1);
    const rekeyed = streamsApp("rekeyed");
    rekeyed
      .stream("in", { key: z.string(), value: z.number() })
      .selectKey((_k, v) => v)
      .groupByKey()
      .count({ name: "n" });
    expect(rekeyed.topology().subTopologies).toHaveLength(2);
  });
});

describe("building", () => {
  it("refuses a store name used twice, sessions without merge and suppressing an unwindowed table", () => {
    const app = streamsApp("bad");
    const g = app.stream("in", { key: z.string(), value: z.number() }).groupByKey();
    g.count({ name: "n" });
    expect(() => g.count({ name: "n" })).toThrow(/already has a store named 'n'/);
    expect(() =>
      g.windowedBy(SessionWindows.withGap(10)).aggregate(
        () => 0,
        (_k, v, a) => a + v,
        { name: "s" } as never,
      ),
    ).toThrow(/needs a merge function/);
    expect(() => g.count({ name: "m" }).suppress(Suppressed.untilWindowCloses())).toThrow(/only windowed tables/);
    expect(() => streamsApp("Bad_Name")).toThrow(/app name/);
  });
});
