/** The data path: produce, fetch, offset lookup and subscribe (push). */

import type { Context } from "hono";
import { Hono } from "hono";
import type { TopicMeta } from "../../durable-objects/controller/types.ts";
import { type EncodedBatch, encodeRecords, storedAsSent } from "../../durable-objects/partition-log/encode.ts";
import type { ProducerStamp } from "../../durable-objects/partition-log/idempotence.ts";
import {
  type AppendSuccess,
  type FetchSuccess,
  SUBSCRIBE_REF_HEADER,
} from "../../durable-objects/partition-log/types.ts";
import type { Failure, Result } from "../../sdk/protocol/errors.ts";
import {
  fetchQuerySchema,
  offsetsQuerySchema,
  partitionParam,
  subscribeQuerySchema,
} from "../../sdk/protocol/schemas.ts";
import { readJson } from "../body.ts";
import { ApiError, unwrap } from "../errors.ts";
import { closestReplica, leaderRef, onLeader } from "../leaders.ts";
import { type PartitionBatch, routeRecords } from "../produce.ts";
import { parseProduceRequest } from "../produce-request.ts";
import { partitionStub } from "../stubs.ts";
import { getTopicMeta, invalidateTopic } from "../topics.ts";
import { validate } from "../validate.ts";
import { topicParam } from "./topics.ts";

type Ctx = Context<{ Bindings: Env }>;

function checkPartition(topic: TopicMeta, partition: number): void {
  if (partition >= topic.partitions) {
    throw new ApiError(
      "UNKNOWN_TOPIC_OR_PARTITION",
      `topic '${topic.name}' has ${topic.partitions} partitions (0 to ${topic.partitions - 1}); partition ${partition} does not exist`,
      { topic: topic.name, partition, partitions: topic.partitions },
    );
  }
}

const isUnknown = (r: Result<unknown>): r is Failure => !r.ok && r.code === "UNKNOWN_TOPIC_OR_PARTITION";

/**
 * Runs `call` against the topic's current metadata. The metadata is cached; when a partition
 * says it does not exist (the topic was deleted, maybe re-created), the cache is refreshed and
 * the call tried once more against the new incarnation.
 */
async function onTopic<T>(env: Env, name: string, call: (topic: TopicMeta) => Promise<Result<T>>): Promise<T> {
  let topic = await getTopicMeta(env, name);
  let result = await call(topic);
  if (isUnknown(result)) {
    invalidateTopic(name);
    const fresh = await getTopicMeta(env, name, true);
    if (fresh.id !== topic.id) {
      topic = fresh;
      result = await call(topic);
    }
  }
  return unwrap(result);
}

/** The results JSON of a produce, in request order, written directly (it is on the hot path). */
function resultsJson(batches: PartitionBatch[], answers: AppendSuccess[], total: number): string {
  const items: string[] = new Array(total);
  for (let i = 0; i < batches.length; i++) {
    const { partition, positions, records } = batches[i]!;
    const { baseOffset, appendTime } = answers[i]!;
    for (let j = 0; j < positions.length; j++) {
      const ts = records[j]!.timestamp ?? appendTime;
      items[positions[j]!] = `{"partition":${partition},"offset":${baseOffset + j},"timestamp":${ts}}`;
    }
  }
  return `{"results":[${items.join(",")}]}`;
}

async function appendBatches(
  env: Env,
  topic: TopicMeta,
  batches: PartitionBatch[],
  encoded: EncodedBatch[],
  producer: ProducerStamp | undefined,
  acks: 0 | 1 | "all",
): Promise<Result<{ answers: AppendSuccess[] }>> {
  const answers = await Promise.all(
    batches.map(
      (b, i): Promise<Result<AppendSuccess>> =>
        onLeader(env, topic, b.partition, (stub, ref) =>
          stub.append({
            ref,
            chunks: encoded[i]!.chunks,
            count: b.records.length,
            bytes: encoded[i]!.bytes,
            maxTimestamp: b.maxTimestamp,
            usesAppendTime: b.usesAppendTime,
            producer,
            acks,
          }),
        ),
    ),
  );
  const failed = answers.findIndex((a) => !a.ok);
  if (failed !== -1) {
    const answer = answers[failed] as Failure;
    const stored = batches.filter((_, j) => answers[j]!.ok).map((b) => b.partition);
    return {
      ...answer,
      details: { ...answer.details, partition: batches[failed]!.partition, storedPartitions: stored },
    };
  }
  return { ok: true, answers: answers as AppendSuccess[] };
}

/**
 * The records array exactly as sent, when the body is compact JSON with `records` first, as
 * `{"records":[...],"acks":1,"producer":{...}}` (the rest optional): then a batch can be stored
 * without serializing its records again. The rest of the body must be exactly the compact JSON
 * of its other fields, so the text between is the records array.
 */
function recordsText(body: unknown, text: string): string | undefined {
  const prefix = '{"records":[';
  if (!text.startsWith(prefix)) return undefined;
  let suffix = "]";
  let first = true;
  for (const [k, v] of Object.entries(body as object)) {
    if (first) {
      if (k !== "records") return undefined;
      first = false;
    } else {
      suffix += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
    }
  }
  suffix += "}";
  if (!text.endsWith(suffix) || text.length < prefix.length + suffix.length) return undefined;
  return text.slice(prefix.length - 1, text.length - suffix.length + 1);
}

async function produce(c: Ctx, pathPartition?: number) {
  const name = topicParam(c.req.param("topic")!);
  const { json, text } = await readJson(c);
  const request = parseProduceRequest(json);
  if (request.producer && pathPartition === undefined) {
    throw new ApiError(
      "INVALID_REQUEST",
      "an idempotent produce (with producer) goes to one partition: POST /v1/topics/:topic/partitions/:p/records",
      { field: "producer" },
    );
  }
  const sentText = recordsText(json, text);
  let batches: PartitionBatch[] = [];
  const send = async (topic: TopicMeta) => {
    if (pathPartition !== undefined) checkPartition(topic, pathPartition);
    batches = routeRecords(request.records, topic.partitions, topic.name, pathPartition);
    // Every record is checked before any partition is written, so a bad request stores nothing.
    const asSent = sentText !== undefined && batches.length === 1 && request.records.every(storedAsSent);
    const encoded = batches.map((b) => {
      const e = encodeRecords(b.records, topic.config.maxMessageBytes, asSent ? sentText : undefined);
      if ("ok" in e) throw ApiError.from(e);
      return e;
    });
    return appendBatches(c.env, topic, batches, encoded, request.producer, request.acks === -1 ? "all" : request.acks);
  };
  if (request.acks === 0) {
    const topic = await getTopicMeta(c.env, name);
    c.executionCtx.waitUntil(
      send(topic).then(
        (r) => !r.ok && console.error(`acks=0 produce to ${name} failed: ${r.code} ${r.message}`),
        (err: unknown) => console.error(`acks=0 produce to ${name} failed`, err),
      ),
    );
    return c.json({ accepted: request.records.length }, 202);
  }
  const { answers } = await onTopic(c.env, name, send);
  return c.body(resultsJson(batches, answers, request.records.length), 200, { "content-type": "application/json" });
}

export const recordsRoutes = new Hono<{ Bindings: Env }>()
  .post("/:topic/records", (c) => produce(c))
  .post("/:topic/partitions/:partition/records", (c) =>
    produce(c, validate(partitionParam, c.req.param("partition"), "partition in the path")),
  )
  .get("/:topic/partitions/:partition/records", async (c) => {
    const name = topicParam(c.req.param("topic"));
    const partition = validate(partitionParam, c.req.param("partition"), "partition in the path");
    const query = validate(fetchQuerySchema, c.req.query(), "fetch query");
    const { replica, ...read } = query;
    const page = await onTopic<FetchSuccess>(c.env, name, async (topic) => {
      checkPartition(topic, partition);
      // Any in-sync replica serves reads (up to the high watermark): the one asked for or the
      // closest; the leader when that one cannot be reached.
      const chosen = replica ?? closestReplica(topic, partition, c.req.raw.cf?.continent as string | undefined);
      const leader = leaderRef(topic, partition);
      if (chosen !== undefined && chosen !== leader.replica) {
        if (chosen >= topic.replicationFactor) {
          throw new ApiError(
            "INVALID_REQUEST",
            `topic '${name}' has ${topic.replicationFactor} replica(s); replica ${chosen} does not exist`,
            { field: "replica" },
          );
        }
        const ref = { ...leader, replica: chosen };
        const answer = (await partitionStub(c.env, ref)
          .read({ ref, ...read })
          .catch(() => null)) as Result<FetchSuccess> | null;
        if (answer && (answer.ok || answer.code !== "NOT_LEADER_OR_FOLLOWER")) return answer;
      }
      return onLeader(c.env, topic, partition, (stub, ref) => stub.read({ ref, ...read }));
    });
    return c.body(
      `{"records":${page.records},"nextOffset":${page.nextOffset},"highWatermark":${page.highWatermark},"logStartOffset":${page.logStartOffset}}`,
      200,
      { "content-type": "application/json" },
    );
  })
  .get("/:topic/partitions/:partition/subscribe", async (c) => {
    const name = topicParam(c.req.param("topic"));
    const partition = validate(partitionParam, c.req.param("partition"), "partition in the path");
    const query = validate(subscribeQuerySchema, c.req.query(), "subscribe query");
    // An EventSource that reconnects sends the id of the last event it saw: the next offset.
    const lastEventId = c.req.header("last-event-id");
    const at = lastEventId && /^\d+$/.test(lastEventId) ? Number(lastEventId) : (query.offset ?? "latest");
    const topic = await getTopicMeta(c.env, name);
    checkPartition(topic, partition);
    const ref = leaderRef(topic, partition);
    const stub = partitionStub(c.env, ref);
    let offset: number;
    if (typeof at === "number") offset = at;
    else offset = unwrap((await stub.offsetFor(ref, at)) as Result<{ offset: number }>).offset;
    const headers = new Headers({ [SUBSCRIBE_REF_HEADER]: JSON.stringify(ref) });
    for (const h of ["upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-protocol"]) {
      const v = c.req.header(h);
      if (v) headers.set(h, v);
    }
    return stub.fetch(new Request(`https://partition.internal/subscribe?offset=${offset}`, { headers }));
  })
  .get("/:topic/partitions/:partition/offsets", async (c) => {
    const name = topicParam(c.req.param("topic"));
    const partition = validate(partitionParam, c.req.param("partition"), "partition in the path");
    const { at } = validate(offsetsQuerySchema, c.req.query(), "offsets query");
    const answer = await onTopic(c.env, name, async (topic) => {
      checkPartition(topic, partition);
      return onLeader(c.env, topic, partition, (stub, ref) => stub.offsetFor(ref, at));
    });
    return c.json(answer);
  });
