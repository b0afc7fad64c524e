/**
 * The aggregation, as a stream app: each impression counted once, per ad per minute and per
 * hour, exactly, with a hot ad spread over every partition by salting (two stages):
 *
 *   ad-clicks (key `<ad>#<salt>`)            stage 1, one task per partition of ad-clicks
 *     → dedupe by impression                  (a repeat lands on the same key, so the same task)
 *     → count per salted key per minute / per hour       stores salted-clicks-per-{minute,hour}
 *     → (ad, salt, window, count) re-keyed by ad         → repartition topics
 *   stage 2, one task per partition of each repartition topic
 *     → per ad per window: the latest count of each salt, and their sum
 *                                                        stores clicks-per-{minute,hour}
 *
 * Stage 1 does the per-click work (the impression lookup, the counting) wherever the click's
 * salt put it; a hot ad's clicks are spread over SALTS keys and so over every partition. Stage 2
 * only merges SALTS partial counts per ad and window. It keeps each salt's latest count rather
 * than adding updates, so it stays exact whether stage 1 emits every update or only the last
 * of several, and in whatever order the salts' updates arrive (a count only grows: the highest
 * seen is the latest).
 */

import { streamsApp, TimeWindows, unsaltKey, type Windowed } from "tributary/sdk";
import { z } from "zod";
import { CLICKS_TOPIC, GRACE_MS, HOUR_MS, IMPRESSION_TTL_MS, MINUTE_MS, SALTS } from "./clicks.mjs";

const APP_NAME = "ad-clicks";
/** The stores the query API reads: per ad, per window, `{ count, salts }`. */
export const STORES = { minute: "clicks-per-minute", hour: "clicks-per-hour" } as const;
/**
 * Stage 2's grace. Whether a click counts is stage 1's decision (GRACE_MS behind its partition's
 * stream time); stage 2 sees the partial counts of all partitions, some of which may run behind
 * the others, so it waits longer before it closes a window and drops nothing stage 1 counted.
 */
const MERGE_GRACE_MS = 10 * 60_000;
/** How long closed windows stay queryable. */
const RETENTION_MS = 7 * 24 * 3_600_000;

const click = z.object({ ad: z.string(), imp: z.string() });

/** One salt's count of one ad in one window. */
interface Partial {
  salt: number;
  count: number;
}

/** An ad's count in one window: the sum of its salts' latest counts. */
export interface AdCount {
  count: number;
  /** Latest count per salt, by salt. */
  salts: number[];
}

const saltOfKey = (key: string) => Number(key.slice(key.lastIndexOf("#") + 1));

function mergeSalt(_ad: string, p: Partial, agg: AdCount): AdCount {
  const salts = agg.salts.slice();
  salts[p.salt] = Math.max(salts[p.salt] ?? 0, p.count);
  let count = 0;
  for (const n of salts) count += n ?? 0;
  return { count, salts };
}

const emptyCount = (): AdCount => ({ count: 0, salts: new Array<number>(SALTS).fill(0) });

export const adClicksApp = streamsApp(APP_NAME);

const firstClicks = adClicksApp
  .stream(CLICKS_TOPIC, { key: z.string(), value: click })
  .dedupe({ id: (_key, c) => c.imp, withinMs: IMPRESSION_TTL_MS, name: "seen-impressions" })
  .groupByKey();

for (const [name, size] of [
  ["minute", MINUTE_MS],
  ["hour", HOUR_MS],
] as const) {
  firstClicks
    .windowedBy(TimeWindows.of(size).grace(GRACE_MS))
    // The record cache: per batch, one partial count per salted key and window, not one per click.
    .count({ name: `salted-clicks-per-${name}`, retentionMs: RETENTION_MS, cache: true })
    .toStream()
    .map((w: Windowed<string>, count: number): [string, Partial] => [
      unsaltKey(w.key),
      { salt: saltOfKey(w.key), count },
    ])
    .groupByKey({ name: `partials-per-${name}` })
    .windowedBy(TimeWindows.of(size).grace(MERGE_GRACE_MS))
    .aggregate(emptyCount, mergeSalt, { name: STORES[name], retentionMs: RETENTION_MS, cache: true });
}
