import { describe, expect, it } from "vitest";
import {
  deadLetterRecord,
  defaultQueueConfig,
  exhausted,
  firstDelivery,
  type Lease,
  makeReceipt,
  parseReceipt,
  receivedJson,
  redelivery,
  touchedPartitions,
} from "../../durable-objects/group-coordinator/leases.ts";

const lease = (over: Partial<Lease> = {}): Lease => ({
  topic: "jobs",
  partition: 1,
  offset: 7,
  record: JSON.stringify({ offset: 7, partition: 1, key: "k", value: { n: 1 }, headers: { h: "v" } }),
  deliveryCount: 1,
  visibleAt: 1_000,
  receipt: "jobs:1:7:1:abc",
  lastError: null,
  ...over,
});

describe("receipts", () => {
  it("name one delivery of one record, and parse back to its topic, partition and offset", () => {
    const receipt = makeReceipt("jobs.v2", 3, 42, 2);
    expect(receipt).toMatch(/^jobs\.v2:3:42:2:[a-z0-9]+$/);
    expect(parseReceipt(receipt)).toEqual({ topic: "jobs.v2", partition: 3, offset: 42 });
  });

  it("differ between two deliveries of the same record", () => {
    expect(makeReceipt("jobs", 0, 1, 1)).not.toBe(makeReceipt("jobs", 0, 1, 1));
  });

  it("refuses text this API did not hand out", () => {
    expect(parseReceipt("jobs:1:7")).toBeUndefined();
    expect(parseReceipt("jobs:one:7:1:abc")).toBeUndefined();
    expect(parseReceipt("a/b:1:7:1:abc")).toBeUndefined();
  });
});

describe("queue config", () => {
  it("defaults to five deliveries, then the topic's .dlq", () => {
    expect(defaultQueueConfig("jobs")).toEqual({ topic: "jobs", maxDeliveries: 5, deadLetterTopic: "jobs.dlq" });
  });

  it("counts a lease exhausted once it has had maxDeliveries deliveries", () => {
    const config = { topic: "jobs", maxDeliveries: 3, deadLetterTopic: "jobs.dlq" };
    expect(exhausted(lease({ deliveryCount: 2 }), config)).toBe(false);
    expect(exhausted(lease({ deliveryCount: 3 }), config)).toBe(true);
  });
});

describe("deliveries", () => {
  it("leases a first delivery until the visibility timeout, keeping the record as fetched", () => {
    const record = { offset: 9, value: "x" };
    const l = firstDelivery("jobs", 2, record, 5_000, 30_000);
    expect(l).toMatchObject({ topic: "jobs", partition: 2, offset: 9, deliveryCount: 1, visibleAt: 35_000 });
    expect(l.lastError).toBeNull();
    expect(JSON.parse(l.record)).toEqual(record);
    expect(parseReceipt(l.receipt)).toEqual({ topic: "jobs", partition: 2, offset: 9 });
  });

  it("counts a redelivery, hides it again and gives it a new receipt, keeping its last error", () => {
    const before = lease({ deliveryCount: 2, lastError: "boom" });
    const next = redelivery(before, 10_000, 500);
    expect(next).toMatchObject({ deliveryCount: 3, visibleAt: 10_500, lastError: "boom", record: before.record });
    expect(next.receipt).not.toBe(before.receipt);
    expect(next.receipt).toMatch(/^jobs:1:7:3:/);
  });
});

describe("deadLetterRecord", () => {
  it("keeps key, value and headers and adds where the record came from and why it failed", () => {
    expect(deadLetterRecord("workers", lease({ deliveryCount: 5, lastError: "timeout" }))).toEqual({
      key: "k",
      keyBase64: undefined,
      value: { n: 1 },
      headers: {
        h: "v",
        "x-dlq-source-topic": "jobs",
        "x-dlq-source-partition": "1",
        "x-dlq-source-offset": "7",
        "x-dlq-group": "workers",
        "x-dlq-delivery-count": "5",
        "x-dlq-reason": "timeout",
      },
    });
  });

  it("keeps a base64 value as base64, and names the deliveries when no error was given", () => {
    const record = JSON.stringify({ offset: 7, partition: 1, valueBase64: "AAE=" });
    const dead = deadLetterRecord("workers", lease({ record, deliveryCount: 4 }));
    expect(dead.valueBase64).toBe("AAE=");
    expect("value" in dead).toBe(false);
    expect(dead.headers?.["x-dlq-reason"]).toBe("failed 4 deliveries");
  });
});

describe("receivedJson", () => {
  it("answers each record with its topic, receipt and delivery count first", () => {
    const json = receivedJson([lease(), lease({ offset: 8, receipt: "jobs:1:8:2:x", deliveryCount: 2 })]);
    const parsed = JSON.parse(json) as Record<string, unknown>[];
    expect(parsed).toHaveLength(2);
    expect(parsed[0]).toMatchObject({ topic: "jobs", receipt: "jobs:1:7:1:abc", deliveryCount: 1, offset: 7 });
    expect(parsed[1]).toMatchObject({ receipt: "jobs:1:8:2:x", deliveryCount: 2 });
    expect(receivedJson([])).toBe("[]");
  });
});

describe("touchedPartitions", () => {
  it("lists each partition of the leases once", () => {
    const touched = touchedPartitions([lease(), lease({ offset: 8 }), lease({ partition: 0 }), lease({ topic: "b" })]);
    expect(touched).toEqual([
      { topic: "jobs", partition: 1 },
      { topic: "jobs", partition: 0 },
      { topic: "b", partition: 1 },
    ]);
  });
});
