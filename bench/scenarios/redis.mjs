// The Redis Streams peer's rows, when redis-server is on PATH (redis-peer.mjs starts it): XADD
// and XRANGE of the same 100 B records, on one connection.
import { makeRecords } from "../records.mjs";
import { xaddRate, xrangeRate } from "../redis-peer.mjs";
import { record } from "../rows.mjs";

/** @typedef {import("../options.mjs").Options} Options */

/** @param {{ client: any }} redis @param {Options} o @param {number} round */
export async function redisScenarios(redis, o, round) {
  const records = makeRecords(100, 1000).map((r) => JSON.stringify(r));
  const stream = `bench-r${round}`;
  const add = await xaddRate(redis.client, { stream, records, durationMs: o.redisMs, maxRecords: 5_000_000 });
  record(
    "redis.xadd",
    "Redis XADD, pipelined 1000 × 100 B, 1 connection",
    "records/s",
    add.records / (add.elapsedMs / 1000),
    add,
  );
  const read = await xrangeRate(redis.client, { stream, count: 1000, durationMs: o.redisMs, maxRecords: 10_000_000 });
  record(
    "redis.xrange",
    "Redis XRANGE COUNT 1000, 1 connection",
    "records/s",
    read.records / (read.elapsedMs / 1000),
    read,
  );
  await redis.client.pipeline([["DEL", stream]]);
}
