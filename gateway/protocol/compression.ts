/**
 * Decompressing the record batches producers send (Kafka's gzip, snappy, lz4 and zstd), bounded:
 * a batch may not expand past `maxBytes`. gzip is Node's zlib (with its output limit); snappy
 * and lz4 are @platformatic/wasm-utils (the codecs @platformatic/kafka uses); zstd is Node's
 * zlib where it has it (Node 22.15+) and fzstd, a pure-JavaScript decoder, on Node 20. Fetch
 * answers are never compressed, so only decompression is needed.
 */
import zlib from "node:zlib";
import { lz4Decompress, snappyDecompress } from "@platformatic/wasm-utils";
import { decompress as fzstd } from "fzstd";
import { InvalidBatch } from "./errors.ts";

export type Codec = "gzip" | "snappy" | "lz4" | "zstd";

/** snappy-java's framing (what the Java client and kafkajs write): a magic header, then length-prefixed chunks. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const ZSTD_MAGIC = 0xfd2fb528;

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

/** The frame content size a zstd frame header declares, if it declares one. */
function zstdContentSize(data: Buffer): number | undefined {
  if (data.length < 6 || data.readUInt32LE(0) !== ZSTD_MAGIC) return undefined;
  const fhd = data[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  if (fcsFlag === 0 && !singleSegment) return undefined;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const at = 5 + (singleSegment ? 0 : 1) + dictBytes;
  const fcsBytes = [1, 2, 4, 8][fcsFlag]!;
  if (data.length < at + fcsBytes) return undefined;
  if (fcsBytes === 1) return data[at]!;
  if (fcsBytes === 2) return data.readUInt16LE(at) + 256;
  if (fcsBytes === 4) return data.readUInt32LE(at);
  return Number(data.readBigUInt64LE(at));
}

function zstd(data: Buffer, maxBytes: number): Buffer {
  const declared = zstdContentSize(data);
  if (declared !== undefined && declared > maxBytes) throw tooLarge(maxBytes);
  const native = (zlib as { zstdDecompressSync?: (b: Buffer, o?: object) => Buffer }).zstdDecompressSync;
  if (native) return native(data, { maxOutputLength: maxBytes });
  // Without a declared size, decode into a buffer of the limit: more does not fit.
  const out = declared !== undefined ? fzstd(data) : fzstd(data, new Uint8Array(maxBytes));
  return bounded(Buffer.from(out.buffer, out.byteOffset, out.byteLength), maxBytes);
}

export function decompress(codec: Codec, data: Buffer, maxBytes: number): Buffer {
  try {
    switch (codec) {
      case "gzip":
        return zlib.gunzipSync(data, { maxOutputLength: maxBytes });
      case "snappy":
        return snappy(data, maxBytes);
      case "lz4":
        return bounded(lz4Decompress(data), maxBytes);
      case "zstd":
        return zstd(data, maxBytes);
    }
  } catch (err) {
    if (err instanceof InvalidBatch) throw err;
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(maxBytes);
    throw new InvalidBatch("CORRUPT_MESSAGE", `a ${codec} batch does not decompress: ${(err as Error).message}`);
  }
}
