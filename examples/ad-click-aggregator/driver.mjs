// @ts-check
/**
 * Driving a running Tributary (local or deployed) with ad clicks and reading back what it
 * counted: shared by the load generator (load.mjs), the verifier (verify.mjs), the benchmark
 * (bench/ad-clicks.mjs) and the end-to-end tests. Uses fetch only.
 */
import { CLICKS_PARTITIONS, CLICKS_TOPIC, clickRecord, MINUTE_MS, windowStart } from "./clicks.mjs";

const APP = "ad-clicks";
const STORES = { minute: "clicks-per-minute", hour: "clicks-per-hour" };

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
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, json };
}

/** @param {{ status: number, json: any }} r @param {string} what */
function ok(r, what) {
  if (r.status >= 300) throw new Error(`${what} failed with ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json;
}

/**
 * The clicks topic exists (CLICKS_PARTITIONS partitions) and the aggregator app runs.
 * @param {string} url @param {string} token
 */
export async function ensurePipeline(url, token) {
  const created = await call(url, token, "POST", "/v1/topics", {
    name: CLICKS_TOPIC,
    partitions: CLICKS_PARTITIONS,
    replicationFactor: 1,
  });
  if (created.status !== 201 && created.json?.error?.code !== "TOPIC_ALREADY_EXISTS")
    ok(created, "creating the clicks topic");
  const started = ok(await call(url, token, "POST", `/v1/apps/${APP}/start`), "starting the ad-clicks app");
  if (started.state !== "running") throw new Error(`the ad-clicks app is ${started.state}: ${started.reason}`);
}

/**
 * Appends clicks to the clicks topic in one produce request (as a fleet of click handlers would
 * in aggregate), each with its own event time.
 * @param {string} url @param {string} token @param {import("./clicks.mjs").SentClick[]} clicks
 */
export async function produceClicks(url, token, clicks) {
  const records = clicks.map((c) => clickRecord(c.ad, c.imp, c.t));
  const r = await call(url, token, "POST", `/v1/topics/${CLICKS_TOPIC}/records`, { records });
  ok(r, `producing ${clicks.length} clicks`);
}

/**
 * Clicks through the redirect endpoint, the way a browser does: an impression from the ad
 * server (which holds the token), then GET /ads/:ad/click?impression=… (no token, not following
 * the redirect). `repeat` clicks the same impression that many times more (a double click; it
 * must count once).
 * @param {string} url @param {string} token @param {string} ad @param {{ repeat?: number }} [options]
 * @returns {Promise<{ nonce: string, answers: { status: number, location: string | null, counted: string | null }[] }>}
 */
export async function clickThroughRedirect(url, token, ad, options = {}) {
  const res = await fetch(`${url}/ads/${ad}/impressions?n=1`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /ads/${ad}/impressions failed with ${res.status}: ${await res.text()}`);
  const { impressions } = /** @type {{ impressions: { id: string, clickUrl: string }[] }} */ (await res.json());
  const impression = /** @type {{ id: string, clickUrl: string }} */ (impressions[0]);
  const answers = [];
  for (let i = 0; i <= (options.repeat ?? 0); i++) {
    const click = await fetch(impression.clickUrl, { redirect: "manual" });
    await click.arrayBuffer();
    answers.push({
      status: click.status,
      location: click.headers.get("location"),
      counted: click.headers.get("x-click-counted"),
    });
  }
  return { nonce: /** @type {string} */ (impression.id.split(".")[0]), answers };
}

/**
 * Waits until the clock is at least `marginMs` past a minute boundary and `marginMs` before the
 * next, so that a click timed by the server lands in the minute the caller expects.
 * @param {number} [marginMs]
 */
export async function awayFromMinuteEdge(marginMs = 300) {
  const into = Date.now() % MINUTE_MS;
  if (into < marginMs) await new Promise((r) => setTimeout(r, marginMs - into));
  else if (into > MINUTE_MS - marginMs) await new Promise((r) => setTimeout(r, MINUTE_MS - into + marginMs));
  return windowStart(Date.now(), MINUTE_MS);
}

/**
 * An ad's counts from the advertiser query API: window start → count.
 * @param {string} url @param {string} token @param {string} ad @param {"minute" | "hour"} granularity
 * @param {number} from @param {number} to
 * @returns {Promise<Record<string, number>>}
 */
export async function adCounts(url, token, ad, granularity, from, to) {
  const r = ok(
    await call(url, token, "GET", `/ads/${ad}/counts?from=${from}&to=${to}&granularity=${granularity}`),
    `counts of ${ad}`,
  );
  /** @type {Record<string, number>} */
  const out = {};
  for (const w of r.windows) out[String(w.start)] = w.count;
  return out;
}

/**
 * Every ad's counts in a store between two window starts, in one store query, keeping the ads
 * that start with `prefix`: ad → window start → count.
 * @param {string} url @param {string} token @param {"minute" | "hour"} granularity
 * @param {number} from @param {number} to @param {string} prefix
 * @returns {Promise<import("./clicks.mjs").CountsByAd>}
 */
export async function storeCounts(url, token, granularity, from, to, prefix) {
  const r = ok(
    await call(url, token, "GET", `/v1/apps/${APP}/stores/${STORES[granularity]}?from=${from}&to=${to}&limit=10000`),
    `reading ${STORES[granularity]}`,
  );
  if (r.entries.length === 10_000)
    throw new Error(`${STORES[granularity]} holds too many entries to read in one query`);
  /** @type {import("./clicks.mjs").CountsByAd} */
  const out = {};
  for (const e of r.entries) {
    if (!String(e.key).startsWith(prefix)) continue;
    out[e.key] = { ...out[e.key], [String(e.windowStart)]: e.value.count };
  }
  return out;
}

/**
 * The differences between expected and answered counts, as lines to print (none: exact).
 * @param {import("./clicks.mjs").CountsByAd} expected @param {import("./clicks.mjs").CountsByAd} actual
 * @param {string} what
 */
export function differences(expected, actual, what) {
  const lines = [];
  for (const ad of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const e = expected[ad] ?? {};
    const a = actual[ad] ?? {};
    for (const start of new Set([...Object.keys(e), ...Object.keys(a)])) {
      if ((e[start] ?? 0) !== (a[start] ?? 0)) {
        lines.push(
          `${what} ${ad} ${new Date(Number(start)).toISOString()}: expected ${e[start] ?? 0}, answered ${a[start] ?? 0}`,
        );
      }
    }
  }
  return lines;
}

/**
 * The first and last window start of the expected counts.
 * @param {import("./clicks.mjs").CountsByAd} counts
 */
export function windowRange(counts) {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const perAd of Object.values(counts)) {
    for (const start of Object.keys(perAd)) {
      from = Math.min(from, Number(start));
      to = Math.max(to, Number(start));
    }
  }
  return { from, to };
}
