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
import { authenticate } from "../../middleware/auth.ts";
import { authorize, authorizeTopics, can, chargeProduce, principalOf } from "../../middleware/authorize.ts";
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

const BASIC = { challenge: { "WWW-Authenticate": 'Basic realm="tributary"' }, called: "the password" };

const basicAuth = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const credentials = tokenFromAuthorization(c.req.header("authorization"));
  if ("problem" in credentials) throw new ApiError("UNAUTHENTICATED", credentials.problem, undefined, BASIC.challenge);
  c.set("principal", await authenticate(c.env, credentials.token, BASIC));
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
  authorize(c, "group", group, "read");
  const json = await body(c);
  const input = validate(
    consumeBodySchema,
    json ?? (pathTopic === undefined ? {} : { topic: pathTopic }),
    "consume request",
  );
  authorizeTopics(c, consumeTopics(input), "read");
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
    const { json, text } = await readJson(c, null);
    const items = oneOrMany(produceItemSchema, json, "produce request");
    authorizeTopics(
      c,
      items.map((i) => i.topic),
      "write",
    );
    await chargeProduce(c, items.length, text.length);
    return c.json(await produceMessages(c.env, items));
  })
  // The REST-only form from Upstash's docs: the message is the last path segment.
  .on(["GET", "POST"], "/produce/:topic/:message", async (c) => {
    const [item] = oneOrMany(
      produceItemSchema,
      { topic: c.req.param("topic"), value: c.req.param("message") },
      "produce request",
    );
    authorize(c, "topic", item!.topic, "write");
    await chargeProduce(c, 1, item!.value.length);
    const [result] = await produceMessages(c.env, [item!]);
    return c.json(result);
  })
  .on(["GET", "POST"], "/fetch", async (c) => {
    const input = validate(fetchBodySchema, await body(c), "fetch request");
    const targets = fetchTargets(input);
    authorizeTopics(
      c,
      targets.map((t) => t.topic),
      "read",
    );
    const pages = await pollPartitions(c.env, targets, input.timeout ?? DEFAULT_TIMEOUT_MS);
    return c.json(pages.flatMap((p) => p.records.map((r) => toUpstashMessage(p.topic, r))));
  })
  .on(["GET", "POST"], "/consume/:group/:instance", (c) => consumeRoute(c))
  .on(["GET", "POST"], "/consume/:group/:instance/:topic", (c) => consumeRoute(c, c.req.param("topic")))
  .on(["GET", "POST"], "/commit/:group/:instance", async (c) => {
    const { group, instance } = ids(c);
    authorize(c, "group", group, "read");
    const json = await body(c);
    const offsets = json === null ? null : oneOrMany(topicPartitionOffsetSchema, json, "commit");
    authorizeTopics(
      c,
      (offsets ?? []).map((o) => o.topic),
      "read",
    );
    await commit(c.env, group, instance, offsets);
    return c.json(success);
  })
  .on(["GET", "POST"], "/committed/:group/:instance", async (c) => {
    const { group } = ids(c);
    authorize(c, "group", group, "describe");
    const partitions = oneOrMany(topicPartitionSchema, await body(c), "committed offsets request");
    authorizeTopics(
      c,
      partitions.map((p) => p.topic),
      "describe",
    );
    return c.json(await committed(c.env, group, partitions));
  })
  .on(["GET", "POST"], "/offsets/:time", async (c) => {
    const at = validate(offsetTimeSchema, c.req.param("time"), "time in the path");
    const partitions = oneOrMany(topicPartitionSchema, await body(c), "offsets request");
    authorizeTopics(
      c,
      partitions.map((p) => p.topic),
      "describe",
    );
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
    const principal = principalOf(c);
    const topics = (await controllerStub(c.env).listTopics()).filter((t) =>
      can(principal, "topic", t.name, "describe"),
    );
    return c.json(Object.fromEntries(topics.map((t) => [t.name, t.partitions])));
  })
  .get("/consumers", async (c) => {
    const principal = principalOf(c);
    return c.json(await consumers(c.env, (group) => can(principal, "group", group, "describe")));
  })
  .on(["GET", "POST", "DELETE"], "/delete-consumer/:group/:instance", async (c) => {
    const { group, instance } = ids(c);
    authorize(c, "group", group, "read");
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
