/**
 * The consumer, in kafkajs's vocabulary: `client.consumer({ groupId })`, `subscribe({ topics })`,
 * `run({ eachMessage })`. It joins the consumer group, heartbeats in the background, consumes
 * each assigned partition in order (one loop per partition, partitions in parallel), commits
 * the offsets it processed on an interval and whenever the group rebalances, and leaves the
 * group on `disconnect()`.
 *
 * Records come by push (a WebSocket per partition) when the runtime has WebSockets, by
 * long-poll fetches otherwise (push.ts). Offsets committed are those of the next record to
 * read, as in Kafka.
 *
 * A rebalance (a heartbeat answered REBALANCE_IN_PROGRESS): stop fetching, let the handlers in
 * flight finish, commit what was processed with the old generation, join again with the same
 * member id, consume the new assignment. Partitions handed over by other members may arrive on
 * later heartbeats; they are started as they come.
 */
import { TributaryError } from "../errors.ts";
import { type GroupApi, groupApi, type TopicPartition, type TopicPartitionOffset } from "../group.ts";
import { parseOptions } from "../options.ts";
import { retryDelay, sleep } from "../retry.ts";
import {
  commitSchema,
  runSchema,
  subscribeSchema,
  topicPartitionOffsetSchema,
  topicPartitionsSchema,
} from "./arguments.ts";
import { hasCode, illegalState, toError, transient } from "./errors.ts";
import { CONSUMER_EVENTS, type ConsumerEventMap, type ConsumerEventName, ConsumerEvents } from "./events.ts";
import { FetchLoop } from "./fetch-loop.ts";
import { OffsetManager } from "./offsets.ts";
import { type ConsumerConfig, type ConsumerOptions, consumerOptionsSchema } from "./options.ts";
import { partitionKey } from "./partition-key.ts";
import { PartitionSources } from "./partition-source.ts";
import { type RunHandlers, Runner } from "./runner.ts";
import { deferred, type EndReason, type PartitionLoop, Session } from "./session.ts";
import { SubscriptionState } from "./subscription-state.ts";
import type {
  Consumer,
  ConsumerConnection,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  TopicPartitions,
} from "./types.ts";

export { NoOffsetError } from "./errors.ts";
export type { ConsumerEventMap, ConsumerEventName } from "./events.ts";
export { CONSUMER_EVENTS } from "./events.ts";
export type { AutoOffsetReset, ConsumerOptions, PushMode } from "./options.ts";
export type {
  Batch,
  Consumer,
  ConsumerConnection,
  ConsumerMessage,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  EachMessagePayload,
  TopicPartitions,
} from "./types.ts";

/** The consumer; see the `Consumer` interface. */
class GroupConsumer implements Consumer {
  readonly groupId: string;
  readonly events = CONSUMER_EVENTS;
  readonly #config: ConsumerConfig;
  readonly #connection: ConsumerConnection;
  readonly #api: GroupApi;
  readonly #heartbeatApi: GroupApi;
  readonly #sources: PartitionSources;
  readonly #subscriptions: SubscriptionState;
  readonly #events = new ConsumerEvents();
  readonly #offsets: OffsetManager;
  #fetchLoop: FetchLoop | undefined;
  #memberId: string | undefined;
  #session: Session | undefined;
  #running = false;
  /** Aborted when disconnect() is called (or the consumer crashed): no more joins. */
  #stop = new AbortController();
  /** Aborted once the consumer has left the group: heartbeats go on until then. */
  #alive = new AbortController();
  #groupLoop: Promise<void> = Promise.resolve();
  #beating: Promise<void> | undefined;
  #stopError: unknown;

  constructor(connection: ConsumerConnection, config: ConsumerConfig) {
    this.#config = config;
    this.#connection = connection;
    this.groupId = config.groupId;
    this.#api = groupApi(connection.transport, config.groupId);
    this.#heartbeatApi = groupApi(connection.onceTransport, config.groupId);
    this.#subscriptions = new SubscriptionState(config.autoOffsetReset);
    this.#offsets = new OffsetManager({
      groupId: config.groupId,
      api: this.#api,
      events: this.#events,
      autoCommit: config.autoCommit,
      autoCommitIntervalMs: config.autoCommitIntervalMs,
      resetOf: (topic) => this.#subscriptions.resetOf(topic),
    });
    this.#sources = new PartitionSources(connection, config);
  }

  get memberId(): string | undefined {
    return this.#memberId;
  }

  async subscribe(subscription: ConsumerSubscribeTopics): Promise<void> {
    const { topic, topics, fromBeginning } = parseOptions(subscribeSchema, subscription, "consumer.subscribe");
    if (this.#running) throw illegalState("consumer.subscribe: the consumer is running; subscribe before run()");
    this.#subscriptions.subscribe([...(topic === undefined ? [] : [topic]), ...(topics ?? [])], fromBeginning);
  }

  async run(config: ConsumerRunConfig): Promise<void> {
    const handlers = parseOptions(runSchema, config, "consumer.run") as RunHandlers;
    if (this.#running) throw illegalState("consumer.run: the consumer is already running");
    if (this.#subscriptions.size === 0) throw illegalState("consumer.run: subscribe to at least one topic first");
    const runner = new Runner({
      handlers,
      offsets: this.#offsets,
      subscriptions: this.#subscriptions,
      heartbeat: () => this.#heartbeat(),
      pause: (topic, partition) => {
        this.pause([{ topic, partitions: [partition] }]);
        return () => this.resume([{ topic, partitions: [partition] }]);
      },
      commitOffsets: (offsets) => this.commitOffsets(offsets),
      isRunning: () => this.#running && !this.#stop.signal.aborted,
    });
    this.#fetchLoop = new FetchLoop({
      policy: this.#connection.policy,
      subscriptions: this.#subscriptions,
      offsets: this.#offsets,
      sources: this.#sources,
      runner,
    });
    this.#running = true;
    this.#stop = new AbortController();
    this.#alive = new AbortController();
    this.#stopError = undefined;
    const started = deferred<void>();
    this.#groupLoop = this.#runGroup(started);
    void this.#heartbeats();
    await started.promise;
  }

  async commitOffsets(offsets: TopicPartitionOffset[]): Promise<void> {
    const checked = parseOptions(commitSchema, offsets, "consumer.commitOffsets");
    const session = this.#session;
    if (!session || session.reason) {
      throw illegalState(
        "consumer.commitOffsets: the consumer is not a member of the group now (not running, or rebalancing)",
      );
    }
    if (checked.length > 0) await this.#offsets.commit(session, checked);
  }

  seek(target: TopicPartitionOffset): void {
    const { topic, partition, offset } = parseOptions(topicPartitionOffsetSchema, target, "consumer.seek");
    if (!this.#subscriptions.isSubscribed(topic)) {
      throw illegalState(`consumer.seek: the consumer is not subscribed to topic '${topic}'`);
    }
    this.#subscriptions.seek(topic, partition, offset);
    this.#session?.loops.get(partitionKey(topic, partition))?.interrupt();
  }

  pause(topics: TopicPartitions[]): void {
    for (const { topic, partitions } of parseOptions(topicPartitionsSchema, topics, "consumer.pause")) {
      this.#subscriptions.pause(topic, partitions);
      this.#session?.interrupt(topic, partitions);
    }
  }

  resume(topics: TopicPartitions[]): void {
    for (const { topic, partitions } of parseOptions(topicPartitionsSchema, topics, "consumer.resume")) {
      this.#subscriptions.resume(topic, partitions);
      this.#session?.interrupt(topic, partitions);
    }
  }

  paused(): { topic: string; partitions: number[] }[] {
    const out = new Map<string, number[]>();
    for (const { topic, partition } of this.assignment()) {
      if (this.#subscriptions.isPaused(topic, partition)) out.set(topic, [...(out.get(topic) ?? []), partition]);
    }
    return [...out].map(([topic, partitions]) => ({ topic, partitions }));
  }

  assignment(): TopicPartition[] {
    const session = this.#session;
    if (!session || session.reason) return [];
    return [...session.loops.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  on<E extends ConsumerEventName>(event: E, listener: (payload: ConsumerEventMap[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  async disconnect(): Promise<void> {
    if (!this.#running) return;
    this.#stop.abort(new Error("the consumer is disconnecting"));
    this.#session?.end({ kind: "stop" });
    await this.#groupLoop;
    const error = this.#stopError;
    this.#stopError = undefined;
    if (error !== undefined) throw error;
  }

  // ---- the group ----

  /** Joins, consumes until the session ends, and again, until stopped or crashed. */
  async #runGroup(started: ReturnType<typeof deferred<void>>): Promise<void> {
    let isStarted = false;
    let attempt = 0;
    let crash: Error | undefined;
    try {
      while (!this.#stop.signal.aborted) {
        let session: Session;
        try {
          session = await this.#join();
        } catch (error) {
          if (this.#stop.signal.aborted) break;
          if (!isStarted || !transient(error)) {
            crash = toError(error);
            break;
          }
          await sleep(retryDelay(attempt++, this.#connection.policy, error), this.#stop.signal).catch(() => {});
          continue;
        }
        attempt = 0;
        void this.#offsets.autoCommit(session);
        // Started once every partition of the first assignment knows where it starts.
        const ok = await this.#fetchLoop!.start(session, [...session.loops.values()]);
        if (ok && !isStarted) {
          isStarted = true;
          started.resolve();
        }
        const reason = await session.ended;
        await this.#endSession(session, reason);
        if (reason.kind === "crash") {
          crash = reason.error;
          break;
        }
        if (reason.kind === "fenced") {
          this.#memberId = undefined;
          this.#offsets.forgetPositions();
        }
      }
    } finally {
      this.#stop.abort(new Error("the consumer stopped"));
      this.#alive.abort(new Error("the consumer stopped"));
      await this.#leave();
      this.#running = false;
      if (crash) {
        if (isStarted) this.#events.emit("consumer.crash", { groupId: this.groupId, error: crash });
        else started.reject(crash);
      } else {
        started.resolve();
      }
      this.#events.emit("consumer.stop", { groupId: this.groupId });
    }
  }

  /** Joins (again, with the member id it has), and sets up the session's partition loops. */
  async #join(): Promise<Session> {
    const request = {
      topics: this.#subscriptions.topics,
      sessionTimeoutMs: this.#config.sessionTimeoutMs,
      ...(this.#config.assignor === undefined ? {} : { assignor: this.#config.assignor }),
    };
    let answer: Awaited<ReturnType<GroupApi["join"]>>;
    try {
      answer = await this.#api.join({ ...request, memberId: this.#memberId }, this.#stop.signal);
    } catch (error) {
      // The session expired while we were away: join as a new member.
      if (!hasCode(error, "UNKNOWN_MEMBER_ID")) throw error;
      this.#memberId = undefined;
      this.#offsets.forgetPositions();
      answer = await this.#api.join(request, this.#stop.signal);
    }
    this.#memberId = answer.memberId;
    const session = new Session(answer.memberId, answer.generation);
    for (const { topic, partition } of answer.assignments) {
      session.hold(topic, partition);
    }
    // Positions of partitions handed elsewhere are forgotten: they are another member's now.
    this.#offsets.forgetOthers(session.loops);
    this.#session = session;
    this.#events.emit("consumer.group_join", {
      groupId: this.groupId,
      memberId: answer.memberId,
      generation: answer.generation,
      assignments: answer.assignments,
    });
    if (this.#stop.signal.aborted) session.end({ kind: "stop" });
    return session;
  }

  /** Stops the loops, waits for handlers in flight, and commits what they processed. */
  async #endSession(session: Session, reason: EndReason): Promise<void> {
    if (reason.kind === "rebalance") {
      this.#events.emit("consumer.rebalancing", {
        groupId: this.groupId,
        memberId: session.memberId,
        generation: session.generation,
      });
    }
    await Promise.allSettled([...session.loops.values()].map((loop) => loop.done));
    // A fenced member no longer holds its partitions: its commits would be refused.
    if (this.#config.autoCommit && reason.kind !== "fenced") {
      try {
        await this.#offsets.commitResolved(session);
      } catch (error) {
        // A rebalance's commit may be refused if the group moved on; the next owner then reads
        // some records again (at least once). A failed final commit is disconnect()'s error.
        if (reason.kind === "stop" && !hasCode(error, "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID")) {
          this.#stopError = error;
        }
      }
    }
    if (this.#session === session) this.#session = undefined;
  }

  async #leave(): Promise<void> {
    const memberId = this.#memberId;
    if (memberId === undefined) return;
    this.#memberId = undefined;
    this.#offsets.forgetPositions();
    try {
      await this.#api.leave(memberId);
    } catch (error) {
      if (!hasCode(error, "UNKNOWN_MEMBER_ID") && this.#stopError === undefined) this.#stopError = error;
    }
  }

  // ---- heartbeats and commits ----

  async #heartbeats(): Promise<void> {
    // Heartbeats go on while a disconnect waits for handlers and commits, so the member is not
    // expired meanwhile (its commit would then be refused).
    const alive = this.#alive.signal;
    while (!alive.aborted) {
      try {
        await sleep(this.#config.heartbeatIntervalMs, alive);
      } catch {
        return;
      }
      await this.#heartbeat();
    }
  }

  /** One heartbeat (or the one in flight). */
  #heartbeat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  async #beat(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    // Heartbeats go on while a session winds down: they keep the member alive meanwhile.
    // A heartbeat that hangs must not hold up the next one past the session timeout.
    const alive = this.#alive.signal;
    const cut = new AbortController();
    const onStop = () => cut.abort(alive.reason);
    alive.addEventListener("abort", onStop, { once: true });
    const timer = setTimeout(
      () => cut.abort(new Error("heartbeat timed out")),
      Math.max(500, this.#config.sessionTimeoutMs / 2),
    );
    let answer: Awaited<ReturnType<GroupApi["heartbeat"]>>;
    try {
      answer = await this.#heartbeatApi.heartbeat(session.memberId, session.generation, cut.signal);
    } catch (error) {
      if (cut.signal.aborted) return; // stopped, or timed out: the next heartbeat tries again
      if (hasCode(error, "REBALANCE_IN_PROGRESS", "ILLEGAL_GENERATION")) session.end({ kind: "rebalance" });
      else if (hasCode(error, "UNKNOWN_MEMBER_ID")) session.end({ kind: "fenced" });
      // A refusal that will not go away (a revoked token, say) ends the consumer; a server
      // error does not: the next heartbeat tries again, and an expired session is rejoined.
      else if (
        error instanceof TributaryError &&
        !error.retriable &&
        error.status !== undefined &&
        error.status < 500
      ) {
        session.end({ kind: "crash", error });
      }
      return;
    } finally {
      clearTimeout(timer);
      alive.removeEventListener("abort", onStop);
    }
    if (session.reason || this.#session !== session || answer.generation !== session.generation) return;
    // Partitions released by their previous owners since the join.
    const added: PartitionLoop[] = [];
    for (const { topic, partition } of answer.assignments) {
      const loop = session.hold(topic, partition);
      if (loop) added.push(loop);
    }
    if (added.length > 0) void this.#fetchLoop!.start(session, added);
  }
}

/** Makes a consumer (options checked now; nothing is sent until `run`). */
export function createConsumer(connection: ConsumerConnection, options: ConsumerOptions): Consumer {
  return new GroupConsumer(connection, parseOptions(consumerOptionsSchema, options, "consumer"));
}
