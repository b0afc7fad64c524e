import { describe, expect, it } from "vitest";
import {
  type CompactionRow,
  compactionDue,
  dirtyEnough,
  keyId,
  keyIds,
  type LatestOfKey,
  MIN_DIRTY_BYTES,
  planSlice,
} from "../../durable-objects/partition-log/compaction.ts";

const row = (offset: number, key: string | null, value: "v" | null = "v", timestamp = 1_000): CompactionRow => ({
  offset,
  key,
  keyBase64: null,
  tombstone: value === null,
  timestamp,
});

describe("keyId", () => {
  it("is the same for a text key and the same bytes as base64", () => {
    expect(keyId("user-1", null)).toBe(keyId(null, btoa("user-1")));
    expect(keyId("é", null)).toBe(keyId(null, btoa(String.fromCharCode(0xc3, 0xa9))));
  });

  it("keeps bytes that are not UTF-8 apart from every text key", () => {
    const binary = keyId(null, btoa(String.fromCharCode(0xff, 0x00)));
    expect(binary).toBe(`b:${btoa(String.fromCharCode(0xff, 0x00))}`);
    expect(binary).not.toBe(keyId(`b:${btoa(String.fromCharCode(0xff, 0x00))}`, null));
  });

  it("treats an empty key as a key and a missing one as none", () => {
    expect(keyId("", null)).toBe("t:");
    expect(keyId(null, null)).toBeNull();
  });
});

describe("planSlice", () => {
  const plan = (rows: CompactionRow[], previous = new Map<string, LatestOfKey>(), cutoff = 0) =>
    planSlice(rows, keyIds(rows), previous, cutoff);

  it("removes every older record of a key, in the slice and before it", () => {
    const previous = new Map([["t:a", { offset: 3, tombstoneTs: null }]]);
    const p = plan([row(10, "a"), row(11, "b"), row(12, "a"), row(13, "b")], previous);
    expect(p.remove).toEqual([3, 10, 11]);
    expect(p.upsert).toEqual([
      ["t:a", 12, null],
      ["t:b", 13, null],
    ]);
    expect(p.forget).toEqual([]);
  });

  it("removes records without a key", () => {
    expect(plan([row(0, null), row(1, "a")]).remove).toEqual([0]);
  });

  it("keeps a tombstone until its timestamp is older than the cutoff, then forgets its key", () => {
    const kept = plan([row(0, "a"), row(1, "a", null, 5_000)], new Map(), 4_000);
    expect(kept.remove).toEqual([0]);
    expect(kept.upsert).toEqual([["t:a", 1, 5_000]]);
    const previous = new Map([["t:a", { offset: 0, tombstoneTs: null }]]);
    const gone = plan([row(1, "a", null, 3_000)], previous, 4_000);
    expect(gone.remove).toEqual([0, 1]);
    expect(gone.upsert).toEqual([]);
    expect(gone.forget).toEqual(["t:a"]);
  });

  it("leaves exactly the latest record of each key over many rounds of updates and tombstones", () => {
    // A model run: random keys, values and tombstones, compacted slice by slice.
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const log = new Map<number, CompactionRow>();
    const latest = new Map<string, LatestOfKey>();
    const expected = new Map<string, number>();
    let offset = 0;
    for (let round = 0; round < 20; round++) {
      const rows: CompactionRow[] = [];
      for (let i = 0; i < 200; i++) {
        const key = `k${random(50)}`;
        const tombstone = random(5) === 0;
        const r = row(offset++, key, tombstone ? null : "v", round);
        rows.push(r);
        log.set(r.offset, r);
        if (tombstone && round < 15) expected.delete(key);
        else expected.set(key, r.offset);
      }
      // Tombstones of rounds before 15 are past their retention.
      const p = planSlice(rows, keyIds(rows), latest, 15);
      for (const o of p.remove) log.delete(o);
      for (const [id, o, ts] of p.upsert) latest.set(id, { offset: o, tombstoneTs: ts });
      for (const id of p.forget) latest.delete(id);
    }
    const left = new Map([...log.values()].map((r) => [r.key!, r.offset]));
    expect(left.size).toBe(log.size);
    expect(left).toEqual(expected);
  });
});

describe("when compaction is due", () => {
  it("starts once half the log and at least MIN_DIRTY_BYTES are uncleaned", () => {
    expect(dirtyEnough(MIN_DIRTY_BYTES, 2 * MIN_DIRTY_BYTES)).toBe(true);
    expect(dirtyEnough(MIN_DIRTY_BYTES, 3 * MIN_DIRTY_BYTES)).toBe(false);
    expect(dirtyEnough(MIN_DIRTY_BYTES - 1, MIN_DIRTY_BYTES - 1)).toBe(false);
  });

  it("is due maxCompactionLagMs after the first uncleaned batch, else never for a small dirty part", () => {
    const dirty = { bytes: 10, totalBytes: 1_000_000, firstMaxTimestamp: 5_000 };
    expect(compactionDue(dirty, 1_000, 0)).toBe(6_000);
    expect(compactionDue(dirty, 1_000, 9_000)).toBe(9_000);
    expect(compactionDue(dirty, -1, 0)).toBeNull();
    expect(compactionDue({ ...dirty, bytes: 0 }, 1_000, 0)).toBeNull();
  });
});
