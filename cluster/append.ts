/**
 * Appending to a topic, the one produce path of the platform: the worker's produce routes, the
 * Upstash and Durable Streams layers, stream tasks' outputs, queue mode's dead letters and apps
 * built on the platform all come here. Records are routed to partitions (routeRecords), encoded
 * in their stored form (every record checked before any partition is written, so a bad request
 * stores nothing), and appended with one call per partition touched, in parallel, on each
 * partition's leader (following a change of leader).
 */
import { failure, type Result } from "../sdk/protocol/errors.ts";
import type { ProduceRecord, ProducerStamp } from "../sdk/protocol/schemas.ts";
import { onLeader } from "./leaders.ts";
import { noSuchPartition, type PartitionBatch, routeRecords } from "./route-records.ts";
import type { TopicIncarnation, TopicMeta } from "./rpc/controller.ts";
import type { AppendSuccess } from "./rpc/partition-log.ts";
import { type EncodedRecords, encodeRecords, hasKey, keylessOnCompactedTopic, storedAsSent } from "./stored-records.ts";
import { withTopic } from "./topic-cache.ts";

export interface AppendOptions {
  /**
   * 1 (the default): answered once each partition's leader stored its records; "all": once every
   * in-sync replica did. 0 is sent as 1: with acks 0 the caller does not wait for the answer.
   */
  acks?: 0 | 1 | "all";
  /** An idempotent producer's stamp; the records must then all go to one partition. */
  producer?: ProducerStamp;
  /** Every record goes to this partition (a record naming another one is refused). */
  partition?: number;
  /**
   * The JSON array text of exactly these records as the client sent them: stored as is when the
   * records are already in their stored form and all go to one partition (see encodeRecords).
   */
  sentText?: string;
}

/**
 * Records already encoded for one partition (`options.partition`): the Durable Streams writer
 * encodes each request's body in the worker and appends several requests' records together.
 */
export type PreEncoded = EncodedRecords & { preEncoded: true };

/** What is ready to be sent: per partition, its records and their stored form. */
export interface PreparedAppend {
  topic: TopicIncarnation;
  batches: PartitionBatch[];
  encoded: EncodedRecords[];
  producer?: ProducerStamp;
  acks: 1 | "all";
}

/** One partition's part of an append, as stored. */
export interface AppendedBatch extends PartitionBatch, AppendSuccess {}

export interface Appended {
  topic: TopicIncarnation;
  batches: AppendedBatch[];
}

/**
 * Routes and encodes records for `topic` without sending anything: the checks that must all
 * pass before any partition is written.
 */
export function prepareAppend(
  topic: TopicMeta | TopicIncarnation,
  records: readonly ProduceRecord[] | PreEncoded,
  options: AppendOptions = {},
): Result<PreparedAppend> {
  const acks = options.acks === "all" ? "all" : 1;
  const partitions = (topic as Partial<TopicMeta>).partitions;
  if (options.partition !== undefined && partitions !== undefined && options.partition >= partitions) {
    return noSuchPartition(topic.name, options.partition, partitions);
  }
  if ("preEncoded" in records) {
    if (options.partition === undefined) throw new Error("pre-encoded records need options.partition");
    const positions = Array.from({ length: records.count }, (_, i) => i);
    const batch: PartitionBatch = { partition: options.partition, positions, records: [], usesAppendTime: true };
    return { ok: true, topic, batches: [batch], encoded: [records], producer: options.producer, acks };
  }
  if (partitions === undefined) throw new Error("records are routed with the topic's metadata (a TopicMeta)");
  const { config } = topic as TopicMeta;
  if (config.cleanupPolicy !== "delete" && !records.every(hasKey)) return keylessOnCompactedTopic(topic.name);
  const routed = routeRecords(records, partitions, topic.name, options.partition);
  if (!routed.ok) return routed;
  const { batches } = routed;
  if (options.producer && batches.length > 1) {
    return failure(
      "INVALID_REQUEST",
      "an idempotent produce (with producer) goes to one partition: POST /v1/topics/:topic/partitions/:p/records",
      { field: "producer" },
    );
  }
  const asSent = options.sentText !== undefined && batches.length === 1 && records.every(storedAsSent);
  const sentText = asSent ? options.sentText : undefined;
  const encoded: EncodedRecords[] = [];
  for (const b of batches) {
    const e = encodeRecords(b.records, config.maxMessageBytes, sentText);
    if ("ok" in e) return e;
    encoded.push(e);
  }
  return { ok: true, topic, batches, encoded, producer: options.producer, acks };
}

/**
 * Sends a prepared append: one call per partition, in parallel, each on its leader. When a
 * partition fails, the answer is its failure, saying which partitions did store their records.
 */
export async function sendAppend(env: Env, prepared: PreparedAppend): Promise<Result<Appended>> {
  const { topic, batches, encoded, producer, acks } = prepared;
  const answers = await Promise.all(
    batches.map(
      (b, i): Promise<Result<AppendSuccess>> =>
        onLeader(env, topic, b.partition, (stub, ref) =>
          stub.append({
            ref,
            chunks: encoded[i]!.chunks,
            count: encoded[i]!.count,
            bytes: encoded[i]!.bytes,
            maxTimestamp: b.maxTimestamp,
            usesAppendTime: b.usesAppendTime,
            producer,
            acks,
          }),
        ),
    ),
  );
  const failed = answers.findIndex((a) => !a.ok);
  if (failed !== -1) {
    const answer = answers[failed] as Extract<Result<AppendSuccess>, { ok: false }>;
    const stored = batches.filter((_, j) => answers[j]!.ok).map((b) => b.partition);
    return {
      ...answer,
      message:
        stored.length > 0
          ? `${answer.message} (partitions ${stored.join(", ")} of this request did store their records)`
          : answer.message,
      details: { ...answer.details, partition: batches[failed]!.partition, storedPartitions: stored },
    };
  }
  return {
    ok: true,
    topic,
    batches: batches.map((b, i) => {
      const { ok: _, ...stored } = answers[i] as { ok: true } & AppendSuccess;
      return { ...b, ...stored };
    }),
  };
}

/**
 * Appends records to a topic (by name: against its cached metadata, once more on the new
 * objects if the topic was deleted and created again meanwhile; or to the given incarnation).
 *
 * @example
 * const appended = await appendToTopic(env, "clicks", [{ key: "ad-42", value: { ad: "ad-42" } }]);
 * if (!appended.ok) return appended; // a Failure: the worker's onError turns it into the error envelope
 */
export function appendToTopic(
  env: Env,
  topic: string | TopicMeta,
  records: readonly ProduceRecord[],
  options?: AppendOptions,
): Promise<Result<Appended>>;
/** Appends records already encoded for `options.partition` (only the topic's incarnation is needed). */
export function appendToTopic(
  env: Env,
  topic: TopicIncarnation,
  records: PreEncoded,
  options: AppendOptions & { partition: number },
): Promise<Result<Appended>>;
export function appendToTopic(
  env: Env,
  topic: string | TopicIncarnation,
  records: readonly ProduceRecord[] | PreEncoded,
  options: AppendOptions = {},
): Promise<Result<Appended>> {
  const send = async (meta: TopicIncarnation) => {
    const prepared = prepareAppend(meta, records, options);
    return prepared.ok ? sendAppend(env, prepared) : prepared;
  };
  return typeof topic === "string" ? withTopic(env, topic, send) : send(topic);
}

/** Calls `each` for every record of an append, with its position in the request, partition, offset and timestamp. */
export function eachRecord(
  batches: readonly AppendedBatch[],
  each: (position: number, partition: number, offset: number, timestamp: number) => void,
): void {
  for (const b of batches) {
    for (let j = 0; j < b.positions.length; j++) {
      each(b.positions[j]!, b.partition, b.baseOffset + j, b.records[j]?.timestamp ?? b.appendTime);
    }
  }
}
