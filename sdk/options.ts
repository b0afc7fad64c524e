/**
 * Checking options and arguments given to the SDK, once, where they come in: zod schemas in,
 * `INVALID_ARGUMENT` errors whose message names the field and the allowed range out.
 */
import { z } from "zod";
import { invalidArgument } from "./errors.ts";
import { GROUP_NAME, isValidTopicName, MAX_PARTITIONS } from "./protocol/schemas.ts";

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : out ? `.${String(part)}` : String(part);
  }
  return out;
}

/**
 * Parses `input` with `schema`, or throws an `INVALID_ARGUMENT` TributaryError whose message
 * starts with `where` and names the first failing field, e.g.
 * `createClient: retry.retries: must be a whole number from 0 to 100`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      const fields = issue.keys.map((key) => formatPath([...issue.path, key]));
      return { field: fields.join(", "), message: `${fields.length > 1 ? "are not options" : "is not an option"}` };
    }
    return { field: formatPath(issue.path), message: issue.message };
  });
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : "";
  throw invalidArgument(`${where}: ${first.field ? `${first.field}: ` : ""}${first.message}${more}`, {
    field: first.field || undefined,
    issues: problems,
  });
}

/** A whole number from `min` to `max`, with a message saying so. */
export function intIn(min: number, max: number): z.ZodInt {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.int({ error: message }).min(min, message).max(max, message);
}

/** A topic name as the API accepts it; checked here because it becomes part of a URL path. */
export const topicOption = z.string({ error: "must be a topic name (a string)" }).refine(isValidTopicName, {
  message: "must be 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' or '-', and not '.' or '..'",
});

/** A consumer group's id, as the API accepts it (it becomes part of a URL path too). */
export const groupIdOption = z
  .string({ error: "must be a group id (a string)" })
  .regex(GROUP_NAME, "must be 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' or '-'");

/** An AbortSignal (checked by what it has, so that any runtime's or polyfill's fits). */
export const signalOption = z.custom<AbortSignal>(
  (v) => typeof v === "object" && v !== null && "aborted" in v && "addEventListener" in v,
  "must be an AbortSignal",
);

/** A partition number. */
export const partitionOption = intIn(0, MAX_PARTITIONS - 1);

/** Checks a topic name given as a plain argument (not in an options object). */
export function checkTopic(topic: unknown, where: string): string {
  return parseOptions(topicOption, topic, `${where}: topic`);
}
