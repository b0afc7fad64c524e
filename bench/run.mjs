// npm run bench: Tributary's throughput through HTTP, next to references measured in the same run
// (the raw in-object insert rate, the HTTP floor of the same process, Redis Streams when present).
// Prints a markdown table of medians over rounds and writes bench/results/latest.json.
// See bench/README.md for what each number measures.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, startLocalWorker } from "../test/helpers/local-worker.mjs";
import { createClient } from "./http-load.mjs";
import { makeRecords } from "./records.mjs";
import { redisVersion, startRedis, xaddRate, xrangeRate } from "./redis-peer.mjs";
import { fmt, fmtRatio, markdownTable, ratio, summarize } from "./report.mjs";

const CONNECTIONS = 16;
const SIZES = [
  { bytes: 100, label: "100 B" },
  { bytes: 1024, label: "1 KB" },
];
const BATCHES = [1, 100, 1000];
const FETCH_RECORDS = 1000;
/** The issue's target: 1000 × 100 B records per request into one partition. */
const TARGET = { recordBytes: 100, batchSize: 1000, minRate: 100_000, minRatio: 0.5 };

const USAGE = `usage: npm run bench [-- --runs N] [-- --quick]
  --runs N   rounds of every scenario (default 3); the table shows medians over rounds
  --quick    one short round (a smoke test of the benchmark, not a measurement)`;

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string" },
      quick: { type: "boolean", default: false },
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
  const q = values.quick;
  return {
    runs,
    quick: q,
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
    /** Pages of 1000 records prefilled per fetching connection. */
    fetchPagesPerConnection: q ? 4 : 16,
    redisMs: q ? 500 : 1_500,
  };
}

/** "1000x100": 1000 records of 100 bytes. */
const shapeId = (/** @type {number} */ batch, /** @type {number} */ bytes) => `${batch}x${bytes}`;
const shapeLabel = (/** @type {number} */ batch, /** @type {number} */ bytes) =>
  `${batch} × ${SIZES.find((s) => s.bytes === bytes)?.label ?? `${bytes} B`}`;
const unique = () => Math.random().toString(36).slice(2, 8);
const log = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);

/**
 * Per-round values of each scenario, in the order first seen.
 * @type {Map<string, { id: string, label: string, unit: string, values: number[], details: object[] }>}
 */
const rows = new Map();

/** @param {string} id @param {string} label @param {string} unit @param {number} value @param {object} [detail] */
function record(id, label, unit, value, detail = {}) {
  let row = rows.get(id);
  if (!row) {
    row = { id, label, unit, values: [], details: [] };
    rows.set(id, row);
  }
  row.values.push(value);
  row.details.push(detail);
  log(`  ${label.padEnd(58)} ${fmt(value).padStart(12)} ${unit}`);
}

const median = (/** @type {string} */ id) => {
  const row = rows.get(id);
  return row ? summarize(row.values).median : undefined;
};
/** Median of one numeric detail field over rounds. */
const medianDetail = (/** @type {string} */ id, /** @type {string} */ field) => {
  const values =
    rows
      .get(id)
      ?.details.map((d) => d[field])
      .filter((v) => typeof v === "number") ?? [];
  return values.length ? summarize(values).median : undefined;
};

// ---- Scenarios ----

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

/** @param {ReturnType<typeof createClient>} client @param {ReturnType<typeof options>} o @param {number} round */
async function rawScenarios(client, o, round) {
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

/** @param {ReturnType<typeof createClient>} client @param {ReturnType<typeof options>} o */
async function noopScenario(client, o) {
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

/** @param {ReturnType<typeof createClient>} client @param {string} token @param {string} prefix */
async function createTopic(client, token, prefix) {
  const name = `${prefix}-${unique()}`;
  await client.json("POST", "/v1/topics", { name, partitions: 1 }, token);
  return name;
}

/** @param {ReturnType<typeof createClient>} client @param {string} token @param {string} topic */
async function highWatermark(client, token, topic) {
  const d = await client.json("GET", `/v1/topics/${topic}`, undefined, token);
  return d.partitions[0].highWatermark;
}

/**
 * @param {ReturnType<typeof createClient>} client @param {string} token @param {string} topic
 * @param {number} bytes @param {number} batch
 */
function produceRequest(token, topic, bytes, batch) {
  return {
    method: "POST",
    path: `/v1/topics/${topic}/partitions/0/records`,
    body: Buffer.from(JSON.stringify({ records: makeRecords(bytes, batch) })),
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
  };
}

/** @param {ReturnType<typeof createClient>} client @param {string} token @param {ReturnType<typeof options>} o @param {number} round */
async function produceScenarios(client, token, o, round) {
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
        {
          requests: r.requests,
          errors: r.errors,
          firstError: r.firstError,
          elapsedMs: r.elapsedMs,
          requestsPerSecond: (r.requests - r.errors) / (r.elapsedMs / 1000),
          megabytesPerSecond: (r.items * bytes) / 1e6 / (r.elapsedMs / 1000),
          latencyMs: r.latencyMs,
        },
      );
    }
  }
}

/** Fills one partition for the fetch scenario: `pages` requests of 1000 × 100 B. */
async function prefillFetchTopic(/** @type {ReturnType<typeof createClient>} */ client, token, pages) {
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
 * @param {ReturnType<typeof createClient>} client @param {string} token @param {string} topic @param {ReturnType<typeof options>} o
 */
async function fetchScenario(client, token, topic, o) {
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

/** @param {{ client: any }} redis @param {ReturnType<typeof options>} o @param {number} round */
async function redisScenarios(redis, o, round) {
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

// ---- Report ----

function machine() {
  const cpus = os.cpus();
  let git = {};
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    git = { commit, dirty };
  } catch {
    // not a git checkout
  }
  const wrangler = JSON.parse(readFileSync(join(ROOT, "node_modules/wrangler/package.json"), "utf8")).version;
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    wrangler,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    git,
  };
}

/** The reference rows a scenario is compared with. */
function references(/** @type {string} */ id) {
  const m = /^produce\.(\d+x\d+)$/.exec(id);
  if (m) return { loop: `raw.loop.${m[1]}`, commits: `raw.commits.${m[1]}`, calls: `raw.calls.${m[1]}` };
  if (id === "fetch.1000x100") return { loop: "raw.read.1000x100" };
  return {};
}

function notes(/** @type {string} */ id) {
  const parts = [];
  const errors = rows.get(id)?.details.reduce((n, d) => n + (d.errors ?? 0), 0) ?? 0;
  if (errors) parts.push(`${errors} FAILED REQUESTS`);
  const rps = medianDetail(id, "requestsPerSecond");
  if (rps !== undefined) parts.push(`${fmt(rps)} req/s (${fmtRatio(ratio(rps, median("http.noop")))} of floor)`);
  const lat =
    rows
      .get(id)
      ?.details.map((d) => d.latencyMs)
      .filter(Boolean) ?? [];
  if (lat.length) {
    const p50 = summarize(lat.map((l) => l.p50)).median;
    const p99 = summarize(lat.map((l) => l.p99)).median;
    parts.push(`p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`);
  }
  if (id.startsWith("raw.loop")) parts.push(`with its commit ${fmt(medianDetail(id, "withCommitRate"))}/s`);
  if (id.startsWith("raw.calls"))
    parts.push(`${fmt(medianDetail(id, "calls") / (medianDetail(id, "outerMs") / 1000))} calls/s`);
  if (id === "redis.xadd")
    parts.push(`Tributary 1000 × 100 B produce: ${fmtRatio(ratio(median("produce.1000x100"), median(id)))} of this`);
  if (id === "redis.xrange")
    parts.push(`Tributary fetch: ${fmtRatio(ratio(median("fetch.1000x100"), median(id)))} of this`);
  return parts.join("; ");
}

function table() {
  const header = [
    "scenario",
    "median",
    "min–max",
    "unit",
    "÷ raw loop",
    "÷ raw loop, commit per append",
    "÷ raw 1 call/append",
    "notes",
  ];
  const body = [...rows.values()].map((row) => {
    const s = summarize(row.values);
    const ref = references(row.id);
    return [
      row.label,
      fmt(s.median),
      `${fmt(s.min)}–${fmt(s.max)}`,
      row.unit,
      fmtRatio(ratio(s.median, ref.loop && median(ref.loop))),
      fmtRatio(ratio(s.median, ref.commits && median(ref.commits))),
      fmtRatio(ratio(s.median, ref.calls && median(ref.calls))),
      notes(row.id),
    ];
  });
  return markdownTable(header, body);
}

function verdict() {
  const id = shapeId(TARGET.batchSize, TARGET.recordBytes);
  const produced = rows.get(`produce.${id}`)?.values ?? [];
  const raws = rows.get(`raw.loop.${id}`)?.values ?? [];
  const rate = median(`produce.${id}`);
  const raw = median(`raw.loop.${id}`);
  const withCommit = medianDetail(`raw.loop.${id}`, "withCommitRate");
  const perAppend = median(`raw.commits.${id}`);
  const perAppendRatio = ratio(rate, perAppend);
  const perAppendOk = perAppendRatio !== undefined && perAppendRatio >= TARGET.minRatio;
  const r = ratio(rate, raw);
  // Both are measured once per round, so each round also gives a ratio of its own.
  const perRound = produced.map((p, i) => p / raws[i]);
  const spread = perRound.length ? summarize(perRound) : undefined;
  const rateOk = rate !== undefined && rate >= TARGET.minRate;
  const ratioOk = r !== undefined && r >= TARGET.minRatio;
  return {
    text: [
      `Target: ${shapeLabel(TARGET.batchSize, TARGET.recordBytes)} records per request into one partition, ${CONNECTIONS} connections`,
      `  rate   ${fmt(rate)} records/s (median)   needs ≥ ${fmt(TARGET.minRate)}   → ${rateOk ? "PASS" : "FAIL"}`,
      `  ratio  ${fmtRatio(r)} of the raw in-object insert rate, ${fmt(raw)} records/s in this run` +
        (spread ? ` (per round ${fmtRatio(spread.min)}–${fmtRatio(spread.max)})` : "") +
        `   needs ≥ ${TARGET.minRatio}   → ${ratioOk ? "PASS" : "FAIL"}`,
      `         (${fmtRatio(ratio(rate, withCommit))} of the loop timed with its one commit at the end, ${fmt(withCommit)} records/s)`,
      `  ratio  ${fmtRatio(perAppendRatio)} of the raw in-object insert rate with a commit per append (as every produce request pays), ${fmt(perAppend)} records/s   needs ≥ ${TARGET.minRatio}   → ${perAppendOk ? "PASS" : "FAIL"}`,
    ].join("\n"),
    json: {
      scenario: `produce.${id}`,
      rate,
      minRate: TARGET.minRate,
      rawRate: raw,
      ratio: r,
      ratioPerRound: perRound,
      minRatio: TARGET.minRatio,
      rawRateWithCommit: withCommit,
      ratioToRawWithCommit: ratio(rate, withCommit),
      rawRateCommitPerAppend: perAppend,
      ratioToRawCommitPerAppend: perAppendRatio,
      ratioCommitPerAppendPass: perAppendOk,
      ratePass: rateOk,
      ratioPass: ratioOk,
      pass: rateOk && ratioOk,
    },
  };
}

// ---- Main ----

/** @type {(() => Promise<void>)[]} */
const cleanups = [];
async function cleanup() {
  for (const stop of cleanups.splice(0).reverse()) {
    try {
      await stop();
    } catch (err) {
      log(`cleanup failed: ${/** @type {Error} */ (err).message}`);
    }
  }
}
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
  process.once(signal, () => {
    log(`\n${signal}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

async function main() {
  const o = options();
  const started = new Date();
  const host = machine();
  log(`Tributary bench: ${o.runs} round(s)${o.quick ? " (quick)" : ""}, ${o.connections} connections`);
  if (host.loadAverageAtStart[0] > 0.5) {
    log(`note: load average is ${host.loadAverageAtStart.join(" ")}; other work on this machine skews the numbers`);
  }

  const worker = await startLocalWorker({
    config: join(ROOT, "bench/wrangler.toml"),
    // .dev.vars is read beside the config file, so the local token is passed here.
    vars: { TRIBUTARY_TOKENS: "dev-token" },
  });
  cleanups.push(worker.stop);
  const token = worker.token;
  const client = createClient(worker.url, o.connections);
  cleanups.push(async () => client.close());

  const clock = await client.json("POST", "/bench/clock", { name: `clock-${unique()}`, statements: 50_000 });
  const clockAdvances = clock.perfMs > clock.outerMs / 2;
  log(
    `clock inside the object: ${clock.perfMs} ms over ${clock.statements} statements (${clock.outerMs} ms from outside)` +
      (clockAdvances ? "" : ": it stands still, so the loop-alone figures are not available"),
  );

  const version = redisVersion();
  /** @type {{ client: any, stop: () => Promise<void> } | null} */
  let redis = null;
  if (version) {
    redis = await startRedis();
    cleanups.push(redis.stop);
  }

  const fetchTopic = await prefillFetchTopic(client, token, o.connections * o.fetchPagesPerConnection);
  for (let round = 1; round <= o.runs; round++) {
    log(`round ${round}/${o.runs}`);
    await rawScenarios(client, o, round);
    await noopScenario(client, o);
    await produceScenarios(client, token, o, round);
    await fetchScenario(client, token, fetchTopic, o);
    if (redis) await redisScenarios(redis, o, round);
  }
  const elapsedS = (Date.now() - started.getTime()) / 1000;

  const v = verdict();
  const out = [
    `# Tributary bench, ${started.toISOString()}`,
    "",
    `Machine: ${host.cores} cores (${host.cpu}), ${host.memoryGiB} GiB, ${host.platform}; Node ${host.node}; wrangler ${host.wrangler} (local workerd)` +
      `; load average at start ${host.loadAverageAtStart.join(" ")}; commit ${host.git.commit ?? "?"}${host.git.dirty ? " (dirty)" : ""}`,
    `Runs: ${o.runs} round(s)${o.quick ? " (quick)" : ""}; HTTP scenarios ${o.connections} keep-alive connections, ${o.httpMs / 1000} s each after ${o.warmupMs} ms warm-up; ${elapsedS.toFixed(0)} s in all`,
    "",
    table(),
    "",
    v.text,
    "",
    redis
      ? `Peer: Redis ${version} (AOF everysec) on loopback, measured in the same rounds.`
      : "Peer: Redis skipped: redis-server is not on PATH (apt-get install redis-server to include it).",
    "Raw loop: in one RPC, a fresh object runs the same appends in a loop (transactionSync + PartitionStore.append each, " +
      `batches encoded once before it), ${clockAdvances ? "timed by its own clock; the commit at the end of the call is left out ('with its commit' is timed from the calling worker, less an empty call)" : "timed from the calling worker (loop and its commit, less an empty call), since the object's clock stands still"}.`,
    "Raw 1 call/append: the worker calls a fresh object once per append, one call after the other; each call is its own commit.",
  ].join("\n");
  console.log(`\n${out}`);

  const resultsDir = join(ROOT, "bench/results");
  mkdirSync(resultsDir, { recursive: true });
  const json = {
    date: started.toISOString(),
    elapsedSeconds: elapsedS,
    machine: host,
    options: o,
    clock: { ...clock, advancesDuringSyncWork: clockAdvances },
    peers: { redis: redis ? { version, aof: "everysec" } : { skipped: "redis-server is not on PATH" } },
    target: v.json,
    rows: [...rows.values()].map((row) => {
      const ref = references(row.id);
      const s = summarize(row.values);
      return {
        ...row,
        ...s,
        ratioToRawLoop: ref.loop ? ratio(s.median, median(ref.loop)) : undefined,
        ratioToRawCalls: ref.calls ? ratio(s.median, median(ref.calls)) : undefined,
      };
    }),
  };
  writeFileSync(join(resultsDir, "latest.json"), `${JSON.stringify(json, null, 2)}\n`);
  log(`wrote bench/results/latest.json`);
}

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  log(`bench failed: ${/** @type {Error} */ (err).stack ?? err}`);
} finally {
  await cleanup();
}
