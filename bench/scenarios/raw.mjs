// The references measured in the same run: the raw in-object rows (the same appends inside one
// BenchProbe Durable Object, without HTTP: in a loop, a commit per append, one RPC per append, and
// a range read) and the HTTP floor (a trivial endpoint of the same wrangler dev process).
import { record } from "../rows.mjs";
import { BATCHES, FETCH_RECORDS, SIZES, shapeId, shapeLabel } from "../shapes.mjs";
import { unique } from "./topics.mjs";

/**
 * @typedef {ReturnType<typeof import("../http-load.mjs").createClient>} Client
 * @typedef {import("../options.mjs").Options} Options
 */

/**
 * Records/s of a raw loop: by the object's own clock when it moved (the loop alone), else from
 * the calling worker (the loop and its commit, less an empty call).
 * @param {{ records: number, innerMs: number, outerMs: number, pingMs: number }} r
 */
function loopRates(r) {
  const withCommit = r.records / (Math.max(1, r.outerMs - r.pingMs) / 1000);
  const alone = r.innerMs > 0 ? r.records / (r.innerMs / 1000) : undefined;
  return { rate: alone ?? withCommit, loopAloneRate: alone, withCommitRate: withCommit };
}

/** @param {Client} client @param {Options} o @param {number} round */
export async function rawScenarios(client, o, round) {
  for (const { bytes } of SIZES) {
    for (const batch of BATCHES) {
      const name = `loop-${shapeId(batch, bytes)}-r${round}-${unique()}`;
      const records = Math.min(o.rawLoopMaxRecords, Math.floor(o.rawLoopMaxBytes / bytes));
      const r = await client.json("POST", "/bench/raw/insert-loop", {
        name,
        shape: { recordBytes: bytes, batchSize: batch },
        maxBatches: Math.max(1, Math.min(o.rawLoopMaxBatches, Math.floor(records / batch))),
        maxMs: o.rawLoopMs,
      });
      const { rate, ...rates } = loopRates(r);
      record(
        `raw.loop.${shapeId(batch, bytes)}`,
        `raw in-DO insert loop, ${shapeLabel(batch, bytes)}`,
        "records/s",
        rate,
        {
          ...r,
          ...rates,
        },
      );
      const committed = await client.json("POST", "/bench/raw/insert-loop-committed", {
        name: `committed-${shapeId(batch, bytes)}-r${round}-${unique()}`,
        shape: { recordBytes: bytes, batchSize: batch },
        maxBatches: Math.max(1, Math.min(o.rawLoopMaxBatches, Math.floor(records / batch))),
        maxMs: o.rawLoopMs,
      });
      record(
        `raw.commits.${shapeId(batch, bytes)}`,
        `raw in-DO insert loop, a commit per append, ${shapeLabel(batch, bytes)}`,
        "records/s",
        committed.records / (Math.max(1, committed.innerMs || committed.outerMs - committed.pingMs) / 1000),
        { ...committed },
      );
      if (batch === 1000 && bytes === 100) {
        const read = await client.json("POST", "/bench/raw/read-loop", {
          name,
          maxRecords: FETCH_RECORDS,
          maxBatches: 2_000,
          maxMs: o.rawLoopMs / 2,
        });
        const { rate: readRate, ...readRates } = loopRates(read);
        record("raw.read.1000x100", "raw in-DO range read, 1000 × 100 B", "records/s", readRate, {
          ...read,
          ...readRates,
        });
      }
    }
  }
  for (const { bytes } of SIZES) {
    for (const batch of BATCHES) {
      const r = await client.json("POST", "/bench/raw/calls", {
        name: `calls-${shapeId(batch, bytes)}-r${round}-${unique()}`,
        shape: { recordBytes: bytes, batchSize: batch },
        maxCalls: Math.max(1, Math.min(o.rawCallsMax, Math.floor(o.rawLoopMaxRecords / batch))),
        maxMs: o.rawCallsMs,
      });
      record(
        `raw.calls.${shapeId(batch, bytes)}`,
        `raw one RPC per append, ${shapeLabel(batch, bytes)}`,
        "records/s",
        r.records / (Math.max(1, r.outerMs) / 1000),
        { calls: r.batches, records: r.records, bytes: r.bytes, outerMs: r.outerMs },
      );
    }
  }
}

/** @param {Client} client @param {Options} o */
export async function noopScenario(client, o) {
  const req = { method: "GET", path: "/bench/noop" };
  const load = { durationMs: o.httpMs, maxRequests: 1_000_000, next: () => req, count: () => 1 };
  await client.run({ ...load, durationMs: o.warmupMs });
  const r = await client.run(load);
  if (r.errors) throw new Error(`the HTTP floor endpoint failed: ${r.firstError}`);
  record("http.noop", "HTTP floor: GET /bench/noop", "requests/s", r.items / (r.elapsedMs / 1000), {
    requests: r.requests,
    elapsedMs: r.elapsedMs,
    latencyMs: r.latencyMs,
  });
}
