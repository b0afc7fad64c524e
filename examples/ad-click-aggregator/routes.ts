/**
 * The example's HTTP routes, mounted beside the platform's by createTributary (worker.ts):
 *
 *   GET  /ads/:adId/click?impression=<signed id>   public: counts the click, redirects (302) to the ad
 *   GET  /ads/:adId/impressions?n=                 token with write on ad-clicks: new signed impression ids (the ad server's part)
 *   GET  /ads/:adId/counts?from=&to=&granularity=  token with read on ad-clicks: the ad's clicks per minute or hour
 *   GET  /ads/top?minute=&n=                       token with read on ad-clicks: the top ads of one minute
 *   GET  /dashboard                                public: the dashboard page (it asks for a token)
 *   GET  /dashboard/data                           token with read on ad-clicks: what the dashboard draws
 *
 * A click is public (any browser clicks ads) but carries a signed impression, which only the
 * ad server can mint: minting needs the token, so nobody on the internet can make up clicks.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { ApiError, requireToken, validate } from "tributary/worker";
import { z } from "zod";
import {
  AD_ID_PATTERN,
  CLICKS_TOPIC,
  GRACE_MS,
  HOUR_MS,
  IMPRESSION_TTL_MS,
  MINUTE_MS,
  windowStart,
} from "./clicks.mjs";
import { dashboardHtml } from "./dashboard.ts";
import { signImpression, verifyImpression } from "./impressions.mjs";
import { produceClick } from "./produce-click.ts";
import { adCounts, ensureRunning, topAds } from "./queries.ts";

type Ctx = Context<{ Bindings: Env }>;

/** Where a click on an ad goes. A real ad server looks this up in its ads database. */
function landingUrl(adId: string): string {
  return `https://advertiser.example/landing/${encodeURIComponent(adId)}`;
}

function signingSecret(c: Ctx): string {
  // A secret may be unset in a deployment even though its type says string.
  const secret = c.env.AD_CLICKS_SIGNING_KEY as string | undefined;
  if (!secret || secret.length < 16) {
    throw new ApiError(
      "UNKNOWN_SERVER_ERROR",
      "the ad-click example has no signing key: set AD_CLICKS_SIGNING_KEY (at least 16 characters) in .dev.vars, or with `wrangler secret put AD_CLICKS_SIGNING_KEY`",
    );
  }
  return secret;
}

const adIdParam = z.string().regex(AD_ID_PATTERN, "must be 1 to 64 letters, digits, '_' or '-'");
/** A time as ms since epoch or an ISO 8601 date. */
const time = z.union([
  z.coerce.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);
const countsQuery = z.object({
  from: time,
  to: time,
  granularity: z.enum(["minute", "hour"]).default("minute"),
});
const topQuery = z.object({
  minute: time.optional(),
  n: z.coerce.number().int().min(1).max(100).default(10),
});
const impressionsQuery = z.object({ n: z.coerce.number().int().min(1).max(1000).default(1) });
const dashboardQuery = z.object({
  ad: adIdParam.optional(),
  minutes: z.coerce.number().int().min(1).max(60).default(15),
});

/**
 * What the token must allow: minting impressions lets the ad server make countable clicks, so
 * it takes `write` on the clicks topic; the counts are made of its records, so reading them
 * takes `read` on it (a superuser of TRIBUTARY_TOKENS may do both; see docs/security.md).
 */
const mintsClicks = requireToken({ resource: "topic", name: CLICKS_TOPIC, operation: "write" });
const readsCounts = requireToken({ resource: "topic", name: CLICKS_TOPIC, operation: "read" });

const adId = (c: Ctx) => validate(adIdParam, c.req.param("adId"), "ad id in the path");

export const adClickRoutes = new Hono<{ Bindings: Env }>()
  .get("/ads/:adId/click", async (c) => {
    const ad = adId(c);
    const impression = c.req.query("impression");
    if (!impression) {
      throw new ApiError("INVALID_REQUEST", "the click has no impression: add ?impression=<the signed impression id>", {
        field: "impression",
      });
    }
    const check = await verifyImpression(signingSecret(c), ad, impression);
    if (!check.ok) {
      throw new ApiError(
        "INVALID_REQUEST",
        check.reason === "malformed"
          ? "the impression id is malformed: it must be the id issued with the ad, unchanged"
          : `the impression id was not issued for ad '${ad}' by this ad server (its signature does not match); the click is not counted`,
        { field: "impression", reason: check.reason },
      );
    }
    const now = Date.now();
    // A click on an expired impression still takes the user to the ad, but is not counted:
    // impressions are remembered (to count each once) only as long as they are valid.
    const counted = now - check.issuedAt <= IMPRESSION_TTL_MS;
    if (counted) {
      await ensureRunning(c.env);
      // The impression as the dedupe store keeps it: issue time first, so that the ids a task
      // stores arrive nearly in order and land at the end of its index (random ids cost three
      // to six times as much per insert at 300,000 stored: `npm run bench:store`).
      const imp = `${check.issuedAt.toString(36).padStart(9, "0")}.${check.nonce}`;
      await produceClick(c.env, ad, imp, now);
    }
    return c.body(null, 302, {
      location: landingUrl(ad),
      "cache-control": "no-store",
      "x-click-counted": counted ? "true" : "false (the impression expired)",
    });
  })
  .get("/ads/:adId/impressions", mintsClicks, async (c) => {
    const ad = adId(c);
    const { n } = validate(impressionsQuery, c.req.query(), "impressions query");
    const secret = signingSecret(c);
    const base = new URL(c.req.url).origin;
    const impressions = await Promise.all(
      Array.from({ length: n }, async () => {
        const id = await signImpression(secret, ad);
        return { id, clickUrl: `${base}/ads/${ad}/click?impression=${encodeURIComponent(id)}` };
      }),
    );
    return c.json({ adId: ad, expiresInMs: IMPRESSION_TTL_MS, impressions });
  })
  .get("/ads/top", readsCounts, async (c) => {
    const q = validate(topQuery, c.req.query(), "top query");
    const minute = windowStart(q.minute ?? Date.now(), MINUTE_MS);
    const { ads, truncated } = await topAds(c.env, minute, q.n);
    return c.json({ minute, ads, complete: !truncated });
  })
  .get("/ads/:adId/counts", readsCounts, async (c) => {
    const ad = adId(c);
    const q = validate(countsQuery, c.req.query(), "counts query");
    if (q.to < q.from) throw new ApiError("INVALID_REQUEST", "to must not be before from", { field: "to" });
    const size = q.granularity === "hour" ? HOUR_MS : MINUTE_MS;
    const { windows } = await adCounts(c.env, ad, q.granularity, windowStart(q.from, size), q.to);
    return c.json({
      adId: ad,
      granularity: q.granularity,
      from: q.from,
      to: q.to,
      total: windows.reduce((n, w) => n + w.count, 0),
      windows,
    });
  })
  .get("/dashboard", (c) => c.html(dashboardHtml))
  .get("/dashboard/data", readsCounts, async (c) => {
    const q = validate(dashboardQuery, c.req.query(), "dashboard query");
    const now = Date.now();
    const current = windowStart(now, MINUTE_MS);
    const first = current - (q.minutes - 1) * MINUTE_MS;
    const [perMinute, thisMinute, hour] = await Promise.all([
      adCounts(c.env, q.ad, "minute", first, current),
      topAds(c.env, current, 10),
      adCounts(c.env, q.ad, "hour", windowStart(now, HOUR_MS), now),
    ]);
    // Just after a minute starts it has no clicks yet: show the minute before instead.
    const topMinute = thisMinute.ads.length > 0 ? current : current - MINUTE_MS;
    const top = topMinute === current ? thisMinute : await topAds(c.env, topMinute, 10);
    const byStart = new Map(perMinute.windows.map((w) => [w.start, w.count]));
    const minutes = Array.from({ length: q.minutes }, (_, i) => {
      const start = first + i * MINUTE_MS;
      return { start, count: byStart.get(start) ?? 0 };
    });
    return c.json({
      ad: q.ad ?? null,
      now,
      graceMs: GRACE_MS,
      minutes,
      top: { minute: topMinute, ads: top.ads },
      hour: { start: windowStart(now, HOUR_MS), count: hour.windows.reduce((n, w) => n + w.count, 0) },
      // Over 10,000 ads a minute per task, the all-ads sums would miss some: say so.
      complete: !(perMinute.truncated || top.truncated || thisMinute.truncated || hour.truncated),
    });
  });
