/**
 * Topic administration: CreateTopics, DeleteTopics, CreatePartitions, each topic a Tributary
 * API call and its own result. Replica placement is Tributary's (every partition's replicas
 * are objects Cloudflare places), so manual assignments are refused. validateOnly checks what
 * can be checked without creating anything.
 */
import { topicPath } from "../../sdk/paths.ts";
import {
  deleteTopicAnswerSchema,
  isValidTopicName,
  MAX_PARTITIONS,
  MAX_REPLICATION_FACTOR,
  topicDescriptionSchema,
} from "../../sdk/protocol/schemas.ts";
import { TributaryError } from "../api.ts";
import { code, errorCode, errorMessage, type Handler, type RequestContext } from "../context.ts";
import type { Struct } from "../protocol/codec.ts";
import type { KafkaErrorName } from "../protocol/errors.ts";
import { fromKafka, toKafka } from "../topic-configs.ts";
import { listTopics } from "./metadata.ts";

const refused = (error: KafkaErrorName, message: string) => ({ errorCode: code(error), errorMessage: message });

async function createOne(ctx: RequestContext, t: Struct, validateOnly: boolean): Promise<Struct> {
  const name = t.name as string;
  const base = { name, topicId: null, numPartitions: -1, replicationFactor: -1, configs: null };
  if (!isValidTopicName(name))
    return { ...base, ...refused("INVALID_TOPIC_EXCEPTION", `'${name}' is not a valid topic name`) };
  if ((t.assignments as unknown[]).length > 0) {
    return {
      ...base,
      ...refused(
        "INVALID_REQUEST",
        "replica assignments are Tributary's: create the topic with a count and a replication factor",
      ),
    };
  }
  const partitions = t.numPartitions === -1 ? 1 : (t.numPartitions as number);
  if (partitions < 1 || partitions > MAX_PARTITIONS) {
    return { ...base, ...refused("INVALID_PARTITIONS", `a topic has 1 to ${MAX_PARTITIONS} partitions`) };
  }
  const rf = t.replicationFactor as number;
  if (rf !== -1 && (rf < 1 || rf > MAX_REPLICATION_FACTOR)) {
    return {
      ...base,
      ...refused("INVALID_REPLICATION_FACTOR", `the replication factor is 1 to ${MAX_REPLICATION_FACTOR}`),
    };
  }
  const configs = fromKafka(t.configs as { name: string; value: string | null }[], rf === -1 ? 3 : rf);
  if ("invalid" in configs) return { ...base, ...refused("INVALID_CONFIG", configs.invalid) };
  try {
    if (validateOnly) {
      const exists = (await listTopics(ctx)).some((x) => x.name === name);
      if (exists) return { ...base, ...refused("TOPIC_ALREADY_EXISTS", `topic '${name}' already exists`) };
      return { ...base, errorCode: 0, errorMessage: null, numPartitions: partitions, replicationFactor: rf };
    }
    const created = await ctx.api.request(
      {
        method: "POST",
        path: "v1/topics",
        body: { name, partitions, ...(rf === -1 ? {} : { replicationFactor: rf }), config: configs.config },
      },
      topicDescriptionSchema,
    );
    return {
      name,
      topicId: created.id,
      errorCode: 0,
      errorMessage: null,
      numPartitions: created.partitions.length,
      replicationFactor: created.replicationFactor,
      configs: toKafka(created.config, created.replicationFactor, null).map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: false,
        configSource: c.configSource,
        isSensitive: false,
      })),
    };
  } catch (err) {
    return { ...base, errorCode: errorCode(err), errorMessage: errorMessage(err) };
  }
}

export const createTopics: Handler = async (ctx, request) => {
  const validateOnly = Boolean(request.validateOnly);
  const topics = await Promise.all((request.topics as Struct[]).map((t) => createOne(ctx, t, validateOnly)));
  return { throttleTimeMs: 0, topics };
};

export const deleteTopics: Handler = async (ctx, request) => {
  // v6 names topics by name or by id; earlier versions by name.
  const asked: { name: string | null; topicId: string | null }[] =
    ctx.version >= 6
      ? (request.topics as { name: string | null; topicId: string | null }[])
      : (request.topicNames as string[]).map((name) => ({ name, topicId: null }));
  const known = asked.some((a) => a.name === null) ? await listTopics(ctx) : [];
  const responses = await Promise.all(
    asked.map(async (a) => {
      const topic = known.find((t) => t.id === a.topicId);
      const name = a.name ?? topic?.name ?? null;
      const base = { name, topicId: a.topicId ?? topic?.id ?? null };
      if (name === null) return { ...base, ...refused("UNKNOWN_TOPIC_ID", `no topic has id ${a.topicId}`) };
      try {
        await ctx.api.request({ method: "DELETE", path: topicPath(name) }, deleteTopicAnswerSchema);
        return { ...base, errorCode: 0, errorMessage: null };
      } catch (err) {
        return { ...base, errorCode: errorCode(err), errorMessage: errorMessage(err) };
      }
    }),
  );
  return { throttleTimeMs: 0, responses };
};

export const createPartitions: Handler = async (ctx, request) => {
  const results = await Promise.all(
    (request.topics as Struct[]).map(async (t) => {
      const name = t.name as string;
      const count = t.count as number;
      if (t.assignments) {
        return { name, ...refused("INVALID_REQUEST", "replica assignments are Tributary's: give only the new count") };
      }
      try {
        const topic = await ctx.api.request({ method: "GET", path: topicPath(name) }, topicDescriptionSchema);
        if (count <= topic.partitions.length) {
          return {
            name,
            ...refused(
              "INVALID_PARTITIONS",
              `topic '${name}' has ${topic.partitions.length} partitions; the count can only go up`,
            ),
          };
        }
        if (!request.validateOnly) {
          await ctx.api.request(
            { method: "PATCH", path: topicPath(name), body: { partitions: count } },
            topicDescriptionSchema,
          );
        }
        return { name, errorCode: 0, errorMessage: null };
      } catch (err) {
        if (err instanceof TributaryError && err.code === "INVALID_PARTITIONS") {
          return { name, ...refused("INVALID_PARTITIONS", err.message) };
        }
        return { name, errorCode: errorCode(err), errorMessage: errorMessage(err) };
      }
    }),
  );
  return { throttleTimeMs: 0, results };
};
