/**
 * Queue mode: a group reads a topic as a work queue. Each record received is leased to its
 * receiver until acked, nacked or its visibility timeout passes (then it is delivered again);
 * past maxDeliveries it goes to the dead-letter topic. The group's committed offset of each
 * partition follows its first unfinished record. The lease rules are in leases.ts, their
 * storage in queue-store.ts; the GroupCoordinator owns one QueueMode and delegates to it.
 */
import { appendToTopic } from "../../cluster/append.ts";
import { readPartitionOrStart } from "../../cluster/reads.ts";
import type { TopicMeta } from "../../cluster/rpc/controller.ts";
import type { GroupMetrics, LogOffsets, OffsetCommit } from "../../cluster/rpc/group-coordinator.ts";
import { topicMeta } from "../../cluster/topic-cache.ts";
import { ensureTopic } from "../../cluster/topics.ts";
import { type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import type { QueueStats, RedriveAnswer } from "../../sdk/protocol/schemas.ts";
import { modeClash, notAQueue, whichQueue } from "./failures.ts";
import {
  deadLetterRecord,
  exhausted,
  firstDelivery,
  type Lease,
  parseReceipt,
  type QueueConfig,
  receivedJson,
  redelivery,
  touchedPartitions,
} from "./leases.ts";
import { figuresOf, queueStats, remainingOf } from "./queue-stats.ts";
import { QueueStore } from "./queue-store.ts";
import { redrive } from "./redrive.ts";
import { type GroupStore, offsetKey } from "./store.ts";

/** How often a waiting receive looks again for records. */
const RECEIVE_POLL_MS = 50;

/** What queue mode needs of its coordinator besides storage. */
export interface QueueModeHost {
  /** Records the group's name and lists it with the Controller, once. */
  register(group: string): Promise<void>;
  /** Whether members consume `topic` as a consumer group. */
  consumesAsGroup(topic: string): boolean;
  /** Whether the group has been used at all (named). */
  exists(): boolean;
}

export interface ReceiveRequest {
  group: string;
  topic: string;
  maxRecords: number;
  visibilityTimeoutMs: number;
  waitMs: number;
}

export class QueueMode {
  private readonly leases: QueueStore;
  /** Receives take new records one at a time, so no record is leased twice. */
  private receiving: Promise<unknown> = Promise.resolve();
  private nextPartition = 0;
  /** Redrives run one at a time, so no dead letter is moved back twice by two at once. */
  private redriving: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly env: Env,
    private readonly storage: DurableObjectStorage,
    private readonly offsets: GroupStore,
    private readonly host: QueueModeHost,
  ) {
    this.leases = new QueueStore(storage.sql);
  }

  /** Whether the group has read this topic in queue mode. */
  inUse(topic: string): boolean {
    return this.leases.inUse(topic);
  }

  async configure(group: string, config: Partial<QueueConfig> & { topic: string }): Promise<Result<QueueConfig>> {
    const found = await topicMeta(this.env, config.topic);
    if (!found.ok) return found;
    await this.host.register(group);
    const merged = { ...this.leases.config(config.topic), ...config };
    if (merged.deadLetterTopic === config.topic) {
      return failure("INVALID_CONFIG", "deadLetterTopic cannot be the topic itself", { field: "deadLetterTopic" });
    }
    this.leases.setConfig(merged);
    return { ok: true, ...merged };
  }

  /** The config of the group's queue of `topic`, or of its only queue when no topic is named. */
  queueOf(group: string, topic?: string): Result<QueueConfig> {
    const topics = this.leases.queueTopics();
    if (topic !== undefined && !topics.includes(topic)) return notAQueue(group, this.host.exists(), topic);
    if (topic === undefined && topics.length !== 1) {
      return topics.length === 0 ? notAQueue(group, this.host.exists()) : whichQueue(group, topics);
    }
    return { ok: true, ...this.leases.config(topic ?? topics[0]!) };
  }

  /** See GroupCoordinator.queueStats. */
  async stats(group: string, topic?: string): Promise<Result<QueueStats>> {
    const config = this.queueOf(group, topic);
    if (!config.ok) return config;
    return queueStats(this.env, this.leases, this.offsets.committed(), group, config);
  }

  /** Each queue's figures for /metrics, against the partitions' offsets given (queues of topics not given are left out). */
  metrics(logs: Readonly<Record<string, LogOffsets[]>>, now: number): GroupMetrics["queues"] {
    const committed = this.offsets.committed();
    return this.leases.queueTopics().flatMap((topic) => {
      const offsets = logs[topic];
      if (!offsets) return [];
      const config = this.leases.config(topic);
      const remaining = remainingOf(this.leases, config.deadLetterTopic, logs[config.deadLetterTopic] ?? []);
      const f = figuresOf(this.leases, committed, config, offsets, remaining, now);
      return [
        {
          topic,
          backlog: f.backlog,
          inFlight: f.inFlight,
          delayed: f.delayed,
          redeliverable: f.redeliverable,
          redeliveries: f.redeliveries,
          acked: f.acked,
          deadLettered: f.deadLettered,
          deadLetterRemaining: remaining,
        },
      ];
    });
  }

  /** See GroupCoordinator.redriveQueue. */
  async redrive(group: string, config: QueueConfig, maxRecords: number): Promise<Result<RedriveAnswer>> {
    const current = this.queueOf(group, config.topic);
    if (!current.ok) return current;
    const run = this.redriving.then(() => redrive(this.env, this.leases, group, config, maxRecords));
    this.redriving = run.catch(() => {});
    return run;
  }

  /** See GroupCoordinator.receive. */
  async receive(request: ReceiveRequest): Promise<Result<{ records: string; count: number }>> {
    const found = await topicMeta(this.env, request.topic);
    if (!found.ok) return found;
    if (this.host.consumesAsGroup(request.topic)) {
      return modeClash(request.group, request.topic, "has members consuming it as a consumer group");
    }
    await this.host.register(request.group);
    const deadline = Date.now() + request.waitMs;
    for (;;) {
      const leased = await this.exclusive(() => this.lease(request, found.topic));
      if ("ok" in leased) return leased;
      if (leased.length > 0 || Date.now() >= deadline) {
        return { ok: true, records: receivedJson(leased), count: leased.length };
      }
      await new Promise((r) => setTimeout(r, Math.min(RECEIVE_POLL_MS, deadline - Date.now())));
    }
  }

  async ack(group: string, receipts: string[]): Promise<Result<{ acked: number }>> {
    const bad = receipts.find((r) => !parseReceipt(r));
    if (bad) return failure("INVALID_REQUEST", `'${bad}' is not a receipt this API handed out`, { receipt: bad });
    const done: Lease[] = [];
    this.storage.transactionSync(() => {
      for (const receipt of receipts) {
        const lease = this.leases.byReceipt(receipt);
        if (!lease) continue; // already acked, or redelivered since: a stale receipt
        this.leases.remove(lease);
        this.leases.count(lease.topic, lease.partition, "acked");
        done.push(lease);
      }
      this.commitProgress(done);
    });
    if (done.length > 0) await this.host.register(group);
    return { ok: true, acked: done.length };
  }

  async nack(group: string, receipts: string[], delayMs: number, reason?: string): Promise<Result<{ nacked: number }>> {
    const bad = receipts.find((r) => !parseReceipt(r));
    if (bad) return failure("INVALID_REQUEST", `'${bad}' is not a receipt this API handed out`, { receipt: bad });
    const now = Date.now();
    const dead = new Map<string, Lease[]>();
    let nacked = 0;
    for (const receipt of receipts) {
      const lease = this.leases.byReceipt(receipt);
      if (!lease) continue;
      nacked++;
      const failed = { ...lease, lastError: reason ?? lease.lastError };
      if (exhausted(lease, this.leases.config(lease.topic))) {
        dead.set(lease.topic, [...(dead.get(lease.topic) ?? []), failed]);
      } else {
        this.leases.put({ ...failed, visibleAt: now + delayMs, nacked: delayMs > 0 });
      }
    }
    for (const [topic, leases] of dead) {
      const moved = await this.deadLetter(group, this.leases.config(topic), leases);
      if (moved) return moved;
    }
    return { ok: true, nacked };
  }

  private async lease(request: ReceiveRequest, meta: TopicMeta): Promise<Lease[] | Failure> {
    const { topic, maxRecords, visibilityTimeoutMs } = request;
    const config = this.leases.config(topic);
    const now = Date.now();
    const out: Lease[] = [];
    const dead: Lease[] = [];
    for (const lease of this.leases.due(topic, now, maxRecords)) {
      if (exhausted(lease, config)) {
        dead.push({ ...lease, lastError: lease.lastError ?? `not acknowledged within the visibility timeout` });
        continue;
      }
      out.push(redelivery(lease, now, visibilityTimeoutMs));
    }
    if (dead.length > 0) {
      const moved = await this.deadLetter(request.group, config, dead);
      if (moved) return moved;
    }
    const committed = this.offsets.committed();
    for (let i = 0; i < meta.partitions && out.length < maxRecords; i++) {
      const partition = (this.nextPartition + i) % meta.partitions;
      const cursor = this.leases.cursor(topic, partition) ?? committed.get(offsetKey(topic, partition)) ?? 0;
      // From the log start when retention removed records nobody received.
      const page = await readPartitionOrStart(this.env, meta, partition, {
        offset: cursor,
        maxRecords: maxRecords - out.length,
        maxBytes: 4 * 1024 * 1024,
        waitMs: 0,
      });
      if (!page.ok) return page;
      for (const record of JSON.parse(page.records) as { offset: number }[]) {
        out.push(firstDelivery(topic, partition, record, now, visibilityTimeoutMs));
      }
      if (page.nextOffset !== cursor || this.leases.cursor(topic, partition) === undefined) {
        this.leases.setCursor(topic, partition, page.nextOffset);
      }
    }
    this.nextPartition = (this.nextPartition + 1) % Math.max(1, meta.partitions);
    this.storage.transactionSync(() => {
      for (const lease of out) {
        this.leases.put(lease);
        if (lease.deliveryCount > 1) this.leases.count(topic, lease.partition, "redeliveries");
      }
    });
    return out;
  }

  /** Appends failed records to the dead-letter topic with where they came from and why, then acks them. */
  private async deadLetter(group: string, config: QueueConfig, leases: Lease[]): Promise<Failure | undefined> {
    const dlq = await ensureTopic(this.env, config.deadLetterTopic);
    if (!dlq.ok) return dlq;
    const appended = await appendToTopic(
      this.env,
      dlq.topic,
      leases.map((l) => deadLetterRecord(group, l)),
    );
    if (!appended.ok) return appended;
    this.storage.transactionSync(() => {
      for (const l of leases) {
        this.leases.remove(l);
        this.leases.count(l.topic, l.partition, "dead_lettered");
      }
      this.commitProgress(leases);
    });
    return undefined;
  }

  /** Moves the group's committed offset of each touched partition up to its first unfinished record. */
  private commitProgress(done: Lease[]): void {
    const offsets: OffsetCommit[] = [];
    for (const { topic, partition } of touchedPartitions(done)) {
      const offset = this.leases.doneBelow(topic, partition);
      if (offset !== undefined) offsets.push({ topic, partition, offset });
    }
    if (offsets.length > 0) this.offsets.writeOffsets(offsets);
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.receiving.then(task, task);
    this.receiving = run.catch(() => {});
    return run;
  }
}
