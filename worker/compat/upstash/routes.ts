/**
 * The Upstash Kafka REST API, mounted at /upstash: the unmodified `@upstash/kafka` client works
 * against Tributary with `url: "https://<worker>/upstash"` and a Tributary token as password.
 * Paths, bodies and answers follow the client (1.3.x) and Upstash's REST documentation; every
 * answer, errors included, is JSON the client parses (errors as `{"error", "status"}`).
 */
import { type Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { offsetAt } from "../../../cluster/reads.ts";
import { controllerStub } from "../../../cluster/stubs.ts";
import { readJson } from "../../body.ts";
import { ApiError, unwrap } from "../../errors.ts";
import { isValidToken } from "../../middleware/auth.ts";
import { validate } from "../../validate.ts";
import { commit, committed, consume, consumers, removeInstance } from "./consumer.ts";
import { tokenFromAuthorization } from "./credentials.ts";
import { toUpstashError } from "./errors.ts";
import { toUpstashMessage } from "./messages.ts";
import { pollPartitions } from "./partitions.ts";
import { produceMessages } from "./produce.ts";
import {
  consumeBodySchema,
  consumeHeadersSchema,
  consumerIdSchema,
  consumeTopics,
  fetchBodySchema,
  fetchTargets,
  offsetTimeSchema,
  oneOrMany,
  produceItemSchema,
  topicPartitionOffsetSchema,
  topicPartitionSchema,
} from "./schemas.ts";

type Ctx = Context<{ Bindings: Env }>;

/** Upstash's documented default wait of a fetch or consume that finds nothing. */
const DEFAULT_TIMEOUT_MS = 1_000;

const basicAuth = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const credentials = tokenFromAuthorization(c.req.header("authorization"));
  const problem =
    "problem" in credentials
      ? credentials.problem
      : isValidToken(c.env, credentials.token)
        ? undefined
        : "the password is not a valid Tributary API token (one of TRIBUTARY_TOKENS)";
  if (problem) {
    throw new ApiError("UNAUTHENTICATED", problem, undefined, { "WWW-Authenticate": 'Basic realm="tributary"' });
  }
  await next();
});

function ids(c: Ctx): { group: string; instance: string } {
  const what = (name: string) => `${name} in the path`;
  return {
    group: validate(consumerIdSchema, c.req.param("group"), what("consumer group id"), () => "INVALID_GROUP_ID"),
    instance: validate(consumerIdSchema, c.req.param("instance"), what("instance id"), () => "INVALID_GROUP_ID"),
  };
}

/** The body as JSON; `null` when there is none. */
async function body(c: Ctx): Promise<unknown> {
  return (await readJson(c, null)).json;
}

async function consumeRoute(c: Ctx, pathTopic?: string) {
  const { group, instance } = ids(c);
  const json = await body(c);
  const input = validate(
    consumeBodySchema,
    json ?? (pathTopic === undefined ? {} : { topic: pathTopic }),
    "consume request",
  );
  const headers = validate(consumeHeadersSchema, c.req.header(), "consume headers");
  const messages = await consume(c.env, {
    group,
    instance,
    topics: consumeTopics(input),
    timeoutMs: input.timeout ?? DEFAULT_TIMEOUT_MS,
    autoCommit: headers["kafka-enable-auto-commit"] === "true",
    reset: headers["kafka-auto-offset-reset"],
  });
  return c.json(messages);
}

const success = { result: "Success", status: 200 };

export const upstashRoutes = new Hono<{ Bindings: Env }>()
  .use("*", basicAuth)
  .post("/produce", async (c) => {
    const items = oneOrMany(produceItemSchema, await body(c), "produce request");
    return c.json(await produceMessages(c.env, items));
  })
  // The REST-only form from Upstash's docs: the message is the last path segment.
  .on(["GET", "POST"], "/produce/:topic/:message", async (c) => {
    const [item] = oneOrMany(
      produceItemSchema,
      { topic: c.req.param("topic"), value: c.req.param("message") },
      "produce request",
    );
    const [result] = await produceMessages(c.env, [item!]);
    return c.json(result);
  })
  .on(["GET", "POST"], "/fetch", async (c) => {
    const input = validate(fetchBodySchema, await body(c), "fetch request");
    const pages = await pollPartitions(c.env, fetchTargets(input), input.timeout ?? DEFAULT_TIMEOUT_MS);
    return c.json(pages.flatMap((p) => p.records.map((r) => toUpstashMessage(p.topic, r))));
  })
  .on(["GET", "POST"], "/consume/:group/:instance", (c) => consumeRoute(c))
  .on(["GET", "POST"], "/consume/:group/:instance/:topic", (c) => consumeRoute(c, c.req.param("topic")))
  .on(["GET", "POST"], "/commit/:group/:instance", async (c) => {
    const { group, instance } = ids(c);
    const json = await body(c);
    await commit(c.env, group, instance, json === null ? null : oneOrMany(topicPartitionOffsetSchema, json, "commit"));
    return c.json(success);
  })
  .on(["GET", "POST"], "/committed/:group/:instance", async (c) => {
    const { group } = ids(c);
    const partitions = oneOrMany(topicPartitionSchema, await body(c), "committed offsets request");
    return c.json(await committed(c.env, group, partitions));
  })
  .on(["GET", "POST"], "/offsets/:time", async (c) => {
    const at = validate(offsetTimeSchema, c.req.param("time"), "time in the path");
    const partitions = oneOrMany(topicPartitionSchema, await body(c), "offsets request");
    const offsets = await Promise.all(
      partitions.map(async ({ topic, partition }) => ({
        topic,
        partition,
        offset: unwrap(await offsetAt(c.env, topic, partition, at)).offset,
      })),
    );
    return c.json(offsets);
  })
  .get("/topics", async (c) => {
    const topics = await controllerStub(c.env).listTopics();
    return c.json(Object.fromEntries(topics.map((t) => [t.name, t.partitions])));
  })
  .get("/consumers", async (c) => c.json(await consumers(c.env)))
  .on(["GET", "POST", "DELETE"], "/delete-consumer/:group/:instance", async (c) => {
    const { group, instance } = ids(c);
    await removeInstance(c.env, group, instance);
    return c.json(success);
  })
  .all("*", (c) => {
    throw new ApiError(
      "NOT_FOUND",
      `there is no Upstash REST route ${c.req.method} ${new URL(c.req.url).pathname}; see the Upstash section of docs/compatibility.md`,
    );
  })
  .onError((err, c) => {
    const { status, body, headers } = toUpstashError(err);
    return c.json(body, status as ContentfulStatusCode, headers);
  });
