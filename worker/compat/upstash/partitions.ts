/**
 * Reading partitions for fetch and consume: against the topic's current metadata (a topic
 * deleted and created again is on new objects), with offsets out of range handed to the caller,
 * and a long poll over several partitions that answers as soon as one of them has records.
 */
import { readPartition } from "../../../cluster/reads.ts";
import type { Failure } from "../../../sdk/protocol/errors.ts";
import type { FetchedRecord } from "../../../sdk/protocol/schemas.ts";
import { unwrap } from "../../errors.ts";

/** Per partition and request, as Kafka's max.poll.records and max.partition.fetch.bytes. */
const MAX_RECORDS = 500;
const MAX_BYTES = 1024 * 1024;

export interface PartitionTarget {
  topic: string;
  partition: number;
  offset: number;
}

export interface PartitionPage extends PartitionTarget {
  records: FetchedRecord[];
  /** Where reading goes on: after the last record, or the (possibly reset) offset read from. */
  nextOffset: number;
}

/** Where to read instead of an offset out of range (or throw); fetch has no such policy. */
export type OutOfRange = (target: PartitionTarget, failure: Failure) => number;

async function readPage(
  env: Env,
  target: PartitionTarget,
  waitMs: number,
  outOfRange?: OutOfRange,
): Promise<PartitionPage> {
  const read = (offset: number) =>
    readPartition(env, target.topic, target.partition, {
      offset,
      maxRecords: MAX_RECORDS,
      maxBytes: MAX_BYTES,
      waitMs,
    });
  let offset = target.offset;
  let page = await read(offset);
  if (!page.ok && page.code === "OFFSET_OUT_OF_RANGE" && outOfRange) {
    offset = outOfRange(target, page);
    page = await read(offset);
  }
  const { records, nextOffset } = unwrap(page);
  return { ...target, offset, records: JSON.parse(records) as FetchedRecord[], nextOffset };
}

/**
 * Reads every target; when none has records, waits up to `waitMs` on all of them at once and
 * answers as soon as one has some (the others answer what they had: nothing).
 */
export async function pollPartitions(
  env: Env,
  targets: PartitionTarget[],
  waitMs: number,
  outOfRange?: OutOfRange,
): Promise<PartitionPage[]> {
  if (targets.length === 0) {
    // Nothing assigned (yet): wait as a Kafka poll would, so clients do not spin.
    await new Promise((r) => setTimeout(r, waitMs));
    return [];
  }
  const first = await Promise.all(targets.map((t) => readPage(env, t, 0, outOfRange)));
  if (waitMs === 0 || first.some((p) => p.records.length > 0)) return first;
  return new Promise((resolve, reject) => {
    const pages = [...first];
    let waiting = pages.length;
    first.forEach((p, i) => {
      readPage(env, { topic: p.topic, partition: p.partition, offset: p.nextOffset }, waitMs, outOfRange).then(
        (page) => {
          pages[i] = page;
          waiting--;
          if (page.records.length > 0 || waiting === 0) resolve([...pages]);
        },
        reject,
      );
    });
  });
}
