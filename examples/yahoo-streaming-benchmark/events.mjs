// @ts-check
/**
 * The Yahoo Streaming Benchmark's data, as its 2015 generator makes it: 100 campaigns of 10 ads
 * each, and ad events (user_id, page_id, ad_id, ad_type, event_type, event_time, ip_address)
 * with an ad and an event type (view, click, purchase) drawn uniformly at random, stamped with
 * the time they are made. Also the ground truth the benchmark is checked against: views per
 * campaign per 10-second window of event time. Shared by the topology (topic names, window
 * size), the load generator, the verifier and the benchmark. Plain JavaScript, no dependencies.
 */

/** The ad events, spread over its partitions by the generator (YSB's events carry no key). */
export const EVENTS_TOPIC = "ysb-ad-events";
export const EVENTS_PARTITIONS = 4;
/**
 * The ad → campaign mapping (key: ad_id, value: campaign_id), the global table every task
 * copies. YSB keeps it in Redis; here it is a topic the generator writes before any event.
 */
export const CAMPAIGNS_TOPIC = "ysb-campaigns";
/** The stream app and the store of its counts (per campaign per window). */
export const APP = "ysb";
export const COUNTS_STORE = "views-per-campaign";
/** YSB's windows: 10 seconds, tumbling, of event time. */
export const WINDOW_MS = 10_000;
export const CAMPAIGNS = 100;
export const ADS_PER_CAMPAIGN = 10;
export const AD_TYPES = ["banner", "modal", "sponsored-search", "mail", "mobile"];
export const EVENT_TYPES = ["view", "click", "purchase"];

/** The start of the window an event time falls in. @param {number} t */
export const windowStart = (t) => Math.floor(t / WINDOW_MS) * WINDOW_MS;

/**
 * @typedef {{ user_id: string, page_id: string, ad_id: string, ad_type: string, event_type: string, event_time: number, ip_address: string }} AdEvent
 * @typedef {{ campaigns: string[], ads: { adId: string, campaignId: string }[] }} Campaigns
 */

/** New campaigns and their ads, with fresh ids (so that runs do not mix). @returns {Campaigns} */
export function createCampaigns(campaigns = CAMPAIGNS, adsPerCampaign = ADS_PER_CAMPAIGN) {
  const ids = Array.from({ length: campaigns }, () => crypto.randomUUID());
  return {
    campaigns: ids,
    ads: ids.flatMap((campaignId) =>
      Array.from({ length: adsPerCampaign }, () => ({ adId: crypto.randomUUID(), campaignId })),
    ),
  };
}

/** The records of the campaigns topic: one per ad, keyed by the ad. @param {Campaigns} c */
export const campaignRecords = (c) => c.ads.map((a) => ({ key: a.adId, value: a.campaignId }));

/**
 * Makes events over the ads of `c`, as YSB's generator does (users and pages from pools of 100
 * ids, an ad and an event type uniformly at random, the same ip address), and keeps the ground
 * truth: the views of each campaign in each window.
 * @param {Campaigns} c
 */
export function createGenerator(c) {
  const users = Array.from({ length: 100 }, () => crypto.randomUUID());
  const pages = Array.from({ length: 100 }, () => crypto.randomUUID());
  const pick = (/** @type {readonly any[]} */ list) => list[Math.floor(Math.random() * list.length)];
  /** Views per window start, per campaign. @type {Map<number, Map<string, number>>} */
  const views = new Map();
  let events = 0;
  let viewCount = 0;
  return {
    /** An event at `t` (ms), counted in the truth. @param {number} t @returns {AdEvent} */
    next(t) {
      const ad = pick(c.ads);
      const event = {
        user_id: pick(users),
        page_id: pick(pages),
        ad_id: ad.adId,
        ad_type: pick(AD_TYPES),
        event_type: pick(EVENT_TYPES),
        event_time: t,
        ip_address: "1.2.3.4",
      };
      events++;
      if (event.event_type === "view") {
        viewCount++;
        const w = windowStart(t);
        let perCampaign = views.get(w);
        if (!perCampaign) {
          perCampaign = new Map();
          views.set(w, perCampaign);
        }
        perCampaign.set(ad.campaignId, (perCampaign.get(ad.campaignId) ?? 0) + 1);
      }
      return event;
    },
    /** The ground truth so far: views per campaign, by window start. */
    truth() {
      return {
        events,
        views: viewCount,
        windows: Object.fromEntries(
          [...views].sort((a, b) => a[0] - b[0]).map(([w, m]) => [String(w), Object.fromEntries(m)]),
        ),
      };
    },
    /** The views of each campaign in the window starting at `w` (none: no entry). @param {number} w */
    window(w) {
      return views.get(w) ?? new Map();
    },
  };
}

/** @typedef {ReturnType<ReturnType<typeof createGenerator>["truth"]>} Truth */
