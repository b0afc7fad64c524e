/**
 * Metadata: the gateway is the cluster's one broker (node 0) and the leader of every partition,
 * so a client sends everything here; several gateways behind one address are interchangeable.
 * Topic ids are Tributary's (a UUID per creation of a name).
 */
import { type TopicSummary, topicListAnswerSchema } from "../../sdk/protocol/schemas.ts";
import { TributaryError } from "../api.ts";
import { code, errorCode, type Handler, type RequestContext } from "../context.ts";
import type { Struct } from "../protocol/codec.ts";

/** Kafka's "authorized operations were not asked for". */
export const NOT_REQUESTED = -2147483648;

export async function listTopics(ctx: RequestContext): Promise<TopicSummary[]> {
  return (await ctx.api.request({ method: "GET", path: "v1/topics" }, topicListAnswerSchema)).topics;
}

function topicEntry(ctx: RequestContext, t: TopicSummary): Struct {
  const node = ctx.advertised.nodeId;
  return {
    errorCode: 0,
    name: t.name,
    topicId: t.id ?? null,
    isInternal: false,
    partitions: Array.from({ length: t.partitions }, (_, p) => ({
      errorCode: 0,
      partitionIndex: p,
      leaderId: node,
      leaderEpoch: -1,
      replicaNodes: [node],
      isrNodes: [node],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: NOT_REQUESTED,
  };
}

/** Creates a topic a client asked for, when the gateway runs with --auto-create-topics. */
async function autoCreate(ctx: RequestContext, name: string): Promise<TopicSummary | number> {
  try {
    await ctx.api.request({ method: "POST", path: "v1/topics", body: { name, partitions: 1 } }, topicSummaryIgnored);
  } catch (err) {
    if (!(err instanceof TributaryError) || err.code !== "TOPIC_ALREADY_EXISTS") return errorCode(err);
  }
  const topics = await listTopics(ctx);
  return topics.find((t) => t.name === name) ?? code("UNKNOWN_TOPIC_OR_PARTITION");
}

const topicSummaryIgnored = topicListAnswerSchema.partial().passthrough();

/**
 * Why a topic asked for is not in the token's list: it does not exist, or the token may not
 * describe it (TOPIC_AUTHORIZATION_FAILED, as Kafka answers, so clients stop retrying).
 */
async function missingTopic(ctx: RequestContext, name: string): Promise<number> {
  try {
    await ctx.api.request({ method: "GET", path: `v1/topics/${encodeURIComponent(name)}` }, topicSummaryIgnored);
    return code("UNKNOWN_TOPIC_OR_PARTITION");
  } catch (err) {
    return errorCode(err);
  }
}

export const metadata: Handler = async (ctx, request) => {
  const asked = request.topics as { name?: string | null; topicId?: string | null }[] | null;
  const all = await listTopics(ctx);
  // v0 asks for every topic with an empty list; later versions with null.
  const everything = asked === null || (ctx.version === 0 && asked.length === 0);
  const topics: Struct[] = [];
  if (everything) {
    for (const t of all) topics.push(topicEntry(ctx, t));
  } else {
    const byName = new Map(all.map((t) => [t.name, t]));
    const byId = new Map(all.map((t) => [t.id, t]));
    for (const a of asked) {
      let found = a.name ? byName.get(a.name) : a.topicId ? byId.get(a.topicId) : undefined;
      if (!found && a.name && request.allowAutoTopicCreation !== false && ctx.limits.autoCreateTopics) {
        const created = await autoCreate(ctx, a.name);
        if (typeof created !== "number") found = created;
      }
      topics.push(
        found
          ? topicEntry(ctx, found)
          : {
              errorCode: a.name ? await missingTopic(ctx, a.name) : code("UNKNOWN_TOPIC_ID"),
              name: a.name ?? null,
              topicId: a.topicId ?? null,
              isInternal: false,
              partitions: [],
              topicAuthorizedOperations: NOT_REQUESTED,
            },
      );
    }
  }
  const { nodeId, host, port, clusterId } = ctx.advertised;
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId, host, port, rack: null }],
    clusterId,
    controllerId: nodeId,
    topics,
    clusterAuthorizedOperations: NOT_REQUESTED,
  };
};
