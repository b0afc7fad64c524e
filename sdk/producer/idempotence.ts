/**
 * The idempotent producer's bookkeeping (Kafka's transaction manager, kafkajs's eosManager): the
 * producer id and epoch the worker hands out, the next sequence number of each partition, and
 * whether the producer was fenced. A batch takes its sequence once, on its first attempt, and
 * every retry sends the same one, so the worker stores it once however often an answer is lost.
 */
import { ProducerFencedError, TributaryError } from "../errors.ts";
import type { Transport } from "../http.ts";
import { type ProducerId, type ProducerStamp, producerIdSchema } from "../protocol/schemas.ts";
import type { Batch } from "./batcher.ts";
import type { ProducerRetries } from "./retries.ts";

/** Where the producer id comes from: the worker, asked with the producer's retries. */
export interface IdempotenceOptions {
  transport: Transport;
  retries: ProducerRetries;
  /** Kafka's transactional.id: the same name gets the same id with a newer epoch, fencing the older producer. */
  transactionalId: string | undefined;
}

/** The producer id, the sequences and the fencing of one producer (see the module comment). */
export class Idempotence {
  readonly #options: IdempotenceOptions;
  #identity: Promise<ProducerId> | undefined;
  /** The next sequence number per `topic/partition`. */
  readonly #sequences = new Map<string, number>();
  #fenced: ProducerFencedError | undefined;

  constructor(options: IdempotenceOptions) {
    this.#options = options;
  }

  /** Set once the worker fenced this producer: every later send fails with it. */
  get fenced(): ProducerFencedError | undefined {
    return this.#fenced;
  }

  /**
   * The batch's stamp for partition `key` (`topic/partition`): taken on the first attempt and
   * kept on the batch, so every retry sends the same one. Throws the fencing error if fenced.
   */
  async stamp<T>(batch: Batch<T>, key: string): Promise<ProducerStamp> {
    if (this.#fenced) throw this.#fenced;
    while (batch.stamp === undefined) {
      const identity = this.#identity ?? this.#initIdentity();
      const { id, epoch } = await identity;
      // Another batch's failure may have dropped this id (and its sequences) meanwhile.
      if (identity !== this.#identity) continue;
      const sequence = this.#sequences.get(key) ?? 0;
      this.#sequences.set(key, sequence + batch.records.length);
      batch.stamp = { id, epoch, sequence } satisfies ProducerStamp;
    }
    return batch.stamp as ProducerStamp;
  }

  /**
   * What a batch's final failure means for the sequence numbers; answers the error to throw.
   * Nothing stored (a batch the worker refused with a 4xx): its sequence is reused. Unknown (no
   * answer after every retry, a 5xx, an answer the SDK could not read) or out of order: the
   * producer takes a new id, whose sequences start at 0, rather than risk a later batch being
   * taken for a retry of this one.
   */
  afterFailure<T>(error: unknown, batch: Batch<T>, key: string): unknown {
    const stamp = batch.stamp as ProducerStamp | undefined;
    if (!(error instanceof TributaryError) || stamp === undefined) return error;
    if (error.code === "PRODUCER_FENCED" || error.code === "INVALID_PRODUCER_EPOCH") {
      this.#fenced ??= new ProducerFencedError({
        message: `producer.send: this producer was fenced (${error.message}); a newer producer with the same transactionalId took over, so make a new producer`,
        status: error.status,
        details: error.details,
        cause: error,
      });
      return this.#fenced;
    }
    const refused = error.status !== undefined && error.status >= 400 && error.status < 500 && error.status !== 429;
    if (!refused || error.code === "OUT_OF_ORDER_SEQUENCE_NUMBER") {
      this.#sequences.clear();
      this.#identity = undefined;
      return error;
    }
    if (this.#sequences.get(key) === stamp.sequence + batch.records.length) this.#sequences.set(key, stamp.sequence);
    return error;
  }

  #initIdentity(): Promise<ProducerId> {
    const { transport, retries, transactionalId } = this.#options;
    const identity = retries.run(() =>
      transport.request(
        { method: "POST", path: "v1/producers", body: transactionalId === undefined ? {} : { transactionalId } },
        producerIdSchema,
      ),
    );
    this.#identity = identity;
    // A failed request is asked again by the next batch.
    identity.catch(() => {
      if (this.#identity === identity) this.#identity = undefined;
    });
    return identity;
  }
}
