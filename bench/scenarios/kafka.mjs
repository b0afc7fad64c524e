// The Kafka rows: kafkajs 2.2.4 through the gateway (`tributary gateway`, a child process, as a
// user runs it), next to Tributary's own HTTP path measured in the same round:
// - produce 1000 × 100 B per request with acks 1 and acks -1 (all), one kafkajs client (one TCP
//   connection) per HTTP connection of the produce rows, closed loop; the high watermark must
//   equal the records acknowledged;
// - one kafkajs consumer reading the prefilled fetch topic from offset 0, next to one HTTP
//   connection walking the same log page after page (a consumer has one fetch in flight);
// - one record at a time, acks 1, one after the other: the latency the gateway adds to a produce.
// Values are the same 100-byte JSON text as the HTTP rows, so both paths store the same records.
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { startLocalGateway } from "../../test/helpers/local-gateway.mjs";
import { createClient } from "../http-load.mjs";
import { makeRecord } from "../records.mjs";
import { fmt, fmtRatio, log, ratio, summarize } from "../report.mjs";
import { median, medianDetail, record, rows } from "../rows.mjs";
import { FETCH_RECORDS } from "../shapes.mjs";
import { createTopic, highWatermark, produceRequest } from "./topics.mjs";

/**
 * @typedef {ReturnType<typeof import("../http-load.mjs").createClient>} Client
 * @typedef {import("../options.mjs").Options} Options
 */

const BATCH = 1000;
const BYTES = 100;
/** Bounds of the one-at-a-time latency loops. */
const LATENCY_MAX_SENDS = 3_000;

/** The gateway for the Kafka rows, on a free loopback port, with the bench's token. */
export async function startKafkaGateway(/** @type {{ url: string, token: string }} */ worker) {
  return startLocalGateway({ url: worker.url, token: worker.token });
}

const kafkaClient = (/** @type {string} */ broker, /** @type {string} */ id) =>
  new Kafka({ clientId: id, brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 3 } });

const messages = (/** @type {number} */ n) =>
  Array.from({ length: n }, (_, i) => ({ partition: 0, value: JSON.stringify(makeRecord(BYTES, i)) }));

/** p50, p99 and max of a list of milliseconds. */
function percentiles(/** @type {number[]} */ values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}

/**
 * Every Kafka row of one round.
 * @param {{ gateway: { broker: string }, client: Client, url: string, token: string, fetchTopic: string, o: Options, round: number }} s
 */
export async function kafkaScenarios(s) {
  for (const acks of [1, -1]) await kafkaProduce(s, acks);
  await kafkaConsume(s);
  await produceLatency(s);
}

/** @param {Parameters<typeof kafkaScenarios>[0]} s @param {1 | -1} acks */
async function kafkaProduce({ gateway, client, token, o, round }, acks) {
  const topic = await createTopic(client, token, `bench-kafka-acks${acks === 1 ? 1 : "all"}-r${round}`);
  const producers = Array.from({ length: o.connections }, (_, c) =>
    kafkaClient(gateway.broker, `bench-${c}`).producer({ createPartitioner: Partitioners.DefaultPartitioner }),
  );
  await Promise.all(producers.map((p) => p.connect()));
  const batch = messages(BATCH);
  const loop = async (/** @type {number} */ ms) => {
    const latencies = [];
    let requests = 0;
    let errors = 0;
    /** @type {string | undefined} */
    let firstError;
    const start = performance.now();
    const deadline = start + ms;
    const maxRequests = Math.ceil(10_000_000 / BATCH);
    await Promise.all(
      producers.map(async (p) => {
        while (performance.now() < deadline && requests < maxRequests) {
          requests++;
          const sent = performance.now();
          try {
            await p.send({ topic, acks, messages: batch });
            latencies.push(performance.now() - sent);
          } catch (err) {
            errors++;
            firstError ??= /** @type {Error} */ (err).message;
          }
        }
      }),
    );
    const elapsedMs = performance.now() - start;
    return {
      requests,
      errors,
      firstError,
      elapsedMs,
      items: (requests - errors) * BATCH,
      latencyMs: percentiles(latencies),
    };
  };
  try {
    const warm = await loop(o.warmupMs);
    const r = await loop(o.httpMs);
    const stored = await highWatermark(client, token, topic);
    const acknowledged = warm.items + r.items;
    if (stored !== acknowledged) {
      throw new Error(`topic ${topic} holds ${stored} records but kafkajs was acknowledged ${acknowledged}`);
    }
    if (r.errors) log(`  ! ${r.errors} failed sends, first: ${r.firstError}`);
    const id = `kafka.produce.acks${acks === 1 ? "1" : "all"}`;
    record(id, `kafkajs produce ${BATCH} × ${BYTES} B, acks ${acks}`, "records/s", r.items / (r.elapsedMs / 1000), {
      ...r,
      stored,
      acknowledged,
      requestsPerSecond: (r.requests - r.errors) / (r.elapsedMs / 1000),
    });
  } finally {
    await Promise.all(producers.map((p) => p.disconnect()));
  }
}

/**
 * One kafkajs consumer from offset 0 of the prefilled fetch topic, until it has read every record
 * or the row's time is up; next to one HTTP connection following nextOffset through the same log.
 * @param {Parameters<typeof kafkaScenarios>[0]} s
 */
async function kafkaConsume({ gateway, client, url, token, fetchTopic, o, round }) {
  const total = await highWatermark(client, token, fetchTopic);
  const consumer = kafkaClient(gateway.broker, "bench-consumer").consumer({
    groupId: `bench-kafka-${round}-${Date.now().toString(36)}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: fetchTopic, fromBeginning: true });
  let read = 0;
  let first = 0;
  let last = 0;
  /** @type {() => void} */
  let done = () => {};
  const finished = new Promise((resolve) => {
    done = () => resolve(undefined);
  });
  const limit = setTimeout(done, o.httpMs + 30_000);
  try {
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const now = performance.now();
        if (!first) first = now;
        // The first batch starts the clock: the join and the first fetch are not throughput.
        else read += batch.messages.length;
        last = now;
        if (read + batch.messages.length >= total || now - first >= o.httpMs) done();
      },
    });
    await finished;
  } finally {
    clearTimeout(limit);
    await consumer.disconnect();
  }
  const elapsedMs = last - first;
  record("kafka.consume", `kafkajs consumer, 1 partition from offset 0`, "records/s", read / (elapsedMs / 1000), {
    read,
    elapsedMs,
    total,
  });

  // The reference: one HTTP connection reading the same log, page after page.
  const one = createClient(url, 1);
  try {
    let offset = 0;
    const r = await one.run({
      durationMs: o.httpMs,
      maxRequests: Math.ceil(total / FETCH_RECORDS),
      next: () => ({
        method: "GET",
        path: `/v1/topics/${fetchTopic}/partitions/0/records?offset=${offset}&maxRecords=${FETCH_RECORDS}`,
        headers: { authorization: `Bearer ${token}` },
      }),
      count: (answer) => {
        const found = /"nextOffset":(\d+)/.exec(answer.tail);
        if (!found) throw new Error(`a fetch answer has no nextOffset: …${answer.tail.slice(-200)}`);
        const n = Number(found[1]) - offset;
        offset = Number(found[1]);
        return n;
      },
    });
    record(
      "kafka.consume.http",
      `HTTP fetch ${FETCH_RECORDS} × 100 B, 1 connection`,
      "records/s",
      r.items / (r.elapsedMs / 1000),
      {
        requests: r.requests,
        errors: r.errors,
        firstError: r.firstError,
        elapsedMs: r.elapsedMs,
        latencyMs: r.latencyMs,
      },
    );
  } finally {
    one.close();
  }
}

/**
 * One record at a time with acks 1 through kafkajs, then through HTTP (one keep-alive
 * connection), each for the latency rows' time: what the gateway adds to a produce.
 * @param {Parameters<typeof kafkaScenarios>[0]} s
 */
async function produceLatency({ gateway, client, url, token, o, round }) {
  const topic = await createTopic(client, token, `bench-kafka-latency-r${round}`);
  const producer = kafkaClient(gateway.broker, "bench-latency").producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const one = messages(1);
  const kafka = [];
  try {
    const until = performance.now() + o.latencyMs;
    while (performance.now() < until && kafka.length < LATENCY_MAX_SENDS) {
      const sent = performance.now();
      await producer.send({ topic, acks: 1, messages: one });
      kafka.push(performance.now() - sent);
    }
  } finally {
    await producer.disconnect();
  }
  const http = createClient(url, 1);
  let r;
  try {
    const req = produceRequest(token, topic, BYTES, 1);
    r = await http.run({ durationMs: o.latencyMs, maxRequests: LATENCY_MAX_SENDS, next: () => req, count: () => 1 });
  } finally {
    http.close();
  }
  const k = percentiles(kafka.slice(Math.min(10, kafka.length - 1)));
  const detail = { sends: kafka.length, http: r.latencyMs, httpSends: r.requests, httpErrors: r.errors, kafka: k };
  record("kafka.latency.p50", "kafkajs produce 1 record, acks 1: p50", "ms", k.p50, detail);
  record("kafka.latency.p99", "kafkajs produce 1 record, acks 1: p99", "ms", k.p99, detail);
}

/** The notes column of the Kafka rows: each against its HTTP reference of the same rounds. */
export function kafkaNotes(/** @type {string} */ id) {
  const details = rows.get(id)?.details ?? [];
  const parts = [];
  const errors = details.reduce((n, d) => n + (d.errors ?? 0) + (d.httpErrors ?? 0), 0);
  if (errors) parts.push(`${errors} FAILED REQUESTS`);
  if (id.startsWith("kafka.produce.")) {
    parts.push(
      `${fmtRatio(ratio(median(id), median("produce.1000x100")))} of HTTP produce 1000 × 100 B (16 connections)`,
    );
    parts.push(`${fmt(medianDetail(id, "requestsPerSecond"))} produce req/s`);
    const lat = details.map((d) => d.latencyMs).filter(Boolean);
    if (lat.length) {
      parts.push(
        `p50 ${fmt(summarize(lat.map((l) => l.p50)).median)} ms, p99 ${fmt(summarize(lat.map((l) => l.p99)).median)} ms`,
      );
    }
    parts.push("high watermark = records acknowledged in every round");
  } else if (id === "kafka.consume") {
    parts.push(`${fmtRatio(ratio(median(id), median("kafka.consume.http")))} of one HTTP connection's fetch`);
    parts.push(`${fmt(medianDetail(id, "read"))} records read in ${fmt(medianDetail(id, "elapsedMs") / 1000)} s`);
  } else if (id === "kafka.consume.http") {
    const lat = details.map((d) => d.latencyMs).filter(Boolean);
    if (lat.length) parts.push(`p50 ${fmt(summarize(lat.map((l) => l.p50)).median)} ms per page`);
  } else if (id.startsWith("kafka.latency.")) {
    const q = /** @type {"p50" | "p99"} */ (id.slice(-3));
    const http = summarize(details.map((d) => d.http[q])).median;
    parts.push(
      `HTTP produce of 1 record, 1 connection: ${q} ${fmt(http)} ms; the gateway adds ${fmt(median(id) - http)} ms`,
    );
    parts.push(`${fmt(medianDetail(id, "sends"))} sends a round, one at a time`);
  }
  return parts.join("; ");
}
