/** A GroupCoordinator's RPC contract: what its callers send and what it answers. */
import type {
  AssignorName,
  GroupStateName,
  PartitionLag,
  TopicPartition,
  HeartbeatAnswer as WireHeartbeatAnswer,
} from "../../sdk/protocol/schemas.ts";

export interface JoinRequest {
  group: string;
  topics: string[];
  memberId?: string;
  /**
   * A stable member id chosen by the caller (Kafka's static membership, group.instance.id):
   * the member is created with this id if it is not in the group. The Upstash REST API's
   * consumer instances join this way, as the worker keeps no state between their calls.
   */
  instanceId?: string;
  /** Commit the member's kept read positions when it joins again, leaves or expires. */
  autoCommit?: boolean;
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

/** A member's read state of one partition it holds (for consumers that keep no state). */
export interface MemberPosition {
  topic: string;
  partition: number;
  /** The kept read position, if any: the next offset to read. */
  position: number | null;
  /** The group's committed offset, if any. */
  committed: number | null;
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
