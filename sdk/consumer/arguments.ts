/**
 * The checks of what the consumer's methods take (subscribe, run, commitOffsets, seek, pause,
 * resume), made where they come in; errors name the field.
 */
import { z } from "zod";
import { intIn, partitionOption, topicOption } from "../options.ts";

/** What `consumer.subscribe` takes: a topic, topics, or both; at least one. */
export const subscribeSchema = z
  .strictObject({
    topic: topicOption.optional(),
    topics: z.array(topicOption, { error: "must be an array of topic names" }).optional(),
    fromBeginning: z.boolean({ error: "must be true or false" }).optional(),
  })
  .check((ctx) => {
    const { topic, topics } = ctx.value;
    if (topic === undefined && (topics === undefined || topics.length === 0)) {
      ctx.issues.push({ code: "custom", input: ctx.value, path: ["topics"], message: "name at least one topic" });
    }
  });

const handlerOption = (what: string) =>
  z.custom<(payload: never) => Promise<void>>((v) => typeof v === "function", `must be a function ${what}`).optional();

/** What `consumer.run` takes: eachMessage or eachBatch (one of them). */
export const runSchema = z
  .strictObject({
    eachMessage: handlerOption("({ topic, partition, message }) => Promise<void>"),
    eachBatch: handlerOption("({ batch, resolveOffset, … }) => Promise<void>"),
    eachBatchAutoResolve: z.boolean({ error: "must be true or false" }).default(true),
  })
  .check((ctx) => {
    const { eachMessage, eachBatch } = ctx.value;
    if ((eachMessage === undefined) === (eachBatch === undefined)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        path: [eachMessage ? "eachBatch" : "eachMessage"],
        message: "give either eachMessage or eachBatch (one of them)",
      });
    }
  });

const offsetOption = intIn(0, Number.MAX_SAFE_INTEGER);

/** A partition and an offset in it (what `consumer.seek` takes). */
export const topicPartitionOffsetSchema = z.strictObject({
  topic: topicOption,
  partition: partitionOption,
  offset: offsetOption,
});

/** What `consumer.commitOffsets` takes. */
export const commitSchema = z.array(topicPartitionOffsetSchema, {
  error: "must be an array of { topic, partition, offset }",
});

/** What `consumer.pause` and `consumer.resume` take. */
export const topicPartitionsSchema = z.array(
  z.strictObject({ topic: topicOption, partitions: z.array(partitionOption).optional() }),
  { error: "must be an array of { topic, partitions? }" },
);
