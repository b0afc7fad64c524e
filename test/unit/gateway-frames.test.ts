/**
 * The gateway's framing (gateway/protocol/frames.ts): the FrameSplitter that cuts a TCP byte
 * stream into size-prefixed frames, readHeader for the request header (v1, and v2 for flexible
 * versions), and responseFrame (header v0, or v1 for flexible versions, except for ApiVersions).
 * Request frames are built by kafkajs's own request writer where it has one; the v2 headers it
 * cannot write are assembled here from Kafka's protocol guide.
 */
import { createRequire } from "node:module";
import { apiVersionsV3, Reader } from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import { decode, MalformedRequest } from "../../gateway/protocol/codec.ts";
import { API_VERSIONS_KEY, FrameSplitter, readHeader, responseFrame } from "../../gateway/protocol/frames.ts";
import { loadDefinitions } from "../../gateway/protocol/schema.ts";

const require = createRequire(import.meta.url);
const kafkajsFrame = require("kafkajs/src/protocol/request");
const kafkajsMetadataV1 = require("kafkajs/src/protocol/requests/metadata/v1/request");
const kafkajsApiVersionsV0 = require("kafkajs/src/protocol/requests/apiVersions/v0/request");

const defs = loadDefinitions();
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** A whole request frame as kafkajs sends it: size, header v1, body. */
async function kafkajsRequest(correlationId: number, clientId: string, request: unknown): Promise<Buffer> {
  return (await kafkajsFrame({ correlationId, clientId, request })).buffer;
}

/** A frame of `body` bytes: its 4-byte size, then the body. */
function frameOf(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe("FrameSplitter", () => {
  it("puts together frames fed one byte at a time", async () => {
    const first = await kafkajsRequest(1, "c", kafkajsMetadataV1({ topics: ["orders"] }));
    const second = await kafkajsRequest(2, "c", kafkajsApiVersionsV0());
    const stream = Buffer.concat([first, second]);
    const splitter = new FrameSplitter(1024);
    const out: [number, Buffer][] = [];
    for (let i = 0; i < stream.length; i++) {
      for (const frame of splitter.push(stream.subarray(i, i + 1))) out.push([i, frame]);
    }
    // Each frame comes out at its last byte, without its size.
    expect(out).toEqual([
      [first.length - 1, first.subarray(4)],
      [stream.length - 1, second.subarray(4)],
    ]);
    expect(splitter.pending).toBe(0);
  });

  it("answers every frame a chunk completes, and keeps the rest for the next chunk", () => {
    const bodies = [hex("01"), hex("0203"), Buffer.alloc(0), hex("040506")];
    const stream = Buffer.concat(bodies.map(frameOf));
    const partial = frameOf(hex("0708090a"));
    const splitter = new FrameSplitter(1024);
    expect(splitter.push(Buffer.concat([stream, partial.subarray(0, 6)]))).toEqual(bodies);
    expect(splitter.pending).toBe(6);
    expect(splitter.push(partial.subarray(6))).toEqual([hex("0708090a")]);
    expect(splitter.pending).toBe(0);
  });

  it("takes a frame of exactly the limit", () => {
    const body = Buffer.alloc(100, 7);
    expect(new FrameSplitter(100).push(frameOf(body))).toEqual([body]);
  });

  it("refuses a frame over the limit from its size alone, before its body arrives", () => {
    const splitter = new FrameSplitter(100);
    expect(splitter.push(hex("0000"))).toEqual([]);
    expect(() => splitter.push(hex("0065"))).toThrow(
      new MalformedRequest("a request of 101 bytes is over the gateway's limit of 100"),
    );
  });

  it("refuses a frame over the limit that follows a good one in the same chunk", () => {
    const splitter = new FrameSplitter(100);
    expect(() => splitter.push(Buffer.concat([frameOf(hex("01")), hex("7fffffff")]))).toThrow(
      new MalformedRequest("a request of 2147483647 bytes is over the gateway's limit of 100"),
    );
  });

  it("refuses a negative size", () => {
    expect(() => new FrameSplitter(100).push(hex("ffffffff"))).toThrow(
      new MalformedRequest("a request of -1 bytes is over the gateway's limit of 100"),
    );
    expect(() => new FrameSplitter(100).push(hex("80000000 00"))).toThrow(/a request of -2147483648 bytes/);
  });
});

describe("readHeader", () => {
  it("reads kafkajs's v1 header and leaves the reader at the body", async () => {
    const frame = await kafkajsRequest(42, "my-client", kafkajsMetadataV1({ topics: ["orders"] }));
    const { header, body, api } = readHeader(defs, frame.subarray(4));
    expect(header).toEqual({ apiKey: 3, apiVersion: 1, correlationId: 42, clientId: "my-client" });
    expect(api?.name).toBe("Metadata");
    expect(decode(api!.request, 1, body)).toEqual({ topics: [{ name: "orders" }] });
    expect(body.remaining).toBe(0);
  });

  it("reads a null client id", () => {
    const { header } = readHeader(defs, hex("0003 0001 00000007 ffff ffffffff"));
    expect(header).toEqual({ apiKey: 3, apiVersion: 1, correlationId: 7, clientId: null });
  });

  it("reads a v2 header (a flexible version) with its tagged fields, leaving the reader at the body", () => {
    const frame = Buffer.concat([
      hex("0012 0003 00000009"), // ApiVersions v3, correlation id 9
      hex("0002 6b63"), // client id "kc": an int16 length even in v2
      hex("01 05 02 abcd"), // one tagged field the gateway does not know: tag 5, 2 bytes
      hex("04 6c6962 02 32 00"), // the body: "lib", "2", no tagged fields
    ]);
    const { header, body, api } = readHeader(defs, frame);
    expect(header).toEqual({ apiKey: API_VERSIONS_KEY, apiVersion: 3, correlationId: 9, clientId: "kc" });
    expect(decode(api!.request, 3, body)).toEqual({ clientSoftwareName: "lib", clientSoftwareVersion: "2" });
    expect(body.remaining).toBe(0);
  });

  it("reads a version of ApiVersions past the definitions by the header's first fields", () => {
    // A client sends ApiVersions at the newest version it knows, with a v2 header.
    const frame = Buffer.concat([hex("0012 0063 0000000b 0004 6e657731"), hex("00"), hex("04 6c6962 02 32 00")]);
    const { header, body, api } = readHeader(defs, frame);
    expect(header).toEqual({ apiKey: 18, apiVersion: 99, correlationId: 11, clientId: "new1" });
    expect(api?.name).toBe("ApiVersions");
    // The v2 header's tagged fields stay unread: the reader is just past the client id.
    expect(body.position).toBe(14);
  });

  it("reads the header of an API it does not know", () => {
    const { header, api } = readHeader(defs, hex("1234 0000 00000001 0000"));
    expect(header).toEqual({ apiKey: 0x1234, apiVersion: 0, correlationId: 1, clientId: "" });
    expect(api).toBeUndefined();
  });

  it("refuses a frame too short for a header, and a client id longer than the frame", () => {
    expect(() => readHeader(defs, hex("0012 0003 0000"))).toThrow(
      new MalformedRequest("a request of 6 bytes has no room for a header"),
    );
    expect(() => readHeader(defs, hex("0003 0001 00000001 0010 6162"))).toThrow(MalformedRequest);
  });
});

describe("responseFrame", () => {
  const apiVersions = defs.apis.get(API_VERSIONS_KEY)!;
  const metadata = defs.apis.get(3)!;

  it("answers ApiVersions v3 with header v0 (no tagged fields), which platformatic parses", () => {
    const body = { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }], throttleTimeMs: 0 };
    const frame = responseFrame(defs, apiVersions, 3, 0x01020304, body);
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.subarray(4, 8)).toEqual(hex("01020304"));
    // The body starts at once: error code 0, then a compact array of one.
    expect(frame.subarray(8, 11)).toEqual(hex("0000 02"));
    expect(apiVersionsV3.parseResponse(0, 18, 3, Reader.from(frame.subarray(8)))).toEqual({
      errorCode: 0,
      apiKeys: [{ apiKey: 18, name: "ApiVersions", minVersion: 0, maxVersion: 4 }],
      throttleTimeMs: 0,
    });
  });

  it("answers a flexible version with header v1, and an older one with header v0", () => {
    const flexible = responseFrame(defs, metadata, 12, 5, { brokers: [], topics: [] });
    expect(flexible).toEqual(hex("00000011 00000005 00 00000000 01 00 ffffffff 01 00"));
    const old = responseFrame(defs, metadata, 1, 5, { brokers: [], topics: [] });
    expect(old).toEqual(hex("00000010 00000005 00000000 ffffffff 00000000"));
  });
});

describe("FrameSplitter, many frames in one chunk", () => {
  it("answers frames inside one chunk as views of it, copying none (linear in the bytes, however many frames)", () => {
    // Heartbeat-sized frames, as a client that pipelines requests sends them. Copying what is
    // left after each frame would make this quadratic.
    const frame = frameOf(Buffer.alloc(46, 1));
    const chunk = Buffer.concat(Array.from({ length: 10_000 }, () => frame));
    const frames = new FrameSplitter(1024).push(chunk);
    expect(frames.length).toBe(10_000);
    expect(frames[9_999]).toEqual(Buffer.alloc(46, 1));
    expect(frames.every((f, i) => f.buffer === chunk.buffer && f.byteOffset === chunk.byteOffset + i * 50 + 4)).toBe(
      true,
    );
  });

  it("copies a frame that spans chunks once, and keeps the rest of its last chunk", () => {
    const a = frameOf(Buffer.from("first"));
    const b = frameOf(Buffer.from("second"));
    const both = Buffer.concat([a, b]);
    const splitter = new FrameSplitter(1024);
    expect(splitter.push(both.subarray(0, 3))).toEqual([]);
    const [first] = splitter.push(both.subarray(3, a.length + 2));
    expect(first).toEqual(Buffer.from("first"));
    expect(splitter.pending).toBe(2);
    expect(splitter.push(both.subarray(a.length + 2))).toEqual([Buffer.from("second")]);
    expect(splitter.pending).toBe(0);
  });
});
