#!/usr/bin/env node
// @ts-check
// The ad-click verifier: asks the aggregator's advertiser API for every ad the load generator
// clicked (per minute and per hour) and for the top ads of each minute, and compares the answers
// with the exact counts load.mjs wrote. Retries until they match or the wait is over (the
// aggregation runs behind the clicks by a moment); prints every difference. See README.md.
//
//   node examples/ad-click-aggregator/verify.mjs [--expected <tmp>/ad-clicks-expected.json] [--wait-seconds 60]
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { HOUR_MS } from "./clicks.mjs";
import { adCounts, call, differences, windowRange } from "./driver.mjs";

/** @typedef {import("./clicks.mjs").CountsByAd} CountsByAd */

/**
 * The top `n` ads of a minute from expected counts, ranked as the aggregator ranks them (most
 * clicks first, ties by ad id).
 * @param {CountsByAd} minute @param {string} start @param {number} n
 */
function expectedTop(minute, start, n) {
  return Object.entries(minute)
    .flatMap(([adId, perMinute]) => (perMinute[start] ? [{ adId, count: perMinute[start] }] : []))
    .sort((a, b) => b.count - a.count || (a.adId < b.adId ? -1 : a.adId > b.adId ? 1 : 0))
    .slice(0, n);
}

/**
 * Every difference between the aggregator's answers and `expected` (none: exact).
 * @param {string} url @param {string} token
 * @param {{ prefix: string, minute: CountsByAd, hour: CountsByAd }} expected @param {number} topN
 */
export async function verify(url, token, expected, topN) {
  const ads = [...new Set([...Object.keys(expected.minute), ...Object.keys(expected.hour)])];
  const minutes = windowRange(expected.minute);
  const hours = windowRange(expected.hour);
  /** @type {CountsByAd} */
  const minute = {};
  /** @type {CountsByAd} */
  const hour = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < ads.length) {
        const ad = /** @type {string} */ (ads[next++]);
        minute[ad] = Number.isFinite(minutes.from)
          ? await adCounts(url, token, ad, "minute", minutes.from, minutes.to)
          : {};
        hour[ad] = Number.isFinite(hours.from)
          ? await adCounts(url, token, ad, "hour", hours.from, hours.to + HOUR_MS - 1)
          : {};
      }
    }),
  );
  const lines = [...differences(expected.minute, minute, "minute"), ...differences(expected.hour, hour, "hour")];
  // The top ads of each minute, among this run's ads (other runs' ads may share the minute).
  const starts = new Set(Object.values(expected.minute).flatMap((m) => Object.keys(m)));
  for (const start of starts) {
    const r = await call(url, token, "GET", `/ads/top?minute=${start}&n=100`);
    if (r.status !== 200) throw new Error(`GET /ads/top failed with ${r.status}: ${JSON.stringify(r.json)}`);
    const mine = r.json.ads.filter((/** @type {{ adId: string }} */ a) => a.adId.startsWith(`${expected.prefix}-`));
    const want = expectedTop(expected.minute, start, topN);
    // Other runs' ads can push this run's out of the 100 answered; compare what is certain.
    const sure = r.json.ads.length < 100 ? want.length : Math.min(want.length, mine.length);
    const got = mine.slice(0, sure);
    if (JSON.stringify(got) !== JSON.stringify(want.slice(0, sure))) {
      lines.push(
        `top ${new Date(Number(start)).toISOString()}: expected ${JSON.stringify(want.slice(0, sure))}, answered ${JSON.stringify(got)}`,
      );
    }
  }
  return { ads: ads.length, minutes: starts.size, lines };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      token: { type: "string", default: process.env.TRIBUTARY_TOKEN ?? "dev-token" },
      expected: { type: "string", default: join(tmpdir(), "ad-clicks-expected.json") },
      "wait-seconds": { type: "string", default: "60" },
      top: { type: "string", default: "10" },
    },
  });
  const expected = JSON.parse(readFileSync(/** @type {string} */ (values.expected), "utf8"));
  const url = (values.url ?? expected.url ?? "http://127.0.0.1:8788").replace(/\/$/, "");
  const token = /** @type {string} */ (values.token);
  const deadline = Date.now() + Number(values["wait-seconds"]) * 1000;
  for (;;) {
    const result = await verify(url, token, expected, Number(values.top));
    if (result.lines.length === 0) {
      console.log(
        `exact: ${result.ads} ads, per minute and per hour, and the top ${values.top} of ${result.minutes} minutes match the expected counts`,
      );
      break;
    }
    if (Date.now() > deadline) {
      console.error(`${result.lines.length} differences:\n${result.lines.slice(0, 50).join("\n")}`);
      if (result.lines.length > 50) console.error(`… and ${result.lines.length - 50} more`);
      process.exit(1);
    }
    console.log(`${result.lines.length} differences so far (the aggregation may be catching up); asking again…`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}
