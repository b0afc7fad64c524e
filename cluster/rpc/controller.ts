/** The Controller's RPC contract: what it knows of topics and tokens, and what creating or changing one takes. */
import type { Acl, TokenInfo, TokenQuota, TopicConfig, TopicConfigInput } from "../../sdk/protocol/schemas.ts";

/** One incarnation of a topic: enough to name its partitions' objects and find their leaders. */
export interface TopicIncarnation {
  name: string;
  /** Unique per creation of the name. */
  id: string;
  /** With a replication factor above 1: each partition's leader, leader epoch and in-sync replicas. */
  leaders?: PartitionLeader[];
}

/** What the Controller knows of a topic. */
export interface TopicMeta extends TopicIncarnation {
  partitions: number;
  replicationFactor: number;
  config: TopicConfig;
  createdAt: number;
}

export interface PartitionLeader {
  leader: number;
  epoch: number;
  isr: number[];
}

export interface CreateTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  config?: TopicConfigInput;
}

export interface UpdateTopic {
  partitions?: number;
  config?: TopicConfigInput;
}

/** A scoped token as the Controller keeps it: the SHA-256 of its secret, never the secret. */
export interface TokenRecord extends TokenInfo {
  /** Hex SHA-256 of the token's secret. */
  hash: string;
}

/** What the worker hands the Controller to store a new token (it made the secret and its hash). */
export interface NewToken {
  name: string;
  hash: string;
  acls: Acl[];
  quota?: TokenQuota;
  expiresAt?: number;
}
