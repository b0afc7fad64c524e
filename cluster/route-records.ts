/**
 * Routing records to partitions: the partition of every record (explicit, by key with Kafka's
 * murmur2, or sticky for unkeyed records), grouped per partition in request order.
 */
import { base64ToBytes } from "../sdk/base64.ts";
import { failure, type Result } from "../sdk/protocol/errors.ts";
import { partitionForKey } from "../sdk/protocol/partitioner.ts";
import type { ProduceRecord } from "../sdk/protocol/schemas.ts";

export interface PartitionBatch {
  partition: number;
  /** Positions of the batch's records in the request. */
  positions: number[];
  records: ProduceRecord[];
  maxTimestamp?: number;
  usesAppendTime: boolean;
}

// Unkeyed records without a partition stick to one partition per request, moving on to the
// next partition with the next request (Kafka's sticky partitioner, KIP-480): even spreading
// over time, one partition touched per request. The start is random per isolate.
let stickyCounter = Math.floor(Math.random() * 0x7fffffff);

/** The answer for a partition the topic does not have. */
export function noSuchPartition(topic: string, partition: number, partitions: number) {
  return failure(
    "UNKNOWN_TOPIC_OR_PARTITION",
    `topic '${topic}' has ${partitions} partitions (0 to ${partitions - 1}); partition ${partition} does not exist`,
    { topic, partition, partitions },
  );
}

/**
 * The records grouped per partition. With `onlyPartition`, every record goes there (a record
 * naming another partition is refused).
 */
export function routeRecords(
  records: readonly ProduceRecord[],
  partitions: number,
  topic: string,
  onlyPartition?: number,
): Result<{ batches: PartitionBatch[] }> {
  const batches = new Map<number, PartitionBatch>();
  let sticky: number | undefined;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    let partition: number;
    if (onlyPartition !== undefined) {
      if (r.partition !== undefined && r.partition !== onlyPartition) {
        return failure(
          "INVALID_REQUEST",
          `records[${i}].partition is ${r.partition} but the request is for partition ${onlyPartition}`,
          { field: `records[${i}].partition` },
        );
      }
      partition = onlyPartition;
    } else if (r.partition !== undefined) {
      partition = r.partition;
    } else if (r.key != null) {
      partition = partitionForKey(r.key, partitions);
    } else if (r.keyBase64 !== undefined) {
      partition = partitionForKey(base64ToBytes(r.keyBase64), partitions);
    } else {
      sticky ??= stickyCounter++ % partitions;
      partition = sticky;
    }
    if (partition >= partitions) return noSuchPartition(topic, partition, partitions);
    let batch = batches.get(partition);
    if (!batch) {
      batch = { partition, positions: [], records: [], usesAppendTime: false };
      batches.set(partition, batch);
    }
    if (r.timestamp !== undefined) {
      if (batch.maxTimestamp === undefined || r.timestamp > batch.maxTimestamp) batch.maxTimestamp = r.timestamp;
    } else {
      batch.usesAppendTime = true;
    }
    batch.positions.push(i);
    batch.records.push(r);
  }
  return { ok: true, batches: [...batches.values()] };
}
