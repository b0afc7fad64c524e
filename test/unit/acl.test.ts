import { describe, expect, it } from "vitest";
import { type Acl, aclSchema, createTokenSchema } from "../../sdk/protocol/schemas.ts";
import { allows, allowsSome, patternCovers, patternMatches, uncovered } from "../../worker/middleware/acl.ts";

const acl = (a: unknown): Acl => aclSchema.parse(a);

describe("ACL patterns", () => {
  it("matches a literal pattern only to the same name", () => {
    expect(patternMatches("clicks", "clicks")).toBe(true);
    expect(patternMatches("clicks", "clicks2")).toBe(false);
    expect(patternMatches("clicks", "click")).toBe(false);
  });

  it("matches a prefix pattern to every name that starts with the prefix, and * to every name", () => {
    expect(patternMatches("events.*", "events.web")).toBe(true);
    expect(patternMatches("events.*", "events.")).toBe(true);
    expect(patternMatches("events.*", "events")).toBe(false);
    expect(patternMatches("events.*", "other.events.web")).toBe(false);
    expect(patternMatches("*", "anything")).toBe(true);
  });

  it("says a pattern covers another only when every name of the inner one matches the outer", () => {
    expect(patternCovers("events.*", "events.web")).toBe(true);
    expect(patternCovers("events.*", "events.web.*")).toBe(true);
    expect(patternCovers("*", "events.*")).toBe(true);
    expect(patternCovers("events.web", "events.*")).toBe(false);
    expect(patternCovers("events.web.*", "events.*")).toBe(false);
    expect(patternCovers("clicks", "clicks")).toBe(true);
  });
});

describe("allows", () => {
  const acls = [
    acl({ resource: "topic", pattern: "clicks", operations: ["write"] }),
    acl({ resource: "topic", pattern: "events.*", operations: ["read"] }),
    acl({ resource: "group", pattern: "dash-*", operations: ["read"] }),
  ];

  it("allows the operations an ACL names on the names its pattern matches", () => {
    expect(allows(acls, "topic", "clicks", "write")).toBe(true);
    expect(allows(acls, "topic", "events.web", "read")).toBe(true);
    expect(allows(acls, "group", "dash-1", "read")).toBe(true);
  });

  it("refuses other operations, other names and other resource kinds", () => {
    expect(allows(acls, "topic", "clicks", "read")).toBe(false);
    expect(allows(acls, "topic", "clicks", "delete")).toBe(false);
    expect(allows(acls, "topic", "events.web", "write")).toBe(false);
    expect(allows(acls, "topic", "other", "write")).toBe(false);
    expect(allows(acls, "group", "clicks", "write")).toBe(false);
    expect(allows(acls, "cluster", "cluster", "describe")).toBe(false);
    expect(allows([], "topic", "clicks", "describe")).toBe(false);
  });

  it("implies describe by read, write, delete and alter, as Kafka does, but not by create", () => {
    for (const op of ["read", "write", "delete", "alter"] as const) {
      expect(allows([acl({ resource: "topic", pattern: "t", operations: [op] })], "topic", "t", "describe")).toBe(true);
    }
    expect(allows([acl({ resource: "topic", pattern: "t", operations: ["create"] })], "topic", "t", "describe")).toBe(
      false,
    );
    expect(allows([acl({ resource: "topic", pattern: "t", operations: ["describe"] })], "topic", "t", "read")).toBe(
      false,
    );
  });

  it("matches a cluster ACL whatever the name", () => {
    const cluster = [acl({ resource: "cluster", operations: ["alter"] })];
    expect(allows(cluster, "cluster", "cluster", "alter")).toBe(true);
    expect(allows(cluster, "cluster", "cluster", "describe")).toBe(true);
    expect(allows(cluster, "topic", "t", "alter")).toBe(false);
  });

  it("tells whether some resource of a kind allows an operation", () => {
    expect(allowsSome(acls, "topic", "write")).toBe(true);
    expect(allowsSome(acls, "group", "write")).toBe(false);
  });
});

describe("uncovered (what a token may issue)", () => {
  const held = [
    acl({ resource: "topic", pattern: "events.*", operations: ["write", "read"] }),
    acl({ resource: "cluster", operations: ["alter"] }),
  ];

  it("covers ACLs within the issuer's own rights and names", () => {
    expect(
      uncovered(held, [
        acl({ resource: "topic", pattern: "events.web", operations: ["write"] }),
        acl({ resource: "topic", pattern: "events.mobile.*", operations: ["read", "describe"] }),
        acl({ resource: "cluster", operations: ["alter"] }),
      ]),
    ).toBeUndefined();
  });

  it("names the first ACL and operation beyond them", () => {
    expect(uncovered(held, [acl({ resource: "topic", pattern: "events.*", operations: ["write", "delete"] })])).toEqual(
      { acl: acl({ resource: "topic", pattern: "events.*", operations: ["write", "delete"] }), operation: "delete" },
    );
    expect(uncovered(held, [acl({ resource: "topic", pattern: "*", operations: ["write"] })])?.operation).toBe("write");
    expect(uncovered(held, [acl({ resource: "group", pattern: "g", operations: ["read"] })])?.acl.resource).toBe(
      "group",
    );
  });
});

describe("the ACL schema", () => {
  it("fills in a cluster ACL's pattern and drops repeated operations", () => {
    expect(aclSchema.parse({ resource: "cluster", operations: ["describe", "describe"] })).toEqual({
      resource: "cluster",
      pattern: "*",
      operations: ["describe"],
    });
  });

  it("refuses a topic ACL without a pattern, a wildcard inside a pattern, and an unknown operation", () => {
    expect(aclSchema.safeParse({ resource: "topic", operations: ["read"] }).success).toBe(false);
    expect(aclSchema.safeParse({ resource: "topic", pattern: "a*b", operations: ["read"] }).success).toBe(false);
    expect(aclSchema.safeParse({ resource: "topic", pattern: "a", operations: ["all"] }).success).toBe(false);
    expect(aclSchema.safeParse({ resource: "topic", pattern: "a", operations: [] }).success).toBe(false);
    expect(aclSchema.safeParse({ resource: "cluster", pattern: "x", operations: ["alter"] }).success).toBe(false);
  });

  it("refuses a token without a name, and a quota that names no limit", () => {
    expect(createTokenSchema.safeParse({ name: "", acls: [] }).success).toBe(false);
    expect(createTokenSchema.safeParse({ name: "ingest", acls: [], quota: {} }).success).toBe(false);
    expect(createTokenSchema.safeParse({ name: "ingest", acls: [], quota: { recordsPerSecond: 100 } }).success).toBe(
      true,
    );
  });
});
