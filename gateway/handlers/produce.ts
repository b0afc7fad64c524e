/**
 * Produce: each partition's record batches become one Tributary produce of that partition, in
 * order (a connection's requests are served one at a time, so a partition's batches keep their
 * order as on a Kafka broker). An idempotent producer's batch carries its producer id, epoch and
 * first sequence, which Tributary checks as Kafka does, so a retried batch is stored once.
 * acks 0 is served like acks 1 (to keep the order) but not answered, as Kafka does.
 */
import { partitionPath } from "../../sdk/paths.ts";
import { type ProduceRecord, produceAnswerSchema } from "../../sdk/protocol/schemas.ts";
import { TributaryError } from "../api.ts";
import { code, errorCode, errorMessage, type Handler, type RequestContext } from "../context.ts";
import type { Struct } from "../protocol/codec.ts";
import { InvalidBatch } from "../protocol/errors.ts";
import { type RecordBatch, readBatches } from "../protocol/records.ts";
import { toProduceRecord } from "../record-mapping.ts";

/** How long a throttled produce is held and retried before its client is told to retry. */
const MAX_THROTTLE_WAIT_MS = 30_000;

interface PartitionAnswer {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: never[];
  errorMessage: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The Tributary producer id of a Kafka producer id (the gateway keeps none of its own: see producers.ts). */
export const producerIdOf = (kafkaId: bigint) => kafkaId.toString();

async function produceBatch(
  ctx: RequestContext,
  topic: string,
  partition: number,
  batch: RecordBatch,
  acks: number,
  deadline: number,
): Promise<{ baseOffset: number }> {
  const records: ProduceRecord[] = batch.records.map(toProduceRecord);
  const body: Record<string, unknown> = { records, acks: acks === -1 ? "all" : 1 };
  if (batch.producerId >= 0n) {
    body.producer = { id: producerIdOf(batch.producerId), epoch: batch.producerEpoch, sequence: batch.baseSequence };
  }
  for (;;) {
    try {
      const answer = await ctx.api.request(
        { method: "POST", path: `${partitionPath(topic, partition)}/records`, body },
        produceAnswerSchema,
      );
      const results = "results" in answer ? answer.results : [];
      return { baseOffset: results[0]?.offset ?? -1 };
    } catch (err) {
      // Tributary's quota: hold the request (and so the connection) and try again, which is
      // how a Kafka client feels back pressure; past the produce's timeout it retries itself.
      const wait =
        err instanceof TributaryError && err.code === "THROTTLING_QUOTA_EXCEEDED" ? err.retryAfterMs : undefined;
      if (wait === undefined || Date.now() + wait > deadline) throw err;
      await sleep(wait);
    }
  }
}

async function producePartition(
  ctx: RequestContext,
  topic: string,
  partition: Struct,
  acks: number,
  deadline: number,
): Promise<PartitionAnswer> {
  const index = partition.index as number;
  const answer: PartitionAnswer = {
    index,
    errorCode: 0,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage: null,
  };
  try {
    const bytes = partition.records as Buffer | null;
    if (!bytes || bytes.length === 0) throw new InvalidBatch("CORRUPT_MESSAGE", "the partition's records are empty");
    const batches = readBatches(bytes, ctx.limits.maxBatchBytes);
    let first: number | undefined;
    for (const batch of batches) {
      if (batch.records.length === 0) continue;
      const { baseOffset } = await produceBatch(ctx, topic, index, batch, acks, deadline);
      first ??= baseOffset;
    }
    answer.baseOffset = BigInt(first ?? -1);
  } catch (err) {
    answer.errorCode = err instanceof InvalidBatch ? code(err.kafkaError) : errorCode(err);
    answer.errorMessage = errorMessage(err);
  }
  return answer;
}

export const produce: Handler = async (ctx, request) => {
  const acks = request.acks as number;
  if (request.transactionalId) {
    // Transactions are not supported (InitProducerId refuses a transactional id already).
    return responseOf(request, () => ({ errorCode: code("TRANSACTIONAL_ID_AUTHORIZATION_FAILED") }));
  }
  const deadline = Date.now() + Math.min(Math.max(0, request.timeoutMs as number), MAX_THROTTLE_WAIT_MS);
  // Partitions are independent: they are written in parallel (each one's batches in order).
  const responses = await Promise.all(
    (request.topicData as Struct[]).map(async (topic) => {
      const name = topic.name as string;
      const partitionResponses = await Promise.all(
        (topic.partitionData as Struct[]).map((p) => producePartition(ctx, name, p, acks, deadline)),
      );
      return { name, partitionResponses };
    }),
  );
  if (acks === 0) return undefined;
  return { responses, throttleTimeMs: 0 };
};

/** The same answer for every partition of the request (a request refused as a whole). */
function responseOf(request: Struct, partitionAnswer: () => Partial<PartitionAnswer>): Struct {
  return {
    responses: (request.topicData as Struct[]).map((t) => ({
      name: t.name,
      partitionResponses: (t.partitionData as Struct[]).map((p) => ({
        index: p.index,
        baseOffset: -1n,
        logAppendTimeMs: -1n,
        logStartOffset: -1n,
        recordErrors: [],
        errorMessage: null,
        ...partitionAnswer(),
      })),
    })),
    throttleTimeMs: 0,
  };
}
