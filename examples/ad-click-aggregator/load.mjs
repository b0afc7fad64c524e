#!/usr/bin/env node
// @ts-check
// The ad-click load generator: Zipf-distributed ads plus a hot ad, repeated clicks, out-of-order
// and too-late clicks, sent in batches through the produce API (as a fleet of click handlers
// would in aggregate) and some through the redirect endpoint, one click per request. Writes the
// exact counts the aggregator must answer to a JSON file for verify.mjs. See README.md.
//
//   node examples/ad-click-aggregator/load.mjs [--seconds 20] [--rate 2000] [--out <tmp>/ad-clicks-expected.json]
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createExpectedCounts } from "./clicks.mjs";
import { awayFromMinuteEdge, clickThroughRedirect, ensurePipeline, produceClicks } from "./driver.mjs";
import { createClickPlan } from "./load-plan.mjs";

const USAGE = `usage: node examples/ad-click-aggregator/load.mjs [options]
  --url URL          Tributary (default $TRIBUTARY_URL or http://127.0.0.1:8788)
  --token TOKEN      bearer token (default $TRIBUTARY_TOKEN or dev-token)
  --seconds N        how long to send (default 20)
  --rate N           clicks per second through the produce API (default 2000)
  --batch N          clicks per produce request (default 500)
  --ads N            ads in the Zipf distribution, besides the hot ad (default 200)
  --hot-share X      share of clicks on the hot ad (default 0.4)
  --redirects N      clicks through GET /ads/:ad/click, one request each, every 5th clicked twice (default 50)
  --prefix P         ad ids are <P>-<rank> and <P>-hot (default: "ad" and a run id, so runs do not mix)
  --out FILE         where to write the expected counts (default <tmp>/ad-clicks-expected.json)`;

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.TRIBUTARY_URL ?? "http://127.0.0.1:8788" },
    token: { type: "string", default: process.env.TRIBUTARY_TOKEN ?? "dev-token" },
    seconds: { type: "string", default: "20" },
    rate: { type: "string", default: "2000" },
    batch: { type: "string", default: "500" },
    ads: { type: "string", default: "200" },
    "hot-share": { type: "string", default: "0.4" },
    redirects: { type: "string", default: "50" },
    prefix: { type: "string" },
    out: { type: "string", default: join(tmpdir(), "ad-clicks-expected.json") },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
/** @param {string} name @param {number} min @param {number} max */
function num(name, min, max) {
  const v = Number(values[/** @type {keyof typeof values} */ (name)]);
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`--${name} must be a number from ${min} to ${max}\n${USAGE}`);
    process.exit(2);
  }
  return v;
}
const url = /** @type {string} */ (values.url).replace(/\/$/, "");
const token = /** @type {string} */ (values.token);
const seconds = num("seconds", 1, 3600);
const rate = num("rate", 1, 1_000_000);
const batchSize = Math.floor(num("batch", 1, 5000));
const redirects = Math.floor(num("redirects", 0, 100_000));
const prefix = values.prefix ?? `ad${Math.random().toString(36).slice(2, 6)}`;
const plan = createClickPlan({ ads: Math.floor(num("ads", 1, 100_000)), hotShare: num("hot-share", 0, 1), prefix });
const expected = createExpectedCounts();

await ensurePipeline(url, token);
console.log(`sending ~${rate} clicks/s for ${seconds} s to ${url} (ads ${prefix}-1.., hot ad ${plan.hotAd})`);

const started = Date.now();
const end = started + seconds * 1000;
let sent = 0;
let inFlight = 0;
const MAX_IN_FLIGHT = 8;
/** @type {Error | undefined} */
let failed;

async function batches() {
  while (Date.now() < end && !failed) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate) - sent;
    if (due <= 0 || inFlight >= MAX_IN_FLIGHT) {
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    const clicks = plan.batch(Math.min(due, batchSize));
    for (const c of clicks) expected.add(c);
    sent += clicks.length;
    inFlight++;
    produceClicks(url, token, clicks)
      .catch((err) => {
        failed = err;
      })
      .finally(() => inFlight--);
  }
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
}

let redirected = 0;
let repeated = 0;
async function redirectClicks() {
  for (let i = 0; i < redirects && !failed; i++) {
    // Spread over the run; each click is timed by the server, so keep away from minute edges.
    const at = started + ((i + 0.5) / redirects) * seconds * 1000;
    if (at > Date.now()) await new Promise((r) => setTimeout(r, at - Date.now()));
    await awayFromMinuteEdge();
    const [c] = plan.batch(1);
    const ad = /** @type {import("./clicks.mjs").SentClick} */ (c).ad;
    const t = Date.now();
    const { nonce, answers } = await clickThroughRedirect(url, token, ad, { repeat: i % 5 === 0 ? 1 : 0 });
    for (const a of answers) {
      if (a.status !== 302) throw new Error(`a click on ${ad} answered ${a.status}`);
    }
    expected.add({ ad, imp: nonce, t, seenAt: t });
    redirected++;
    repeated += answers.length - 1;
  }
}

await Promise.all([batches(), redirectClicks().catch((err) => (failed = err))]);
if (failed) {
  console.error(`load failed: ${failed.message}`);
  process.exit(1);
}
const elapsed = (Date.now() - started) / 1000;
const out = {
  url,
  prefix,
  hotAd: plan.hotAd,
  sentAt: new Date(started).toISOString(),
  clicks: { produced: sent, redirected, repeatedRedirects: repeated, countedInMinutes: expected.counted },
  ...expected.counts,
};
writeFileSync(/** @type {string} */ (values.out), `${JSON.stringify(out)}\n`);
console.log(
  `sent ${sent} clicks through the produce API and ${redirected} through the redirect endpoint (${repeated} clicked twice) in ${elapsed.toFixed(1)} s;` +
    ` ${expected.counted} impressions count in their minute (the rest are repeats or too late)`,
);
console.log(
  `expected counts written to ${values.out}; check them with: npm run example:ad-clicks:verify -- --expected ${values.out}`,
);
