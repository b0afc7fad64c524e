/**
 * Producing one click to the clicks topic, in process (no HTTP hop): the platform's own append
 * path. The redirect waits for the append (acks 1: the click is in the log before the user is
 * sent on), not for any aggregation, which the stream app does on its own time. Waiting costs
 * one Durable Object call (a few ms); answering first and appending in `waitUntil` would lose
 * the click, silently, whenever that append failed — and clicks are what advertisers pay for.
 */
import { appendToTopic, ensureTopic, type TopicMeta, unwrap } from "tributary/worker";
import { CLICKS_PARTITIONS, CLICKS_TOPIC, clickRecord } from "./clicks.mjs";

/** The clicks topic, created with CLICKS_PARTITIONS partitions on first use. */
export async function clicksTopic(env: Env): Promise<TopicMeta> {
  return unwrap(await ensureTopic(env, CLICKS_TOPIC, { partitions: CLICKS_PARTITIONS })).topic;
}

export async function produceClick(env: Env, adId: string, impression: string, timestamp: number): Promise<void> {
  unwrap(await appendToTopic(env, await clicksTopic(env), [clickRecord(adId, impression, timestamp)]));
}
