/**
 * Redrive: moves a queue's dead letters back to its topic, to be received again. Each page read
 * from a partition of the dead-letter topic is appended to the topic (through the cluster
 * layer), then the partition's redrive position is stored in the coordinator. A crash between
 * the two appends the page again on the next redrive: at least once, never lost.
 */
import { appendToTopic } from "../../cluster/append.ts";
import { readPartitionOrStart } from "../../cluster/reads.ts";
import { topicMeta } from "../../cluster/topic-cache.ts";
import type { Result } from "../../sdk/protocol/errors.ts";
import type { FetchedRecord, ProduceRecord, RedriveAnswer } from "../../sdk/protocol/schemas.ts";
import type { QueueConfig } from "./leases.ts";
import { redriveFrom, statusesOf } from "./queue-stats.ts";
import type { QueueStore } from "./queue-store.ts";

/** The header a redriven record carries: how many times it has been redriven. */
export const REDRIVE_COUNT_HEADER = "x-redrive-count";

const DLQ_HEADER = "x-dlq-";
const PAGE_BYTES = 4 * 1024 * 1024;

/** Whether a dead letter is the group's, from the topic (a dead-letter topic may be shared). */
export function isDeadLetterOf(record: FetchedRecord, group: string, topic: string): boolean {
  return record.headers?.["x-dlq-group"] === group && record.headers?.["x-dlq-source-topic"] === topic;
}

/**
 * A dead letter as it goes back to its topic: key, value and headers as produced, without the
 * `x-dlq-*` headers, with `x-redrive-count` one up; to the partition it came from while the
 * topic has it (else the partitioner picks one).
 */
export function redrivenRecord(record: FetchedRecord, partitions: number): ProduceRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(record.headers ?? {})) if (!k.startsWith(DLQ_HEADER)) headers[k] = v;
  headers[REDRIVE_COUNT_HEADER] = String((Number(record.headers?.[REDRIVE_COUNT_HEADER]) || 0) + 1);
  const source = Number(record.headers?.["x-dlq-source-partition"]);
  return {
    ...(record.key === undefined ? {} : { key: record.key }),
    ...(record.keyBase64 === undefined ? {} : { keyBase64: record.keyBase64 }),
    ...(record.valueBase64 === undefined ? { value: record.value ?? null } : { valueBase64: record.valueBase64 }),
    headers,
    ...(Number.isInteger(source) && source >= 0 && source < partitions ? { partition: source } : {}),
  };
}

/** Moves up to `maxRecords` of the group's dead letters back to the topic; see the file's comment. */
export async function redrive(
  env: Env,
  store: QueueStore,
  group: string,
  config: QueueConfig,
  maxRecords: number,
): Promise<Result<RedriveAnswer>> {
  const source = await topicMeta(env, config.topic);
  if (!source.ok) return source;
  const dlq = await topicMeta(env, config.deadLetterTopic);
  if (!dlq.ok) {
    return dlq.code === "UNKNOWN_TOPIC_OR_PARTITION" ? { ok: true, redriven: 0, skipped: 0, remaining: 0 } : dlq;
  }
  const statuses = await statusesOf(env, dlq.topic);
  if (!Array.isArray(statuses)) return statuses;
  const positions = store.redrivePositions(config.deadLetterTopic);
  let redriven = 0;
  let skipped = 0;
  let remaining = 0;
  for (const [partition, status] of statuses.entries()) {
    let offset = redriveFrom(positions.get(partition), status);
    // Each page moves the position on, so this ends by the high watermark or maxRecords.
    while (redriven + skipped < maxRecords && offset < status.highWatermark) {
      const page = await readPartitionOrStart(env, dlq.topic, partition, {
        offset,
        maxRecords: maxRecords - redriven - skipped,
        maxBytes: PAGE_BYTES,
        waitMs: 0,
      });
      if (!page.ok) return page;
      const back: ProduceRecord[] = [];
      for (const record of JSON.parse(page.records) as FetchedRecord[]) {
        if (isDeadLetterOf(record, group, config.topic)) back.push(redrivenRecord(record, source.topic.partitions));
        else skipped++;
      }
      if (back.length > 0) {
        const appended = await appendToTopic(env, source.topic, back);
        if (!appended.ok) return appended;
      }
      store.setRedrivePosition(config.deadLetterTopic, partition, page.nextOffset, back.length);
      redriven += back.length;
      if (page.nextOffset <= offset) break;
      offset = page.nextOffset;
    }
    remaining += Math.max(0, status.highWatermark - offset);
  }
  return { ok: true, redriven, skipped, remaining };
}
