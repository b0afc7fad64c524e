/**
 * Topic administration: create, list, describe, change and delete topics, look up offsets, and
 * delete the records at the start of partitions; scoped tokens: issue, list, revoke, and who
 * the client's own token is; consumer groups: list, describe, their offsets, reset and delete;
 * stream apps: list, describe, and query their stores; and queues: a queue group's figures,
 * and redriving its dead letters.
 */
import { z } from "zod";
import type { Transport } from "./http.ts";
import { checkTopic, groupIdOption, intIn, parseOptions, partitionOption, topicOption } from "./options.ts";
import { groupPath, partitionPath, topicPath } from "./paths.ts";
import {
  type AppDescription,
  type AppSummary,
  appDescriptionSchema,
  appListAnswerSchema,
  type CreatedToken,
  type CreateTokenOptions,
  createdTokenSchema,
  type DeleteRecordsAnswer,
  deleteGroupAnswerSchema,
  deleteRecordsAnswerSchema,
  deleteTopicAnswerSchema,
  type GroupDescriptionAnswer,
  type GroupSummary,
  groupDescriptionSchema,
  groupListAnswerSchema,
  groupOffsetsAnswerSchema,
  type OffsetAnswer,
  offsetAnswerSchema,
  type PartitionLag,
  type QueueStats,
  queueStatsAnswerSchema,
  type RedriveAnswer,
  redriveAnswerSchema,
  revokeTokenAnswerSchema,
  type StoreEntry,
  storeQueryAnswerSchema,
  type TokenInfo,
  type TopicConfigInput,
  type TopicDescription,
  type TopicSummary,
  tokenListAnswerSchema,
  topicDescriptionSchema,
  topicListAnswerSchema,
  type Whoami,
  whoamiAnswerSchema,
} from "./protocol/schemas.ts";

export type {
  Acl,
  AclOperation,
  AclResource,
  AppDescription,
  AppSummary,
  AppTask,
  CreatedToken,
  CreateTokenOptions,
  DeleteRecordsAnswer,
  GroupDescriptionAnswer as GroupDescription,
  GroupSummary,
  OffsetAnswer,
  PartitionInfo,
  PartitionLag,
  QueuePartitionStats,
  QueueStats,
  RedriveAnswer,
  StoreEntry,
  TokenInfo,
  TokenQuota,
  TopicDescription,
  TopicSummary,
  Whoami,
} from "./protocol/schemas.ts";

/** What `createTopic` takes. Defaults: 1 partition, replication factor 3, the server's config. */
export interface CreateTopicOptions {
  topic: string;
  partitions?: number;
  replicationFactor?: number;
  config?: TopicConfigInput;
}

/** What `updateTopic` takes: a larger partition count, config to change, or both. */
export interface UpdateTopicOptions {
  partitions?: number;
  config?: TopicConfigInput;
}

/** The offsets of one partition: `low` is its log start, `high` its high watermark. */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
}

/** Which offset `fetchOffset` looks up: the log start, the high watermark, or a time. */
export type OffsetSpec = "earliest" | "latest" | number | Date;

/** What `fetchOffset` takes. */
export interface FetchOffsetOptions {
  topic: string;
  partition: number;
  /**
   * `"earliest"`: the log start offset. `"latest"`: the high watermark (the next record's
   * offset). A time (ms since epoch, or a Date): the first offset whose timestamp is at or
   * after it, or the high watermark when there is none.
   */
  at: OffsetSpec;
}

/**
 * What `deleteTopicRecords` takes (kafkajs's shape): per partition, the offset before which every
 * record goes (-1: the high watermark, deleting everything).
 */
export interface DeleteTopicRecordsOptions {
  topic: string;
  partitions: { partition: number; offset: number }[];
}

/** What `fetchGroupOffsets` takes: the group, and a topic to keep to (default: every topic it committed). */
export interface FetchGroupOffsetsOptions {
  groupId: string;
  topic?: string;
}

/** Where `resetGroupOffsets` moves a group's offsets of a topic: the log start, the high watermark, a time or an offset. */
export type ResetTarget = "earliest" | "latest" | { timestamp: number } | { offset: number };

/** What `resetGroupOffsets` takes. The group must have no member reading the topic. */
export interface ResetGroupOffsetsOptions {
  groupId: string;
  topic: string;
  to: ResetTarget;
}

/** What `queryStore` takes: the app and store, and a key and/or a window range (ms) to keep to. */
export interface QueryStoreOptions {
  app: string;
  store: string;
  key?: string;
  /** Windows starting at or after this time (ms since epoch). */
  from?: number;
  /** Windows starting at or before this time (ms since epoch). */
  to?: number;
  /** At most this many entries (1 to 10000; the server's default is 1000). */
  limit?: number;
}

/** What `redriveQueue` takes: the queue group, its topic if it has several, and how many records at most. */
export interface RedriveQueueOptions {
  group: string;
  /** The queue's topic; needed only when the group reads several topics as queues. */
  topic?: string;
  /** Records moved back by this call, 1 to 10000. Default 1000. */
  maxRecords?: number;
}

/** Topic administration, made by `client.admin()`. */
export interface Admin {
  /** Creates a topic; throws `TOPIC_ALREADY_EXISTS` if the name is taken. */
  createTopic(options: CreateTopicOptions): Promise<TopicDescription>;
  /** Every topic, by name. */
  listTopics(): Promise<TopicSummary[]>;
  /** A topic's config and partitions; throws `UNKNOWN_TOPIC_OR_PARTITION` if there is none. */
  describeTopic(topic: string): Promise<TopicDescription>;
  /** Changes a topic's config and/or raises its partition count (it never goes down). */
  updateTopic(topic: string, options: UpdateTopicOptions): Promise<TopicDescription>;
  /** Raises a topic's partition count to `count` (kafkajs's name for it). */
  createPartitions(options: { topic: string; count: number }): Promise<TopicDescription>;
  /** Deletes a topic and all its records. */
  deleteTopic(topic: string): Promise<void>;
  /** The low and high offsets of every partition of a topic. */
  fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Looks up one offset of a partition: earliest, latest, or the first at or after a time. */
  fetchOffset(options: FetchOffsetOptions): Promise<OffsetAnswer>;
  /**
   * Issues a scoped token (needs `alter` on the cluster). The secret is in the answer's `token`,
   * this once: the server keeps only its hash.
   *
   * @example
   * const { token } = await admin.createToken({
   *   name: "web ingest",
   *   acls: [{ resource: "topic", pattern: "web-events", operations: ["write"] }],
   *   quota: { recordsPerSecond: 200 },
   * });
   */
  createToken(options: CreateTokenOptions): Promise<CreatedToken>;
  /** Every scoped token, without secrets (needs `alter` on the cluster). */
  listTokens(): Promise<TokenInfo[]>;
  /** Revokes a token by id: every worker refuses it within seconds (needs `alter` on the cluster). */
  revokeToken(id: string): Promise<void>;
  /** Who the client's token is: its name, ACLs, expiry, and whether it is a superuser. */
  whoami(): Promise<Whoami>;
  /**
   * Kafka's DeleteRecords: moves each partition's log start up to the offset given, removing the
   * records below it. Answers each partition's new log start offset.
   *
   * @example
   * await admin.deleteTopicRecords({ topic: "orders", partitions: [{ partition: 0, offset: 120 }] });
   */
  deleteTopicRecords(options: DeleteTopicRecordsOptions): Promise<DeleteRecordsAnswer[]>;

  // ---- Consumer groups ----

  /** Every consumer group the token may describe, with its state, members and generation. */
  listGroups(): Promise<GroupSummary[]>;
  /** A group's members, their assignments and its lag; throws `GROUP_ID_NOT_FOUND` if there is none. */
  describeGroup(groupId: string): Promise<GroupDescriptionAnswer>;
  /**
   * A group's committed offsets, per partition, with each partition's high watermark and the lag.
   *
   * @example
   * const offsets = await admin.fetchGroupOffsets({ groupId: "billing", topic: "orders" });
   * for (const o of offsets) console.log(o.partition, o.committed, o.lag);
   */
  fetchGroupOffsets(options: FetchGroupOffsetsOptions): Promise<PartitionLag[]>;
  /**
   * Moves a group's offsets of a topic (every partition) to the log start, the high watermark, a
   * time or an offset; throws `NON_EMPTY_GROUP` while members read the topic. Answers the new offsets.
   *
   * @example
   * await admin.resetGroupOffsets({ groupId: "billing", topic: "orders", to: "earliest" });
   */
  resetGroupOffsets(options: ResetGroupOffsetsOptions): Promise<PartitionLag[]>;
  /** Deletes a group and its committed offsets; throws `NON_EMPTY_GROUP` while it has members. */
  deleteGroup(groupId: string): Promise<void>;

  // ---- Stream apps ----

  /** The stream apps of the deployment the token may describe (listing them starts them). */
  listApps(): Promise<AppSummary[]>;
  /** A stream app's tasks (offsets, lag, counters, last error) and its topology. */
  describeApp(app: string): Promise<AppDescription>;
  /**
   * Entries of a stream app's store (an interactive query): by key, by window range, or all.
   *
   * @example
   * const entries = await admin.queryStore({ app: "ad-clicks", store: "clicks-per-minute", key: "ad-42" });
   */
  queryStore(options: QueryStoreOptions): Promise<StoreEntry[]>;

  // ---- queues ----

  /**
   * A queue group's config and figures: records not delivered yet (`backlog`), leased
   * (`inFlight`), waiting out a nack's delay (`delayed`) or due again (`redeliverable`), and the
   * counts of redeliveries, acks and dead letters; in all and per partition. Throws
   * `GROUP_ID_NOT_FOUND` or `INCONSISTENT_GROUP_PROTOCOL` when the group is not a queue.
   *
   * @example
   * const { backlog, inFlight, deadLettered } = await admin.queueStats("thumbnailers");
   */
  queueStats(group: string, options?: { topic?: string }): Promise<QueueStats>;
  /**
   * Moves up to `maxRecords` of the group's dead letters back to the queue's topic, without
   * their `x-dlq-*` headers, to be received again. Where it got to is kept by the server, so a
   * call after a failure goes on from there (at least once: a failure between the append and
   * keeping the position moves those records back twice).
   *
   * @example
   * let left = 1;
   * while (left > 0) ({ remaining: left } = await admin.redriveQueue({ group: "thumbnailers" }));
   */
  redriveQueue(options: RedriveQueueOptions): Promise<RedriveAnswer>;
}

const createTopicOptions = z.strictObject({
  topic: topicOption,
  partitions: z.unknown().optional(),
  replicationFactor: z.unknown().optional(),
  config: z.unknown().optional(),
});

const deleteTopicRecordsOptions = z.strictObject({
  topic: topicOption,
  partitions: z.array(z.strictObject({ partition: partitionOption, offset: z.union([z.literal(-1), z.int().min(0)]) })),
});

const fetchOffsetOptions = z.strictObject({
  topic: topicOption,
  partition: partitionOption,
  at: z.union([z.literal("earliest"), z.literal("latest"), z.int().min(0), z.date()], {
    error: 'must be "earliest", "latest", a timestamp in ms or a Date',
  }),
});

const fetchGroupOffsetsOptions = z.strictObject({ groupId: groupIdOption, topic: topicOption.optional() });

const resetGroupOffsetsOptions = z.strictObject({
  groupId: groupIdOption,
  topic: topicOption,
  to: z.union(
    [
      z.literal("earliest"),
      z.literal("latest"),
      z.strictObject({ timestamp: z.int().min(0) }),
      z.strictObject({ offset: z.int().min(0) }),
    ],
    { error: 'must be "earliest", "latest", { timestamp } or { offset }' },
  ),
});

const appName = z.string({ error: "must be an app name (a string)" }).min(1, "must not be empty");

const queryStoreOptions = z.strictObject({
  app: appName,
  store: appName,
  key: z.string({ error: "must be a string" }).optional(),
  from: z.int({ error: "must be a time in ms" }).optional(),
  to: z.int({ error: "must be a time in ms" }).optional(),
  limit: intIn(1, 10_000).optional(),
});

const checkGroup = (groupId: unknown, where: string): string =>
  parseOptions(z.strictObject({ groupId: groupIdOption }), { groupId }, where).groupId;

const queueStatsOptions = z.strictObject({ topic: topicOption.optional() });

const redriveQueueOptions = z.strictObject({
  group: groupIdOption,
  topic: topicOption.optional(),
  maxRecords: intIn(1, 10_000).optional(),
});

/** Looks up one offset of a partition (options already checked); also how a reader resolves "earliest". */
export function lookupOffset(
  transport: Transport,
  { topic, partition, at }: FetchOffsetOptions,
  signal?: AbortSignal,
): Promise<OffsetAnswer> {
  return transport.request(
    {
      method: "GET",
      path: `${partitionPath(topic, partition)}/offsets`,
      query: { at: at instanceof Date ? at.getTime() : at },
      signal,
    },
    offsetAnswerSchema,
  );
}

/** Makes the admin API over `transport`. */
export function createAdmin(transport: Transport): Admin {
  const describeTopic = async (topic: string) =>
    transport.request(
      { method: "GET", path: topicPath(checkTopic(topic, "admin.describeTopic")) },
      topicDescriptionSchema,
    );

  const updateTopic = async (topic: string, options: UpdateTopicOptions) =>
    transport.request(
      { method: "PATCH", path: topicPath(checkTopic(topic, "admin.updateTopic")), body: options },
      topicDescriptionSchema,
    );

  return {
    // Only the name is checked here (it may end up in URLs); the server checks the rest and
    // says which field is wrong.
    async createTopic(options) {
      const { topic, ...rest } = parseOptions(createTopicOptions, options, "admin.createTopic");
      return transport.request(
        { method: "POST", path: "v1/topics", body: { name: topic, ...rest } },
        topicDescriptionSchema,
      );
    },

    async listTopics() {
      const { topics } = await transport.request({ method: "GET", path: "v1/topics" }, topicListAnswerSchema);
      return topics;
    },

    describeTopic,
    updateTopic,

    async createPartitions({ topic, count }) {
      return updateTopic(topic, { partitions: count });
    },

    async deleteTopic(topic) {
      await transport.request(
        { method: "DELETE", path: topicPath(checkTopic(topic, "admin.deleteTopic")) },
        deleteTopicAnswerSchema,
      );
    },

    async fetchTopicOffsets(topic) {
      const { partitions } = await describeTopic(topic);
      return partitions.map((p) => ({ partition: p.partition, low: p.logStartOffset, high: p.highWatermark }));
    },

    async fetchOffset(options) {
      return lookupOffset(transport, parseOptions(fetchOffsetOptions, options, "admin.fetchOffset"));
    },

    // The server validates the ACLs and says which one is wrong.
    async createToken(options) {
      return transport.request({ method: "POST", path: "v1/tokens", body: options }, createdTokenSchema);
    },

    async listTokens() {
      const { tokens } = await transport.request({ method: "GET", path: "v1/tokens" }, tokenListAnswerSchema);
      return tokens;
    },

    async revokeToken(id) {
      await transport.request(
        { method: "DELETE", path: `v1/tokens/${encodeURIComponent(id)}` },
        revokeTokenAnswerSchema,
      );
    },

    async whoami() {
      return transport.request({ method: "GET", path: "v1/token" }, whoamiAnswerSchema);
    },

    async deleteTopicRecords(options) {
      const { topic, partitions } = parseOptions(deleteTopicRecordsOptions, options, "admin.deleteTopicRecords");
      return Promise.all(
        partitions.map(({ partition, offset }) =>
          transport.request(
            {
              method: "POST",
              path: `${partitionPath(topic, partition)}/delete-records`,
              body: { beforeOffset: offset },
            },
            deleteRecordsAnswerSchema,
          ),
        ),
      );
    },

    // ---- Consumer groups ----

    async listGroups() {
      const { groups } = await transport.request({ method: "GET", path: "v1/groups" }, groupListAnswerSchema);
      return groups;
    },

    async describeGroup(groupId) {
      return transport.request(
        { method: "GET", path: groupPath(checkGroup(groupId, "admin.describeGroup")) },
        groupDescriptionSchema,
      );
    },

    async fetchGroupOffsets(options) {
      const { groupId, topic } = parseOptions(fetchGroupOffsetsOptions, options, "admin.fetchGroupOffsets");
      const { offsets } = await transport.request(
        { method: "GET", path: `${groupPath(groupId)}/offsets`, query: { topic } },
        groupOffsetsAnswerSchema,
      );
      return offsets;
    },

    async resetGroupOffsets(options) {
      const { groupId, topic, to } = parseOptions(resetGroupOffsetsOptions, options, "admin.resetGroupOffsets");
      const { offsets } = await transport.request(
        { method: "POST", path: `${groupPath(groupId)}/offsets/reset`, body: { topic, to } },
        groupOffsetsAnswerSchema,
      );
      return offsets;
    },

    async deleteGroup(groupId) {
      await transport.request(
        { method: "DELETE", path: groupPath(checkGroup(groupId, "admin.deleteGroup")) },
        deleteGroupAnswerSchema,
      );
    },

    // ---- Stream apps ----

    async listApps() {
      const { apps } = await transport.request({ method: "GET", path: "v1/apps" }, appListAnswerSchema);
      return apps;
    },

    async describeApp(app) {
      const name = parseOptions(z.strictObject({ app: appName }), { app }, "admin.describeApp").app;
      return transport.request({ method: "GET", path: `v1/apps/${encodeURIComponent(name)}` }, appDescriptionSchema);
    },

    async queryStore(options) {
      const { app, store, ...query } = parseOptions(queryStoreOptions, options, "admin.queryStore");
      const { entries } = await transport.request(
        {
          method: "GET",
          path: `v1/apps/${encodeURIComponent(app)}/stores/${encodeURIComponent(store)}`,
          query,
        },
        storeQueryAnswerSchema,
      );
      return entries;
    },

    async queueStats(group, options = {}) {
      const id = parseOptions(groupIdOption, group, "admin.queueStats: group");
      const { topic } = parseOptions(queueStatsOptions, options, "admin.queueStats");
      return transport.request(
        { method: "GET", path: `${groupPath(id)}/queue`, query: { topic } },
        queueStatsAnswerSchema,
      );
    },

    async redriveQueue(options) {
      const { group, ...body } = parseOptions(redriveQueueOptions, options, "admin.redriveQueue");
      return transport.request(
        { method: "POST", path: `${groupPath(group)}/queue/redrive`, body },
        redriveAnswerSchema,
      );
    },
  };
}
