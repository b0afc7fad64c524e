import type { TopicConfig } from "../../sdk/protocol/schemas.ts";

/** What the Controller knows of a topic. */
export interface TopicMeta {
  name: string;
  /** Unique per creation of the name. */
  id: string;
  partitions: number;
  replicationFactor: number;
  config: TopicConfig;
  createdAt: number;
  /** With a replication factor above 1: each partition's leader, leader epoch and in-sync replicas. */
  leaders?: PartitionLeader[];
}

export interface PartitionLeader {
  leader: number;
  epoch: number;
  isr: number[];
}
