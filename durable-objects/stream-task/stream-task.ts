/**
 * StreamTask: one sub-topology of one stream app on one partition of its sources. It reads its
 * partition of each source in order, runs the topology (sdk/streams/processor.ts) and commits,
 * in one storage transaction per round, the state stores, the input offsets, the stream time and
 * the outputs to produce (an outbox whose batches carry their producer sequence). Outputs are
 * then appended with the task's idempotent producer id; a batch re-sent after a crash has the
 * same sequence and is answered as a duplicate, so no record is counted twice or lost.
 *
 * A task whose sub-topology joins global tables keeps a copy of each: each round, after reading
 * its sources and before processing them, it reads every partition of their topics into its
 * stores up to where they are (all of them, the first time). The copy and its offsets are
 * committed with the round's records, in its transaction.
 *
 * The task runs from its alarm. While rounds find records the alarm runs the next at once (after
 * a linger when they were few), for a few seconds, then sets the next alarm. A round that finds
 * nothing does not poll: the task asks each partition it reads (its sources' and the global
 * tables') to wake it when it grows (`wakeOnAppend`), sets its alarm far ahead as a safety net,
 * and sleeps. The first append wakes it (`wake`, which sets the alarm to now), so an idle task
 * makes no requests and is not active, and a record is still picked up within an alarm's delay.
 */
import { DurableObject } from "cloudflare:workers";
import { appendToTopic } from "../../cluster/append.ts";
import { meterObject } from "../../cluster/meter.ts";
import { readPartitionOrStart, wakeOnAppend } from "../../cluster/reads.ts";
import type { TopicMeta } from "../../cluster/rpc/controller.ts";
import type { FetchSuccess } from "../../cluster/rpc/partition-log.ts";
import type { FaultPoint, TaskCounters, TaskIdentity, TaskStatus } from "../../cluster/rpc/stream-task.ts";
import { StreamApps } from "../../cluster/stream-apps.ts";
import { controllerStub } from "../../cluster/stubs.ts";
import { topicMeta } from "../../cluster/topic-cache.ts";
import { ensureTopic } from "../../cluster/topics.ts";
import { type Failure, failure, type Result } from "../../sdk/protocol/errors.ts";
import type { ProducerId, ProducerStamp } from "../../sdk/protocol/schemas.ts";
import type { InputRecord, SourceBatch } from "../../sdk/streams/processor.ts";
import { processBatches } from "../../sdk/streams/processor.ts";
import type { StoreEntry, StoreScan } from "../../sdk/streams/state.ts";
import { processGlobalBatch } from "../../sdk/streams/tables.ts";
import type { SubTopology, Topology } from "../../sdk/streams/topology.ts";
import { CrashPoints, faultInjectionOff, faultsEnabled, InjectedCrash } from "../shared/faults.ts";
import { migrate } from "../shared/migrations.ts";
import { type OutboxBatch, type OutputTopic, planOutbox } from "./outbox.ts";
import { MIGRATIONS, TaskStore } from "./store.ts";

/** Records per input batch (one transaction each). */
const BATCH_RECORDS = 8_000;
const BATCH_BYTES = 1024 * 1024;
/**
 * When idle, the alarm is set this far ahead: the safety net should a wake be lost (the
 * partition's leader changed since the task registered, say). Waking is the partition's job.
 */
const SAFETY_ALARM_MS = 10 * 60_000;
/** When registering for wakes failed, the next round is this far ahead (a slow poll). */
const UNWATCHED_DELAY_MS = 1_000;
/**
 * After a round that found only a few records, the next one waits this long, so that under a
 * trickle of records a batch gathers several (as Kafka's fetch.min.bytes / fetch.max.wait.ms do):
 * a round's cost is mostly per batch (a read, a transaction, appends to outputs, and the same in
 * each task downstream), not per record.
 */
const LINGER_MS = 100;
const SMALL_BATCH_RECORDS = 200;
/** After a failed round, retries back off from one second to half a minute. */
const ERROR_DELAY_MS = 1_000;
const MAX_ERROR_DELAY_MS = 30_000;
const WATCHDOG_MS = 3_000;
/** How long one alarm goes on running rounds while records keep coming, before the next alarm takes over. */
const ALARM_BUDGET_MS = 5_000;
/** How long resolved topic metadata is trusted (partition counts of outputs may grow). */
const TOPICS_TTL_MS = 10_000;
/**
 * Reads of a global table's partitions per round at most: a large table is copied over several
 * rounds, which process nothing else until it is complete.
 */
const GLOBAL_PASSES_PER_ROUND = 8;

/** A page read from a partition of a global table's topic, from `offset`. */
interface GlobalPage {
  topic: string;
  partition: number;
  offset: number;
  page: FetchSuccess;
}

/** A partition a task reads, and the offset it reads next: what it waits on when idle. */
interface ReadPosition {
  topic: TopicMeta;
  partition: number;
  offset: number;
}

const NO_COUNTERS: TaskCounters = { processed: 0, late: 0, skipped: 0, deduped: 0, produced: 0, batches: 0 };

export class StreamTask extends DurableObject<Env> {
  /** The stream apps of this deployment: createTributary binds them (worker/tributary.ts). */
  protected readonly apps: StreamApps = new StreamApps();
  private readonly store: TaskStore;
  private identity: TaskIdentity | null = null;
  private pumping = false;
  private readonly crashes = new CrashPoints();
  private lastError: string | null = null;
  private failures = 0;
  /** Cached state, dropped on any failure (as a crash would drop it). */
  private topics = new Map<string, TopicMeta>();
  /** The topics of the global tables the task copies. */
  private globalTopics = new Map<string, TopicMeta>();
  private topicsAt = 0;
  private readonly highWatermarks = new Map<string, number>();
  /** By "topic/partition" of a global table's topic. */
  private readonly globalHighWatermarks = new Map<string, number>();
  /** Where the last round that found nothing stood on each partition it reads. */
  private idleAt: ReadPosition[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const metered = meterObject(this, ctx, env, "StreamTask");
    this.store = new TaskStore(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      const identity = this.store.getMeta("identity");
      this.identity = identity ? (JSON.parse(identity) as TaskIdentity) : null;
    });
    // biome-ignore lint/correctness/noConstructorReturn: the billable-unit meter's proxy (cluster/meter.ts; off unless TRIBUTARY_METER=1).
    return metered;
  }

  /** Makes this object the task `identity` and keeps it running (idempotent). */
  async start(identity: TaskIdentity): Promise<Result<{ status: TaskStatus }>> {
    if (this.identity && JSON.stringify(this.identity) !== JSON.stringify(identity)) {
      return failure("INVALID_REQUEST", `this object is task ${JSON.stringify(this.identity)}`);
    }
    if (!this.identity) {
      this.identity = identity;
      this.store.setMeta("identity", JSON.stringify(identity));
    }
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
    return { ok: true, status: this.status() };
  }

  status(): TaskStatus {
    const id = this.identity ?? { app: "", subTopology: 0, partition: 0 };
    const offsets = this.store.offsets();
    const sub = this.identity ? this.apps.find(id.app)?.topology().subTopologies[id.subTopology] : undefined;
    return {
      ...id,
      sources: (sub?.sources ?? []).map((topic) => {
        const offset = offsets.get(topic) ?? 0;
        const hw = this.highWatermarks.get(topic);
        return { topic, offset, highWatermark: hw ?? null, lag: hw === undefined ? null : Math.max(0, hw - offset) };
      }),
      globalTables: [...this.store.globalOffsets()].map(([at, offset]) => {
        const slash = at.lastIndexOf("/");
        const hw = this.globalHighWatermarks.get(at);
        return {
          topic: at.slice(0, slash),
          partition: Number(at.slice(slash + 1)),
          offset,
          highWatermark: hw ?? null,
          lag: hw === undefined ? null : Math.max(0, hw - offset),
        };
      }),
      streamTime: this.streamTime(),
      counters: this.counters(),
      pendingOutputs: this.store.outboxSize(),
      faultsInjected: this.faultsInjected(),
      lastError: this.lastError,
    };
  }

  /** Entries of one of this task's stores (an interactive query). */
  query(store: string, scan: StoreScan): StoreEntry[] {
    return this.store.scan(store, scan);
  }

  /**
   * Tests only (TRIBUTARY_FAULTS=1 in the test config, never in wrangler.toml): the next batch
   * crashes the task (its object is aborted, losing all in-memory state) right before its
   * transaction commits, right after it (before its outputs are produced), or after an output
   * batch was appended but before the outbox forgot it.
   */
  injectFault(point: FaultPoint): Result<object> {
    if (!faultsEnabled(this.env)) return faultInjectionOff();
    this.crashes.arm(point);
    return { ok: true };
  }

  /**
   * A partition this task waits on has grown (sent by the partition, once per registration):
   * the alarm runs a round now. A round already running registers again at its end and finds
   * the records then.
   */
  async wake(): Promise<void> {
    if (this.identity) await this.ctx.storage.setAlarm(Date.now());
  }

  override async alarm(): Promise<void> {
    // A task of an app no longer bundled stays asleep until started again.
    if (!this.identity || !this.apps.find(this.identity.app)) return;
    const until = Date.now() + ALARM_BUDGET_MS;
    for (;;) {
      // A watchdog: if this object crashes during the round, this alarm starts the next one.
      await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
      const records = await this.round();
      this.failures = this.lastError ? this.failures + 1 : 0;
      if (this.lastError) {
        await this.ctx.storage.setAlarm(
          Date.now() + Math.min(MAX_ERROR_DELAY_MS, ERROR_DELAY_MS * 2 ** (this.failures - 1)),
        );
        return;
      }
      if (records === 0) {
        if (await this.sleepUntilAppend()) return;
        // Records arrived while it registered: go on.
      }
      const delay = records >= SMALL_BATCH_RECORDS ? 0 : records > 0 ? LINGER_MS : 0;
      // While records keep coming, the next round runs in this alarm, at once or after the
      // linger: an alarm fires tens of milliseconds after its time (in workerd), which a busy
      // pipeline would pay at every round of every stage.
      if (Date.now() + delay < until) {
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      await this.ctx.storage.setAlarm(Date.now() + delay);
      return;
    }
  }

  /**
   * After a round that found nothing: the safety-net alarm first (so that a wake, which sets
   * the alarm to now, overrides it), then a wake registered on every partition the task reads.
   * False when one of them already has more records (the task goes on at once).
   */
  private async sleepUntilAppend(): Promise<boolean> {
    await this.ctx.storage.setAlarm(Date.now() + SAFETY_ALARM_MS);
    const task = this.identity!;
    const answers = await Promise.all(
      this.idleAt.map((at) => wakeOnAppend(this.env, at.topic, at.partition, task, at.offset).catch(() => null)),
    );
    if (answers.some((a) => a?.ok && a.ready)) return false;
    if (answers.some((a) => !a?.ok)) {
      // Not registered everywhere: look again soon, as a poll would.
      await this.ctx.storage.setAlarm(Date.now() + UNWATCHED_DELAY_MS);
    }
    return true;
  }

  /**
   * One round: produce pending outputs, then read a batch of each source, catch up the copies of
   * the global tables, process the batches and commit them together. Returns how many records it
   * processed (the global tables' included).
   */
  private async round(): Promise<number> {
    if (this.pumping || !this.identity) return 0;
    this.pumping = true;
    try {
      const records = await this.pump(this.identity);
      this.lastError = null;
      return records;
    } catch (err) {
      // A failed transaction was rolled back: what the store remembers of it may not exist.
      this.store.rolledBack();
      this.lastError = err instanceof Error ? err.message : String(err);
      console.error(`stream task ${JSON.stringify(this.identity)}`, this.lastError);
      if (err instanceof InjectedCrash) {
        this.store.setMeta("faultsInjected", String(this.faultsInjected() + 1));
        await this.ctx.storage.sync();
        // A real crash: the object is thrown away with everything it holds in memory.
        this.ctx.abort(err.message);
      }
      // Start the next round from storage alone.
      this.topics = new Map();
      this.globalTopics = new Map();
      this.topicsAt = 0;
      return 0;
    } finally {
      this.pumping = false;
    }
  }

  private async pump(id: TaskIdentity): Promise<number> {
    const app = this.apps.find(id.app);
    if (!app)
      throw new Error(`app '${id.app}' is not among this deployment's stream apps (createTributary({ streamApps }))`);
    const topology = app.topology();
    const sub = topology.subTopologies[id.subTopology];
    if (!sub) throw new Error(`app '${id.app}' has no sub-topology ${id.subTopology}`);
    await this.resolveTopics(topology, sub, id.partition);
    const producer = await this.producer(id);
    await this.flush(producer);
    const offsets = this.store.offsets();
    const pages = await Promise.all(
      sub.sources.map(async (topic) => {
        const offset = offsets.get(topic) ?? 0;
        const page = await this.read(this.topics.get(topic)!, id.partition, offset);
        this.highWatermarks.set(topic, page.highWatermark);
        return { topic, offset, page };
      }),
    );
    // Read after the sources: an update of a global table acknowledged before a record was
    // appended is in the copy when that record is processed.
    const globals = await this.catchUpGlobals(topology, sub);
    if (!globals.caughtUp) return Math.max(globals.applied, SMALL_BATCH_RECORDS);
    const batches: (SourceBatch & { nextOffset: number })[] = [];
    for (const { topic, offset, page } of pages) {
      if (page.count > 0) {
        batches.push({ topic, records: JSON.parse(page.records) as InputRecord[], nextOffset: page.nextOffset });
      } else if (page.nextOffset > offset) {
        // Retention removed the records at our offset before we read them: go on from the start.
        this.store.setOffset(topic, page.nextOffset);
      }
    }
    if (batches.length === 0 && globals.last.length === 0) {
      const globalOffsets = this.store.globalOffsets();
      this.idleAt = [
        ...pages.map(({ topic, page }) => ({
          topic: this.topics.get(topic)!,
          partition: id.partition,
          offset: page.nextOffset,
        })),
        ...[...this.globalTopics.values()].flatMap((topic) =>
          Array.from({ length: topic.partitions }, (_, partition) => ({
            topic,
            partition,
            offset: globalOffsets.get(`${topic.name}/${partition}`) ?? 0,
          })),
        ),
      ];
      return globals.applied;
    }
    this.commit(topology, sub, batches, globals.last);
    this.crashes.pass("after-commit");
    await this.flush(producer);
    return globals.applied + batches.reduce((n, b) => n + b.records.length, 0);
  }

  /** A page of each partition of the global tables' topics, from where the task's copy is. */
  private async readGlobals(sub: SubTopology): Promise<GlobalPage[]> {
    if (sub.globalTopics.length === 0) return [];
    const offsets = this.store.globalOffsets();
    const partitions = sub.globalTopics.flatMap((topic) => {
      const meta = this.globalTopics.get(topic)!;
      return Array.from({ length: meta.partitions }, (_, partition) => ({ meta, partition }));
    });
    return Promise.all(
      partitions.map(async ({ meta, partition }) => {
        const at = `${meta.name}/${partition}`;
        const offset = offsets.get(at) ?? 0;
        const page = await this.read(meta, partition, offset);
        this.globalHighWatermarks.set(at, page.highWatermark);
        return { topic: meta.name, partition, offset, page };
      }),
    );
  }

  /**
   * Reads the global tables' partitions until the copy has caught up with what they held when
   * read: a first pass usually finds a page or nothing, which `last` holds for the round's
   * transaction; a copy further behind (its first round, a large update) commits the earlier
   * passes' pages on their own, and one that is not caught up within the round's passes goes on
   * next round, processing nothing else.
   */
  private async catchUpGlobals(
    topology: Topology,
    sub: SubTopology,
  ): Promise<{ applied: number; caughtUp: boolean; last: GlobalPage[] }> {
    let applied = 0;
    for (let pass = 0; pass < GLOBAL_PASSES_PER_ROUND; pass++) {
      const moved = (await this.readGlobals(sub)).filter((g) => g.page.nextOffset > g.offset);
      applied += moved.reduce((n, g) => n + g.page.count, 0);
      if (moved.every((g) => g.page.nextOffset >= g.page.highWatermark))
        return { applied, caughtUp: true, last: moved };
      this.commit(topology, sub, [], moved);
      this.crashes.pass("after-commit");
    }
    return { applied, caughtUp: false, last: [] };
  }

  /** Reads from `offset` (on the partition's leader), or from the log start when retention removed the records there. */
  private async read(topic: TopicMeta, partition: number, offset: number): Promise<FetchSuccess> {
    const page = await readPartitionOrStart(this.env, topic, partition, {
      offset,
      waitMs: 0,
      maxRecords: BATCH_RECORDS,
      maxBytes: BATCH_BYTES,
      form: "stored",
    });
    if (!page.ok) throw new Error(`reading ${topic.name}/${partition} failed: ${page.code} ${page.message}`);
    return page;
  }

  /**
   * Applies a round's global table pages to the copy and processes its batches (one per source
   * read), and commits their effects, offsets and outputs atomically.
   */
  private commit(
    topology: Topology,
    sub: SubTopology,
    batches: (SourceBatch & { nextOffset: number })[],
    globals: GlobalPage[],
  ) {
    const outputs = new Map<string, OutputTopic>([...this.topics].map(([name, t]) => [name, t]));
    this.ctx.storage.transactionSync(() => {
      let globalSkipped = 0;
      for (const { topic, partition, page } of globals) {
        if (page.count > 0) {
          const records = JSON.parse(page.records) as InputRecord[];
          globalSkipped += processGlobalBatch(topology, topic, records, this.store).skipped;
        }
        this.store.setGlobalOffset(topic, partition, page.nextOffset);
      }
      const c = this.counters();
      if (batches.length === 0) {
        if (globalSkipped > 0) {
          this.store.setMeta(
            "counters",
            JSON.stringify({ ...c, skipped: c.skipped + globalSkipped } satisfies TaskCounters),
          );
        }
      } else {
        const result = processBatches(topology, sub.id, batches, this.store, this.streamTime());
        for (const b of batches) this.store.setOffset(b.topic, b.nextOffset);
        this.store.setMeta("streamTime", String(result.streamTime));
        this.store.setMeta(
          "counters",
          JSON.stringify({
            ...c,
            processed: c.processed + result.processed,
            late: c.late + result.late,
            skipped: c.skipped + result.skipped + globalSkipped,
            deduped: c.deduped + result.deduped,
            produced: c.produced + result.outputs.length,
            batches: c.batches + 1,
          } satisfies TaskCounters),
        );
        const take = (topicId: string, partition: number, count: number) =>
          this.store.takeSequence(topicId, partition, count);
        for (const batch of planOutbox(result.outputs, outputs, take)) this.store.addToOutbox(batch);
      }
      // Thrown inside the transaction: nothing of the batch is kept.
      this.crashes.pass("before-commit");
    });
  }

  /**
   * Appends the outbox, in order per output partition (partitions in parallel). A batch leaves
   * the outbox only once its partition has it; any failure leaves it for the next round.
   */
  private async flush(producer: ProducerId): Promise<void> {
    const byPartition = new Map<string, OutboxBatch[]>();
    for (const b of this.store.outbox()) {
      const k = `${b.topicId}/${b.partition}`;
      byPartition.set(k, [...(byPartition.get(k) ?? []), b]);
    }
    const failures = await Promise.all(
      [...byPartition.values()].map(async (batches) => {
        for (const b of batches) {
          const failed = await this.append(b, { ...producer, sequence: b.sequence });
          if (failed) return failed;
          this.crashes.pass("after-produce");
          this.store.removeFromOutbox(b.id);
        }
        return undefined;
      }),
    );
    const failed = failures.find((f): f is Failure => f !== undefined);
    if (failed) throw new Error(`producing to an output partition failed: ${failed.code} ${failed.message}`);
  }

  /** Appends one outbox batch on its partition's leader, waiting for all in-sync replicas. */
  private async append(b: OutboxBatch, producer: ProducerStamp): Promise<Failure | undefined> {
    const topic = this.topics.get(b.topic);
    if (!topic || topic.id !== b.topicId) {
      // The topic was deleted (and maybe created again) since: that incarnation takes nothing.
      console.error(`stream task: dropping ${b.records.length} outputs for deleted topic '${b.topic}'`);
      return undefined;
    }
    const appended = await appendToTopic(this.env, topic, b.records, { partition: b.partition, producer, acks: "all" });
    return appended.ok ? undefined : appended;
  }

  /**
   * The task's producer id: taken once from the Controller and kept, so every round and every
   * restart sends with the same id and epoch and the sequences go on where they were.
   */
  private async producer(id: TaskIdentity): Promise<ProducerId> {
    const kept = this.store.getMeta("producer");
    if (kept) return JSON.parse(kept) as ProducerId;
    const producer = await controllerStub(this.env).initProducer(
      `stream-task/${id.app}/${id.subTopology}/${id.partition}`,
    );
    this.store.setMeta("producer", JSON.stringify(producer));
    return producer;
  }

  /** Source, sink and late-records topics, created when an output topic is missing. */
  private async resolveTopics(topology: Topology, sub: SubTopology, partition: number): Promise<void> {
    if (this.topics.size > 0 && Date.now() - this.topicsAt < TOPICS_TTL_MS) return;
    const topics = new Map<string, TopicMeta>();
    for (const name of sub.sources) {
      const found = await topicMeta(this.env, name, true);
      if (!found.ok) throw new Error(`source topic '${name}' of app '${topology.app}': ${found.message}`);
      if (partition >= found.topic.partitions) {
        throw new Error(`source topic '${name}' has no partition ${partition} (it has ${found.topic.partitions})`);
      }
      topics.set(name, found.topic);
    }
    const globals = new Map<string, TopicMeta>();
    for (const name of sub.globalTopics) {
      const found = await topicMeta(this.env, name, true);
      if (!found.ok) throw new Error(`global table topic '${name}' of app '${topology.app}': ${found.message}`);
      globals.set(name, found.topic);
    }
    const replication = topics.get(sub.sources[0]!)?.replicationFactor ?? 1;
    // Only windows can be late: a sub-topology without them never writes late records.
    const windowed = sub.nodeIds.some((id) => {
      const n = topology.nodes[id]!;
      return (n.kind === "aggregate" && n.windows !== undefined) || n.kind === "streamJoin";
    });
    for (const name of new Set([...sub.sinks, ...(windowed ? [topology.lateRecordsTopic] : [])])) {
      const found = await ensureTopic(this.env, name, { replicationFactor: replication });
      if (!found.ok) throw new Error(`output topic '${name}' of app '${topology.app}': ${found.message}`);
      topics.set(name, found.topic);
    }
    this.topics = topics;
    this.globalTopics = globals;
    this.topicsAt = Date.now();
  }

  private faultsInjected(): number {
    return Number(this.store.getMeta("faultsInjected") ?? 0);
  }

  private streamTime(): number {
    return Number(this.store.getMeta("streamTime") ?? -1);
  }

  private counters(): TaskCounters {
    const kept = this.store.getMeta("counters");
    return kept ? (JSON.parse(kept) as TaskCounters) : { ...NO_COUNTERS };
  }
}
