/**
 * The format of a segment: an immutable R2 object holding a run of a partition's records in
 * their stored form, as the log's rows are (pure; tier.ts reads and writes them).
 *
 *   line 1: {"format":"tributary-segment","version":1,"base","last","count","offsets",
 *            "timestamps","lengths","batches"}   (one line of JSON)
 *   then:   the records' stored JSON texts, one after the other, without separators
 *
 * The index is in the first line: `offsets` and `timestamps` as deltas from the previous record
 * (the first from `base` and 0), `lengths` in UTF-8 bytes, so record i starts at the sum of the
 * lengths before it (a range read could fetch one record). A timestamp is the record's own, else
 * its append time: what a read renders and what a lookup by time compares. `batches` are the
 * log's batch rows of the range (bytes, producer stamp), so a follower can copy from a segment
 * as it copies from rows.
 */
import type { BatchRow } from "../../cluster/rpc/partition-log.ts";
import { utf8Length } from "../../cluster/stored-records.ts";

export const SEGMENT_FORMAT = "tributary-segment";

/** A record of a segment. */
export interface SegmentRow {
  offset: number;
  /** The record's own timestamp, else its append time. */
  timestamp: number;
  data: string;
}

/** A decoded segment, ready to serve reads. */
export interface Segment {
  baseOffset: number;
  lastOffset: number;
  offsets: number[];
  timestamps: number[];
  data: string[];
  batches: BatchRow[];
  /** About how much memory it takes (UTF-16 text), for the cache's bound. */
  memoryBytes: number;
}

interface Header {
  format: typeof SEGMENT_FORMAT;
  version: 1;
  base: number;
  last: number;
  count: number;
  offsets: number[];
  timestamps: number[];
  lengths: number[];
  batches: [number, number, number, number, string | null][];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The object's bytes for records `rows` (in offset order) of [base, last] and their batches. */
export function encodeSegment(
  baseOffset: number,
  lastOffset: number,
  rows: readonly SegmentRow[],
  batches: readonly BatchRow[],
): Uint8Array {
  const offsets: number[] = new Array(rows.length);
  const timestamps: number[] = new Array(rows.length);
  const lengths: number[] = new Array(rows.length);
  let offset = baseOffset;
  let ts = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    offsets[i] = r.offset - offset;
    timestamps[i] = r.timestamp - ts;
    lengths[i] = utf8Length(r.data);
    offset = r.offset;
    ts = r.timestamp;
  }
  const header: Header = {
    format: SEGMENT_FORMAT,
    version: 1,
    base: baseOffset,
    last: lastOffset,
    count: rows.length,
    offsets,
    timestamps,
    lengths,
    batches: batches.map((b) => [b.baseOffset, b.lastOffset, b.maxTimestamp, b.bytes, b.producer]),
  };
  return encoder.encode(`${JSON.stringify(header)}\n${rows.map((r) => r.data).join("")}`);
}

export function decodeSegment(bytes: Uint8Array): Segment {
  const newline = bytes.indexOf(0x0a);
  if (newline === -1) throw new Error("not a segment: no header line");
  const header = JSON.parse(decoder.decode(bytes.subarray(0, newline))) as Header;
  if (header.format !== SEGMENT_FORMAT || header.version !== 1) {
    throw new Error(`not a segment of a known version: ${header.format} ${header.version}`);
  }
  const body = bytes.subarray(newline + 1);
  const text = decoder.decode(body);
  const ascii = text.length === body.length;
  const n = header.count;
  const offsets: number[] = new Array(n);
  const timestamps: number[] = new Array(n);
  const data: string[] = new Array(n);
  let offset = header.base;
  let ts = 0;
  let at = 0;
  for (let i = 0; i < n; i++) {
    offset += header.offsets[i]!;
    ts += header.timestamps[i]!;
    offsets[i] = offset;
    timestamps[i] = ts;
    const length = header.lengths[i]!;
    // Byte positions are character positions when every byte is ASCII (the usual case).
    data[i] = ascii ? text.slice(at, at + length) : decoder.decode(body.subarray(at, at + length));
    at += length;
  }
  if (at !== body.length) throw new Error(`segment ${header.base}-${header.last} is ${body.length - at} bytes off`);
  return {
    baseOffset: header.base,
    lastOffset: header.last,
    offsets,
    timestamps,
    data,
    batches: header.batches.map(([baseOffset, lastOffset, maxTimestamp, bytes, producer]) => ({
      baseOffset,
      lastOffset,
      maxTimestamp,
      bytes,
      producer,
    })),
    memoryBytes: text.length * 2 + n * 48,
  };
}

/** The index of the first record at or after `offset` (the count when there is none). */
export function firstAtOrAfter(segment: Segment, offset: number): number {
  let lo = 0;
  let hi = segment.offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (segment.offsets[mid]! < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
