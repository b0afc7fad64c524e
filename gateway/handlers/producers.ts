/**
 * InitProducerId for idempotent producers. Tributary hands out a producer id (a random
 * 128-bit hex string) and an epoch; Kafka's producer id is a 64-bit number, so the client gets
 * the id's first 60 bits as a number, and its batches are stamped on Tributary with that
 * number's decimal text (produce.ts producerIdOf). The gateway keeps no mapping: the number is
 * the id. Sequences and epochs are Tributary's, so a retried batch is stored once. Transactions
 * are not supported: a transactional id is refused.
 */
import { producerIdSchema } from "../../sdk/protocol/schemas.ts";
import { code, errorCode, type Handler } from "../context.ts";

export const initProducerId: Handler = async (ctx, request) => {
  if (request.transactionalId !== null && request.transactionalId !== undefined) {
    return {
      throttleTimeMs: 0,
      errorCode: code("TRANSACTIONAL_ID_AUTHORIZATION_FAILED"),
      producerId: -1n,
      producerEpoch: -1,
    };
  }
  try {
    const { id, epoch } = await ctx.api.request({ method: "POST", path: "v1/producers", body: {} }, producerIdSchema);
    const producerId = BigInt(`0x${id.slice(0, 15)}`);
    return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: epoch };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: errorCode(err), producerId: -1n, producerEpoch: -1 };
  }
};
