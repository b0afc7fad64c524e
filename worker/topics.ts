/**
 * Topic metadata as the data path needs it (id, partition count, config), cached briefly per
 * isolate so a produce or fetch does not ask the Controller every time. Admin routes invalidate
 * the entry of a topic they change; a partition that answers "unknown" also invalidates it.
 */
import type { TopicMeta } from "../durable-objects/controller/types.ts";
import { unwrap } from "./errors.ts";
import { controllerStub } from "./stubs.ts";

const TTL_MS = 2_000;
const cache = new Map<string, { topic: TopicMeta; expires: number }>();

export async function getTopicMeta(env: Env, name: string, fresh = false): Promise<TopicMeta> {
  const hit = cache.get(name);
  if (!fresh && hit && hit.expires > Date.now()) return hit.topic;
  const { topic } = unwrap(await controllerStub(env).getTopic(name));
  cache.set(name, { topic, expires: Date.now() + TTL_MS });
  return topic;
}

export function invalidateTopic(name: string): void {
  cache.delete(name);
}
