/**
 * The Yahoo Streaming Benchmark's pipeline as a Tributary stream app:
 *
 *   ysb-ad-events (4 partitions)      stage 1, a StreamTask per partition
 *     → parse (the value schema) and keep the views
 *     → project to (ad_id, event_time)
 *     → join ad_id → campaign_id with the global table of ysb-campaigns (each task holds it all)
 *     → re-key by campaign                          → ysb.views-by-campaign.repartition
 *   stage 2, a StreamTask per partition of the repartition topic
 *     → count per campaign per 10-second window     store views-per-campaign
 *
 * YSB's own implementations look the campaign up in Redis and write each window's count back to
 * Redis; here the mapping is a global table (a topic the generator writes first) and the counts
 * are a queryable store, `GET /v1/apps/ysb/stores/views-per-campaign?from=<window start>`.
 */
import { streamsApp, TimeWindows } from "tributary/sdk";
import { z } from "zod";
import { APP, CAMPAIGNS_TOPIC, COUNTS_STORE, EVENT_TYPES, EVENTS_TOPIC, WINDOW_MS } from "./events.mjs";

/**
 * Stage 2 merges the views of all stage-1 partitions, some of which may run behind the others:
 * its grace only decides how late a view may come and still count, never when a count is
 * queryable (every update is), so it is generous.
 */
const GRACE_MS = 60_000;
/** How long closed windows stay queryable. */
const RETENTION_MS = 3_600_000;

/** An ad event as YSB's generator writes it. */
export const AdEvent = z.object({
  user_id: z.string(),
  page_id: z.string(),
  ad_id: z.string(),
  ad_type: z.string(),
  event_type: z.enum(EVENT_TYPES as [string, ...string[]]),
  event_time: z.number(),
  ip_address: z.string(),
});

export const ysbApp = streamsApp(APP);

const campaignOfAd = ysbApp.globalTable(CAMPAIGNS_TOPIC, { key: z.string(), value: z.string(), name: "ad-campaigns" });

ysbApp
  .stream(EVENTS_TOPIC, { key: z.string().nullable(), value: AdEvent, timestamp: (_key, e) => e.event_time })
  .filter((_key, e) => e.event_type === "view")
  .mapValues((e) => ({ adId: e.ad_id, eventTime: e.event_time }))
  .join(
    campaignOfAd,
    (_key, view) => view.adId,
    (view, campaignId) => ({ campaignId, eventTime: view.eventTime }),
  )
  .groupBy((_key, view) => view.campaignId, { key: z.string(), name: "views-by-campaign" })
  .windowedBy(TimeWindows.of(WINDOW_MS).grace(GRACE_MS))
  // The record cache: one update per campaign and window per batch, not one per view.
  .count({ name: COUNTS_STORE, retentionMs: RETENTION_MS, cache: true });
