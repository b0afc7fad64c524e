// The latency rows: end-to-end latency from produce to a push (WebSocket or SSE) or long-poll
// consumer at 1,000 records/s (push-latency.mjs measures it); and their totals over rounds, for
// the notes and the target line.
import { measureLatency, measureLatencyInChild } from "../push-latency.mjs";
import { log, summarize } from "../report.mjs";
import { record, rows } from "../rows.mjs";
import { createTopic } from "./topics.mjs";

/**
 * @typedef {ReturnType<typeof import("../http-load.mjs").createClient>} Client
 * @typedef {import("../options.mjs").Options} Options
 */

/**
 * The latency scenarios: one producer at 1,000 records/s, sending every 10 ms what is due, as
 * requests of `perRequest` records; one consumer of the same partition. The first is the target's.
 */
export const LATENCY_SCENARIOS = [
  { id: "latency.push.10", consumer: "push", perRequest: 10 },
  { id: "latency.longpoll.10", consumer: "longpoll", perRequest: 10 },
  { id: "latency.push.1", consumer: "push", perRequest: 1 },
];

/**
 * The latency children still running, to kill when the bench stops.
 * @type {Set<() => void>}
 */
const children = new Set();
const trackChild = (/** @type {() => void} */ kill) => {
  children.add(kill);
  return () => children.delete(kill);
};

/** Kills the latency children still running: the bench is stopping. */
export function stopLatencyChildren() {
  for (const kill of children) kill();
}

/**
 * End-to-end latency at 1,000 records/s: a producer posting to a fresh one-partition topic
 * and one consumer of it, in one process (push-latency.mjs); for WebSocket on a Node without it,
 * in a child `node --experimental-websocket`.
 * @param {Client} client @param {{ url: string, token: string, output: () => string }} worker
 * @param {Options} o @param {number} round
 * @param {{ consumer: "websocket" | "sse", how: "in-process" | "child" | "none" }} push
 * @param {(typeof LATENCY_SCENARIOS)[number]} s
 */
export async function latencyScenario(client, worker, o, round, push, s) {
  const consumer = s.consumer === "push" ? push.consumer : "longpoll";
  const topic = await createTopic(client, worker.token, `bench-${s.id.replaceAll(".", "-")}-r${round}`);
  /** @type {import("../push-latency.mjs").LatencyOptions} */
  const lo = {
    url: worker.url,
    token: worker.token,
    topic,
    consumer,
    perRequest: s.perRequest,
    recordsPerSecond: o.latencyRecordsPerSecond,
    tickMs: o.latencyTickMs,
    warmupMs: o.latencyWarmupMs,
    durationMs: o.latencyMs,
    drainMs: o.latencyDrainMs,
    maxRecords: o.latencyMaxRecords,
  };
  const r =
    consumer === "websocket" && push.how === "child"
      ? await measureLatencyInChild(lo, trackChild)
      : await measureLatency(lo);
  // Every acknowledged record must arrive once, in offset order: anything else is counted. Records
  // still on their way when the drain ended (late) are counted apart: nothing was skipped.
  const problems = r.missing + r.outOfOrder + r.duplicates + r.produceErrors + (r.firstConsumerError ? 1 : 0);
  if (problems || r.late) {
    log(
      `  ! ${r.missing} missing, ${r.late} late, ${r.outOfOrder} out of order, ${r.duplicates} duplicates, ${r.produceErrors} failed produces` +
        `${r.firstProduceError ? ` (${r.firstProduceError})` : ""}${r.firstConsumerError ? `; consumer: ${r.firstConsumerError}` : ""}`,
    );
    // What wrangler dev said lately, for a consumer that failed (its routine warnings left out).
    if (r.firstConsumerError) {
      const said = worker
        .output()
        .split("\n")
        .filter((l) => l.trim() && !/Request\.cf|ENOTFOUND|GetAddrInfoReqWrap/.test(l))
        .slice(-20);
      if (said.length) log(`  wrangler dev said:\n    ${said.join("\n    ")}`);
    }
  }
  const label = latencyLabel(s, consumer);
  const detail = { ...r, problems, topic };
  record(`${s.id}.p50`, `${label}: p50`, "ms", r.latencyMs.p50, detail);
  record(`${s.id}.p99`, `${label}: p99`, "ms", r.latencyMs.p99, detail);
}

/** How each consumer is named in the rows. */
export const CONSUMER_LABELS = { websocket: "push (WebSocket)", sse: "push (SSE)", longpoll: "long poll" };
/** A row's label: "produce → push (WebSocket), 10 rec/request". */
export function latencyLabel(/** @type {(typeof LATENCY_SCENARIOS)[number]} */ s, /** @type {string} */ consumer) {
  return `produce → ${CONSUMER_LABELS[/** @type {keyof typeof CONSUMER_LABELS} */ (consumer)]}, ${s.perRequest} rec/request`;
}

/** Sums (and the worst max) of the latency rounds of one scenario. */
export function latencyTotals(/** @type {string} */ id) {
  const details = rows.get(`${id}.p50`)?.details ?? [];
  const sum = (/** @type {string} */ k) => details.reduce((n, d) => n + (d[k] ?? 0), 0);
  return {
    rounds: details.length,
    sent: sum("sent"),
    acknowledged: sum("acknowledged"),
    received: sum("received"),
    measured: sum("measured"),
    missing: sum("missing"),
    late: sum("late"),
    outOfOrder: sum("outOfOrder"),
    duplicates: sum("duplicates"),
    produceErrors: sum("produceErrors"),
    unanswered: sum("unanswered"),
    consumerErrors: details.filter((d) => d.firstConsumerError).length,
    problems: sum("problems"),
    max: Math.max(0, ...details.map((d) => d.latencyMs.max)),
    produceP50: details.length ? summarize(details.map((d) => d.produceLatencyMs.p50)).median : undefined,
    produceP99: details.length ? summarize(details.map((d) => d.produceLatencyMs.p99)).median : undefined,
    requestsPerSecond: details.length
      ? summarize(details.map((d) => d.sent / d.perRequest / (d.elapsedMs / 1000))).median
      : undefined,
  };
}
