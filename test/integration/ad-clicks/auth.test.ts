// The ad-click example's own routes require rights on its clicks topic (requireToken with a
// permission, from tributary/worker): minting impressions takes write, the counts take read.
import { describe, expect, it } from "vitest";
import { CLICKS_TOPIC } from "../../../examples/ad-click-aggregator/clicks.mjs";
import { call } from "../../helpers/http.ts";
import { issueToken, requestAs } from "../token-helpers.ts";

const token = async (operations: string[]) =>
  (await issueToken({ acls: [{ resource: "topic", pattern: CLICKS_TOPIC, operations }] })).token;

describe("the ad-click example's routes and scoped tokens", () => {
  it("mints impressions only for a token that may write the clicks topic", async () => {
    const writer = await token(["write"]);
    const reader = await token(["read"]);
    const minted = await requestAs(writer, "GET", "/ads/ad-1/impressions?n=1");
    expect(minted.status).toBe(200);
    expect(minted.json.impressions).toHaveLength(1);
    expect(await requestAs(reader, "GET", "/ads/ad-1/impressions?n=1")).toMatchObject({
      status: 403,
      code: "TOPIC_AUTHORIZATION_FAILED",
    });
    expect(await requestAs(undefined, "GET", "/ads/ad-1/impressions?n=1")).toMatchObject({
      status: 401,
      code: "UNAUTHENTICATED",
    });
  });

  it("answers the counts only to a token that may read the clicks topic", async () => {
    const reader = await token(["read"]);
    const writer = await token(["write"]);
    const now = Date.now();
    const path = `/ads/ad-1/counts?from=${now - 60_000}&to=${now}`;
    expect(await requestAs(writer, "GET", path)).toMatchObject({ status: 403, code: "TOPIC_AUTHORIZATION_FAILED" });
    for (const p of ["/ads/top", "/dashboard/data"]) {
      expect((await requestAs(writer, "GET", p)).status).toBe(403);
    }
    // The superuser may do both; a reader gets past the check (the topic may not exist yet here).
    expect((await call("GET", "/dashboard/data")).status).not.toBe(403);
    expect((await requestAs(reader, "GET", path)).status).not.toBe(403);
  });
});
