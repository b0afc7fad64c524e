import { describe, expect, it } from "vitest";
import { signImpression, verifyImpression } from "../../examples/ad-click-aggregator/impressions.mjs";

const SECRET = "unit-test-secret-0123456789";

describe("signed impression ids", () => {
  it("verifies an id issued for the same ad, giving its nonce and issue time", async () => {
    const id = await signImpression(SECRET, "ad-42", 1_732_240_000_000);
    const check = await verifyImpression(SECRET, "ad-42", id);
    expect(check).toEqual({ ok: true, nonce: id.split(".")[0], issuedAt: 1_732_240_000_000 });
  });

  it("issues a different nonce every time", async () => {
    const ids = await Promise.all(Array.from({ length: 50 }, () => signImpression(SECRET, "ad-1")));
    expect(new Set(ids.map((id) => id.split(".")[0])).size).toBe(50);
  });

  it("refuses an id moved to another ad", async () => {
    const id = await signImpression(SECRET, "ad-42");
    expect(await verifyImpression(SECRET, "ad-43", id)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("refuses an id signed with another key", async () => {
    const id = await signImpression("another-secret-0123456789", "ad-42");
    expect(await verifyImpression(SECRET, "ad-42", id)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("refuses an id whose issue time or nonce was changed", async () => {
    const id = await signImpression(SECRET, "ad-42", 1_000_000);
    const [nonce, issued, sig] = id.split(".") as [string, string, string];
    const later = `${nonce}.${(1_000_001).toString(36)}.${sig}`;
    const otherNonce = `${nonce.slice(0, -1)}${nonce.endsWith("A") ? "B" : "A"}.${issued}.${sig}`;
    expect((await verifyImpression(SECRET, "ad-42", later)).ok).toBe(false);
    expect((await verifyImpression(SECRET, "ad-42", otherNonce)).ok).toBe(false);
  });

  it("refuses a made-up signature of the right shape, and ids of the wrong shape as malformed", async () => {
    const id = await signImpression(SECRET, "ad-42");
    const [nonce, issued] = id.split(".") as [string, string];
    expect(await verifyImpression(SECRET, "ad-42", `${nonce}.${issued}.${"A".repeat(22)}`)).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    for (const bad of ["", "abc", `${id}.x`, id.replace(".", ""), `${nonce}.${issued}.short`]) {
      expect(await verifyImpression(SECRET, "ad-42", bad)).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("refuses a secret too short to be a key", async () => {
    await expect(() => signImpression("short", "ad-1")).rejects.toThrow(/at least 16 characters/);
  });
});
