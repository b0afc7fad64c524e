/**
 * A consumer group's expected failures, as results (custom error fields do not survive an RPC
 * boundary). Each message says what the caller should do next.
 */
import { type Failure, failure } from "../../sdk/protocol/errors.ts";
import type { TopicPartition } from "../../sdk/protocol/schemas.ts";

export function unknownMember(group: string, memberId: string): Failure {
  return failure(
    "UNKNOWN_MEMBER_ID",
    `member '${memberId}' is not in group '${group}' (it left, or its session expired); join again without a memberId`,
    { group, memberId },
  );
}

/** A join with a member id the group does not know (and no instance id to create it under). */
export function unknownMemberJoining(group: string, memberId: string): Failure {
  return failure(
    "UNKNOWN_MEMBER_ID",
    `member '${memberId}' is not in group '${group}' (its session may have expired); join without a memberId`,
    { group, memberId },
  );
}

export function unknownGroup(group: string): Failure {
  return failure(
    "GROUP_ID_NOT_FOUND",
    `consumer group '${group}' does not exist (no member has joined it and it has no offsets)`,
    {
      group,
    },
  );
}

export function rebalanceInProgress(group: string, generation: number, memberId: string): Failure {
  return failure(
    "REBALANCE_IN_PROGRESS",
    `group '${group}' is rebalancing (generation ${generation}); join again with memberId '${memberId}'`,
    { group, generation, memberId },
  );
}

/**
 * A member commits (or keeps a position in) a partition it does not hold at `generation`:
 * `then` says what to do, e.g. "join again before committing".
 */
export function notOwner(
  group: string,
  memberId: string,
  tp: TopicPartition,
  generation: number,
  groupGeneration: number,
  then: string,
): Failure {
  return failure(
    "ILLEGAL_GENERATION",
    `member '${memberId}' does not own ${tp.topic}/${tp.partition} at generation ${generation} (the group is at generation ${groupGeneration}); ${then}`,
    { group, generation: groupGeneration, topic: tp.topic, partition: tp.partition },
  );
}

/** A commit from outside the group while it has members: only members, fenced by generation, may commit then. */
export function commitWithoutMember(group: string, members: number, generation: number): Failure {
  return failure(
    "ILLEGAL_GENERATION",
    `group '${group}' has ${members} active members; commit as a member, with its memberId and generation`,
    { group, generation },
  );
}

/** Offsets reset under members reading the topic: they would go on from where they are. */
export function nonEmptyGroup(group: string, topic: string, busy: readonly { memberId: string }[]): Failure {
  return failure(
    "NON_EMPTY_GROUP",
    `group '${group}' has ${busy.length} active members reading '${topic}'; stop them (or wait for their sessions to expire) before resetting offsets`,
    { group, members: busy.map((m) => m.memberId) },
  );
}

/** One group reads a topic either as a consumer group or as a queue: both would move its offsets. */
export function modeClash(group: string, topic: string, how: string): Failure {
  return failure(
    "INVALID_REQUEST",
    `group '${group}' already ${how} topic '${topic}'; use another group id for the other mode`,
    { group, topic },
  );
}

/** A group that still has members cannot be deleted. */
export function groupInUse(group: string, members: readonly { memberId: string }[]): Failure {
  return failure(
    "NON_EMPTY_GROUP",
    `group '${group}' has ${members.length} active members; stop them (or wait for their sessions to expire) before deleting it`,
    { group, members: members.map((m) => m.memberId) },
  );
}

/** A group has Tributary's own members or Kafka clients (the classic protocol), not both. */
export function membershipClash(group: string, members: string): Failure {
  return failure(
    "INCONSISTENT_GROUP_PROTOCOL",
    `group '${group}' has members that are ${members}; one group cannot mix the two protocols: use another group id`,
    { group },
  );
}

/** Queue calls on a group that reads no topic as a queue (or not the topic named). */
export function notAQueue(group: string, exists: boolean, topic?: string): Failure {
  if (!exists) {
    return failure(
      "GROUP_ID_NOT_FOUND",
      `group '${group}' does not exist: configure it with PUT /v1/groups/${group}/queue`,
      {
        group,
      },
    );
  }
  const what = topic === undefined ? "any topic" : `topic '${topic}'`;
  return failure(
    "INCONSISTENT_GROUP_PROTOCOL",
    `group '${group}' does not read ${what} as a queue (it is a consumer group, or reads other topics); PUT /v1/groups/${group}/queue makes it a queue of a topic`,
    { group, ...(topic === undefined ? {} : { topic }) },
  );
}

/** A queue call that names no topic, on a group that reads several as queues. */
export function whichQueue(group: string, topics: readonly string[]): Failure {
  return failure(
    "INVALID_REQUEST",
    `group '${group}' reads ${topics.length} topics as queues (${topics.join(", ")}); name one with "topic"`,
    { group, field: "topic", topics },
  );
}
