/**
 * A stream's topic: a fresh single-partition topic for its path, made with the stream's first
 * records (a fork's copy of its source and the sub-offset's prefix, then the initial body), and
 * dropped when the stream goes.
 */
import { STREAM_MAX_MESSAGE_BYTES } from "../../cluster/durable-streams/bodies.ts";
import { topicNameFor } from "../../cluster/durable-streams/topic-name.ts";
import type { TopicMeta } from "../../cluster/rpc/controller.ts";
import type { EncodedBody } from "../../cluster/rpc/durable-stream.ts";
import { controllerStub } from "../../cluster/stubs.ts";
import type { Failure, Result } from "../../sdk/protocol/errors.ts";
import { appendToPartition } from "./appends.ts";
import { copySource, type ForkPoint, forkPrefix } from "./fork.ts";
import type { StreamMeta } from "./state.ts";

/**
 * Makes the stream's topic and its first records, setting `meta.topic` and `meta.tail`; answers
 * where its messages end (to be saved with the stream). A failure leaves nothing.
 */
export async function buildTopic(
  env: Env,
  meta: StreamMeta,
  body: EncodedBody | undefined,
  source: ForkPoint | undefined,
): Promise<{ ends: number[] } | Failure> {
  const topic = await freshTopic(env, meta.path);
  if ("ok" in topic) return topic;
  meta.topic = { name: topic.name, id: topic.id };
  const ends: number[] = [];
  const add = async (encoded: EncodedBody): Promise<Failure | undefined> => {
    const answer = await appendToPartition(env, meta, encoded);
    if (!answer.ok) return answer;
    meta.tail = answer.batches[0]!.baseOffset + encoded.count;
    return undefined;
  };
  const steps: (() => Promise<Failure | undefined>)[] = [];
  if (source) {
    steps.push(() => copySource(env, source, add));
    ends.push(...source.boundaries);
    const prefix = forkPrefix(source);
    if (prefix && "ok" in prefix) return prefix;
    if (prefix) steps.push(async () => (await add(prefix)) ?? void ends.push(meta.tail));
  }
  if (body && body.count > 0) steps.push(async () => (await add(body)) ?? void ends.push(meta.tail));
  for (const step of steps) {
    const failed = await step();
    if (failed) {
      // Not yet visible to anyone: the topic goes, and the next create starts afresh.
      await dropTopic(env, meta.topic.name);
      return failed;
    }
  }
  return { ends };
}

export async function dropTopic(env: Env, name: string): Promise<void> {
  await controllerStub(env).deleteTopic(name);
}

/** A new, empty topic for the path; one left behind by an interrupted create or delete is replaced. */
async function freshTopic(env: Env, path: string): Promise<TopicMeta | Failure> {
  const name = await topicNameFor(path);
  const create = () =>
    controllerStub(env).createTopic({
      name,
      partitions: 1,
      // One replica: the protocol promises that an acknowledged append is read back at once,
      // and a replicated partition serves reads only up to what its followers hold.
      replicationFactor: 1,
      config: { retentionMs: -1, retentionBytes: -1, maxMessageBytes: STREAM_MAX_MESSAGE_BYTES },
    }) as Promise<Result<{ topic: TopicMeta }>>;
  let created = await create();
  if (!created.ok && created.code === "TOPIC_ALREADY_EXISTS") {
    await dropTopic(env, name);
    created = await create();
  }
  return created.ok ? created.topic : created;
}
