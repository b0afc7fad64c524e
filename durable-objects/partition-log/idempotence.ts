/**
 * Idempotent produce, as pure functions: the decision for a batch that carries a producer id,
 * epoch and sequence, given what the partition remembers of that producer. As in Kafka, each
 * partition keeps, per producer, its epoch, the next expected sequence and its last few
 * batches, so a retried batch answers with the offsets it got the first time.
 */
import { type Failure, failure } from "../../sdk/protocol/errors.ts";
import type { ProducerStamp } from "../../sdk/protocol/schemas.ts";

export interface RememberedBatch {
  sequence: number;
  count: number;
  baseOffset: number;
  appendTime: number;
}

export interface ProducerState {
  epoch: number;
  nextSequence: number;
  /** The most recent batches, oldest first. */
  recent: RememberedBatch[];
}

/** How many batches per producer a partition remembers for answering retries (Kafka: 5). */
export const REMEMBERED_BATCHES = 5;

export type SequenceDecision = { kind: "append" } | { kind: "duplicate"; batch: RememberedBatch } | Failure;

export function decide(state: ProducerState | undefined, stamp: ProducerStamp, count: number): SequenceDecision {
  if (state && stamp.epoch < state.epoch) {
    return failure(
      "PRODUCER_FENCED",
      `producer ${stamp.id} epoch ${stamp.epoch} was fenced by epoch ${state.epoch}: a newer producer with the same transactional id took over`,
      { producerId: stamp.id, epoch: stamp.epoch, currentEpoch: state.epoch },
    );
  }
  const fresh = !state || stamp.epoch > state.epoch;
  const expected = fresh ? 0 : state.nextSequence;
  if (!fresh) {
    const seen = state.recent.find((b) => b.sequence === stamp.sequence);
    if (seen) {
      if (seen.count !== count) {
        return failure(
          "INVALID_REQUEST",
          `producer ${stamp.id} sent sequence ${stamp.sequence} before with ${seen.count} records, now with ${count}`,
          { producerId: stamp.id, sequence: stamp.sequence },
        );
      }
      return { kind: "duplicate", batch: seen };
    }
  }
  if (stamp.sequence !== expected) {
    return failure(
      "OUT_OF_ORDER_SEQUENCE_NUMBER",
      `producer ${stamp.id} sent sequence ${stamp.sequence} where ${expected} was expected${stamp.sequence > expected ? " (a batch is missing)" : " (too old to be answered again)"}`,
      { producerId: stamp.id, expectedSequence: expected, sequence: stamp.sequence },
    );
  }
  return { kind: "append" };
}

/** The producer's state after `batch` was appended. */
export function afterAppend(
  state: ProducerState | undefined,
  stamp: ProducerStamp,
  batch: RememberedBatch,
): ProducerState {
  const keep = state && state.epoch === stamp.epoch ? state.recent : [];
  return {
    epoch: stamp.epoch,
    nextSequence: stamp.sequence + batch.count,
    recent: [...keep, batch].slice(-REMEMBERED_BATCHES),
  };
}
