// Hot-key helpers and gzip, as pure functions.
import { describe, expect, it } from "vitest";
import { gunzip, gzip, gzipBodies } from "../../sdk/compression.ts";
import {
  compoundKey,
  type FetchFunction,
  saltedKey,
  saltedKeys,
  splitCompoundKey,
  TributaryError,
  unsaltKey,
} from "../../sdk/index.ts";
import { partitionForKey } from "../../sdk/protocol/partitioner.ts";

describe("saltedKey", () => {
  it("appends a salt from 0 to buckets - 1", () => {
    expect(saltedKey("ad-42", 8, () => 0)).toBe("ad-42#0");
    expect(saltedKey("ad-42", 8, () => 0.999999)).toBe("ad-42#7");
    expect(saltedKey("ad-42", 8, () => 1)).toBe("ad-42#7");
  });

  it("spreads one hot key over several partitions", () => {
    const partitions = new Set(saltedKeys("ad-42", 16).map((k) => partitionForKey(k, 8)));
    expect(partitions.size).toBeGreaterThan(3);
  });

  it("refuses buckets outside 1 to 1024", () => {
    expect(() => saltedKey("k", 0)).toThrow(TributaryError);
    expect(() => saltedKey("k", 2.5)).toThrow("saltedKey: buckets: must be a whole number from 1 to 1024");
  });

  it("lists every salted form of a key", () => {
    expect(saltedKeys("k", 3)).toEqual(["k#0", "k#1", "k#2"]);
  });
});

describe("unsaltKey", () => {
  it("gives back the original key, also when it contains #", () => {
    expect(unsaltKey("ad-42#3")).toBe("ad-42");
    expect(unsaltKey("issue#12#0")).toBe("issue#12");
    expect(unsaltKey("plain")).toBe("plain");
    expect(unsaltKey("tag#")).toBe("tag#");
  });

  it("lets a consumer re-aggregate per original key", () => {
    const keys = ["a#0", "a#1", "b#0", "a#1"];
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(unsaltKey(key), (counts.get(unsaltKey(key)) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ a: 3, b: 1 });
  });
});

describe("compoundKey", () => {
  it("joins parts with ':' and splits them back, escaping ':' and '\\' inside parts", () => {
    expect(compoundKey("ad-42", "eu")).toBe("ad-42:eu");
    expect(compoundKey("user", 7)).toBe("user:7");
    const key = compoundKey("a:b", "c\\d", "");
    expect(key).toBe("a\\:b:c\\\\d:");
    expect(splitCompoundKey(key)).toEqual(["a:b", "c\\d", ""]);
  });

  it("refuses no parts, and parts that are not strings or finite numbers", () => {
    expect(() => compoundKey()).toThrow("compoundKey: parts: give at least one part");
    expect(() => compoundKey("a", Number.NaN)).toThrow("compoundKey: parts[1]: must be a string or a finite number");
  });
});

describe("gzip", () => {
  it("round-trips through DecompressionStream", async () => {
    const text = JSON.stringify({ records: Array.from({ length: 100 }, (_, i) => ({ value: `v${i}` })) });
    const bytes = new TextEncoder().encode(text);
    const packed = await gzip(bytes);
    expect(packed.length).toBeLessThan(bytes.length);
    expect([packed[0], packed[1]]).toEqual([0x1f, 0x8b]);
    expect(new TextDecoder().decode(await gunzip(packed))).toBe(text);
  });

  it("gzipBodies compresses only bodies at or above the threshold", async () => {
    const seen: RequestInit[] = [];
    const inner: FetchFunction = async (_input, init) => {
      seen.push(init);
      return new Response("{}");
    };
    const fetch = gzipBodies(inner, 100);
    await fetch("http://x/", { method: "POST", body: "short", headers: { "content-type": "application/json" } });
    const long = "z".repeat(500);
    await fetch("http://x/", { method: "POST", body: long, headers: { "content-type": "application/json" } });
    expect(seen[0]!.body).toBe("short");
    const headers = new Headers(seen[1]!.headers);
    expect(headers.get("content-encoding")).toBe("gzip");
    expect(headers.get("content-type")).toBe("application/json");
    expect(new TextDecoder().decode(await gunzip(seen[1]!.body as Uint8Array))).toBe(long);
  });
});
