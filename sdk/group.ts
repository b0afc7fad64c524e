/**
 * The consumer group protocol as HTTP calls: join, heartbeat, leave, commit and read committed
 * offsets. The consumer (consumer/) drives these; they make one call each (with the
 * transport's retries) and check the answers.
 */
import type { Transport } from "./http.ts";
import { groupPath } from "./paths.ts";
import {
  groupOffsetsAnswerSchema,
  type HeartbeatAnswer,
  heartbeatAnswerSchema,
  ignoredAnswerSchema,
  type JoinAnswer,
  joinAnswerSchema,
  type PartitionLag,
  type TopicPartition,
} from "./protocol/schemas.ts";

export type { TopicPartition } from "./protocol/schemas.ts";

/** A partition and an offset in it; for commits, the offset of the next record to read. */
export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

export type { HeartbeatAnswer, JoinAnswer };

/** The group's position in one partition. */
export type CommittedOffset = PartitionLag;

/** The calls of one group; the group id is checked by the caller. */
export interface GroupApi {
  join(
    request: { topics: string[]; memberId?: string; sessionTimeoutMs: number; assignor?: string },
    signal?: AbortSignal,
  ): Promise<JoinAnswer>;
  heartbeat(memberId: string, generation: number, signal?: AbortSignal): Promise<HeartbeatAnswer>;
  leave(memberId: string): Promise<void>;
  commit(memberId: string, generation: number, offsets: TopicPartitionOffset[]): Promise<void>;
  committed(topic: string, signal?: AbortSignal): Promise<CommittedOffset[]>;
}

/** The calls of group `group` over `transport`. */
export function groupApi(transport: Transport, group: string): GroupApi {
  const path = groupPath(group);
  return {
    join: (body, signal) =>
      transport.request({ method: "POST", path: `${path}/members`, body, signal }, joinAnswerSchema),
    heartbeat: (memberId, generation, signal) =>
      transport.request(
        {
          method: "POST",
          path: `${path}/members/${encodeURIComponent(memberId)}/heartbeat`,
          body: { generation },
          signal,
        },
        heartbeatAnswerSchema,
      ),
    async leave(memberId) {
      await transport.request(
        { method: "DELETE", path: `${path}/members/${encodeURIComponent(memberId)}` },
        ignoredAnswerSchema,
      );
    },
    async commit(memberId, generation, offsets) {
      await transport.request(
        { method: "POST", path: `${path}/offsets`, body: { memberId, generation, offsets } },
        ignoredAnswerSchema,
      );
    },
    async committed(topic, signal) {
      const answer = await transport.request(
        { method: "GET", path: `${path}/offsets`, query: { topic }, signal },
        groupOffsetsAnswerSchema,
      );
      return answer.offsets;
    },
  };
}
