// The platform as the root wrangler.toml deploys it (worker/index.ts): no example rides along.
// The ad-click aggregator is an app of its own (examples/ad-click-aggregator, its own worker).
import { describe, expect, inject, it } from "vitest";

const url = inject("baseUrl");
const token = inject("token");

describe("the platform alone", () => {
  it("answers 404 NOT_FOUND for the example's routes, with or without a token", async () => {
    const paths = [
      "/ads/ad-1/impressions?n=1",
      "/ads/ad-1/click?impression=x",
      "/ads/top",
      "/dashboard",
      "/dashboard/data",
    ];
    for (const path of paths) {
      for (const headers of [{}, { authorization: `Bearer ${token}` }] as Record<string, string>[]) {
        const res = await fetch(`${url}${path}`, { headers, redirect: "manual" });
        expect(res.status, path).toBe(404);
        const body = (await res.json()) as { error: { code: string } };
        expect(body.error.code, path).toBe("NOT_FOUND");
      }
    }
  });

  it("bundles no stream app", async () => {
    const res = await fetch(`${url}/v1/apps`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ apps: [] });
    const app = await fetch(`${url}/v1/apps/ad-clicks`, { headers: { authorization: `Bearer ${token}` } });
    expect(app.status).toBe(404);
  });
});
