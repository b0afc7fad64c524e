/**
 * Kafka's classic consumer group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), as a
 * pure state machine, for clients that assign partitions themselves (every Kafka client): the
 * coordinator keeps each member's protocol metadata and hands the leader's assignment bytes to
 * the members, without looking into either, fenced by generation, as Kafka's coordinator does.
 *
 * A rebalance: a join (or a leave, an expiry) moves the group to PreparingRebalance; it waits
 * until every member has joined again, or the rebalance timeout ends (members that did not join
 * are removed); then the generation moves on, a protocol all members support is chosen, the
 * leader gets the members' metadata (CompletingRebalance) and sends every member's assignment
 * with its SyncGroup (Stable). Waiting is the caller's business (classic-group.ts): these
 * functions say what the state becomes and which waiting calls can be answered.
 */
import type { MemberDescription } from "../../cluster/rpc/group-coordinator.ts";
import type { GroupStateName } from "../../sdk/protocol/schemas.ts";

export interface ClassicProtocol {
  name: string;
  /** The member's subscription for this protocol, base64 (opaque to the coordinator). */
  metadata: string;
}

export interface ClassicMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  protocols: ClassicProtocol[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** The assignment the leader gave this member in this generation, base64. */
  assignment: string;
  /** Joined the rebalance in progress. */
  joined: boolean;
  /** When the member was last heard from. Not persisted. */
  lastSeen: number;
}

export interface ClassicGroup {
  state: GroupStateName;
  generation: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string | null;
  members: Map<string, ClassicMember>;
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined with. */
  pending: Set<string>;
  /** When the rebalance in progress gives up on members that did not join. */
  rebalanceDeadline: number | null;
}

export function emptyClassicGroup(): ClassicGroup {
  return {
    state: "Empty",
    generation: 0,
    protocolType: null,
    protocolName: null,
    leader: null,
    members: new Map(),
    pending: new Set(),
    rebalanceDeadline: null,
  };
}

export interface JoinInput {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  protocolType: string;
  protocols: ClassicProtocol[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** JoinGroup v4+: a member without an id is given one and must join again with it. */
  requireKnownMemberId: boolean;
}

/** What a join did; "wait" means the answer comes when the rebalance completes. */
export type JoinStep =
  | { kind: "error"; code: "UNKNOWN_MEMBER_ID" | "INCONSISTENT_GROUP_PROTOCOL" | "FENCED_INSTANCE_ID" }
  | { kind: "member-id-required"; memberId: string }
  | { kind: "wait"; memberId: string }
  | { kind: "answer"; memberId: string };

const sameProtocols = (a: readonly ClassicProtocol[], b: readonly ClassicProtocol[]) =>
  a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata === b[i]!.metadata);

/** Protocols every member supports, in the joining member's order of preference. */
function commonProtocols(g: ClassicGroup, extra?: readonly ClassicProtocol[]): string[] {
  const lists = [...g.members.values()].map((m) => m.protocols.map((p) => p.name));
  if (extra) lists.push(extra.map((p) => p.name));
  const [first, ...rest] = lists;
  return (first ?? []).filter((name) => rest.every((l) => l.includes(name)));
}

export function startRebalance(g: ClassicGroup, now: number): void {
  if (g.state !== "PreparingRebalance") {
    for (const m of g.members.values()) m.joined = false;
  }
  g.state = "PreparingRebalance";
  const timeout = Math.max(0, ...[...g.members.values()].map((m) => m.rebalanceTimeoutMs));
  g.rebalanceDeadline = now + timeout;
}

export function join(g: ClassicGroup, input: JoinInput, newId: () => string, now: number): JoinStep {
  if (g.protocolType !== null && g.members.size > 0 && g.protocolType !== input.protocolType) {
    return { kind: "error", code: "INCONSISTENT_GROUP_PROTOCOL" };
  }
  let memberId = input.memberId;
  const byInstance =
    input.groupInstanceId !== null
      ? [...g.members.values()].find((m) => m.groupInstanceId === input.groupInstanceId)
      : undefined;
  if (memberId === "") {
    // A static member coming back takes its place again under a new id (the old one is fenced).
    memberId = `${input.clientId || "member"}-${newId()}`;
    if (byInstance) {
      g.members.delete(byInstance.memberId);
      if (g.leader === byInstance.memberId) g.leader = memberId;
    } else if (input.requireKnownMemberId) {
      g.pending.add(memberId);
      return { kind: "member-id-required", memberId };
    }
  } else if (!g.members.has(memberId) && !g.pending.has(memberId)) {
    return { kind: "error", code: byInstance ? "FENCED_INSTANCE_ID" : "UNKNOWN_MEMBER_ID" };
  }
  const existing = g.members.get(memberId);
  if (commonProtocols(existing ? withoutMember(g, memberId) : g, input.protocols).length === 0) {
    return { kind: "error", code: "INCONSISTENT_GROUP_PROTOCOL" };
  }
  g.pending.delete(memberId);
  const unchanged = existing !== undefined && sameProtocols(existing.protocols, input.protocols);
  // A follower joining again with what it had, in a settled group, gets the current generation.
  const rebalancing = !(unchanged && g.state === "Stable" && g.leader !== memberId);
  // Before this member counts as joined: a new rebalance waits for every member to join again.
  if (rebalancing && g.state !== "PreparingRebalance") startRebalance(g, now);
  const member: ClassicMember = {
    memberId,
    groupInstanceId: input.groupInstanceId,
    clientId: input.clientId,
    clientHost: input.clientHost,
    protocols: input.protocols,
    sessionTimeoutMs: input.sessionTimeoutMs,
    rebalanceTimeoutMs: input.rebalanceTimeoutMs,
    assignment: existing?.assignment ?? "",
    joined: rebalancing || (existing?.joined ?? true),
    lastSeen: now,
  };
  g.members.set(memberId, member);
  g.protocolType = input.protocolType;
  if (!rebalancing) return { kind: "answer", memberId };
  g.rebalanceDeadline = Math.max(g.rebalanceDeadline ?? 0, now + input.rebalanceTimeoutMs);
  return { kind: "wait", memberId };
}

function withoutMember(g: ClassicGroup, memberId: string): ClassicGroup {
  const members = new Map(g.members);
  members.delete(memberId);
  return { ...g, members };
}

/** Whether the rebalance in progress can complete: every member joined, or its time is up. */
export function joinComplete(g: ClassicGroup, now: number): boolean {
  if (g.state !== "PreparingRebalance") return false;
  const all = [...g.members.values()].every((m) => m.joined);
  return all || (g.rebalanceDeadline !== null && now >= g.rebalanceDeadline);
}

/**
 * Completes the rebalance: members that did not join go, the generation moves on, a protocol
 * is chosen and a leader named. Answers the members removed.
 */
export function completeJoin(g: ClassicGroup, now: number): string[] {
  const gone = [...g.members.values()].filter((m) => !m.joined).map((m) => m.memberId);
  for (const id of gone) g.members.delete(id);
  g.generation++;
  g.rebalanceDeadline = null;
  for (const m of g.members.values()) {
    m.assignment = "";
    // Sessions run from the end of the rebalance: a member waited on it without heartbeating.
    m.lastSeen = now;
  }
  if (g.members.size === 0) {
    g.state = "Empty";
    g.protocolName = null;
    g.leader = null;
    return gone;
  }
  g.protocolName = chooseProtocol(g);
  if (!g.leader || !g.members.has(g.leader)) g.leader = g.members.keys().next().value!;
  g.state = "CompletingRebalance";
  return gone;
}

/** The protocol most members list first among those all support (Kafka's vote). */
function chooseProtocol(g: ClassicGroup): string {
  const candidates = commonProtocols(g);
  const votes = new Map(candidates.map((c) => [c, 0]));
  for (const m of g.members.values()) {
    const pick = m.protocols.find((p) => votes.has(p.name));
    if (pick) votes.set(pick.name, votes.get(pick.name)! + 1);
  }
  return [...votes].sort((a, b) => b[1] - a[1])[0]![0];
}

/** What the join of `memberId` answers in the current generation. */
export function joinAnswer(g: ClassicGroup, memberId: string) {
  const leader = g.leader === memberId;
  return {
    memberId,
    generation: g.generation,
    protocolType: g.protocolType,
    protocolName: g.protocolName,
    leader: g.leader ?? "",
    members: leader
      ? [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? "",
        }))
      : [],
  };
}

export type FenceCode = "UNKNOWN_MEMBER_ID" | "ILLEGAL_GENERATION" | "REBALANCE_IN_PROGRESS" | "FENCED_INSTANCE_ID";

/**
 * Whether `memberId` may act at `generation`; the error if not. A heartbeat or sync during a
 * rebalance learns of it. A commit (`commit: true`) of the current generation is taken while the
 * rebalance waits for members to join again (that is when they commit what they processed), but
 * not once the new generation is named and not yet synced, as in Kafka's coordinator.
 */
export function fence(
  g: ClassicGroup,
  memberId: string,
  generation: number,
  groupInstanceId: string | null = null,
  commit = false,
): FenceCode | undefined {
  const member = g.members.get(memberId);
  if (!member) {
    const taken =
      groupInstanceId !== null && [...g.members.values()].some((m) => m.groupInstanceId === groupInstanceId);
    return taken ? "FENCED_INSTANCE_ID" : "UNKNOWN_MEMBER_ID";
  }
  if (commit && g.state === "CompletingRebalance") return "REBALANCE_IN_PROGRESS";
  if (generation !== g.generation) return "ILLEGAL_GENERATION";
  if (!commit && g.state === "PreparingRebalance") return "REBALANCE_IN_PROGRESS";
  return undefined;
}

/** The leader's SyncGroup: every member's assignment (the rest get none); the group is Stable. */
export function applyAssignments(
  g: ClassicGroup,
  assignments: readonly { memberId: string; assignment: string }[],
): void {
  const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
  for (const m of g.members.values()) m.assignment = given.get(m.memberId) ?? "";
  g.state = "Stable";
}

/** Removes members (a LeaveGroup, expired sessions); the rest rebalance. */
export function removeMembers(g: ClassicGroup, memberIds: readonly string[], now: number): void {
  let removed = false;
  for (const id of memberIds) removed = g.members.delete(id) || removed;
  if (!removed) return;
  if (g.leader && !g.members.has(g.leader)) g.leader = null;
  startRebalance(g, now);
  // With nobody left, or everyone already joined again, the rebalance completes at once.
}

/** Members silent past their session timeout; those waiting on a join are not expired (the rebalance timeout covers them). */
export function expiredClassicMembers(g: ClassicGroup, now: number): string[] {
  return [...g.members.values()]
    .filter((m) => !(g.state === "PreparingRebalance" && m.joined) && now - m.lastSeen > m.sessionTimeoutMs)
    .map((m) => m.memberId);
}

/** The next time something must happen by itself: a session ending, or the rebalance timing out. */
export function nextClassicDeadline(g: ClassicGroup): number | null {
  let next = g.rebalanceDeadline;
  for (const m of g.members.values()) {
    const at = m.lastSeen + m.sessionTimeoutMs + 1;
    if (next === null || at < next) next = at;
  }
  return next;
}

/** Each member as a group description lists it: its client and its subscription and assignment bytes. */
export function describeClassicMembers(g: ClassicGroup): MemberDescription[] {
  return [...g.members.values()].map((m) => ({
    memberId: m.memberId,
    topics: [],
    assignments: [],
    sessionTimeoutMs: m.sessionTimeoutMs,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? m.protocols[0]?.metadata ?? "",
    assignment: m.assignment,
  }));
}

/** Serializable form (members without lastSeen). */
export interface StoredClassicGroup extends Omit<ClassicGroup, "members" | "pending"> {
  members: Omit<ClassicMember, "lastSeen">[];
}

export function classicToStored(g: ClassicGroup): StoredClassicGroup {
  const { members, pending: _, ...rest } = g;
  return { ...rest, members: [...members.values()].map(({ lastSeen: _seen, ...m }) => m) };
}

/** Restores a group; every member counts as just seen, so it gets a full session to come back. */
export function classicFromStored(stored: StoredClassicGroup, now: number): ClassicGroup {
  const { members, ...rest } = stored;
  const g: ClassicGroup = {
    ...rest,
    members: new Map(members.map((m) => [m.memberId, { ...m, lastSeen: now }])),
    pending: new Set(),
  };
  // A rebalance cut short by a restart (its waiting calls went with it) gets its full time again.
  if (g.state === "PreparingRebalance") startRebalance(g, now);
  return g;
}
