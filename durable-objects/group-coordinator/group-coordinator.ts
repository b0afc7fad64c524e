/**
 * GroupCoordinator: one consumer group (the object is named by the group id). Members join,
 * heartbeat and leave; the coordinator assigns partitions (assignors.ts), fences stale members
 * by generation, expires silent members by alarm, and stores the group's committed offsets.
 * Membership logic is in membership.ts, queue mode in queue-mode.ts, lag and offset resets in
 * offsets.ts and the SQL in store.ts; this class wires them to storage and to the other objects.
 */
import { DurableObject } from "cloudflare:workers";
import { meterObject } from "../../cluster/meter.ts";
import type {
  ClassicHeartbeat,
  ClassicJoin,
  ClassicJoinAnswer,
  ClassicLeave,
  ClassicLeaveAnswer,
  ClassicSync,
  CommitRequest,
  GroupDescription,
  GroupMetrics,
  HeartbeatAnswer,
  JoinAnswer,
  JoinRequest,
  LogOffsets,
  MemberPosition,
  OffsetCommit,
  PartitionLag,
  ResetTarget,
} from "../../cluster/rpc/group-coordinator.ts";
import { controllerStub } from "../../cluster/stubs.ts";
import { topicMeta } from "../../cluster/topic-cache.ts";
import { type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import type { QueueStats, RedriveAnswer } from "../../sdk/protocol/schemas.ts";
import { migrate } from "../shared/migrations.ts";
import { describeClassicMembers, nextClassicDeadline } from "./classic.ts";
import { ClassicGroups } from "./classic-group.ts";
import {
  commitWithoutMember,
  groupInUse,
  membershipClash,
  modeClash,
  nonEmptyGroup,
  notOwner,
  rebalanceInProgress,
  unknownGroup,
  unknownMember,
  unknownMemberJoining,
} from "./failures.ts";
import type { QueueConfig } from "./leases.ts";
import {
  admit,
  describeMembers,
  expiredMembers,
  type GroupState,
  handOut,
  keptPositions,
  type Member,
  mayCommit,
  membersReading,
  nextExpiry,
  notePartitions,
  positionOf,
  pruneTopics,
  rebalance,
  removeMember,
  sameTopics,
  setPositions,
  stateName,
  subscribedTopics,
} from "./membership.ts";
import { lagFrom, lagOf, resetTargets } from "./offsets.ts";
import { QueueMode, type ReceiveRequest } from "./queue-mode.ts";
import { GroupStore, MIGRATIONS, offsetKey } from "./store.ts";

/** How often heartbeats re-read the subscribed topics' partition counts. */
const METADATA_REFRESH_MS = 3_000;

export class GroupCoordinator extends DurableObject<Env> {
  private group!: GroupState;
  private name: string | null = null;
  private alarmAt: number | null = null;
  private metadataCheckedAt = 0;
  private readonly store: GroupStore;
  private readonly queue: QueueMode;
  /** Members of Kafka's classic protocol (the Kafka gateway's clients); a group has these or Tributary's. */
  private classic!: ClassicGroups;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const metered = meterObject(this, ctx, env, "GroupCoordinator");
    this.store = new GroupStore(ctx.storage);
    this.queue = new QueueMode(env, ctx.storage, this.store, {
      register: (group) => this.register(group),
      consumesAsGroup: (topic) => membersReading(this.group, topic).length > 0,
      exists: () => this.name !== null,
    });
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      this.load();
      this.alarmAt = await ctx.storage.getAlarm();
    });
    // biome-ignore lint/correctness/noConstructorReturn: the billable-unit meter's proxy (cluster/meter.ts; off unless TRIBUTARY_METER=1).
    return metered;
  }

  async join(request: JoinRequest): Promise<Result<JoinAnswer>> {
    const queued = request.topics.find((t) => this.queue.inUse(t));
    if (queued) return modeClash(request.group, queued, "reads it in queue mode");
    if (!this.classic.empty) return membershipClash(request.group, "Kafka clients (the classic protocol)");
    await this.register(request.group);
    const g = this.group;
    const now = Date.now();
    // A member joining again with the same topics (an Upstash instance does on every call)
    // needs fresh partition counts only as often as heartbeats re-read them.
    const again = g.members.get(request.memberId ?? request.instanceId ?? "");
    const recheck =
      !again || !sameTopics(again.topics, request.topics) || now - this.metadataCheckedAt > METADATA_REFRESH_MS;
    const partitions = recheck ? await this.partitionCounts(request.topics) : new Map<string, number>();
    if ("ok" in partitions) return partitions;
    const counted = notePartitions(g, partitions);
    const known = request.memberId ?? request.instanceId;
    const existing = known ? g.members.get(known) : undefined;
    if (known && !existing && request.instanceId === undefined) return unknownMemberJoining(request.group, known);
    // Before the member takes up its new assignment, which may hand its partitions on.
    if (existing) this.commitKept(existing);
    const { memberId, changed } = admit(g, request, now);
    if (counted || changed) {
      pruneTopics(g);
      rebalance(g);
    }
    const owned = handOut(g, memberId);
    this.save();
    if (recheck) this.metadataCheckedAt = now;
    await this.scheduleExpiry();
    return { ok: true, memberId, generation: g.generation, assignments: owned.partitions };
  }

  async heartbeat(group: string, memberId: string, generation: number): Promise<Result<HeartbeatAnswer>> {
    const g = this.group;
    const member = g.members.get(memberId);
    if (!member) return unknownMember(group, memberId);
    const now = Date.now();
    member.lastSeen = now;
    if (now - this.metadataCheckedAt > METADATA_REFRESH_MS) {
      this.metadataCheckedAt = now;
      const partitions = await this.partitionCounts(subscribedTopics(g));
      if (!("ok" in partitions) && notePartitions(g, partitions)) {
        rebalance(g);
        this.save();
      }
    }
    const owned = g.owned.get(memberId);
    if (generation !== g.generation || !owned || owned.generation !== g.generation) {
      return rebalanceInProgress(group, g.generation, memberId);
    }
    // Partitions pending revocation from other members may have been released since.
    const before = owned.partitions.length;
    const now_ = handOut(g, memberId);
    if (now_.partitions.length !== before) this.save();
    await this.scheduleExpiry();
    return { ok: true, generation: g.generation, assignments: now_.partitions, state: stateName(g) };
  }

  async leave(group: string, memberId: string): Promise<Result<{ left: string }>> {
    const g = this.group;
    const member = g.members.get(memberId);
    if (!member) return unknownMember(group, memberId);
    this.commitKept(member);
    removeMember(g, memberId);
    pruneTopics(g);
    rebalance(g);
    this.save();
    return { ok: true, left: memberId };
  }

  async commit(request: CommitRequest): Promise<Result<{ committed: OffsetCommit[] }>> {
    await this.register(request.group);
    const g = this.group;
    const { memberId, generation } = request;
    if (memberId !== undefined || generation !== undefined) {
      if (memberId === undefined || generation === undefined) {
        return failure("INVALID_REQUEST", "a member's commit needs both memberId and generation");
      }
      if (!g.members.has(memberId)) {
        if (this.classic.empty) return unknownMember(request.group, memberId);
        // A classic member's assignment is the leader's bytes: Kafka's coordinator fences its
        // commits by generation only, and so does this one.
        const refused = this.classic.fenceCommit(memberId, generation, request.groupInstanceId);
        if (refused) return refused;
        this.store.writeOffsets(request.offsets);
        return { ok: true, committed: request.offsets };
      }
      const refused = request.offsets.find((o) => !mayCommit(g, memberId, generation, o));
      if (refused) {
        return notOwner(request.group, memberId, refused, generation, g.generation, "join again before committing");
      }
    } else if (g.members.size > 0 || !this.classic.empty) {
      const classic = this.classic.group;
      return g.members.size > 0
        ? commitWithoutMember(request.group, g.members.size, g.generation)
        : commitWithoutMember(request.group, classic.members.size, classic.generation);
    }
    this.store.writeOffsets(request.offsets);
    return { ok: true, committed: request.offsets };
  }

  /**
   * What a member holds, at which generation, with its kept read position and the committed
   * offset of each partition: all a stateless consumer needs to go on reading.
   */
  async positions(
    group: string,
    memberId: string,
  ): Promise<Result<{ generation: number; partitions: MemberPosition[] }>> {
    const g = this.group;
    if (!g.members.has(memberId)) return unknownMember(group, memberId);
    const owned = g.owned.get(memberId) ?? { generation: g.generation, partitions: [] };
    const committed = this.store.committed();
    return {
      ok: true,
      generation: owned.generation,
      partitions: owned.partitions.map((tp) => ({
        ...tp,
        position: positionOf(g, memberId, tp) ?? null,
        committed: committed.get(offsetKey(tp.topic, tp.partition)) ?? null,
      })),
    };
  }

  /** Keeps read positions for a member, fenced like a commit (see GroupState.positions). */
  async seek(
    group: string,
    memberId: string,
    generation: number,
    offsets: OffsetCommit[],
  ): Promise<Result<{ kept: number }>> {
    const g = this.group;
    if (!g.members.has(memberId)) return unknownMember(group, memberId);
    const refused = setPositions(g, memberId, generation, offsets);
    if (refused) return notOwner(group, memberId, refused, generation, g.generation, "join again");
    this.save();
    return { ok: true, kept: offsets.length };
  }

  /** Committed offsets with lag: of every partition of `topic`, or of everything committed. */
  async offsets(group: string, topic?: string): Promise<Result<{ offsets: PartitionLag[] }>> {
    if (!this.name && !topic) return unknownGroup(group);
    const lag = await this.lag(topic ? [topic] : undefined);
    if ("ok" in lag) return lag;
    return { ok: true, offsets: lag };
  }

  async resetOffsets(group: string, topic: string, to: ResetTarget): Promise<Result<{ offsets: PartitionLag[] }>> {
    const busy = membersReading(this.group, topic);
    if (busy.length > 0) return nonEmptyGroup(group, topic, busy);
    const meta = await topicMeta(this.env, topic);
    if (!meta.ok) return meta;
    await this.register(group);
    const offsets = await resetTargets(this.env, meta.topic, to);
    if ("ok" in offsets) return offsets;
    this.store.writeOffsets(offsets);
    return this.offsets(group, topic);
  }

  async describe(group: string): Promise<Result<GroupDescription>> {
    if (!this.name) return unknownGroup(group);
    const lag = await this.lag(undefined);
    if ("ok" in lag) return lag;
    const totalLag = lag.reduce((n, l) => n + l.lag, 0);
    const c = this.classic.group;
    if (c.protocolType !== null && this.group.members.size === 0) {
      return {
        ok: true,
        group,
        state: c.state,
        generation: c.generation,
        membership: "classic",
        protocolType: c.protocolType,
        assignor: c.protocolName ?? "",
        members: describeClassicMembers(c),
        lag,
        totalLag,
      };
    }
    const g = this.group;
    return {
      ok: true,
      group,
      state: stateName(g),
      generation: g.generation,
      membership: "tributary",
      protocolType: "consumer",
      assignor: g.assignor,
      members: describeMembers(g),
      lag,
      totalLag,
    };
  }

  /** For the group list: state and member count, without lag. */
  summary(): { state: string; members: number; generation: number; protocolType: string } {
    const c = this.classic.group;
    if (c.protocolType !== null && this.group.members.size === 0) {
      return { state: c.state, members: c.members.size, generation: c.generation, protocolType: c.protocolType };
    }
    return {
      state: stateName(this.group),
      members: this.group.members.size,
      generation: this.group.generation,
      protocolType: "consumer",
    };
  }

  /** Deletes the group's offsets and state (Kafka's DeleteGroups): only a group without members. */
  async deleteGroup(group: string): Promise<Result<{ deleted: string }>> {
    if (!this.name) return unknownGroup(group);
    const members = this.group.members.size + this.classic.group.members.size;
    if (members > 0) return groupInUse(group, [...this.group.members.values(), ...this.classic.group.members.values()]);
    this.store.clear();
    await controllerStub(this.env).unregisterGroup(group);
    this.load();
    return { ok: true, deleted: group };
  }

  /**
   * For /metrics: the committed offsets with lag and the queues' figures, against the offsets
   * of the partitions given (the caller asked every partition once, for all groups).
   */
  metrics(logs: Record<string, LogOffsets[]>): GroupMetrics {
    const offsets: GroupMetrics["offsets"] = [];
    for (const [key, committed] of this.store.committed()) {
      const slash = key.lastIndexOf("/");
      const topic = key.slice(0, slash);
      const partition = Number(key.slice(slash + 1));
      const log = logs[topic]?.[partition];
      if (log) offsets.push({ topic, partition, committed, lag: lagFrom(committed, log) });
    }
    return { offsets, queues: this.queue.metrics(logs, Date.now()) };
  }

  // ---- Kafka's classic protocol ----

  async classicJoin(group: string, request: ClassicJoin): Promise<Result<ClassicJoinAnswer>> {
    if (this.group.members.size > 0) return membershipClash(group, "Tributary's own consumers");
    await this.register(group);
    return this.classic.join(request);
  }

  classicSync(_group: string, request: ClassicSync) {
    return this.classic.sync(request);
  }

  classicHeartbeat(_group: string, request: ClassicHeartbeat): Result<object> {
    return this.classic.heartbeat(request);
  }

  classicLeave(_group: string, request: ClassicLeave): Promise<Result<ClassicLeaveAnswer>> {
    return this.classic.leave(request);
  }

  // ---- queue mode ----

  async configureQueue(group: string, config: Partial<QueueConfig> & { topic: string }): Promise<Result<QueueConfig>> {
    return this.queue.configure(group, config);
  }

  /**
   * Leases up to `maxRecords` records: first those whose visibility timeout has passed (or
   * that were nacked), then new ones from the partitions in turn. Waits up to `waitMs` for some.
   * Answers the records as JSON text, each with its receipt and delivery count.
   */
  async receive(request: ReceiveRequest): Promise<Result<{ records: string; count: number }>> {
    return this.queue.receive(request);
  }

  /** The group's queue config of `topic` (or of its only queue): 404 or 409 when it is not a queue. */
  async queueConfig(group: string, topic?: string): Promise<Result<QueueConfig>> {
    return this.queue.queueOf(group, topic);
  }

  /** The queue's backlog, leases by state and counters, in all and per partition. */
  async queueStats(group: string, topic?: string): Promise<Result<QueueStats>> {
    return this.queue.stats(group, topic);
  }

  /**
   * Moves up to `maxRecords` of the group's dead letters from `config.deadLetterTopic` back to
   * `config.topic` (redrive.ts), keeping how far it got so a retry goes on from there.
   */
  async redriveQueue(group: string, config: QueueConfig, maxRecords: number): Promise<Result<RedriveAnswer>> {
    return this.queue.redrive(group, config, maxRecords);
  }

  async ack(group: string, receipts: string[]): Promise<Result<{ acked: number }>> {
    return this.queue.ack(group, receipts);
  }

  async nack(group: string, receipts: string[], delayMs: number, reason?: string): Promise<Result<{ nacked: number }>> {
    return this.queue.nack(group, receipts, delayMs, reason);
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const expired = expiredMembers(this.group, Date.now());
    if (expired.length > 0) {
      for (const id of expired) {
        this.commitKept(this.group.members.get(id)!);
        removeMember(this.group, id);
      }
      pruneTopics(this.group);
      rebalance(this.group);
      this.save();
    }
    await this.classic.expire(Date.now());
    await this.scheduleExpiry();
  }

  // ---- internals ----

  private async scheduleExpiry(): Promise<void> {
    const native = nextExpiry(this.group);
    const classic = nextClassicDeadline(this.classic.group);
    const due = native === null ? classic : classic === null ? native : Math.min(native, classic);
    if (due === null || (this.alarmAt !== null && this.alarmAt <= due)) return;
    this.alarmAt = due;
    await this.ctx.storage.setAlarm(due);
  }

  /** Kafka's auto commit for members whose positions are kept here: commits those not committed yet. */
  private commitKept(member: Member): void {
    if (!member.autoCommit) return;
    const committed = this.store.committed();
    const due = keptPositions(this.group, member.memberId).filter(
      (p) => committed.get(offsetKey(p.topic, p.partition)) !== p.offset,
    );
    if (due.length > 0) this.store.writeOffsets(due);
  }

  /** Lag of every partition of the given topics (default: topics committed to or subscribed). */
  private lag(topics: string[] | undefined): Promise<PartitionLag[] | Failure> {
    return lagOf(this.env, this.store.committed(), topics, subscribedTopics(this.group));
  }

  /** Takes up the group's name and state (both kinds of membership) from storage. */
  private load(): void {
    const now = Date.now();
    this.name = this.store.name();
    this.group = this.store.loadGroup(now);
    this.classic = new ClassicGroups(this.store.loadClassic(now), () => this.name ?? "", {
      save: (group) => this.store.saveClassic(group),
      schedule: () => this.scheduleExpiry(),
    });
  }

  private save(): void {
    this.store.saveGroup(this.group);
  }

  private async partitionCounts(topics: string[]): Promise<Map<string, number> | Failure> {
    const out = new Map<string, number>();
    for (const topic of topics) {
      const meta = await topicMeta(this.env, topic);
      if (!meta.ok) return meta;
      out.set(topic, meta.topic.partitions);
    }
    return out;
  }

  /** Records the group's name and lists it with the Controller, once. */
  private async register(group: string): Promise<void> {
    if (this.name) return;
    await controllerStub(this.env).registerGroup(group);
    this.name = group;
    this.store.setName(group);
  }
}
