/**
 * DescribeConfigs, AlterConfigs (replaces a topic's whole config: what is not given returns to
 * its default) and IncrementalAlterConfigs (SET, DELETE = back to the default, APPEND and
 * SUBTRACT on list configs), for topics. The broker's own configs are answered as none: a
 * gateway has no broker settings a client could change.
 */
import { topicPath } from "../../sdk/paths.ts";
import { topicDescriptionSchema } from "../../sdk/protocol/schemas.ts";
import { code, errorCode, errorMessage, type Handler, type RequestContext } from "../context.ts";
import type { Struct } from "../protocol/codec.ts";
import { defaults, fromKafka, KAFKA_CONFIGS, toKafka } from "../topic-configs.ts";

const TOPIC = 2;
const BROKER = 4;

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

function describeTopic(ctx: RequestContext, name: string) {
  return ctx.api.request({ method: "GET", path: topicPath(name) }, topicDescriptionSchema);
}

export const describeConfigs: Handler = async (ctx, request) => {
  const results = await Promise.all(
    (request.resources as Struct[]).map(async (r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName, configs: [] as Struct[] };
      if (r.resourceType === BROKER) return { ...base, errorCode: 0, errorMessage: null };
      if (r.resourceType !== TOPIC) {
        return {
          ...base,
          errorCode: code("INVALID_REQUEST"),
          errorMessage: "only topic and broker configs are described",
        };
      }
      try {
        const topic = await describeTopic(ctx, r.resourceName as string);
        const configs = toKafka(topic.config, topic.replicationFactor, r.configurationKeys as string[] | null);
        return { ...base, errorCode: 0, errorMessage: null, configs };
      } catch (err) {
        return { ...base, errorCode: errorCode(err), errorMessage: errorMessage(err) };
      }
    }),
  );
  return { throttleTimeMs: 0, results };
};

type Change = (
  current: Record<string, unknown>,
  rf: number,
) => { config: Record<string, unknown> } | { invalid: string };

/** Applies `change` to each topic resource (the same for both alter APIs). */
async function alter(ctx: RequestContext, request: Struct, change: (r: Struct) => Change) {
  return Promise.all(
    (request.resources as Struct[]).map(async (r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      if (r.resourceType !== TOPIC) {
        return { ...base, errorCode: code("INVALID_REQUEST"), errorMessage: "only topic configs can be changed" };
      }
      try {
        const name = r.resourceName as string;
        const topic = await describeTopic(ctx, name);
        const next = change(r)(topic.config as Record<string, unknown>, topic.replicationFactor);
        if ("invalid" in next) return { ...base, errorCode: code("INVALID_CONFIG"), errorMessage: next.invalid };
        if (!request.validateOnly) {
          await ctx.api.request(
            { method: "PATCH", path: topicPath(name), body: { config: next.config } },
            topicDescriptionSchema,
          );
        }
        return { ...base, errorCode: 0, errorMessage: null };
      } catch (err) {
        return { ...base, errorCode: errorCode(err), errorMessage: errorMessage(err) };
      }
    }),
  );
}

export const alterConfigs: Handler = async (ctx, request) => {
  const responses = await alter(ctx, request, (r) => (_current, rf) => {
    const given = fromKafka(r.configs as { name: string; value: string | null }[], rf);
    return "invalid" in given ? given : { config: { ...defaults(rf), ...given.config } };
  });
  return { throttleTimeMs: 0, responses };
};

export const incrementalAlterConfigs: Handler = async (ctx, request) => {
  const responses = await alter(ctx, request, (r) => (current, rf) => {
    const ops = r.configs as { name: string; configOperation: number; value: string | null }[];
    const changes: { name: string; value: string | null }[] = [];
    for (const op of ops) {
      const known = KAFKA_CONFIGS.find((c) => c.name === op.name);
      if (op.configOperation === SET || op.configOperation === DELETE) {
        changes.push({ name: op.name, value: op.configOperation === DELETE ? null : op.value });
      } else if ((op.configOperation === APPEND || op.configOperation === SUBTRACT) && known?.type === 7) {
        const list = new Set(
          String(current[known.key] ?? "")
            .split(",")
            .filter(Boolean),
        );
        for (const v of (op.value ?? "").split(",").filter(Boolean)) {
          if (op.configOperation === APPEND) list.add(v);
          else list.delete(v);
        }
        changes.push({ name: op.name, value: [...list].join(",") });
      } else {
        return { invalid: `operation ${op.configOperation} does not apply to config '${op.name}'` };
      }
    }
    return fromKafka(changes, rf);
  });
  return { throttleTimeMs: 0, responses };
};
