/** Validation at the edge: zod schemas in, ApiErrors with field-naming messages out. */
import type { z } from "zod";
import type { ErrorCode } from "../sdk/protocol/errors.ts";
import { ApiError } from "./errors.ts";

/** Picks the error code for a failing field, e.g. INVALID_PARTITIONS for `partitions`. */
export type CodeForPath = (path: readonly PropertyKey[]) => ErrorCode;

const alwaysInvalidRequest: CodeForPath = () => "INVALID_REQUEST";

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  codeFor: CodeForPath = alwaysInvalidRequest,
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const first = issues[0]!;
  const field = formatPath(first.path);
  const message = `${what}: ${field ? `${field}: ` : ""}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : ""}`;
  throw new ApiError(codeFor(first.path), message, {
    field: field || undefined,
    issues: issues.slice(0, 10).map((i) => ({ path: formatPath(i.path), message: i.message })),
  });
}
