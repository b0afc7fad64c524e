/**
 * The producer's options: what `client.producer()` takes beside `retry`, their defaults, and the
 * checks made when the producer is created (errors name the field).
 */
import { z } from "zod";
import type { CompressionType } from "../compression.ts";
import { invalidArgument } from "../errors.ts";
import { intIn } from "../options.ts";
import type { Acks } from "../protocol/schemas.ts";

/** Options of `client.producer()` beside `retry`. */
export interface ProducerSettings {
  /** The acks of a `send` that does not say; default 1. */
  acks?: Acks;
  /**
   * Whether sends carry a producer id and per-partition sequence numbers, so that retries store
   * each batch once and in order (Kafka's enable.idempotence). Default true, unless `acks` is 0
   * (which gives no answer to track sequences by). `true` with `acks` 0 is refused.
   */
  idempotent?: boolean;
  /**
   * A stable name for this producer across restarts (Kafka's transactional.id): a new producer
   * with the same name fences the older one, whose sends then fail with ProducerFencedError.
   * Needs idempotence.
   */
  transactionalId?: string;
  /** The largest batch in bytes of JSON, per partition (per topic when not idempotent). Default 1048576. */
  batchSize?: number;
  /**
   * How long, in ms, a batch waits for more messages after its first one (Kafka's linger.ms).
   * Default 0: each send goes at once (messages sent while a batch of the same partition is in
   * flight still gather in the next batch).
   */
  lingerMs?: number;
  /** `"gzip"`: gzip request bodies of 1 KiB or more (needs CompressionStream). Default `"none"`. */
  compression?: CompressionType;
  /** How long a topic's partition count is cached, in ms. Default 30000. */
  metadataMaxAgeMs?: number;
}

/** The defaults of `ProducerSettings`. */
export const PRODUCER_DEFAULTS = {
  acks: 1 as Acks,
  batchSize: 1_048_576,
  lingerMs: 0,
  compression: "none" as CompressionType,
  metadataMaxAgeMs: 30_000,
} as const;

/** Requests the worker reads are at most 16 MiB, so a batch must stay below. */
const MAX_BATCH_SIZE = 16 * 1024 * 1024;

/** An acks option, with a message saying what it may be. */
export const acksOption = z.union([z.literal(0), z.literal(1), z.literal(-1), z.literal("all")], {
  error: 'must be 0, 1, -1 or "all"',
});

/** The producer's own options (schema). */
export const producerSettingsSchema = z.strictObject({
  acks: acksOption.optional(),
  idempotent: z.boolean({ error: "must be true or false" }).optional(),
  transactionalId: z
    .string({ error: "must be a string of 1 to 249 characters" })
    .min(1, "must be a string of 1 to 249 characters")
    .max(249, "must be a string of 1 to 249 characters")
    .optional(),
  batchSize: intIn(1, MAX_BATCH_SIZE).optional(),
  lingerMs: intIn(0, 60_000).optional(),
  compression: z.enum(["gzip", "none"], { error: 'must be "gzip" or "none"' }).optional(),
  metadataMaxAgeMs: intIn(0, 3_600_000).optional(),
});

/** Checks what one field cannot: combinations. Throws INVALID_ARGUMENT naming the field. */
export function checkProducerSettings(settings: ProducerSettings, where: string): void {
  if (settings.idempotent === true && settings.acks === 0) {
    throw invalidArgument(
      `${where}: acks: must be 1, -1 or "all" when idempotent is true (with acks 0 no answer comes back to track sequence numbers by); set idempotent: false to send with acks 0`,
      { field: "acks" },
    );
  }
  if (settings.transactionalId !== undefined && (settings.idempotent === false || settings.acks === 0)) {
    throw invalidArgument(
      `${where}: transactionalId: needs an idempotent producer (leave idempotent unset or true, and acks 1, -1 or "all")`,
      { field: "transactionalId" },
    );
  }
}
