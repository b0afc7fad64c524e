/**
 * Tributary's client SDK: the only entry point (`tributary/sdk`). It depends on `fetch` and
 * zod only, so it runs on Node, Deno, Bun, browsers and Workers.
 *
 * @example
 * import { createClient, TributaryError } from "tributary/sdk";
 *
 * const client = createClient({ url: "http://127.0.0.1:8787", token: "dev-token" });
 * await client.producer().send({ topic: "clicks", messages: [{ key: "ad-42", value: { adId: "ad-42" } }] });
 */

export type {
  Acl,
  AclOperation,
  AclResource,
  Admin,
  AppDescription,
  AppSummary,
  AppTask,
  CreatedToken,
  CreateTokenOptions,
  CreateTopicOptions,
  DeleteRecordsAnswer,
  DeleteTopicRecordsOptions,
  FetchGroupOffsetsOptions,
  FetchOffsetOptions,
  GroupDescription,
  GroupSummary,
  OffsetAnswer,
  OffsetSpec,
  PartitionInfo,
  PartitionLag,
  PartitionOffsets,
  QueryStoreOptions,
  QueuePartitionStats,
  QueueStats,
  RedriveAnswer,
  RedriveQueueOptions,
  ResetGroupOffsetsOptions,
  ResetTarget,
  StoreEntry,
  TokenInfo,
  TokenQuota,
  TopicDescription,
  TopicSummary,
  UpdateTopicOptions,
  Whoami,
} from "./admin.ts";
export type {
  AdminOptions,
  ClientOptions,
  PartitionReaderOptions,
  ProducerOptions,
  TributaryClient,
} from "./client.ts";
export { createClient } from "./client.ts";
export type { CompressionType } from "./compression.ts";
export type {
  AutoOffsetReset,
  Batch,
  Consumer,
  ConsumerEventMap,
  ConsumerEventName,
  ConsumerMessage,
  ConsumerOptions,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  EachMessagePayload,
  PushMode,
  TopicPartitions,
} from "./consumer/index.ts";
export { CONSUMER_EVENTS, NoOffsetError } from "./consumer/index.ts";
export type { ClientErrorCode, TributaryErrorCode, TributaryErrorInit } from "./errors.ts";
export { OffsetOutOfRangeError, ProducerFencedError, TributaryError } from "./errors.ts";
export type { TopicPartition, TopicPartitionOffset } from "./group.ts";
export { compoundKey, saltedKey, saltedKeys, splitCompoundKey, unsaltKey } from "./hot-keys.ts";
export type { FetchFunction } from "./http.ts";
export type { Message, Producer, ProducerRecord, ProducerSettings, RecordMetadata } from "./producer/index.ts";
export type { ErrorCode } from "./protocol/errors.ts";
export type { Acks, CleanupPolicy, TopicConfig, TopicConfigInput } from "./protocol/schemas.ts";
export type { WebSocketConstructor, WebSocketLike } from "./push.ts";
export type { Queue, QueueConfig, QueueMessage, QueueOptions, QueueRunConfig, ReceiveOptions } from "./queue.ts";
export type { FetchOptions, FetchPage, PartitionReader, ReaderOptions, ReaderRecord } from "./reader.ts";
export type { RetryOptions } from "./retry.ts";
export type { RetryTopicConsumer, RetryTopicOptions, RetryTopicPayload } from "./retry-topic.ts";
export { RETRY_HEADERS } from "./retry-topic.ts";
export type {
  AggregateOptions,
  DedupeOptions,
  GlobalKTable,
  GlobalTableOptions,
  InputRecord,
  JoinOptions,
  KGroupedStream,
  KStream,
  KTable,
  OutputRecord,
  ProcessResult,
  SessionAggregateOptions,
  SessionWindowedKStream,
  SourceBatch,
  StoreOptions,
  StreamJoinOptions,
  StreamOptions,
  StreamsApp,
  TableJoinOptions,
  TableOptions,
  TimeWindowedKStream,
  Windowed,
} from "./streams/index.ts";
export {
  JoinWindows,
  MemoryStores,
  processBatch,
  processBatches,
  processGlobalBatch,
  SessionWindows,
  Suppressed,
  streamsApp,
  TimeWindows,
} from "./streams/index.ts";
