// The split rows (`npm run bench -- --split`, bench/README.md "Split mode"): the front worker and
// the Durable Objects in two workerd processes (bench/split/), as in production, where a
// request's worker never shares a thread with the objects it calls. Each round: the ad-click
// pipeline, the HTTP floor of the front, produce 1, 100 and 1000 × 100 B per request, 1000 ×
// 100 B spread over 1, 2 and 4 partitions (also on the shared-thread bench worker, for the rows
// beside them), acks all at replication factor 3, and the Durable Streams rows. Row ids are the
// shared-thread rows' with `split.` before them, so the table puts each beside its counterpart.
import { adClickRows } from "../ad-clicks.mjs";
import { durableStreamsScenarios } from "../durable-streams.mjs";
import { fmt, fmtRatio, log, ratio } from "../report.mjs";
import { median, record } from "../rows.mjs";
import { shapeId, shapeLabel } from "../shapes.mjs";
import { produceDetail } from "./produce.mjs";
import { createTopic, produceRequest } from "./topics.mjs";

/**
 * @typedef {ReturnType<typeof import("../http-load.mjs").createClient>} Client
 * @typedef {import("../options.mjs").Options} Options
 * @typedef {Awaited<ReturnType<typeof import("../split/start.mjs").startSplitWorkers>>} Split
 */

/** How the split rows are named: the id prefix and what their labels end with. */
export const SPLIT_MODE = { id: "split", label: "split (front and objects in two workerd processes)" };
/** The partition counts of the scaling rows, and the shape each producer sends. */
export const SCALING = { partitions: [1, 2, 4], batch: 1000, bytes: 100 };
/** The produce rows measured in split mode (100 B records). */
const SPLIT_BATCHES = [1, 100, 1000];

const splitId = (/** @type {string} */ id) => `${SPLIT_MODE.id}.${id}`;
const splitLabel = (/** @type {string} */ label) => `${label}, ${SPLIT_MODE.label}`;

/** The high watermarks of a topic's partitions, summed. @param {Client} client @param {string} token @param {string} topic */
async function storedInTopic(client, token, topic) {
  const d = await client.json("GET", `/v1/topics/${topic}`, undefined, token);
  return d.partitions.reduce(
    (/** @type {number} */ n, /** @type {{ highWatermark: number }} */ p) => n + p.highWatermark,
    0,
  );
}

/**
 * A closed-loop produce of `batch` × `bytes` per request into a fresh topic of `partitions`
 * partitions, connection c sending to partition c mod `partitions` (so each producer writes one
 * partition), for `durationMs` after the warm-up. The topic's high watermarks must add up to the
 * records acknowledged. The topic is deleted afterwards, so that nothing it leaves running
 * (followers of a replicated partition) shares the processes with the next rows.
 * @param {Client} client @param {string} token @param {Options} o
 * `cpu`, when given (the split workers'), samples each side's CPU seconds around the timed run.
 * @param {{ name: string, batch: number, bytes: number, partitions?: number, durationMs?: number,
 *   replicationFactor?: number, fields?: object, cpu?: () => { front: number, objects: number } }} s
 */
export async function measureProduce(client, token, o, s) {
  const partitions = s.partitions ?? 1;
  const topic = await createTopic(client, token, s.name, partitions, {
    replicationFactor: s.replicationFactor ?? 1,
  });
  const requests = Array.from({ length: partitions }, (_, p) => {
    const req = produceRequest(token, topic, s.bytes, s.batch, s.fields);
    return { ...req, path: req.path.replace("/partitions/0/", `/partitions/${p}/`) };
  });
  const load = {
    durationMs: s.durationMs ?? o.httpMs,
    maxRequests: Math.ceil(10_000_000 / s.batch),
    next: (/** @type {number} */ c) => /** @type {(typeof requests)[number]} */ (requests[c % partitions]),
    count: () => s.batch,
  };
  const warm = await client.run({ ...load, durationMs: o.warmupMs });
  const before = s.cpu?.();
  const r = await client.run(load);
  const after = s.cpu?.();
  const stored = await storedInTopic(client, token, topic);
  const acknowledged = warm.items + r.items;
  if (stored !== acknowledged)
    throw new Error(`topic ${topic} holds ${stored} records but ${acknowledged} were acknowledged`);
  if (r.errors) log(`  ! ${r.errors} failed requests, first: ${r.firstError}`);
  await client.json("DELETE", `/v1/topics/${topic}`, undefined, token).catch(() => undefined);
  return {
    rate: r.items / (r.elapsedMs / 1000),
    detail: {
      ...produceDetail(r, s.bytes),
      topic,
      partitions,
      acknowledged,
      stored,
      connections: o.connections,
      // Each side's share of one core during the timed run (2 workerd processes a side).
      ...(before && after
        ? {
            frontCores: (after.front - before.front) / (r.elapsedMs / 1000),
            objectsCores: (after.objects - before.objects) / (r.elapsedMs / 1000),
          }
        : {}),
    },
  };
}

/** The HTTP floor of a worker (its `/bench/noop`), as the shared-thread row measures it. @param {Client} client @param {Options} o */
async function floor(client, o) {
  const req = { method: "GET", path: "/bench/noop" };
  const load = { durationMs: o.httpMs, maxRequests: 1_000_000, next: () => req, count: () => 1 };
  await client.run({ ...load, durationMs: o.warmupMs });
  const r = await client.run(load);
  if (r.errors) throw new Error(`the HTTP floor endpoint failed: ${r.firstError}`);
  return {
    rate: r.items / (r.elapsedMs / 1000),
    detail: { requests: r.requests, elapsedMs: r.elapsedMs, latencyMs: r.latencyMs },
  };
}

/** The scaling label of `n` partitions. */
const scalingLabel = (/** @type {number} */ n, /** @type {number} */ connections) =>
  `produce ${shapeLabel(SCALING.batch, SCALING.bytes)} per request into ${n} partition${n > 1 ? "s" : ""}, ` +
  `${connections} connections, each on one partition`;

/**
 * 1000 × 100 B per request over 1, 2 and 4 partitions of one topic, 16 connections in all.
 * @param {Client} client @param {string} token @param {Options} o @param {number} round
 * @param {(id: string) => string} id @param {(label: string) => string} label
 * @param {(() => { front: number, objects: number }) | undefined} [cpu]
 */
async function scaling(client, token, o, round, id, label, cpu = undefined) {
  for (const n of SCALING.partitions) {
    const m = await measureProduce(client, token, o, {
      cpu,
      name: `bench-scaling-${n}p-r${round}`,
      batch: SCALING.batch,
      bytes: SCALING.bytes,
      partitions: n,
    });
    record(id(`partitions.${n}`), label(scalingLabel(n, o.connections)), "records/s", m.rate, m.detail);
  }
}

/**
 * The shared-thread scaling rows, on the bench worker (where the front and every object share
 * one workerd thread), beside which the split ones are shown.
 * @param {Client} client @param {string} token @param {Options} o @param {number} round
 */
export async function sharedScalingScenario(client, token, o, round) {
  await scaling(
    client,
    token,
    o,
    round,
    (id) => id,
    (label) => `${label}, shared thread`,
  );
}

/**
 * One round of the split rows.
 * @param {Split} split @param {Client} client (to the split front) @param {Options} o @param {number} round
 * @param {(() => Promise<void>)[]} cleanups
 */
export async function splitScenarios(split, client, o, round, cleanups) {
  const { token } = split;
  // The pipeline first, while the processes hold nothing else this round.
  await adClickRows(split, { quick: o.quick, round, record, signingKey: split.signingKey, mode: SPLIT_MODE });
  const f = await floor(client, o);
  record(splitId("http.noop"), splitLabel("HTTP floor: GET /bench/noop"), "requests/s", f.rate, f.detail);
  for (const batch of SPLIT_BATCHES) {
    const shape = shapeId(batch, 100);
    const m = await measureProduce(client, token, o, {
      name: `bench-split-produce-${shape}-r${round}`,
      batch,
      bytes: 100,
      cpu: split.cpu,
    });
    record(
      splitId(`produce.${shape}`),
      splitLabel(`produce ${shapeLabel(batch, 100)} per request`),
      "records/s",
      m.rate,
      m.detail,
    );
  }
  await scaling(client, token, o, round, splitId, splitLabel, split.cpu);
  const a = await measureProduce(client, token, o, {
    name: `bench-split-acksall-r${round}`,
    batch: 100,
    bytes: 100,
    replicationFactor: 3,
    fields: { acks: "all" },
    durationMs: o.guaranteesMs,
    cpu: split.cpu,
  });
  record(
    splitId("produce.acksall.100x100"),
    splitLabel("produce 100 × 100 B per request, acks all"),
    "records/s",
    a.rate,
    a.detail,
  );
  // The Durable Streams rows measure the reference server again beside the split front, for the
  // ratios of this round; only Tributary's records/s and the ratios are kept as split rows.
  const kept = ["ds.append.tributary", "ds.read.tributary", "ds.append.ratio", "ds.read.ratio"];
  await durableStreamsScenarios({
    worker: split,
    token,
    o,
    round,
    record: (id, label, unit, value, detail) => {
      if (kept.includes(id)) record(splitId(id), splitLabel(label), unit, value, detail);
    },
    log,
    cleanups,
  });
}

/** The split rows beside the shared-thread ones: the medians and split ÷ shared. */
export function splitSummary() {
  const pairs = [
    ...SPLIT_BATCHES.map((b) => [`produce.${shapeId(b, 100)}`, `produce ${shapeLabel(b, 100)} per request`]),
    ["adclicks.pipeline", "ad clicks, produce → exact counts"],
    ...SCALING.partitions.map((n) => [`partitions.${n}`, `1000 × 100 B into ${n} partition${n > 1 ? "s" : ""}`]),
    ["produce.acksall.100x100", "100 × 100 B, replication factor 3, acks all"],
    ["http.noop", "HTTP floor (requests/s)"],
  ];
  const lines = pairs
    .filter(([id]) => median(splitId(/** @type {string} */ (id))) !== undefined)
    .map(([id, label]) => {
      const shared = median(/** @type {string} */ (id));
      const split = median(splitId(/** @type {string} */ (id)));
      return `  ${String(label).padEnd(48)} shared ${fmt(shared).padStart(10)}   split ${fmt(split).padStart(10)}   split ÷ shared ${fmtRatio(ratio(split, shared))}`;
    });
  return lines.length
    ? [
        "Split mode (front worker and objects in two workerd processes) beside the shared thread (medians):",
        ...lines,
      ].join("\n")
    : "";
}
