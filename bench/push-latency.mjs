// End-to-end latency from produce to a consumer: a paced producer posts records whose value
// carries the time they were sent, and one consumer of the same partition, in the same process
// (so both read one clock), notes when each arrives. The consumer is a push subscriber
// (WebSocket or Server-Sent Events) or a long-poll fetch loop.
//
// Node 20 has WebSocket only behind --experimental-websocket, so scenarios/latency.mjs calls
// `measureLatency` in a child `node --experimental-websocket bench/push-latency.mjs '<options
// JSON>'` when `globalThis.WebSocket` is missing; the child prints its result as JSON on stdout.
import { spawn, spawnSync } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";

const REQUEST_TIMEOUT_MS = 10_000;
const LONG_POLL_WAIT_MS = 5_000;
/** The JSON text of every produce record is this long, like the 100 B rows of the bench. */
const RECORD_BYTES = 100;

/**
 * @typedef {{
 *   url: string, token: string, topic: string,
 *   consumer: "websocket" | "sse" | "longpoll",
 *   perRequest: number, recordsPerSecond: number, tickMs: number,
 *   warmupMs: number, durationMs: number, drainMs: number, maxRecords: number,
 * }} LatencyOptions
 * @typedef {{
 *   consumer: string, perRequest: number, recordsPerSecond: number, tickMs: number,
 *   sent: number, acknowledged: number, produceErrors: number, firstProduceError?: string, unanswered: number,
 *   received: number, measured: number, missing: number, late: number, outOfOrder: number, duplicates: number,
 *   firstConsumerError?: string, sendRate: number, elapsedMs: number, drainedMs: number,
 *   latencyMs: { p50: number, p99: number, max: number, min: number, mean: number },
 *   produceLatencyMs: { p50: number, p99: number, max: number },
 *   consumerRequests?: number,
 * }} LatencyResult
 */

/** One produce record of exactly RECORD_BYTES bytes of JSON whose value says when it was sent. */
function recordJson(/** @type {number} */ seq, /** @type {number} */ t, /** @type {boolean} */ warm) {
  const head = `{"value":{"seq":${seq},"t":${t.toFixed(3)},"warm":${warm ? 1 : 0},"data":"`;
  const tail = `"}}`;
  return `${head}${"x".repeat(Math.max(0, RECORD_BYTES - head.length - tail.length))}${tail}`;
}

/** Nearest-rank quantile of sorted values. */
const at = (/** @type {number[]} */ sorted, /** @type {number} */ q) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** @param {LatencyOptions} o @returns {Promise<LatencyResult>} */
export async function measureLatency(o) {
  const base = new URL(o.url);
  const path = `/v1/topics/${encodeURIComponent(o.topic)}/partitions/0`;
  const auth = { authorization: `Bearer ${o.token}` };
  // The producer and a long-poll consumer each have their own keep-alive connections.
  const produceAgent = new http.Agent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 32 });
  const pollAgent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });

  /** @returns {Promise<{ status: number, body: string }>} */
  function request(/** @type {http.Agent} */ agent, method, reqPath, /** @type {string | undefined} */ body) {
    return new Promise((resolve, reject) => {
      /** @type {Record<string, string>} */
      const headers = { ...auth };
      if (body !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(Buffer.byteLength(body));
      }
      const r = http.request({ agent, host: base.hostname, port: base.port, method, path: reqPath, headers }, (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on("data", (/** @type {Buffer} */ c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      r.setTimeout(REQUEST_TIMEOUT_MS, () => r.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      r.on("error", reject);
      r.end(body);
    });
  }

  // ---- the consumer side ----
  /** The records whose produce was acknowledged: their seq and the offset the answer gave. */
  /** @type {{ seq: number, offset: number }[]} */
  const acked = [];
  /** @type {Set<number>} */
  const seen = new Set();
  /** @type {number[]} */
  const latencies = [];
  let received = 0;
  let expectedOffset = -1;
  let outOfOrder = 0;
  let duplicates = 0;
  /** @type {string | undefined} */
  let firstConsumerError;
  let consumerRequests = 0;

  /**
   * Takes one page `{"records":[...],"nextOffset"}` that arrived at `now`; answers its nextOffset.
   * @returns {number}
   */
  function take(/** @type {string} */ text, /** @type {number} */ now) {
    const page = JSON.parse(text);
    for (const r of page.records) {
      received++;
      if (expectedOffset >= 0 && r.offset !== expectedOffset) outOfOrder++;
      expectedOffset = r.offset + 1;
      const { seq, t, warm } = r.value;
      if (seen.has(seq)) {
        duplicates++;
        continue;
      }
      seen.add(seq);
      if (!warm) latencies.push(now - t);
    }
    return page.nextOffset;
  }

  let closed = false;
  /** @type {() => void} */
  let closeConsumer = () => {};
  /** @type {Promise<void>} */
  let consumerReady;
  if (o.consumer === "websocket") {
    const WS = /** @type {any} */ (globalThis).WebSocket;
    if (typeof WS !== "function") throw new Error("this Node has no WebSocket (run it with --experimental-websocket)");
    const wsUrl = new URL(`${path}/subscribe?offset=latest&token=${encodeURIComponent(o.token)}`, base);
    wsUrl.protocol = "ws:";
    const ws = new WS(wsUrl);
    consumerReady = new Promise((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = (/** @type {any} */ e) => {
        const message = `WebSocket error: ${e?.message ?? e?.error?.message ?? "unknown"}`;
        firstConsumerError ??= message;
        reject(new Error(message));
      };
    });
    ws.onmessage = (/** @type {{ data: unknown }} */ e) => {
      const now = performance.now();
      consumerRequests++;
      try {
        take(String(e.data), now);
      } catch (err) {
        firstConsumerError ??= `a message did not parse: ${/** @type {Error} */ (err).message}`;
      }
    };
    ws.onclose = (/** @type {{ code: number, reason: string }} */ e) => {
      if (!closed) firstConsumerError ??= `the WebSocket closed early: ${e.code} ${e.reason}`;
    };
    closeConsumer = () => ws.close();
  } else if (o.consumer === "sse") {
    const abort = new AbortController();
    const res = await fetch(new URL(`${path}/subscribe?offset=latest`, base), {
      headers: { ...auth, accept: "text/event-stream" },
      signal: abort.signal,
    });
    if (!res.ok || !res.body) throw new Error(`subscribe answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    // The first event ("retry: 1000") says the stream is open.
    let opened = () => {};
    consumerReady = new Promise((resolve) => {
      opened = resolve;
    });
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const now = performance.now();
          buffered += value;
          opened();
          let end = buffered.indexOf("\n\n");
          while (end !== -1) {
            const event = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const data = event
              .split("\n")
              .filter((l) => l.startsWith("data: "))
              .map((l) => l.slice(6))
              .join("\n");
            if (data) {
              consumerRequests++;
              take(data, now);
            }
            end = buffered.indexOf("\n\n");
          }
        }
        if (!closed) firstConsumerError ??= "the event stream ended early";
      } catch (err) {
        if (!closed) firstConsumerError ??= `the event stream failed: ${/** @type {Error} */ (err).message}`;
      }
    })();
    closeConsumer = () => abort.abort();
  } else {
    // Long poll: one fetch in flight, from the partition's end, each starting at the last nextOffset.
    const start = await request(pollAgent, "GET", `${path}/offsets?at=latest`);
    if (start.status !== 200) throw new Error(`offsets answered ${start.status}: ${start.body.slice(0, 300)}`);
    let offset = JSON.parse(start.body).offset;
    void (async () => {
      while (!closed) {
        try {
          consumerRequests++;
          const res = await request(
            pollAgent,
            "GET",
            `${path}/records?offset=${offset}&maxRecords=1000&waitMs=${LONG_POLL_WAIT_MS}`,
          );
          const now = performance.now();
          if (res.status !== 200) throw new Error(`a long poll answered ${res.status}: ${res.body.slice(0, 300)}`);
          offset = take(res.body, now);
        } catch (err) {
          if (!closed) firstConsumerError ??= /** @type {Error} */ (err).message;
          break;
        }
      }
    })();
    // The first poll is parked when the producer starts (it would only be read at once otherwise).
    consumerReady = new Promise((r) => setTimeout(r, 100));
  }

  // ---- the producer side ----
  let sent = 0;
  let acknowledged = 0;
  let produceErrors = 0;
  /** @type {string | undefined} */
  let firstProduceError;
  /** @type {number[]} */
  const produceLatencies = [];
  /** @type {Set<Promise<void>>} */
  const inFlight = new Set();
  const produce = () => {
    const n = Math.min(o.perRequest, o.maxRecords - sent);
    if (n <= 0) return;
    const t = performance.now();
    const warm = t - startedAt < o.warmupMs;
    const seqs = Array.from({ length: n }, (_, i) => sent + i);
    sent += n;
    const body = `{"records":[${seqs.map((s) => recordJson(s, t, warm)).join(",")}]}`;
    const p = request(produceAgent, "POST", `${path}/records`, body).then(
      (res) => {
        produceLatencies.push(performance.now() - t);
        if (res.status === 200) {
          acknowledged += n;
          // The records of one request are appended together, at contiguous offsets.
          const base = Number(/"offset":(\d+)/.exec(res.body)?.[1] ?? Number.NaN);
          seqs.forEach((seq, i) => {
            acked.push({ seq, offset: base + i });
          });
        } else {
          produceErrors++;
          firstProduceError ??= `produce answered ${res.status}: ${res.body.slice(0, 300)}`;
        }
      },
      (err) => {
        produceErrors++;
        firstProduceError ??= `produce failed: ${/** @type {Error} */ (err).message}`;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  let startedAt = 0;
  let elapsedMs = 0;
  let drainedMs = 0;
  try {
    await Promise.race([
      consumerReady,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`the ${o.consumer} consumer was not ready within 10 s`)), 10_000).unref(),
      ),
    ]);
    startedAt = performance.now();
    const total = o.warmupMs + o.durationMs;
    // Every tick sends what the schedule says is due by now, `perRequest` records per request.
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now() - startedAt;
        const due = Math.min(o.maxRecords, Math.floor((Math.min(now, total) * o.recordsPerSecond) / 1000));
        while (due - sent >= o.perRequest || (now >= total && sent < due)) produce();
        if (now >= total || sent >= o.maxRecords) {
          clearInterval(timer);
          resolve(undefined);
        }
      }, o.tickMs);
    });
    elapsedMs = performance.now() - startedAt;
    // Drain: every answered produce, and every acknowledged record at the consumer, or the deadline.
    const drainStart = performance.now();
    while (performance.now() - drainStart < o.drainMs) {
      if (inFlight.size === 0 && seen.size >= acknowledged) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    drainedMs = performance.now() - drainStart;
  } finally {
    closed = true;
    closeConsumer();
    produceAgent.destroy();
    pollAgent.destroy();
  }

  // An acknowledged record that did not arrive was skipped (missing) when it lies below where the
  // consumer got to, or was still on its way (late) when the drain ended.
  const notSeen = acked.filter((a) => !seen.has(a.seq));
  const late = notSeen.filter((a) => !(a.offset < expectedOffset)).length;
  const missing = notSeen.length - late;
  latencies.sort((a, b) => a - b);
  produceLatencies.sort((a, b) => a - b);
  return {
    consumer: o.consumer,
    perRequest: o.perRequest,
    recordsPerSecond: o.recordsPerSecond,
    tickMs: o.tickMs,
    sent,
    acknowledged,
    produceErrors,
    firstProduceError,
    unanswered: sent - acknowledged - produceErrors,
    received,
    measured: latencies.length,
    missing,
    late,
    outOfOrder,
    duplicates,
    firstConsumerError,
    sendRate: sent / (elapsedMs / 1000),
    elapsedMs,
    drainedMs,
    consumerRequests,
    latencyMs: {
      p50: at(latencies, 0.5),
      p99: at(latencies, 0.99),
      max: latencies[latencies.length - 1] ?? 0,
      min: latencies[0] ?? 0,
      mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    },
    produceLatencyMs: {
      p50: at(produceLatencies, 0.5),
      p99: at(produceLatencies, 0.99),
      max: produceLatencies[produceLatencies.length - 1] ?? 0,
    },
  };
}

/**
 * How this Node can run a WebSocket consumer: in this process, in a child started with
 * --experimental-websocket, or not at all (then the push rows use SSE).
 * @returns {"in-process" | "child" | "none"}
 */
export function webSocketSupport() {
  if (typeof (/** @type {any} */ (globalThis).WebSocket) === "function") return "in-process";
  const probe = spawnSync(
    process.execPath,
    ["--experimental-websocket", "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"],
    { stdio: "ignore", timeout: 10_000 },
  );
  return probe.status === 0 ? "child" : "none";
}

/**
 * Runs `measureLatency` in a child `node --experimental-websocket`, bounded by the options'
 * times. `track` gets a function that kills the child, for the caller's cleanup.
 * @param {LatencyOptions} o @param {(kill: () => void) => () => void} track
 * @returns {Promise<LatencyResult>}
 */
export function measureLatencyInChild(o, track) {
  const limitMs = o.warmupMs + o.durationMs + o.drainMs + 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--experimental-websocket", "--no-warnings", fileURLToPath(import.meta.url), JSON.stringify(o)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const untrack = track(() => child.kill("SIGKILL"));
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (/** @type {Buffer} */ c) => {
      stdout += c;
    });
    child.stderr.on("data", (/** @type {Buffer} */ c) => {
      stderr = (stderr + c).slice(-4000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      untrack();
      if (code === 0) {
        try {
          resolve(JSON.parse(stdout));
          return;
        } catch {
          // fall through
        }
      }
      reject(new Error(`the latency child exited with ${signal ?? code}: ${stderr.trim() || stdout.slice(0, 500)}`));
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const result = await measureLatency(JSON.parse(process.argv[2] ?? "{}"));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    process.stderr.write(`${/** @type {Error} */ (err).stack ?? err}\n`);
    process.exitCode = 1;
  }
}
