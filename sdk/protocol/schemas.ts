/**
 * Zod schemas of the public HTTP contract (docs/api.md), shared by the worker (which validates
 * requests with them) and the SDK (which validates configuration and answers): the one home of
 * the wire shapes. Their types derive from the schemas (`z.output`), never written twice.
 */
import { z } from "zod";

/**
 * An answer's object that the SDK hands on to its caller: fields a newer server adds come
 * through (a loose object), while its type names only the fields this version knows, as an
 * interface would, instead of adding an index signature of unknowns to every public type.
 */
function answerObject<S extends z.core.$ZodShape>(shape: S): z.ZodObject<S> {
  return z.looseObject(shape) as unknown as z.ZodObject<S>;
}

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
/** The longest a queue delivery stays invisible, and a nacked record waits: 12 hours, as SQS. */
export const MAX_VISIBILITY_MS = 43_200_000;
/** The longest failure reason a nack keeps (and the SDK's retry topics put in their headers). */
export const MAX_REASON_LENGTH = 1000;

export const TOPIC_DEFAULTS = {
  retentionMs: 604_800_000,
  retentionBytes: 1_073_741_824,
  maxMessageBytes: 1_048_576,
  minInsyncReplicas: 2,
  cleanupPolicy: "delete",
  produceRecordsPerSecond: -1,
  produceBytesPerSecond: -1,
  deleteRetentionMs: 86_400_000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: -1,
  localRetentionMs: -1,
  localRetentionBytes: -1,
} as const;

/**
 * What happens to old records (Kafka's cleanup.policy): "delete" removes them by time and size
 * (retentionMs, retentionBytes); "compact" keeps the latest record of each key; "compact,delete"
 * does both.
 */
export const cleanupPolicySchema = z.enum(["delete", "compact", "compact,delete"]);
export type CleanupPolicy = z.output<typeof cleanupPolicySchema>;

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
  cleanupPolicy: cleanupPolicySchema.optional(),
  /** How long a tombstone (a record whose value is null) stays in a compacted log. */
  deleteRetentionMs: z.int().min(0).optional(),
  /** How long a record stays uncompacted at least. */
  minCompactionLagMs: z.int().min(0).optional(),
  /** How long a record may stay uncompacted at most; -1 for no bound. */
  maxCompactionLagMs: z.union([z.literal(-1), z.int().min(1)]).optional(),
  /** How long records stay in the partition's own storage before they move to R2; -1 keeps them all. */
  localRetentionMs: retention.optional(),
  /** How many bytes of records a partition keeps in its own storage, the older ones in R2; -1 keeps them all. */
  localRetentionBytes: retention.optional(),
  /** Produce quota per partition; -1 for none. Over it, produce answers 429 with Retry-After. */
  produceRecordsPerSecond: z.union([z.literal(-1), z.int().min(1)]).optional(),
  produceBytesPerSecond: z.union([z.literal(-1), z.int().min(1024)]).optional(),
  /** How long a follower may lag before it leaves the in-sync replica set. */
  replicaLagTimeMs: z.int().min(100).max(600_000).optional(),
});
/** The config a topic is created or changed with: every field optional, the rest keeps its value or default. */
export type TopicConfigInput = z.output<typeof topicConfigSchema>;

/** A topic's whole config, defaults filled in, as a description answers it and the controller keeps it. */
export const describedTopicConfigSchema = answerObject({
  retentionMs: z.number(),
  retentionBytes: z.number(),
  maxMessageBytes: z.number(),
  minInsyncReplicas: z.number(),
  cleanupPolicy: cleanupPolicySchema,
  /** Absent on topics created before compaction and tiered storage existed: the defaults. */
  deleteRetentionMs: z.number().optional(),
  minCompactionLagMs: z.number().optional(),
  maxCompactionLagMs: z.number().optional(),
  localRetentionMs: z.number().optional(),
  localRetentionBytes: z.number().optional(),
  /** Absent on topics created before quotas existed: no quota. */
  produceRecordsPerSecond: z.number().optional(),
  produceBytesPerSecond: z.number().optional(),
  /** Absent on topics created before replication existed: the default (10 s). */
  replicaLagTimeMs: z.number().optional(),
});
/** A topic's config with every default filled in (see TopicConfigInput for what may be set). */
export type TopicConfig = z.output<typeof describedTopicConfigSchema>;

export const createTopicSchema = z.strictObject({
  name: topicName,
  partitions: z.int().min(1).max(MAX_PARTITIONS).default(1),
  replicationFactor: z.int().min(1).max(MAX_REPLICATION_FACTOR).default(3),
  config: topicConfigSchema.default({}),
});

export const patchTopicSchema = z.strictObject({
  partitions: z.int().min(1).max(MAX_PARTITIONS).optional(),
  config: topicConfigSchema.optional(),
});

const base64 = z.base64("expected standard base64");

/**
 * A record's headers, text to text. `__proto__` is refused: JSON carries it as a key, but an
 * object built from it would take it as its prototype and lose the header.
 */
const recordHeaders = z.preprocess(
  (v, ctx) => {
    // zod's record skips the key silently, so it is looked for here.
    if (typeof v === "object" && v !== null && Object.hasOwn(v, "__proto__")) {
      ctx.addIssue({ code: "custom", message: "a header may not be named __proto__", input: v });
    }
    return v;
  },
  z.record(z.string(), z.string()),
);

/** A record as a producer sends it. */
export const produceRecordSchema = z
  .strictObject({
    key: z.string().nullable().optional(),
    keyBase64: base64.optional(),
    value: z.unknown().optional(),
    valueBase64: base64.optional(),
    headers: recordHeaders.optional(),
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
export type ProduceRecord = z.output<typeof produceRecordSchema>;

export const acksSchema = z.union([z.literal(0), z.literal(1), z.literal("all"), z.literal(-1)]).default(1);
/**
 * When a produce answers: 0 at once (without results), 1 once the partition stored the records,
 * `"all"` (or -1) once the topic's minInsyncReplicas did.
 */
export type Acks = z.output<typeof acksSchema>;

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

/**
 * Kafka's DeleteRecords for one partition: the log start moves up to `beforeOffset` (-1: the
 * high watermark), and the records below it are gone.
 */
export const deleteRecordsSchema = z.strictObject({
  beforeOffset: z.union([z.literal(-1), z.int().min(0).max(Number.MAX_SAFE_INTEGER)]),
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
  /** A classic member's static identity (Kafka's group.instance.id), if it has one. */
  groupInstanceId: z.string().min(1).max(249).nullable().optional(),
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
  visibilityTimeoutMs: z.int().min(100).max(MAX_VISIBILITY_MS).default(30_000),
  waitMs: z.int().min(0).max(MAX_WAIT_MS).default(0),
});

const receipts = z.array(z.string().min(1).max(600)).min(1, "receipts must hold at least one receipt").max(1000);

export const ackSchema = z.strictObject({ receipts });

export const nackSchema = z.strictObject({
  receipts,
  delayMs: z.int().min(0).max(MAX_VISIBILITY_MS).default(0),
  /** Why processing failed; kept with the record and put in its dead-letter headers. */
  reason: z.string().max(MAX_REASON_LENGTH).optional(),
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

/** A group as `GET /v1/groups` lists it. */
export const groupSummarySchema = answerObject({
  group: z.string(),
  state: z.string(),
  members: z.int(),
  generation: z.int(),
  /** Kafka's protocol type: "consumer" for consumer groups. */
  protocolType: z.string().optional(),
});
export const groupListAnswerSchema = z.object({ groups: z.array(groupSummarySchema) });
export type GroupSummary = z.output<typeof groupSummarySchema>;

/** One member as `GET /v1/groups/:group` describes it. */
export const groupMemberSchema = answerObject({
  memberId: z.string(),
  /** Tributary's members: what they subscribe to and hold (a classic member's are in its bytes). */
  topics: z.array(z.string()),
  assignments: z.array(topicPartitionSchema),
  sessionTimeoutMs: z.int(),
  /** Classic members (Kafka clients): the client, its subscription and assignment bytes, base64. */
  groupInstanceId: z.string().nullable().optional(),
  clientId: z.string().optional(),
  clientHost: z.string().optional(),
  metadata: z.string().optional(),
  assignment: z.string().optional(),
});

/** What `GET /v1/groups/:group` answers. */
export const groupDescriptionSchema = answerObject({
  group: z.string(),
  state: z.string(),
  generation: z.int(),
  /** Whose protocol the members speak: Tributary's (assignment by the coordinator) or Kafka's classic one. */
  membership: z.enum(["tributary", "classic"]).optional(),
  protocolType: z.string().optional(),
  assignor: z.string(),
  members: z.array(groupMemberSchema),
  lag: z.array(partitionLagSchema),
  totalLag: z.number(),
});
export type GroupDescriptionAnswer = z.output<typeof groupDescriptionSchema>;

// ---- Classic groups (Kafka's protocol, assignment by the members; the Kafka gateway's) ----

const memberId = z.string().max(300);
const groupInstanceId = z.string().min(1).max(249).nullable().optional();

/** One assignment protocol a member supports, with its subscription (opaque bytes, base64). */
export const classicProtocolSchema = z.strictObject({ name: z.string().min(1).max(249), metadata: base64 });

export const classicJoinSchema = z.strictObject({
  /** Empty on a member's first join: the coordinator names it (MEMBER_ID_REQUIRED, then join again). */
  memberId: memberId.default(""),
  groupInstanceId,
  clientId: z.string().max(249).default(""),
  clientHost: z.string().max(249).default(""),
  protocolType: z.string().min(1).max(249),
  protocols: z.array(classicProtocolSchema).min(1, "protocols must name at least one protocol").max(32),
  sessionTimeoutMs: z.int().min(1_000).max(1_800_000),
  rebalanceTimeoutMs: z.int().min(0).max(1_800_000),
  /** JoinGroup v4 and later: a member without an id is given one and joins again with it. */
  requireKnownMemberId: z.boolean().default(true),
});
export type ClassicJoinInput = z.output<typeof classicJoinSchema>;

export const classicJoinAnswerSchema = z.object({
  memberId: z.string(),
  generation: z.int(),
  protocolType: z.string().nullable(),
  protocolName: z.string().nullable(),
  leader: z.string(),
  /** For the leader only: every member with its metadata for the chosen protocol. */
  members: z.array(z.object({ memberId: z.string(), groupInstanceId: z.string().nullable(), metadata: z.string() })),
});
export type ClassicJoinAnswer = z.output<typeof classicJoinAnswerSchema>;

export const classicSyncSchema = z.strictObject({
  memberId,
  generation: z.int().min(0),
  groupInstanceId,
  protocolType: z.string().nullable().optional(),
  protocolName: z.string().nullable().optional(),
  /** The leader's assignment of every member (base64); empty from the others. */
  assignments: z
    .array(z.strictObject({ memberId, assignment: base64 }))
    .max(10_000)
    .default([]),
});
export type ClassicSyncInput = z.output<typeof classicSyncSchema>;

export const classicSyncAnswerSchema = z.object({
  protocolType: z.string().nullable(),
  protocolName: z.string().nullable(),
  assignment: z.string(),
});

export const classicHeartbeatSchema = z.strictObject({ memberId, generation: z.int(), groupInstanceId });
export type ClassicHeartbeatInput = z.output<typeof classicHeartbeatSchema>;

export const classicLeaveSchema = z.strictObject({
  members: z.array(z.strictObject({ memberId, groupInstanceId })).min(1).max(1_000),
});
export type ClassicLeaveInput = z.output<typeof classicLeaveSchema>;

export const classicLeaveAnswerSchema = z.object({
  members: z.array(
    z.object({ memberId: z.string(), groupInstanceId: z.string().nullable(), error: z.string().optional() }),
  ),
});
export type ClassicLeaveAnswer = z.output<typeof classicLeaveAnswerSchema>;

// ---- Answers ----
// The SDK checks every answer with these (in http.ts); the worker and the objects name the
// same types.

/** One partition of a topic as `describeTopic` reports it. */
export const partitionInfoSchema = answerObject({
  partition: z.int(),
  /** The first offset the partition still holds (older records were removed by retention). */
  logStartOffset: z.int(),
  /** The offset the next record appended to the partition will get. */
  highWatermark: z.int(),
  /** Bytes the partition's records take, when the server reports it. */
  bytes: z.number().optional(),
  /** With tiered storage: the first offset in the partition's own storage; below it, records are in R2. */
  localStartOffset: z.int().optional(),
  /** With tiered storage: the bytes in the partition's own storage, and the segments in R2. */
  localBytes: z.number().optional(),
  segments: z.int().optional(),
  /** With a replication factor above 1: the leading replica and its leader epoch. */
  leader: z.int().optional(),
  leaderEpoch: z.int().optional(),
  /** Every replica, and those in sync with the leader. */
  replicas: z.array(z.int()).optional(),
  isr: z.array(z.int()).optional(),
});
/** One partition of a topic as `describeTopic` reports it. */
export type PartitionInfo = z.output<typeof partitionInfoSchema>;

/** A topic, its config and its partitions: what create, describe and change a topic answer. */
export const topicDescriptionSchema = answerObject({
  name: z.string(),
  /** Unique per creation of the name: a deleted and re-created topic gets a new id. */
  id: z.string(),
  partitions: z.array(partitionInfoSchema),
  replicationFactor: z.int(),
  config: describedTopicConfigSchema,
  createdAt: z.number(),
});
/** A topic, its config and its partitions. */
export type TopicDescription = z.output<typeof topicDescriptionSchema>;

/**
 * What the producer reads of a topic description: how many partitions there are (at least one,
 * as it divides by the count). Only that is checked, so a description that grows in a newer
 * server never stops produce, whatever it does to admin calls.
 */
export const topicPartitionCountSchema = z.looseObject({ partitions: z.array(z.unknown()).min(1) });

/** A topic as `listTopics` reports it. */
export const topicSummarySchema = answerObject({
  name: z.string(),
  /** Unique per creation of the name (a deleted and re-created topic gets a new one). */
  id: z.string().optional(),
  partitions: z.int(),
  replicationFactor: z.int().optional(),
  config: describedTopicConfigSchema.optional(),
});
/** A topic as `listTopics` reports it. */
export type TopicSummary = z.output<typeof topicSummarySchema>;

/** What `GET /v1/topics` answers. */
export const topicListAnswerSchema = z.object({ topics: z.array(topicSummarySchema) });

/** What deleting a topic answers: its name. */
export const deleteTopicAnswerSchema = z.object({ deleted: z.string() });

/** What an offset lookup answers; `timestamp` is the record's, when a time found one. */
export const offsetAnswerSchema = z.object({ offset: z.int(), timestamp: z.number().optional() });

/** What a DeleteRecords answers: the partition's log start offset now. */
export const deleteRecordsAnswerSchema = z.object({ partition: z.int(), logStartOffset: z.int() });
export type DeleteRecordsAnswer = z.output<typeof deleteRecordsAnswerSchema>;
/** The answer of `fetchOffset`; `timestamp` is the record's, when a time found one. */
export type OffsetAnswer = z.output<typeof offsetAnswerSchema>;

/** Where one produced record was stored. */
export const produceResultSchema = z.object({ partition: z.int(), offset: z.int(), timestamp: z.number() });

/** A produce's answer: a result per record, in request order; with acks 0, only how many were accepted. */
export const produceAnswerSchema = z.union([
  z.object({ results: z.array(produceResultSchema) }),
  z.object({ accepted: z.int() }),
]);

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
export type FetchedRecord = z.output<typeof fetchedRecordSchema>;

/** A page a subscription pushes: the next records, and where to resume after them. */
export const subscribePageSchema = z.object({
  records: z.array(fetchedRecordSchema),
  nextOffset: z.int(),
  highWatermark: z.int(),
});

/** A fetch's page: as a subscription's, plus the partition's log start offset. */
export const fetchAnswerSchema = subscribePageSchema.extend({ logStartOffset: z.int() });

/** The committed offsets of a group (per partition of a topic, or of every topic). */
export const groupOffsetsAnswerSchema = z.object({ offsets: z.array(partitionLagSchema) });

/** The answer of a call whose body the SDK ignores (leave, commit): any JSON object. */
export const ignoredAnswerSchema = z.looseObject({});

/** A record as queue mode delivers it: a fetched record, its topic and its delivery. */
export const receivedRecordSchema = fetchedRecordSchema.extend({
  topic: z.string(),
  receipt: z.string(),
  deliveryCount: z.int(),
});

/** What a queue receive answers: the records it leased, maybe none. */
export const receiveAnswerSchema = z.object({ records: z.array(receivedRecordSchema) });

/** How the group treats the topic's failed records (kept by the server, per group and topic). */
export const queueConfigAnswerSchema = answerObject({
  topic: z.string(),
  /** Deliveries before a record goes to the dead-letter topic. Server default 5. */
  maxDeliveries: z.int(),
  /** Where records go after maxDeliveries. Server default `<topic>.dlq`. */
  deadLetterTopic: z.string(),
});
/** How the group treats the topic's failed records (kept by the server, per group and topic). */
export type QueueConfig = z.output<typeof queueConfigAnswerSchema>;

/** What `GET /v1/groups/:group/queue` takes: the queue's topic, when the group reads more than one. */
export const queueStatsQuerySchema = z.strictObject({ topic: topicName.optional() });

/** What `POST /v1/groups/:group/queue/redrive` takes. */
export const redriveSchema = z.strictObject({
  /** The queue's topic, when the group reads more than one. */
  topic: topicName.optional(),
  /** The most records moved back by this call. */
  maxRecords: z.int().min(1).max(10_000).default(1000),
});

/** The figures of a queue, in all and per partition. */
const queueFigures = {
  /** Records not delivered yet: from nextOffset to the high watermark. */
  backlog: z.int(),
  /** Delivered and not acked, their visibility timeout still running. */
  inFlight: z.int(),
  /** Nacked with a delay that has not passed yet. */
  delayed: z.int(),
  /** Nacked or timed out, deliverable again at the next receive. */
  redeliverable: z.int(),
  /** Counted since the group started: deliveries beyond each record's first, acks, dead letters. */
  redeliveries: z.int(),
  acked: z.int(),
  deadLettered: z.int(),
};

/** Queue mode's figures of one partition of the queue's topic. */
export const queuePartitionStatsSchema = answerObject({
  partition: z.int(),
  logStartOffset: z.int(),
  highWatermark: z.int(),
  /** The next offset new records are taken from (null before the first receive). */
  nextOffset: z.int().nullable(),
  /** The group's committed offset: every record below it is done (acked or dead-lettered). */
  committed: z.int().nullable(),
  ...queueFigures,
});
/** Queue mode's figures of one partition of the queue's topic. */
export type QueuePartitionStats = z.output<typeof queuePartitionStatsSchema>;

/** What `GET /v1/groups/:group/queue` answers: the queue's config and its figures, in all and per partition. */
export const queueStatsAnswerSchema = answerObject({
  group: z.string(),
  topic: z.string(),
  maxDeliveries: z.int(),
  deadLetterTopic: z.string(),
  ...queueFigures,
  /** Records moved back from the dead-letter topic by redrives. */
  redriven: z.int(),
  /** Records in the dead-letter topic not redriven yet (0 when it does not exist). */
  deadLetterRemaining: z.int(),
  partitions: z.array(queuePartitionStatsSchema),
});
/** A queue's config and figures, as `admin.queueStats` answers them. */
export type QueueStats = z.output<typeof queueStatsAnswerSchema>;

/** What a redrive answers: records moved back to the topic, and those left in the dead-letter topic. */
export const redriveAnswerSchema = answerObject({
  redriven: z.int(),
  /** Dead letters of other topics or groups (a shared dead-letter topic), stepped over and left where they are. */
  skipped: z.int(),
  remaining: z.int(),
});
/** What `admin.redriveQueue` answers. */
export type RedriveAnswer = z.output<typeof redriveAnswerSchema>;

/** How many of an ack's receipts were current (the others were of earlier deliveries). */
export const ackAnswerSchema = z.object({ acked: z.int() });
/** How many of a nack's receipts were current. */
export const nackAnswerSchema = z.object({ nacked: z.int() });

// ---- Tokens: scoped API tokens with Kafka-style ACLs (docs/security.md) ----

/** What an ACL names: topics, consumer groups, or the cluster itself. */
export const aclResourceSchema = z.enum(["topic", "group", "cluster"]);
/** The resource kinds an ACL may name. */
export type AclResource = z.output<typeof aclResourceSchema>;

/**
 * Kafka's operations. As in Kafka, `read`, `write`, `delete` and `alter` each imply `describe`
 * on the same resource.
 */
export const aclOperationSchema = z.enum(["write", "read", "describe", "create", "delete", "alter"]);
/** An operation an ACL may allow. */
export type AclOperation = z.output<typeof aclOperationSchema>;

/** A literal name (`clicks`) or a prefix ending in `*` (`events.*`; `*` alone is every name). */
const ACL_PATTERN = /^(?:[a-zA-Z0-9._-]{1,249}|[a-zA-Z0-9._-]{0,248}\*)$/;

/**
 * One ACL: the operations allowed on the resources whose names match `pattern`. A cluster ACL
 * has no name to match: its pattern is `*` (the default).
 */
export const aclSchema = z
  .strictObject({
    resource: aclResourceSchema,
    pattern: z
      .string()
      .regex(
        ACL_PATTERN,
        "a pattern is a topic or group name, or a prefix of one followed by '*' (as events.*); '*' alone is every name",
      )
      .optional(),
    operations: z.array(aclOperationSchema).min(1, "name at least one operation").max(6),
  })
  .check((ctx) => {
    const { resource, pattern } = ctx.value;
    if (resource === "cluster" && pattern !== undefined && pattern !== "*") {
      ctx.issues.push({
        code: "custom",
        input: pattern,
        path: ["pattern"],
        message: "a cluster ACL's pattern is '*' (or left out): there is one cluster",
      });
    } else if (resource !== "cluster" && pattern === undefined) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        path: ["pattern"],
        message: `a ${resource} ACL needs a pattern: a name, a prefix ending in '*', or '*' for every ${resource}`,
      });
    }
  })
  .transform(({ resource, pattern, operations }) => ({
    resource,
    pattern: pattern ?? "*",
    operations: [...new Set(operations)],
  }));
/** One ACL, its pattern filled in and its operations without repeats. */
export type Acl = z.output<typeof aclSchema>;

/** A token's produce quota, counted across the whole cluster. */
export const tokenQuotaSchema = z
  .strictObject({
    recordsPerSecond: z.int().min(1).optional(),
    bytesPerSecond: z.int().min(1024).optional(),
  })
  .refine((q) => q.recordsPerSecond !== undefined || q.bytesPerSecond !== undefined, {
    message: "a quota names recordsPerSecond, bytesPerSecond or both",
  });
/** A token's produce quota: records and bytes per second, counted across the whole cluster. */
export type TokenQuota = z.output<typeof tokenQuotaSchema>;

export const createTokenSchema = z.strictObject({
  name: z.string().min(1, "a token needs a name (what it is for)").max(200),
  acls: z.array(aclSchema).max(100),
  /** Milliseconds since the epoch; after it the token answers 401. */
  expiresAt: z.int().min(0).optional(),
  quota: tokenQuotaSchema.optional(),
});
/** What `POST /v1/tokens` takes, checked (cluster patterns filled in). */
export type CreateToken = z.output<typeof createTokenSchema>;
/** What `POST /v1/tokens` takes, as a client writes it: a name, ACLs, and an expiry or quota if any. */
export type CreateTokenOptions = z.input<typeof createTokenSchema>;

/** A scoped token as the API lists it: never its secret. */
export const tokenInfoSchema = answerObject({
  id: z.string(),
  name: z.string(),
  acls: z.array(aclSchema),
  quota: tokenQuotaSchema.optional(),
  expiresAt: z.number().optional(),
  createdAt: z.number(),
});
/** A scoped token as the API lists it (never its secret). */
export type TokenInfo = z.output<typeof tokenInfoSchema>;

/** What `POST /v1/tokens` answers: the token's description and, this once, its secret. */
export const createdTokenSchema = tokenInfoSchema.extend({ token: z.string() });
/** A token just created, with its secret (shown only this once). */
export type CreatedToken = z.output<typeof createdTokenSchema>;

export const tokenListAnswerSchema = z.object({ tokens: z.array(tokenInfoSchema) });

export const revokeTokenAnswerSchema = z.object({ revoked: z.string() });

/** What `GET /v1/token` answers: who the calling token is and what it may do. */
export const whoamiAnswerSchema = answerObject({
  /** The scoped token's id; absent for a superuser token of TRIBUTARY_TOKENS. */
  id: z.string().optional(),
  name: z.string(),
  /** A token of the TRIBUTARY_TOKENS secret: every operation on everything. */
  superuser: z.boolean(),
  acls: z.array(aclSchema),
  quota: tokenQuotaSchema.optional(),
  expiresAt: z.number().optional(),
});
/** Who the calling token is and what it may do. */
export type Whoami = z.output<typeof whoamiAnswerSchema>;

// ---- Group and stream-app administration (the admin API's groups and apps) ----

/** What deleting a group answers: its name. */
export const deleteGroupAnswerSchema = z.object({ deleted: z.string() });

/** A stream app as `GET /v1/apps` lists it. */
export const appSummarySchema = answerObject({
  name: z.string(),
  state: z.enum(["running", "error", "waiting"]),
  /** How many tasks (sub-topology × partition) the app runs. */
  tasks: z.int(),
  /** Why the app waits or failed. */
  reason: z.string().optional(),
});
/** A stream app as `listApps` reports it. */
export type AppSummary = z.output<typeof appSummarySchema>;
export const appListAnswerSchema = z.object({ apps: z.array(appSummarySchema) });

/** One task of a stream app: its sub-topology, its partition, where it is in each source and what it did. */
export const appTaskSchema = answerObject({
  subTopology: z.int(),
  partition: z.int(),
  sources: z.array(
    z.looseObject({
      topic: z.string(),
      offset: z.int(),
      highWatermark: z.int().nullable(),
      lag: z.number().nullable(),
    }),
  ),
  streamTime: z.number(),
  counters: z.looseObject({
    processed: z.number(),
    late: z.number(),
    skipped: z.number(),
    deduped: z.number(),
    produced: z.number(),
    batches: z.number(),
  }),
  pendingOutputs: z.int(),
  lastError: z.string().nullable(),
});
/** One task of a stream app. */
export type AppTask = z.output<typeof appTaskSchema>;

/** What `GET /v1/apps/:app` answers. */
export const appDescriptionSchema = answerObject({
  name: z.string(),
  state: z.enum(["running", "error", "waiting"]),
  reason: z.string().optional(),
  tasks: z.array(appTaskSchema),
  /** The compiled topology: sub-topologies, their nodes, stores and topics. */
  topology: z.unknown(),
  /** The sum of the tasks' source lags. */
  lag: z.number(),
});
/** A stream app, its tasks and its topology. */
export type AppDescription = z.output<typeof appDescriptionSchema>;

/** One entry of a store: a key's value, and for a windowed store the window. */
export const storeEntrySchema = answerObject({
  key: z.unknown(),
  windowStart: z.number().optional(),
  windowEnd: z.number().optional(),
  value: z.unknown(),
});
/** One entry of a stream app's store. */
export type StoreEntry = z.output<typeof storeEntrySchema>;

/** What `GET /v1/apps/:app/stores/:store` answers. */
export const storeQueryAnswerSchema = z.object({ store: z.string(), entries: z.array(storeEntrySchema) });
