/** The Controller's RPC contract: what it knows of topics, and what creating or changing one takes. */
import type { TopicConfig, TopicConfigInput } from "../../sdk/protocol/schemas.ts";

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
