// The ad-click example's advertiser queries against its real topology, run by StreamTasks inside
// workerd: counts over a time range per minute and per hour, and the top ads of a minute, read
// from the stage-2 stores. Clicks are produced with explicit event times in three consecutive
// minutes (this file's storage is its own, so its stream times do not disturb other tests).
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CLICKS_PARTITIONS,
  CLICKS_TOPIC,
  clickRecord,
  HOUR_MS,
  MINUTE_MS,
} from "../../../examples/ad-click-aggregator/clicks.mjs";
import { call, waitFor } from "../../helpers/http.ts";

// Five minutes ago, at a minute's start (recent: older records would fall to retention).
const M0 = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 5 * MINUTE_MS;
const M1 = M0 + MINUTE_MS;
const M2 = M0 + 2 * MINUTE_MS;
const H0 = M0 - (M0 % HOUR_MS);

let n = 0;
const click = (ad: string, t: number, imp = `imp-${n++}`) => clickRecord(ad, imp, t);

async function produce(records: unknown[]) {
  const res = await call("POST", `/v1/topics/${CLICKS_TOPIC}/records`, { records });
  if (res.status !== 200) throw new Error(`produce failed: ${JSON.stringify(res.json)}`);
}

beforeAll(async () => {
  const created = await call("POST", "/v1/topics", {
    name: CLICKS_TOPIC,
    partitions: CLICKS_PARTITIONS,
    replicationFactor: 1,
  });
  expect(created.status).toBe(201);
  const started = await call("POST", "/v1/apps/ad-clicks/start");
  expect(started.json.state).toBe("running");
  await produce([
    // Minute 0: ad-a 3 (one impression clicked twice), ad-b 1.
    click("ad-a", M0 + 1_000, "twice"),
    click("ad-a", M0 + 2_000, "twice"),
    click("ad-a", M0 + 3_000),
    click("ad-a", M0 + 59_999),
    click("ad-b", M0 + 30_000),
    // Minute 1: ad-a 2, ad-b 4.
    ...[0, 1].map((i) => click("ad-a", M1 + i * 1_000)),
    ...[0, 1, 2, 3].map((i) => click("ad-b", M1 + i * 1_000)),
    // Minute 2: ad-a 1, ad-c 2.
    click("ad-a", M2),
    click("ad-c", M2 + 5_000),
    click("ad-c", M2 + 50_000),
  ]);
  // A click for minute 0 arriving when its partition's stream time is far past minute 0's grace.
  await produce([click("ad-a", M0 + 4_000)]);
  // Wait until the last click of every ad is counted (the minute 2 totals).
  await waitFor(
    async () => {
      const res = await call("GET", `/ads/top?minute=${M2}&n=5`);
      const ads = res.json.ads as { adId: string; count: number }[] | undefined;
      return ads?.find((a) => a.adId === "ad-c")?.count === 2 && ads?.find((a) => a.adId === "ad-a")?.count === 1;
    },
    20_000,
    "the minute-2 counts",
  );
}, 30_000);

describe("the ad-click advertiser queries", () => {
  it("answers an ad's clicks per minute over a time range, each impression once, without the too-late click", async () => {
    await waitFor(async () => (await call("GET", `/ads/ad-b/counts?from=${M0}&to=${M2}`)).json.total === 5, 10_000);
    const res = await call("GET", `/ads/ad-a/counts?from=${M0}&to=${M2}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      adId: "ad-a",
      granularity: "minute",
      from: M0,
      to: M2,
      total: 6,
      windows: [
        { start: M0, end: M1, count: 3 },
        { start: M1, end: M2, count: 2 },
        { start: M2, end: M2 + MINUTE_MS, count: 1 },
      ],
    });
  });

  it("keeps only the windows starting in the range, and takes ISO dates", async () => {
    const one = await call("GET", `/ads/ad-b/counts?from=${M1}&to=${M1}`);
    expect(one.json.windows).toEqual([{ start: M1, end: M2, count: 4 }]);
    // A from inside a minute starts at that minute.
    const iso = await call(
      "GET",
      `/ads/ad-a/counts?from=${new Date(M1 + 30_000).toISOString()}&to=${new Date(M2 + 59_000).toISOString()}`,
    );
    expect(iso.json.windows.map((w: { count: number }) => w.count)).toEqual([2, 1]);
    const none = await call("GET", `/ads/ad-a/counts?from=${M2 + MINUTE_MS}&to=${M2 + 10 * MINUTE_MS}`);
    expect(none.json).toMatchObject({ total: 0, windows: [] });
  });

  it("answers per hour, where the too-late click still counts (its hour was open)", async () => {
    const perHour = (await call("GET", `/ads/ad-a/counts?from=${M0}&to=${M2}&granularity=hour`)).json;
    expect(perHour.granularity).toBe("hour");
    expect(perHour.total).toBe(7);
    // The three minutes fall in one hour, or two when they straddle an hour's start.
    const starts = perHour.windows.map((w: { start: number }) => w.start);
    expect(starts).toEqual(M2 - (M2 % HOUR_MS) === H0 ? [H0] : [H0, H0 + HOUR_MS]);
    expect(perHour.windows.every((w: { start: number; end: number }) => w.end - w.start === HOUR_MS)).toBe(true);
  });

  it("ranks the top ads of a minute, most clicks first, and cuts at n", async () => {
    const m1 = await call("GET", `/ads/top?minute=${M1}&n=10`);
    expect(m1.json).toEqual({
      minute: M1,
      ads: [
        { adId: "ad-b", count: 4 },
        { adId: "ad-a", count: 2 },
      ],
      complete: true,
    });
    const m0 = await call("GET", `/ads/top?minute=${M0 + 42_000}&n=1`);
    expect(m0.json.minute).toBe(M0);
    expect(m0.json.ads).toEqual([{ adId: "ad-a", count: 3 }]);
  });

  it("needs the bearer token for advertiser queries", async () => {
    for (const path of [`/ads/ad-a/counts?from=${M0}&to=${M2}`, `/ads/top?minute=${M0}`]) {
      const res = await call("GET", path, undefined, { authorization: "" });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe("UNAUTHENTICATED");
    }
  });

  it("refuses a bad query with the error envelope naming the field", async () => {
    const cases = [
      [`/ads/ad-a/counts?from=${M0}`, "to"],
      [`/ads/ad-a/counts?from=${M0}&to=${M2}&granularity=day`, "granularity"],
      [`/ads/ad-a/counts?from=${M2}&to=${M0}`, "to"],
      [`/ads/top?n=0`, "n"],
      [`/ads/bad%23id/counts?from=${M0}&to=${M2}`, undefined],
    ] as const;
    for (const [path, field] of cases) {
      const res = await call("GET", path);
      expect(res.status, path).toBe(400);
      expect(res.json.error.code).toBe("INVALID_REQUEST");
      if (field) expect(res.json.error.field).toBe(field);
    }
  });

  it("serves the dashboard page to anyone, and its data only with a token", async () => {
    const page = await call("GET", "/dashboard/data?minutes=1");
    expect(page.status).toBe(200);
    expect(page.json.minutes).toHaveLength(1);
    const anonymous = await call("GET", "/dashboard/data?minutes=1", undefined, { authorization: "" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error.code).toBe("UNAUTHENTICATED");
    expect(anonymous.json.minutes).toBeUndefined();
    const html = await exports.default.fetch(new Request("http://tributary.test/dashboard"));
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await html.text()).toContain('fetch("/dashboard/data?"');
  });

  it("is served from the materialized stores: the dashboard data sums the same windows", async () => {
    const data = await call("GET", "/dashboard/data?ad=ad-a&minutes=60");
    expect(data.status).toBe(200);
    const shown = Object.fromEntries(
      data.json.minutes.filter((m: { count: number }) => m.count > 0).map((m: any) => [m.start, m.count]),
    );
    expect(shown).toEqual({ [M0]: 3, [M1]: 2, [M2]: 1 });
  });
});
