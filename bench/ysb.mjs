// @ts-check
// The Yahoo Streaming Benchmark on Tributary (examples/yahoo-streaming-benchmark): ad events at a
// fixed rate (100 campaigns × 10 ads, a third of the events views), views joined to campaigns
// through the global table and counted per campaign in 10-second windows; the metric is YSB's:
// the highest event rate at which the 99th-percentile latency from a window's end to its final
// count being queryable stays under 1 s, every window's count exact. Found by a bounded search
// (doubling from a start rate while trials pass, then halving the gap a few times); the median
// over runs is reported as a ratio to the raw in-object insert loop of the same run. See
// bench/README.md. Called once per round by bench/run.mjs; also runs alone:
//
//   node bench/ysb.mjs [--runs 3] [--quick]
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { appLag, runOnce } from "../examples/yahoo-streaming-benchmark/driver.mjs";
import { createCampaigns, createGenerator } from "../examples/yahoo-streaming-benchmark/events.mjs";
import { ROOT, startLocalWorker } from "../test/helpers/local-worker.mjs";
import { fmt, fmtRatio, ratio, summarize } from "./report.mjs";

/** YSB's bound: the p99 latency from a window's end to its final count, under 1 s. */
export const YSB_TARGET = { maxP99Ms: 1_000 };

const log = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The example's own worker (examples/yahoo-streaming-benchmark/wrangler.toml), in a process of
 * its own, as the ad-click rows have theirs.
 */
export function startYsbWorker() {
  return startLocalWorker({
    frozen: true,
    config: `${ROOT}/examples/yahoo-streaming-benchmark/wrangler.toml`,
    vars: { TRIBUTARY_TOKENS: "dev-token" },
  });
}

function settings(/** @type {boolean} */ quick) {
  return {
    /** Each trial sends for this long: two or three 10-second windows. */
    trialSeconds: quick ? 12 : 25,
    startRate: 4_000,
    /** Doublings from the start rate at most (the search's upper bound), then bisections of the gap. */
    doublings: quick ? 2 : 4,
    bisections: quick ? 1 : 2,
    /** Rates are rounded to this. */
    step: 500,
    /** The store is asked for each finished window this often until its counts are final. */
    pollMs: 50,
    /** A short trial first, not counted: tasks and topics made, objects warm. */
    warmup: { rate: 1_000, seconds: quick ? 6 : 10 },
    /** Before each trial, at most this long for what the last one left to be processed. */
    drainMs: 120_000,
  };
}

/** @typedef {{ url: string, token: string }} Worker */

/** Waits until the app's tasks have read everything (what a failed trial left behind). @param {Worker} w @param {number} ms */
async function drained(w, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if ((await appLag(w.url, w.token)) === 0) return true;
    await sleep(250);
  }
  return false;
}

/**
 * One trial at `rate`: this run's own campaigns, events for `seconds`, every window watched.
 * It passes when every count is exact, the generator kept the rate and the p99 is under 1 s.
 * @param {Worker} w @param {number} rate @param {number} seconds @param {ReturnType<typeof settings>} s
 */
async function trial(w, rate, seconds, s) {
  await drained(w, s.drainMs);
  const campaigns = createCampaigns();
  const generator = createGenerator(campaigns);
  const r = await runOnce({ url: w.url, token: w.token, rate, seconds, campaigns, generator, pollMs: s.pollMs });
  const exact = r.problems.length === 0;
  const keptRate = r.offeredRate >= 0.95 * rate;
  const pass = exact && keptRate && r.p99 !== undefined && r.p99 < YSB_TARGET.maxP99Ms;
  log(
    `  ysb trial ${fmt(rate)} events/s: sent ${fmt(r.offeredRate)}/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms over ${r.samples} campaign windows` +
      `${exact ? ", exact" : `, NOT EXACT: ${r.problems[0]}`}${keptRate ? "" : ", the generator fell behind"} → ${pass ? "pass" : "fail"}`,
  );
  return {
    rate,
    offeredRate: r.offeredRate,
    p50: r.p50,
    p99: r.p99,
    max: r.max,
    samples: r.samples,
    windows: r.windows,
    events: r.truth.events,
    views: r.truth.views,
    exact,
    keptRate,
    pass,
    problems: r.problems.slice(0, 5),
  };
}

/**
 * The bounded search: doubling from the start rate while trials pass, then bisecting between the
 * highest passing and the lowest failing rate; halving instead when the start rate fails.
 * @param {Worker} w @param {ReturnType<typeof settings>} s
 */
async function search(w, s) {
  /** @type {Awaited<ReturnType<typeof trial>>[]} */
  const trials = [];
  const round = (/** @type {number} */ r) => Math.max(s.step, Math.round(r / s.step) * s.step);
  let lo = 0;
  /** @type {number | undefined} */
  let hi;
  for (let rate = s.startRate, i = 0; i <= s.doublings; i++, rate *= 2) {
    const t = await trial(w, rate, s.trialSeconds, s);
    trials.push(t);
    if (!t.pass) {
      hi = rate;
      break;
    }
    lo = rate;
  }
  if (lo === 0) {
    // Even the start rate failed: look below it.
    for (let rate = round(s.startRate / 2); rate >= s.step && lo === 0; rate = round(rate / 2)) {
      const t = await trial(w, rate, s.trialSeconds, s);
      trials.push(t);
      if (t.pass) lo = rate;
      else hi = rate;
      if (rate === s.step) break;
    }
  }
  for (let i = 0; hi !== undefined && lo > 0 && i < s.bisections; i++) {
    const mid = round((lo + hi) / 2);
    if (mid <= lo || mid >= hi) break;
    const t = await trial(w, mid, s.trialSeconds, s);
    trials.push(t);
    if (t.pass) lo = mid;
    else hi = mid;
  }
  const best = trials.filter((t) => t.pass && t.rate === lo).at(-1);
  return { rate: lo, best, firstFail: hi, trials };
}

/** Every run's values so far, by row id (for the target lines). @type {Map<string, number[]>} */
const runs = new Map();

/**
 * One run of the YSB search against a running YSB worker: records its rows (rate and the p99 at
 * that rate) with `record`, bench/run.mjs's table.
 * @param {Worker} w
 * @param {{ quick?: boolean, round?: number, record?: (id: string, label: string, unit: string, value: number, detail: object) => void }} [options]
 */
export async function ysbRows(w, options = {}) {
  const s = settings(options.quick ?? false);
  if ((options.round ?? 1) === 1) await trial(w, s.warmup.rate, s.warmup.seconds, s);
  const found = await search(w, s);
  const rows = [
    {
      id: "ysb.rate",
      label: `Yahoo Streaming Benchmark: highest event rate with p99 window end → final count < 1 s`,
      unit: "events/s",
      value: found.rate,
      detail: { firstFailingRate: found.firstFail, trials: found.trials, trialSeconds: s.trialSeconds },
    },
    {
      id: "ysb.p99",
      label: "Yahoo Streaming Benchmark: p99 window end → final count, at that rate",
      unit: "ms",
      value: found.best?.p99 ?? Number.NaN,
      detail: { p50: found.best?.p50, max: found.best?.max, samples: found.best?.samples },
    },
  ];
  for (const row of rows) {
    options.record?.(row.id, row.label, row.unit, row.value, row.detail);
    runs.set(row.id, [...(runs.get(row.id) ?? []), row.value]);
  }
  return rows;
}

/** The YSB lines under bench/run.mjs's table. @param {number | undefined} rawLoop the raw in-object insert rate of the same run */
export function ysbSummary(rawLoop) {
  const rates = runs.get("ysb.rate") ?? [];
  const rate = rates.length ? summarize(rates).median : undefined;
  const p99s = (runs.get("ysb.p99") ?? []).filter(Number.isFinite);
  return [
    `Yahoo Streaming Benchmark: ${fmt(rate)} events/s (median of ${rates.length} run${rates.length === 1 ? "" : "s"}: ${rates.map(fmt).join(", ")}) is the highest rate found with every window's count exact and p99 < ${fmt(YSB_TARGET.maxP99Ms)} ms` +
      ` (p99 at it ${p99s.length ? fmt(summarize(p99s).median) : "—"} ms, median); ${fmtRatio(ratio(rate, rawLoop))} of the raw in-object insert loop, ${fmt(rawLoop)} records/s in this run`,
  ].join("\n");
}

/**
 * The raw in-object insert loop, 1000 × 100 B records (what bench/run.mjs's raw row measures),
 * for the ratio of a standalone run. @param {Worker} bench the bench worker (bench/wrangler.toml)
 */
async function rawLoop(bench) {
  const res = await fetch(`${bench.url}/bench/raw/insert-loop`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: `ysb-raw-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
      shape: { recordBytes: 100, batchSize: 1000 },
      maxBatches: 300,
      maxMs: 1_000,
    }),
  });
  const r = /** @type {{ records: number, innerMs: number, outerMs: number, pingMs: number }} */ (await res.json());
  return r.records / (Math.max(1, r.innerMs > 0 ? r.innerMs : r.outerMs - r.pingMs) / 1000);
}

async function main() {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "3" }, quick: { type: "boolean", default: false } },
  });
  const count = values.quick ? 1 : Number(values.runs);
  const [worker, bench] = await Promise.all([
    startYsbWorker(),
    startLocalWorker({ config: `${ROOT}/bench/wrangler.toml`, vars: { TRIBUTARY_TOKENS: "dev-token" }, frozen: true }),
  ]);
  /** @type {number[]} */
  const raws = [];
  try {
    for (let round = 1; round <= count; round++) {
      log(`run ${round}/${count}`);
      raws.push(await rawLoop(bench));
      const rows = await ysbRows(worker, { quick: values.quick, round });
      for (const r of rows) log(`  ${r.label.padEnd(80)} ${fmt(r.value).padStart(10)} ${r.unit}`);
    }
  } finally {
    await Promise.all([worker.stop(), bench.stop()]);
  }
  console.log(`\n# Yahoo Streaming Benchmark, ${count} run(s)${values.quick ? " (quick)" : ""}`);
  console.log(ysbSummary(summarize(raws).median));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
