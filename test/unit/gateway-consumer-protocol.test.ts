/**
 * Kafka's consumer protocol as the gateway writes it (gateway/consumer-protocol.ts) for the
 * members of a group of Tributary's own consumers: subscription and assignment bytes, version
 * 0. Checked against kafkajs's MemberMetadata and MemberAssignment (its encoder and decoder of
 * the same structures) and against the layout of Kafka's ConsumerProtocolSubscription and
 * ConsumerProtocolAssignment, written out here.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { assignmentBytes, subscriptionBytes } from "../../gateway/consumer-protocol.ts";

const require = createRequire(import.meta.url);
const { MemberMetadata, MemberAssignment } = require("kafkajs/src/consumer/assignerProtocol");

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("subscriptionBytes", () => {
  it("writes version 0: the topics, then null user data", () => {
    expect(subscriptionBytes(["orders", "payments"])).toEqual(
      Buffer.concat([
        hex("0000"), // version
        hex("00000002"),
        hex("0006"),
        Buffer.from("orders"),
        hex("0008"),
        Buffer.from("payments"),
        hex("ffffffff"), // user data: null
      ]),
    );
  });

  it("writes what kafkajs's MemberMetadata writes, and kafkajs reads it back", () => {
    const topics = ["orders", "payments", "clé-🚀"];
    const bytes = subscriptionBytes(topics);
    expect(bytes).toEqual(MemberMetadata.encode({ version: 0, topics, userData: null }));
    expect(MemberMetadata.decode(bytes)).toEqual({ version: 0, topics, userData: null });
  });

  it("writes an empty subscription", () => {
    expect(subscriptionBytes([])).toEqual(hex("0000 00000000 ffffffff"));
    expect(MemberMetadata.decode(subscriptionBytes([]))).toEqual({ version: 0, topics: [], userData: null });
  });
});

describe("assignmentBytes", () => {
  it("groups partitions by topic, in the order the topics first come", () => {
    const bytes = assignmentBytes([
      { topic: "orders", partition: 0 },
      { topic: "payments", partition: 1 },
      { topic: "orders", partition: 2 },
    ]);
    expect(bytes).toEqual(
      Buffer.concat([
        hex("0000"), // version
        hex("00000002"),
        hex("0006"),
        Buffer.from("orders"),
        hex("00000002 00000000 00000002"),
        hex("0008"),
        Buffer.from("payments"),
        hex("00000001 00000001"),
        hex("ffffffff"), // user data: null
      ]),
    );
  });

  it("writes what kafkajs's MemberAssignment writes, and kafkajs reads it back", () => {
    const bytes = assignmentBytes([
      { topic: "orders", partition: 3 },
      { topic: "orders", partition: 1 },
      { topic: "audit", partition: 0 },
    ]);
    const assignment = { orders: [3, 1], audit: [0] };
    expect(bytes).toEqual(MemberAssignment.encode({ version: 0, assignment, userData: null }));
    expect(MemberAssignment.decode(bytes)).toEqual({ version: 0, assignment, userData: null });
  });

  it("writes an empty assignment", () => {
    expect(assignmentBytes([])).toEqual(hex("0000 00000000 ffffffff"));
    expect(MemberAssignment.decode(assignmentBytes([]))).toEqual({ version: 0, assignment: {}, userData: null });
  });
});
