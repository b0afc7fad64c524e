// The storage rows: a catch-up reader of records moved to the R2 tier against the same reader of
// records in SQLite, in the same round; and compaction's throughput (records examined per second).
// The partitions' alarm work is run through /bench/maintain (the PartitionLog's `maintain`, the
// same steps the alarm takes), so that each row knows where its records are when it starts.
import { fmt, log } from "../report.mjs";
import { record } from "../rows.mjs";
import { createTopic, highWatermark, produceRequest } from "./topics.mjs";

/**
 * @typedef {ReturnType<typeof import("../http-load.mjs").createClient>} Client
 * @typedef {import("../options.mjs").Options} Options
 */

const RECORD_BYTES = 1024;
const FETCH_RECORDS = 1000;

/**
 * Two one-partition topics filled with the same records (1000 × 1 KB per request): one keeping
 * about 1 MiB in SQLite (the rest moves to R2 before the rounds start), one keeping all of it.
 * @param {Client} client @param {string} token @param {Options} o
 */
export async function prefillStorageTopics(client, token, o) {
  const config = { retentionMs: -1, retentionBytes: -1 };
  const tiered = await createTopic(client, token, "bench-tiered", 1, {
    config: { ...config, localRetentionBytes: 1024 * 1024 },
  });
  const local = await createTopic(client, token, "bench-local", 1, { config });
  for (const topic of [tiered, local]) {
    const req = produceRequest(token, topic, RECORD_BYTES, FETCH_RECORDS);
    const r = await client.run({
      durationMs: 120_000,
      maxRequests: o.storagePrefillRequests,
      next: () => req,
      count: () => FETCH_RECORDS,
    });
    if (r.errors) throw new Error(`prefilling ${topic} failed: ${r.firstError}`);
  }
  const moved = await client.json("POST", "/bench/maintain", { topic: tiered }, token);
  const records = o.storagePrefillRequests * FETCH_RECORDS;
  if (moved.highWatermark !== records || moved.localStartOffset < records * 0.9) {
    throw new Error(`the tiered topic did not move its records to R2: ${JSON.stringify(moved)}`);
  }
  log(
    `  prefilled ${tiered} and ${local} with ${fmt(records)} × 1 KB each; ${moved.segments} segments in R2, ` +
      `${fmt(moved.localBytes / 1024)} KiB left in SQLite`,
  );
  return { tiered, local, records };
}

/**
 * One reader walks each topic from offset 0 with `maxRecords=1000`, following nextOffset and
 * starting over at the end, as a consumer catching up does; the tiered topic first.
 * @param {Client} client @param {string} token @param {{ tiered: string, local: string, records: number }} topics
 * @param {Options} o
 */
export async function catchUpScenario(client, token, topics, o) {
  const headers = { authorization: `Bearer ${token}` };
  for (const [where, topic] of /** @type {const} */ ([
    ["tiered", topics.tiered],
    ["local", topics.local],
  ])) {
    const before = await client.json("POST", "/bench/maintain", { topic }, token);
    let offset = 0;
    const next = () => ({
      method: "GET",
      path: `/v1/topics/${topic}/partitions/0/records?offset=${offset}&maxRecords=${FETCH_RECORDS}`,
      headers,
      offset,
    });
    const count = (/** @type {{ tail: string }} */ answer, /** @type {{ offset: number }} */ req) => {
      const found = /"nextOffset":(\d+)/.exec(answer.tail);
      if (!found) throw new Error(`a fetch answer has no nextOffset: …${answer.tail.slice(-200)}`);
      const nextOffset = Number(found[1]);
      offset = nextOffset >= topics.records ? 0 : nextOffset;
      return nextOffset - req.offset;
    };
    const r = await client.run({ connections: 1, durationMs: o.storageReadMs, maxRequests: 1_000_000, next, count });
    if (r.errors) log(`  ! ${r.errors} failed requests, first: ${r.firstError}`);
    const after = await client.json("POST", "/bench/maintain", { topic }, token);
    const rate = r.items / (r.elapsedMs / 1000);
    record(
      `storage.catchup.${where}`,
      where === "tiered"
        ? "catch-up read from the R2 tier, 1000 × 1 KB per fetch, 1 reader"
        : "catch-up read of SQLite rows, 1000 × 1 KB per fetch, 1 reader",
      "records/s",
      rate,
      {
        requests: r.requests,
        errors: r.errors,
        firstError: r.firstError,
        elapsedMs: r.elapsedMs,
        latencyMs: r.latencyMs,
        megabytesPerSecond: (rate * RECORD_BYTES) / 1e6,
        segmentLoads: after.segmentLoads - before.segmentLoads,
        segments: after.segments,
        records: topics.records,
      },
    );
  }
}

/**
 * A fresh compacted topic is filled with `compactionRecords` records of 100 B over
 * `compactionKeys` keys; its minCompactionLagMs (a day) keeps the alarm from compacting it
 * meanwhile. Then one `maintain` as if two days later compacts all of it: records examined per
 * second of that call, timed by the bench worker.
 * @param {Client} client @param {string} token @param {Options} o
 */
export async function compactionScenario(client, token, o) {
  const topic = await createTopic(client, token, "bench-compact", 1, {
    config: { cleanupPolicy: "compact", minCompactionLagMs: 86_400_000 },
  });
  const perRequest = 1000;
  let sent = 0;
  const next = () => {
    const records = Array.from({ length: perRequest }, (_, i) => {
      const n = sent + i;
      return { key: `key-${n % o.compactionKeys}`, value: { n, data: "k".repeat(60) } };
    });
    sent += perRequest;
    return {
      method: "POST",
      path: `/v1/topics/${topic}/partitions/0/records`,
      body: Buffer.from(JSON.stringify({ records })),
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    };
  };
  const requests = o.compactionRecords / perRequest;
  const fill = await client.run({ connections: 4, durationMs: 120_000, maxRequests: requests, next, count: () => 1 });
  if (fill.errors) throw new Error(`filling ${topic} failed: ${fill.firstError}`);
  const stored = await highWatermark(client, token, topic);
  const report = await client.json("POST", "/bench/maintain", { topic, now: Date.now() + 2 * 86_400_000 }, token);
  if (report.cleanedTo !== stored)
    throw new Error(`compaction stopped at ${report.cleanedTo} of ${stored}: ${JSON.stringify(report)}`);
  const kept = stored - report.removed;
  record(
    "compaction.examined",
    "compaction: records examined per second",
    "records/s",
    report.examined / (report.outerMs / 1000),
    {
      examined: report.examined,
      removed: report.removed,
      kept,
      keys: o.compactionKeys,
      outerMs: report.outerMs,
      runs: report.runs,
    },
  );
}
