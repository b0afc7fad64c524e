import { describe, expect, it } from "vitest";
import {
  CLICKS_PARTITIONS,
  CLICKS_TOPIC,
  clickRecord,
  createExpectedCounts,
  type ExpectedCounts,
} from "../../examples/ad-click-aggregator/clicks.mjs";
import { createClickPlan } from "../../examples/ad-click-aggregator/load-plan.mjs";
import { adClicksApp, STORES } from "../../examples/ad-click-aggregator/topology.ts";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";
import { type InputRecord, MemoryStores, processBatch } from "../../sdk/streams/index.ts";

/**
 * Runs the ad-click topology the way its tasks do: one task (own stores, own stream time) per
 * sub-topology and partition, records routed to partitions by key as the worker routes them,
 * repartition records queued per partition and processed in batches, in an order the test picks.
 */
function tasks(partitions = CLICKS_PARTITIONS) {
  const topology = adClicksApp.topology();
  const state = new Map<string, { stores: MemoryStores; streamTime: number }>();
  const queues = new Map<string, InputRecord[]>();
  const processed = new Map<string, number>();
  const task = (sub: number, p: number) => {
    const id = `${sub}/${p}`;
    let t = state.get(id);
    if (!t) {
      t = { stores: new MemoryStores(), streamTime: -1 };
      state.set(id, t);
    }
    return t;
  };
  const enqueue = (topic: string, r: InputRecord) => {
    const id = `${topic}/${partitionForKey(r.key!, partitions)}`;
    const q = queues.get(id);
    if (q) q.push(r);
    else queues.set(id, [r]);
  };
  const run = (topic: string, p: number, records: InputRecord[]) => {
    const sub = topology.subTopologies.find((s) => s.sources.includes(topic))!;
    const t = task(sub.id, p);
    const r = processBatch(topology, sub.id, topic, records, t.stores, t.streamTime);
    t.streamTime = r.streamTime;
    processed.set(`${sub.id}/${p}`, (processed.get(`${sub.id}/${p}`) ?? 0) + records.length);
    for (const o of r.outputs) {
      if (o.topic.endsWith(".repartition")) enqueue(o.topic, { key: o.key, value: o.value, timestamp: o.timestamp });
    }
  };
  return {
    topology,
    processed,
    /** Source batches as the worker would append them: each partition's records in order. */
    produce(records: (InputRecord & { partition?: number })[]) {
      for (let p = 0; p < partitions; p++) {
        const mine = records.filter((r) => (r.partition ?? partitionForKey(r.key!, partitions)) === p);
        if (mine.length) run(CLICKS_TOPIC, p, mine);
      }
    },
    /** Processes what the repartition topics hold, in batches of `batch`, partitions in `order`. */
    drain(batch: number, order: (ids: string[]) => string[] = (ids) => ids) {
      while (queues.size) {
        for (const id of order([...queues.keys()])) {
          const q = queues.get(id)!;
          const topic = id.slice(0, id.lastIndexOf("/"));
          run(topic, Number(id.slice(id.lastIndexOf("/") + 1)), q.splice(0, batch));
          if (q.length === 0) queues.delete(id);
        }
      }
    },
    /** The stage-2 store of `name`, across partitions, as ad → window start → count. */
    counts(name: "minute" | "hour") {
      const out: Record<string, Record<string, number>> = {};
      for (const { stores } of state.values()) {
        for (const e of stores.scan(STORES[name], { limit: 1_000_000 })) {
          const count = (e.value as { count: number }).count;
          out[e.key] = { ...out[e.key], [String(e.windowStart)]: count };
        }
      }
      return out;
    },
  };
}

function simulate(order?: (ids: string[]) => string[]) {
  const plan = createClickPlan({ ads: 40, hotShare: 0.5, lateRate: 0.05, outOfOrderRate: 0.2, lateAfterMs: 500 });
  const expected = createExpectedCounts();
  const run = tasks();
  const t0 = Date.UTC(2026, 0, 1, 9, 58, 30);
  // Three minutes of clicks, crossing an hour, in batches a second apart; the stages interleave.
  for (let i = 0; i < 180; i++) {
    const clicks = plan.batch(8, t0 + i * 1_000);
    for (const c of clicks) expected.add(c);
    run.produce(clicks.map((c) => clickRecord(c.ad, c.imp, c.t)));
    if (i % 7 === 0) run.drain(20, order);
  }
  run.drain(20, order);
  return { run, expected: expected.counts as ExpectedCounts, plan };
}

describe("the salted two-stage topology", () => {
  it("has a stage reading the clicks and a merging stage per window size", () => {
    const subs = adClicksApp.topology().subTopologies;
    expect(subs.map((s) => s.sources)).toEqual([
      [CLICKS_TOPIC],
      ["ad-clicks.partials-per-minute.repartition"],
      ["ad-clicks.partials-per-hour.repartition"],
    ]);
    expect(subs[1]!.stores).toEqual([STORES.minute]);
    expect(subs[2]!.stores).toEqual([STORES.hour]);
  });

  it("counts exactly what the expected counts say, per ad per minute and per hour", () => {
    const { run, expected } = simulate();
    expect(run.counts("minute")).toEqual(expected.minute);
    expect(run.counts("hour")).toEqual(expected.hour);
  });

  it("stays exact when the salts' partial counts reach stage 2 in another order", () => {
    const { run, expected } = simulate((ids) => ids.reverse());
    expect(run.counts("minute")).toEqual(expected.minute);
    expect(run.counts("hour")).toEqual(expected.hour);
  });

  it("spreads the hot ad's clicks over every partition in stage 1", () => {
    const partitions = new Set(
      Array.from({ length: 400 }, (_, i) => clickRecord("ad-hot", `impression-${i}`, 0).partition),
    );
    expect(partitions.size).toBe(CLICKS_PARTITIONS);
    const { run } = simulate();
    const stage1 = Array.from({ length: CLICKS_PARTITIONS }, (_, p) => run.processed.get(`0/${p}`) ?? 0);
    const total = stage1.reduce((a, b) => a + b, 0);
    // Half the clicks go to one ad, yet no partition gets much more than its even share.
    for (const n of stage1) expect(n / total).toBeLessThan(0.4);
  });
});
