// The command line of `npm run bench` (node:util parseArgs), and the times, sizes and bounds of
// every scenario that follow from it. Wrong input exits with a message naming the option.
import { parseArgs } from "node:util";
import { GROUP_TARGET, LATENCY_TARGET } from "./targets.mjs";

/** Keep-alive connections of the HTTP scenarios. */
export const CONNECTIONS = 16;

/** The scenario groups, in the order a round runs them. */
export const GROUPS = [
  "raw",
  "produce",
  "guarantees",
  "fetch",
  "redis",
  "latency",
  "group",
  "storage",
  "ad-clicks",
  "ysb",
  "durable-streams",
  "kafka",
  "split",
];
/** Groups a run leaves out unless asked for (--split, or --only with them). */
const OPT_IN = ["split"];

const USAGE = `usage: npm run bench [-- --runs N] [-- --quick] [-- --push websocket|sse] [-- --only G,G] [-- --split]
  --runs N   rounds of every scenario (default 3); the table shows medians over rounds
  --quick    one short round (a smoke test of the benchmark, not a measurement)
  --only G   only these scenario groups (comma-separated): ${GROUPS.join(", ")};
             the rows they are compared with run too (raw and produce for produce rows, fetch for kafka)
  --split    also the split rows: the front worker and the Durable Objects in two workerd
             processes (bench/split/), beside the shared-thread rows they are compared with
             (raw, produce, guarantees, ad-clicks, durable-streams); alone it runs only those
  --push T   how the push-latency rows subscribe: websocket (default; sse when this Node cannot
             open a WebSocket) or sse`;

export function parseOptions() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string" },
      quick: { type: "boolean", default: false },
      push: { type: "string", default: "websocket" },
      only: { type: "string" },
      split: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const runs = values.runs === undefined ? (values.quick ? 1 : 3) : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
    console.error(`--runs must be a whole number from 1 to 20, got '${values.runs}'\n${USAGE}`);
    process.exit(2);
  }
  if (values.push !== "websocket" && values.push !== "sse") {
    console.error(`--push must be websocket or sse, got '${values.push}'\n${USAGE}`);
    process.exit(2);
  }
  const only =
    values.only !== undefined
      ? values.only.split(",").map((g) => g.trim())
      : values.split
        ? ["split"]
        : GROUPS.filter((g) => !OPT_IN.includes(g));
  if (values.split) only.push("split");
  const unknown = only.filter((g) => !GROUPS.includes(g));
  if (unknown.length || only.length === 0) {
    console.error(`--only takes groups among ${GROUPS.join(", ")}, got '${values.only}'\n${USAGE}`);
    process.exit(2);
  }
  const groups = new Set(only);
  // A row's references run with it: the raw rows and the HTTP floor with produce, fetch and
  // produce with kafka (its notes divide by them), produce with guarantees.
  if (groups.has("kafka")) groups.add("produce").add("fetch");
  // The split rows are shown beside the shared-thread rows of the same round.
  if (groups.has("split")) groups.add("produce").add("guarantees").add("ad-clicks").add("durable-streams");
  if (groups.has("produce") || groups.has("guarantees")) groups.add("raw").add("produce");
  // The YSB summary divides by the raw insert loop of the same run.
  if (groups.has("ysb")) groups.add("raw");
  const q = values.quick;
  return {
    runs,
    quick: q,
    /** The scenario groups this run measures. */
    groups,
    connections: CONNECTIONS,
    /** Measured time of each HTTP scenario per round, after its warm-up. */
    httpMs: q ? 1_000 : 3_000,
    warmupMs: q ? 200 : 300,
    /** Bounds of the raw in-object loops. */
    rawLoopMs: q ? 300 : 1_000,
    rawLoopMaxRecords: 300_000,
    rawLoopMaxBatches: 20_000,
    /** One loop is one transaction, committed when the call ends: kept to a sane size. */
    rawLoopMaxBytes: 64 * 1024 * 1024,
    rawCallsMs: q ? 300 : 750,
    rawCallsMax: 5_000,
    /** Measured time of each acks and idempotent produce row per round, after its warm-up. */
    guaranteesMs: q ? 1_000 : 2_000,
    /** acks 0: how often the high watermark is read while the background appends finish, and bounds. */
    acks0PollMs: 50,
    acks0SettleMs: 500,
    acks0StallMs: 2_000,
    acks0DrainMs: 20_000,
    /** Pages of 1000 records prefilled per fetching connection. */
    fetchPagesPerConnection: q ? 4 : 16,
    redisMs: q ? 500 : 1_500,
    /** Push latency: the consumer asked for, and the producer's schedule and bounds. */
    push: /** @type {"websocket" | "sse"} */ (values.push),
    latencyRecordsPerSecond: LATENCY_TARGET.recordsPerSecond,
    latencyTickMs: 10,
    latencyWarmupMs: q ? 300 : 500,
    latencyMs: q ? 1_000 : 4_000,
    /** After the producer stops: until every acknowledged record has arrived, at most this. */
    latencyDrainMs: 3_000,
    latencyMaxRecords: 6_000,
    /** Consumer group: members, partitions, records prefilled into each partition, bounds. */
    groupConsumers: GROUP_TARGET.consumers,
    groupPartitions: GROUP_TARGET.partitions,
    groupPagesPerPartition: q ? 40 : 250,
    groupMs: q ? 1_000 : 4_000,
    groupMaxFetches: 100_000,
    groupCommitEveryMs: 1_000,
    groupHeartbeatEveryMs: 3_000,
    groupSessionTimeoutMs: 30_000,
    /**
     * Storage rows: requests of 1000 × 1 KB prefilled into the tiered and the local topic (64 MB
     * is more than the segment cache holds, so each pass reads every segment from R2), how long
     * each catch-up reader reads, and the compacted topic's records and keys.
     */
    storagePrefillRequests: q ? 16 : 64,
    storageReadMs: q ? 1_000 : 3_000,
    compactionRecords: q ? 50_000 : 200_000,
    compactionKeys: q ? 2_500 : 10_000,
  };
}

/** @typedef {ReturnType<typeof parseOptions>} Options */
