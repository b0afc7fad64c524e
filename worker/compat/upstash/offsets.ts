/**
 * The offset arithmetic of a stateless consumer instance: where each partition's reading
 * starts, what an auto commit commits, and where `autoOffsetReset` moves a position that has
 * no committed offset or has fallen out of the log.
 */
import type { MemberPosition, OffsetCommit } from "../../../cluster/rpc/group-coordinator.ts";
import { ApiError } from "../../errors.ts";
import type { OffsetReset } from "./schemas.ts";

/** Where reading goes on: the kept position, else the committed offset, else nowhere yet. */
export function startOffset(p: MemberPosition): number | undefined {
  return p.position ?? p.committed ?? undefined;
}

/** The kept positions that the committed offsets have not caught up with. */
export function uncommitted(partitions: readonly MemberPosition[]): OffsetCommit[] {
  return partitions
    .filter((p) => p.position !== null && p.position !== p.committed)
    .map((p) => ({ topic: p.topic, partition: p.partition, offset: p.position! }));
}

/** Which end of the log `autoOffsetReset` picks; `none` refuses, as Kafka's consumer does. */
export function resetEnd(
  reset: OffsetReset,
  where: { topic: string; partition: number; group: string },
  why: string,
): "earliest" | "latest" {
  if (reset !== "none") return reset;
  throw new ApiError(
    "OFFSET_OUT_OF_RANGE",
    `${why} for ${where.topic}/${where.partition} in consumer group '${where.group}' and autoOffsetReset is 'none'; commit an offset first, or consume with autoOffsetReset 'earliest' or 'latest'`,
    { topic: where.topic, partition: where.partition },
  );
}

/** The offset an out-of-range read restarts from, from the bounds the partition answered. */
export function boundFor(end: "earliest" | "latest", details: Record<string, unknown> | undefined): number {
  const bound = Number(end === "earliest" ? details?.logStartOffset : details?.highWatermark);
  if (!Number.isSafeInteger(bound)) {
    throw new Error(`an OFFSET_OUT_OF_RANGE answer without its bounds: ${JSON.stringify(details)}`);
  }
  return bound;
}
