/**
 * Topic metadata as the data path needs it (id, partition count, leaders, config), cached
 * briefly per isolate so a produce or fetch does not ask the Controller every time. Whoever
 * changes a topic invalidates its entry; a partition that answers "unknown" also does (see
 * withTopic), since the topic may have been deleted and created again on new objects.
 */
import type { Failure, Result } from "../sdk/protocol/errors.ts";
import type { TopicMeta } from "./rpc/controller.ts";
import { controllerStub } from "./stubs.ts";

const TTL_MS = 2_000;
const cache = new Map<string, { topic: TopicMeta; expires: number }>();

/** The topic's metadata: cached unless `fresh`; UNKNOWN_TOPIC_OR_PARTITION when there is no such topic. */
export async function topicMeta(env: Env, name: string, fresh = false): Promise<Result<{ topic: TopicMeta }>> {
  const hit = cache.get(name);
  if (!fresh && hit && hit.expires > Date.now()) return { ok: true, topic: hit.topic };
  const found = (await controllerStub(env).getTopic(name)) as Result<{ topic: TopicMeta }>;
  if (found.ok) cache.set(name, { topic: found.topic, expires: Date.now() + TTL_MS });
  else cache.delete(name);
  return found;
}

/** Forgets the cached metadata of a topic (after changing it, or when it turned out stale). */
export function invalidateTopic(name: string): void {
  cache.delete(name);
}

const isUnknown = (r: Result<unknown>): r is Failure => !r.ok && r.code === "UNKNOWN_TOPIC_OR_PARTITION";

/**
 * Runs `call` against the topic's current metadata. When a partition says it does not exist
 * (the topic was deleted, maybe created again), the cached metadata is refreshed and, if the
 * topic is a new incarnation, the call is tried once more against it.
 */
export async function withTopic<T>(
  env: Env,
  name: string,
  call: (topic: TopicMeta) => Promise<Result<T>>,
): Promise<Result<T>> {
  const first = await topicMeta(env, name);
  if (!first.ok) return first;
  const result = await call(first.topic);
  if (!isUnknown(result)) return result;
  invalidateTopic(name);
  const fresh = await topicMeta(env, name, true);
  if (!fresh.ok) return fresh;
  if (fresh.topic.id === first.topic.id) return result;
  return call(fresh.topic);
}
