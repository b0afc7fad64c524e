/**
 * ListGroups, DescribeGroups and DeleteGroups over Tributary's groups: classic groups (Kafka
 * clients through a gateway) with their members' bytes as the clients sent them, and groups of
 * Tributary's own consumers described in Kafka's consumer protocol, so that Kafka's tools can
 * read either.
 */
import { groupPath } from "../../sdk/paths.ts";
import { groupDescriptionSchema, groupListAnswerSchema, ignoredAnswerSchema } from "../../sdk/protocol/schemas.ts";
import { TributaryError } from "../api.ts";
import { assignmentBytes, subscriptionBytes } from "../consumer-protocol.ts";
import { code, errorCode, type Handler } from "../context.ts";

/** Kafka's "authorized operations were not asked for". */
const NOT_REQUESTED = -2147483648;

export const listGroups: Handler = async (ctx, request) => {
  try {
    const { groups } = await ctx.api.request({ method: "GET", path: "v1/groups" }, groupListAnswerSchema);
    const states = (request.statesFilter as string[] | undefined) ?? [];
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      groups: groups
        .filter((g) => states.length === 0 || states.includes(g.state))
        .map((g) => ({
          groupId: g.group,
          protocolType: g.protocolType ?? "consumer",
          groupState: g.state,
          groupType: "classic",
        })),
    };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: errorCode(err), groups: [] };
  }
};

export const describeGroups: Handler = async (ctx, request) => {
  const groups = await Promise.all(
    (request.groups as string[]).map(async (groupId) => {
      const none = { groupId, protocolType: "", protocolData: "", members: [], authorizedOperations: NOT_REQUESTED };
      try {
        const g = await ctx.api.request({ method: "GET", path: groupPath(groupId) }, groupDescriptionSchema);
        const classic = g.membership === "classic";
        return {
          ...none,
          errorCode: 0,
          groupState: g.state,
          protocolType: g.protocolType ?? "consumer",
          protocolData: g.assignor,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId ?? null,
            clientId: m.clientId ?? (classic ? "" : "tributary"),
            clientHost: m.clientHost ?? "",
            memberMetadata: classic ? Buffer.from(m.metadata ?? "", "base64") : subscriptionBytes(m.topics),
            memberAssignment: classic ? Buffer.from(m.assignment ?? "", "base64") : assignmentBytes(m.assignments),
          })),
        };
      } catch (err) {
        // An unknown group is described as Kafka's coordinator does: Dead, without an error.
        if (err instanceof TributaryError && err.code === "GROUP_ID_NOT_FOUND") {
          return { ...none, errorCode: 0, groupState: "Dead" };
        }
        return { ...none, errorCode: errorCode(err), groupState: "" };
      }
    }),
  );
  return { throttleTimeMs: 0, groups };
};

export const deleteGroups: Handler = async (ctx, request) => {
  const results = await Promise.all(
    (request.groupsNames as string[]).map(async (groupId) => {
      try {
        await ctx.api.request({ method: "DELETE", path: groupPath(groupId) }, ignoredAnswerSchema);
        return { groupId, errorCode: 0 };
      } catch (err) {
        return {
          groupId,
          errorCode:
            err instanceof TributaryError && err.code === "NOT_FOUND" ? code("GROUP_ID_NOT_FOUND") : errorCode(err),
        };
      }
    }),
  );
  return { throttleTimeMs: 0, results };
};
