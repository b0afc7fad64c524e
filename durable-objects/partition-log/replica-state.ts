/**
 * Replication rules as pure functions: where a follower's log must be cut when a new leader
 * takes over, what the high watermark is, and when a follower leaves or rejoins the in-sync
 * replica set. The PartitionLog and the Controller apply them; unit tests check them alone.
 */
import type { EpochStart, ReplicaRole } from "../../cluster/rpc/partition-log.ts";

/**
 * Where a replica that last followed (or led) `myEpoch` must truncate its log before it follows
 * the leader of a newer epoch: at the start of the first epoch after its own (as Kafka's
 * OffsetsForLeaderEpoch), since everything it holds from there on was never confirmed by that
 * epoch's leader. Nothing to cut when its log ends before that point.
 */
export function truncationPoint(history: readonly EpochStart[], myEpoch: number, logEndOffset: number): number {
  const next = history.find((h) => h.epoch > myEpoch);
  return next ? Math.min(logEndOffset, next.startOffset) : logEndOffset;
}

/** The high watermark: the log end every in-sync replica has reached (the leader counts too). */
export function highWatermark(
  leaderEnd: number,
  isr: readonly number[],
  leader: number,
  followerEnds: ReadonlyMap<number, number>,
): number {
  let hw = leaderEnd;
  for (const r of isr) {
    if (r === leader) continue;
    hw = Math.min(hw, followerEnds.get(r) ?? 0);
  }
  return hw;
}

export interface FollowerProgress {
  replica: number;
  /** The follower's log end as last confirmed, or null before its first answer. */
  logEndOffset: number | null;
  /** When the follower last reached the leader's log end (as of the read it was sent). */
  caughtUpAt: number;
}

/**
 * The in-sync set the leader should ask the Controller for: a follower that has not been caught
 * up for `lagMs` drops out; one that reached the log end comes back. Null when nothing changes.
 */
export function nextIsr(
  role: ReplicaRole,
  followers: readonly FollowerProgress[],
  leaderEnd: number,
  lagMs: number,
  now: number,
): number[] | null {
  const isr = new Set(role.isr);
  let changed = false;
  for (const f of followers) {
    const inSync = isr.has(f.replica);
    const caughtUp = f.logEndOffset !== null && f.logEndOffset >= leaderEnd;
    if (inSync && !caughtUp && now - f.caughtUpAt > lagMs) {
      isr.delete(f.replica);
      changed = true;
    } else if (!inSync && caughtUp) {
      isr.add(f.replica);
      changed = true;
    }
  }
  isr.add(role.leader);
  return changed ? [...isr].sort((a, b) => a - b) : null;
}
