/**
 * Partition assignors, as pure functions: given the members (with the topics each subscribes
 * to), the partition count of every topic and, for sticky, the previous assignment, each
 * returns which partitions every member owns. Every partition of a subscribed topic goes to
 * exactly one member subscribed to that topic. Members are ordered by id so that every
 * coordinator computes the same answer.
 */

import type { AssignorName, TopicPartition } from "../../sdk/protocol/schemas.ts";

export interface AssignorMember {
  memberId: string;
  topics: readonly string[];
}

export type Assignment = Map<string, TopicPartition[]>;

export interface AssignInput {
  members: readonly AssignorMember[];
  /** Partition count of every subscribed topic (topics that do not exist are left out). */
  partitions: ReadonlyMap<string, number>;
  /** For sticky: what each member owned before. */
  previous?: ReadonlyMap<string, readonly TopicPartition[]>;
}

const byId = (a: AssignorMember, b: AssignorMember) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);

function emptyAssignment(members: readonly AssignorMember[]): Assignment {
  return new Map(members.map((m) => [m.memberId, []]));
}

function sortedTopics(partitions: ReadonlyMap<string, number>): string[] {
  return [...partitions.keys()].sort();
}

function subscribers(members: readonly AssignorMember[], topic: string): AssignorMember[] {
  return members.filter((m) => m.topics.includes(topic)).sort(byId);
}

/** Kafka's RangeAssignor: per topic, contiguous ranges; the first members get one extra. */
export function rangeAssign({ members, partitions }: AssignInput): Assignment {
  const out = emptyAssignment(members);
  for (const topic of sortedTopics(partitions)) {
    const subs = subscribers(members, topic);
    if (subs.length === 0) continue;
    const count = partitions.get(topic)!;
    const per = Math.floor(count / subs.length);
    const extra = count % subs.length;
    let next = 0;
    subs.forEach((m, i) => {
      const n = per + (i < extra ? 1 : 0);
      for (let p = next; p < next + n; p++) out.get(m.memberId)!.push({ topic, partition: p });
      next += n;
    });
  }
  return out;
}

/** Kafka's RoundRobinAssignor: all topic-partitions in order, dealt to subscribed members in turn. */
export function roundRobinAssign({ members, partitions }: AssignInput): Assignment {
  const out = emptyAssignment(members);
  const sorted = [...members].sort(byId);
  let turn = 0;
  for (const topic of sortedTopics(partitions)) {
    for (let p = 0; p < partitions.get(topic)!; p++) {
      // The next member in turn that subscribes to this topic.
      for (let tries = 0; tries < sorted.length; tries++) {
        const m = sorted[turn++ % sorted.length]!;
        if (m.topics.includes(topic)) {
          out.get(m.memberId)!.push({ topic, partition: p });
          break;
        }
      }
    }
  }
  return out;
}

/**
 * A sticky assignor: as balanced as round robin, moving as few partitions as it can. Per
 * topic, each subscriber's fair share is floor or ceil of partitions / subscribers; members
 * keep what they owned up to their share, and only the partitions left over (from departed
 * members, new partitions, or members over their share) move, to the members with the fewest.
 */
export function stickyAssign({ members, partitions, previous }: AssignInput): Assignment {
  const out = emptyAssignment(members);
  const owner = new Map<string, string>();
  for (const [memberId, tps] of previous ?? []) {
    for (const tp of tps) owner.set(`${tp.topic}\u0000${tp.partition}`, memberId);
  }
  for (const topic of sortedTopics(partitions)) {
    const subs = subscribers(members, topic);
    if (subs.length === 0) continue;
    const count = partitions.get(topic)!;
    const base = Math.floor(count / subs.length);
    let bigger = count % subs.length; // how many members may hold base + 1
    const held = new Map<string, number[]>(subs.map((m) => [m.memberId, []]));
    for (let p = 0; p < count; p++) {
      const was = owner.get(`${topic}\u0000${p}`);
      if (was !== undefined && held.has(was)) held.get(was)!.push(p);
    }
    // Members keeping the most go first, so that the most partitions stay where they are.
    const order = [...subs].sort((a, b) => held.get(b.memberId)!.length - held.get(a.memberId)!.length || byId(a, b));
    const free: number[] = [];
    const quota = new Map<string, number>();
    for (const m of order) {
      const mine = held.get(m.memberId)!;
      let q = base;
      if (bigger > 0 && mine.length > base) {
        q = base + 1;
        bigger--;
      }
      quota.set(m.memberId, q);
      mine.sort((a, b) => a - b);
      while (mine.length > q) free.push(mine.pop()!);
    }
    for (let p = 0; p < count; p++) {
      if (!owner.has(`${topic}\u0000${p}`) || !held.has(owner.get(`${topic}\u0000${p}`)!)) free.push(p);
    }
    free.sort((a, b) => a - b);
    // Hand out the free partitions: first up to each member's base, then the remaining +1s.
    for (const m of [...subs].sort(
      (a, b) => held.get(a.memberId)!.length - held.get(b.memberId)!.length || byId(a, b),
    )) {
      const mine = held.get(m.memberId)!;
      while (mine.length < base && free.length > 0) mine.push(free.shift()!);
    }
    for (const m of [...subs].sort(byId)) {
      if (free.length === 0) break;
      const mine = held.get(m.memberId)!;
      if (mine.length === base && quota.get(m.memberId) === base && bigger > 0) {
        mine.push(free.shift()!);
        bigger--;
      }
    }
    for (const [memberId, ps] of held) {
      for (const p of ps.sort((a, b) => a - b)) out.get(memberId)!.push({ topic, partition: p });
    }
  }
  return out;
}

export const ASSIGNORS: Record<AssignorName, (input: AssignInput) => Assignment> = {
  range: rangeAssign,
  roundrobin: roundRobinAssign,
  sticky: stickyAssign,
};
