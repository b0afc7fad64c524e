// Durable Streams protocol throughput: Tributary's /ds mount next to the protocol's reference
// server (@durable-streams/server, file-backed, in a child process on a free loopback port, data
// in a temporary directory), with the same requests to both.
//   append: `connections` producers, each its own Producer-Id with sequences 0, 1, 2…, POST
//           batches of `batch` JSON messages of about 100 B each (as the client's
//           IdempotentProducer sends them) to one stream, each sending its next batch when the
//           last is answered.
//   read:   `connections` readers, each reading a stream of `readMessages` messages from
//           offset -1 to the end (following Stream-Next-Offset until Stream-Up-To-Date), again
//           and again: a catch-up read.
// Part of `npm run bench` (bench/run.mjs calls durableStreamsScenarios each round); also runs
// alone: `node bench/durable-streams.mjs [--runs N] [--quick]` starts its own worker.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { childStopper, freePort, ROOT, startLocalWorker } from "../test/helpers/local-worker.mjs";
import { fmt, fmtRatio, markdownTable, summarize } from "./report.mjs";

const MESSAGE_BYTES = 100;
const BATCH = 100;
const REQUEST_TIMEOUT_MS = 30_000;

/** @param {{ quick?: boolean, connections?: number }} o */
function settings(o) {
  return {
    connections: o.connections ?? 16,
    batch: BATCH,
    appendMs: o.quick ? 1_000 : 3_000,
    warmupMs: o.quick ? 200 : 500,
    readMs: o.quick ? 1_000 : 3_000,
    readMessages: o.quick ? 5_000 : 20_000,
    maxRequests: 200_000,
  };
}

/** The reference server, file-backed, in a child process. */
export async function startReferenceServer() {
  const dir = mkdtempSync(join(tmpdir(), "tributary-bench-ds-reference-"));
  const port = await freePort();
  const script = `
    import { DurableStreamTestServer } from "@durable-streams/server";
    const server = new DurableStreamTestServer({ dataDir: ${JSON.stringify(dir)}, port: ${port}, host: "127.0.0.1" });
    const url = await server.start();
    process.stdout.write(JSON.stringify({ url }) + "\\n");
    process.on("SIGTERM", () => server.stop().finally(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const { stop } = childStopper(child, dir);
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the reference server did not start:\n${output}`)), 15_000);
    child.stderr.on("data", (c) => (output += c));
    child.stdout.on("data", (c) => {
      output += c;
      const line = output.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line).url);
      }
    });
    child.on("exit", (code) => reject(new Error(`the reference server exited (${code}):\n${output}`)));
  });
  return { url: /** @type {string} */ (url), stop };
}

/**
 * A keep-alive HTTP client for one server; the whole answer is read.
 * @param {string} baseUrl
 */
function httpClient(baseUrl, connections) {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  /**
   * @param {string} method @param {string} path @param {Record<string, string>} headers @param {Buffer} [body]
   * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: Buffer }>}
   */
  const send = (method, path, headers, body) =>
    new Promise((resolve, reject) => {
      const h = { ...headers };
      if (body) h["content-length"] = String(body.length);
      const req = http.request({ agent, host: url.hostname, port: url.port, method, path, headers: h }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy(), prefix: url.pathname.replace(/\/$/, "") };
}

/** One POST body: a JSON array of `batch` messages of about MESSAGE_BYTES each. */
function batchBody(batch) {
  const pad = "x".repeat(MESSAGE_BYTES - 24);
  return Buffer.from(JSON.stringify(Array.from({ length: batch }, (_, i) => ({ i: 1e6 + i, pad }))));
}

/**
 * @param {ReturnType<typeof httpClient>} client @param {Record<string, string>} auth
 * @param {string} path @param {ReturnType<typeof settings>} s
 */
async function appendLoad(client, auth, path, s) {
  const create = await client.send("PUT", path, { ...auth, "content-type": "application/json" });
  if (create.status !== 201) throw new Error(`PUT ${path} answered ${create.status}: ${create.body}`);
  const body = batchBody(s.batch);
  const seqs = new Array(s.connections).fill(0);
  let requests = 0;
  let errors = 0;
  let firstError;
  const run = async (durationMs) => {
    const deadline = Date.now() + durationMs;
    let ok = 0;
    const started = performance.now();
    await Promise.all(
      seqs.map(async (_, c) => {
        while (Date.now() < deadline && requests < s.maxRequests) {
          requests++;
          const headers = {
            ...auth,
            "content-type": "application/json",
            "producer-id": `bench-${c}`,
            "producer-epoch": "0",
            "producer-seq": String(seqs[c]),
          };
          const res = await client.send("POST", path, headers, body);
          if (res.status === 200 || res.status === 204) {
            seqs[c]++;
            ok++;
          } else {
            errors++;
            firstError ??= `${res.status} ${res.body.toString().slice(0, 200)}`;
          }
        }
      }),
    );
    return { ok, elapsedMs: performance.now() - started };
  };
  await run(s.warmupMs);
  const r = await run(s.appendMs);
  // What was acknowledged must all be there: the stream's messages are counted, not assumed.
  const stored = await readAll(client, auth, path);
  const acknowledged = seqs.reduce((n, q) => n + q, 0) * s.batch;
  if (stored.messages !== acknowledged) {
    throw new Error(`${path} holds ${stored.messages} messages but ${acknowledged} were acknowledged`);
  }
  const records = r.ok * s.batch;
  const seconds = r.elapsedMs / 1000;
  return {
    rate: records / seconds,
    mbPerSecond: (r.ok * body.length) / seconds / 1e6,
    detail: { requests: r.ok, requestsPerSecond: r.ok / seconds, errors, firstError, elapsedMs: r.elapsedMs },
  };
}

/** Reads a stream from offset -1 to its end. */
async function readAll(client, auth, path) {
  let offset = "-1";
  let messages = 0;
  let bytes = 0;
  for (let pages = 0; pages < 10_000; pages++) {
    const res = await client.send("GET", `${path}?offset=${offset}`, auth);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.toString().slice(0, 200)}`);
    messages += JSON.parse(res.body.toString()).length;
    bytes += res.body.length;
    offset = String(res.headers["stream-next-offset"]);
    if (res.headers["stream-up-to-date"] === "true") return { messages, bytes };
  }
  throw new Error(`${path}: no end after 10,000 pages`);
}

/** @param {ReturnType<typeof httpClient>} client @param {Record<string, string>} auth @param {string} path @param {ReturnType<typeof settings>} s */
async function readLoad(client, auth, path, s) {
  const create = await client.send("PUT", path, { ...auth, "content-type": "application/json" });
  if (create.status !== 201) throw new Error(`PUT ${path} answered ${create.status}`);
  const fill = batchBody(1000);
  for (let n = 0; n < s.readMessages; n += 1000) {
    const res = await client.send("POST", path, { ...auth, "content-type": "application/json" }, fill);
    if (res.status !== 204)
      throw new Error(`POST ${path} answered ${res.status}: ${res.body.toString().slice(0, 200)}`);
  }
  const deadline = Date.now() + s.readMs;
  let messages = 0;
  let bytes = 0;
  let passes = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: s.connections }, async () => {
      while (Date.now() < deadline) {
        const r = await readAll(client, auth, path);
        if (r.messages !== s.readMessages) throw new Error(`read ${r.messages} of ${s.readMessages} messages`);
        messages += r.messages;
        bytes += r.bytes;
        passes++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    rate: messages / seconds,
    mbPerSecond: bytes / seconds / 1e6,
    detail: { passes, elapsedMs: seconds * 1000 },
  };
}

/** @type {{ url: string, stop: () => Promise<void> } | null} */
let reference = null;

/**
 * One round of the Durable Streams rows, for `npm run bench` (or `main` below).
 * @param {{
 *   worker: { url: string }, token: string, o: { quick?: boolean, connections?: number }, round: number,
 *   record: (id: string, label: string, unit: string, value: number, detail?: object) => void,
 *   log: (line: string) => void, cleanups?: (() => Promise<void>)[],
 * }} ctx
 */
export async function durableStreamsScenarios({ worker, token, o, round, record, log, cleanups }) {
  const s = settings(o);
  if (!reference) {
    reference = await startReferenceServer();
    const started = reference;
    cleanups?.push(async () => {
      await started.stop();
      reference = null;
    });
    log(`Durable Streams reference server (@durable-streams/server, file-backed) at ${reference.url}`);
  }
  const servers = [
    { id: "tributary", label: "Tributary /ds", client: httpClient(`${worker.url}/ds`, s.connections) },
    { id: "reference", label: "reference server", client: httpClient(reference.url, s.connections) },
  ];
  const auth = { authorization: `Bearer ${token}` };
  const shape = `${s.batch} × ${MESSAGE_BYTES} B JSON messages per POST, ${s.connections} producers, one stream`;
  /** @type {Record<string, { append?: number, read?: number }>} */
  const rates = {};
  try {
    for (const server of servers) {
      const { client } = server;
      const tag = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
      const a = await appendLoad(client, auth, `${client.prefix}/bench/append-r${round}-${tag}`, s);
      if (a.detail.errors) log(`  ! ${server.label}: ${a.detail.errors} failed appends, first: ${a.detail.firstError}`);
      record(`ds.append.${server.id}`, `Durable Streams append, ${server.label}, ${shape}`, "records/s", a.rate, {
        ...a.detail,
        mbPerSecond: a.mbPerSecond,
      });
      record(`ds.append.${server.id}.mb`, `Durable Streams append, ${server.label}`, "MB/s", a.mbPerSecond);
      const r = await readLoad(client, auth, `${client.prefix}/bench/read-r${round}-${tag}`, s);
      record(
        `ds.read.${server.id}`,
        `Durable Streams catch-up read, ${server.label}, ${s.readMessages} × ${MESSAGE_BYTES} B, ${s.connections} readers`,
        "records/s",
        r.rate,
        { ...r.detail, mbPerSecond: r.mbPerSecond },
      );
      record(`ds.read.${server.id}.mb`, `Durable Streams catch-up read, ${server.label}`, "MB/s", r.mbPerSecond);
      rates[server.id] = { append: a.rate, read: r.rate };
    }
  } finally {
    for (const server of servers) server.client.close();
  }
  const t = rates.tributary;
  const ref = rates.reference;
  record("ds.append.ratio", "Durable Streams append, Tributary ÷ reference server", "×", t.append / ref.append);
  record("ds.read.ratio", "Durable Streams catch-up read, Tributary ÷ reference server", "×", t.read / ref.read);
}

async function main() {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "3" }, quick: { type: "boolean", default: false } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error(`--runs must be 1 to 20, got ${values.runs}`);
  const log = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);
  /** @type {Map<string, { label: string, unit: string, values: number[] }>} */
  const rows = new Map();
  const record = (id, label, unit, value) => {
    if (!rows.has(id)) rows.set(id, { label, unit, values: [] });
    rows.get(id).values.push(value);
    log(`  ${label.padEnd(100)} ${fmt(value).padStart(10)} ${unit}`);
  };
  /** @type {(() => Promise<void>)[]} */
  const cleanups = [];
  const worker = await startLocalWorker({
    frozen: true,
    config: join(ROOT, "bench/wrangler.toml"),
    vars: { TRIBUTARY_TOKENS: "dev-token" },
  });
  cleanups.push(worker.stop);
  try {
    for (let round = 1; round <= runs; round++) {
      log(`round ${round}/${runs}`);
      await durableStreamsScenarios({
        worker,
        token: worker.token,
        o: { quick: values.quick },
        round,
        record,
        log,
        cleanups,
      });
    }
  } finally {
    for (const stop of cleanups.reverse()) await stop();
  }
  const body = [...rows.values()].map((row) => {
    const m = summarize(row.values);
    const value = row.unit === "×" ? fmtRatio(m.median) : fmt(m.median);
    const range = row.unit === "×" ? `${fmtRatio(m.min)}–${fmtRatio(m.max)}` : `${fmt(m.min)}–${fmt(m.max)}`;
    return [row.label, value, range, row.unit];
  });
  console.log(markdownTable(["scenario", "median", "min–max", "unit"], body));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
