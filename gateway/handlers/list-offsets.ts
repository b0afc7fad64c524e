/**
 * ListOffsets: Kafka's timestamps -2 (earliest) and -1 (latest: the next offset to be written)
 * and times map to Tributary's offset lookups; a time past every record answers the high
 * watermark with timestamp -1, as Kafka does. -3 (the record with the largest timestamp) is
 * not supported.
 */
import { partitionPath } from "../../sdk/paths.ts";
import { offsetAnswerSchema } from "../../sdk/protocol/schemas.ts";
import { code, errorCode, type Handler } from "../context.ts";
import type { Struct } from "../protocol/codec.ts";

const EARLIEST = -2n;
const LATEST = -1n;

export const listOffsets: Handler = async (ctx, request) => {
  const topics = await Promise.all(
    (request.topics as Struct[]).map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        (t.partitions as Struct[]).map(async (p) => {
          const index = p.partitionIndex as number;
          const ts = p.timestamp as bigint;
          const base = { partitionIndex: index, leaderEpoch: -1, oldStyleOffsets: [] };
          if (ts < EARLIEST) return { ...base, errorCode: code("UNSUPPORTED_VERSION"), timestamp: -1n, offset: -1n };
          const at = ts === EARLIEST ? "earliest" : ts === LATEST ? "latest" : String(ts);
          try {
            const found = await ctx.api.request(
              { method: "GET", path: `${partitionPath(t.name as string, index)}/offsets`, query: { at } },
              offsetAnswerSchema,
            );
            return { ...base, errorCode: 0, timestamp: BigInt(found.timestamp ?? -1), offset: BigInt(found.offset) };
          } catch (err) {
            return { ...base, errorCode: errorCode(err), timestamp: -1n, offset: -1n };
          }
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
};
