// The produce rows: closed-loop HTTP produce of every record size and batch size into a fresh
// one-partition topic; the high watermark must then equal the records acknowledged.
import { log } from "../report.mjs";
import { record } from "../rows.mjs";
import { BATCHES, SIZES, shapeId, shapeLabel } from "../shapes.mjs";
import { createTopic, highWatermark, produceRequest } from "./topics.mjs";

/**
 * @typedef {ReturnType<typeof import("../http-load.mjs").createClient>} Client
 * @typedef {import("../options.mjs").Options} Options
 */

/** @param {Client} client @param {string} token @param {Options} o @param {number} round */
export async function produceScenarios(client, token, o, round) {
  for (const { bytes } of SIZES) {
    for (const batch of BATCHES) {
      const topic = await createTopic(client, token, `bench-produce-${shapeId(batch, bytes)}-r${round}`);
      const req = produceRequest(token, topic, bytes, batch);
      const load = {
        durationMs: o.httpMs,
        maxRequests: Math.ceil(10_000_000 / batch),
        next: () => req,
        count: () => batch,
      };
      const warm = await client.run({ ...load, durationMs: o.warmupMs });
      const r = await client.run(load);
      // Every acknowledged record must be in the log: the count is checked, not assumed.
      const stored = await highWatermark(client, token, topic);
      const acknowledged = warm.items + r.items;
      if (stored !== acknowledged) {
        throw new Error(`topic ${topic} holds ${stored} records but ${acknowledged} were acknowledged`);
      }
      if (r.errors) log(`  ! ${r.errors} failed requests, first: ${r.firstError}`);
      record(
        `produce.${shapeId(batch, bytes)}`,
        `produce ${shapeLabel(batch, bytes)} per request`,
        "records/s",
        r.items / (r.elapsedMs / 1000),
        produceDetail(r, bytes),
      );
    }
  }
}

/** The detail every closed-loop produce row keeps. @param {import("../http-load.mjs").LoadResult} r @param {number} bytes */
export function produceDetail(r, bytes) {
  return {
    requests: r.requests,
    errors: r.errors,
    firstError: r.firstError,
    elapsedMs: r.elapsedMs,
    requestsPerSecond: (r.requests - r.errors) / (r.elapsedMs / 1000),
    megabytesPerSecond: (r.items * bytes) / 1e6 / (r.elapsedMs / 1000),
    latencyMs: r.latencyMs,
  };
}
