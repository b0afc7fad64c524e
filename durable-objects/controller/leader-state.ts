/**
 * The Controller's leadership rules as pure functions: the first leader of a new partition, the
 * role each replica is told, how a leader may change its in-sync set, and what a failover
 * makes of the state. elections.ts and the Controller apply them; unit tests check them alone.
 */
import type { PartitionLeader } from "../../cluster/rpc/controller.ts";
import type { EpochStart, ReplicaRole } from "../../cluster/rpc/partition-log.ts";

/** What the Controller keeps of a replicated partition's leadership. */
export interface LeaderState extends PartitionLeader {
  history: EpochStart[];
  /** Replicas that still have to hear of the current role (retried by the alarm). */
  pending: number[];
}

/** Replica 0 leads epoch 0 of a new partition of a replicated topic, all replicas in sync. */
export function initialLeader(replicationFactor: number): LeaderState {
  return {
    leader: 0,
    epoch: 0,
    isr: Array.from({ length: replicationFactor }, (_, r) => r),
    history: [{ epoch: 0, startOffset: 0 }],
    pending: [],
  };
}

export function roleOf(state: LeaderState, replica: number, replicas: number): ReplicaRole {
  return { replica, replicas, leader: state.leader, epoch: state.epoch, isr: state.isr, history: state.history };
}

/**
 * The in-sync set a leader asks for, made valid: the leader is always in it, replicas that do
 * not exist are not, sorted.
 */
export function alteredIsr(state: LeaderState, isr: readonly number[], replicationFactor: number): number[] {
  return [...new Set([state.leader, ...isr])].filter((r) => r < replicationFactor).sort((a, b) => a - b);
}

/**
 * Who may take over from a failed leader, in order: the other in-sync replicas (never an
 * out-of-sync one: that could lose acknowledged records).
 */
export function candidates(state: LeaderState): number[] {
  return state.isr.filter((r) => r !== state.leader);
}

/**
 * The state once `candidate` leads the next epoch from its log end. The in-sync set is the
 * candidates; no replica is pending yet (see `othersThan`, once the candidate took the role).
 */
export function successor(state: LeaderState, candidate: number, logEndOffset: number): LeaderState {
  return {
    leader: candidate,
    epoch: state.epoch + 1,
    isr: candidates(state),
    history: [...state.history, { epoch: state.epoch + 1, startOffset: logEndOffset }],
    pending: [],
  };
}

/** Every replica but `replica`: those a new leader's role must still be pushed to. */
export function othersThan(replica: number, replicationFactor: number): number[] {
  return Array.from({ length: replicationFactor }, (_, r) => r).filter((r) => r !== replica);
}
