/**
 * Kafka's numeric error codes (from @platformatic/kafka's table, generated from Kafka's own
 * Errors.java), and the one mapping from Tributary's error codes to them. Tributary's codes
 * reuse Kafka's names where Kafka has one, so most map by name; the rest are listed here.
 */
import { protocolErrors } from "@platformatic/kafka";
import type { ErrorCode } from "../../sdk/protocol/errors.ts";

/** The Kafka error names the gateway answers with. */
export type KafkaErrorName = keyof typeof protocolErrors;

/** The numeric code of a Kafka error name (0 is none). */
export function kafkaCode(name: KafkaErrorName | "NONE"): number {
  if (name === "NONE") return 0;
  const known = protocolErrors[name];
  if (!known) throw new Error(`'${name}' is not a Kafka error`);
  return known.code;
}

/** Tributary's codes that Kafka has no error of the same name for. */
const RENAMED: Partial<Record<ErrorCode, KafkaErrorName>> = {
  UNAUTHENTICATED: "SASL_AUTHENTICATION_FAILED",
  NOT_FOUND: "UNKNOWN_SERVER_ERROR",
  METHOD_NOT_ALLOWED: "INVALID_REQUEST",
  UNSUPPORTED_MEDIA_TYPE: "INVALID_REQUEST",
};

/** The Kafka error for a Tributary error code (UNKNOWN_SERVER_ERROR for a code Kafka has no counterpart of). */
export function kafkaErrorOf(code: ErrorCode | string): KafkaErrorName {
  const renamed = RENAMED[code as ErrorCode];
  if (renamed) return renamed;
  return code in protocolErrors ? (code as KafkaErrorName) : "UNKNOWN_SERVER_ERROR";
}

/** Why a record batch of a Produce request was refused, as the Kafka error to answer. */
export class InvalidBatch extends Error {
  constructor(
    readonly kafkaError: KafkaErrorName,
    message: string,
  ) {
    super(message);
    this.name = "InvalidBatch";
  }
}
