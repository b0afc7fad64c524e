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
 *
 * The pieces, by concern (as kafkajs's consumer/ folder): options.ts and arguments.ts (checks),
 * types.ts and events.ts (the public surface), membership.ts (joining, rebalancing, leaving),
 * session.ts (one generation and its partition loops), heartbeat.ts, offsets.ts (starts,
 * resolved and committed offsets, commits), fetch-loop.ts and partition-source.ts (reading each
 * partition), runner.ts (eachMessage / eachBatch) and subscription-state.ts (subscriptions,
 * pauses, seeks). This file wires them.
 *
 * @example
 * const consumer = client.consumer({ groupId: "billing" });
 * await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
 * await consumer.run({
 *   eachMessage: async ({ topic, partition, message }) => {
 *     console.log(topic, partition, message.offset, message.value);
 *   },
 * });
 * await consumer.disconnect();
 */
import { type GroupApi, groupApi, type TopicPartition, type TopicPartitionOffset } from "../group.ts";
import { parseOptions } from "../options.ts";
import {
  commitSchema,
  runSchema,
  subscribeSchema,
  topicPartitionOffsetSchema,
  topicPartitionsSchema,
} from "./arguments.ts";
import { illegalState } from "./errors.ts";
import { CONSUMER_EVENTS, type ConsumerEventMap, type ConsumerEventName, ConsumerEvents } from "./events.ts";
import { FetchLoop } from "./fetch-loop.ts";
import { Membership } from "./membership.ts";
import { OffsetManager } from "./offsets.ts";
import { type ConsumerConfig, type ConsumerOptions, consumerOptionsSchema } from "./options.ts";
import { partitionKey } from "./partition-key.ts";
import { PartitionSources } from "./partition-source.ts";
import { type RunHandlers, Runner } from "./runner.ts";
import type { Session } from "./session.ts";
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

/**
 * The consumer; see the `Consumer` interface. It keeps what outlives a run (subscriptions,
 * offsets, listeners) and makes each `run()` a Membership, whose fetch loop hands records to a
 * Runner of that run's handlers.
 */
class GroupConsumer implements Consumer {
  readonly groupId: string;
  readonly events = CONSUMER_EVENTS;
  readonly #config: ConsumerConfig;
  readonly #connection: ConsumerConnection;
  readonly #api: GroupApi;
  readonly #heartbeatApi: GroupApi;
  readonly #events = new ConsumerEvents();
  readonly #subscriptions: SubscriptionState;
  readonly #offsets: OffsetManager;
  readonly #sources: PartitionSources;
  /** The current run, or the last one. */
  #membership: Membership | undefined;

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
    return this.#membership?.memberId;
  }

  get #running(): boolean {
    return this.#membership?.running ?? false;
  }

  get #session(): Session | undefined {
    return this.#membership?.session;
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
    const membership = new Membership({
      groupId: this.groupId,
      config: this.#config,
      api: this.#api,
      heartbeatApi: this.#heartbeatApi,
      policy: this.#connection.policy,
      subscriptions: this.#subscriptions,
      offsets: this.#offsets,
      events: this.#events,
    });
    const runner = new Runner({
      handlers,
      offsets: this.#offsets,
      subscriptions: this.#subscriptions,
      heartbeat: () => membership.heartbeat(),
      pause: (topic, partition) => {
        this.pause([{ topic, partitions: [partition] }]);
        return () => this.resume([{ topic, partitions: [partition] }]);
      },
      commitOffsets: (offsets) => this.commitOffsets(offsets),
      isRunning: () => membership.running && !membership.stopping,
    });
    const fetchLoop = new FetchLoop({
      policy: this.#connection.policy,
      subscriptions: this.#subscriptions,
      offsets: this.#offsets,
      sources: this.#sources,
      runner,
    });
    this.#membership = membership;
    await membership.run(fetchLoop);
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
    const membership = this.#membership;
    if (!membership?.running) return;
    const error = await membership.stop();
    if (error !== undefined) throw error;
  }
}

/** Makes a consumer (options checked now; nothing is sent until `run`). */
export function createConsumer(connection: ConsumerConnection, options: ConsumerOptions): Consumer {
  return new GroupConsumer(connection, parseOptions(consumerOptionsSchema, options, "consumer"));
}
