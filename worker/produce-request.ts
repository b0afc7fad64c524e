/**
 * Parsing a produce request. zod's produceRequestSchema is the definition; because a produce
 * may carry thousands of records and validation is on the hot path, plain requests (records
 * with only key, value, headers, timestamp, partition) are checked by a hand-written test that
 * accepts only what the schema accepts, and everything else goes through zod, which also
 * writes the error messages. test/unit/produce-request.test.ts holds the two to agreement.
 */
import { type ProduceRecord, produceRequestSchema } from "../sdk/protocol/schemas.ts";
import { validate } from "./validate.ts";

export interface ParsedProduceRequest {
  records: ProduceRecord[];
  acks: 0 | 1 | "all" | -1;
  producer?: { id: string; epoch: number; sequence: number };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isStringMap(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const k in v) {
    if (k === "__proto__" || typeof v[k] !== "string") return false;
  }
  return true;
}

const isNonNegativeInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** True only for a record that produceRecordSchema certainly accepts unchanged. */
export function isPlainRecord(r: unknown): boolean {
  if (!isPlainObject(r)) return false;
  let hasValue = false;
  for (const k in r) {
    const v = r[k];
    switch (k) {
      case "value":
        hasValue = true;
        break;
      case "key":
        if (v !== null && typeof v !== "string") return false;
        break;
      case "headers":
        if (!isStringMap(v)) return false;
        break;
      case "timestamp":
      case "partition":
        if (!isNonNegativeInt(v)) return false;
        break;
      default:
        return false;
    }
  }
  return hasValue;
}

/** True only for a producer stamp the schema certainly accepts unchanged. */
function isPlainProducer(p: unknown): p is ParsedProduceRequest["producer"] {
  if (!isPlainObject(p)) return false;
  let n = 0;
  for (const k in p) {
    if (k !== "id" && k !== "epoch" && k !== "sequence") return false;
    n++;
  }
  const id = p.id;
  return (
    n === 3 &&
    typeof id === "string" &&
    id.length >= 1 &&
    id.length <= 64 &&
    isNonNegativeInt(p.epoch) &&
    isNonNegativeInt(p.sequence)
  );
}

function fastParse(body: unknown): ParsedProduceRequest | undefined {
  if (!isPlainObject(body)) return undefined;
  let acks: ParsedProduceRequest["acks"] = 1;
  let producer: ParsedProduceRequest["producer"];
  for (const k in body) {
    if (k === "acks") {
      const a = body.acks;
      if (a !== 0 && a !== 1 && a !== -1 && a !== "all") return undefined;
      acks = a;
    } else if (k === "producer") {
      if (!isPlainProducer(body.producer)) return undefined;
      producer = body.producer;
    } else if (k !== "records") {
      return undefined;
    }
  }
  const records = body.records;
  if (!Array.isArray(records) || records.length === 0) return undefined;
  for (const r of records) if (!isPlainRecord(r)) return undefined;
  return producer
    ? { records: records as ProduceRecord[], acks, producer }
    : { records: records as ProduceRecord[], acks };
}

export function parseProduceRequest(body: unknown): ParsedProduceRequest {
  return fastParse(body) ?? validate(produceRequestSchema, body, "produce request");
}
