// @ts-check
// `npm run cost`: what Tributary's main scenarios cost on Cloudflare, counted by the billable-unit
// meter inside the real objects (cluster/meter.ts) of a local `wrangler dev` with
// TRIBUTARY_METER=1, priced at the list prices of bench/prices.json, next to Cloudflare Queues.
// Each scenario runs at a modest, bounded size; its counts are scaled to a million records. The
// idle rows are measured over a shorter window (--idle-seconds) and scaled to an hour. See
// docs/cost.md.
//
//   node bench/cost.mjs [--quick] [--idle-seconds 60] [--only platform|ad-clicks] [--json <file>]
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { WebSocket } from "undici";
import { CLICKS_TOPIC, clickRecord } from "../examples/ad-click-aggregator/clicks.mjs";
import { ensurePipeline } from "../examples/ad-click-aggregator/driver.mjs";
import { createClickPlan } from "../examples/ad-click-aggregator/load-plan.mjs";
import { ROOT, startLocalWorker } from "../test/helpers/local-worker.mjs";
import { consumeGroup, joinGroup } from "./group-consumers.mjs";
import { createClient } from "./http-load.mjs";
import { makeRecords } from "./records.mjs";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "idle-seconds": { type: "string" },
    json: { type: "string" },
    only: { type: "string" },
  },
});
if (args.only && !["platform", "ad-clicks"].includes(args.only)) throw new Error("--only is platform or ad-clicks");
const QUICK = args.quick;
const IDLE_SECONDS = Number(args["idle-seconds"] ?? (QUICK ? 15 : 60));
if (!(IDLE_SECONDS >= 5 && IDLE_SECONDS <= 600)) throw new Error("--idle-seconds must be from 5 to 600");
/** Records per scenario (fewer with --quick). */
const SIZE = QUICK ? 4_000 : 20_000;

const prices = JSON.parse(readFileSync(`${ROOT}/bench/prices.json`, "utf8"));
const log = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {{ requests: number, rpc: number, fetch: number, alarm: number, webSocketMessages: number,
 *   activeMs: number, rowsRead: number, rowsWritten: number, storedBytes: number, objects: number }} Usage
 * @typedef {{ workerRequests: number, classes: Record<string, Usage>, total: Usage }} Reading
 * @typedef {{ url: string, token: string }} Worker
 * @typedef {{ name: string, per: "million" | "hour", amount: number, reading: Reading,
 *   storedBytes: number, queuesOps: number | null, note: string }} Row
 */

/** The meter's counters; `reset` starts them again from zero. */
async function readMeter(/** @type {Worker} */ w, reset = false) {
  const res = await fetch(`${w.url}/v1/_test/meter${reset ? "/reset" : ""}`, {
    method: reset ? "POST" : "GET",
    headers: { authorization: `Bearer ${w.token}` },
  });
  if (!res.ok) throw new Error(`the meter answered ${res.status}: ${await res.text()}`);
  return /** @type {Promise<Reading>} */ (res.json());
}

/**
 * Waits until no object receives requests for a second (the pipeline's last rounds, a
 * replication's last copies), at most 30 s; answers how many meter reads it made (each is a
 * worker request, taken off the scenario's count).
 */
async function quiet(/** @type {Worker} */ w) {
  let reads = 0;
  let last = -1;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await readMeter(w);
    reads++;
    if (r.total.requests === last || Date.now() > deadline) return reads;
    last = r.total.requests;
    await sleep(1_000);
  }
}

/**
 * Runs `work` between two meter reads: the objects go quiet, the counters are reset, the work
 * runs, the objects go quiet again, and the counters are read. The meter's own requests are
 * taken off the worker's count.
 * @param {Worker} w @param {() => Promise<void>} work
 */
async function metered(w, work) {
  await quiet(w);
  const before = await readMeter(w, true);
  const started = performance.now();
  await work();
  const reads = await quiet(w);
  const reading = await readMeter(w);
  reading.workerRequests -= reads + 1;
  // Stored bytes are a level: the scenario's are what the databases grew by. `seconds`: the
  // window the counts cover, from the reset to the read (the work and the wait for quiet).
  const seconds = (performance.now() - started) / 1000;
  return { reading, stored: reading.total.storedBytes - before.total.storedBytes, seconds };
}

/**
 * One JSON call; throws unless 2xx.
 * @param {Worker} w @param {string} method @param {string} path @param {unknown} [body]
 */
async function api(w, method, path, body) {
  const res = await fetch(`${w.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

let topics = 0;
async function topic(/** @type {Worker} */ w, replicationFactor = 1, partitions = 1) {
  const name = `cost-${Date.now().toString(36)}-${topics++}`;
  await api(w, "POST", "/v1/topics", { name, partitions, replicationFactor });
  return name;
}

/**
 * Produces `count` records of `size` bytes to partition 0, `perRequest` a request, 4 in flight.
 * @param {Worker} w @param {string} name @param {number} count @param {number} perRequest @param {number} size
 */
async function produce(w, name, count, perRequest, size, extra = {}) {
  const body = JSON.stringify({ records: makeRecords(size, perRequest), ...extra });
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < count) {
        next += perRequest;
        const res = await fetch(`${w.url}/v1/topics/${name}/partitions/0/records`, {
          method: "POST",
          headers: { authorization: `Bearer ${w.token}`, "content-type": "application/json" },
          body,
        });
        if (res.status !== 200) throw new Error(`produce answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
  return Math.ceil(count / perRequest) * perRequest;
}

/** @type {Row[]} */
const rows = [];
function addRow(/** @type {Row} */ row) {
  rows.push(row);
  log(`  ${row.name}: ${JSON.stringify(row.reading.total)} worker ${row.reading.workerRequests}`);
}

/**
 * The idle hours, first, on a fresh worker (so that no other scenario's timers land in them):
 * nothing is sent for the window; the topic holds records, a subscriber keeps a WebSocket open,
 * and a group has a member that waits in long polls and heartbeats as the SDK does.
 * @param {Worker} w
 */
async function idleScenarios(w) {
  {
    const name = await topic(w);
    await produce(w, name, 1_000, 1000, 100);
    const { reading, seconds } = await metered(w, () => sleep(IDLE_SECONDS * 1000));
    addRow({
      name: "idle topic (1 partition, holding records)",
      per: "hour",
      amount: seconds,
      reading,
      storedBytes: 0,
      queuesOps: null,
      note: `measured over ${IDLE_SECONDS} s`,
    });
  }
  {
    const name = await topic(w);
    const ws = new WebSocket(
      `${w.url.replace("http", "ws")}/v1/topics/${name}/partitions/0/subscribe?offset=latest&token=${w.token}`,
    );
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve);
      ws.addEventListener("error", () => reject(new Error("the idle subscriber's WebSocket failed")));
    });
    const { reading, seconds } = await metered(w, () => sleep(IDLE_SECONDS * 1000));
    ws.close();
    addRow({
      name: "idle push subscriber (WebSocket open, hibernation API)",
      per: "hour",
      amount: seconds,
      reading,
      storedBytes: 0,
      queuesOps: null,
      note: "no pings sent by the client",
    });
  }
  {
    const client = createClient(w.url, 2);
    const group = `cost-idle-group-${Date.now().toString(36)}`;
    const name = await topic(w);
    const { members } = await joinGroup(client, w.token, {
      group,
      topic: name,
      count: 1,
      partitions: 1,
      sessionTimeoutMs: 30_000,
      maxMs: 20_000,
    });
    const member = members[0];
    if (!member) throw new Error("the idle group has no member");
    const { reading, seconds } = await metered(w, async () => {
      const until = Date.now() + IDLE_SECONDS * 1000;
      const heartbeats = (async () => {
        while (Date.now() < until) {
          await api(w, "POST", `/v1/groups/${group}/members/${encodeURIComponent(member.memberId)}/heartbeat`, {
            generation: member.generation,
          }).catch(() => undefined);
          await sleep(3_000);
        }
      })();
      // The SDK's defaults: a long poll of at most 5 s, a heartbeat every 3 s.
      while (Date.now() < until) {
        await api(w, "GET", `/v1/topics/${name}/partitions/0/records?offset=0&waitMs=5000`);
      }
      await heartbeats;
    });
    await api(w, "DELETE", `/v1/groups/${group}/members/${encodeURIComponent(member.memberId)}`);
    addRow({
      name: "idle consumer group (1 member: long polls of 5 s, heartbeats every 3 s)",
      per: "hour",
      amount: seconds,
      reading,
      storedBytes: 0,
      queuesOps: null,
      note: "the SDK consumer's defaults; the long polls keep the partition active",
    });
  }
  await staleGroupAlarm(w);
}

/**
 * A group's coordinator keeps the alarm it set for its last member's session after the member
 * left, and it fires once, finding nothing: waits for it (at most 35 s), so it lands in no row.
 */
async function staleGroupAlarm(/** @type {Worker} */ w) {
  const alarms = async () => (await readMeter(w)).classes.GroupCoordinator?.alarm ?? 0;
  const before = await alarms();
  const deadline = Date.now() + 35_000;
  while (Date.now() < deadline && (await alarms()) === before) await sleep(1_000);
}

async function platformScenarios(/** @type {Worker} */ w) {
  for (const size of [100, 1024]) {
    for (const perRequest of [1, 100, 1000]) {
      const count = perRequest === 1 ? (QUICK ? 200 : 1_000) : SIZE;
      const name = await topic(w);
      // One record first, so that the partition's object and its empty tables exist before.
      await produce(w, name, 1, 1, size);
      let records = 0;
      const { reading, stored } = await metered(w, async () => {
        records = await produce(w, name, count, perRequest, size);
      });
      addRow({
        name: `produce ${perRequest} × ${size === 100 ? "100 B" : "1 KB"} per request`,
        per: "million",
        amount: records,
        reading,
        storedBytes: stored,
        queuesOps: 1,
        note: `${records} records, ${Math.ceil(records / perRequest)} requests`,
      });
    }
  }

  // Consumers read a topic filled beforehand (not metered).
  const filled = await topic(w);
  await produce(w, filled, SIZE, 1000, 100);

  {
    const { reading } = await metered(w, async () => {
      let offset = 0;
      while (offset < SIZE) {
        const page = await api(w, "GET", `/v1/topics/${filled}/partitions/0/records?offset=${offset}&maxRecords=1000`);
        offset = page.nextOffset;
      }
    });
    addRow({
      name: "consume by fetch, 1000 × 100 B per request",
      per: "million",
      amount: SIZE,
      reading,
      storedBytes: 0,
      queuesOps: 2,
      note: "read + delete in Queues",
    });
  }

  {
    const { reading } = await metered(w, async () => {
      const ws = new WebSocket(
        `${w.url.replace("http", "ws")}/v1/topics/${filled}/partitions/0/subscribe?offset=0&token=${w.token}`,
      );
      let received = 0;
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`push: ${received} of ${SIZE} records in 60 s`)), 60_000);
        ws.addEventListener("message", (e) => {
          const m = JSON.parse(String(e.data));
          received += m.records?.length ?? 0;
          if (received >= SIZE) {
            clearTimeout(timer);
            resolve(undefined);
          }
        });
        ws.addEventListener("error", () => reject(new Error("push: the WebSocket failed")));
      });
      ws.close();
    });
    addRow({
      name: "consume by push (WebSocket), from offset 0",
      per: "million",
      amount: SIZE,
      reading,
      storedBytes: 0,
      queuesOps: 2,
      note: "one subscriber; outgoing messages are not billed",
    });
  }

  {
    const client = createClient(w.url, 1);
    const group = `cost-group-${Date.now().toString(36)}`;
    const { reading } = await metered(w, async () => {
      const { members } = await joinGroup(client, w.token, {
        group,
        topic: filled,
        count: 1,
        partitions: 1,
        sessionTimeoutMs: 30_000,
        maxMs: 20_000,
      });
      await consumeGroup(client, w.token, {
        group,
        topic: filled,
        members,
        from: [0],
        end: [SIZE],
        maxRecords: 1000,
        durationMs: 60_000,
        warmupMs: 0,
        maxFetches: 10_000,
        commitEveryMs: 1_000,
        heartbeatEveryMs: 3_000,
      });
      // It leaves, as a consumer that is done does (and no session expires later).
      for (const m of members) {
        await api(w, "DELETE", `/v1/groups/${group}/members/${encodeURIComponent(m.memberId)}`);
      }
    });
    addRow({
      name: "consumer group, 1 member, fetch 1000 × 100 B, commits",
      per: "million",
      amount: SIZE,
      reading,
      storedBytes: 0,
      queuesOps: 2,
      note: "join, fetches, heartbeats and commits as bench/group-consumers.mjs makes them",
    });
    await staleGroupAlarm(w);
  }

  {
    const count = QUICK ? 1_000 : 5_000;
    const name = await topic(w);
    const group = `cost-queue-${Date.now().toString(36)}`;
    await api(w, "PUT", `/v1/groups/${group}/queue`, { topic: name });
    const { reading, stored } = await metered(w, async () => {
      await produce(w, name, count, 100, 100);
      let acked = 0;
      for (let i = 0; acked < count && i < 10_000; i++) {
        const got = await api(w, "POST", `/v1/groups/${group}/receive`, { topic: name, maxRecords: 100 });
        const receipts = got.records.map((/** @type {{ receipt: string }} */ r) => r.receipt);
        if (receipts.length === 0) continue;
        acked += (await api(w, "POST", `/v1/groups/${group}/ack`, { receipts })).acked;
      }
      if (acked < count) throw new Error(`queue: ${acked} of ${count} acked`);
    });
    addRow({
      name: "queue mode: produce 100 per request, receive 100, ack 100",
      per: "million",
      amount: count,
      reading,
      storedBytes: stored,
      queuesOps: 3,
      note: "written, read and deleted in Queues; the partition's and the queue's new databases included",
    });
  }

  {
    const name = await topic(w, 3);
    await produce(w, name, 1, 1, 100, { acks: "all" });
    let records = 0;
    const { reading, stored } = await metered(w, async () => {
      records = await produce(w, name, SIZE, 100, 100, { acks: "all" });
    });
    addRow({
      name: "produce 100 × 100 B, replication factor 3, acks all",
      per: "million",
      amount: records,
      reading,
      storedBytes: stored,
      queuesOps: 1,
      note: "leader and two followers",
    });
  }
}

/** The ad-click example's pipeline (its own worker), and its idle hour. */
async function adClickScenarios(/** @type {Worker} */ w) {
  const clicks = QUICK ? 4_000 : 20_000;
  await ensurePipeline(w.url, w.token);
  const plan = createClickPlan({ ads: 200, prefix: `cost${Date.now().toString(36)}` });
  const { reading, stored } = await metered(w, async () => {
    let sent = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (sent < clicks) {
          const batch = plan.batch(Math.min(1000, clicks - sent));
          sent += batch.length;
          const records = batch.map((/** @type {any} */ c) => clickRecord(c.ad, c.imp, c.t));
          await api(w, "POST", `/v1/topics/${CLICKS_TOPIC}/records`, { records });
        }
      }),
    );
    // Until every task has read all its input (the meter's quiet() then waits out the last rounds).
    const deadline = Date.now() + 120_000;
    while ((await api(w, "GET", "/v1/apps/ad-clicks")).lag > 0) {
      if (Date.now() > deadline) throw new Error("the ad-clicks pipeline did not catch up in 120 s");
      await sleep(1_000);
    }
  });
  addRow({
    name: "ad-click pipeline, produce 1000 clicks per request → counted",
    per: "million",
    amount: clicks,
    reading,
    storedBytes: stored,
    queuesOps: 3,
    note: "per million clicks; dedupe, per-minute and per-hour counts, merged salts (every stage's objects)",
  });
  const idle = await metered(w, () => sleep(IDLE_SECONDS * 1000));
  addRow({
    name: `idle stream app (the ad-click pipeline, ${idle.reading.classes.StreamTask?.objects ?? 0} tasks)`,
    per: "hour",
    amount: idle.seconds,
    reading: idle.reading,
    storedBytes: 0,
    queuesOps: null,
    note: "tasks sleep until an append wakes them",
  });
}

// ---- pricing and the table ----

const DO = prices.durableObjects;
/** Dollars of one reading (requests, duration, rows; worker requests), storage apart. */
function dollars(/** @type {Reading} */ r) {
  const gbs = (r.total.activeMs / 1000) * DO.memoryGb;
  return (
    (r.total.requests * DO.requestsPerMillion +
      gbs * DO.gbSecondsPerMillion +
      r.total.rowsRead * DO.rowsReadPerMillion +
      r.total.rowsWritten * DO.rowsWrittenPerMillion +
      r.workerRequests * prices.workers.requestsPerMillion) /
    1e6
  );
}

const int = (/** @type {number} */ n) => Math.round(n).toLocaleString("en-US");
const num = (/** @type {number} */ n) =>
  n >= 100 ? int(n) : n >= 1 ? n.toFixed(1) : n === 0 ? "0" : n.toPrecision(2).replace(/e.*$/, "");
const usd = (/** @type {number} */ n) => (n === 0 ? "$0" : n >= 0.01 ? `$${n.toFixed(2)}` : `$${n.toPrecision(2)}`);

function table(/** @type {"million" | "hour"} */ per) {
  const out = [];
  if (per === "million") {
    out.push(
      "| scenario | DO requests | worker requests | GB-s | rows read | rows written | stored bytes | $ per million records | Queues $ |",
      "|---|---|---|---|---|---|---|---|---|",
    );
  } else {
    out.push(
      "| idle case | DO requests | worker requests | GB-s | rows read | rows written | $ per idle hour | measured |",
      "|---|---|---|---|---|---|---|---|",
    );
  }
  for (const row of rows.filter((r) => r.per === per)) {
    const scale = per === "million" ? 1e6 / row.amount : 3600 / row.amount;
    const r = row.reading;
    const gbs = (r.total.activeMs / 1000) * DO.memoryGb * scale;
    const cost = dollars(r) * scale;
    const common = [
      row.name,
      num(r.total.requests * scale),
      num(r.workerRequests * scale),
      num(gbs),
      num(r.total.rowsRead * scale),
      num(r.total.rowsWritten * scale),
    ];
    if (per === "million") {
      const queues =
        row.queuesOps === null
          ? "—"
          : `${usd(row.queuesOps * prices.queues.operationsPerMillion)} (${row.queuesOps} op${row.queuesOps > 1 ? "s" : ""})`;
      out.push(`| ${[...common, num(Math.max(0, row.storedBytes) * scale), usd(cost), queues].join(" | ")} |`);
    } else {
      out.push(
        `| ${[...common, usd(cost), `${num(r.total.requests)} requests in ${row.amount.toFixed(1)} s`].join(" | ")} |`,
      );
    }
  }
  return out.join("\n");
}

function commit() {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

// ---- run ----

const vars = { TRIBUTARY_METER: "1" };
const loadAtStart = loadavg()[0] ?? 0;
if (args.only !== "ad-clicks") {
  log("starting the platform (wrangler dev, TRIBUTARY_METER=1)…");
  const platform = await startLocalWorker({ vars });
  try {
    await idleScenarios(platform);
    await platformScenarios(platform);
  } finally {
    await platform.stop();
  }
}
if (args.only !== "platform") {
  log("starting the ad-click example's worker…");
  const adClicks = await startLocalWorker({ config: `${ROOT}/examples/ad-click-aggregator/wrangler.toml`, vars });
  try {
    await adClickScenarios(adClicks);
  } finally {
    await adClicks.stop();
  }
}

const storedNote = `stored bytes: growth of the objects' SQLite databases (\`databaseSize\`) per million records, at $${DO.storedGbMonth} per GB-month`;
const report = [
  `Measured with \`npm run cost${QUICK || args.only ? " --" : ""}${QUICK ? " --quick" : ""}${args.only ? ` --only ${args.only}` : ""}\` at commit \`${commit()}\`, ${new Date().toISOString().slice(0, 10)}, local \`wrangler dev\` (one workerd), Node ${process.version}, load average ${loadAtStart.toFixed(1)} at start; prices of \`bench/prices.json\` (each with the date it was read).`,
  "",
  "Per million records (counts scaled from the scenario's size):",
  "",
  table("million"),
  "",
  `GB-s: active wall time × ${DO.memoryGb} GB. $ per million: DO requests, GB-s, rows read and written, and worker requests at list prices (monthly allowances not taken off; storage apart: ${storedNote}). Queues $: Cloudflare Queues at $${prices.queues.operationsPerMillion} per million operations, for the operations the row's messages would take there. ${prices.durableLog.note}.`,
  "",
  `Idle, per hour (each measured over ${IDLE_SECONDS} s of quiet, plus the wait for the objects to go quiet around it, and scaled from that window to 3,600 s):`,
  "",
  table("hour"),
].join("\n");
console.log(report);
if (args.json) writeFileSync(args.json, JSON.stringify({ commit: commit(), prices, rows }, null, 2));
