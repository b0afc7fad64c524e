/** Types crossing the RPC boundary between the worker and a GroupCoordinator. */

import type { PartitionLag, HeartbeatAnswer as WireHeartbeatAnswer } from "../../sdk/protocol/schemas.ts";
import type { AssignorName, TopicPartition } from "./assignors.ts";
import type { GroupStateName } from "./membership.ts";

export interface JoinRequest {
  group: string;
  topics: string[];
  memberId?: string;
  sessionTimeoutMs: number;
  assignor: AssignorName;
}

export type { JoinAnswer, PartitionLag } from "../../sdk/protocol/schemas.ts";

export interface HeartbeatAnswer extends WireHeartbeatAnswer {
  state: GroupStateName;
}

export interface OffsetCommit {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string;
}

export interface CommitRequest {
  group: string;
  memberId?: string;
  generation?: number;
  offsets: OffsetCommit[];
}

export type ResetTarget = "earliest" | "latest" | { timestamp: number } | { offset: number };

export interface GroupDescription {
  group: string;
  state: GroupStateName;
  generation: number;
  assignor: AssignorName;
  members: { memberId: string; topics: string[]; assignments: TopicPartition[]; sessionTimeoutMs: number }[];
  lag: PartitionLag[];
  totalLag: number;
}
