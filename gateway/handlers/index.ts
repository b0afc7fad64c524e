/**
 * The APIs the gateway serves and the versions of each: ApiVersions answers exactly these (an
 * API that is absent here is absent there, so clients do not try it). Versions go up to what
 * current clients negotiate, flexible ones included.
 */
import type { Handler } from "../context.ts";
import { alterConfigs, describeConfigs, incrementalAlterConfigs } from "./configs.ts";
import { deleteRecords } from "./delete-records.ts";
import { fetchRecords } from "./fetch.ts";
import { deleteGroups, describeGroups, listGroups } from "./group-admin.ts";
import { offsetCommit, offsetFetch } from "./group-offsets.ts";
import { findCoordinator, heartbeat, joinGroup, leaveGroup, syncGroup } from "./groups.ts";
import { listOffsets } from "./list-offsets.ts";
import { metadata } from "./metadata.ts";
import { produce } from "./produce.ts";
import { initProducerId } from "./producers.ts";
import { createPartitions, createTopics, deleteTopics } from "./topics.ts";

export const API_KEYS = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  IncrementalAlterConfigs: 44,
} as const;

export interface Served {
  min: number;
  max: number;
  /** Undefined for the APIs the connection itself answers (ApiVersions, SASL). */
  handler?: Handler;
}

const K = API_KEYS;

export const SERVED = new Map<number, Served>([
  // Record batches (message format v2) need Produce 3 and Fetch 4 at least.
  [K.Produce, { min: 3, max: 11, handler: produce }],
  [K.Fetch, { min: 4, max: 17, handler: fetchRecords }],
  [K.ListOffsets, { min: 1, max: 8, handler: listOffsets }],
  [K.Metadata, { min: 0, max: 12, handler: metadata }],
  [K.OffsetCommit, { min: 0, max: 8, handler: offsetCommit }],
  [K.OffsetFetch, { min: 0, max: 8, handler: offsetFetch }],
  [K.FindCoordinator, { min: 0, max: 4, handler: findCoordinator }],
  [K.JoinGroup, { min: 0, max: 9, handler: joinGroup }],
  [K.Heartbeat, { min: 0, max: 4, handler: heartbeat }],
  [K.LeaveGroup, { min: 0, max: 5, handler: leaveGroup }],
  [K.SyncGroup, { min: 0, max: 5, handler: syncGroup }],
  [K.DescribeGroups, { min: 0, max: 5, handler: describeGroups }],
  [K.ListGroups, { min: 0, max: 4, handler: listGroups }],
  // v0 too: librdkafka takes a broker without it for one that has no SASL at all.
  [K.SaslHandshake, { min: 0, max: 1 }],
  [K.ApiVersions, { min: 0, max: 4 }],
  [K.CreateTopics, { min: 0, max: 7, handler: createTopics }],
  [K.DeleteTopics, { min: 0, max: 6, handler: deleteTopics }],
  [K.DeleteRecords, { min: 0, max: 2, handler: deleteRecords }],
  [K.InitProducerId, { min: 0, max: 4, handler: initProducerId }],
  [K.DescribeConfigs, { min: 0, max: 4, handler: describeConfigs }],
  [K.AlterConfigs, { min: 0, max: 2, handler: alterConfigs }],
  [K.SaslAuthenticate, { min: 0, max: 2 }],
  [K.CreatePartitions, { min: 0, max: 3, handler: createPartitions }],
  [K.DeleteGroups, { min: 0, max: 2, handler: deleteGroups }],
  [K.IncrementalAlterConfigs, { min: 0, max: 1, handler: incrementalAlterConfigs }],
]);

/** The ApiVersions answer: every served API and its versions. */
export function apiVersions(errorCode = 0) {
  return {
    errorCode,
    apiKeys: [...SERVED].map(([apiKey, { min, max }]) => ({ apiKey, minVersion: min, maxVersion: max })),
    throttleTimeMs: 0,
  };
}
