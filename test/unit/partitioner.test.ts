import { describe, expect, it } from "vitest";
import { murmur2, partitionForKey, toPositive } from "../../sdk/protocol/partitioner.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("murmur2", () => {
  // The vectors of Kafka's own UtilsTest.testMurmur2 (clients/src/test/.../UtilsTest.java).
  it.each([
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ])("hashes %j exactly as Kafka's Java client does", (input, expected) => {
    expect(murmur2(utf8(input))).toBe(expected);
  });

  it("hashes the empty key as the Java client does", () => {
    expect(murmur2(new Uint8Array())).toBe(275646681);
  });

  it("clears only the sign bit in toPositive, as Kafka does", () => {
    expect(toPositive(-790332482)).toBe(1357151166);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(42)).toBe(42);
  });
});

describe("partitionForKey", () => {
  it("maps keys to the partitions Kafka's default partitioner picks", () => {
    // toPositive(murmur2("foobar")) = 1357151166
    expect(partitionForKey("foobar", 10)).toBe(1357151166 % 10);
    expect(partitionForKey("foobar", 50)).toBe(16);
    expect(partitionForKey(utf8("foobar"), 6)).toBe(partitionForKey("foobar", 6));
  });

  it("hashes non-ASCII keys as their UTF-8 bytes", () => {
    const key = "ключ-🔑";
    expect(partitionForKey(key, 7)).toBe(toPositive(murmur2(utf8(key))) % 7);
  });
});
