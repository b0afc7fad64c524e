/**
 * The outbox: the records an input batch produces, cut into one batch per output partition,
 * each stamped with the task's producer sequence for that partition. The stamps are taken in
 * the transaction that commits the input offset, so a batch re-sent after a crash carries the
 * same sequence and the partition answers it as a duplicate instead of appending it again.
 */

import { routeRecords } from "../../cluster/route-records.ts";
import type { ProduceRecord } from "../../sdk/protocol/schemas.ts";
import type { OutputRecord } from "../../sdk/streams/processor.ts";

export interface OutboxBatch {
  id: number;
  topic: string;
  /** The incarnation of the topic the sequence belongs to. */
  topicId: string;
  partition: number;
  /** Producer sequence of the batch's first record. */
  sequence: number;
  records: ProduceRecord[];
}

export interface OutputTopic {
  id: string;
  partitions: number;
}

/**
 * Cuts outputs into per-partition batches in output order. `takeSequence` reserves `count`
 * sequence numbers of one partition and answers the first.
 */
export function planOutbox(
  outputs: readonly OutputRecord[],
  topics: ReadonlyMap<string, OutputTopic>,
  takeSequence: (topicId: string, partition: number, count: number) => number,
): Omit<OutboxBatch, "id">[] {
  const byTopic = new Map<string, ProduceRecord[]>();
  for (const o of outputs) {
    // Log timestamps are non-negative integers; an extractor may give anything.
    const record: ProduceRecord = { value: o.value, timestamp: Math.max(0, Math.trunc(o.timestamp)) };
    if (o.key !== undefined) record.key = o.key;
    if (o.headers) record.headers = o.headers;
    const list = byTopic.get(o.topic);
    if (list) list.push(record);
    else byTopic.set(o.topic, [record]);
  }
  const planned: Omit<OutboxBatch, "id">[] = [];
  for (const [name, records] of byTopic) {
    const topic = topics.get(name);
    if (!topic) throw new Error(`output topic '${name}' was not resolved before processing`);
    const routed = routeRecords(records, topic.partitions, name);
    // Outputs carry no partition of their own: routing them cannot fail.
    if (!routed.ok) throw new Error(routed.message);
    for (const batch of routed.batches) {
      const sequence = takeSequence(topic.id, batch.partition, batch.records.length);
      planned.push({ topic: name, topicId: topic.id, partition: batch.partition, sequence, records: batch.records });
    }
  }
  return planned;
}
