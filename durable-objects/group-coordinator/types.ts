/** Types crossing the RPC boundary between the worker and a GroupCoordinator. */
import type { AssignorName, TopicPartition } from "./assignors.ts";
import type { GroupStateName } from "./membership.ts";

export interface JoinRequest {
  group: string;
  topics: string[];
  memberId?: string;
  sessionTimeoutMs: number;
  assignor: AssignorName;
}

export interface JoinAnswer {
  memberId: string;
  generation: number;
  assignments: TopicPartition[];
}

export interface HeartbeatAnswer {
  generation: number;
  assignments: TopicPartition[];
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

export interface PartitionLag {
  topic: string;
  partition: number;
  /** The next offset the group will read, or null when it has committed nothing here. */
  committed: number | null;
  highWatermark: number;
  logStartOffset: number;
  lag: number;
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
