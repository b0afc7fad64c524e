/** Topic administration: create, list, describe, change, delete. */
import { Hono } from "hono";
import type { TopicMeta } from "../../cluster/rpc/controller.ts";
import { controllerStub } from "../../cluster/stubs.ts";
import { invalidateTopic } from "../../cluster/topic-cache.ts";
import { describeTopic } from "../../cluster/topics.ts";
import type { ErrorCode } from "../../sdk/protocol/errors.ts";
import { createTopicSchema, patchTopicSchema, topicName } from "../../sdk/protocol/schemas.ts";
import { readJson } from "../body.ts";
import { unwrap } from "../errors.ts";
import { authorize, authorizeCreateTopic, can, principalOf } from "../middleware/authorize.ts";
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

/** A topic's description, as the routes answer it. */
async function described(env: Env, topic: TopicMeta) {
  return unwrap(await describeTopic(env, topic));
}

export const topicsRoutes = new Hono<{ Bindings: Env }>()
  .post("/", async (c) => {
    const { json } = await readJson(c);
    const input = validate(createTopicSchema, json, "topic", codeForTopicField);
    authorizeCreateTopic(c, input.name);
    const { topic } = unwrap(await controllerStub(c.env).createTopic(input));
    invalidateTopic(topic.name);
    return c.json(await described(c.env, topic), 201);
  })
  .get("/", async (c) => {
    // As Kafka's metadata: only the topics the token may describe.
    const principal = principalOf(c);
    const topics = (await controllerStub(c.env).listTopics()).filter((t) =>
      can(principal, "topic", t.name, "describe"),
    );
    return c.json({
      topics: topics.map((t) => ({
        name: t.name,
        id: t.id,
        partitions: t.partitions,
        replicationFactor: t.replicationFactor,
        config: t.config,
      })),
    });
  })
  .get("/:topic", async (c) => {
    const name = topicParam(c.req.param("topic"));
    authorize(c, "topic", name, "describe");
    const { topic } = unwrap(await controllerStub(c.env).getTopic(name));
    return c.json(await described(c.env, topic));
  })
  .patch("/:topic", async (c) => {
    const name = topicParam(c.req.param("topic"));
    authorize(c, "topic", name, "alter");
    const { json } = await readJson(c);
    const input = validate(patchTopicSchema, json, "topic change", codeForTopicField);
    const { topic } = unwrap(await controllerStub(c.env).updateTopic(name, input));
    invalidateTopic(name);
    return c.json(await described(c.env, topic));
  })
  .delete("/:topic", async (c) => {
    const name = topicParam(c.req.param("topic"));
    authorize(c, "topic", name, "delete");
    unwrap(await controllerStub(c.env).deleteTopic(name));
    invalidateTopic(name);
    return c.json({ deleted: name });
  });
