import { describe, expect, it } from "vitest";
import { type BatchInfo, nextExpiry, planRetention } from "../../durable-objects/partition-log/retention.ts";

const batch = (baseOffset: number, count: number, maxTimestamp: number, bytes: number): BatchInfo => ({
  baseOffset,
  lastOffset: baseOffset + count - 1,
  maxTimestamp,
  bytes,
});

describe("planRetention", () => {
  const now = 1_000_000;
  const batches = [batch(0, 10, 100, 500), batch(10, 5, 200, 500), batch(15, 5, 999_000, 500)];

  it("removes the batches whose newest record is older than retentionMs, from the start", () => {
    expect(planRetention(batches, 1500, { retentionMs: 1000, retentionBytes: -1 }, now)).toEqual({
      deleteBefore: 15,
      removedBytes: 1000,
    });
  });

  it("stops at the first batch that has not expired, even if a later one has", () => {
    const mixed = [batch(0, 1, now, 10), batch(1, 1, 0, 10)];
    expect(planRetention(mixed, 20, { retentionMs: 1000, retentionBytes: -1 }, now).deleteBefore).toBeNull();
  });

  it("removes the oldest batches while the log is over retentionBytes", () => {
    expect(planRetention(batches, 1500, { retentionMs: -1, retentionBytes: 1000 }, now)).toEqual({
      deleteBefore: 10,
      removedBytes: 500,
    });
    expect(planRetention(batches, 1500, { retentionMs: -1, retentionBytes: 400 }, now).deleteBefore).toBe(20);
  });

  it("keeps a batch that expires exactly now (expiry is strictly older than the cutoff)", () => {
    expect(
      planRetention([batch(0, 1, now - 1000, 1)], 1, { retentionMs: 1000, retentionBytes: -1 }, now).deleteBefore,
    ).toBeNull();
  });

  it("keeps everything when both limits are off", () => {
    expect(planRetention(batches, 1500, { retentionMs: -1, retentionBytes: -1 }, now)).toEqual({
      deleteBefore: null,
      removedBytes: 0,
    });
  });
});

describe("nextExpiry", () => {
  it("is the oldest batch's newest timestamp plus retentionMs", () => {
    expect(nextExpiry(batch(0, 1, 5000, 1), { retentionMs: 100, retentionBytes: -1 })).toBe(5100);
  });
  it("is null for an empty log or without time retention", () => {
    expect(nextExpiry(undefined, { retentionMs: 100, retentionBytes: -1 })).toBeNull();
    expect(nextExpiry(batch(0, 1, 5000, 1), { retentionMs: -1, retentionBytes: -1 })).toBeNull();
  });
});
