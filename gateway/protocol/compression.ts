/**
 * Decompressing the record batches producers send (Kafka's gzip, snappy, lz4 and zstd), bounded:
 * a batch may not expand past `maxBytes`, and is refused before it is expanded when its framing
 * says it would. gzip is Node's zlib (with its output limit); snappy and lz4 are
 * @platformatic/wasm-utils (the codecs @platformatic/kafka uses), after their framing is walked
 * here for the sizes it declares: each snappy block's length, each lz4 block's bound; zstd is
 * Node's zlib where it has it (Node 22.15+) and fzstd, a pure-JavaScript decoder, on Node 20,
 * after each frame's header is read here for its window and content size, and streamed with a
 * running count. Fetch answers are never compressed, so only decompression is needed.
 */
import zlib from "node:zlib";
import { lz4Decompress, snappyDecompress } from "@platformatic/wasm-utils";
import { Decompress as ZstdStream } from "fzstd";
import { InvalidBatch } from "./errors.ts";

export type Codec = "gzip" | "snappy" | "lz4" | "zstd";

/** snappy-java's framing (what the Java client and kafkajs write): a magic header, then length-prefixed chunks. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const ZSTD_MAGIC = 0xfd2fb528;
/** zstd's levels up to 19 use windows up to 8 MiB (window log 23); a streaming encoder does not shrink them to fit. */
const ZSTD_MAX_WINDOW = 8 * 1024 * 1024;

function tooLarge(maxBytes: number): InvalidBatch {
  return new InvalidBatch("MESSAGE_TOO_LARGE", `a record batch expands to more than ${maxBytes} bytes`);
}

function bounded(out: Buffer, maxBytes: number): Buffer {
  if (out.length > maxBytes) throw tooLarge(maxBytes);
  return out;
}

/** A raw snappy block starts with its uncompressed length as a varint: checked before decoding. */
function snappyLength(block: Buffer): number {
  let n = 0;
  for (let i = 0, shift = 0; i < 5 && i < block.length; i++, shift += 7) {
    n += (block[i]! & 0x7f) * 2 ** shift;
    if ((block[i]! & 0x80) === 0) return n;
  }
  throw new InvalidBatch("CORRUPT_MESSAGE", "a snappy block has no valid length");
}

function snappy(data: Buffer, maxBytes: number): Buffer {
  if (!data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    if (snappyLength(data) > maxBytes) throw tooLarge(maxBytes);
    return snappyDecompress(data);
  }
  const parts: Buffer[] = [];
  let size = 0;
  // After the magic: version and compatible version (int32 each), then [int32 length, block]…
  for (let at = 16; at < data.length; ) {
    const length = data.readInt32BE(at);
    const block = data.subarray(at + 4, at + 4 + length);
    if (length < 0 || block.length !== length) throw new InvalidBatch("CORRUPT_MESSAGE", "a snappy chunk is truncated");
    size += snappyLength(block);
    if (size > maxBytes) throw tooLarge(maxBytes);
    parts.push(snappyDecompress(block));
    at += 4 + length;
  }
  return Buffer.concat(parts);
}

const corrupt = (codec: Codec, why: string) =>
  new InvalidBatch("CORRUPT_MESSAGE", `a ${codec} batch is corrupt: ${why}`);

/** A zstd skippable frame's magic is 0x184D2A50 to 0x184D2A5F. */
const isSkippable = (magic: number) => magic >>> 4 === 0x184d2a5;

/**
 * The frames of zstd data (RFC 8878), each checked before anything is decoded: a frame that
 * declares a content size over `maxBytes` is refused, as is one whose window (which a decoder
 * allocates up front) is over `maxBytes` or ZSTD_MAX_WINDOW, whichever is larger, and one that
 * does not end where its blocks say.
 */
function zstdFrames(data: Buffer, maxBytes: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    if (data.length - at < 6) throw corrupt("zstd", "a frame is truncated");
    const magic = data.readUInt32LE(at);
    if (isSkippable(magic)) {
      at += 8 + data.readUInt32LE(at + 4);
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw corrupt("zstd", "not a zstd frame");
    const fhd = data[at + 4]!;
    const singleSegment = (fhd >> 5) & 1;
    const checksum = (fhd >> 2) & 1;
    let p = at + 5;
    let window = 0;
    if (!singleSegment) {
      const descriptor = data[p++]!;
      const base = 2 ** (10 + (descriptor >> 3));
      window = base + (base / 8) * (descriptor & 7);
    }
    p += [0, 1, 2, 4][fhd & 3]!;
    const fcsFlag = fhd >> 6;
    const fcsBytes = fcsFlag ? [1, 2, 4, 8][fcsFlag]! : singleSegment;
    if (p + fcsBytes > data.length) throw corrupt("zstd", "a frame header is truncated");
    let content: number | undefined;
    if (fcsBytes === 1) content = data[p]!;
    else if (fcsBytes === 2) content = data.readUInt16LE(p) + 256;
    else if (fcsBytes === 4) content = data.readUInt32LE(p);
    else if (fcsBytes === 8) content = Number(data.readBigUInt64LE(p));
    if (singleSegment) window = content ?? 0;
    if ((content ?? 0) > maxBytes) throw tooLarge(maxBytes);
    const windowLimit = Math.max(maxBytes, ZSTD_MAX_WINDOW);
    if (window > windowLimit) {
      throw new InvalidBatch("MESSAGE_TOO_LARGE", `a zstd frame's window of ${window} bytes is over ${windowLimit}`);
    }
    p += fcsBytes;
    for (let last = 0; !last; ) {
      if (p + 3 > data.length) throw corrupt("zstd", "a block header is truncated");
      const header = data.readUIntLE(p, 3);
      last = header & 1;
      const type = (header >> 1) & 3;
      if (type === 3) throw corrupt("zstd", "a block of the reserved type");
      p += 3 + (type === 1 ? 1 : header >>> 3);
    }
    p += checksum * 4;
    if (p > data.length) throw corrupt("zstd", "a frame is truncated");
    frames.push(data.subarray(at, p));
    at = p;
  }
  return frames;
}

function zstd(data: Buffer, maxBytes: number): Buffer {
  const frames = zstdFrames(data, maxBytes);
  const native = (zlib as { zstdDecompressSync?: (b: Buffer, o?: object) => Buffer }).zstdDecompressSync;
  if (native) return native(data, { maxOutputLength: maxBytes });
  // fzstd streams a frame block by block (at most 128 KiB each): counted as they come.
  const parts: Buffer[] = [];
  let size = 0;
  for (const frame of frames) {
    const stream = new ZstdStream((chunk) => {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge(maxBytes);
      parts.push(Buffer.from(chunk)); // a copy: the decoder reuses its window
    });
    stream.push(frame, true);
  }
  return Buffer.concat(parts, size);
}

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

/**
 * The most lz4 data (the frame format) can expand to, from its framing alone: its declared
 * content size, else the sum of each block's bound (an uncompressed block's size, a compressed
 * block's maximum). Encoders fill their blocks, so for real batches this is their size rounded up
 * to one block; a bomb's many small blocks of large bounds are refused before any is decoded.
 */
function lz4Bound(data: Buffer): { bound: number; blockMax: number } {
  let bound = 0;
  let blockMax = 0;
  for (let at = 0; at < data.length; ) {
    if (data.length - at < 7) throw corrupt("lz4", "a frame is truncated");
    const magic = data.readUInt32LE(at);
    if (isSkippable(magic)) {
      at += 8 + data.readUInt32LE(at + 4);
      continue;
    }
    if (magic !== LZ4_MAGIC) throw corrupt("lz4", "not an lz4 frame");
    const flg = data[at + 4]!;
    const max = LZ4_BLOCK_MAX[(data[at + 5]! >> 4) & 7]!;
    if (flg >> 6 !== 1 || !max) throw corrupt("lz4", "a frame header of an unknown version or block size");
    blockMax = Math.max(blockMax, max);
    let p = at + 6;
    let declared: number | undefined;
    if (flg & 0x08) {
      if (p + 8 > data.length) throw corrupt("lz4", "a frame header is truncated");
      declared = Number(data.readBigUInt64LE(p));
      p += 8;
    }
    if (flg & 0x01) p += 4; // a dictionary id
    p += 1; // the header's check byte
    let blocks = 0;
    for (;;) {
      if (p + 4 > data.length) throw corrupt("lz4", "a block is truncated");
      const word = data.readUInt32LE(p);
      p += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      blocks += word & 0x80000000 ? size : max;
      p += size + (flg & 0x10 ? 4 : 0);
    }
    p += flg & 0x04 ? 4 : 0;
    if (p > data.length) throw corrupt("lz4", "a frame is truncated");
    bound += declared ?? blocks;
    at = p;
  }
  return { bound, blockMax };
}

function lz4(data: Buffer, maxBytes: number): Buffer {
  const { bound, blockMax } = lz4Bound(data);
  // Within one block of the limit it is decoded and its real size checked: at most one block more.
  if (bound > maxBytes + blockMax) throw tooLarge(maxBytes);
  return bounded(lz4Decompress(data), maxBytes);
}

export function decompress(codec: Codec, data: Buffer, maxBytes: number): Buffer {
  try {
    switch (codec) {
      case "gzip":
        return zlib.gunzipSync(data, { maxOutputLength: maxBytes });
      case "snappy":
        return snappy(data, maxBytes);
      case "lz4":
        return lz4(data, maxBytes);
      case "zstd":
        return zstd(data, maxBytes);
    }
  } catch (err) {
    if (err instanceof InvalidBatch) throw err;
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(maxBytes);
    throw new InvalidBatch("CORRUPT_MESSAGE", `a ${codec} batch does not decompress: ${(err as Error).message}`);
  }
}
