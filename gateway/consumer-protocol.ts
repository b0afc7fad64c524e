/**
 * Kafka's consumer protocol (protocol type "consumer"): the subscription and assignment bytes
 * that consumers put in JoinGroup and SyncGroup. The gateway passes a classic group's bytes on
 * untouched; it writes them only to describe the members of a group of Tributary's own
 * consumers (whose subscriptions and assignments Tributary knows as topics and partitions), so
 * that Kafka tools can read them. Version 0 of both structures, which every client reads.
 */
import { Writer } from "@platformatic/kafka";

export function subscriptionBytes(topics: readonly string[]): Buffer {
  const w = Writer.create().appendInt16(0).appendInt32(topics.length);
  for (const t of topics) w.appendString(t, false);
  return w.appendBytes(null, false).buffer;
}

export function assignmentBytes(assignments: readonly { topic: string; partition: number }[]): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const a of assignments) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a.partition]);
  const w = Writer.create().appendInt16(0).appendInt32(byTopic.size);
  for (const [topic, partitions] of byTopic) {
    w.appendString(topic, false).appendInt32(partitions.length);
    for (const p of partitions) w.appendInt32(p);
  }
  return w.appendBytes(null, false).buffer;
}
