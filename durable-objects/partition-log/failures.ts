/**
 * The expected failures a PartitionLog answers, built in one place so their messages (which say
 * what to do) and details stay the same on every path.
 */
import type { PartitionRef, ReplicaRole } from "../../cluster/rpc/partition-log.ts";
import { ERROR_CODES, errorBody, type Failure, failure } from "../../sdk/protocol/errors.ts";
import type { LogBounds } from "./store.ts";

export function notLeader(why: string, role: ReplicaRole | null): Failure {
  return failure("NOT_LEADER_OR_FOLLOWER", `this replica does not lead the partition: ${why}`, {
    ...(role ? { leader: role.leader, leaderEpoch: role.epoch } : {}),
  });
}

export function notEnoughReplicas(role: ReplicaRole, min: number, appended: boolean): Failure {
  return failure(
    "NOT_ENOUGH_REPLICAS",
    appended
      ? `the records were stored by the leader but only ${role.isr.length} replica(s) are in sync where minInsyncReplicas is ${min}: they are not acknowledged`
      : `only ${role.isr.length} replica(s) are in sync where acks "all" needs minInsyncReplicas ${min}; nothing was stored`,
    { isr: role.isr, minInsyncReplicas: min, appended },
  );
}

export function unknownPartition(ref: PartitionRef): Failure {
  return failure(
    "UNKNOWN_TOPIC_OR_PARTITION",
    `partition ${ref.partition} of topic '${ref.topic}' does not exist (the topic was deleted)`,
    { topic: ref.topic, partition: ref.partition },
  );
}

export function overQuota(ref: PartitionRef, waitMs: number): Failure {
  return failure(
    "THROTTLING_QUOTA_EXCEEDED",
    `partition ${ref.partition} of '${ref.topic}' is over its produce quota; retry in ${waitMs} ms`,
    { retryAfterMs: waitMs },
  );
}

/** Null when `offset` is in the log (the log end included), else OFFSET_OUT_OF_RANGE saying where to fetch. */
export function checkOffset(offset: number, bounds: LogBounds): Failure | null {
  const { logStartOffset, highWatermark } = bounds;
  if (offset >= logStartOffset && offset <= highWatermark) return null;
  return failure(
    "OFFSET_OUT_OF_RANGE",
    offset < logStartOffset
      ? `offset ${offset} is below the log start offset ${logStartOffset} (older records were removed by retention); fetch from ${logStartOffset}`
      : `offset ${offset} is above the high watermark ${highWatermark}; the next record will get offset ${highWatermark}`,
    { logStartOffset, highWatermark },
  );
}

/** A failure as the HTTP answer of a subscribe (which is a fetch, not an RPC). */
export function errorResponse(f: Failure): Response {
  return Response.json(errorBody(f.code, f.message, f.details), { status: ERROR_CODES[f.code].status });
}
