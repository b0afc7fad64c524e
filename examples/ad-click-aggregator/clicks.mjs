// @ts-check
/**
 * What a click is on the wire, and how the aggregator counts clicks: shared by the worker (the
 * click route and the topology), the load generator, the verifier and the benchmark, so that the
 * expected counts are computed by exactly the rules the aggregator applies.
 */

/** The topic every click is produced to. */
export const CLICKS_TOPIC = "ad-clicks";
/** Its partitions: the click traffic (and stage 1 of the aggregation) is spread over this many. */
export const CLICKS_PARTITIONS = 4;
/**
 * Salts per ad: one per partition. A click's key is `<adId>#<salt>` and it is produced to
 * partition `<salt>`, so every ad's clicks (a hot ad's too) spread evenly over all partitions,
 * in as few keys as that takes; stage 2 merges the salts per ad. (Leaving the partition to the
 * key's hash would need several salts per partition to reach every partition, and so several
 * partial counts per ad and window.)
 */
export const SALTS = CLICKS_PARTITIONS;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** How late (event time behind stream time) a click may arrive and still be counted in its window. */
export const GRACE_MS = 10_000;
/**
 * How long an impression id stays valid, and so how long its id must be remembered to count it
 * once: a click on an older impression still redirects, but is not counted.
 */
export const IMPRESSION_TTL_MS = 3_600_000;
/** Ad ids: letters, digits, `_` and `-` (no `#`, which separates the salt; no `.`). */
export const AD_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The salt of an impression: FNV-1a of its nonce, modulo SALTS. Derived from the impression, not
 * drawn at random, so a repeated click lands on the same key and partition as the first one and
 * the deduplication there sees both.
 * @param {string} nonce
 */
export function saltOf(nonce) {
  let h = 0x811c9dc5;
  for (let i = 0; i < nonce.length; i++) {
    h ^= nonce.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % SALTS;
}

/**
 * @typedef {{ ad: string, imp: string }} ClickValue the record's value: the ad and the impression
 *   (the click route sends `<issue time>.<nonce>`; the load generator its own unique ids)
 * @typedef {{ key: string, partition: number, value: ClickValue, timestamp: number }} ClickRecord
 */

/**
 * The record produced for one click (event time = `timestamp`).
 * @param {string} adId @param {string} impression @param {number} timestamp
 * @returns {ClickRecord}
 */
export function clickRecord(adId, impression, timestamp) {
  const salt = saltOf(impression);
  return { key: `${adId}#${salt}`, partition: salt, value: { ad: adId, imp: impression }, timestamp };
}

/** @param {number} t @param {number} size */
export const windowStart = (t, size) => t - (t % size);

/**
 * @typedef {{ ad: string, imp: string, t: number, seenAt: number }} SentClick
 *   a click as the load generator sent it: `t` its event time, `seenAt` the generator's clock
 *   when it was sent (where the stream's time stood, give or take the generator's margin)
 * @typedef {Record<string, Record<string, number>>} CountsByAd ad → window start (ms, as a string) → clicks
 * @typedef {{ minute: CountsByAd, hour: CountsByAd }} ExpectedCounts
 */

/**
 * Whether a click of event time `t`, arriving when the stream's time is `seenAt`, is still
 * counted in its window of `size`: its window has not closed (end + grace) yet.
 * @param {number} t @param {number} seenAt @param {number} size
 */
function inWindow(t, seenAt, size) {
  return windowStart(t, size) + size + GRACE_MS > seenAt;
}

/**
 * The exact counts the aggregator must answer for the clicks added: each impression once (its
 * first click), per ad per minute and per hour, leaving out clicks whose window had closed when
 * they arrived. Clicks are added as they are sent, so a long load run never holds them all.
 */
export function createExpectedCounts() {
  /** @type {ExpectedCounts} */
  const counts = { minute: {}, hour: {} };
  const seen = new Set();
  let counted = 0;
  return {
    counts,
    /** Impressions whose click counted in its minute. */
    get counted() {
      return counted;
    },
    /** @param {SentClick} c */
    add(c) {
      if (seen.has(c.imp)) return;
      seen.add(c.imp);
      if (inWindow(c.t, c.seenAt, MINUTE_MS)) counted++;
      for (const [name, size] of /** @type {const} */ ([
        ["minute", MINUTE_MS],
        ["hour", HOUR_MS],
      ])) {
        if (!inWindow(c.t, c.seenAt, size)) continue;
        const perAd = counts[name][c.ad] ?? {};
        counts[name][c.ad] = perAd;
        const start = String(windowStart(c.t, size));
        perAd[start] = (perAd[start] ?? 0) + 1;
      }
    },
  };
}
