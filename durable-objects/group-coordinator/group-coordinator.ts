/**
 * GroupCoordinator: one consumer group (the object is named by the group id). Members join,
 * heartbeat and leave; the coordinator assigns partitions (assignors.ts), fences stale members
 * by generation, expires silent members by alarm, and stores the group's committed offsets.
 * Membership logic is in membership.ts; this class wires it to storage and to the other objects.
 */
import { DurableObject } from "cloudflare:workers";
import { appendToTopic } from "../../cluster/append.ts";
import { offsetAt, partitionStatus, readPartitionOrStart } from "../../cluster/reads.ts";
import type { TopicMeta } from "../../cluster/rpc/controller.ts";
import type {
  CommitRequest,
  GroupDescription,
  HeartbeatAnswer,
  JoinAnswer,
  JoinRequest,
  MemberPosition,
  OffsetCommit,
  PartitionLag,
  ResetTarget,
} from "../../cluster/rpc/group-coordinator.ts";
import { controllerStub } from "../../cluster/stubs.ts";
import { topicMeta } from "../../cluster/topic-cache.ts";
import { ensureTopic } from "../../cluster/topics.ts";
import { type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import type { ProduceRecord } from "../../sdk/protocol/schemas.ts";
import { migrate } from "../shared/migrations.ts";
import { type Lease, makeReceipt, parseReceipt, type QueueConfig } from "./leases.ts";
import {
  emptyGroup,
  expiredMembers,
  fromStored,
  type GroupState,
  handOut,
  keptPositions,
  type Member,
  mayCommit,
  nextExpiry,
  positionOf,
  rebalance,
  removeMember,
  type StoredGroup,
  sameTopics,
  setPositions,
  stateName,
  subscribedTopics,
  toStored,
} from "./membership.ts";
import { QUEUE_MIGRATION, QueueStore } from "./queue-store.ts";

const MIGRATIONS = [
  (sql: SqlStorage) => {
    sql.exec("CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    sql.exec(`CREATE TABLE offsets (
      topic TEXT NOT NULL,
      partition INTEGER NOT NULL,
      committed INTEGER NOT NULL,
      metadata TEXT,
      committed_at INTEGER NOT NULL,
      PRIMARY KEY (topic, partition)
    )`);
  },
  QUEUE_MIGRATION,
];

/** How often a waiting receive looks again for records. */
const RECEIVE_POLL_MS = 50;

/** How often heartbeats re-read the subscribed topics' partition counts. */
const METADATA_REFRESH_MS = 3_000;

export class GroupCoordinator extends DurableObject<Env> {
  private group!: GroupState;
  private name: string | null = null;
  private alarmAt: number | null = null;
  private metadataCheckedAt = 0;
  private readonly queue: QueueStore;
  /** Receives take new records one at a time, so no record is leased twice. */
  private receiving: Promise<unknown> = Promise.resolve();
  private nextPartition = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.queue = new QueueStore(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      const stored = this.getMeta("group");
      this.group = stored ? fromStored(JSON.parse(stored) as StoredGroup, Date.now()) : emptyGroup();
      this.name = this.getMeta("name") ?? null;
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  async join(request: JoinRequest): Promise<Result<JoinAnswer>> {
    const queued = request.topics.find((t) => this.queue.inUse(t));
    if (queued) return modeClash(request.group, queued, "reads it in queue mode");
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
    let changed = false;
    for (const [topic, count] of partitions) {
      if (g.partitions.get(topic) !== count) {
        g.partitions.set(topic, count);
        changed = true;
      }
    }
    let memberId = request.memberId ?? request.instanceId;
    const existing = memberId ? g.members.get(memberId) : undefined;
    if (memberId && !existing && request.instanceId === undefined) {
      return failure(
        "UNKNOWN_MEMBER_ID",
        `member '${memberId}' is not in group '${request.group}' (its session may have expired); join without a memberId`,
        { group: request.group, memberId },
      );
    }
    if (existing) {
      // Before the member takes up its new assignment, which may hand its partitions on.
      this.commitKept(existing);
      if (!sameTopics(existing.topics, request.topics)) changed = true;
      existing.topics = [...request.topics];
      existing.sessionTimeoutMs = request.sessionTimeoutMs;
      existing.autoCommit = request.autoCommit;
      existing.lastSeen = now;
    } else {
      memberId = request.instanceId ?? `member-${crypto.randomUUID()}`;
      g.members.set(memberId, {
        memberId,
        topics: [...request.topics],
        sessionTimeoutMs: request.sessionTimeoutMs,
        autoCommit: request.autoCommit,
        lastSeen: now,
      });
      changed = true;
    }
    if (g.members.size === 1 && g.assignor !== request.assignor) {
      g.assignor = request.assignor;
      changed = true;
    }
    if (changed) {
      this.pruneTopics();
      rebalance(g);
    }
    const owned = handOut(g, memberId!);
    this.save();
    if (recheck) this.metadataCheckedAt = now;
    await this.scheduleExpiry();
    return { ok: true, memberId: memberId!, generation: g.generation, assignments: owned.partitions };
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
      if (!("ok" in partitions) && [...partitions].some(([t, n]) => g.partitions.get(t) !== n)) {
        for (const [t, n] of partitions) g.partitions.set(t, n);
        rebalance(g);
        this.save();
      }
    }
    const owned = g.owned.get(memberId);
    if (generation !== g.generation || !owned || owned.generation !== g.generation) {
      return failure(
        "REBALANCE_IN_PROGRESS",
        `group '${group}' is rebalancing (generation ${g.generation}); join again with memberId '${memberId}'`,
        { group, generation: g.generation, memberId },
      );
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
    this.pruneTopics();
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
      if (!g.members.has(memberId)) return unknownMember(request.group, memberId);
      for (const o of request.offsets) {
        if (!mayCommit(g, memberId, generation, o)) {
          return failure(
            "ILLEGAL_GENERATION",
            `member '${memberId}' does not own ${o.topic}/${o.partition} at generation ${generation} (the group is at generation ${g.generation}); join again before committing`,
            { group: request.group, generation: g.generation, topic: o.topic, partition: o.partition },
          );
        }
      }
    } else if (g.members.size > 0) {
      return failure(
        "ILLEGAL_GENERATION",
        `group '${request.group}' has ${g.members.size} active members; commit as a member, with its memberId and generation`,
        { group: request.group, generation: g.generation },
      );
    }
    this.writeOffsets(request.offsets);
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
    const committed = this.committed();
    return {
      ok: true,
      generation: owned.generation,
      partitions: owned.partitions.map((tp) => ({
        ...tp,
        position: positionOf(g, memberId, tp) ?? null,
        committed: committed.get(`${tp.topic}/${tp.partition}`) ?? null,
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
    if (refused) {
      return failure(
        "ILLEGAL_GENERATION",
        `member '${memberId}' does not own ${refused.topic}/${refused.partition} at generation ${generation} (the group is at generation ${g.generation}); join again`,
        { group, generation: g.generation, topic: refused.topic, partition: refused.partition },
      );
    }
    this.save();
    return { ok: true, kept: offsets.length };
  }

  /** Committed offsets with lag: of every partition of `topic`, or of everything committed. */
  async offsets(group: string, topic?: string): Promise<Result<{ offsets: PartitionLag[] }>> {
    if (!this.name && !topic) return unknownGroup(group);
    const lag = await this.lagOf(topic ? [topic] : undefined);
    if ("ok" in lag) return lag;
    return { ok: true, offsets: lag };
  }

  async resetOffsets(group: string, topic: string, to: ResetTarget): Promise<Result<{ offsets: PartitionLag[] }>> {
    const g = this.group;
    const busy = [...g.members.values()].filter((m) => m.topics.includes(topic));
    if (busy.length > 0) {
      return failure(
        "NON_EMPTY_GROUP",
        `group '${group}' has ${busy.length} active members reading '${topic}'; stop them (or wait for their sessions to expire) before resetting offsets`,
        { group, members: busy.map((m) => m.memberId) },
      );
    }
    const meta = await this.topicMeta(topic);
    if ("ok" in meta) return meta;
    await this.register(group);
    const offsets: OffsetCommit[] = [];
    for (let partition = 0; partition < meta.partitions; partition++) {
      let offset: number;
      if (typeof to === "object" && "offset" in to) {
        const status = await partitionStatus(this.env, meta, partition);
        if (!status.ok) return status;
        offset = Math.min(Math.max(to.offset, status.logStartOffset), status.highWatermark);
      } else {
        const at = typeof to === "object" ? to.timestamp : to;
        const found = await offsetAt(this.env, meta, partition, at);
        if (!found.ok) return found;
        offset = found.offset;
      }
      offsets.push({ topic, partition, offset });
    }
    this.writeOffsets(offsets);
    return this.offsets(group, topic);
  }

  async describe(group: string): Promise<Result<GroupDescription>> {
    if (!this.name) return unknownGroup(group);
    const g = this.group;
    const lag = await this.lagOf(undefined);
    if ("ok" in lag) return lag;
    return {
      ok: true,
      group,
      state: stateName(g),
      generation: g.generation,
      assignor: g.assignor,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        topics: m.topics,
        sessionTimeoutMs: m.sessionTimeoutMs,
        assignments: g.owned.get(m.memberId)?.partitions ?? [],
      })),
      lag,
      totalLag: lag.reduce((n, l) => n + l.lag, 0),
    };
  }

  /** For the group list: state and member count, without lag. */
  summary(): { state: string; members: number; generation: number } {
    return { state: stateName(this.group), members: this.group.members.size, generation: this.group.generation };
  }

  // ---- queue mode ----

  async configureQueue(group: string, config: Partial<QueueConfig> & { topic: string }): Promise<Result<QueueConfig>> {
    const meta = await this.topicMeta(config.topic);
    if ("ok" in meta) return meta;
    await this.register(group);
    const merged = { ...this.queue.config(config.topic), ...config };
    if (merged.deadLetterTopic === config.topic) {
      return failure("INVALID_CONFIG", "deadLetterTopic cannot be the topic itself", { field: "deadLetterTopic" });
    }
    this.queue.setConfig(merged);
    return { ok: true, ...merged };
  }

  /**
   * Leases up to `maxRecords` records: first those whose visibility timeout has passed (or
   * that were nacked), then new ones from the partitions in turn. Waits up to `waitMs` for some.
   * Answers the records as JSON text, each with its receipt and delivery count.
   */
  async receive(request: {
    group: string;
    topic: string;
    maxRecords: number;
    visibilityTimeoutMs: number;
    waitMs: number;
  }): Promise<Result<{ records: string; count: number }>> {
    const meta = await this.topicMeta(request.topic);
    if ("ok" in meta) return meta;
    if ([...this.group.members.values()].some((m) => m.topics.includes(request.topic))) {
      return modeClash(request.group, request.topic, "has members consuming it as a consumer group");
    }
    await this.register(request.group);
    const deadline = Date.now() + request.waitMs;
    for (;;) {
      const leased = await this.exclusive(() => this.lease(request, meta));
      if ("ok" in leased) return leased;
      if (leased.length > 0 || Date.now() >= deadline) {
        const parts = leased.map(
          (l) =>
            `{"topic":${JSON.stringify(l.topic)},"receipt":${JSON.stringify(l.receipt)},"deliveryCount":${l.deliveryCount},${l.record.slice(1)}`,
        );
        return { ok: true, records: `[${parts.join(",")}]`, count: parts.length };
      }
      await new Promise((r) => setTimeout(r, Math.min(RECEIVE_POLL_MS, deadline - Date.now())));
    }
  }

  async ack(group: string, receipts: string[]): Promise<Result<{ acked: number }>> {
    const bad = receipts.find((r) => !parseReceipt(r));
    if (bad) return failure("INVALID_REQUEST", `'${bad}' is not a receipt this API handed out`, { receipt: bad });
    const done: Lease[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const receipt of receipts) {
        const lease = this.queue.byReceipt(receipt);
        if (!lease) continue; // already acked, or redelivered since: a stale receipt
        this.queue.remove(lease);
        done.push(lease);
      }
      this.commitQueueProgress(done);
    });
    if (done.length > 0) await this.register(group);
    return { ok: true, acked: done.length };
  }

  async nack(group: string, receipts: string[], delayMs: number, reason?: string): Promise<Result<{ nacked: number }>> {
    const bad = receipts.find((r) => !parseReceipt(r));
    if (bad) return failure("INVALID_REQUEST", `'${bad}' is not a receipt this API handed out`, { receipt: bad });
    const now = Date.now();
    const dead = new Map<string, Lease[]>();
    let nacked = 0;
    for (const receipt of receipts) {
      const lease = this.queue.byReceipt(receipt);
      if (!lease) continue;
      nacked++;
      const failed = { ...lease, lastError: reason ?? lease.lastError };
      if (lease.deliveryCount >= this.queue.config(lease.topic).maxDeliveries) {
        dead.set(lease.topic, [...(dead.get(lease.topic) ?? []), failed]);
      } else {
        this.queue.put({ ...failed, visibleAt: now + delayMs });
      }
    }
    for (const [topic, leases] of dead) {
      const moved = await this.deadLetter(group, this.queue.config(topic), leases);
      if (moved) return moved;
    }
    return { ok: true, nacked };
  }

  private async lease(
    request: { group: string; topic: string; maxRecords: number; visibilityTimeoutMs: number },
    meta: TopicMeta,
  ): Promise<Lease[] | Failure> {
    const { topic, maxRecords, visibilityTimeoutMs } = request;
    const config = this.queue.config(topic);
    const now = Date.now();
    const out: Lease[] = [];
    const dead: Lease[] = [];
    for (const lease of this.queue.due(topic, now, maxRecords)) {
      if (lease.deliveryCount >= config.maxDeliveries) {
        dead.push({ ...lease, lastError: lease.lastError ?? `not acknowledged within the visibility timeout` });
        continue;
      }
      const deliveryCount = lease.deliveryCount + 1;
      out.push({
        ...lease,
        deliveryCount,
        visibleAt: now + visibilityTimeoutMs,
        receipt: makeReceipt(topic, lease.partition, lease.offset, deliveryCount),
      });
    }
    if (dead.length > 0) {
      const moved = await this.deadLetter(request.group, config, dead);
      if (moved) return moved;
    }
    const committed = this.committed();
    for (let i = 0; i < meta.partitions && out.length < maxRecords; i++) {
      const partition = (this.nextPartition + i) % meta.partitions;
      const cursor = this.queue.cursor(topic, partition) ?? committed.get(`${topic}/${partition}`) ?? 0;
      // From the log start when retention removed records nobody received.
      const page = await readPartitionOrStart(this.env, meta, partition, {
        offset: cursor,
        maxRecords: maxRecords - out.length,
        maxBytes: 4 * 1024 * 1024,
        waitMs: 0,
      });
      if (!page.ok) return page;
      for (const record of JSON.parse(page.records) as { offset: number }[]) {
        out.push({
          topic,
          partition,
          offset: record.offset,
          record: JSON.stringify(record),
          deliveryCount: 1,
          visibleAt: now + visibilityTimeoutMs,
          receipt: makeReceipt(topic, partition, record.offset, 1),
          lastError: null,
        });
      }
      if (page.nextOffset !== cursor || this.queue.cursor(topic, partition) === undefined) {
        this.queue.setCursor(topic, partition, page.nextOffset);
      }
    }
    this.nextPartition = (this.nextPartition + 1) % Math.max(1, meta.partitions);
    this.ctx.storage.transactionSync(() => {
      for (const lease of out) this.queue.put(lease);
    });
    return out;
  }

  /** Appends failed records to the dead-letter topic with where they came from and why, then acks them. */
  private async deadLetter(group: string, config: QueueConfig, leases: Lease[]): Promise<Failure | undefined> {
    const dlq = await ensureTopic(this.env, config.deadLetterTopic);
    if (!dlq.ok) return dlq;
    const records: ProduceRecord[] = leases.map((l) => {
      const r = JSON.parse(l.record) as ProduceRecord & { offset: number; partition: number };
      return {
        key: r.key,
        keyBase64: r.keyBase64,
        ...(r.valueBase64 === undefined ? { value: r.value ?? null } : { valueBase64: r.valueBase64 }),
        headers: {
          ...r.headers,
          "x-dlq-source-topic": l.topic,
          "x-dlq-source-partition": String(l.partition),
          "x-dlq-source-offset": String(l.offset),
          "x-dlq-group": group,
          "x-dlq-delivery-count": String(l.deliveryCount),
          "x-dlq-reason": l.lastError ?? `failed ${l.deliveryCount} deliveries`,
        },
      };
    });
    const appended = await appendToTopic(this.env, dlq.topic, records);
    if (!appended.ok) return appended;
    this.ctx.storage.transactionSync(() => {
      for (const l of leases) this.queue.remove(l);
      this.commitQueueProgress(leases);
    });
    return undefined;
  }

  /** Moves the group's committed offset of each touched partition up to its first unfinished record. */
  private commitQueueProgress(done: Lease[]): void {
    const touched = new Map<string, { topic: string; partition: number }>();
    for (const l of done) touched.set(`${l.topic}/${l.partition}`, l);
    const offsets: OffsetCommit[] = [];
    for (const { topic, partition } of touched.values()) {
      const offset = this.queue.doneBelow(topic, partition);
      if (offset !== undefined) offsets.push({ topic, partition, offset });
    }
    if (offsets.length > 0) this.writeOffsets(offsets);
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.receiving.then(task, task);
    this.receiving = run.catch(() => {});
    return run;
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const expired = expiredMembers(this.group, Date.now());
    if (expired.length > 0) {
      for (const id of expired) {
        this.commitKept(this.group.members.get(id)!);
        removeMember(this.group, id);
      }
      this.pruneTopics();
      rebalance(this.group);
      this.save();
    }
    await this.scheduleExpiry();
  }

  // ---- internals ----

  private async scheduleExpiry(): Promise<void> {
    const due = nextExpiry(this.group);
    if (due === null || (this.alarmAt !== null && this.alarmAt <= due)) return;
    this.alarmAt = due;
    await this.ctx.storage.setAlarm(due);
  }

  /** Kafka's auto commit for members whose positions are kept here: commits those not committed yet. */
  private commitKept(member: Member): void {
    if (!member.autoCommit) return;
    const committed = this.committed();
    const due = keptPositions(this.group, member.memberId).filter(
      (p) => committed.get(`${p.topic}/${p.partition}`) !== p.offset,
    );
    if (due.length > 0) this.writeOffsets(due);
  }

  /** Forget partition counts of topics no member subscribes to any more. */
  private pruneTopics(): void {
    const topics = new Set(subscribedTopics(this.group));
    for (const t of this.group.partitions.keys()) if (!topics.has(t)) this.group.partitions.delete(t);
  }

  private save(): void {
    this.setMeta("group", JSON.stringify(toStored(this.group)));
  }

  private writeOffsets(offsets: OffsetCommit[]): void {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const o of offsets) {
        this.ctx.storage.sql.exec(
          `INSERT INTO offsets (topic, partition, committed, metadata, committed_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (topic, partition) DO UPDATE SET committed = excluded.committed, metadata = excluded.metadata, committed_at = excluded.committed_at`,
          o.topic,
          o.partition,
          o.offset,
          o.metadata ?? null,
          now,
        );
      }
    });
  }

  private committed(): Map<string, number> {
    const out = new Map<string, number>();
    for (const row of this.ctx.storage.sql.exec("SELECT topic, partition, committed FROM offsets").raw()) {
      out.set(`${row[0]}/${row[1]}`, row[2] as number);
    }
    return out;
  }

  /** Lag of every partition of the given topics (default: topics committed to or subscribed). */
  private async lagOf(topics: string[] | undefined): Promise<PartitionLag[] | Failure> {
    const committed = this.committed();
    const names = topics ?? [
      ...new Set([
        ...[...committed.keys()].map((k) => k.slice(0, k.lastIndexOf("/"))),
        ...subscribedTopics(this.group),
      ]),
    ];
    const out: PartitionLag[] = [];
    for (const topic of names.sort()) {
      const meta = await this.topicMeta(topic);
      if ("ok" in meta) {
        if (topics) return meta;
        continue; // a topic deleted since: nothing to report
      }
      const statuses = await Promise.all(
        Array.from({ length: meta.partitions }, (_, partition) => partitionStatus(this.env, meta, partition)),
      );
      statuses.forEach((s, partition) => {
        if (!s.ok) return;
        const c = committed.get(`${topic}/${partition}`) ?? null;
        const from = c ?? s.logStartOffset;
        out.push({
          topic,
          partition,
          committed: c,
          highWatermark: s.highWatermark,
          logStartOffset: s.logStartOffset,
          lag: Math.max(0, s.highWatermark - Math.max(from, s.logStartOffset)),
        });
      });
    }
    return out;
  }

  private async topicMeta(topic: string): Promise<TopicMeta | Failure> {
    const answer = await topicMeta(this.env, topic);
    return answer.ok ? answer.topic : answer;
  }

  private async partitionCounts(topics: string[]): Promise<Map<string, number> | Failure> {
    const out = new Map<string, number>();
    for (const topic of topics) {
      const meta = await this.topicMeta(topic);
      if ("ok" in meta) return meta;
      out.set(topic, meta.partitions);
    }
    return out;
  }

  /** Records the group's name and lists it with the Controller, once. */
  private async register(group: string): Promise<void> {
    if (this.name) return;
    await controllerStub(this.env).registerGroup(group);
    this.name = group;
    this.setMeta("name", group);
  }

  private getMeta(k: string): string | undefined {
    return this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v;
  }

  private setMeta(k: string, v: string): void {
    this.ctx.storage.sql.exec("INSERT INTO meta (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET v = ?2", k, v);
  }
}

function unknownMember(group: string, memberId: string): Failure {
  return failure(
    "UNKNOWN_MEMBER_ID",
    `member '${memberId}' is not in group '${group}' (it left, or its session expired); join again without a memberId`,
    { group, memberId },
  );
}

/** One group reads a topic either as a consumer group or as a queue: both would move its offsets. */
function modeClash(group: string, topic: string, how: string): Failure {
  return failure(
    "INVALID_REQUEST",
    `group '${group}' already ${how} topic '${topic}'; use another group id for the other mode`,
    { group, topic },
  );
}

function unknownGroup(group: string): Failure {
  return failure(
    "GROUP_ID_NOT_FOUND",
    `consumer group '${group}' does not exist (no member has joined it and it has no offsets)`,
    {
      group,
    },
  );
}
