/**
 * Consumer groups with Kafka's classic protocol: the gateway is every group's coordinator
 * (FindCoordinator answers node 0), and JoinGroup, SyncGroup, Heartbeat and LeaveGroup are the
 * GroupCoordinator's classic calls (durable-objects/group-coordinator/classic.ts), which keep
 * the members' metadata and the leader's assignment and fence by generation. Metadata and
 * assignments are opaque bytes here, base64 on Tributary's API.
 */
import { groupPath } from "../../sdk/paths.ts";
import {
  classicJoinAnswerSchema,
  classicLeaveAnswerSchema,
  classicSyncAnswerSchema,
  ignoredAnswerSchema,
} from "../../sdk/protocol/schemas.ts";
import { TributaryError } from "../api.ts";
import { code, errorCode, errorMessage, type Handler, type RequestContext } from "../context.ts";
import type { Struct } from "../protocol/codec.ts";

const GROUP_KEY = 0;

const b64 = (bytes: unknown) => (bytes as Buffer | null)?.toString("base64") ?? "";
const bytes = (text: string) => Buffer.from(text, "base64");

export const findCoordinator: Handler = async (ctx, request) => {
  const { nodeId, host, port } = ctx.advertised;
  const keyType = (request.keyType as number | undefined) ?? GROUP_KEY;
  const answer = (key: string) =>
    keyType === GROUP_KEY
      ? { key, nodeId, host, port, errorCode: 0, errorMessage: null }
      : {
          key,
          nodeId: -1,
          host: "",
          port: -1,
          errorCode: code("INVALID_REQUEST"),
          errorMessage: "Tributary has no transactions, so no transaction coordinator",
        };
  if (ctx.version >= 4) return { throttleTimeMs: 0, coordinators: (request.coordinatorKeys as string[]).map(answer) };
  return { throttleTimeMs: 0, ...answer(request.key as string) };
};

const call = <T>(ctx: RequestContext, group: string, path: string, body: unknown, schema: T, waitMs = 0) =>
  ctx.api.request(
    { method: "POST", path: `${groupPath(group)}/classic/${path}`, body, waitMs },
    schema as import("zod").ZodType,
  ) as Promise<import("zod").output<T & import("zod").ZodType>>;

export const joinGroup: Handler = async (ctx, request) => {
  const group = request.groupId as string;
  const sessionTimeoutMs = request.sessionTimeoutMs as number;
  // v0 has no rebalance timeout: the session timeout is both.
  const rebalanceTimeoutMs = (request.rebalanceTimeoutMs as number | undefined) ?? sessionTimeoutMs;
  const failed = (err: unknown, memberId = request.memberId as string) => ({
    throttleTimeMs: 0,
    errorCode: errorCode(err),
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: "",
    skipAssignment: false,
    memberId,
    members: [],
  });
  try {
    const joined = await call(
      ctx,
      group,
      "join",
      {
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId ?? null,
        clientId: ctx.header.clientId ?? "",
        clientHost: ctx.clientHost,
        protocolType: request.protocolType,
        protocols: (request.protocols as Struct[]).map((p) => ({ name: p.name, metadata: b64(p.metadata) })),
        sessionTimeoutMs,
        rebalanceTimeoutMs,
        requireKnownMemberId: ctx.version >= 4,
      },
      classicJoinAnswerSchema,
      rebalanceTimeoutMs,
    );
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: joined.generation,
      protocolType: joined.protocolType,
      protocolName: joined.protocolName,
      leader: joined.leader,
      skipAssignment: false,
      memberId: joined.memberId,
      members: joined.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: bytes(m.metadata),
      })),
    };
  } catch (err) {
    const given = err instanceof TributaryError ? (err.details.memberId as string | undefined) : undefined;
    return failed(err, given ?? (request.memberId as string));
  }
};

export const syncGroup: Handler = async (ctx, request) => {
  try {
    const synced = await call(
      ctx,
      request.groupId as string,
      "sync",
      {
        memberId: request.memberId,
        generation: request.generationId,
        groupInstanceId: request.groupInstanceId ?? null,
        protocolType: request.protocolType ?? null,
        protocolName: request.protocolName ?? null,
        assignments: (request.assignments as Struct[]).map((a) => ({
          memberId: a.memberId,
          assignment: b64(a.assignment),
        })),
      },
      classicSyncAnswerSchema,
      // A follower waits for the leader's assignment.
      60_000,
    );
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      protocolType: synced.protocolType,
      protocolName: synced.protocolName,
      assignment: bytes(synced.assignment),
    };
  } catch (err) {
    return {
      throttleTimeMs: 0,
      errorCode: errorCode(err),
      protocolType: null,
      protocolName: null,
      assignment: Buffer.alloc(0),
    };
  }
};

export const heartbeat: Handler = async (ctx, request) => {
  try {
    await call(
      ctx,
      request.groupId as string,
      "heartbeat",
      {
        memberId: request.memberId,
        generation: request.generationId,
        groupInstanceId: request.groupInstanceId ?? null,
      },
      ignoredAnswerSchema,
    );
    return { throttleTimeMs: 0, errorCode: 0 };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: errorCode(err) };
  }
};

export const leaveGroup: Handler = async (ctx, request) => {
  const members =
    ctx.version >= 3
      ? (request.members as Struct[]).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null }))
      : [{ memberId: request.memberId, groupInstanceId: null }];
  try {
    const left = await call(ctx, request.groupId as string, "leave", { members }, classicLeaveAnswerSchema);
    const failures = left.members.filter((m) => m.error);
    return {
      throttleTimeMs: 0,
      // v0–v2 leave one member: its error is the request's.
      errorCode: ctx.version < 3 && failures[0] ? code("UNKNOWN_MEMBER_ID") : 0,
      members: left.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        errorCode: m.error ? code("UNKNOWN_MEMBER_ID") : 0,
      })),
    };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: errorCode(err), members: [] };
  }
};

export { errorMessage };
