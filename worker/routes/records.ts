/** The data path: produce, fetch, offset lookup, subscribe (push) and DeleteRecords. */
import type { Context } from "hono";
import { Hono } from "hono";
import { type AppendedBatch, appendToTopic, prepareAppend, sendAppend } from "../../cluster/append.ts";
import { closestReplica } from "../../cluster/leaders.ts";
import { deleteRecords, offsetAt, onPartition, readPartition } from "../../cluster/reads.ts";
import { subscribePartition } from "../../cluster/subscribe.ts";
import { topicMeta } from "../../cluster/topic-cache.ts";
import {
  deleteRecordsSchema,
  fetchQuerySchema,
  offsetsQuerySchema,
  partitionParam,
  subscribeQuerySchema,
} from "../../sdk/protocol/schemas.ts";
import { readJson } from "../body.ts";
import { ApiError, unwrap } from "../errors.ts";
import { authorize, chargeProduce } from "../middleware/authorize.ts";
import { parseProduceRequest } from "../produce-request.ts";
import { validate } from "../validate.ts";
import { topicParam } from "./topics.ts";

type Ctx = Context<{ Bindings: Env }>;

const partitionOf = (c: Ctx) => validate(partitionParam, c.req.param("partition"), "partition in the path");

/** The results JSON of a produce, in request order, written directly (it is on the hot path). */
function resultsJson(batches: readonly AppendedBatch[], total: number): string {
  const items: string[] = new Array(total);
  for (const { partition, positions, records, baseOffset, appendTime } of batches) {
    for (let j = 0; j < positions.length; j++) {
      const ts = records[j]!.timestamp ?? appendTime;
      items[positions[j]!] = `{"partition":${partition},"offset":${baseOffset + j},"timestamp":${ts}}`;
    }
  }
  return `{"results":[${items.join(",")}]}`;
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

async function produce(c: Ctx, partition?: number) {
  const name = topicParam(c.req.param("topic")!);
  authorize(c, "topic", name, "write");
  const { json, text } = await readJson(c);
  const request = parseProduceRequest(json);
  if (request.producer && partition === undefined) {
    throw new ApiError(
      "INVALID_REQUEST",
      "an idempotent produce (with producer) goes to one partition: POST /v1/topics/:topic/partitions/:p/records",
      { field: "producer" },
    );
  }
  await chargeProduce(c, request.records.length, text.length);
  const options = {
    acks: request.acks === -1 ? ("all" as const) : request.acks,
    producer: request.producer,
    partition,
    sentText: recordsText(json, text),
  };
  if (request.acks === 0) {
    // Checked (topic, partitions, sizes) before the answer; appended after it.
    const { topic } = unwrap(await topicMeta(c.env, name));
    const prepared = unwrap(prepareAppend(topic, request.records, options));
    c.executionCtx.waitUntil(
      sendAppend(c.env, prepared).then(
        (r) => !r.ok && console.error(`acks=0 produce to ${name} failed: ${r.code} ${r.message}`),
        (err: unknown) => console.error(`acks=0 produce to ${name} failed`, err),
      ),
    );
    return c.json({ accepted: request.records.length }, 202);
  }
  const { batches } = unwrap(await appendToTopic(c.env, name, request.records, options));
  return c.body(resultsJson(batches, request.records.length), 200, { "content-type": "application/json" });
}

export const recordsRoutes = new Hono<{ Bindings: Env }>()
  .post("/:topic/records", (c) => produce(c))
  .post("/:topic/partitions/:partition/records", (c) => produce(c, partitionOf(c)))
  .get("/:topic/partitions/:partition/records", async (c) => {
    const name = topicParam(c.req.param("topic"));
    authorize(c, "topic", name, "read");
    const partition = partitionOf(c);
    const { replica, ...read } = validate(fetchQuerySchema, c.req.query(), "fetch query");
    const continent = c.req.raw.cf?.continent as string | undefined;
    const page = unwrap(
      await onPartition(c.env, name, partition, (topic) =>
        // Any in-sync replica serves reads: the one asked for, or the closest to the caller.
        readPartition(c.env, topic, partition, read, replica ?? closestReplica(topic, partition, continent)),
      ),
    );
    return c.body(
      `{"records":${page.records},"nextOffset":${page.nextOffset},"highWatermark":${page.highWatermark},"logStartOffset":${page.logStartOffset}}`,
      200,
      { "content-type": "application/json" },
    );
  })
  .get("/:topic/partitions/:partition/subscribe", async (c) => {
    const name = topicParam(c.req.param("topic"));
    authorize(c, "topic", name, "read");
    const partition = partitionOf(c);
    const query = validate(subscribeQuerySchema, c.req.query(), "subscribe query");
    // An EventSource that reconnects sends the id of the last event it saw: the next offset.
    const lastEventId = c.req.header("last-event-id");
    const at = lastEventId && /^\d+$/.test(lastEventId) ? Number(lastEventId) : (query.offset ?? "latest");
    return unwrap(await subscribePartition(c.env, name, partition, at, c.req.raw.headers)).response;
  })
  .get("/:topic/partitions/:partition/offsets", async (c) => {
    const name = topicParam(c.req.param("topic"));
    authorize(c, "topic", name, "describe");
    const partition = partitionOf(c);
    const { at } = validate(offsetsQuerySchema, c.req.query(), "offsets query");
    return c.json(unwrap(await offsetAt(c.env, name, partition, at)));
  })
  .post("/:topic/partitions/:partition/delete-records", async (c) => {
    const name = topicParam(c.req.param("topic"));
    // Kafka's DeleteRecords needs DELETE on the topic.
    authorize(c, "topic", name, "delete");
    const partition = partitionOf(c);
    const { json } = await readJson(c);
    const { beforeOffset } = validate(deleteRecordsSchema, json, "delete-records request");
    const { logStartOffset } = unwrap(await deleteRecords(c.env, name, partition, beforeOffset));
    return c.json({ partition, logStartOffset });
  });
