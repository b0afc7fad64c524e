// @ts-check
// The ad-click aggregator through the whole pipeline (examples/ad-click-aggregator): clicks
// produced in batches to the clicks topic, as a fleet of edge click handlers would in aggregate,
// counted by the stream app (dedupe, salted per-minute and per-hour counts, the salts merged per
// ad) until the advertiser-facing stores hold exactly the expected counts. Also the freshness of
// a count (click to queryable) and the redirect endpoint's own rate and latency. See
// bench/README.md. Called once per round by bench/run.mjs; also runs alone:
//
//   node bench/ad-clicks.mjs [--runs 3] [--quick]
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  clickRecord,
  createExpectedCounts,
  MINUTE_MS,
  saltOf,
  windowStart,
} from "../examples/ad-click-aggregator/clicks.mjs";
import {
  differences,
  ensurePipeline,
  produceClicks,
  storeCounts,
  windowRange,
} from "../examples/ad-click-aggregator/driver.mjs";
import { signImpression } from "../examples/ad-click-aggregator/impressions.mjs";
import { createClickPlan } from "../examples/ad-click-aggregator/load-plan.mjs";
import { ROOT, startLocalWorker } from "../test/helpers/local-worker.mjs";
import { createClient } from "./http-load.mjs";
import { fmt, summarize } from "./report.mjs";

/** The issue's targets: sustained clicks/s with exact counts, and freshness p99. */
export const AD_CLICKS_TARGET = { minRate: 50_000, maxFreshnessP99Ms: 2_000 };
/** A key the bench worker may sign impressions with (passed to it as a var). */
const BENCH_SIGNING_KEY = "bench-only-ad-clicks-signing-key";

/**
 * The example's own worker (examples/ad-click-aggregator/wrangler.toml) for the ad-click rows,
 * in a process of its own: the objects other scenarios leave behind (replicated topics checking
 * their in-sync replicas, groups, push subscribers) would otherwise share the one local workerd
 * thread with the pipeline. In production they run elsewhere.
 */
export async function startAdClicksWorker() {
  const worker = await startLocalWorker({
    frozen: true,
    config: `${ROOT}/examples/ad-click-aggregator/wrangler.toml`,
    vars: { TRIBUTARY_TOKENS: "dev-token", AD_CLICKS_SIGNING_KEY: BENCH_SIGNING_KEY },
  });
  return { ...worker, signingKey: BENCH_SIGNING_KEY };
}

const log = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {{ id: string, label: string, unit: string, value: number, detail: object }} Row
 * @typedef {{ url: string, token: string }} Worker
 * @typedef {{
 *   quick?: boolean, round?: number, signingKey?: string, mode?: { id: string, label: string },
 *   record?: (id: string, label: string, unit: string, value: number, detail: object) => void,
 * }} RoundOptions   `record` is called with each row as it is measured (bench/run.mjs's table);
 *   `mode` names the rows of another deployment (the split bench: ids `split.adclicks.…`, the
 *   label after the row's own), which the ad-click target lines leave out
 */

function settings(/** @type {boolean} */ quick) {
  return {
    /** Phase 1: closed-loop produce for this long, then until the counts are exact. */
    throughputMs: quick ? 2_000 : 8_000,
    connections: 8,
    batch: 1_000,
    /** Phase 2: open-loop produce at a fixed rate, probes timed from click to count. */
    freshnessMs: quick ? 2_000 : 6_000,
    probeEveryMs: 100,
    pollEveryMs: 10,
    /** Bounds on waiting for exact counts after the produce stops. */
    exactWithinMs: 180_000,
    exactPollMs: 250,
    /** The redirect endpoint: connections and time. */
    redirectConnections: 8,
    redirectMs: quick ? 1_000 : 2_000,
    ads: 200,
  };
}

/**
 * Polls the stores until they hold exactly `expected` for the ads of `prefix`.
 * @param {Worker} w @param {{ minute: any, hour: any }} expected @param {string} prefix
 * @param {ReturnType<typeof settings>} s
 * @returns {Promise<{ exactAt: number | undefined, lines: string[] }>}
 */
async function waitExact(w, expected, prefix, s) {
  const m = windowRange(expected.minute);
  const h = windowRange(expected.hour);
  const deadline = performance.now() + s.exactWithinMs;
  for (;;) {
    const [minute, hour] = await Promise.all([
      storeCounts(w.url, w.token, "minute", m.from, m.to, `${prefix}-`),
      storeCounts(w.url, w.token, "hour", h.from, h.to, `${prefix}-`),
    ]);
    const lines = [...differences(expected.minute, minute, "minute"), ...differences(expected.hour, hour, "hour")];
    if (lines.length === 0) return { exactAt: performance.now(), lines };
    if (performance.now() > deadline) return { exactAt: undefined, lines };
    await sleep(s.exactPollMs);
  }
}

/** A produce request of `n` clicks from `plan`, noted in `expected`. */
function produceRequest(/** @type {Worker} */ w, /** @type {any} */ plan, /** @type {any} */ expected, n = 1_000) {
  const clicks = plan.batch(n);
  for (const c of clicks) expected.add(c);
  const records = clicks.map((/** @type {any} */ c) => clickRecord(c.ad, c.imp, c.t));
  return {
    method: "POST",
    path: "/v1/topics/ad-clicks/records",
    body: Buffer.from(JSON.stringify({ records })),
    headers: { "content-type": "application/json", authorization: `Bearer ${w.token}` },
  };
}

/**
 * Phase 1: sustained throughput. Clicks go in as fast as 8 connections send 1000-click requests
 * for a while; the time runs from the first request until the stores answer exactly.
 * @param {Worker} w @param {ReturnType<typeof settings>} s @param {string} prefix
 */
async function throughput(w, s, prefix) {
  const plan = createClickPlan({ ads: s.ads, prefix });
  const expected = createExpectedCounts();
  const client = createClient(w.url, s.connections);
  try {
    const start = performance.now();
    const r = await client.run({
      durationMs: s.throughputMs,
      maxRequests: 1_000_000,
      next: () => produceRequest(w, plan, expected, s.batch),
      count: () => s.batch,
    });
    if (r.errors) throw new Error(`${r.errors} produce requests failed, first: ${r.firstError}`);
    const produced = performance.now();
    const { exactAt, lines } = await waitExact(w, expected.counts, prefix, s);
    return { clicks: r.items, counted: expected.counted, start, produced, exactAt, lines, produce: r };
  } finally {
    client.close();
  }
}

/**
 * Phase 2: freshness at a fixed rate. Load is sent open loop at `rate` clicks/s; every probe
 * interval one probe click for the probe ad is appended on its own (and waited for), always with
 * the same salt, so the probes are counted in the order sent; one poller reads the probe ad's
 * count and times each probe from its send to the first answer that includes it.
 * @param {Worker} w @param {ReturnType<typeof settings>} s @param {string} prefix @param {number} rate
 */
async function freshness(w, s, prefix, rate) {
  const plan = createClickPlan({ ads: s.ads, prefix });
  const expected = createExpectedCounts();
  const client = createClient(w.url, s.connections);
  const probeAd = `${prefix}-probe`;
  /** @type {number[]} */
  const sentAt = [];
  /** @type {number[]} */
  const latencies = [];
  const start = performance.now();
  const end = start + s.freshnessMs;
  const firstMinute = windowStart(Date.now(), MINUTE_MS);
  let sent = 0;
  let failures = 0;
  /** @type {string | undefined} */
  let firstError;
  let stop = false;
  const pending = new Set();
  const load = (async () => {
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate) - sent;
      if (due >= s.batch || (due > 0 && pending.size === 0)) {
        const n = Math.min(due, s.batch);
        sent += n;
        const p = client.send(produceRequest(w, plan, expected, n)).then((a) => {
          if (a.status !== 200) {
            failures++;
            firstError ??= a.tail.slice(-300);
          }
        });
        pending.add(p);
        p.finally(() => pending.delete(p));
      } else await sleep(2);
    }
    await Promise.all(pending);
  })();
  let probes = 0;
  const probing = (async () => {
    while (performance.now() < end) {
      let nonce;
      do nonce = `${prefix}${Math.random().toString(36).slice(2, 10)}`;
      while (saltOf(nonce) !== 0);
      const t = Date.now();
      expected.add({ ad: probeAd, imp: nonce, t, seenAt: t });
      sentAt.push(performance.now());
      await produceClicks(w.url, w.token, [{ ad: probeAd, imp: nonce, t, seenAt: t }]);
      probes++;
      await sleep(s.probeEveryMs);
    }
  })();
  const polling = (async () => {
    let seen = 0;
    const pollDeadline = end + 60_000;
    while (!stop && performance.now() < pollDeadline) {
      const r = await client.json(
        "GET",
        `/ads/${probeAd}/counts?from=${firstMinute}&to=${Date.now()}&granularity=minute`,
        undefined,
        w.token,
      );
      const now = performance.now();
      for (; seen < Math.min(r.total, sentAt.length); seen++)
        latencies.push(now - /** @type {number} */ (sentAt[seen]));
      if (stop && seen >= probes) break;
      await sleep(s.pollEveryMs);
    }
  })();
  await Promise.all([load, probing]);
  const produced = performance.now();
  const { exactAt, lines } = await waitExact(w, expected.counts, prefix, s);
  stop = true;
  await polling;
  client.close();
  if (failures) lines.push(`${failures} produce requests failed, first: ${firstError}`);
  latencies.sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    rate,
    sent,
    offeredRate: sent / ((produced - start) / 1000),
    probes,
    timed: latencies.length,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies[latencies.length - 1],
    exact: exactAt !== undefined,
    lines,
  };
}

/**
 * The redirect endpoint alone: GET /ads/:ad/click with fresh signed impressions, 8 connections,
 * closed loop. Needs the worker's signing key (standalone runs set it); skipped without.
 * @param {Worker} w @param {ReturnType<typeof settings>} s @param {string} prefix @param {string | undefined} key
 */
async function redirects(w, s, prefix, key) {
  if (!key) return undefined;
  const ads = Array.from({ length: 50 }, (_, i) => `${prefix}r-${i}`);
  // Signed here beforehand (the endpoint's cost is the check, not the signing).
  const clicks = await Promise.all(
    Array.from({ length: 20_000 }, async (_, i) => {
      const ad = /** @type {string} */ (ads[i % ads.length]);
      return `/ads/${ad}/click?impression=${encodeURIComponent(await signImpression(key, ad))}`;
    }),
  );
  const client = createClient(w.url, s.redirectConnections);
  /** @type {number[]} */
  const latencies = [];
  let next = 0;
  let redirected = 0;
  /** @type {string | undefined} */
  let firstError;
  const begin = performance.now();
  const deadline = begin + s.redirectMs;
  await Promise.all(
    Array.from({ length: s.redirectConnections }, async () => {
      while (performance.now() < deadline && next < clicks.length) {
        const path = /** @type {string} */ (clicks[next++]);
        const sent = performance.now();
        const a = await client.send({ method: "GET", path });
        latencies.push(performance.now() - sent);
        if (a.status === 302) redirected++;
        else firstError ??= `${path} answered ${a.status}: ${a.tail.slice(-200)}`;
      }
    }),
  );
  const elapsedMs = performance.now() - begin;
  client.close();
  latencies.sort((a, b) => a - b);
  const at = (/** @type {number} */ q) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: next,
    redirected,
    errors: next - redirected,
    firstError,
    elapsedMs,
    latencyMs: { p50: at(0.5), p99: at(0.99), max: at(1) },
  };
}

/** Every round's values so far, by row id (for the target lines). @type {Map<string, number[]>} */
const rounds = new Map();

/**
 * One round of the ad-click scenarios against a running bench worker.
 * @param {Worker} w @param {RoundOptions} [options]
 * @returns {Promise<Row[]>}
 */
export async function adClickRows(w, options = {}) {
  const s = settings(options.quick ?? false);
  const round = options.round ?? 1;
  const tag = `b${round}${Math.random().toString(36).slice(2, 6)}`;
  await ensurePipeline(w.url, w.token);
  /** @type {Row[]} */
  const rows = [];

  const t = await throughput(w, s, `${tag}t`);
  const exact = t.exactAt !== undefined;
  const seconds = ((t.exactAt ?? performance.now()) - t.start) / 1000;
  const rate = t.clicks / seconds;
  if (!exact)
    log(`  ! ad clicks NOT EXACT after ${fmt(s.exactWithinMs / 1000)} s:\n    ${t.lines.slice(0, 10).join("\n    ")}`);
  rows.push({
    id: "adclicks.pipeline",
    label: "ad clicks, produce → exact counts (1000 per request)",
    unit: "clicks/s",
    value: exact ? rate : 0,
    detail: {
      clicks: t.clicks,
      counted: t.counted,
      seconds,
      produceSeconds: (t.produced - t.start) / 1000,
      drainSeconds: ((t.exactAt ?? performance.now()) - t.produced) / 1000,
      exact,
      differences: t.lines.slice(0, 20),
    },
  });
  rows.push({
    id: "adclicks.produce",
    label: "ad clicks accepted by the produce API while the pipeline ran",
    unit: "clicks/s",
    value: t.produce.items / (t.produce.elapsedMs / 1000),
    detail: {
      requests: t.produce.requests,
      elapsedMs: t.produce.elapsedMs,
      requestsPerSecond: t.produce.requests / (t.produce.elapsedMs / 1000),
      latencyMs: t.produce.latencyMs,
    },
  });

  // Freshness at the target rate when the pipeline sustains it, else at 0.8 × what it sustains
  // (above that the backlog, not the pipeline's latency, is what would be measured).
  const freshRate = Math.round(
    (exact && rate >= AD_CLICKS_TARGET.minRate ? AD_CLICKS_TARGET.minRate : 0.8 * (exact ? rate : 0)) || 1_000,
  );
  const f = await freshness(w, s, `${tag}f`, freshRate);
  if (!f.exact) log(`  ! ad clicks (freshness phase) NOT EXACT:\n    ${f.lines.slice(0, 10).join("\n    ")}`);
  for (const q of /** @type {const} */ (["p50", "p99"])) {
    rows.push({
      id: `adclicks.freshness.${q}`,
      label: `ad click → count queryable, at 50,000 clicks/s if sustained: ${q}`,
      unit: "ms",
      value: f[q] ?? Number.NaN,
      detail: { ...f, lines: f.lines.slice(0, 20) },
    });
  }

  const r = await redirects(w, s, tag, options.signingKey);
  if (r) {
    rows.push({
      id: "adclicks.redirect",
      label: "GET /ads/:ad/click (verify, append, 302), 1 click per request",
      unit: "clicks/s",
      value: r.redirected / (r.elapsedMs / 1000),
      detail: { ...r, requestsPerSecond: r.requests / (r.elapsedMs / 1000) },
    });
  }
  if (options.mode) {
    const { id, label } = options.mode;
    for (const row of rows)
      options.record?.(`${id}.${row.id}`, `${row.label}, ${label}`, row.unit, row.value, row.detail);
    return rows;
  }
  for (const row of rows) {
    options.record?.(row.id, row.label, row.unit, row.value, row.detail);
    rounds.set(row.id, [...(rounds.get(row.id) ?? []), row.value]);
  }
  rounds.set("adclicks.freshness.rate", [...(rounds.get("adclicks.freshness.rate") ?? []), f.rate]);
  // bench/run.mjs prints its table and its own target lines; these are the ones for ad clicks.
  if (options.record) log(adClicksVerdict(rounds).replace("Target:", `Target (after round ${round}):`));
  return rows;
}

/** The ad-click target lines over every round measured so far in this process. */
export const adClicksSummary = () => adClicksVerdict(rounds);

/** The target lines for rows gathered over rounds. @param {Map<string, number[]>} values */
export function adClicksVerdict(values) {
  const med = (/** @type {string} */ id) => {
    const v = values.get(id);
    return v?.length ? summarize(v).median : undefined;
  };
  const rate = med("adclicks.pipeline");
  const p99 = med("adclicks.freshness.p99");
  const allExact = (values.get("adclicks.pipeline") ?? []).every((v) => v > 0);
  const rateOk = rate !== undefined && rate >= AD_CLICKS_TARGET.minRate && allExact;
  const p99Ok = p99 !== undefined && p99 < AD_CLICKS_TARGET.maxFreshnessP99Ms;
  const atTarget = (med("adclicks.freshness.rate") ?? 0) >= AD_CLICKS_TARGET.minRate;
  return [
    `Target: ad clicks through the whole pipeline with exact counts`,
    `  rate   ${fmt(rate)} clicks/s (median)   needs ≥ ${fmt(AD_CLICKS_TARGET.minRate)}${allExact ? "" : " (a round was NOT EXACT)"}   → ${rateOk ? "PASS" : "FAIL"}`,
    `  fresh  p99 ${fmt(p99)} ms (median), p50 ${fmt(med("adclicks.freshness.p50"))} ms, under load at ${fmt(med("adclicks.freshness.rate"))} clicks/s   needs < ${fmt(AD_CLICKS_TARGET.maxFreshnessP99Ms)} ms` +
      `${(med("adclicks.freshness.rate") ?? 0) < AD_CLICKS_TARGET.minRate ? ` (at ${fmt(AD_CLICKS_TARGET.minRate)} clicks/s it is not measured: the pipeline does not sustain that rate)` : ""}   → ${p99Ok ? (atTarget ? "PASS" : "PASS at the lower rate only") : "FAIL"}`,
  ].join("\n");
}

async function main() {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "3" }, quick: { type: "boolean", default: false } },
  });
  const runs = values.quick ? 1 : Number(values.runs);
  const worker = await startAdClicksWorker();
  /** @type {Map<string, string>} */
  const labels = new Map();
  try {
    for (let round = 1; round <= runs; round++) {
      log(`round ${round}/${runs}`);
      const rows = await adClickRows(worker, { quick: values.quick, round, signingKey: BENCH_SIGNING_KEY });
      for (const r of rows) {
        labels.set(r.id, `${r.label} (${r.unit})`);
        log(`  ${r.label.padEnd(64)} ${fmt(r.value).padStart(10)} ${r.unit}`);
      }
    }
  } finally {
    await worker.stop();
  }
  console.log(`\n# Ad clicks, ${runs} round(s)${values.quick ? " (quick)" : ""}: medians (min–max)`);
  for (const [id, label] of labels) {
    const s = summarize(rounds.get(id) ?? []);
    console.log(`- ${label}: ${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`);
  }
  console.log(adClicksVerdict(rounds));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
