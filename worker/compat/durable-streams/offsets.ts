/**
 * Durable Streams offsets. The protocol's offsets are opaque, lexicographically ordered
 * strings; ours encode the partition offset of the next record (the position after the last
 * record read) as `0000000000000000_<16 digits>`, the same shape as the reference server's,
 * so both sort the same way. `-1` means the start of the stream, `now` its current tail.
 */

export const START_OFFSET = "-1";

const DIGITS = 16;
const ZERO = "0".repeat(DIGITS);
const FORMAT = /^(-1|now|\d+_\d+)$/;

/** The protocol offset of a position (the partition offset of the next record). */
export function encodeOffset(position: number): string {
  return `${ZERO}_${String(position).padStart(DIGITS, "0")}`;
}

export type ParsedOffset = { kind: "start" } | { kind: "now" } | { kind: "at"; position: number };

/**
 * Parses a client's offset; undefined for anything that is not an offset this server could
 * have given out (which also keeps path characters and injections out). A well-formed offset
 * past the tail parses to a position past it; readers clamp to the tail, as the protocol's
 * reference server answers an empty read at the tail.
 */
export function parseOffset(raw: string): ParsedOffset | undefined {
  if (!FORMAT.test(raw)) return undefined;
  if (raw === "-1") return { kind: "start" };
  if (raw === "now") return { kind: "now" };
  const [high, low] = raw.split("_") as [string, string];
  if (/[1-9]/.test(high)) return { kind: "at", position: Number.POSITIVE_INFINITY };
  const position = Number(low);
  return { kind: "at", position: Number.isSafeInteger(position) ? position : Number.POSITIVE_INFINITY };
}
