#!/usr/bin/env node
// @ts-check
// The Yahoo Streaming Benchmark's generator against a running Tributary: writes this run's 100
// campaigns × 10 ads to the campaigns topic (the global table), then ad events at a fixed rate
// for a while, timing each window from its end to its final count being queryable and checking
// every count against the ground truth as it goes. Writes the ground truth for verify.mjs. See
// README.md.
//
//   node examples/yahoo-streaming-benchmark/load.mjs [--rate 1000] [--seconds 30] [--out <tmp>/ysb-expected.json]
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runOnce } from "./driver.mjs";
import { createCampaigns, createGenerator } from "./events.mjs";

const USAGE = `usage: node examples/yahoo-streaming-benchmark/load.mjs [options]
  --url URL        Tributary with the ysb app (default $TRIBUTARY_URL or http://127.0.0.1:8789)
  --token TOKEN    bearer token (default $TRIBUTARY_TOKEN or dev-token)
  --rate N         ad events per second (default 1000)
  --seconds N      how long to send (default 30)
  --batch N        events per produce request at most (default 1000)
  --out FILE       where to write the ground truth (default <tmp>/ysb-expected.json)`;

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.TRIBUTARY_URL ?? "http://127.0.0.1:8789" },
    token: { type: "string", default: process.env.TRIBUTARY_TOKEN ?? "dev-token" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "30" },
    batch: { type: "string", default: "1000" },
    out: { type: "string", default: join(tmpdir(), "ysb-expected.json") },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
/** @param {"rate" | "seconds" | "batch"} name @param {number} min @param {number} max */
function num(name, min, max) {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`--${name} must be a number from ${min} to ${max}, got '${values[name]}'\n${USAGE}`);
    process.exit(2);
  }
  return v;
}
const rate = num("rate", 1, 10_000_000);
const seconds = num("seconds", 1, 3600);
const batch = num("batch", 1, 10_000);

const campaigns = createCampaigns();
const generator = createGenerator(campaigns);
const r = await runOnce({ url: values.url, token: values.token, rate, seconds, batch, campaigns, generator });
writeFileSync(values.out, `${JSON.stringify({ campaigns: campaigns.campaigns, ...r.truth }, null, 2)}\n`);
const ms = (/** @type {number | undefined} */ v) => (v === undefined ? "—" : `${Math.round(v)} ms`);
console.log(
  `sent ${r.sent} events (${Math.round(r.offeredRate)}/s), ${r.truth.views} views, over ${r.windows} windows of ${campaigns.campaigns.length} campaigns`,
);
console.log(
  `window end → final count queryable: p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, max ${ms(r.max)} (${r.samples} campaign windows)`,
);
console.log(`ground truth written to ${values.out}`);
if (r.problems.length > 0) {
  for (const p of r.problems.slice(0, 20)) console.error(p);
  process.exit(1);
}
console.log("every window's count is exact");
