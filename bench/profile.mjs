// `npm run bench:profile`: where the worker thread spends its time while it takes the issue's
// target load (1000 × 100 B records per request into one partition, 16 connections). Starts the
// real worker with `wrangler dev`, drives the load, and takes a V8 CPU profile through the
// inspector wrangler exposes; prints the functions with the most self time and a few groups.
// Locally the worker and every Durable Object run on this one thread.
//
//   npm run bench:profile [-- --scenario produce|ad-clicks|redirect]
//
// `ad-clicks`: clicks produced 1000 per request (8 connections) while the ad-click aggregator
// (examples/ad-click-aggregator) counts them; `redirect`: single clicks through the example's
// `GET /ads/:ad/click` (8 connections). Both also print total (inclusive) time per function.
import { parseArgs } from "node:util";
import { WebSocket } from "undici";
import { clickRecord } from "../examples/ad-click-aggregator/clicks.mjs";
import { ensurePipeline } from "../examples/ad-click-aggregator/driver.mjs";
import { signImpression } from "../examples/ad-click-aggregator/impressions.mjs";
import { createClickPlan } from "../examples/ad-click-aggregator/load-plan.mjs";
import { startLocalWorker } from "../test/helpers/local-worker.mjs";
import { startAdClicksWorker } from "./ad-clicks.mjs";
import { createClient } from "./http-load.mjs";
import { makeRecords } from "./records.mjs";

const LOAD_MS = 9_000;
const PROFILE_MS = 5_000;

/** Self time grouped by what the code is doing, matched on the function name. */
const GROUPS = [
  ["SQLite append (PartitionStore.append, transactionSync)", /^(append|transactionSync)$/],
  ["JSON.parse of the body (readJson)", /^readJson$/],
  ["produce validation (fast path, zod)", /^(fastParse|isPlainRecord|parseProduceRequest|inst\._zod\..*)$/],
  ["encoding records (encodeRecords, toStored)", /^(encodeRecords|toStored|storedAsSent)$/],
  ["per-record results (resultsJson)", /^resultsJson$/],
  ["idle", /^\(idle\)$/],
  ["garbage collector", /^\(garbage collector\)$/],
];

function rpc(ws) {
  let id = 0;
  const pending = new Map();
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data));
    // The inspector echoes requests; only answers carry a result or an error.
    if (m.id && (m.result || m.error) && pending.has(m.id)) {
      pending.get(m.id)(m);
      pending.delete(m.id);
    }
  };
  return (method, params = {}, awaitAnswer = true) => {
    const message = { id: ++id, method, params };
    ws.send(JSON.stringify(message));
    return awaitAnswer ? new Promise((resolve) => pending.set(message.id, resolve)) : Promise.resolve();
  };
}

function summarize(profile, inclusive) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const self = new Map();
  let total = 0;
  for (const [id, c] of counts) {
    const name = byId.get(id).callFrame.functionName || "(anonymous)";
    self.set(name, (self.get(name) ?? 0) + c);
    total += c;
  }
  const share = (n) => `${((100 * n) / total).toFixed(1).padStart(5)}%`;
  console.log(`\nSelf time by function (${total} samples):`);
  for (const [name, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${share(c)}  ${name}`);
  if (inclusive) {
    // Total time: a sample counts once for every distinct function on its stack.
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const totals = new Map();
    for (const [id, c] of counts) {
      const names = new Set();
      for (let at = id; at !== undefined; at = parent.get(at)) {
        const f = byId.get(at).callFrame;
        names.add(`${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`);
      }
      for (const name of names) totals.set(name, (totals.get(name) ?? 0) + c);
    }
    console.log(`\nTotal time by function:`);
    for (const [name, c] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, 60)) {
      console.log(`  ${share(c)}  ${name}`);
    }
  }
  console.log("\nGrouped:");
  for (const [label, re] of GROUPS) {
    const n = [...self].filter(([name]) => re.test(name)).reduce((a, [, c]) => a + c, 0);
    console.log(`  ${share(n)}  ${label}`);
  }
}

/** The produce scenario: one request, sent over and over. */
async function produceLoad(worker, client) {
  const topic = `profile-${Date.now().toString(36)}`;
  await client.json("POST", "/v1/topics", { name: topic, partitions: 1, replicationFactor: 1 }, worker.token);
  const req = {
    method: "POST",
    path: `/v1/topics/${topic}/partitions/0/records`,
    body: Buffer.from(JSON.stringify({ records: makeRecords(100, 1000) })),
    headers: { "content-type": "application/json", authorization: `Bearer ${worker.token}` },
  };
  return () => req;
}

/** The ad-clicks scenario: fresh clicks per request, as bench/ad-clicks.mjs sends them. */
async function adClicksLoad(worker) {
  await ensurePipeline(worker.url, worker.token);
  const plan = createClickPlan({ ads: 200, prefix: `p${Date.now().toString(36)}` });
  return () => {
    const records = plan.batch(1000).map((c) => clickRecord(c.ad, c.imp, c.t));
    return {
      method: "POST",
      path: "/v1/topics/ad-clicks/records",
      body: Buffer.from(JSON.stringify({ records })),
      headers: { "content-type": "application/json", authorization: `Bearer ${worker.token}` },
    };
  };
}

/** The redirect scenario: one click per request, each on a fresh signed impression. */
async function redirectLoad(worker) {
  await ensurePipeline(worker.url, worker.token);
  const paths = await Promise.all(
    Array.from({ length: 20_000 }, async (_, i) => {
      const ad = `pr-${i % 50}`;
      return `/ads/${ad}/click?impression=${encodeURIComponent(await signImpression(worker.signingKey, ad))}`;
    }),
  );
  let next = 0;
  return () => ({ method: "GET", path: paths[next++ % paths.length] });
}

const SCENARIOS = { produce: produceLoad, "ad-clicks": adClicksLoad, redirect: redirectLoad };

async function main() {
  const { values } = parseArgs({ options: { scenario: { type: "string", default: "produce" } } });
  const scenario = SCENARIOS[values.scenario];
  if (!scenario) throw new Error(`unknown scenario '${values.scenario}': ${Object.keys(SCENARIOS).join(", ")}`);
  const adClicks = values.scenario !== "produce";
  const perRequest = values.scenario === "redirect" ? 1 : 1000;
  // The ad-click scenarios run in the bench's ad-click worker, as `npm run bench` measures them.
  const worker = adClicks ? await startAdClicksWorker() : await startLocalWorker();
  try {
    const client = createClient(worker.url, adClicks ? 8 : 16);
    const next = await scenario(worker, client);
    const load = client.run({ durationMs: LOAD_MS, maxRequests: 100_000, next, count: () => perRequest });
    await new Promise((r) => setTimeout(r, 2_000));
    // wrangler's inspector proxy only takes connections that say where they come from.
    const ws = new WebSocket(`ws://127.0.0.1:${worker.inspectorPort}/ws`, {
      headers: { origin: `http://127.0.0.1:${worker.inspectorPort}` },
    });
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error("could not connect to the inspector"));
    });
    const send = rpc(ws);
    await send("Profiler.enable", {}, false);
    await send("Profiler.setSamplingInterval", { interval: 200 }, false);
    await send("Profiler.start", {}, false);
    await new Promise((r) => setTimeout(r, PROFILE_MS));
    const answer = await send("Profiler.stop");
    ws.close();
    const result = await load;
    const rate = Math.round(result.items / (result.elapsedMs / 1000));
    console.log(
      `load: ${rate.toLocaleString("en-US")} records/s, ${result.errors} errors, while profiling ${PROFILE_MS} ms`,
    );
    summarize(answer.result.profile, adClicks);
  } finally {
    await worker.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
