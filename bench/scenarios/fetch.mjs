// The fetch row: 16 connections reading a prefilled one-partition topic page after page, each
// following nextOffset through its own range, as a consumer does.
import { fmt, log } from "../report.mjs";
import { record } from "../rows.mjs";
import { FETCH_RECORDS } from "../shapes.mjs";
import { createTopic, highWatermark, produceRequest } from "./topics.mjs";

/**
 * @typedef {ReturnType<typeof import("../http-load.mjs").createClient>} Client
 * @typedef {import("../options.mjs").Options} Options
 */

/**
 * Fills one partition for the fetch scenario: `pages` requests of 1000 × 100 B.
 * @param {Client} client @param {string} token @param {number} pages
 */
export async function prefillFetchTopic(client, token, pages) {
  const topic = await createTopic(client, token, "bench-fetch");
  const req = produceRequest(token, topic, 100, FETCH_RECORDS);
  const r = await client.run({ durationMs: 120_000, maxRequests: pages, next: () => req, count: () => FETCH_RECORDS });
  if (r.errors) throw new Error(`prefilling ${topic} failed: ${r.firstError}`);
  const stored = await highWatermark(client, token, topic);
  if (stored !== pages * FETCH_RECORDS) throw new Error(`prefilled ${topic} holds ${stored} records`);
  log(`  prefilled ${topic} with ${fmt(stored)} records in ${(r.elapsedMs / 1000).toFixed(1)} s`);
  return topic;
}

/**
 * Each connection walks its own range of the prefilled log page after page (wrapping at its end),
 * following nextOffset as a consumer does.
 * @param {Client} client @param {string} token @param {string} topic @param {Options} o
 */
export async function fetchScenario(client, token, topic, o) {
  const span = o.fetchPagesPerConnection * FETCH_RECORDS;
  const offsets = Array.from({ length: o.connections }, (_, c) => c * span);
  const headers = { authorization: `Bearer ${token}` };
  const next = (/** @type {number} */ c) => ({
    method: "GET",
    path: `/v1/topics/${topic}/partitions/0/records?offset=${offsets[c]}&maxRecords=${FETCH_RECORDS}`,
    headers,
    offset: offsets[c],
  });
  const count = (
    /** @type {{ tail: string }} */ answer,
    /** @type {{ offset: number }} */ req,
    /** @type {number} */ c,
  ) => {
    const found = /"nextOffset":(\d+)/.exec(answer.tail);
    if (!found) throw new Error(`a fetch answer has no nextOffset: …${answer.tail.slice(-200)}`);
    const nextOffset = Number(found[1]);
    offsets[c] = nextOffset >= (c + 1) * span ? c * span : nextOffset;
    return nextOffset - req.offset;
  };
  const load = { durationMs: o.httpMs, maxRequests: 1_000_000, next, count };
  await client.run({ ...load, durationMs: o.warmupMs });
  const r = await client.run(load);
  if (r.errors) log(`  ! ${r.errors} failed requests, first: ${r.firstError}`);
  record("fetch.1000x100", `fetch ${FETCH_RECORDS} × 100 B per request`, "records/s", r.items / (r.elapsedMs / 1000), {
    requests: r.requests,
    errors: r.errors,
    firstError: r.firstError,
    elapsedMs: r.elapsedMs,
    requestsPerSecond: (r.requests - r.errors) / (r.elapsedMs / 1000),
    latencyMs: r.latencyMs,
  });
}
