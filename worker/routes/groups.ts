/** Consumer groups: membership, committed offsets, lag; and queue mode (per-record acks). */
import { Hono } from "hono";
import { controllerStub, groupStub } from "../../cluster/stubs.ts";
import type { ErrorCode } from "../../sdk/protocol/errors.ts";
import {
  ackSchema,
  classicHeartbeatSchema,
  classicJoinSchema,
  classicLeaveSchema,
  classicSyncSchema,
  commitSchema,
  groupName,
  groupOffsetsQuerySchema,
  heartbeatSchema,
  joinGroupSchema,
  nackSchema,
  queueConfigSchema,
  queueStatsQuerySchema,
  receiveSchema,
  redriveSchema,
  resetOffsetsSchema,
} from "../../sdk/protocol/schemas.ts";
import { readJson } from "../body.ts";
import { unwrap } from "../errors.ts";
import { authorize, authorizeTopics, can, principalOf } from "../middleware/authorize.ts";
import { validate } from "../validate.ts";

export function groupParam(raw: string): string {
  return validate(groupName, raw, "group name in the path", (): ErrorCode => "INVALID_GROUP_ID");
}

/**
 * The topics queue receipts are of: a receipt's first field (`topic:partition:offset:delivery:nonce`,
 * see group-coordinator/leases.ts). A malformed receipt names none, and acks or nacks nothing.
 */
const receiptTopics = (receipts: string[]): string[] =>
  receipts.flatMap((r) => (r.indexOf(":") > 0 ? [r.slice(0, r.indexOf(":"))] : []));

export const groupsRoutes = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => {
    // Only the groups the token may describe, as Kafka's ListGroups.
    const principal = principalOf(c);
    const names = (await controllerStub(c.env).listGroups()).filter((g) => can(principal, "group", g, "describe"));
    const groups = await Promise.all(
      names.map(async (group) => ({ group, ...(await groupStub(c.env, group).summary()) })),
    );
    return c.json({ groups });
  })
  .get("/:group", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "describe");
    return c.json(unwrap(await groupStub(c.env, group).describe(group)));
  })
  .delete("/:group", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "delete");
    return c.json(unwrap(await groupStub(c.env, group).deleteGroup(group)));
  })
  // Kafka's classic protocol, for clients that assign partitions themselves (the Kafka gateway).
  .post("/:group/classic/join", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "read");
    const input = validate(classicJoinSchema, (await readJson(c)).json, "join request", (path) =>
      path[0] === "sessionTimeoutMs" ? "INVALID_SESSION_TIMEOUT" : "INVALID_REQUEST",
    );
    return c.json(unwrap(await groupStub(c.env, group).classicJoin(group, input)));
  })
  .post("/:group/classic/sync", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "read");
    const input = validate(classicSyncSchema, (await readJson(c)).json, "sync request");
    return c.json(unwrap(await groupStub(c.env, group).classicSync(group, input)));
  })
  .post("/:group/classic/heartbeat", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "read");
    const input = validate(classicHeartbeatSchema, (await readJson(c)).json, "heartbeat");
    return c.json(unwrap(await groupStub(c.env, group).classicHeartbeat(group, input)));
  })
  .post("/:group/classic/leave", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "read");
    const input = validate(classicLeaveSchema, (await readJson(c)).json, "leave request");
    return c.json(unwrap(await groupStub(c.env, group).classicLeave(group, input)));
  })
  .post("/:group/members", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "read");
    const input = validate(joinGroupSchema, (await readJson(c)).json, "join request");
    authorizeTopics(c, input.topics, "read");
    return c.json(unwrap(await groupStub(c.env, group).join({ group, ...input })));
  })
  .post("/:group/members/:member/heartbeat", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "read");
    const { generation } = validate(heartbeatSchema, (await readJson(c)).json, "heartbeat");
    return c.json(unwrap(await groupStub(c.env, group).heartbeat(group, c.req.param("member"), generation)));
  })
  .delete("/:group/members/:member", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "read");
    return c.json(unwrap(await groupStub(c.env, group).leave(group, c.req.param("member"))));
  })
  .post("/:group/offsets", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "read");
    const input = validate(commitSchema, (await readJson(c)).json, "offset commit");
    authorizeTopics(
      c,
      input.offsets.map((o) => o.topic),
      "read",
    );
    return c.json(unwrap(await groupStub(c.env, group).commit({ group, ...input })));
  })
  .get("/:group/offsets", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "describe");
    const { topic } = validate(groupOffsetsQuerySchema, c.req.query(), "offsets query");
    if (topic !== undefined) authorize(c, "topic", topic, "describe");
    const { offsets } = unwrap(await groupStub(c.env, group).offsets(group, topic));
    // Kafka's OffsetFetch: only the topics the token may describe.
    const principal = principalOf(c);
    return c.json({ offsets: offsets.filter((o) => can(principal, "topic", o.topic, "describe")) });
  })
  .post("/:group/offsets/reset", async (c) => {
    const group = groupParam(c.req.param("group"));
    // A reset commits new positions: Kafka's OffsetCommit rights (a commit could set them anyway).
    authorize(c, "group", group, "read");
    const { topic, to } = validate(resetOffsetsSchema, (await readJson(c)).json, "offset reset");
    authorize(c, "topic", topic, "read");
    return c.json(unwrap(await groupStub(c.env, group).resetOffsets(group, topic, to)));
  })
  .put("/:group/queue", async (c) => {
    const group = groupParam(c.req.param("group"));
    // The group's config for the topic; the records it gives up on go to the dead-letter topic.
    authorize(c, "group", group, "alter");
    const config = validate(queueConfigSchema, (await readJson(c)).json, "queue config");
    authorize(c, "topic", config.topic, "read");
    if (config.deadLetterTopic !== undefined) authorize(c, "topic", config.deadLetterTopic, "write");
    return c.json(unwrap(await groupStub(c.env, group).configureQueue(group, config)));
  })
  .get("/:group/queue", async (c) => {
    const group = groupParam(c.req.param("group"));
    // As describing the group, which shows its lag on every topic.
    authorize(c, "group", group, "describe");
    const { topic } = validate(queueStatsQuerySchema, c.req.query(), "queue query");
    return c.json(unwrap(await groupStub(c.env, group).queueStats(group, topic)));
  })
  .post("/:group/queue/redrive", async (c) => {
    const group = groupParam(c.req.param("group"));
    // Reads the dead-letter topic and writes the topic, changing the group's redrive position.
    authorize(c, "group", group, "alter");
    const { topic, maxRecords } = validate(redriveSchema, (await readJson(c, {})).json, "redrive request");
    const stub = groupStub(c.env, group);
    const config = unwrap(await stub.queueConfig(group, topic));
    authorize(c, "topic", config.deadLetterTopic, "read");
    authorize(c, "topic", config.topic, "write");
    return c.json(unwrap(await stub.redriveQueue(group, config, maxRecords)));
  })
  .post("/:group/receive", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "read");
    const input = validate(receiveSchema, (await readJson(c)).json, "receive request");
    authorize(c, "topic", input.topic, "read");
    const { records } = unwrap(await groupStub(c.env, group).receive({ group, ...input }));
    return c.body(`{"records":${records}}`, 200, { "content-type": "application/json" });
  })
  .post("/:group/ack", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "read");
    const { receipts } = validate(ackSchema, (await readJson(c)).json, "ack");
    authorizeTopics(c, receiptTopics(receipts), "read");
    return c.json(unwrap(await groupStub(c.env, group).ack(group, receipts)));
  })
  .post("/:group/nack", async (c) => {
    const group = groupParam(c.req.param("group"));
    authorize(c, "group", group, "read");
    const { receipts, delayMs, reason } = validate(nackSchema, (await readJson(c)).json, "nack");
    authorizeTopics(c, receiptTopics(receipts), "read");
    return c.json(unwrap(await groupStub(c.env, group).nack(group, receipts, delayMs, reason)));
  });
