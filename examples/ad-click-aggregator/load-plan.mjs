// @ts-check
/**
 * The clicks a load run sends: ads drawn from a Zipf distribution plus one hot ad that takes a
 * large share of all clicks, repeated clicks on the same impression, clicks that arrive out of
 * order (a few seconds late, within the grace period) and clicks that arrive too late (minutes
 * behind, after their minute has closed). Each click carries the generator's clock when it was
 * sent (`seenAt`), from which the expected counts are computed (see clicks.mjs).
 */
import { GRACE_MS, HOUR_MS, windowStart } from "./clicks.mjs";

/**
 * @typedef {object} PlanOptions
 * @property {number} [ads] ads in the Zipf distribution (default 1000)
 * @property {number} [zipfExponent] s of the Zipf distribution (default 1)
 * @property {number} [hotShare] share of all clicks that go to the hot ad (default 0.4)
 * @property {number} [duplicateRate] share of clicks that repeat a recent impression (default 0.03)
 * @property {number} [outOfOrderRate] share of clicks up to `maxOutOfOrderMs` behind (default 0.05)
 * @property {number} [maxOutOfOrderMs] (default 6000; must stay under the grace period less the margin)
 * @property {number} [lateRate] share of clicks 5 to 10 minutes behind, after their minute closed (default 0.01)
 * @property {number} [lateAfterMs] no late clicks in the first ms of the run, so that every partition
 *   has seen current clicks (the stream's time) before the first late one (default 1000)
 * @property {string} [prefix] ad ids are `<prefix>-<rank>`; the hot ad is `<prefix>-hot` (default "ad")
 * @property {() => number} [random] (default Math.random)
 */

/**
 * Margin between a click's window closing (end + grace) and the generator's clock when it is
 * sent, either way: the stream's time where the click is processed is the generator's clock give
 * or take the requests in flight, so a click this far from the edge is counted, or dropped, for
 * certain.
 */
export const MARGIN_MS = 3_000;

/** @param {number} n @param {number} s @returns {Float64Array} cumulative probabilities of ranks 1..n */
function zipfCdf(n, s) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) {
    sum += 1 / k ** s;
    cdf[k - 1] = sum;
  }
  for (let k = 0; k < n; k++) cdf[k] = /** @type {number} */ (cdf[k]) / sum;
  return cdf;
}

/** @param {Float64Array} cdf @param {number} u */
function rankOf(cdf, u) {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (/** @type {number} */ (cdf[mid]) < u) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

const NONCE_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";

/** @param {PlanOptions} [options] */
export function createClickPlan(options = {}) {
  const o = {
    ads: 1000,
    zipfExponent: 1,
    hotShare: 0.4,
    duplicateRate: 0.03,
    outOfOrderRate: 0.05,
    maxOutOfOrderMs: 6_000,
    lateRate: 0.01,
    lateAfterMs: 1_000,
    prefix: "ad",
    random: Math.random,
    ...options,
  };
  if (o.maxOutOfOrderMs > GRACE_MS - MARGIN_MS) {
    throw new Error(`maxOutOfOrderMs must be at most ${GRACE_MS - MARGIN_MS} (the grace period less the margin)`);
  }
  const cdf = zipfCdf(o.ads, o.zipfExponent);
  const hotAd = `${o.prefix}-hot`;
  // Impression nonces: a random run id and a counter, 16 characters like a signed id's nonce.
  let run = "";
  for (let i = 0; i < 8; i++) run += NONCE_ALPHABET[Math.floor(o.random() * 64)];
  let counter = 0;
  /** Recent clicks that a duplicate may repeat (a double click, a retried redirect). */
  /** @type {import("./clicks.mjs").SentClick[]} */
  const recent = [];
  /** @type {number | undefined} */
  let startedAt;

  /**
   * A timestamp 5 to 10 minutes behind `now` whose hour is clearly closed or clearly open (its
   * minute is closed for certain), or undefined in the seconds around an hour's closing time,
   * when no such timestamp exists.
   */
  const lateTimestamp = (/** @type {number} */ now) => {
    for (let tries = 0; tries < 8; tries++) {
      const t = now - 300_000 - Math.floor(o.random() * 300_000);
      const hourEdge = windowStart(t, HOUR_MS) + HOUR_MS + GRACE_MS - now;
      if (Math.abs(hourEdge) >= MARGIN_MS) return t;
    }
    return undefined;
  };
  /** A timestamp up to maxOutOfOrderMs behind `now`. */
  const outOfOrderTimestamp = (/** @type {number} */ now) => now - Math.floor(o.random() * o.maxOutOfOrderMs);

  return {
    hotAd,
    /** @param {number} rank */
    adId: (rank) => `${o.prefix}-${rank}`,
    /**
     * The next `n` clicks, sent at `now`.
     * @param {number} n @param {number} [now]
     * @returns {import("./clicks.mjs").SentClick[]}
     */
    batch(n, now = Date.now()) {
      startedAt ??= now;
      /** @type {import("./clicks.mjs").SentClick[]} */
      const out = new Array(n);
      for (let i = 0; i < n; i++) {
        let u = o.random();
        if (u < o.duplicateRate && recent.length > 0) {
          const again = /** @type {import("./clicks.mjs").SentClick} */ (
            recent[Math.floor(o.random() * recent.length)]
          );
          // A repeat of a click sent more than a second ago could fall on the other side of its
          // window's edge than the first: repeat only recent ones.
          if (now - again.seenAt <= 1_000) {
            out[i] = { ...again, seenAt: now };
            continue;
          }
        }
        u = o.random();
        const ad = u < o.hotShare ? hotAd : `${o.prefix}-${rankOf(cdf, o.random())}`;
        u = o.random();
        let t = now;
        if (u < o.lateRate && now - startedAt >= o.lateAfterMs) t = lateTimestamp(now) ?? now;
        else if (u < o.lateRate + o.outOfOrderRate) t = outOfOrderTimestamp(now);
        const imp = run + (counter++).toString(36).padStart(8, "0");
        const click = { ad, imp, t, seenAt: now };
        out[i] = click;
        if (recent.length < 1_000) recent.push(click);
        else recent[Math.floor(o.random() * recent.length)] = click;
      }
      return out;
    },
  };
}
