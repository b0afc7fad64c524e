// npm run bench: Tributary's throughput through HTTP, next to references measured in the same run
// (the raw in-object insert rate, the HTTP floor of the same process, Redis Streams when present),
// the end-to-end latency from produce to a push consumer, and a consumer group's throughput.
// Prints a markdown table of medians over rounds and writes bench/results/latest.json.
// See bench/README.md for what each number measures.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { ROOT, startLocalWorker } from "../test/helpers/local-worker.mjs";
import { adClickRows, adClicksSummary, startAdClicksWorker } from "./ad-clicks.mjs";
import { durableStreamsScenarios } from "./durable-streams.mjs";
import { createClient } from "./http-load.mjs";
import { CONNECTIONS, parseOptions } from "./options.mjs";
import { webSocketSupport } from "./push-latency.mjs";
import { redisVersion, startRedis } from "./redis-peer.mjs";
import { fmt, fmtRatio, log, markdownTable, ratio, summarize } from "./report.mjs";
import { median, medianDetail, record, references, roundRatio, rows } from "./rows.mjs";
import { fetchScenario, prefillFetchTopic } from "./scenarios/fetch.mjs";
import { groupScenario, prefillGroupTopic } from "./scenarios/group.mjs";
import { ACKS, acksScenarios, GUARANTEES, idempotentScenarios } from "./scenarios/guarantees.mjs";
import {
  CONSUMER_LABELS,
  LATENCY_SCENARIOS,
  latencyLabel,
  latencyScenario,
  latencyTotals,
  stopLatencyChildren,
} from "./scenarios/latency.mjs";
import { produceScenarios } from "./scenarios/produce.mjs";
import { noopScenario, rawScenarios } from "./scenarios/raw.mjs";
import { redisScenarios } from "./scenarios/redis.mjs";
import { unique } from "./scenarios/topics.mjs";
import { FETCH_RECORDS, shapeId, shapeLabel } from "./shapes.mjs";
import { GROUP_TARGET, LATENCY_TARGET, PRODUCE_TARGET } from "./targets.mjs";

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

function latencyNotes(/** @type {string} */ id) {
  const base = id.replace(/\.p(50|99)$/, "");
  const t = latencyTotals(base);
  const parts = [];
  if (id.endsWith(".p99")) {
    parts.push(`max ${fmt(t.max)} ms (worst round)`);
    parts.push(`the produce answers' own p99: ${fmt(t.produceP99)} ms`);
    return parts.join("; ");
  }
  if (t.problems) {
    parts.push(
      `ERRORS: ${t.missing} acknowledged but skipped, ${t.outOfOrder} out of order, ${t.duplicates} duplicates, ` +
        `${t.produceErrors} failed produces, ${t.consumerErrors} consumer failures`,
    );
  }
  parts.push(
    `${fmt(t.received)} records received of ${fmt(t.sent)} sent` +
      (t.problems || t.late
        ? ""
        : `, once each in offset order, every one of the ${fmt(t.acknowledged)} acknowledged among them`) +
      ` (${fmt(t.measured)} timed, after the warm-ups)`,
  );
  if (t.late) {
    parts.push(`${fmt(t.late)} acknowledged records had not arrived when the drain ended (none skipped)`);
  }
  if (t.unanswered) {
    parts.push(`PRODUCER FELL BEHIND: ${fmt(t.unanswered)} records still unanswered when the drain ended`);
  }
  parts.push(`${fmt(t.requestsPerSecond)} produce req/s sent, answered in p50 ${fmt(t.produceP50)} ms`);
  return parts.join("; ");
}

function groupNotes(/** @type {string} */ id) {
  const details = rows.get(id)?.details ?? [];
  const m = (/** @type {string} */ k) => medianDetail(id, k);
  const parts = [];
  const mismatches = details.flatMap((d) => d.mismatches);
  if (mismatches.length) parts.push(`COMMITTED OFFSETS DIFFER: ${mismatches.join("; ")}`);
  const errors = details.reduce((n, d) => n + d.errors, 0) - mismatches.length;
  if (errors) parts.push(`${errors} CONSUMER ERRORS`);
  parts.push(
    `${fmt(m("fetchesPerSecond"))} fetches/s over ${GROUP_TARGET.consumers} connections, 1 in flight per member`,
  );
  const ended = details.filter((d) => d.reachedEnd).length;
  parts.push(
    `${fmt(m("measuredMs") / 1000)} s timed` +
      (ended ? ` (${ended} of ${details.length} rounds stopped at the prefilled end)` : ""),
  );
  parts.push(`joined and settled in ${fmt(m("joinMs"))} ms`);
  if (!mismatches.length) parts.push("commits match what was read");
  parts.push(`${fmtRatio(ratio(median(id), median("fetch.1000x100")))} of the 16-connection fetch row`);
  return parts.join("; ");
}

/** The acks and idempotent rows: how they compare with the plain produce row, and the stored check. */
function guaranteeNotes(/** @type {string} */ id) {
  const details = rows.get(id)?.details ?? [];
  const sum = (/** @type {string} */ k) => details.reduce((n, d) => n + (d[k] ?? 0), 0);
  const shape = id.split(".")[2];
  const parts = [];
  if (id.startsWith("produce.acks0.")) {
    const lost = sum("lost");
    if (lost > 0) parts.push(`LOST: ${fmt(lost)} records answered 202 were never stored`);
    if (lost < 0) parts.push(`${fmt(-lost)} more records stored than answered 202 (requests that failed here)`);
    parts.push(
      `${fmt(medianDetail(id, "stored"))} records stored in ${fmt(medianDetail(id, "storedMs") / 1000)} s, ` +
        `the last ${fmt(medianDetail(id, "drainMs"))} ms after the load stopped (high watermark read every ${fmt(medianDetail(id, "pollMs"))} ms)`,
    );
    if (!lost) parts.push(`every record answered 202 was stored (${fmt(sum("accepted"))} over the rounds)`);
    parts.push(
      `${roundRatio(id, "ratioToPlain")} of produce ${shape.replace("x", " × ")} B (no acks field) of the same round`,
    );
    return parts;
  }
  const mismatches = details.filter((d) => d.stored !== d.acknowledged);
  if (mismatches.length) {
    parts.push(
      `HIGH WATERMARK ≠ RECORDS ACKNOWLEDGED: ${mismatches.map((d) => `${fmt(d.stored)} stored, ${fmt(d.acknowledged)} acknowledged`).join("; ")}`,
    );
  }
  if (id.startsWith("produce.idempotent.")) {
    parts.push(`${roundRatio(id, "ratioToPlain")} of the same produce without producer in the same round`);
    if (details.some((d) => typeof d.ratioToAcks1 === "number")) {
      parts.push(`${roundRatio(id, "ratioToAcks1")} of the acks 1 row (a body with one more field)`);
    }
    parts.push(`${details[0]?.producers ?? "—"} producer ids, one per connection`);
  } else {
    parts.push(
      `${roundRatio(id, "ratioToPlain")} of produce ${shape.replace("x", " × ")} B (no acks field) of the same round`,
    );
  }
  if (!mismatches.length) parts.push(`high watermark = records acknowledged in every round`);
  return parts;
}

function notes(/** @type {string} */ id) {
  if (id.startsWith("latency.")) return latencyNotes(id);
  if (id.startsWith("group.")) return groupNotes(id);
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
  if (/^produce\.(acks\w+|idempotent)\.\d+x\d+$/.test(id)) parts.push(...guaranteeNotes(id));
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
  const id = shapeId(PRODUCE_TARGET.batchSize, PRODUCE_TARGET.recordBytes);
  const produced = rows.get(`produce.${id}`)?.values ?? [];
  const raws = rows.get(`raw.loop.${id}`)?.values ?? [];
  const rate = median(`produce.${id}`);
  const raw = median(`raw.loop.${id}`);
  const withCommit = medianDetail(`raw.loop.${id}`, "withCommitRate");
  const perAppend = median(`raw.commits.${id}`);
  const perAppendRatio = ratio(rate, perAppend);
  const perAppendOk = perAppendRatio !== undefined && perAppendRatio >= PRODUCE_TARGET.minRatio;
  const r = ratio(rate, raw);
  // Both are measured once per round, so each round also gives a ratio of its own.
  const perRound = produced.map((p, i) => p / raws[i]);
  const spread = perRound.length ? summarize(perRound) : undefined;
  const rateOk = rate !== undefined && rate >= PRODUCE_TARGET.minRate;
  const ratioOk = r !== undefined && r >= PRODUCE_TARGET.minRatio;
  return {
    text: [
      `Target: ${shapeLabel(PRODUCE_TARGET.batchSize, PRODUCE_TARGET.recordBytes)} records per request into one partition, ${CONNECTIONS} connections`,
      `  rate   ${fmt(rate)} records/s (median)   needs ≥ ${fmt(PRODUCE_TARGET.minRate)}   → ${rateOk ? "PASS" : "FAIL"}`,
      `  ratio  ${fmtRatio(r)} of the raw in-object insert rate, ${fmt(raw)} records/s in this run` +
        (spread ? ` (per round ${fmtRatio(spread.min)}–${fmtRatio(spread.max)})` : "") +
        `   needs ≥ ${PRODUCE_TARGET.minRatio}   → ${ratioOk ? "PASS" : "FAIL"}`,
      `         (${fmtRatio(ratio(rate, withCommit))} of the loop timed with its one commit at the end, ${fmt(withCommit)} records/s)`,
      `  ratio  ${fmtRatio(perAppendRatio)} of the raw in-object insert rate with a commit per append (as every produce request pays), ${fmt(perAppend)} records/s   needs ≥ ${PRODUCE_TARGET.minRatio}   → ${perAppendOk ? "PASS" : "FAIL"}`,
    ].join("\n"),
    json: {
      scenario: `produce.${id}`,
      rate,
      minRate: PRODUCE_TARGET.minRate,
      rawRate: raw,
      ratio: r,
      ratioPerRound: perRound,
      minRatio: PRODUCE_TARGET.minRatio,
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

/** The consumer targets: push latency at 1,000 records/s, and a group's throughput. */
function consumerVerdicts(/** @type {string} */ pushConsumer, /** @type {number} */ tickMs) {
  const [target, ...others] = LATENCY_SCENARIOS;
  const p50 = median(`${target.id}.p50`);
  const p99 = median(`${target.id}.p99`);
  const t = latencyTotals(target.id);
  const latencyOk =
    p50 !== undefined && p50 < LATENCY_TARGET.maxP50Ms && t.problems === 0 && t.late === 0 && t.rounds > 0;
  const group = rows.get("group.4x4");
  const rate = median("group.4x4");
  const groupErrors = group?.details.reduce((n, d) => n + d.errors, 0) ?? 0;
  const groupOk = rate !== undefined && rate >= GROUP_TARGET.minRate && groupErrors === 0;
  const other = others.map((s) => {
    const consumer = s.consumer === "push" ? pushConsumer : "longpoll";
    const o = latencyTotals(s.id);
    return (
      `         ${latencyLabel(s, consumer)}: p50 ${fmt(median(`${s.id}.p50`))} ms, p99 ${fmt(median(`${s.id}.p99`))} ms` +
      ` (${fmt(o.requestsPerSecond)} produce req/s sent, answered in p50 ${fmt(o.produceP50)} ms; HTTP floor ${fmt(median("http.noop"))} req/s` +
      `${o.unanswered ? `; ${fmt(o.unanswered)} records unanswered and ${fmt(o.late)} acknowledged but not arrived when the drain ended` : ""}${o.problems ? `; ${o.problems} ERRORS` : ""})`
    );
  });
  return {
    text: [
      `Target: end-to-end latency from produce to a ${CONSUMER_LABELS[/** @type {"websocket" | "sse"} */ (pushConsumer)]} consumer at ${fmt(LATENCY_TARGET.recordsPerSecond)} records/s (${target.perRequest} records per request, sent every ${tickMs} ms)`,
      `  p50    ${fmt(p50)} ms (median of rounds; p99 ${fmt(p99)} ms, max ${fmt(t.max)} ms)   needs < ${LATENCY_TARGET.maxP50Ms} ms` +
        (t.problems || t.late ? `, and every record once in offset order (${t.problems} errors, ${t.late} late)` : "") +
        `   → ${latencyOk ? "PASS" : "FAIL"}`,
      `         ${fmt(t.received)} records received of ${fmt(t.sent)} sent (${fmt(t.acknowledged)} acknowledged): ${t.missing} acknowledged but skipped, ${t.late} not arrived when the drain ended, ${t.outOfOrder} out of order, ${t.duplicates} twice` +
        (t.unanswered ? `, ${fmt(t.unanswered)} unanswered` : ""),
      ...other,
      `Target: a group of ${GROUP_TARGET.consumers} consumers reading a ${GROUP_TARGET.partitions}-partition topic (${FETCH_RECORDS} × 100 B per fetch, one fetch in flight per member)`,
      `  rate   ${fmt(rate)} records/s (median)   needs ≥ ${fmt(GROUP_TARGET.minRate)}` +
        (groupErrors ? `, without errors (${groupErrors})` : "") +
        `   → ${groupOk ? "PASS" : "FAIL"}`,
    ].join("\n"),
    json: {
      pushLatency: {
        scenario: target.id,
        consumer: pushConsumer,
        recordsPerSecond: LATENCY_TARGET.recordsPerSecond,
        recordsPerRequest: target.perRequest,
        p50Ms: p50,
        p99Ms: p99,
        maxMs: t.max,
        maxP50Ms: LATENCY_TARGET.maxP50Ms,
        totals: t,
        pass: latencyOk,
        others: Object.fromEntries(
          others.map((s) => [
            s.id,
            { p50Ms: median(`${s.id}.p50`), p99Ms: median(`${s.id}.p99`), ...latencyTotals(s.id) },
          ]),
        ),
      },
      groupConsumers: {
        scenario: "group.4x4",
        consumers: GROUP_TARGET.consumers,
        partitions: GROUP_TARGET.partitions,
        rate,
        minRate: GROUP_TARGET.minRate,
        errors: groupErrors,
        pass: groupOk,
      },
    },
  };
}

/** The acks and idempotence rows in a few lines (the table has the details). */
function guaranteesSummary() {
  const bytes = GUARANTEES.recordBytes;
  const shape = shapeId(GUARANTEES.acksBatch, bytes);
  const latency = (/** @type {string} */ id) => {
    const lat = rows.get(id)?.details.map((d) => d.latencyMs) ?? [];
    if (!lat.length) return "—";
    return `p50 ${fmt(summarize(lat.map((l) => l.p50)).median)} ms, p99 ${fmt(summarize(lat.map((l) => l.p99)).median)} ms`;
  };
  const sum = (/** @type {string} */ id, /** @type {string} */ k) =>
    rows.get(id)?.details.reduce((n, d) => n + (d[k] ?? 0), 0) ?? 0;
  /** @param {string} id */
  const mismatched = (id) => (rows.get(id)?.details ?? []).filter((d) => d.stored !== d.acknowledged).length;
  const lines = [
    `Acks: ${GUARANTEES.recordBytes} B records into one partition with replication factor ${GUARANTEES.replicationFactor} (leader + 2 followers, minInsyncReplicas 2; acks all waits for every in-sync replica); idempotence: the same into one partition with one replica, against the plain row; ${CONNECTIONS} connections`,
  ];
  for (const a of ACKS) {
    const id = `produce.${a.id}.${shape}`;
    if (a.acks === 0) {
      const lost = sum(id, "lost");
      lines.push(
        `  ${a.label.padEnd(10)} ${fmt(median(id))} records/s stored (answered 202 at ${fmt(median(`${id}.answered`))} records/s, ${latency(`${id}.answered`)})` +
          `; ${lost > 0 ? `${fmt(lost)} LOST` : "none lost"}`,
      );
    } else {
      const label = a.acks === "all" ? "acks all" : a.label;
      lines.push(
        `  ${label.padEnd(10)} ${fmt(median(id))} records/s, ${latency(id)}` +
          (mismatched(id) ? "; HIGH WATERMARK ≠ ACKNOWLEDGED" : ""),
      );
    }
  }
  const idempotent = GUARANTEES.idempotentBatches.map((batch) => {
    const id = `produce.idempotent.${shapeId(batch, bytes)}`;
    return (
      `${shapeLabel(batch, bytes)} ${fmt(median(id))} records/s, ${roundRatio(id, "ratioToPlain")} of the same without producer` +
      (mismatched(id) ? ", HIGH WATERMARK ≠ ACKNOWLEDGED" : "")
    );
  });
  const checked = GUARANTEES.idempotentBatches.every((b) => !mismatched(`produce.idempotent.${shapeId(b, bytes)}`));
  lines.push(
    `  idempotent ${idempotent.join("; ")}${checked ? "; high watermark = records acknowledged in every round" : ""}`,
  );
  return lines.join("\n");
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
  const o = parseOptions();
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

  // Node 20 opens WebSockets only with --experimental-websocket: then the push rows run in a child.
  const how = o.push === "websocket" ? webSocketSupport() : "none";
  const push = { consumer: /** @type {"websocket" | "sse"} */ (how === "none" ? "sse" : "websocket"), how };
  if (o.push === "websocket" && how === "none") log("note: this Node cannot open a WebSocket: the push rows use SSE");
  cleanups.push(async () => stopLatencyChildren());

  const version = redisVersion();
  /** @type {{ client: any, stop: () => Promise<void> } | null} */
  let redis = null;
  if (version) {
    redis = await startRedis();
    cleanups.push(redis.stop);
  }

  const fetchTopic = await prefillFetchTopic(client, token, o.connections * o.fetchPagesPerConnection);
  const groupTopic = await prefillGroupTopic(client, token, o);
  // One connection per group member.
  const groupClient = createClient(worker.url, o.groupConsumers);
  cleanups.push(async () => groupClient.close());
  const adClicksWorker = await startAdClicksWorker();
  cleanups.push(adClicksWorker.stop);
  for (let round = 1; round <= o.runs; round++) {
    log(`round ${round}/${o.runs}`);
    await rawScenarios(client, o, round);
    await noopScenario(client, o);
    await produceScenarios(client, token, o, round);
    await acksScenarios(client, token, o, round);
    await idempotentScenarios(client, token, o, round);
    await fetchScenario(client, token, fetchTopic, o);
    if (redis) await redisScenarios(redis, o, round);
    for (const s of LATENCY_SCENARIOS) await latencyScenario(client, worker, o, round, push, s);
    await groupScenario(groupClient, token, groupTopic, o, round);
    await adClickRows(adClicksWorker, { quick: o.quick, round, record, signingKey: adClicksWorker.signingKey });
    await durableStreamsScenarios({ client, token, worker, o, round, record, log, cleanups });
  }
  const elapsedS = (Date.now() - started.getTime()) / 1000;

  const v = verdict();
  const cv = consumerVerdicts(push.consumer, o.latencyTickMs);
  const out = [
    `# Tributary bench, ${started.toISOString()}`,
    "",
    `Machine: ${host.cores} cores (${host.cpu}), ${host.memoryGiB} GiB, ${host.platform}; Node ${host.node}; wrangler ${host.wrangler} (local workerd)` +
      `; load average at start ${host.loadAverageAtStart.join(" ")}; commit ${host.git.commit ?? "?"}${host.git.dirty ? " (dirty)" : ""}`,
    `Runs: ${o.runs} round(s)${o.quick ? " (quick)" : ""}; HTTP scenarios ${o.connections} keep-alive connections, ${o.httpMs / 1000} s each (the acks and idempotent rows ${o.guaranteesMs / 1000} s) after ${o.warmupMs} ms warm-up; ${elapsedS.toFixed(0)} s in all`,
    "",
    table(),
    "",
    v.text,
    cv.text,
    guaranteesSummary(),
    adClicksSummary(),
    "",
    redis
      ? `Peer: Redis ${version} (AOF everysec) on loopback, measured in the same rounds.`
      : "Peer: Redis skipped: redis-server is not on PATH (apt-get install redis-server to include it).",
    "Raw loop: in one RPC, a fresh object runs the same appends in a loop (transactionSync + PartitionStore.append each, " +
      `batches encoded once before it), ${clockAdvances ? "timed by its own clock; the commit at the end of the call is left out ('with its commit' is timed from the calling worker, less an empty call)" : "timed from the calling worker (loop and its commit, less an empty call), since the object's clock stands still"}.`,
    "Raw 1 call/append: the worker calls a fresh object once per append, one call after the other; each call is its own commit.",
    `Latency: a producer sends every ${o.latencyTickMs} ms the records due at ${fmt(o.latencyRecordsPerSecond)} records/s (100 B each, its send time in its value) to a fresh one-partition topic, ` +
      `for ${o.latencyWarmupMs} ms of warm-up and ${o.latencyMs / 1000} s timed; one consumer in the same process ` +
      (push.consumer === "websocket"
        ? `(${push.how === "child" ? "a child node --experimental-websocket, as this Node has no WebSocket" : "this process"}) subscribes over WebSocket`
        : "subscribes over SSE") +
      ", or long-polls (waitMs=5000); latency = arrival − send time, per record.",
    `Group: ${o.groupConsumers} members join one group and settle (one partition each); each reads its partition of ${fmt(o.groupPagesPerPartition * FETCH_RECORDS)} prefilled records ` +
      `from offset 0, one fetch in flight, committing every ${o.groupCommitEveryMs / 1000} s and heartbeating every ${o.groupHeartbeatEveryMs / 1000} s, ` +
      `for at most ${o.groupMs / 1000} s after ${o.warmupMs} ms of warm-up, all stopping when one reaches its end; records/s after the warm-up.`,
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
    targets: { produce: v.json, ...cv.json },
    push,
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
