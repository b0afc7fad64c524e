#!/usr/bin/env node
// @ts-check
// The Yahoo Streaming Benchmark's verifier: asks the ysb app's store for every window of the
// ground truth load.mjs wrote and compares each campaign's count with the views sent. Retries
// until they match or the wait is over; prints every difference. See README.md.
//
//   node examples/yahoo-streaming-benchmark/verify.mjs [--expected <tmp>/ysb-expected.json] [--wait-seconds 60]
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { windowCounts } from "./driver.mjs";

const USAGE = `usage: node examples/yahoo-streaming-benchmark/verify.mjs [options]
  --url URL            Tributary with the ysb app (default $TRIBUTARY_URL or http://127.0.0.1:8789)
  --token TOKEN        bearer token (default $TRIBUTARY_TOKEN or dev-token)
  --expected FILE      the ground truth load.mjs wrote (default <tmp>/ysb-expected.json)
  --wait-seconds N     how long to wait for the counts to match (default 60)`;

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.TRIBUTARY_URL ?? "http://127.0.0.1:8789" },
    token: { type: "string", default: process.env.TRIBUTARY_TOKEN ?? "dev-token" },
    expected: { type: "string", default: join(tmpdir(), "ysb-expected.json") },
    "wait-seconds": { type: "string", default: "60" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const waitMs = Number(values["wait-seconds"]) * 1000;
/** @type {{ campaigns: string[], events: number, views: number, windows: Record<string, Record<string, number>> }} */
const expected = JSON.parse(readFileSync(values.expected, "utf8"));
const ours = new Set(expected.campaigns);

/** Every difference between the store and the ground truth (none: exact). */
async function differences() {
  const lines = [];
  for (const [start, truth] of Object.entries(expected.windows)) {
    const counts = await windowCounts(values.url, values.token, Number(start));
    for (const campaign of ours) {
      const want = truth[campaign] ?? 0;
      const got = counts.get(campaign) ?? 0;
      if (got !== want) {
        lines.push(
          `window ${new Date(Number(start)).toISOString()} campaign ${campaign}: expected ${want}, answered ${got}`,
        );
      }
    }
  }
  return lines;
}

const deadline = Date.now() + waitMs;
let lines = await differences();
while (lines.length > 0 && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 500));
  lines = await differences();
}
if (lines.length > 0) {
  for (const line of lines) console.error(line);
  console.error(`${lines.length} counts differ from the ground truth`);
  process.exit(1);
}
const windows = Object.keys(expected.windows).length;
console.log(`exact: ${windows} windows × ${ours.size} campaigns, ${expected.views} views of ${expected.events} events`);
