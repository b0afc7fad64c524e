/**
 * Producing Upstash messages, which may go to several topics in one request: each topic's
 * records are routed as Tributary routes them (explicit partition, Kafka's murmur2 of the key,
 * or a sticky partition) and every message is checked before any partition is written.
 */
import { eachRecord, type PreparedAppend, prepareAppend, sendAppend } from "../../../cluster/append.ts";
import { invalidateTopic, topicMeta } from "../../../cluster/topic-cache.ts";
import { ApiError, unwrap } from "../../errors.ts";
import { toProduceRecord, type UpstashProduceResult } from "./messages.ts";
import type { UpstashProduceItem } from "./schemas.ts";

/** Appends the messages; answers each one's topic, partition, offset and timestamp, in request order. */
export async function produceMessages(env: Env, items: UpstashProduceItem[]): Promise<UpstashProduceResult[]> {
  const byTopic = new Map<string, number[]>();
  items.forEach((item, i) => {
    const positions = byTopic.get(item.topic);
    if (positions) positions.push(i);
    else byTopic.set(item.topic, [i]);
  });
  const records = items.map(toProduceRecord);
  const plans: { positions: number[]; prepared: PreparedAppend }[] = await Promise.all(
    [...byTopic].map(async ([name, positions]) => {
      const { topic } = unwrap(await topicMeta(env, name));
      // Kafka's producer default (since 3.0), and what a REST client cannot choose.
      const prepared = prepareAppend(
        topic,
        positions.map((i) => records[i]!),
        { acks: "all" },
      );
      return { positions, prepared: unwrap(prepared) };
    }),
  );
  const answers = await Promise.all(plans.map((p) => sendAppend(env, p.prepared)));
  const failed = answers.find((a) => !a.ok);
  if (failed && !failed.ok) {
    // A topic deleted (and maybe created again) since its metadata was cached: the client's
    // retry will see the new metadata.
    if (failed.code === "UNKNOWN_TOPIC_OR_PARTITION") for (const p of plans) invalidateTopic(p.prepared.topic.name);
    const stored = answers.flatMap((a) => (a.ok ? [a.topic.name] : []));
    const also = stored.length > 0 ? ` (topics ${stored.join(", ")} of this request did store their messages)` : "";
    throw new ApiError(failed.code, failed.message + also, failed.details);
  }
  const results: UpstashProduceResult[] = new Array(items.length);
  answers.forEach((answer, t) => {
    const { topic, batches } = unwrap(answer);
    const { positions } = plans[t]!;
    eachRecord(batches, (inTopic, partition, offset, timestamp) => {
      results[positions[inTopic]!] = { topic: topic.name, partition, offset, timestamp };
    });
  });
  return results;
}
