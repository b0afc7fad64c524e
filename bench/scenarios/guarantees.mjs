// The produce guarantees' rows: acks 0, 1 and "all" at replication factor 3, and the idempotent
// producer. acks 0 is answered before the append, so its rate is counted from what was stored.
import { setTimeout as sleep } from "node:timers/promises";
import { makeRecords } from "../records.mjs";
import { log, ratio } from "../report.mjs";
import { record, rows } from "../rows.mjs";
import { shapeId, shapeLabel } from "../shapes.mjs";
import { produceDetail } from "./produce.mjs";
import { createTopic, highWatermark, produceRequest, storedAfter } from "./topics.mjs";

/**
 * @typedef {ReturnType<typeof import("../http-load.mjs").createClient>} Client
 * @typedef {import("../options.mjs").Options} Options
 */

/**
 * The produce guarantees (issue: throughput and latency for acks 0, 1 and all at replication
 * factor 3, and the cost of idempotence): 100 × 100 B per request with each acks, and the
 * idempotent produce of 100 and 1000 × 100 B (one replica), each next to the plain produce row
 * of its round.
 */
export const ACKS = [
  { acks: /** @type {0 | 1 | "all"} */ (0), id: "acks0", label: "acks 0" },
  { acks: /** @type {0 | 1 | "all"} */ (1), id: "acks1", label: "acks 1" },
  { acks: /** @type {0 | 1 | "all"} */ ("all"), id: "acksall", label: "acks all" },
];
export const GUARANTEES = { recordBytes: 100, acksBatch: 100, idempotentBatches: [100, 1000], replicationFactor: 3 };

/**
 * Reads the partition's high watermark until it stops growing: at least `expected` and unchanged
 * for `acks0SettleMs`, or unchanged for `acks0StallMs` below it; at most `acks0DrainMs` (and as
 * many polls as fit in it). `at` is when a poll first saw the final value.
 * @param {Client} client @param {string} token @param {string} topic
 * @param {number} expected @param {Options} o
 */
async function settledHighWatermark(client, token, topic, expected, o) {
  const start = performance.now();
  let value = await highWatermark(client, token, topic);
  let at = performance.now();
  let polls = 1;
  const maxPolls = Math.ceil(o.acks0DrainMs / o.acks0PollMs);
  while (performance.now() - start < o.acks0DrainMs && polls < maxPolls) {
    if (performance.now() - at >= (value >= expected ? o.acks0SettleMs : o.acks0StallMs)) break;
    await sleep(o.acks0PollMs);
    const v = await highWatermark(client, token, topic);
    polls++;
    if (v !== value) {
      value = v;
      at = performance.now();
    }
  }
  return { value, at, polls };
}

/**
 * 100 × 100 B per request with acks 0, 1 and "all", each into a fresh one-partition topic of
 * replication factor 3. acks 1 and all count 200 answers, as the produce rows do; acks 0 is
 * answered 202 before the append (which runs in the background), so its throughput is what the
 * partition stored, until the last record was stored, and the answer rate is a row of its own.
 * @param {Client} client @param {string} token @param {Options} o @param {number} round
 */
export async function acksScenarios(client, token, o, round) {
  const bytes = GUARANTEES.recordBytes;
  const batch = GUARANTEES.acksBatch;
  const shape = shapeId(batch, bytes);
  // The plain row (no acks field: acks 1) of this round, for the ratio.
  const plain = rows.get(`produce.${shape}`)?.values.at(-1);
  for (const a of ACKS) {
    const topic = await createTopic(client, token, `bench-produce-${a.id}-${shape}-r${round}`, 1, {
      replicationFactor: GUARANTEES.replicationFactor,
    });
    const req = produceRequest(token, topic, bytes, batch, { acks: a.acks });
    const load = {
      durationMs: o.guaranteesMs,
      maxRequests: Math.ceil(10_000_000 / batch),
      next: () => req,
      count: () => batch,
    };
    const label = `produce ${shapeLabel(batch, bytes)} per request, ${a.label}`;
    const warm = await client.run({ ...load, durationMs: o.warmupMs });
    if (a.acks !== 0) {
      const r = await client.run(load);
      if (r.errors) log(`  ! ${r.errors} failed requests, first: ${r.firstError}`);
      const acknowledged = warm.items + r.items;
      const stored = await storedAfter(client, token, topic, acknowledged);
      const rate = r.items / (r.elapsedMs / 1000);
      record(`produce.${a.id}.${shape}`, label, "records/s", rate, {
        ...produceDetail(r, bytes),
        topic,
        acknowledged,
        stored,
        plainRate: plain,
        ratioToPlain: ratio(rate, plain),
      });
      continue;
    }
    // acks 0: the warm-up's background appends finish first, so the timed run starts from a quiet
    // partition; then the run, and the high watermark read until it stops growing.
    const before = await settledHighWatermark(client, token, topic, warm.items, o);
    const start = performance.now();
    const r = await client.run(load);
    const after = await settledHighWatermark(client, token, topic, before.value + r.items, o);
    const stored = after.value - before.value;
    const storedMs = after.at - start;
    const accepted = warm.items + r.items;
    const lost = accepted - after.value;
    if (r.errors) log(`  ! ${r.errors} failed requests, first: ${r.firstError}`);
    if (lost) log(`  ! topic ${topic} holds ${after.value} records but ${accepted} were accepted (202)`);
    const rate = stored / (storedMs / 1000);
    const detail = {
      topic,
      accepted,
      storedTotal: after.value,
      lost,
      stored,
      storedMs,
      drainMs: after.at - start - r.elapsedMs,
      polls: after.polls,
      pollMs: o.acks0PollMs,
      answeredRate: r.items / (r.elapsedMs / 1000),
      plainRate: plain,
      ratioToPlain: ratio(rate, plain),
    };
    record(`produce.${a.id}.${shape}`, `${label}: stored`, "records/s", rate, detail);
    record(`produce.${a.id}.${shape}.answered`, `${label}: answered (202)`, "records/s", detail.answeredRate, {
      ...produceDetail(r, bytes),
      topic,
    });
  }
}

/**
 * Idempotent produce of 100 and 1000 × 100 B per request to the partition route: one producer id
 * per connection (POST /v1/producers), each connection sending its batches with consecutive
 * sequences (from 0, growing by the records of each acknowledged request; one request in flight),
 * so the body is built when it is sent. Compared with the plain produce row of the same shape
 * measured in this round; afterwards the high watermark must equal the records acknowledged.
 * @param {Client} client @param {string} token @param {Options} o @param {number} round
 */
export async function idempotentScenarios(client, token, o, round) {
  const bytes = GUARANTEES.recordBytes;
  for (const batch of GUARANTEES.idempotentBatches) {
    const shape = shapeId(batch, bytes);
    const topic = await createTopic(client, token, `bench-produce-idempotent-${shape}-r${round}`);
    /** @type {{ id: string, epoch: number }[]} */
    const producers = [];
    for (let c = 0; c < o.connections; c++) producers.push(await client.json("POST", "/v1/producers", {}, token));
    if (new Set(producers.map((p) => p.id)).size !== producers.length) {
      throw new Error(`POST /v1/producers gave the same id twice: ${producers.map((p) => p.id).join(", ")}`);
    }
    const sequences = producers.map(() => 0);
    const records = JSON.stringify(makeRecords(bytes, batch));
    const path = `/v1/topics/${topic}/partitions/0/records`;
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const next = (/** @type {number} */ c) => {
      const { id, epoch } = producers[c];
      const producer = JSON.stringify({ id, epoch, sequence: sequences[c] });
      return { method: "POST", path, headers, body: Buffer.from(`{"records":${records},"producer":${producer}}`) };
    };
    // Only an acknowledged request moves its connection's sequence on: a failed one is sent again
    // with the same sequence (answered with its first offsets if it had been stored).
    const count = (/** @type {unknown} */ _answer, /** @type {unknown} */ _req, /** @type {number} */ c) => {
      sequences[c] += batch;
      return batch;
    };
    const load = { durationMs: o.guaranteesMs, maxRequests: Math.ceil(10_000_000 / batch), next, count };
    const warm = await client.run({ ...load, durationMs: o.warmupMs });
    const r = await client.run(load);
    if (r.errors) log(`  ! ${r.errors} failed requests, first: ${r.firstError}`);
    const acknowledged = warm.items + r.items;
    const stored = await storedAfter(client, token, topic, acknowledged);
    const rate = r.items / (r.elapsedMs / 1000);
    const plain = rows.get(`produce.${shape}`)?.values.at(-1);
    const acks1 = rows.get(`produce.acks1.${shape}`)?.values.at(-1);
    record(
      `produce.idempotent.${shape}`,
      `produce ${shapeLabel(batch, bytes)} per request, idempotent`,
      "records/s",
      rate,
      {
        ...produceDetail(r, bytes),
        topic,
        producers: producers.length,
        acknowledged,
        stored,
        lastSequences: sequences,
        plainRate: plain,
        ratioToPlain: ratio(rate, plain),
        acks1Rate: acks1,
        ratioToAcks1: ratio(rate, acks1),
      },
    );
  }
}
