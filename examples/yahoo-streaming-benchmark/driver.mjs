// @ts-check
/**
 * Driving a running Tributary with the Yahoo Streaming Benchmark and reading back what it
 * counted: shared by the load generator (load.mjs), the verifier (verify.mjs), the benchmark
 * (bench/ysb.mjs) and the end-to-end test. Uses fetch only.
 */
import {
  APP,
  CAMPAIGNS_TOPIC,
  COUNTS_STORE,
  campaignRecords,
  EVENTS_PARTITIONS,
  EVENTS_TOPIC,
  WINDOW_MS,
  windowStart,
} from "./events.mjs";

/**
 * @param {string} url @param {string} token @param {string} method @param {string} path @param {unknown} [body]
 * @returns {Promise<{ status: number, json: any }>}
 */
export async function call(url, token, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  try {
    return { status: res.status, json: JSON.parse(text) };
  } catch {
    throw new Error(`${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

/** @param {{ status: number, json: any }} r @param {string} what */
function ok(r, what) {
  if (r.status >= 300) throw new Error(`${what} failed with ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json;
}

/** Creates a topic unless it exists. @param {string} url @param {string} token @param {string} name @param {number} partitions */
async function ensureTopic(url, token, name, partitions) {
  const created = await call(url, token, "POST", "/v1/topics", { name, partitions, replicationFactor: 1 });
  if (created.status !== 201 && created.json?.error?.code !== "TOPIC_ALREADY_EXISTS") ok(created, `creating ${name}`);
}

/**
 * The topics exist, this run's campaigns are in the campaigns topic (before any event, as YSB
 * loads Redis first), and the app runs.
 * @param {string} url @param {string} token @param {import("./events.mjs").Campaigns} campaigns
 */
export async function preparePipeline(url, token, campaigns) {
  await ensureTopic(url, token, CAMPAIGNS_TOPIC, 1);
  await ensureTopic(url, token, EVENTS_TOPIC, EVENTS_PARTITIONS);
  ok(
    await call(url, token, "POST", `/v1/topics/${CAMPAIGNS_TOPIC}/records`, { records: campaignRecords(campaigns) }),
    "writing the campaigns",
  );
  const started = ok(await call(url, token, "POST", `/v1/apps/${APP}/start`), "starting the ysb app");
  if (started.state !== "running") throw new Error(`the ysb app is ${started.state}: ${started.reason}`);
}

/**
 * The app's total lag (records not yet read by its tasks, global tables apart).
 * @param {string} url @param {string} token
 */
export async function appLag(url, token) {
  return ok(await call(url, token, "GET", `/v1/apps/${APP}`), "describing the ysb app").lag;
}

/**
 * The counts of every campaign in the window starting at `start`, as the store answers now.
 * @param {string} url @param {string} token @param {number} start @returns {Promise<Map<string, number>>}
 */
export async function windowCounts(url, token, start) {
  const answer = ok(
    await call(url, token, "GET", `/v1/apps/${APP}/stores/${COUNTS_STORE}?from=${start}&to=${start}&limit=10000`),
    "querying the counts",
  );
  return new Map(answer.entries.map((/** @type {any} */ e) => [e.key, e.value]));
}

/**
 * Sends events at `rate` per second for `seconds`, open loop: every few milliseconds the events
 * due by then, made with the current time, in produce requests of at most `batch` events, each
 * to the next partition in turn (YSB's events have no key). Calls `onWindowSent(w)` once every
 * event of window `w` has been acknowledged.
 * @param {{ url: string, token: string, rate: number, seconds: number, batch: number,
 *   generator: ReturnType<typeof import("./events.mjs").createGenerator>,
 *   onWindowSent?: (windowStart: number) => void, maxInFlight?: number }} o
 */
export async function sendEvents(o) {
  const started = performance.now();
  const endAt = started + o.seconds * 1000;
  const maxInFlight = o.maxInFlight ?? 16;
  let sent = 0;
  let partition = 0;
  let failures = 0;
  /** @type {string | undefined} */
  let firstError;
  /** Requests in flight, by the newest window their events fall in. @type {Map<number, number>} */
  const inFlight = new Map();
  /** Windows whose events have all been made (the generator's clock passed their end). @type {number[]} */
  const closed = [];
  let firstWindow = windowStart(Date.now());
  const settle = () => {
    const oldestBusy = Math.min(...inFlight.keys(), Number.POSITIVE_INFINITY);
    while (closed.length > 0 && /** @type {number} */ (closed[0]) < oldestBusy) {
      o.onWindowSent?.(/** @type {number} */ (closed.shift()));
    }
  };
  const pending = new Set();
  while (performance.now() < endAt) {
    const due = Math.floor(((performance.now() - started) / 1000) * o.rate) - sent;
    const now = Date.now();
    while (firstWindow + WINDOW_MS <= now) {
      closed.push(firstWindow);
      firstWindow += WINDOW_MS;
    }
    if (due <= 0 || pending.size >= maxInFlight) {
      settle();
      await new Promise((r) => setTimeout(r, 2));
      continue;
    }
    const n = Math.min(due, o.batch);
    const records = Array.from({ length: n }, () => {
      const event = o.generator.next(now);
      return { value: event, timestamp: event.event_time };
    });
    sent += n;
    const w = windowStart(now);
    inFlight.set(w, (inFlight.get(w) ?? 0) + 1);
    const p = partition;
    partition = (partition + 1) % EVENTS_PARTITIONS;
    const request = call(o.url, o.token, "POST", `/v1/topics/${EVENTS_TOPIC}/partitions/${p}/records`, { records })
      .then((r) => {
        if (r.status !== 200) {
          failures++;
          firstError ??= JSON.stringify(r.json).slice(0, 300);
        }
      })
      .catch((err) => {
        failures++;
        firstError ??= String(err);
      })
      .finally(() => {
        const left = (inFlight.get(w) ?? 1) - 1;
        if (left === 0) inFlight.delete(w);
        else inFlight.set(w, left);
        pending.delete(request);
        settle();
      });
    pending.add(request);
  }
  await Promise.all(pending);
  const stoppedAt = Date.now();
  // Every window before the one the load stopped in has had all its events.
  for (; firstWindow < windowStart(stoppedAt); firstWindow += WINDOW_MS) closed.push(firstWindow);
  settle();
  return { sent, failures, firstError, elapsedMs: performance.now() - started, stoppedAt };
}

/**
 * Times each window's counts: from the window's end (event time is the sender's clock, so it is
 * the wall-clock time it ended) to the first answer of the store in which a campaign's count is
 * its final one, for every campaign of the window. Windows are watched from the moment their
 * events have all been acknowledged; call `watch(w)` then, and `done()` after the last.
 * @param {{ url: string, token: string, generator: ReturnType<typeof import("./events.mjs").createGenerator>,
 *   pollMs?: number, timeoutMs?: number }} o
 */
export function createWindowWatcher(o) {
  const pollMs = o.pollMs ?? 20;
  const timeoutMs = o.timeoutMs ?? 60_000;
  /** @type {number[]} */
  const latencies = [];
  /** @type {string[]} */
  const problems = [];
  /** @type {Promise<void>[]} */
  const watching = [];
  let windows = 0;
  const watchOne = async (/** @type {number} */ start, /** @type {boolean} */ timed) => {
    const end = start + WINDOW_MS;
    const truth = o.generator.window(start);
    const waiting = new Set(truth.keys());
    const deadline = Date.now() + timeoutMs;
    while (waiting.size > 0) {
      const counts = await windowCounts(o.url, o.token, start);
      const at = Date.now();
      for (const campaign of [...waiting]) {
        const n = counts.get(campaign) ?? 0;
        const want = /** @type {number} */ (truth.get(campaign));
        if (n > want) {
          problems.push(
            `window ${new Date(start).toISOString()} campaign ${campaign}: counted ${n}, more than the ${want} views sent`,
          );
          waiting.delete(campaign);
        } else if (n === want) {
          if (timed) latencies.push(at - end);
          waiting.delete(campaign);
        }
      }
      if (waiting.size === 0) break;
      if (at > deadline) {
        for (const campaign of waiting) {
          problems.push(
            `window ${new Date(start).toISOString()} campaign ${campaign}: ${counts.get(campaign) ?? 0} counted, ${truth.get(campaign)} views sent (after ${timeoutMs / 1000} s)`,
          );
        }
        break;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    windows++;
  };
  return {
    /** Watches window `start` (timed: whether its latency counts; a window ending after the load stopped is only checked). */
    watch(/** @type {number} */ start, timed = true) {
      watching.push(watchOne(start, timed));
    },
    async done() {
      await Promise.all(watching);
      latencies.sort((a, b) => a - b);
      const at = (/** @type {number} */ q) =>
        latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : undefined;
      return { windows, samples: latencies.length, p50: at(0.5), p99: at(0.99), max: latencies.at(-1), problems };
    },
  };
}

/**
 * Runs the benchmark once: this run's campaigns, events at `rate` for `seconds`, every window
 * watched until exact. Windows that end while the load runs are timed; the last (partial) one,
 * which ends after the load stopped, is only checked.
 * @param {{ url: string, token: string, rate: number, seconds: number, batch?: number, pollMs?: number,
 *   campaigns: import("./events.mjs").Campaigns, generator: ReturnType<typeof import("./events.mjs").createGenerator> }} o
 */
export async function runOnce(o) {
  await preparePipeline(o.url, o.token, o.campaigns);
  const watcher = createWindowWatcher({ url: o.url, token: o.token, generator: o.generator, pollMs: o.pollMs });
  const load = await sendEvents({
    url: o.url,
    token: o.token,
    rate: o.rate,
    seconds: o.seconds,
    batch: o.batch ?? 1000,
    generator: o.generator,
    onWindowSent: (w) => watcher.watch(w),
  });
  // The window the load stopped in: its count is final now, but it ended later than its last event.
  const last = windowStart(load.stoppedAt);
  if (o.generator.window(last).size > 0) watcher.watch(last, false);
  const result = await watcher.done();
  if (load.failures) result.problems.push(`${load.failures} produce requests failed, first: ${load.firstError}`);
  return { ...result, sent: load.sent, offeredRate: load.sent / (load.elapsedMs / 1000), truth: o.generator.truth() };
}
