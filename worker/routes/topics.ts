/** Topic administration: create, list, describe, change, delete. */
import { Hono } from "hono";
import type { TopicMeta } from "../../durable-objects/controller/types.ts";
import type { ErrorCode } from "../../sdk/protocol/errors.ts";
import { createTopicSchema, patchTopicSchema, type TopicDescription, topicName } from "../../sdk/protocol/schemas.ts";
import { readJson } from "../body.ts";
import { unwrap } from "../errors.ts";
import { onLeader } from "../leaders.ts";
import { controllerStub } from "../stubs.ts";
import { invalidateTopic } from "../topics.ts";
import { validate } from "../validate.ts";

const codeForTopicField = (path: readonly PropertyKey[]): ErrorCode => {
  switch (path[0]) {
    case "name":
      return "INVALID_TOPIC_EXCEPTION";
    case "partitions":
      return "INVALID_PARTITIONS";
    case "config":
    case "replicationFactor":
      return "INVALID_CONFIG";
    default:
      return "INVALID_REQUEST";
  }
};

export function topicParam(raw: string): string {
  return validate(topicName, raw, "topic name in the path", () => "INVALID_TOPIC_EXCEPTION");
}

export async function describeTopic(env: Env, topic: TopicMeta): Promise<TopicDescription> {
  const partitions = await Promise.all(
    Array.from({ length: topic.partitions }, async (_, partition) => {
      const status = unwrap(await onLeader(env, topic, partition, (stub, ref) => stub.status(ref)));
      const leader = topic.leaders?.[partition];
      return {
        partition,
        logStartOffset: status.logStartOffset,
        highWatermark: status.highWatermark,
        bytes: status.bytes,
        ...(leader
          ? {
              leader: leader.leader,
              leaderEpoch: leader.epoch,
              replicas: Array.from({ length: topic.replicationFactor }, (_, r) => r),
              isr: leader.isr,
            }
          : {}),
      };
    }),
  );
  return {
    name: topic.name,
    id: topic.id,
    partitions,
    replicationFactor: topic.replicationFactor,
    config: topic.config,
    createdAt: topic.createdAt,
  };
}

export const topicsRoutes = new Hono<{ Bindings: Env }>()
  .post("/", async (c) => {
    const { json } = await readJson(c);
    const input = validate(createTopicSchema, json, "topic", codeForTopicField);
    const { topic } = unwrap(await controllerStub(c.env).createTopic(input));
    invalidateTopic(topic.name);
    return c.json(await describeTopic(c.env, topic), 201);
  })
  .get("/", async (c) => {
    const topics = await controllerStub(c.env).listTopics();
    return c.json({
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor })),
    });
  })
  .get("/:topic", async (c) => {
    const name = topicParam(c.req.param("topic"));
    const { topic } = unwrap(await controllerStub(c.env).getTopic(name));
    return c.json(await describeTopic(c.env, topic));
  })
  .patch("/:topic", async (c) => {
    const name = topicParam(c.req.param("topic"));
    const { json } = await readJson(c);
    const input = validate(patchTopicSchema, json, "topic change", codeForTopicField);
    const { topic } = unwrap(await controllerStub(c.env).updateTopic(name, input));
    invalidateTopic(name);
    return c.json(await describeTopic(c.env, topic));
  })
  .delete("/:topic", async (c) => {
    const name = topicParam(c.req.param("topic"));
    unwrap(await controllerStub(c.env).deleteTopic(name));
    invalidateTopic(name);
    return c.json({ deleted: name });
  });
