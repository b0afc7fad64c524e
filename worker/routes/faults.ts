/**
 * Test-only fault injection: make one replica of a partition unavailable, slow, or lose its
 * in-memory state, so failover can be tested end to end. The route exists only when the
 * TRIBUTARY_FAULTS variable is "1" (tests set it; wrangler.toml never does): otherwise 404.
 */
import { Hono } from "hono";
import { z } from "zod";
import { faultsEnabled } from "../../cluster/faults.ts";
import type { FaultSpec } from "../../cluster/rpc/partition-log.ts";
import { partitionStub } from "../../cluster/stubs.ts";
import { topicMeta } from "../../cluster/topic-cache.ts";
import type { Result } from "../../sdk/protocol/errors.ts";
import { MAX_REPLICATION_FACTOR, topicName } from "../../sdk/protocol/schemas.ts";
import { readJson } from "../body.ts";
import { ApiError, unwrap } from "../errors.ts";
import { authorize } from "../middleware/authorize.ts";
import { validate } from "../validate.ts";

const faultSchema = z.strictObject({
  topic: topicName,
  partition: z.int().min(0),
  replica: z
    .int()
    .min(0)
    .max(MAX_REPLICATION_FACTOR - 1),
  unavailable: z.boolean().optional(),
  delayMs: z.int().min(0).max(60_000).optional(),
  restart: z.boolean().optional(),
  crash: z.enum(["mid-compaction", "after-upload", "after-manifest"]).optional(),
});

export const faultsRoutes = new Hono<{ Bindings: Env }>().post("/", async (c) => {
  if (!faultsEnabled(c.env)) {
    throw new ApiError("NOT_FOUND", "there is no route POST /v1/_test/faults; see the API reference, docs/api.md");
  }
  authorize(c, "cluster", "cluster", "alter");
  const { json } = await readJson(c);
  const { topic: name, partition, replica, ...spec } = validate(faultSchema, json, "fault");
  const { topic } = unwrap(await topicMeta(c.env, name, true));
  if (partition >= topic.partitions || replica >= topic.replicationFactor) {
    throw new ApiError("UNKNOWN_TOPIC_OR_PARTITION", `'${name}' has no partition ${partition} replica ${replica}`);
  }
  const ref = { topic: topic.name, topicId: topic.id, partition, ...(topic.leaders ? { replica } : {}) };
  try {
    const answer = (await partitionStub(c.env, ref).injectFault(spec)) as Result<{ faults: FaultSpec }>;
    return c.json(unwrap(answer));
  } catch (err) {
    // A restart aborts the object under the call: that is the expected answer.
    if (spec.restart) return c.json({ faults: spec, restarted: true });
    throw err;
  }
});
