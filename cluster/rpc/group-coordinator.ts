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

export type {
  ClassicHeartbeatInput as ClassicHeartbeat,
  ClassicJoinAnswer,
  ClassicJoinInput as ClassicJoin,
  ClassicLeaveAnswer,
  ClassicLeaveInput as ClassicLeave,
  ClassicSyncInput as ClassicSync,
  JoinAnswer,
  PartitionLag,
} from "../../sdk/protocol/schemas.ts";

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
  /** A classic member's static identity, if it has one. */
  groupInstanceId?: string | null;
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

export interface MemberDescription {
  memberId: string;
  /** Tributary's members: what they subscribe to and hold (a classic member's are in its bytes). */
  topics: string[];
  assignments: TopicPartition[];
  sessionTimeoutMs: number;
  /** Classic members: the client, and its subscription and assignment bytes (base64). */
  groupInstanceId?: string | null;
  clientId?: string;
  clientHost?: string;
  metadata?: string;
  assignment?: string;
}

export interface GroupDescription {
  group: string;
  state: GroupStateName;
  generation: number;
  /** Whose protocol the members speak: Tributary's (assignment here) or Kafka's classic one (assignment by the leader). */
  membership: "tributary" | "classic";
  /** Kafka's protocol type: "consumer" for Tributary's members; what the classic members sent. */
  protocolType: string;
  /** The assignor: Tributary's (range, roundrobin, sticky), or the protocol classic members chose. */
  assignor: AssignorName | string;
  members: MemberDescription[];
  lag: PartitionLag[];
  totalLag: number;
}

/** A partition's log start and high watermark, as the metrics hand them to each group. */
export interface LogOffsets {
  logStartOffset: number;
  highWatermark: number;
}

/** What a group answers for /metrics (docs/metrics.md), against the partitions' offsets it was given. */
export interface GroupMetrics {
  /** Committed offsets of partitions of the topics given, with lag. */
  offsets: { topic: string; partition: number; committed: number; lag: number }[];
  /** Each topic the group reads as a queue, whose offsets were given. */
  queues: {
    topic: string;
    backlog: number;
    inFlight: number;
    delayed: number;
    redeliverable: number;
    redeliveries: number;
    acked: number;
    deadLettered: number;
    deadLetterRemaining: number;
  }[];
}
