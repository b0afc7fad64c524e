// The ad-click example's click endpoint inside workerd: signed impressions are checked, a click
// is appended and answered with a redirect, a repeated click redirects again but counts once.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { CLICKS_PARTITIONS, CLICKS_TOPIC, IMPRESSION_TTL_MS } from "../../../examples/ad-click-aggregator/clicks.mjs";
import { signImpression, verifyImpression } from "../../../examples/ad-click-aggregator/impressions.mjs";
import { call, uniqueName, waitFor } from "../../helpers/http.ts";

const secret = env.AD_CLICKS_SIGNING_KEY;

/** A click as a browser sends it: no token, no redirect following. */
async function click(ad: string, impression: string) {
  const res = await exports.default.fetch(
    new Request(`http://tributary.test/ads/${ad}/click?impression=${encodeURIComponent(impression)}`, {
      redirect: "manual",
    }),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

async function total(ad: string) {
  const now = Date.now();
  return (await call("GET", `/ads/${ad}/counts?from=${now - 3_600_000}&to=${now + 60_000}`)).json.total as number;
}

async function dedupedSoFar() {
  const app = await call("GET", "/v1/apps/ad-clicks");
  return (app.json.tasks as { subTopology: number; counters: { deduped: number } }[])
    .filter((t) => t.subTopology === 0)
    .reduce((n, t) => n + t.counters.deduped, 0);
}

beforeAll(async () => {
  const created = await call("POST", "/v1/topics", {
    name: CLICKS_TOPIC,
    partitions: CLICKS_PARTITIONS,
    replicationFactor: 1,
  });
  expect([201, 409]).toContain(created.status);
});

describe("the ad-click endpoint", () => {
  it("hands out signed impressions with their click URLs to the ad server (a token holder) only", async () => {
    const res = await call("GET", "/ads/ad-42/impressions?n=3");
    expect(res.status).toBe(200);
    const body = res.json as { impressions: { id: string; clickUrl: string }[] };
    expect(body.impressions).toHaveLength(3);
    for (const i of body.impressions) {
      expect(i.clickUrl).toBe(`http://tributary.test/ads/ad-42/click?impression=${encodeURIComponent(i.id)}`);
      expect(await verifyImpression(secret, "ad-42", i.id)).toMatchObject({ ok: true });
    }
    // Without a token, or with a wrong one, nothing is minted: nobody can make up clicks.
    for (const headers of [{}, { authorization: "Bearer not-a-token" }] as Record<string, string>[]) {
      const refused = await exports.default.fetch(
        new Request("http://tributary.test/ads/ad-42/impressions?n=3", { headers }),
      );
      expect(refused.status).toBe(401);
      const answer = (await refused.json()) as { error: { code: string }; impressions?: unknown };
      expect(answer.error.code).toBe("UNAUTHENTICATED");
      expect(answer.impressions).toBeUndefined();
    }
  });

  it("redirects a click to the ad's landing page and counts each impression once, however often it is clicked", async () => {
    const ad = uniqueName("ad");
    const before = await dedupedSoFar();
    const once = await signImpression(secret, ad);
    const twice = await signImpression(secret, ad);
    for (const impression of [once, twice, twice]) {
      const res = await click(ad, impression);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe(`https://advertiser.example/landing/${ad}`);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-click-counted")).toBe("true");
    }
    await waitFor(
      async () => (await total(ad)) === 2 && (await dedupedSoFar()) === before + 1,
      15_000,
      "2 counted, 1 dropped",
    );
    expect(await total(ad)).toBe(2);
  });

  it("refuses a forged impression, one moved to another ad and a malformed one, counting none", async () => {
    const ad = uniqueName("ad");
    const other = await signImpression(secret, "someone-else");
    const [nonce, issued] = (await signImpression(secret, ad)).split(".");
    const cases = [
      [`${nonce}.${issued}.${"x".repeat(22)}`, "bad-signature"],
      [other, "bad-signature"],
      [await signImpression("a-key-that-is-not-the-servers", ad), "bad-signature"],
      ["not-an-impression", "malformed"],
    ] as const;
    for (const [impression, reason] of cases) {
      const res = await click(ad, impression);
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(res.json.error).toMatchObject({ code: "INVALID_REQUEST", field: "impression", reason });
    }
    const missing = await exports.default.fetch(new Request(`http://tributary.test/ads/${ad}/click`));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.field).toBe("impression");
    // A valid click afterwards is the only one counted.
    expect((await click(ad, await signImpression(secret, ad))).status).toBe(302);
    await waitFor(async () => (await total(ad)) === 1, 15_000, "the valid click counted");
  });

  it("still redirects a click on an expired impression, but does not count it", async () => {
    const ad = uniqueName("ad");
    const expired = await signImpression(secret, ad, Date.now() - IMPRESSION_TTL_MS - 1_000);
    const res = await click(ad, expired);
    expect(res.status).toBe(302);
    expect(res.headers.get("x-click-counted")).toMatch(/^false/);
    expect((await click(ad, await signImpression(secret, ad))).status).toBe(302);
    await waitFor(async () => (await total(ad)) === 1, 15_000, "the fresh click counted");
    // The expired click never reached the clicks topic: the ad's one record there is the fresh click.
    const nonce = expired.split(".")[0];
    const mine: { value: { imp: string } }[] = [];
    for (let p = 0; p < CLICKS_PARTITIONS; p++) {
      const page = await call("GET", `/v1/topics/${CLICKS_TOPIC}/partitions/${p}/records?offset=0&maxRecords=10000`);
      mine.push(...page.json.records.filter((r: { value: { ad: string } }) => r.value.ad === ad));
    }
    expect(mine).toHaveLength(1);
    expect(mine[0]!.value.imp).not.toBe(nonce);
  });
});
