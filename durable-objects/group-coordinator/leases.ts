/**
 * Queue mode's leases as pure functions and types: a received record gets a lease (delivery
 * count, visibility deadline, receipt); an ack deletes it; a nack or an expired deadline makes
 * it deliverable again; past maxDeliveries it goes to the dead-letter topic. queue-store.ts
 * keeps the leases, queue-mode.ts applies these rules; unit tests check them alone.
 */
import type { ProduceRecord } from "../../sdk/protocol/schemas.ts";

export const DEFAULT_MAX_DELIVERIES = 5;

export interface QueueConfig {
  topic: string;
  maxDeliveries: number;
  deadLetterTopic: string;
}

export interface Lease {
  topic: string;
  partition: number;
  offset: number;
  /** The record as fetched (JSON text). */
  record: string;
  deliveryCount: number;
  visibleAt: number;
  receipt: string;
  lastError: string | null;
  /** Whether the lease waits out a nack's delay (rather than a visibility timeout). */
  nacked?: boolean;
}

/** A topic's queue config until it is configured: five deliveries, then `<topic>.dlq`. */
export function defaultQueueConfig(topic: string): QueueConfig {
  return { topic, maxDeliveries: DEFAULT_MAX_DELIVERIES, deadLetterTopic: `${topic}.dlq` };
}

/** A receipt names one delivery of one record: stale receipts (of earlier deliveries) do nothing. */
export function makeReceipt(topic: string, partition: number, offset: number, deliveryCount: number): string {
  const nonce = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);
  return `${topic}:${partition}:${offset}:${deliveryCount}:${nonce}`;
}

export function parseReceipt(receipt: string): { topic: string; partition: number; offset: number } | undefined {
  const m = /^([a-zA-Z0-9._-]{1,249}):(\d+):(\d+):(\d+):([a-z0-9]+)$/.exec(receipt);
  if (!m) return undefined;
  return { topic: m[1]!, partition: Number(m[2]), offset: Number(m[3]) };
}

/** Whether a lease has had all its deliveries: it goes to the dead-letter topic, not out again. */
export function exhausted(lease: Lease, config: QueueConfig): boolean {
  return lease.deliveryCount >= config.maxDeliveries;
}

/** The lease of a record received for the first time. */
export function firstDelivery(
  topic: string,
  partition: number,
  record: { offset: number },
  now: number,
  visibilityTimeoutMs: number,
): Lease {
  return {
    topic,
    partition,
    offset: record.offset,
    record: JSON.stringify(record),
    deliveryCount: 1,
    visibleAt: now + visibilityTimeoutMs,
    receipt: makeReceipt(topic, partition, record.offset, 1),
    lastError: null,
  };
}

/** The next delivery of a leased record: counted, hidden again, with a new receipt. */
export function redelivery(lease: Lease, now: number, visibilityTimeoutMs: number): Lease {
  const deliveryCount = lease.deliveryCount + 1;
  return {
    ...lease,
    deliveryCount,
    visibleAt: now + visibilityTimeoutMs,
    receipt: makeReceipt(lease.topic, lease.partition, lease.offset, deliveryCount),
    nacked: false,
  };
}

/** A failed record as it goes to the dead-letter topic: as produced, with where it came from and why. */
export function deadLetterRecord(group: string, lease: Lease): ProduceRecord {
  const r = JSON.parse(lease.record) as ProduceRecord & { offset: number; partition: number };
  return {
    key: r.key,
    keyBase64: r.keyBase64,
    ...(r.valueBase64 === undefined ? { value: r.value ?? null } : { valueBase64: r.valueBase64 }),
    headers: {
      ...r.headers,
      "x-dlq-source-topic": lease.topic,
      "x-dlq-source-partition": String(lease.partition),
      "x-dlq-source-offset": String(lease.offset),
      "x-dlq-group": group,
      "x-dlq-delivery-count": String(lease.deliveryCount),
      "x-dlq-reason": lease.lastError ?? `failed ${lease.deliveryCount} deliveries`,
    },
  };
}

/** The leased records as a receive answers them (JSON text), each with its topic, receipt and delivery count. */
export function receivedJson(leases: readonly Lease[]): string {
  const parts = leases.map(
    (l) =>
      `{"topic":${JSON.stringify(l.topic)},"receipt":${JSON.stringify(l.receipt)},"deliveryCount":${l.deliveryCount},${l.record.slice(1)}`,
  );
  return `[${parts.join(",")}]`;
}

/** The partitions the leases are of, each once. */
export function touchedPartitions(leases: readonly Lease[]): { topic: string; partition: number }[] {
  const touched = new Map<string, { topic: string; partition: number }>();
  for (const l of leases) touched.set(`${l.topic}/${l.partition}`, { topic: l.topic, partition: l.partition });
  return [...touched.values()];
}
