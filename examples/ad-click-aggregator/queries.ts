/**
 * The advertiser queries, answered from the aggregator's materialized stores (the StreamTasks'
 * SQLite), never by reading the clicks log: an ad's counts over a time range, all ads' totals
 * per minute, and the top ads of a minute.
 */

import { queryStore, type StoreEntry, type StoreScan, startApp, unwrap } from "tributary/worker";
import { clicksTopic } from "./produce-click.ts";
import { type AdCount, adClicksApp, STORES } from "./topology.ts";

/** Entries one task answers at most per scan. */
const SCAN_LIMIT = 10_000;

export interface WindowCount {
  start: number;
  end: number;
  count: number;
}

let started: Promise<unknown> | undefined;

/**
 * The clicks topic exists and the app's tasks run (once per isolate; the tasks keep running by
 * their own alarms after that).
 */
export function ensureRunning(env: Env): Promise<unknown> {
  started ??= clicksTopic(env)
    .then(() => startApp(env, adClicksApp))
    .catch((err: unknown) => {
      started = undefined;
      throw err;
    });
  return started;
}

/** Scans a stage-2 store: the one task owning `key`, or every task. */
async function scanStore(
  env: Env,
  granularity: "minute" | "hour",
  scan: Omit<StoreScan, "limit">,
): Promise<{ entries: StoreEntry[]; truncated: boolean }> {
  await ensureRunning(env);
  const { entries, truncated } = unwrap(
    await queryStore(env, adClicksApp, STORES[granularity], { ...scan, limit: SCAN_LIMIT }),
  );
  return { entries, truncated };
}

/** Counts per window, summed over the entries' ads, by window start. */
function windowTotals(entries: readonly StoreEntry[]): WindowCount[] {
  const byStart = new Map<number, WindowCount>();
  for (const e of entries) {
    const w = byStart.get(e.windowStart) ?? { start: e.windowStart, end: e.windowEnd, count: 0 };
    w.count += (e.value as AdCount).count;
    byStart.set(e.windowStart, w);
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

/** The `n` ads with the most clicks, ties by ad id. */
function rankAds(entries: readonly StoreEntry[], n: number): { adId: string; count: number }[] {
  return entries
    .map((e) => ({ adId: e.key, count: (e.value as AdCount).count }))
    .sort((a, b) => b.count - a.count || (a.adId < b.adId ? -1 : a.adId > b.adId ? 1 : 0))
    .slice(0, n);
}

/**
 * Clicks per window whose start is in [from, to], for one ad, or summed over all ads when `ad`
 * is undefined. Windows without clicks are left out.
 */
export async function adCounts(
  env: Env,
  ad: string | undefined,
  granularity: "minute" | "hour",
  from: number,
  to: number,
): Promise<{ windows: WindowCount[]; truncated: boolean }> {
  const { entries, truncated } = await scanStore(env, granularity, { key: ad, from, to });
  return { windows: windowTotals(entries), truncated };
}

/** The top `n` ads of the minute starting at `minute`. */
export async function topAds(env: Env, minute: number, n: number) {
  const { entries, truncated } = await scanStore(env, "minute", { from: minute, to: minute });
  return { ads: rankAds(entries, n), truncated };
}
