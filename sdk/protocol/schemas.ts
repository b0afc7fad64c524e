/**
 * Zod schemas of the public HTTP contract (docs/api.md), shared by the worker (which validates
 * requests with them) and the SDK (which validates configuration and answers).
 */
import { z } from "zod";

export const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
export const GROUP_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export const MAX_PARTITIONS = 1024;
/** A record is stored in one SQLite row, which Durable Objects cap at 2 MB. */
export const MAX_MESSAGE_BYTES = 1_800_000;
export const MAX_REPLICATION_FACTOR = 5;
export const MAX_WAIT_MS = 30_000;
export const MAX_FETCH_RECORDS = 10_000;
export const DEFAULT_FETCH_RECORDS = 1_000;
export const DEFAULT_FETCH_BYTES = 4 * 1024 * 1024;
export const MAX_FETCH_BYTES = 32 * 1024 * 1024;

export const TOPIC_DEFAULTS = {
  retentionMs: 604_800_000,
  retentionBytes: 1_073_741_824,
  maxMessageBytes: 1_048_576,
  minInsyncReplicas: 2,
  cleanupPolicy: "delete",
  produceRecordsPerSecond: -1,
  produceBytesPerSecond: -1,
} as const;

export function isValidTopicName(name: string): boolean {
  return TOPIC_NAME.test(name) && name !== "." && name !== "..";
}

export const topicName = z
  .string()
  .refine(
    isValidTopicName,
    "a topic name is 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' or '-', and not '.' or '..'",
  );

const retention = z.union([z.literal(-1), z.int().min(1)]);

export const topicConfigSchema = z.strictObject({
  retentionMs: retention.optional(),
  retentionBytes: retention.optional(),
  maxMessageBytes: z.int().min(1).max(MAX_MESSAGE_BYTES).optional(),
  minInsyncReplicas: z.int().min(1).max(MAX_REPLICATION_FACTOR).optional(),
  cleanupPolicy: z.literal("delete").optional(),
  /** Produce quota per partition; -1 for none. Over it, produce answers 429 with Retry-After. */
  produceRecordsPerSecond: z.union([z.literal(-1), z.int().min(1)]).optional(),
  produceBytesPerSecond: z.union([z.literal(-1), z.int().min(1024)]).optional(),
  /** How long a follower may lag before it leaves the in-sync replica set. */
  replicaLagTimeMs: z.int().min(100).max(600_000).optional(),
});
export type TopicConfigInput = z.infer<typeof topicConfigSchema>;

export interface TopicConfig {
  retentionMs: number;
  retentionBytes: number;
  maxMessageBytes: number;
  minInsyncReplicas: number;
  cleanupPolicy: "delete";
  /** Absent on topics created before quotas existed: no quota. */
  produceRecordsPerSecond?: number;
  produceBytesPerSecond?: number;
  /** Absent on topics created before replication existed: the default (10 s). */
  replicaLagTimeMs?: number;
}

export const createTopicSchema = z.strictObject({
  name: topicName,
  partitions: z.int().min(1).max(MAX_PARTITIONS).default(1),
  replicationFactor: z.int().min(1).max(MAX_REPLICATION_FACTOR).default(3),
  config: topicConfigSchema.default({}),
});
export type CreateTopicInput = z.input<typeof createTopicSchema>;

export const patchTopicSchema = z.strictObject({
  partitions: z.int().min(1).max(MAX_PARTITIONS).optional(),
  config: topicConfigSchema.optional(),
});
export type PatchTopicInput = z.input<typeof patchTopicSchema>;

const base64 = z.base64("expected standard base64");

/** A record as a producer sends it. */
export const produceRecordSchema = z
  .strictObject({
    key: z.string().nullable().optional(),
    keyBase64: base64.optional(),
    value: z.unknown().optional(),
    valueBase64: base64.optional(),
    headers: z.record(z.string(), z.string()).optional(),
    timestamp: z.int().min(0).optional(),
    partition: z.int().min(0).optional(),
  })
  .check((ctx) => {
    const r = ctx.value;
    const hasValue = "value" in r;
    if (hasValue === (r.valueBase64 !== undefined)) {
      ctx.issues.push({
        code: "custom",
        input: r,
        path: ["value"],
        message: hasValue ? "give either value or valueBase64, not both" : "value (or valueBase64) is required",
      });
    }
    if (r.key != null && r.keyBase64 !== undefined) {
      ctx.issues.push({ code: "custom", input: r, path: ["key"], message: "give either key or keyBase64, not both" });
    }
  });
export type ProduceRecord = z.infer<typeof produceRecordSchema>;

export const acksSchema = z.union([z.literal(0), z.literal(1), z.literal("all"), z.literal(-1)]).default(1);
export type Acks = 0 | 1 | "all" | -1;

/** An idempotent producer's id and epoch, as `POST /v1/producers` answers them. */
export const producerIdSchema = z.object({ id: z.string().min(1).max(64), epoch: z.int().min(0) });
export type ProducerId = z.output<typeof producerIdSchema>;

/** An idempotent produce's stamp: who sends the batch, and the sequence number of its first record. */
export const producerStampSchema = z.strictObject({
  id: z.string().min(1).max(64),
  epoch: z.int().min(0),
  sequence: z.int().min(0),
});
export type ProducerStamp = z.output<typeof producerStampSchema>;

export const produceRequestSchema = z.strictObject({
  records: z.array(produceRecordSchema).min(1, "records must hold at least one record"),
  acks: acksSchema,
  producer: producerStampSchema.optional(),
});
export type ProduceRequest = z.input<typeof produceRequestSchema>;

const intParam = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

export const partitionParam = intParam("partition", 0, MAX_PARTITIONS - 1);

export const fetchQuerySchema = z.strictObject({
  offset: intParam("offset", 0, Number.MAX_SAFE_INTEGER),
  maxRecords: intParam("maxRecords", 1, MAX_FETCH_RECORDS).default(DEFAULT_FETCH_RECORDS),
  maxBytes: intParam("maxBytes", 1, MAX_FETCH_BYTES).default(DEFAULT_FETCH_BYTES),
  waitMs: intParam("waitMs", 0, MAX_WAIT_MS).default(0),
  /** Read from this replica (any in-sync one serves up to the high watermark); default: the closest. */
  replica: intParam("replica", 0, MAX_REPLICATION_FACTOR - 1).optional(),
});

export const subscribeQuerySchema = z.strictObject({
  offset: z
    .union([z.literal("earliest"), z.literal("latest"), intParam("offset", 0, Number.MAX_SAFE_INTEGER)])
    .optional(),
  /** For browsers, whose WebSocket and EventSource cannot send an Authorization header. */
  token: z.string().optional(),
});

export const offsetsQuerySchema = z.strictObject({
  at: z.union([z.literal("earliest"), z.literal("latest"), intParam("at", 0, Number.MAX_SAFE_INTEGER)]),
});

export const initProducerSchema = z.strictObject({
  transactionalId: z.string().min(1).max(249).optional(),
});

// ---- Consumer groups ----

export const groupName = z
  .string()
  .regex(GROUP_NAME, "a group name is 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' or '-'");

export const assignorSchema = z.enum(["range", "roundrobin", "sticky"]);
export type AssignorName = z.output<typeof assignorSchema>;

/** A group's state, with Kafka's names. */
export type GroupStateName = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable";

export const joinGroupSchema = z.strictObject({
  topics: z.array(topicName).min(1, "topics must name at least one topic").max(100),
  memberId: z.string().min(1).max(300).optional(),
  sessionTimeoutMs: z.int().min(1_000).max(300_000).default(30_000),
  assignor: assignorSchema.default("range"),
});

export const heartbeatSchema = z.strictObject({ generation: z.int().min(0) });

const topicPartitionOffset = z.strictObject({
  topic: topicName,
  partition: z
    .int()
    .min(0)
    .max(MAX_PARTITIONS - 1),
  offset: z.int().min(0),
  metadata: z.string().max(4096).optional(),
});

export const commitSchema = z.strictObject({
  memberId: z.string().min(1).optional(),
  generation: z.int().min(0).optional(),
  offsets: z.array(topicPartitionOffset).min(1).max(10_000),
});

export const resetOffsetsSchema = z.strictObject({
  topic: topicName,
  to: z.union([
    z.literal("earliest"),
    z.literal("latest"),
    z.strictObject({ timestamp: z.int().min(0) }),
    z.strictObject({ offset: z.int().min(0) }),
  ]),
});

// ---- Queue mode ----

export const receiveSchema = z.strictObject({
  topic: topicName,
  maxRecords: z.int().min(1).max(1000).default(10),
  visibilityTimeoutMs: z.int().min(100).max(43_200_000).default(30_000),
  waitMs: z.int().min(0).max(MAX_WAIT_MS).default(0),
});

const receipts = z.array(z.string().min(1).max(600)).min(1, "receipts must hold at least one receipt").max(1000);

export const ackSchema = z.strictObject({ receipts });

export const nackSchema = z.strictObject({
  receipts,
  delayMs: z.int().min(0).max(43_200_000).default(0),
  /** Why processing failed; kept with the record and put in its dead-letter headers. */
  reason: z.string().max(1000).optional(),
});

export const queueConfigSchema = z.strictObject({
  topic: topicName,
  maxDeliveries: z.int().min(1).max(1000).optional(),
  deadLetterTopic: topicName.optional(),
});

// Answers of the group calls: the SDK checks them with these, the coordinator's types derive from them.

export const topicPartitionSchema = z.object({ topic: z.string(), partition: z.int() });
/** A partition of a topic. */
export type TopicPartition = z.output<typeof topicPartitionSchema>;

export const joinAnswerSchema = z.object({
  memberId: z.string(),
  generation: z.int(),
  assignments: z.array(topicPartitionSchema),
});
export type JoinAnswer = z.output<typeof joinAnswerSchema>;

export const heartbeatAnswerSchema = z.object({
  generation: z.int(),
  assignments: z.array(topicPartitionSchema),
  state: z.string(),
});
export type HeartbeatAnswer = z.output<typeof heartbeatAnswerSchema>;

/** A group's position in one partition. */
export const partitionLagSchema = z.object({
  topic: z.string(),
  partition: z.int(),
  /** The next offset the group will read, or null when it has committed nothing here. */
  committed: z.int().nullable(),
  highWatermark: z.int(),
  logStartOffset: z.int(),
  lag: z.number(),
});
export type PartitionLag = z.output<typeof partitionLagSchema>;

export const groupOffsetsQuerySchema = z.strictObject({ topic: topicName.optional() });

// ---- Answers ----

export interface PartitionDescription {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  /** Bytes of the partition's stored records. */
  bytes?: number;
  /** With replication: the leading replica, its epoch, all replicas and the in-sync ones. */
  leader?: number;
  leaderEpoch?: number;
  replicas?: number[];
  isr?: number[];
}

export interface TopicDescription {
  name: string;
  id: string;
  partitions: PartitionDescription[];
  replicationFactor: number;
  config: TopicConfig;
  createdAt: number;
}

export interface ProduceResult {
  partition: number;
  offset: number;
  timestamp: number;
}

/** A record as fetch, subscribe and receive answer it (the SDK checks answers with this). */
export const fetchedRecordSchema = z.object({
  partition: z.int(),
  offset: z.int(),
  timestamp: z.number(),
  key: z.string().nullable().optional(),
  keyBase64: z.string().optional(),
  value: z.unknown().optional(),
  valueBase64: z.string().optional(),
  headers: z.record(z.string(), z.string()).nullable().optional(),
});

/** A record as a fetch answers it. */
export interface FetchedRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key?: string | null;
  keyBase64?: string;
  value?: unknown;
  valueBase64?: string;
  headers?: Record<string, string>;
}

export interface FetchResponse {
  records: FetchedRecord[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}
