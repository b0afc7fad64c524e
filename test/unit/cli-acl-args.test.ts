import { describe, expect, it } from "vitest";
import { parseAcl, parseExpiry } from "../../cli/acl-args.ts";

describe("the command line's ACLs", () => {
  it("reads resource:pattern:operations, and cluster:operations", () => {
    expect(parseAcl("topic:clicks:write")).toEqual({ resource: "topic", pattern: "clicks", operations: ["write"] });
    expect(parseAcl("group:dash-*:read,describe")).toEqual({
      resource: "group",
      pattern: "dash-*",
      operations: ["read", "describe"],
    });
    expect(parseAcl("cluster:alter")).toEqual({ resource: "cluster", operations: ["alter"] });
    expect(parseAcl("cluster:*:alter")).toEqual({ resource: "cluster", operations: ["alter"] });
  });

  it("says what is wrong with an ACL it cannot read", () => {
    expect(() => parseAcl("topics:clicks:write")).toThrow(/topic, group or cluster/);
    expect(() => parseAcl("topic:write")).toThrow(/topic:<name or prefix\*>:<operations>/);
    expect(() => parseAcl("topic:clicks:all")).toThrow(/operations are write, read/);
    expect(() => parseAcl("cluster:x:alter")).toThrow(/cluster:<operations>/);
  });
});

describe("the command line's expiry", () => {
  it("reads durations from now, ISO dates and ms since the epoch", () => {
    expect(parseExpiry("30d", 1_000)).toBe(1_000 + 30 * 86_400_000);
    expect(parseExpiry("90m", 0)).toBe(5_400_000);
    expect(parseExpiry("1767225600000")).toBe(1_767_225_600_000);
    expect(parseExpiry("2026-01-01T00:00:00Z")).toBe(Date.UTC(2026, 0, 1));
    expect(() => parseExpiry("soon")).toThrow(/duration/);
  });
});
