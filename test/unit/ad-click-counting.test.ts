import { describe, expect, it } from "vitest";
import {
  clickRecord,
  createExpectedCounts,
  GRACE_MS,
  HOUR_MS,
  MINUTE_MS,
  SALTS,
  saltOf,
} from "../../examples/ad-click-aggregator/clicks.mjs";
import { createClickPlan, MARGIN_MS } from "../../examples/ad-click-aggregator/load-plan.mjs";

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

describe("a click record", () => {
  it("is keyed by ad and a salt derived from the impression, which is also its partition, so repeats meet", () => {
    const a = clickRecord("ad-7", "nonce-aaaaaaaaaa", T0);
    const b = clickRecord("ad-7", "nonce-aaaaaaaaaa", T0 + 5);
    expect(a.key).toBe(b.key);
    expect(a).toEqual({
      key: `ad-7#${saltOf("nonce-aaaaaaaaaa")}`,
      partition: saltOf("nonce-aaaaaaaaaa"),
      value: { ad: "ad-7", imp: "nonce-aaaaaaaaaa" },
      timestamp: T0,
    });
  });

  it("spreads one ad's impressions over every salt", () => {
    const salts = new Set(Array.from({ length: 400 }, (_, i) => saltOf(`impression-${i}`)));
    expect([...salts].sort((a, b) => a - b)).toEqual(Array.from({ length: SALTS }, (_, i) => i));
  });
});

describe("expected counts", () => {
  it("counts each impression once, in its minute and its hour", () => {
    const e = createExpectedCounts();
    e.add({ ad: "a", imp: "i1", t: T0 + 1_000, seenAt: T0 + 1_000 });
    e.add({ ad: "a", imp: "i1", t: T0 + 1_000, seenAt: T0 + 1_500 });
    e.add({ ad: "a", imp: "i2", t: T0 + 61_000, seenAt: T0 + 61_000 });
    e.add({ ad: "b", imp: "i3", t: T0 + 2_000, seenAt: T0 + 2_000 });
    expect(e.counts).toEqual({
      minute: { a: { [T0]: 1, [T0 + MINUTE_MS]: 1 }, b: { [T0]: 1 } },
      hour: { a: { [T0]: 2 }, b: { [T0]: 1 } },
    });
    expect(e.counted).toBe(3);
  });

  it("counts a click arriving within the grace period after its minute, and drops one arriving after", () => {
    const e = createExpectedCounts();
    e.add({ ad: "a", imp: "in-grace", t: T0 + 59_000, seenAt: T0 + MINUTE_MS + GRACE_MS - 1 });
    e.add({ ad: "a", imp: "too-late", t: T0 + 59_000, seenAt: T0 + MINUTE_MS + GRACE_MS });
    expect(e.counts.minute).toEqual({ a: { [T0]: 1 } });
    // Both are within their hour, which is still open.
    expect(e.counts.hour).toEqual({ a: { [T0]: 2 } });
  });
});

describe("the load plan", () => {
  it("sends most clicks to the hot ad and the top Zipf ranks, with repeats, out-of-order and late clicks", () => {
    const plan = createClickPlan({ ads: 100, hotShare: 0.5, lateAfterMs: 0 });
    const clicks = Array.from({ length: 20 }, (_, i) => plan.batch(500, T0 + i * 50)).flat();
    const share = (ad: string) => clicks.filter((c) => c.ad === ad).length / clicks.length;
    expect(share(plan.hotAd)).toBeGreaterThan(0.4);
    expect(share(plan.adId(1))).toBeGreaterThan(share(plan.adId(50)));
    const repeats = clicks.length - new Set(clicks.map((c) => c.imp)).size;
    expect(repeats).toBeGreaterThan(0);
    expect(clicks.some((c) => c.seenAt - c.t > 0 && c.seenAt - c.t <= 6_000)).toBe(true);
    expect(clicks.some((c) => c.seenAt - c.t >= 300_000)).toBe(true);
  });

  it("keeps every click clearly on one side of each of its windows' closing time", () => {
    const plan = createClickPlan({ lateRate: 0.2, outOfOrderRate: 0.3, lateAfterMs: 0 });
    for (let i = 0; i < 50; i++) {
      for (const c of plan.batch(200, T0 + i * 97_000)) {
        for (const size of [MINUTE_MS, HOUR_MS]) {
          const closes = c.t - (c.t % size) + size + GRACE_MS;
          expect(Math.abs(closes - c.seenAt)).toBeGreaterThanOrEqual(MARGIN_MS);
        }
      }
    }
  });

  it("sends no late clicks before lateAfterMs, so every partition has current clicks first", () => {
    const plan = createClickPlan({ lateRate: 0.5, lateAfterMs: 1_000 });
    const early = [plan.batch(200, T0), plan.batch(200, T0 + 999)].flat();
    expect(early.every((c) => c.seenAt - c.t < 60_000)).toBe(true);
    expect(plan.batch(200, T0 + 1_000).some((c) => c.seenAt - c.t >= 300_000)).toBe(true);
  });
});
