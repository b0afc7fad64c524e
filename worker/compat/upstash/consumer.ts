/**
 * Upstash consumer groups on Tributary's GroupCoordinator. An Upstash consumer instance is a
 * group member whose member id is the instance id (static membership), so the worker keeps
 * nothing between calls: each consume joins again (a no-op unless the group changed, and how a
 * member takes up a new generation), reads where the coordinator says the instance is, and
 * leaves its new positions with the coordinator, which also auto-commits them. The session is
 * the instance's life: an instance silent for INSTANCE_TIMEOUT_MS is removed (its positions
 * committed, with auto commit) and its partitions go to the others.
 */
import { offsetAt } from "../../../cluster/reads.ts";
import type { MemberPosition } from "../../../cluster/rpc/group-coordinator.ts";
import { controllerStub, groupStub } from "../../../cluster/stubs.ts";
import { failure, type Result } from "../../../sdk/protocol/errors.ts";
import { ApiError, unwrap } from "../../errors.ts";
import { toUpstashMessage, type UpstashMessage } from "./messages.ts";
import { boundFor, resetEnd, startOffset, uncommitted } from "./offsets.ts";
import { pollPartitions } from "./partitions.ts";
import type { OffsetReset, TopicPartition, TopicPartitionOffset } from "./schemas.ts";

/** As Kafka REST's consumer.instance.timeout.ms (and the longest session Tributary allows). */
export const INSTANCE_TIMEOUT_MS = 300_000;

export interface ConsumeRequest {
  group: string;
  instance: string;
  topics: string[];
  timeoutMs: number;
  autoCommit: boolean;
  reset: OffsetReset;
}

/** A seek that a rebalance overtook: the partitions are being handed on, the new owner reads from the committed offsets. */
function overtaken(r: Result<unknown>): boolean {
  return !r.ok && (r.code === "ILLEGAL_GENERATION" || r.code === "UNKNOWN_MEMBER_ID");
}

function instanceGone(group: string, instance: string) {
  return new ApiError(
    "UNKNOWN_MEMBER_ID",
    `consumer instance '${instance}' is not in group '${group}': it never consumed, was removed, or was silent for more than ${INSTANCE_TIMEOUT_MS / 1000} s; consume to create it`,
    { group, instance },
  );
}

export async function consume(env: Env, req: ConsumeRequest): Promise<UpstashMessage[]> {
  const { group, instance } = req;
  const coordinator = groupStub(env, group);
  unwrap(
    await coordinator.join({
      group,
      topics: req.topics,
      instanceId: instance,
      // Kafka's auto commit: the coordinator commits what the previous consume handed out when
      // the instance comes back for more (or leaves, or expires), so a record is committed only
      // after its consumer asked again.
      autoCommit: req.autoCommit,
      sessionTimeoutMs: INSTANCE_TIMEOUT_MS,
      assignor: "range",
    }),
  );
  const held = unwrap(await coordinator.positions(group, instance));
  const where = (t: { topic: string; partition: number }) => ({ ...t, group });
  const targets = await Promise.all(
    held.partitions.map(async (p) => ({
      topic: p.topic,
      partition: p.partition,
      offset:
        startOffset(p) ??
        unwrap(await offsetAt(env, p.topic, p.partition, resetEnd(req.reset, where(p), "no committed offset"))).offset,
    })),
  );
  const pages = await pollPartitions(env, targets, req.timeoutMs, (t, f) =>
    boundFor(resetEnd(req.reset, where(t), `offset ${t.offset} is out of range`), f.details),
  );
  const moved = pages
    .filter((page, i) => page.nextOffset !== held.partitions[i]!.position)
    .map((page) => ({ topic: page.topic, partition: page.partition, offset: page.nextOffset }));
  if (moved.length > 0) {
    const kept = await coordinator.seek(group, instance, held.generation, moved);
    if (!overtaken(kept)) unwrap(kept);
  }
  return pages.flatMap((page) => page.records.map((r) => toUpstashMessage(page.topic, r)));
}

/**
 * Commits `offsets`, or, with none given, what the instance has consumed. An instance that is
 * not in the group may still commit explicit offsets while the group has no members.
 */
export async function commit(
  env: Env,
  group: string,
  instance: string,
  offsets: TopicPartitionOffset[] | null,
): Promise<void> {
  const coordinator = groupStub(env, group);
  const held = (await coordinator.positions(group, instance)) as Result<{
    generation: number;
    partitions: MemberPosition[];
  }>;
  if (!held.ok) {
    if (held.code !== "UNKNOWN_MEMBER_ID") throw ApiError.from(held);
    if (!offsets) throw instanceGone(group, instance);
    unwrap(await coordinator.commit({ group, offsets }));
    return;
  }
  const due = offsets ?? uncommitted(held.partitions);
  if (due.length === 0) return;
  unwrap(await coordinator.commit({ group, memberId: instance, generation: held.generation, offsets: due }));
}

/** The group's committed offsets of `partitions`; -1 where nothing is committed (as Kafka). */
export async function committed(
  env: Env,
  group: string,
  partitions: TopicPartition[],
): Promise<TopicPartitionOffset[]> {
  const coordinator = groupStub(env, group);
  const byTopic = new Map<string, Map<number, number | null>>();
  for (const topic of new Set(partitions.map((p) => p.topic))) {
    const { offsets } = unwrap(await coordinator.offsets(group, topic));
    byTopic.set(topic, new Map(offsets.map((o) => [o.partition, o.committed])));
  }
  return partitions.map(({ topic, partition }) => {
    const offset = byTopic.get(topic)!.get(partition);
    if (offset === undefined) {
      throw ApiError.from(
        failure("UNKNOWN_TOPIC_OR_PARTITION", `topic '${topic}' has no partition ${partition}`, { topic, partition }),
      );
    }
    return { topic, partition, offset: offset ?? -1 };
  });
}

export async function removeInstance(env: Env, group: string, instance: string): Promise<void> {
  const left = (await groupStub(env, group).leave(group, instance)) as Result<{ left: string }>;
  if (!left.ok && left.code === "UNKNOWN_MEMBER_ID") throw instanceGone(group, instance);
  unwrap(left);
}

/** The client's GroupAssignments: every group with live members, and what each member reads. */
export interface GroupAssignments {
  name: string;
  instances: { name: string; topics: { topic: string; partitions: number[] }[] }[];
}

/** The groups `visible` lets through (the ones the caller may describe). */
export async function consumers(env: Env, visible: (group: string) => boolean): Promise<GroupAssignments[]> {
  const names = (await controllerStub(env).listGroups()).filter(visible);
  const groups = await Promise.all(
    names.map(async (name): Promise<GroupAssignments | undefined> => {
      const stub = groupStub(env, name);
      if ((await stub.summary()).members === 0) return undefined;
      const described = await stub.describe(name);
      if (!described.ok) return undefined; // emptied in between
      return {
        name,
        instances: described.members.map((m) => {
          const byTopic = new Map<string, number[]>();
          for (const a of m.assignments) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a.partition]);
          return {
            name: m.memberId,
            topics: [...byTopic].map(([topic, partitions]) => ({
              topic,
              partitions: partitions.sort((a, b) => a - b),
            })),
          };
        }),
      };
    }),
  );
  return groups.filter((g): g is GroupAssignments => g !== undefined);
}
