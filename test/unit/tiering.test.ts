import { describe, expect, it } from "vitest";
import type { BatchInfo } from "../../durable-objects/partition-log/retention.ts";
import { decodeSegment, encodeSegment, firstAtOrAfter } from "../../durable-objects/partition-log/segment.ts";
import { SegmentCache } from "../../durable-objects/partition-log/segment-cache.ts";
import { storagePolicy, tiers } from "../../durable-objects/partition-log/storage-policy.ts";
import {
  LOCAL_EXPIRY_GRACE_MS,
  localExpiry,
  planUpload,
  rewriteDue,
  SEGMENT_BYTES,
  segmentKey,
} from "../../durable-objects/partition-log/tiering.ts";
import { TOPIC_DEFAULTS } from "../../sdk/protocol/schemas.ts";

const batch = (baseOffset: number, count: number, maxTimestamp: number, bytes: number): BatchInfo => ({
  baseOffset,
  lastOffset: baseOffset + count - 1,
  maxTimestamp,
  bytes,
});

describe("segments", () => {
  it("round-trips records, timestamps, gaps and batches, byte lengths counted in UTF-8", () => {
    const rows = [
      { offset: 10, timestamp: 5, data: '{"value":1}' },
      { offset: 12, timestamp: 3, data: '{"key":"é","value":"ünïcödé ✓"}' },
      { offset: 13, timestamp: 9, data: '{"timestamp":9,"value":null}' },
    ];
    const batches = [
      { baseOffset: 10, lastOffset: 11, maxTimestamp: 5, bytes: 11, producer: null },
      { baseOffset: 12, lastOffset: 14, maxTimestamp: 9, bytes: 60, producer: '{"id":"p","epoch":0,"sequence":3}' },
    ];
    const segment = decodeSegment(encodeSegment(10, 14, rows, batches));
    expect(segment).toMatchObject({ baseOffset: 10, lastOffset: 14, batches });
    expect(segment.offsets).toEqual([10, 12, 13]);
    expect(segment.timestamps).toEqual([5, 3, 9]);
    expect(segment.data).toEqual(rows.map((r) => r.data));
    expect(firstAtOrAfter(segment, 11)).toBe(1);
    expect(firstAtOrAfter(segment, 14)).toBe(3);
  });

  it("refuses an object that is not a segment", () => {
    expect(() => decodeSegment(new TextEncoder().encode('{"format":"other"}\n'))).toThrow(/not a segment/);
  });

  it("names each replica's segments apart, in log order", () => {
    const ref = { topic: "t", topicId: "id", partition: 2, replica: 1 };
    const a = segmentKey(ref, 0, 99, 0);
    const b = segmentKey(ref, 100, 199, 1);
    expect(a < b).toBe(true);
    expect(a).toBe("t/id/2/1/00000000000000000000-00000000000000000099.0");
    expect(segmentKey({ ...ref, replica: undefined }, 0, 99, 0)).toContain("/2/0/");
  });
});

describe("planUpload", () => {
  const policy = { localRetentionMs: -1, localRetentionBytes: 1_000 };

  it("moves the oldest batches while over localRetentionBytes, up to SEGMENT_BYTES", () => {
    const big = SEGMENT_BYTES / 2;
    const batches = [batch(0, 10, 1, big), batch(10, 10, 2, big), batch(20, 10, 3, big)];
    expect(planUpload(batches, 3 * big, policy, 0, 100)).toEqual({
      baseOffset: 0,
      lastOffset: 19,
      bytes: 2 * big,
      maxTimestamp: 2,
      batches: batches.slice(0, 2),
    });
  });

  it("moves what brings the local part under the limit, but at least half the limit's worth", () => {
    const batches = Array.from({ length: 10 }, (_, i) => batch(i * 10, 10, i, 100));
    // 1,000 bytes over a limit of 900: 100 must go, but a segment takes at least 450.
    expect(planUpload(batches, 1_000, { localRetentionMs: -1, localRetentionBytes: 900 }, 0, 1_000)?.bytes).toBe(500);
    expect(planUpload(batches, 1_000, { localRetentionMs: -1, localRetentionBytes: 200 }, 0, 1_000)?.bytes).toBe(800);
    expect(planUpload(batches, 1_000, { localRetentionMs: -1, localRetentionBytes: 1_000 }, 0, 1_000)).toBeNull();
  });

  it("moves nothing at or above the end it is given (the high watermark)", () => {
    const batches = [batch(0, 10, 1, 800), batch(10, 10, 2, 800)];
    expect(planUpload(batches, 1_600, policy, 0, 10)?.lastOffset).toBe(9);
    expect(planUpload(batches, 1_600, policy, 0, 9)).toBeNull();
  });

  it("moves the batches past localRetentionMs, and is due a grace period after the oldest expires", () => {
    const byTime = { localRetentionMs: 1_000, localRetentionBytes: -1 };
    const batches = [batch(0, 10, 100, 10), batch(10, 10, 5_000, 10)];
    expect(planUpload(batches, 20, byTime, 2_000, 100)?.lastOffset).toBe(9);
    expect(planUpload(batches, 20, byTime, 1_000, 100)).toBeNull();
    expect(localExpiry(batches[0], byTime)).toBe(1_100 + LOCAL_EXPIRY_GRACE_MS);
    expect(localExpiry(batches[0], { localRetentionMs: -1 })).toBeNull();
  });

  it("writes a segment again once half of it is removed", () => {
    expect(rewriteDue({ records: 10, dead: 4 })).toBe(false);
    expect(rewriteDue({ records: 10, dead: 5 })).toBe(true);
    expect(rewriteDue({ records: 0, dead: 0 })).toBe(false);
  });
});

describe("storagePolicy", () => {
  const config = { ...TOPIC_DEFAULTS, cleanupPolicy: "delete" as const };

  it("applies retention only with a delete policy and compaction only with a compact one", () => {
    expect(storagePolicy({ ...config, cleanupPolicy: "compact" })).toMatchObject({
      compact: true,
      retentionMs: -1,
      retentionBytes: -1,
    });
    expect(storagePolicy({ ...config, cleanupPolicy: "compact,delete" })).toMatchObject({
      compact: true,
      retentionMs: config.retentionMs,
    });
    expect(storagePolicy(config).compact).toBe(false);
  });

  it("fills in the defaults of topics made before compaction and tiering existed", () => {
    const { deleteRetentionMs: _, localRetentionBytes: __, ...old } = config;
    const policy = storagePolicy(old);
    expect(policy.deleteRetentionMs).toBe(86_400_000);
    expect(tiers(policy)).toBe(false);
    expect(tiers({ ...policy, localRetentionBytes: 1 })).toBe(true);
  });
});

describe("SegmentCache", () => {
  const segment = (memoryBytes: number) =>
    Promise.resolve({ ...decodeSegment(encodeSegment(0, 0, [], [])), memoryBytes });

  it("loads a segment once for every reader, and drops the least recently used past its bound", async () => {
    const cache = new SegmentCache(250);
    let loads = 0;
    const load = () => {
      loads++;
      return segment(100);
    };
    await Promise.all([cache.get("a", load), cache.get("a", load)]);
    await cache.get("b", load);
    await cache.get("a", load);
    expect(loads).toBe(2);
    await cache.get("c", load); // 300 bytes: "b" (least recently used) goes
    await cache.get("a", load);
    expect(loads).toBe(3);
    await cache.get("b", load);
    expect(loads).toBe(4);
    expect(cache.loads).toBe(4);
  });

  it("forgets a load that failed", async () => {
    const cache = new SegmentCache();
    await expect(cache.get("a", () => Promise.reject(new Error("gone")))).rejects.toThrow("gone");
    await cache.get("a", () => segment(1));
    expect(cache.loads).toBe(2);
  });
});
