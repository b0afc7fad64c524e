/**
 * DeleteRecords: each partition's log start moves up to the offset given (-1: the high
 * watermark), removing the records below it, as `POST …/partitions/:p/delete-records` does; the
 * answer is the partition's new low watermark. Each partition is its own call and its own result.
 */
import { partitionPath } from "../../sdk/paths.ts";
import { deleteRecordsAnswerSchema } from "../../sdk/protocol/schemas.ts";
import { errorCode, type Handler } from "../context.ts";
import type { Struct } from "../protocol/codec.ts";

export const deleteRecords: Handler = async (ctx, request) => {
  const topics = await Promise.all(
    (request.topics as Struct[]).map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        (t.partitions as Struct[]).map(async (p) => {
          const partitionIndex = p.partitionIndex as number;
          try {
            const { logStartOffset } = await ctx.api.request(
              {
                method: "POST",
                path: `${partitionPath(t.name as string, partitionIndex)}/delete-records`,
                body: { beforeOffset: Number(p.offset as bigint) },
              },
              deleteRecordsAnswerSchema,
            );
            return { partitionIndex, lowWatermark: BigInt(logStartOffset), errorCode: 0 };
          } catch (err) {
            return { partitionIndex, lowWatermark: -1n, errorCode: errorCode(err) };
          }
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
};
