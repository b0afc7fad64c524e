import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../durable-objects/partition-log/quotas.ts";

describe("TokenBucket", () => {
  it("lets a second's worth through, then asks to wait for the debt to refill", () => {
    const bucket = new TokenBucket(100, 0);
    expect(bucket.take(60, 0)).toBe(0);
    expect(bucket.take(60, 0)).toBe(0); // goes below zero: a batch larger than what is left still passes
    expect(bucket.take(1, 0)).toBe(200); // 20 tokens of debt at 100/s
    expect(bucket.take(1, 100)).toBe(100);
    expect(bucket.take(1, 200)).toBe(0);
  });

  it("refills no further than one second's worth", () => {
    const bucket = new TokenBucket(10, 0);
    expect(bucket.take(10, 0)).toBe(0);
    expect(bucket.take(1, 60_000)).toBe(0);
    expect(bucket.take(10, 60_000)).toBe(0);
    expect(bucket.take(1, 60_000)).toBeGreaterThan(0);
  });
});
