/**
 * Where `tributary consume -o` starts, in kcat's words: `beginning`, `end`, an offset, `-<n>`
 * (the last n records of each partition) or `@<ms>` (the first record at or after a time).
 * Pure: parsing, and the start offset within a partition's bounds.
 */
import { UsageError } from "./output.ts";

export type OffsetSpec =
  | { kind: "beginning" }
  | { kind: "end" }
  | { kind: "offset"; offset: number }
  | { kind: "last"; count: number }
  | { kind: "timestamp"; ms: number };

/** Parses `-o`; throws a UsageError saying what it may be. */
export function parseOffsetSpec(text: string): OffsetSpec {
  if (text === "beginning" || text === "earliest") return { kind: "beginning" };
  if (text === "end" || text === "latest") return { kind: "end" };
  if (/^\d+$/.test(text)) return { kind: "offset", offset: safe(text) };
  if (/^-\d+$/.test(text)) return { kind: "last", count: safe(text.slice(1)) };
  if (/^@\d+$/.test(text)) return { kind: "timestamp", ms: safe(text.slice(1)) };
  throw new UsageError(
    `-o ${text}: give beginning, end, an offset (42), -<n> for the last n records of each partition (-10), or @<ms since the epoch> (@1733300000000)`,
  );
}

function safe(digits: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new UsageError(`-o: ${digits} is too large`);
  return n;
}

/**
 * The first offset to read in a partition with these bounds, for every spec but a timestamp
 * (which the server looks up). `-<n>` never goes below the log start; an offset is taken as given
 * (the server refuses one out of range, saying where the log is).
 */
export function startOffset(
  spec: Exclude<OffsetSpec, { kind: "timestamp" }>,
  bounds: { logStartOffset: number; highWatermark: number },
): number {
  switch (spec.kind) {
    case "beginning":
      return bounds.logStartOffset;
    case "end":
      return bounds.highWatermark;
    case "offset":
      return spec.offset;
    case "last":
      return Math.max(bounds.logStartOffset, bounds.highWatermark - spec.count);
  }
}

/** Where `tributary group reset-offsets --to` moves a group: as `-o`, but for `-<n>`, which a reset cannot do. */
export function parseResetTarget(text: string): "earliest" | "latest" | { offset: number } | { timestamp: number } {
  const spec = (() => {
    try {
      return parseOffsetSpec(text);
    } catch {
      return undefined;
    }
  })();
  if (spec === undefined || spec.kind === "last") {
    throw new UsageError(`--to ${text}: give beginning, end, an offset (42) or @<ms since the epoch> (@1733300000000)`);
  }
  switch (spec.kind) {
    case "beginning":
      return "earliest";
    case "end":
      return "latest";
    case "offset":
      return { offset: spec.offset };
    case "timestamp":
      return { timestamp: spec.ms };
  }
}
