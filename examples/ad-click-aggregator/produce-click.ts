/**
 * Producing one click to the clicks topic, in process (no HTTP hop): the worker's own routing
 * and append path. The redirect waits for the append (acks 1: the click is in the log before
 * the user is sent on), not for any aggregation, which the stream app does on its own time.
 * Waiting costs one Durable Object call (a few ms); answering first and appending in
 * `waitUntil` would lose the click, silently, whenever that append failed — and clicks are
 * what advertisers pay for.
 */
import type { TopicMeta } from "../../durable-objects/controller/types.ts";
import { appendRecords } from "../../durable-objects/shared/append.ts";
import type { Result } from "../../sdk/protocol/errors.ts";
import { ApiError } from "../../worker/errors.ts";
import { controllerStub } from "../../worker/stubs.ts";
import { getTopicMeta, invalidateTopic } from "../../worker/topics.ts";
import { CLICKS_PARTITIONS, CLICKS_TOPIC, clickRecord } from "./clicks.mjs";

/** The clicks topic, created with CLICKS_PARTITIONS partitions on first use. */
export async function clicksTopic(env: Env): Promise<TopicMeta> {
  try {
    return await getTopicMeta(env, CLICKS_TOPIC);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "UNKNOWN_TOPIC_OR_PARTITION") throw err;
  }
  const created = (await controllerStub(env).createTopic({
    name: CLICKS_TOPIC,
    partitions: CLICKS_PARTITIONS,
    replicationFactor: 1,
  })) as Result<{ topic: TopicMeta }>;
  if (!created.ok && created.code !== "TOPIC_ALREADY_EXISTS") throw ApiError.from(created);
  invalidateTopic(CLICKS_TOPIC);
  return getTopicMeta(env, CLICKS_TOPIC, true);
}

export async function produceClick(env: Env, adId: string, impression: string, timestamp: number): Promise<void> {
  const failed = await appendRecords(env, await clicksTopic(env), [clickRecord(adId, impression, timestamp)]);
  if (failed) throw ApiError.from(failed);
}
