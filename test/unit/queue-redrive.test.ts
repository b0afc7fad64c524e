import { describe, expect, it } from "vitest";
import { lagFrom } from "../../durable-objects/group-coordinator/offsets.ts";
import { redriveFrom } from "../../durable-objects/group-coordinator/queue-stats.ts";
import { isDeadLetterOf, redrivenRecord } from "../../durable-objects/group-coordinator/redrive.ts";

const letter = (headers: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  partition: 0,
  offset: 7,
  timestamp: 1,
  value: { job: 1 },
  headers: {
    "x-dlq-source-topic": "jobs",
    "x-dlq-source-partition": "2",
    "x-dlq-source-offset": "40",
    "x-dlq-group": "workers",
    "x-dlq-delivery-count": "5",
    "x-dlq-reason": "boom",
    ...headers,
  },
  ...extra,
});

describe("redrive", () => {
  it("sends a dead letter back as produced: its key, value and own headers, to its partition, counted", () => {
    expect(redrivenRecord(letter({ origin: "web" }, { key: "k" }), 4)).toEqual({
      key: "k",
      value: { job: 1 },
      headers: { origin: "web", "x-redrive-count": "1" },
      partition: 2,
    });
    const binary = { ...letter({ "x-redrive-count": "2" }), value: undefined, valueBase64: "AAE=", keyBase64: "AQ==" };
    expect(redrivenRecord(binary, 4)).toEqual({
      keyBase64: "AQ==",
      valueBase64: "AAE=",
      headers: { "x-redrive-count": "3" },
      partition: 2,
    });
  });

  it("leaves the partition to the partitioner when the topic no longer has it", () => {
    expect(redrivenRecord(letter({}), 2)).not.toHaveProperty("partition");
    expect(redrivenRecord(letter({ "x-dlq-source-partition": "nope" }), 4)).not.toHaveProperty("partition");
  });

  it("takes only the group's dead letters of the topic", () => {
    expect(isDeadLetterOf(letter({}), "workers", "jobs")).toBe(true);
    expect(isDeadLetterOf(letter({}), "others", "jobs")).toBe(false);
    expect(isDeadLetterOf(letter({}), "workers", "orders")).toBe(false);
    expect(isDeadLetterOf({ partition: 0, offset: 0, timestamp: 0, value: 1 }, "workers", "jobs")).toBe(false);
  });

  it("goes on from the kept position, within the log; from the start above the end (a topic made again)", () => {
    const log = { logStartOffset: 10, highWatermark: 50 };
    expect(redriveFrom(undefined, log)).toBe(10);
    expect(redriveFrom(30, log)).toBe(30);
    expect(redriveFrom(3, log)).toBe(10);
    expect(redriveFrom(51, log)).toBe(10);
    expect(redriveFrom(50, log)).toBe(50);
  });
});

describe("lag", () => {
  it("counts from the committed offset, or the log start when nothing or less is committed", () => {
    const log = { logStartOffset: 10, highWatermark: 50 };
    expect(lagFrom(45, log)).toBe(5);
    expect(lagFrom(null, log)).toBe(40);
    expect(lagFrom(3, log)).toBe(40);
    expect(lagFrom(60, log)).toBe(0);
  });
});
