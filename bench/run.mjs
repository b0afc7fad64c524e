// npm run bench: Tributary's throughput through HTTP, next to references measured in the same run
// (the raw in-object insert rate, the HTTP floor of the same process, Redis Streams when present),
// the end-to-end latency from produce to a push consumer, a consumer group's throughput, and the
// ad-click and Yahoo Streaming Benchmark pipelines.
// Prints a markdown table of medians over rounds and writes bench/results/latest.json.
// This file is the entry: options, the workers and peers, the round loop, the output. The
// scenarios are in bench/scenarios/; table.mjs and verdicts.mjs write the report.
// See bench/README.md for what each number measures.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startLocalWorker } from "../test/helpers/local-worker.mjs";
import { adClickRows, adClicksSummary, startAdClicksWorker } from "./ad-clicks.mjs";
import { durableStreamsScenarios } from "./durable-streams.mjs";
import { createClient } from "./http-load.mjs";
import { machine } from "./machine.mjs";
import { GROUPS, parseOptions } from "./options.mjs";
import { webSocketSupport } from "./push-latency.mjs";
import { ratioRows } from "./ratios.mjs";
import { redisVersion, startRedis } from "./redis-peer.mjs";
import { fmt, log, ratio, summarize } from "./report.mjs";
import { median, record, references, rows } from "./rows.mjs";
import { fetchScenario, prefillFetchTopic } from "./scenarios/fetch.mjs";
import { groupScenario, prefillGroupTopic } from "./scenarios/group.mjs";
import { acksScenarios, idempotentScenarios } from "./scenarios/guarantees.mjs";
import { kafkaScenarios, startKafkaGateway } from "./scenarios/kafka.mjs";
import { LATENCY_SCENARIOS, latencyScenario, stopLatencyChildren } from "./scenarios/latency.mjs";
import { produceScenarios } from "./scenarios/produce.mjs";
import { noopScenario, rawScenarios } from "./scenarios/raw.mjs";
import { redisScenarios } from "./scenarios/redis.mjs";
import { sharedScalingScenario, splitScenarios, splitSummary } from "./scenarios/split.mjs";
import { catchUpScenario, compactionScenario, prefillStorageTopics } from "./scenarios/storage.mjs";
import { unique } from "./scenarios/topics.mjs";
import { FETCH_RECORDS } from "./shapes.mjs";
import { startSplitWorkers } from "./split/start.mjs";
import { table } from "./table.mjs";
import { consumerVerdicts, guaranteesSummary, produceVerdict } from "./verdicts.mjs";
import { startYsbWorker, ysbRows, ysbSummary } from "./ysb.mjs";

/** @type {(() => Promise<void>)[]} */
const cleanups = [];
/** The wrangler dev processes' output, for the log when the bench fails. @type {[string, () => string][]} */
const outputs = [];
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
    frozen: true,
    config: join(ROOT, "bench/wrangler.toml"),
    // .dev.vars is read beside the config file, so the local token is passed here.
    vars: { TRIBUTARY_TOKENS: "dev-token" },
  });
  cleanups.push(worker.stop);
  outputs.push(["bench worker", worker.output]);
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

  const runs = (/** @type {string} */ group) => o.groups.has(group);
  const fetchTopic = runs("fetch")
    ? await prefillFetchTopic(client, token, o.connections * o.fetchPagesPerConnection)
    : "";
  const groupTopic = runs("group") ? await prefillGroupTopic(client, token, o) : "";
  const storageTopics = runs("storage") ? await prefillStorageTopics(client, token, o) : undefined;
  // One connection per group member.
  const groupClient = createClient(worker.url, o.groupConsumers);
  cleanups.push(async () => groupClient.close());
  const adClicksWorker = runs("ad-clicks") ? await startAdClicksWorker() : undefined;
  if (adClicksWorker) cleanups.push(adClicksWorker.stop);
  if (adClicksWorker) outputs.push(["ad-clicks worker", adClicksWorker.output]);
  const ysbWorker = runs("ysb") ? await startYsbWorker() : undefined;
  if (ysbWorker) cleanups.push(ysbWorker.stop);
  const gateway = runs("kafka") ? await startKafkaGateway(worker) : undefined;
  if (gateway) cleanups.push(gateway.stop);
  // --split: the front worker and the objects in two wrangler dev processes (bench/split/).
  const split = runs("split") ? await startSplitWorkers({ log }) : undefined;
  if (split) cleanups.push(split.stop);
  if (split) outputs.push(["split front", split.output.front], ["split objects", split.output.objects]);
  const splitClient = split ? createClient(split.url, o.connections) : undefined;
  if (splitClient) cleanups.push(async () => splitClient.close());
  for (let round = 1; round <= o.runs; round++) {
    log(`round ${round}/${o.runs}`);
    if (runs("raw")) {
      await rawScenarios(client, o, round);
      await noopScenario(client, o);
    }
    if (runs("produce")) await produceScenarios(client, token, o, round);
    if (runs("guarantees")) {
      await acksScenarios(client, token, o, round);
      await idempotentScenarios(client, token, o, round);
    }
    if (runs("fetch")) await fetchScenario(client, token, fetchTopic, o);
    if (redis && runs("redis")) await redisScenarios(redis, o, round);
    if (runs("latency")) for (const s of LATENCY_SCENARIOS) await latencyScenario(client, worker, o, round, push, s);
    if (runs("group")) await groupScenario(groupClient, token, groupTopic, o, round);
    if (storageTopics) {
      await catchUpScenario(client, token, storageTopics, o);
      await compactionScenario(client, token, o);
    }
    if (adClicksWorker) {
      await adClickRows(adClicksWorker, { quick: o.quick, round, record, signingKey: adClicksWorker.signingKey });
    }
    if (ysbWorker) await ysbRows(ysbWorker, { quick: o.quick, round, record });
    if (runs("durable-streams"))
      await durableStreamsScenarios({ client, token, worker, o, round, record, log, cleanups });
    if (gateway) await kafkaScenarios({ gateway, client, url: worker.url, token, fetchTopic, o, round });
    if (split && splitClient) {
      await sharedScalingScenario(client, token, o, round);
      await splitScenarios(split, splitClient, o, round, cleanups);
    }
    ratioRows(round);
  }
  const elapsedS = (Date.now() - started.getTime()) / 1000;

  const v = produceVerdict();
  const cv = consumerVerdicts(push.consumer, o.latencyTickMs);
  const out = [
    `# Tributary bench, ${started.toISOString()}`,
    "",
    `Machine: ${host.cores} cores (${host.cpu}), ${host.memoryGiB} GiB, ${host.platform}; Node ${host.node}; wrangler ${host.wrangler} (local workerd)` +
      `; load average at start ${host.loadAverageAtStart.join(" ")}; commit ${host.git.commit ?? "?"}${host.git.dirty ? " (dirty)" : ""}`,
    `Runs: ${o.runs} round(s)${o.quick ? " (quick)" : ""}${o.groups.size < GROUPS.length ? ` of ${[...o.groups].join(", ")}` : ""}; HTTP scenarios ${o.connections} keep-alive connections, ${o.httpMs / 1000} s each (the acks and idempotent rows ${o.guaranteesMs / 1000} s) after ${o.warmupMs} ms warm-up; ${elapsedS.toFixed(0)} s in all`,
    "",
    table(),
    "",
    // The target lines of the groups that ran (a target whose rows did not run is not a FAIL).
    runs("produce") ? v.text : "",
    runs("latency") || runs("group") ? cv.text : "",
    runs("guarantees") ? guaranteesSummary() : "",
    adClicksWorker ? adClicksSummary() : "",
    ysbWorker ? ysbSummary(median("raw.loop.1000x100")) : "",
    split ? splitSummary() : "",
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
    split
      ? `Split: the rows marked split ran against a front worker (${split.url}, workerd ${split.processes.front.join(" ")}) whose Durable Object bindings name the classes of an objects' worker in another wrangler dev process (workerd ${split.processes.objects.join(" ")}) by script_name; the shared-thread rows beside them ran against the bench worker, where the worker and every object share one workerd thread.`
      : "",
  ].join("\n");
  console.log(`\n${out}`);

  const resultsDir = join(ROOT, "bench/results");
  mkdirSync(resultsDir, { recursive: true });
  const json = {
    date: started.toISOString(),
    elapsedSeconds: elapsedS,
    machine: host,
    options: { ...o, groups: [...o.groups] },
    clock: { ...clock, advancesDuringSyncWork: clockAdvances },
    peers: { redis: redis ? { version, aof: "everysec" } : { skipped: "redis-server is not on PATH" } },
    target: v.json,
    targets: { produce: v.json, ...cv.json },
    push,
    split: split ? { front: split.url, objects: split.objectsUrl, workerd: split.processes } : undefined,
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
  // What wrangler said (a reload after a change to a bundled file shows here, for one).
  for (const [name, output] of outputs) log(`--- ${name}, last output:\n${output().slice(-1500)}`);
} finally {
  await cleanup();
}
