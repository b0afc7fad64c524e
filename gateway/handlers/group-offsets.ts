/**
 * OffsetCommit and OffsetFetch: the group's committed offsets, kept by its GroupCoordinator. A
 * member's commit is fenced by its generation (generation -1 and no member id is a commit from
 * outside the group, refused while the group has members); a partition nothing was committed
 * for answers -1, as Kafka does.
 */
import { groupPath } from "../../sdk/paths.ts";
import { groupOffsetsAnswerSchema, ignoredAnswerSchema } from "../../sdk/protocol/schemas.ts";
import { TributaryError } from "../api.ts";
import { errorCode, type Handler, type RequestContext } from "../context.ts";
import type { Struct } from "../protocol/codec.ts";

export const offsetCommit: Handler = async (ctx, request) => {
  const group = request.groupId as string;
  const generation = (request.generationIdOrMemberEpoch as number | undefined) ?? -1;
  const memberId = (request.memberId as string | undefined) ?? "";
  const topics = request.topics as Struct[];
  const offsets = topics.flatMap((t) =>
    (t.partitions as Struct[]).map((p) => ({
      topic: t.name as string,
      partition: p.partitionIndex as number,
      offset: Number(p.committedOffset as bigint),
      ...(typeof p.committedMetadata === "string" && p.committedMetadata !== ""
        ? { metadata: p.committedMetadata }
        : {}),
    })),
  );
  let error = 0;
  if (offsets.length > 0) {
    const member =
      generation >= 0 && memberId !== ""
        ? { memberId, generation, groupInstanceId: request.groupInstanceId ?? null }
        : {};
    try {
      await ctx.api.request(
        { method: "POST", path: `${groupPath(group)}/offsets`, body: { ...member, offsets } },
        ignoredAnswerSchema,
      );
    } catch (err) {
      error = errorCode(err);
    }
  }
  // Tributary commits a request's offsets all or none: each partition answers the same.
  return {
    throttleTimeMs: 0,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: (t.partitions as Struct[]).map((p) => ({ partitionIndex: p.partitionIndex, errorCode: error })),
    })),
  };
};

interface Asked {
  name: string;
  partitionIndexes: number[];
}

/** One group's committed offsets of the topics asked (all topics it committed to when null). */
async function fetchGroup(ctx: RequestContext, group: string, asked: Asked[] | null) {
  const read = async (topic?: string) => {
    try {
      const answer = await ctx.api.request(
        { method: "GET", path: `${groupPath(group)}/offsets`, query: { topic } },
        groupOffsetsAnswerSchema,
      );
      return answer.offsets;
    } catch (err) {
      // A group nobody used has no offsets: Kafka answers that with no error.
      if (err instanceof TributaryError && err.code === "GROUP_ID_NOT_FOUND") return [];
      throw err;
    }
  };
  const lists = asked === null ? [await read()] : await Promise.all(asked.map((a) => read(a.name)));
  const committed = new Map<string, number | null>();
  for (const o of lists.flat()) committed.set(`${o.topic}\u0000${o.partition}`, o.committed);
  const wanted =
    asked ??
    [
      ...new Set(
        lists
          .flat()
          .filter((o) => o.committed !== null)
          .map((o) => o.topic),
      ),
    ].map((name) => ({
      name,
      partitionIndexes: lists
        .flat()
        .filter((o) => o.topic === name && o.committed !== null)
        .map((o) => o.partition),
    }));
  return wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => ({
      partitionIndex: p,
      committedOffset: BigInt(committed.get(`${t.name}\u0000${p}`) ?? -1),
      committedLeaderEpoch: -1,
      metadata: "",
      errorCode: 0,
    })),
  }));
}

export const offsetFetch: Handler = async (ctx, request) => {
  if (ctx.version >= 8) {
    const groups = await Promise.all(
      (request.groups as Struct[]).map(async (g) => {
        try {
          return {
            groupId: g.groupId,
            topics: await fetchGroup(ctx, g.groupId as string, g.topics as Asked[] | null),
            errorCode: 0,
          };
        } catch (err) {
          return { groupId: g.groupId, topics: [], errorCode: errorCode(err) };
        }
      }),
    );
    return { throttleTimeMs: 0, groups };
  }
  try {
    const topics = await fetchGroup(ctx, request.groupId as string, request.topics as Asked[] | null);
    return { throttleTimeMs: 0, topics, errorCode: 0 };
  } catch (err) {
    return { throttleTimeMs: 0, topics: [], errorCode: errorCode(err) };
  }
};
