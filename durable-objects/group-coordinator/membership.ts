/**
 * Group membership as a pure state machine: joins, heartbeats, leaves, session expiry and the
 * rebalances they cause. The coordinator computes assignments itself (as in Kafka's KIP-848
 * protocol); a rebalance bumps the generation, and members learn of it from their next
 * heartbeat (409 REBALANCE_IN_PROGRESS), then join again with the same member id.
 *
 * A partition is never owned by two live members at once: when it moves, the new owner gets it
 * only after the old owner has taken its new assignment (by joining again) or has left. Until
 * then the partition is "pending" and the new owner picks it up on a later heartbeat.
 */
import type { GroupDescription, JoinRequest } from "../../cluster/rpc/group-coordinator.ts";
import type { AssignorName, GroupStateName, TopicPartition } from "../../sdk/protocol/schemas.ts";
import { ASSIGNORS } from "./assignors.ts";

export interface Member {
  memberId: string;
  topics: string[];
  sessionTimeoutMs: number;
  /** When the member was last heard from (join or heartbeat). Not persisted. */
  lastSeen: number;
  /**
   * Kafka's auto commit for a member whose positions are kept here: they are committed when it
   * joins again, leaves or expires (see GroupState.positions).
   */
  autoCommit?: boolean;
}

/** What a member holds now: the partitions handed to it, at the generation it was handed them. */
export interface Owned {
  generation: number;
  partitions: TopicPartition[];
}

export interface GroupState {
  generation: number;
  assignor: AssignorName;
  members: Map<string, Member>;
  /** The assignment of the current generation. */
  target: Map<string, TopicPartition[]>;
  owned: Map<string, Owned>;
  /** Partition counts of the subscribed topics, as last seen. */
  partitions: Map<string, number>;
  /**
   * Read positions kept for members that cannot keep their own (stateless HTTP consumers such
   * as the Upstash REST API's instances): member id → partition key → next offset to read.
   * Only for partitions the member holds; they may run ahead of the committed offsets.
   */
  positions: Map<string, Map<string, number>>;
}

export function emptyGroup(): GroupState {
  return {
    generation: 0,
    assignor: "range",
    members: new Map(),
    target: new Map(),
    owned: new Map(),
    partitions: new Map(),
    positions: new Map(),
  };
}

const key = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

export function subscribedTopics(state: GroupState): string[] {
  const topics = new Set<string>();
  for (const m of state.members.values()) for (const t of m.topics) topics.add(t);
  return [...topics].sort();
}

/** Computes a new target assignment and starts a new generation. */
export function rebalance(state: GroupState): void {
  state.generation++;
  const previous = new Map<string, TopicPartition[]>();
  for (const [id, owned] of state.owned) previous.set(id, owned.partitions);
  // Partitions in the old target that were still pending keep their intended owner.
  for (const [id, tps] of state.target) if (state.members.has(id) && !previous.has(id)) previous.set(id, tps);
  state.target = ASSIGNORS[state.assignor]({
    members: [...state.members.values()].map((m) => ({ memberId: m.memberId, topics: m.topics })),
    partitions: state.partitions,
    previous,
  });
}

/**
 * The part of a member's target it may hold now: everything not still owned by another member.
 */
export function handOut(state: GroupState, memberId: string): Owned {
  const takenByOthers = new Set<string>();
  for (const [id, owned] of state.owned) {
    if (id !== memberId) for (const tp of owned.partitions) takenByOthers.add(key(tp));
  }
  const partitions = (state.target.get(memberId) ?? []).filter((tp) => !takenByOthers.has(key(tp)));
  const owned = { generation: state.generation, partitions };
  state.owned.set(memberId, owned);
  const positions = state.positions.get(memberId);
  if (positions) {
    const held = new Set(partitions.map(key));
    for (const k of positions.keys()) if (!held.has(k)) positions.delete(k);
  }
  return owned;
}

/** What a join asks of membership. */
export type Joining = Omit<JoinRequest, "group">;

type MemberDescription = GroupDescription["members"][number];

/**
 * Notes the subscribed topics' partition counts as just read; answers whether any changed (a
 * partition increase starts a new generation).
 */
export function notePartitions(state: GroupState, counts: ReadonlyMap<string, number>): boolean {
  let changed = false;
  for (const [topic, count] of counts) {
    if (state.partitions.get(topic) !== count) {
      state.partitions.set(topic, count);
      changed = true;
    }
  }
  return changed;
}

/**
 * Takes a member in: one joining again (by member id or instance id) gets its topics and
 * settings updated, a new one is added under its instance id or a fresh member id; the only
 * member picks the assignor. Answers the member id and whether the group must rebalance. The
 * caller refuses an unknown member id first.
 */
export function admit(state: GroupState, request: Joining, now: number): { memberId: string; changed: boolean } {
  let changed = false;
  let memberId = request.memberId ?? request.instanceId;
  const existing = memberId ? state.members.get(memberId) : undefined;
  if (existing) {
    if (!sameTopics(existing.topics, request.topics)) changed = true;
    existing.topics = [...request.topics];
    existing.sessionTimeoutMs = request.sessionTimeoutMs;
    existing.autoCommit = request.autoCommit;
    existing.lastSeen = now;
  } else {
    memberId = request.instanceId ?? `member-${crypto.randomUUID()}`;
    state.members.set(memberId, {
      memberId,
      topics: [...request.topics],
      sessionTimeoutMs: request.sessionTimeoutMs,
      autoCommit: request.autoCommit,
      lastSeen: now,
    });
    changed = true;
  }
  if (state.members.size === 1 && state.assignor !== request.assignor) {
    state.assignor = request.assignor;
    changed = true;
  }
  return { memberId: memberId!, changed };
}

export function removeMember(state: GroupState, memberId: string): void {
  state.members.delete(memberId);
  state.owned.delete(memberId);
  state.target.delete(memberId);
  state.positions.delete(memberId);
}

/** Forgets partition counts of topics no member subscribes to any more. */
export function pruneTopics(state: GroupState): void {
  const topics = new Set(subscribedTopics(state));
  for (const t of state.partitions.keys()) if (!topics.has(t)) state.partitions.delete(t);
}

/** The members subscribed to `topic`. */
export function membersReading(state: GroupState, topic: string): Member[] {
  return [...state.members.values()].filter((m) => m.topics.includes(topic));
}

/** Members silent for longer than their session timeout. */
export function expiredMembers(state: GroupState, now: number): string[] {
  return [...state.members.values()].filter((m) => now - m.lastSeen > m.sessionTimeoutMs).map((m) => m.memberId);
}

export function nextExpiry(state: GroupState): number | null {
  let next: number | null = null;
  for (const m of state.members.values()) {
    const at = m.lastSeen + m.sessionTimeoutMs + 1;
    if (next === null || at < next) next = at;
  }
  return next;
}

export function stateName(state: GroupState): GroupStateName {
  if (state.members.size === 0) return "Empty";
  let pending = false;
  for (const id of state.members.keys()) {
    const owned = state.owned.get(id);
    if (!owned || owned.generation < state.generation) return "PreparingRebalance";
    if (owned.partitions.length !== (state.target.get(id)?.length ?? 0)) pending = true;
  }
  return pending ? "CompletingRebalance" : "Stable";
}

/** Each member as a group description lists it: its topics, session timeout and what it holds. */
export function describeMembers(state: GroupState): MemberDescription[] {
  return [...state.members.values()].map((m) => ({
    memberId: m.memberId,
    topics: m.topics,
    sessionTimeoutMs: m.sessionTimeoutMs,
    assignments: state.owned.get(m.memberId)?.partitions ?? [],
  }));
}

/** Whether `memberId` may commit `tp` at `generation`: it must hold the partition at that generation. */
export function mayCommit(state: GroupState, memberId: string, generation: number, tp: TopicPartition): boolean {
  const owned = state.owned.get(memberId);
  if (!owned || owned.generation !== generation) return false;
  return owned.partitions.some((x) => x.topic === tp.topic && x.partition === tp.partition);
}

/** A member's kept read position in `tp`, if it has one. */
export function positionOf(state: GroupState, memberId: string, tp: TopicPartition): number | undefined {
  return state.positions.get(memberId)?.get(key(tp));
}

/** The member's kept read positions. */
export function keptPositions(state: GroupState, memberId: string): (TopicPartition & { offset: number })[] {
  return [...(state.positions.get(memberId) ?? [])].map(([k, offset]) => {
    const at = k.lastIndexOf("\u0000");
    return { topic: k.slice(0, at), partition: Number(k.slice(at + 1)), offset };
  });
}

/**
 * Keeps `offsets` as the member's read positions. Fenced like a commit: the member must hold
 * every partition at `generation`; answers the first partition it does not hold (and keeps
 * nothing then).
 */
export function setPositions(
  state: GroupState,
  memberId: string,
  generation: number,
  offsets: readonly (TopicPartition & { offset: number })[],
): TopicPartition | undefined {
  const refused = offsets.find((o) => !mayCommit(state, memberId, generation, o));
  if (refused) return refused;
  let positions = state.positions.get(memberId);
  if (!positions) {
    positions = new Map();
    state.positions.set(memberId, positions);
  }
  for (const o of offsets) positions.set(key(o), o.offset);
  return undefined;
}

export function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((t, i) => t === sb[i]);
}

/** Serializable form (members without lastSeen). */
export interface StoredGroup {
  generation: number;
  assignor: AssignorName;
  members: Omit<Member, "lastSeen">[];
  target: [string, TopicPartition[]][];
  owned: [string, Owned][];
  partitions: [string, number][];
  /** Absent in groups stored before positions were kept. */
  positions?: [string, [string, number][]][];
}

export function toStored(state: GroupState): StoredGroup {
  return {
    generation: state.generation,
    assignor: state.assignor,
    members: [...state.members.values()].map(({ lastSeen: _, ...m }) => m),
    target: [...state.target],
    owned: [...state.owned],
    partitions: [...state.partitions],
    positions: [...state.positions].map(([id, p]) => [id, [...p]]),
  };
}

/** Restores a group; every member counts as just seen, so it gets a full session to come back. */
export function fromStored(stored: StoredGroup, now: number): GroupState {
  return {
    generation: stored.generation,
    assignor: stored.assignor,
    members: new Map(stored.members.map((m) => [m.memberId, { ...m, lastSeen: now }])),
    target: new Map(stored.target),
    owned: new Map(stored.owned),
    partitions: new Map(stored.partitions),
    positions: new Map((stored.positions ?? []).map(([id, p]) => [id, new Map(p)])),
  };
}
