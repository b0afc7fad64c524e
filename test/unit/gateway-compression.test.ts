/**
 * Decompressing the batches producers send (gateway/protocol/compression.ts), against data that
 * other implementations compressed: node:zlib for gzip; snappy blocks and snappy-java's framing
 * written out by hand from the snappy format description, and @platformatic/kafka's own snappy;
 * lz4 frames and zstd frames written by the reference command line tools (lz4 1.9.4, zstd 1.5.4,
 * kept here as base64). Decompression is bounded: data that would expand past `maxBytes` must be
 * refused with MESSAGE_TOO_LARGE, and must not be expanded in memory first. The bombs are built
 * here by the formats' specifications (the lz4 frame format, RFC 8878 for zstd), and were
 * checked once with `lz4 -d` and `zstd -d`.
 */
import { existsSync, writeFileSync } from "node:fs";
import zlib from "node:zlib";
import { snappyCompress } from "@platformatic/wasm-utils";
import { describe, expect, it } from "vitest";
import { type Codec, decompress } from "../../gateway/protocol/compression.ts";
import { InvalidBatch } from "../../gateway/protocol/errors.ts";

const MiB = 1 << 20;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const base64 = (s: string) => Buffer.from(s, "base64");

/** What the lz4 and zstd fixtures hold: 432 bytes that compress. */
const TEXT = Buffer.from("Kafka's wire protocol, spoken by Tributary's gateway. ".repeat(8));

function refusal(codec: Codec, data: Buffer, maxBytes: number): { kafkaError: string; message: string } {
  try {
    decompress(codec, data, maxBytes);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidBatch);
    return { kafkaError: (err as InvalidBatch).kafkaError, message: (err as Error).message };
  }
  throw new Error(`the ${codec} data was not refused`);
}

const tooLarge = (maxBytes: number) => ({
  kafkaError: "MESSAGE_TOO_LARGE",
  message: `a record batch expands to more than ${maxBytes} bytes`,
});

/**
 * How much the process's peak resident memory grew while `run` ran, in MiB. Linux lets a process
 * reset its peak (clear_refs 5), so that each measure starts from the memory in use now.
 */
function peakGrowthMiB(run: () => void): number {
  if (existsSync("/proc/self/clear_refs")) writeFileSync("/proc/self/clear_refs", "5");
  const before = process.resourceUsage().maxRSS;
  run();
  return (process.resourceUsage().maxRSS - before) / 1024;
}

/**
 * A zstd frame (RFC 8878) of `size` zero bytes in RLE blocks of 128 KiB, with an 8 MiB window;
 * with its content size in the header, or without (as a streaming compressor writes it).
 */
function zstdZeros(size: number, declareSize: boolean): Buffer {
  const header = [hex("28b52ffd"), Buffer.from([declareSize ? 0xc0 : 0x00, 0x68])];
  if (declareSize) {
    const contentSize = Buffer.alloc(8);
    contentSize.writeBigUInt64LE(BigInt(size));
    header.push(contentSize);
  }
  const blocks: Buffer[] = [];
  for (let left = size; left > 0; left -= 128 * 1024) {
    const n = Math.min(128 * 1024, left);
    // Block_Size, Block_Type 1 (RLE), Last_Block; then the byte to repeat.
    const block = (n << 3) | (1 << 1) | (left === n ? 1 : 0);
    blocks.push(Buffer.from([block & 0xff, (block >> 8) & 0xff, block >> 16, 0x00]));
  }
  return Buffer.concat([...header, ...blocks]);
}

/**
 * An lz4 frame of `blocks` independent blocks of 4 MiB of zeros each, ~16 KiB apiece: a literal
 * zero, a match one back extended by 255-byte steps to fill the block, the 5 literals the
 * format ends a block with. The header's check byte (0x73, for FLG 0x60 and BD 0x70) is the one
 * the lz4 tool writes.
 */
function lz4Zeros(blocks: number): Buffer {
  const extension = 4 * MiB - 1 - 5 - 4 - 15;
  const block = Buffer.concat([
    hex("1f 00 0100"), // 1 literal and a long match; the literal 0; offset 1
    Buffer.alloc(Math.floor(extension / 255), 0xff),
    Buffer.from([extension % 255]),
    hex("50 0000000000"), // 5 final literals
  ]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(block.length);
  return Buffer.concat([
    hex("04224d18 60 70 73"),
    ...Array.from({ length: blocks }, () => [size, block]).flat(),
    hex("00000000"),
  ]);
}

describe("gzip", () => {
  it("decompresses what node:zlib compresses", () => {
    expect(decompress("gzip", zlib.gzipSync(TEXT), MiB)).toEqual(TEXT);
  });

  it("decompresses concatenated gzip members, as Java's GZIPInputStream reads them", () => {
    const data = Buffer.concat([zlib.gzipSync(Buffer.from("one, ")), zlib.gzipSync(Buffer.from("two"))]);
    expect(decompress("gzip", data, MiB).toString()).toBe("one, two");
  });

  it("refuses what is not gzip with CORRUPT_MESSAGE", () => {
    expect(refusal("gzip", TEXT, MiB).kafkaError).toBe("CORRUPT_MESSAGE");
  });

  it("refuses a bomb with MESSAGE_TOO_LARGE without expanding it", () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * MiB), { level: 1 });
    expect(bomb.length).toBeLessThan(MiB);
    let result: unknown;
    expect(peakGrowthMiB(() => (result = refusal("gzip", bomb, MiB)))).toBeLessThan(16);
    expect(result).toEqual(tooLarge(MiB));
  });
});

describe("snappy", () => {
  // "Tributary, " three times and "!": a literal of 11 bytes, a copy of 22 bytes from 11 back
  // (a 2-byte offset), a literal of 1.
  const block1 = hex("22 28 5472696275746172792c20 56 0b00 00 21");
  const text1 = "Tributary, Tributary, Tributary, !";
  // "abababab": a literal "ab", then a copy of 6 bytes from 2 back (a 1-byte offset) that overlaps itself.
  const block2 = hex("08 04 6162 09 02");
  const xerial = (...blocks: Buffer[]) =>
    Buffer.concat([
      hex("82534e4150505900 00000001 00000001"),
      ...blocks.flatMap((block) => {
        const length = Buffer.alloc(4);
        length.writeInt32BE(block.length);
        return [length, block];
      }),
    ]);

  it("decompresses a raw snappy block written by hand", () => {
    expect(decompress("snappy", block1, MiB).toString()).toBe(text1);
  });

  it("decompresses snappy-java's framing (what the Java client writes), chunk after chunk", () => {
    expect(decompress("snappy", xerial(block1, block2), MiB).toString()).toBe(text1 + "abababab");
  });

  it("decompresses what @platformatic/kafka's producer sends, raw or framed", () => {
    const data = Buffer.from("platformatic ".repeat(100));
    expect(decompress("snappy", snappyCompress(data), MiB)).toEqual(data);
    expect(decompress("snappy", xerial(snappyCompress(data), snappyCompress(TEXT)), MiB)).toEqual(
      Buffer.concat([data, TEXT]),
    );
  });

  it("refuses a block that says it is larger than maxBytes, before decoding it", () => {
    // 64 MiB said, nothing that decodes after it.
    expect(refusal("snappy", hex("80808020 ffffffff"), MiB)).toEqual(tooLarge(MiB));
  });

  it("refuses framed chunks that add up to more than maxBytes", () => {
    const chunk = snappyCompress(Buffer.alloc(600_000));
    expect(chunk.length).toBeLessThan(50_000);
    let result: unknown;
    expect(peakGrowthMiB(() => (result = refusal("snappy", xerial(chunk, chunk), MiB)))).toBeLessThan(16);
    expect(result).toEqual(tooLarge(MiB));
    expect(decompress("snappy", xerial(chunk, chunk), 2 * MiB).length).toBe(1_200_000);
  });

  it("refuses a block that expands past the length it says (the length it is bounded by)", () => {
    // Says 4 bytes, holds a literal of 8.
    expect(refusal("snappy", hex("04 1c 6161616161616161"), MiB).kafkaError).toBe("CORRUPT_MESSAGE");
  });

  it("refuses a truncated framed chunk and a length that never ends", () => {
    expect(refusal("snappy", xerial(block1).subarray(0, -1), MiB)).toEqual({
      kafkaError: "CORRUPT_MESSAGE",
      message: "a snappy chunk is truncated",
    });
    expect(refusal("snappy", hex("8080808080 00"), MiB)).toEqual({
      kafkaError: "CORRUPT_MESSAGE",
      message: "a snappy block has no valid length",
    });
  });
});

describe("lz4", () => {
  // lz4 -q TEXT: 64 KiB blocks, a content checksum.
  const plain = base64(
    "BCJNGGRAp0IAAAD/J0thZmthJ3Mgd2lyZSBwcm90b2NvbCwgc3Bva2VuIGJ5IFRyaWJ1dGFyeSdzIGdhdGV3YXkuIDYA/2NQd2F5LiAAAAAA3egltQ==",
  );
  // lz4 -q -BX --content-size TEXT: block checksums and the content size in the header.
  const checked = base64(
    "BCJNGHxAsAEAAAAAAAAoQgAAAP8nS2Fma2EncyB3aXJlIHByb3RvY29sLCBzcG9rZW4gYnkgVHJpYnV0YXJ5J3MgZ2F0ZXdheS4gNgD/Y1B3YXkuIEvR7NkAAAAA3egltQ==",
  );
  // lz4 -q -BD --no-frame-crc TEXT: linked blocks, no content checksum.
  const linked = base64(
    "BCJNGGBAgkIAAAD/J0thZmthJ3Mgd2lyZSBwcm90b2NvbCwgc3Bva2VuIGJ5IFRyaWJ1dGFyeSdzIGdhdGV3YXkuIDYA/2NQd2F5LiAAAAAA",
  );

  it.each([
    ["the defaults", plain],
    ["block checksums and a content size", checked],
    ["linked blocks and no content checksum", linked],
  ])("decompresses the lz4 tool's frame with %s", (_, frame) => {
    expect(decompress("lz4", frame, MiB)).toEqual(TEXT);
  });

  it("refuses a frame whose content checksum does not match with CORRUPT_MESSAGE", () => {
    const bad = Buffer.from(plain);
    bad[bad.length - 1]! ^= 0xff;
    expect(refusal("lz4", bad, MiB).kafkaError).toBe("CORRUPT_MESSAGE");
  });

  it("refuses a frame that expands past maxBytes with MESSAGE_TOO_LARGE", () => {
    expect(refusal("lz4", plain, 100)).toEqual(tooLarge(100));
  });
});

describe("zstd", () => {
  // zstd -q TEXT: the content size in the header, a checksum.
  const sized = base64(
    "KLUv/WSwAP0BAGQDS2Fma2EncyB3aXJlIHByb3RvY29sLCBzcG9rZW4gYnkgVHJpYnV0YXJ5J3MgZ2F0ZXdheS4gAQB2l1UFBZsPKkE=",
  );
  // zstd -q of the 12 bytes "second frame".
  const second = base64("KLUv/SQMYQAAc2Vjb25kIGZyYW1lF2QHtg==");

  it("decompresses the zstd tool's frame that declares its size", () => {
    expect(decompress("zstd", sized, MiB)).toEqual(TEXT);
  });

  it("decompresses two frames one after the other", () => {
    expect(decompress("zstd", Buffer.concat([sized, second]), MiB)).toEqual(
      Buffer.concat([TEXT, Buffer.from("second frame")]),
    );
  });

  it("refuses a frame that declares more than maxBytes, from its header", () => {
    expect(refusal("zstd", sized, 431)).toEqual(tooLarge(431));
    expect(decompress("zstd", sized, 432)).toEqual(TEXT);
  });

  it("refuses what is not zstd with CORRUPT_MESSAGE", () => {
    expect(refusal("zstd", TEXT, MiB).kafkaError).toBe("CORRUPT_MESSAGE");
  });
});

describe("zstd frames that declare no content size (as a streaming compressor writes them)", () => {
  // zstd -q --no-content-size --no-check TEXT
  const unsized = base64(
    "KLUv/QAA/QEAZANLYWZrYSdzIHdpcmUgcHJvdG9jb2wsIHNwb2tlbiBieSBUcmlidXRhcnkncyBnYXRld2F5LiABAHaXVQUF",
  );

  it("decompresses one to exactly its content", () => {
    expect(unsized[4]).toBe(0x00); // the frame header descriptor: no content size
    const out = decompress("zstd", unsized, MiB);
    expect(out.length).toBe(TEXT.length);
    expect(out).toEqual(TEXT);
  });

  it("decompresses one that fills maxBytes exactly", () => {
    const out = decompress("zstd", zstdZeros(300_000, false), 300_000);
    expect(out.length).toBe(300_000);
    expect(out.equals(Buffer.alloc(300_000))).toBe(true);
  });

  it("refuses one that expands past maxBytes with MESSAGE_TOO_LARGE", () => {
    expect(refusal("zstd", zstdZeros(300_000, false), 100_000)).toEqual(tooLarge(100_000));
  });
});

describe("zstd windows", () => {
  it("refuses a frame whose window (allocated before decoding) is over the limit, from its header", () => {
    // Window descriptor 0xa8: exponent 21, so 2^31 bytes; no content size, one empty raw block.
    const frame = hex("28b52ffd 00 a8 010000");
    expect(refusal("zstd", frame, MiB)).toEqual({
      kafkaError: "MESSAGE_TOO_LARGE",
      message: `a zstd frame's window of ${2 ** 31} bytes is over ${8 * MiB}`,
    });
  });

  it("takes an 8 MiB window (what zstd's levels up to 19 use) under a smaller limit", () => {
    expect(decompress("zstd", zstdZeros(1000, false), 1000).equals(Buffer.alloc(1000))).toBe(true);
  });
});

describe("zstd frames after the first", () => {
  // zstd -q TEXT: declares its 432 bytes.
  const sized = base64(
    "KLUv/WSwAP0BAGQDS2Fma2EncyB3aXJlIHByb3RvY29sLCBzcG9rZW4gYnkgVHJpYnV0YXJ5J3MgZ2F0ZXdheS4gAQB2l1UFBZsPKkE=",
  );

  it("refuses a later frame that expands past maxBytes with MESSAGE_TOO_LARGE, without expanding it", () => {
    // A small first frame, then 64 MiB in 2 KiB.
    const data = Buffer.concat([sized, zstdZeros(64 * MiB, true)]);
    expect(data.length).toBeLessThan(4096);
    let result: unknown;
    expect(peakGrowthMiB(() => (result = refusal("zstd", data, MiB)))).toBeLessThan(16);
    expect(result).toEqual(tooLarge(MiB));
  });
});

describe("lz4 bombs", () => {
  it("expands a frame built here as the lz4 tool does", () => {
    const out = decompress("lz4", lz4Zeros(1), 4 * MiB);
    expect(out.length).toBe(4 * MiB);
    expect(out.equals(Buffer.alloc(4 * MiB))).toBe(true);
  });

  it("refuses a frame that expands past maxBytes with MESSAGE_TOO_LARGE, without expanding it", () => {
    const bomb = lz4Zeros(16); // 64 MiB from 263 KB
    expect(bomb.length).toBeLessThan(300_000);
    let result: unknown;
    expect(peakGrowthMiB(() => (result = refusal("lz4", bomb, MiB)))).toBeLessThan(16);
    expect(result).toEqual(tooLarge(MiB));
  });
});
