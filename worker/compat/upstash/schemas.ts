/**
 * The request bodies and headers of the Upstash Kafka REST API, as the `@upstash/kafka` client
 * (1.3.x) sends them and as Upstash documented them. Validated once, here, at the edge.
 */
import { z } from "zod";
import { groupName, MAX_WAIT_MS, topicName } from "../../../sdk/protocol/schemas.ts";
import { ApiError } from "../../errors.ts";
import { validate } from "../../validate.ts";

/**
 * A body that is one item or a non-empty list of them (`producer.produce` sends one message,
 * `produceMany` a list; `commit` one offset or a list; Upstash documented both forms for
 * topic partitions). Checked per form, so the error names the field that is wrong.
 */
export function oneOrMany<S extends z.ZodType>(schema: S, json: unknown, what: string): z.output<S>[] {
  if (!Array.isArray(json)) return [validate(schema, json, what)];
  if (json.length === 0) throw new ApiError("INVALID_REQUEST", `${what}: the list is empty; send at least one item`);
  return validate(z.array(schema), json, what);
}

const partition = z.int().min(0);
const offset = z.int().min(0);

/** Upstash headers are a list, so a key may repeat; Tributary's are a map (see messages.ts). */
const upstashHeadersSchema = z.array(z.strictObject({ key: z.string(), value: z.string() }));

/** One message to produce. The client sends `value` as a string (it JSON-encodes anything else). */
export const produceItemSchema = z.strictObject({
  topic: topicName,
  value: z.string({ error: "value is required and must be a string (the client JSON-encodes objects)" }),
  key: z.string().optional(),
  partition: partition.optional(),
  /** Milliseconds since the epoch, as in Kafka. */
  timestamp: z.int().min(0).optional(),
  headers: upstashHeadersSchema.optional(),
});
export type UpstashProduceItem = z.infer<typeof produceItemSchema>;

const timeout = z.int().min(0).max(MAX_WAIT_MS);

export const topicPartitionSchema = z.strictObject({ topic: topicName, partition });
export type TopicPartition = z.infer<typeof topicPartitionSchema>;

export const topicPartitionOffsetSchema = z.strictObject({ topic: topicName, partition, offset });
export type TopicPartitionOffset = z.infer<typeof topicPartitionOffsetSchema>;

/** Either one `<topic, partition, offset>` inline, or a list of them, or both. */
export const fetchBodySchema = z
  .strictObject({
    topic: topicName.optional(),
    partition: partition.optional(),
    offset: offset.optional(),
    topicPartitionOffsets: z.array(topicPartitionOffsetSchema).optional(),
    timeout: timeout.optional(),
  })
  .check((ctx) => {
    const { topic, partition: p, offset: o, topicPartitionOffsets } = ctx.value;
    const inline = [topic, p, o].filter((v) => v !== undefined).length;
    if (inline !== 0 && inline !== 3) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        path: topic === undefined ? ["topic"] : p === undefined ? ["partition"] : ["offset"],
        message: "give topic, partition and offset together",
      });
    } else if (inline === 0 && !topicPartitionOffsets?.length) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        path: ["topicPartitionOffsets"],
        message: "name what to fetch: topic, partition and offset, or topicPartitionOffsets",
      });
    }
  });

/** The whole list a fetch asks for. */
export function fetchTargets(body: z.infer<typeof fetchBodySchema>): TopicPartitionOffset[] {
  const targets = [...(body.topicPartitionOffsets ?? [])];
  if (body.topic !== undefined) targets.push({ topic: body.topic, partition: body.partition!, offset: body.offset! });
  return targets;
}

export const consumeBodySchema = z
  .strictObject({
    topic: topicName.optional(),
    topics: z.array(topicName).max(100).optional(),
    timeout: timeout.optional(),
  })
  .check((ctx) => {
    if (ctx.value.topic === undefined && !ctx.value.topics?.length) {
      ctx.issues.push({ code: "custom", input: ctx.value, path: ["topics"], message: "name a topic or topics" });
    }
  });

export function consumeTopics(body: z.infer<typeof consumeBodySchema>): string[] {
  return [...new Set([...(body.topic === undefined ? [] : [body.topic]), ...(body.topics ?? [])])];
}

export type OffsetReset = "earliest" | "latest" | "none";

/** The consumer settings the client sends as headers on each consume. */
export const consumeHeadersSchema = z.object({
  "kafka-enable-auto-commit": z.enum(["true", "false"]).default("true"),
  "kafka-auto-commit-interval": z.string().regex(/^\d+$/, "must be a whole number of milliseconds").optional(),
  "kafka-auto-offset-reset": z.enum(["earliest", "latest", "none"]).default("latest"),
});

/** `/offsets/:time`: milliseconds since the epoch, `earliest` or `latest`. */
export const offsetTimeSchema = z.union([
  z.enum(["earliest", "latest"]),
  z.string().regex(/^\d+$/, "must be earliest, latest or milliseconds since the epoch").transform(Number),
]);

/** Consumer group and instance ids in paths: Kafka's group id characters. */
export const consumerIdSchema = groupName;
