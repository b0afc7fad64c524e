/**
 * Producing Upstash messages, which may go to several topics in one request: each topic's
 * records are routed as Tributary routes them (explicit partition, Kafka's murmur2 of the key,
 * or a sticky partition) and every message is checked before any partition is written.
 */
import type { TopicMeta } from "../../../durable-objects/controller/types.ts";
import { type EncodedBatch, encodeRecords } from "../../../durable-objects/partition-log/encode.ts";
import type { AppendSuccess } from "../../../durable-objects/partition-log/types.ts";
import type { Failure, Result } from "../../../sdk/protocol/errors.ts";
import { ApiError } from "../../errors.ts";
import { onLeader } from "../../leaders.ts";
import { type PartitionBatch, routeRecords } from "../../produce.ts";
import { getTopicMeta, invalidateTopic } from "../../topics.ts";
import { toProduceRecord, type UpstashProduceResult } from "./messages.ts";
import type { UpstashProduceItem } from "./schemas.ts";

interface TopicPlan {
  topic: TopicMeta;
  /** Positions of this topic's messages in the request. */
  positions: number[];
  batches: PartitionBatch[];
  encoded: EncodedBatch[];
}

/** Appends the messages; answers each one's topic, partition, offset and timestamp, in request order. */
export async function produceMessages(env: Env, items: UpstashProduceItem[]): Promise<UpstashProduceResult[]> {
  const byTopic = new Map<string, number[]>();
  items.forEach((item, i) => {
    const positions = byTopic.get(item.topic);
    if (positions) positions.push(i);
    else byTopic.set(item.topic, [i]);
  });
  const records = items.map(toProduceRecord);
  const plans: TopicPlan[] = await Promise.all(
    [...byTopic].map(async ([name, positions]) => {
      const topic = await getTopicMeta(env, name);
      const batches = routeRecords(
        positions.map((i) => records[i]!),
        topic.partitions,
        topic.name,
      );
      const encoded = batches.map((b) => {
        const e = encodeRecords(b.records, topic.config.maxMessageBytes);
        if ("ok" in e) throw ApiError.from(e);
        return e;
      });
      return { topic, positions, batches, encoded };
    }),
  );
  const appends = plans.flatMap((plan) =>
    plan.batches.map(
      (b, i): Promise<Result<AppendSuccess>> =>
        onLeader(env, plan.topic, b.partition, (stub, ref) =>
          stub.append({
            ref,
            chunks: plan.encoded[i]!.chunks,
            count: b.records.length,
            bytes: plan.encoded[i]!.bytes,
            maxTimestamp: b.maxTimestamp,
            usesAppendTime: b.usesAppendTime,
            // Kafka's producer default (since 3.0), and what a REST client cannot choose.
            acks: "all",
          }),
        ),
    ),
  );
  const answers = await Promise.all(appends);
  const failed = answers.find((a): a is Failure => !a.ok);
  if (failed) {
    // A topic deleted (and maybe created again) since its metadata was cached: the client's
    // retry will see the new metadata.
    if (failed.code === "UNKNOWN_TOPIC_OR_PARTITION") for (const p of plans) invalidateTopic(p.topic.name);
    const stored = answers.filter((a) => a.ok).length;
    throw new ApiError(
      failed.code,
      stored > 0
        ? `${failed.message} (${stored} of ${answers.length} partition batches of this request were stored)`
        : failed.message,
      failed.details,
    );
  }
  const results: UpstashProduceResult[] = new Array(items.length);
  let next = 0;
  for (const plan of plans) {
    for (const b of plan.batches) {
      const { baseOffset, appendTime } = answers[next++] as AppendSuccess;
      b.positions.forEach((inTopic, j) => {
        results[plan.positions[inTopic]!] = {
          topic: plan.topic.name,
          partition: b.partition,
          offset: baseOffset + j,
          timestamp: b.records[j]!.timestamp ?? appendTime,
        };
      });
    }
  }
  return results;
}
