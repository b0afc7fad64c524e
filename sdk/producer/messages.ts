/** What `producer.send` takes, checked, and each of its messages in the API's record form. */
import { z } from "zod";
import { asBytes, bytesToBase64 } from "../base64.ts";
import { invalidArgument } from "../errors.ts";
import { topicOption } from "../options.ts";
import type { ProduceRecord } from "../protocol/schemas.ts";
import { acksOption } from "./options.ts";
import type { Message } from "./types.ts";

/** `producer.send`'s argument; messages are checked one by one by toWireRecord. */
export const sendSchema = z.strictObject({
  topic: topicOption,
  messages: z.array(z.unknown(), { error: "must be an array of messages" }).min(1, "must hold at least one message"),
  acks: acksOption.optional(),
});

/** A message in the API's record form: bytes as base64, the rest as given. */
export function toWireRecord(message: Message, index: number): ProduceRecord {
  if (typeof message !== "object" || message === null) {
    throw invalidArgument(`producer.send: messages[${index}]: must be an object with a value`);
  }
  const record: ProduceRecord = {};
  const { key, value, headers, timestamp, partition } = message;
  if (key !== undefined && key !== null) {
    const keyBytes = asBytes(key);
    if (keyBytes) record.keyBase64 = bytesToBase64(keyBytes);
    else record.key = key as string;
  }
  if (value === undefined) {
    throw invalidArgument(`producer.send: messages[${index}].value: is required (use null for an empty value)`);
  }
  const valueBytes = asBytes(value);
  if (valueBytes) record.valueBase64 = bytesToBase64(valueBytes);
  else record.value = value;
  if (headers !== undefined) record.headers = headers;
  if (timestamp !== undefined) record.timestamp = timestamp instanceof Date ? timestamp.getTime() : timestamp;
  if (partition !== undefined) record.partition = partition;
  return record;
}
