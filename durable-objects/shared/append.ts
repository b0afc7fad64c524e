/**
 * Appending records to a topic from inside another Durable Object (the dead-letter topic of
 * queue mode): routing by key as the worker does, encoding, one append per partition touched.
 */
import type { Failure, Result } from "../../sdk/protocol/errors.ts";
import type { ProduceRecord } from "../../sdk/protocol/schemas.ts";
import { onLeader } from "../../worker/leaders.ts";
import { routeRecords } from "../../worker/produce.ts";
import { controllerStub } from "../../worker/stubs.ts";
import type { TopicMeta } from "../controller/types.ts";
import { encodeRecords } from "../partition-log/encode.ts";
import type { AppendSuccess } from "../partition-log/types.ts";

/** The topic, created with one partition if it does not exist yet. */
export async function ensureTopic(env: Env, name: string, replicationFactor: number): Promise<TopicMeta | Failure> {
  const controller = controllerStub(env);
  const found = (await controller.getTopic(name)) as Result<{ topic: TopicMeta }>;
  if (found.ok) return found.topic;
  const created = (await controller.createTopic({ name, partitions: 1, replicationFactor })) as Result<{
    topic: TopicMeta;
  }>;
  if (created.ok) return created.topic;
  if (created.code === "TOPIC_ALREADY_EXISTS") {
    const again = (await controller.getTopic(name)) as Result<{ topic: TopicMeta }>;
    return again.ok ? again.topic : again;
  }
  return created;
}

export async function appendRecords(
  env: Env,
  topic: TopicMeta,
  records: ProduceRecord[],
): Promise<Failure | undefined> {
  for (const batch of routeRecords(records, topic.partitions, topic.name)) {
    const encoded = encodeRecords(batch.records, topic.config.maxMessageBytes);
    if ("ok" in encoded) return encoded;
    const answer = (await onLeader(env, topic, batch.partition, (stub, ref) =>
      stub.append({
        ref,
        chunks: encoded.chunks,
        count: batch.records.length,
        bytes: encoded.bytes,
        maxTimestamp: batch.maxTimestamp,
        usesAppendTime: batch.usesAppendTime,
      }),
    )) as Result<AppendSuccess>;
    if (!answer.ok) return answer;
  }
  return undefined;
}
