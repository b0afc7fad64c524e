/**
 * The gateway's codec (gateway/protocol/codec.ts) and the definitions it reads (schema.ts).
 * Requests and responses are checked against the encoders and decoders that two Kafka clients
 * wrote by hand: kafkajs for the versions before flexible ones, @platformatic/kafka for flexible
 * versions. Tagged fields (which neither client's decoder reads) are checked against bytes
 * assembled here from Kafka's protocol guide (KIP-482). Frames that lie (cut short, counting
 * more than they hold, random) must be refused with MalformedRequest and nothing else.
 */
import { createRequire } from "node:module";
import {
  apiVersionsV3,
  metadataV12,
  type Writer as PlatformaticWriter,
  produceV9,
  protocolAPIsById,
  Reader,
} from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import { decode, encode, MalformedRequest, type Struct } from "../../gateway/protocol/codec.ts";
import { readBatches } from "../../gateway/protocol/records.ts";
import {
  type ApiSpec,
  loadDefinitions,
  type MessageSpec,
  parseDefinition,
  parseVersions,
} from "../../gateway/protocol/schema.ts";

const require = createRequire(import.meta.url);
const kafkajsRequest = (path: string) => require(`kafkajs/src/protocol/requests/${path}`);

const defs = loadDefinitions();

function api(name: string): ApiSpec {
  const found = [...defs.apis.values()].find((a) => a.name === name);
  if (!found) throw new Error(`no ${name} definition`);
  return found;
}

const encodeBody = (spec: MessageSpec, version: number, value: Struct): Buffer => encode(spec, version, value).buffer;

/** Decodes a whole body: a decoder that leaves bytes unread has misread the message. */
function decodeBody(spec: MessageSpec, version: number, bytes: Buffer): Struct {
  const reader = Reader.from(bytes);
  const value = decode(spec, version, reader);
  expect(reader.remaining).toBe(0);
  return value;
}

/** The body of a kafkajs request (kafkajs encoders are async and answer their own Encoder). */
async function kafkajsBody(path: string, args: unknown): Promise<Buffer> {
  const request = kafkajsRequest(path)(args);
  return (await request.encode()).buffer;
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const int64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

describe("parseVersions", () => {
  it("reads Kafka's version ranges: n+, n-m, n and none", () => {
    expect(parseVersions("3+")).toEqual({ from: 3, to: Number.POSITIVE_INFINITY });
    expect(parseVersions("0-2")).toEqual({ from: 0, to: 2 });
    expect(parseVersions("5")).toEqual({ from: 5, to: 5 });
    expect(parseVersions("none")).toEqual({ from: 0, to: -1 });
    expect(parseVersions(undefined)).toEqual({ from: 0, to: -1 });
  });

  it("refuses a range it cannot read", () => {
    expect(() => parseVersions("3-")).toThrow("not a version range: '3-'");
    expect(() => parseVersions("v1")).toThrow("not a version range");
  });
});

describe("loadDefinitions", () => {
  it("names every API by the key Kafka gives it (as @platformatic/kafka's table does)", () => {
    expect(defs.apis.size).toBeGreaterThan(20);
    for (const [key, spec] of defs.apis) {
      expect(spec.apiKey).toBe(key);
      expect(spec.name).toBe(protocolAPIsById[key]);
      expect(spec.response.name).toBe(`${spec.name}Response`);
    }
  });

  it("knows which versions of an API exist and which are flexible", () => {
    const metadata = api("Metadata");
    expect(metadata.apiKey).toBe(3);
    expect(metadata.request.validVersions).toEqual({ from: 0, to: 12 });
    expect(metadata.request.flexibleVersions).toEqual({ from: 9, to: Number.POSITIVE_INFINITY });
    expect(api("SaslHandshake").request.flexibleVersions).toEqual({ from: 0, to: -1 });
    expect(defs.requestHeader.validVersions).toEqual({ from: 0, to: 2 });
    expect(defs.responseHeader.flexibleVersions).toEqual({ from: 1, to: Number.POSITIVE_INFINITY });
  });
});

describe("Metadata v1, against kafkajs", () => {
  const { request, response } = api("Metadata");

  it("decodes kafkajs's request, and encodes the same bytes", async () => {
    const bytes = await kafkajsBody("metadata/v1/request", { topics: ["orders", "payments"] });
    expect(bytes).toEqual(hex("00000002 0006 6f7264657273 0008 7061796d656e7473"));
    const value = decodeBody(request, 1, bytes);
    expect(value).toEqual({ topics: [{ name: "orders" }, { name: "payments" }] });
    expect(encodeBody(request, 1, value)).toEqual(bytes);
  });

  it("reads kafkajs's request for every topic as a null array (-1), and writes it so", async () => {
    const bytes = await kafkajsBody("metadata/v1/request", { topics: [] });
    expect(decodeBody(request, 1, bytes)).toEqual({ topics: null });
    expect(encodeBody(request, 1, { topics: null })).toEqual(hex("ffffffff"));
  });

  it("encodes a response that kafkajs decodes, with a null rack and defaults for fields left out", async () => {
    const bytes = encodeBody(response, 1, {
      brokers: [
        { nodeId: 1, host: "127.0.0.1", port: 9092, rack: "eu-1" },
        { nodeId: 2, host: "broker-2", port: 9093 },
      ],
      topics: [
        {
          errorCode: 0,
          name: "orders",
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1, 2], isrNodes: [1] }],
        },
      ],
    });
    const { decode: kafkajsDecode } = kafkajsRequest("metadata/v1/response");
    expect(await kafkajsDecode(bytes)).toEqual({
      brokers: [
        { nodeId: 1, host: "127.0.0.1", port: 9092, rack: "eu-1" },
        { nodeId: 2, host: "broker-2", port: 9093, rack: null },
      ],
      controllerId: -1,
      topicMetadata: [
        {
          topicErrorCode: 0,
          topic: "orders",
          isInternal: false,
          partitionMetadata: [{ partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1, 2], isr: [1] }],
        },
      ],
    });
  });
});

describe("Metadata v12, against @platformatic/kafka", () => {
  const { request, response } = api("Metadata");
  const topicId = "0f6b2a1e-93c4-4d5e-8f7a-1b2c3d4e5f60";

  it("decodes platformatic's request (compact strings, a zero uuid), and encodes the same bytes", () => {
    const bytes = (metadataV12.createRequest(["orders", "payments"], true, false) as PlatformaticWriter).buffer;
    const value = decodeBody(request, 12, bytes);
    expect(value).toEqual({
      topics: [
        { topicId: "00000000-0000-0000-0000-000000000000", name: "orders" },
        { topicId: "00000000-0000-0000-0000-000000000000", name: "payments" },
      ],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    });
    expect(encodeBody(request, 12, value)).toEqual(bytes);
    // A uuid left out is the zero uuid, as Kafka's generated code writes it.
    expect(
      encodeBody(request, 12, { topics: [{ name: "orders" }, { name: "payments" }], allowAutoTopicCreation: true }),
    ).toEqual(bytes);
  });

  it("encodes a response that platformatic parses", () => {
    const bytes = encodeBody(response, 12, {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: null }],
      clusterId: "tributary",
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: "orders",
          topicId,
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 7,
              replicaNodes: [1],
              isrNodes: [1],
              offlineReplicas: [],
            },
          ],
          topicAuthorizedOperations: 248,
        },
      ],
    });
    expect(bytes.includes(hex(topicId.replaceAll("-", "")))).toBe(true);
    expect(metadataV12.parseResponse(0, 3, 12, Reader.from(bytes))).toEqual({
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: null }],
      clusterId: "tributary",
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: "orders",
          topicId,
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 7,
              replicaNodes: [1],
              isrNodes: [1],
              offlineReplicas: [],
            },
          ],
          topicAuthorizedOperations: 248,
        },
      ],
    });
  });

  it("writes an unknown topic id's topic with a null compact name, byte for byte", () => {
    const bytes = encodeBody(response, 12, {
      brokers: [],
      topics: [{ errorCode: 100, name: null, topicId, partitions: [] }],
    });
    expect(bytes).toEqual(
      Buffer.concat([
        hex("00000000"), // throttle time
        hex("01"), // no brokers (compact: length + 1)
        hex("00"), // cluster id: null
        hex("ffffffff"), // controller id: its default, -1
        hex("02"), // one topic
        hex("0064"), // UNKNOWN_TOPIC_ID
        hex("00"), // name: null
        hex(topicId.replaceAll("-", "")),
        hex("00"), // not internal
        hex("01"), // no partitions
        hex("80000000"), // authorized operations: its default
        hex("00"), // the topic's tagged fields
        hex("00"), // the response's tagged fields
      ]),
    );
    expect(decodeBody(response, 12, bytes).topics).toEqual([
      {
        errorCode: 100,
        name: null,
        topicId,
        isInternal: false,
        partitions: [],
        topicAuthorizedOperations: -2147483648,
      },
    ]);
  });
});

describe("ApiVersions v3, and tagged fields", () => {
  const { request, response } = api("ApiVersions");

  it("decodes platformatic's request, and encodes the same bytes", () => {
    const bytes = (apiVersionsV3.createRequest("tributary-test", "1.2.3") as PlatformaticWriter).buffer;
    expect(bytes).toEqual(
      Buffer.concat([hex("0f"), Buffer.from("tributary-test"), hex("06"), Buffer.from("1.2.3"), hex("00")]),
    );
    const value = decodeBody(request, 3, bytes);
    expect(value).toEqual({ clientSoftwareName: "tributary-test", clientSoftwareVersion: "1.2.3" });
    expect(encodeBody(request, 3, value)).toEqual(bytes);
  });

  it("encodes a response that platformatic parses", () => {
    const bytes = encodeBody(response, 3, {
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: 3, maxVersion: 11 },
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
      ],
      throttleTimeMs: 0,
    });
    expect(apiVersionsV3.parseResponse(0, 18, 3, Reader.from(bytes))).toEqual({
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, name: "Produce", minVersion: 3, maxVersion: 11 },
        { apiKey: 18, name: "ApiVersions", minVersion: 0, maxVersion: 4 },
      ],
      throttleTimeMs: 0,
    });
  });

  it("writes tagged fields only when given, in tag order, each with its size", () => {
    const base = { errorCode: 0, apiKeys: [], throttleTimeMs: 0 };
    expect(encodeBody(response, 3, base)).toEqual(hex("0000 01 00000000 00"));
    const bytes = encodeBody(response, 3, { ...base, zkMigrationReady: true, finalizedFeaturesEpoch: 7n });
    expect(bytes).toEqual(
      Buffer.concat([
        hex("0000 01 00000000"),
        hex("02"), // two tagged fields
        hex("01 08"), // tag 1 (FinalizedFeaturesEpoch), 8 bytes
        int64(7n),
        hex("03 01 01"), // tag 3 (ZkMigrationReady), 1 byte, true
      ]),
    );
    expect(decodeBody(response, 3, bytes)).toEqual({ ...base, finalizedFeaturesEpoch: 7n, zkMigrationReady: true });
  });

  it("reads tagged fields, skipping tags it does not know, and leaves absent ones out", () => {
    const bytes = Buffer.concat([
      hex("0000 01 00000000"),
      hex("02"),
      hex("01 08"),
      int64(42n),
      hex("09 03 aabbcc"), // a tag no version defines
    ]);
    const value = decodeBody(response, 3, bytes);
    expect(value).toEqual({ errorCode: 0, apiKeys: [], throttleTimeMs: 0, finalizedFeaturesEpoch: 42n });
    expect(value).not.toHaveProperty("zkMigrationReady");
  });

  it("writes and reads a tagged struct (Produce v10's CurrentLeader) with its own tagged fields", () => {
    const { response: produce } = api("Produce");
    const partition = {
      index: 0,
      errorCode: 6, // NOT_LEADER_OR_FOLLOWER
      baseOffset: -1n,
      logAppendTimeMs: -1n,
      logStartOffset: -1n,
      recordErrors: [],
      errorMessage: null,
      currentLeader: { leaderId: 3, leaderEpoch: 9 },
    };
    const bytes = encodeBody(produce, 10, { responses: [{ name: "t", partitionResponses: [partition] }] });
    expect(bytes.subarray(-19)).toEqual(
      Buffer.concat([
        hex("00"), // error message: null
        hex("01 00 09"), // one tagged field: tag 0, 9 bytes
        hex("00000003 00000009 00"), // leader id, leader epoch, the struct's own tagged fields
        hex("00"), // the topic's tagged fields
        hex("00000000"), // throttle time
        hex("00"), // the response's tagged fields
      ]),
    );
    expect(decodeBody(produce, 10, bytes)).toEqual({
      responses: [{ name: "t", partitionResponses: [partition] }],
      throttleTimeMs: 0,
    });
  });
});

describe("Produce v9 (flexible), against @platformatic/kafka", () => {
  const { request, response } = api("Produce");

  it("decodes platformatic's request down to its records", () => {
    const writer = produceV9.createRequest(-1, 30_000, [
      {
        topic: "orders",
        partition: 0,
        key: Buffer.from("k1"),
        value: Buffer.from("v1"),
        timestamp: 1_700_000_000_000n,
        headers: new Map([[Buffer.from("h"), Buffer.from("x")]]),
      },
      { topic: "orders", partition: 2, value: Buffer.from("v2"), timestamp: 1_700_000_000_005n },
    ]) as PlatformaticWriter;
    const value = decodeBody(request, 9, writer.buffer);
    expect(value).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 30_000 });
    const topics = value.topicData as { name: string; partitionData: { index: number; records: Buffer }[] }[];
    expect(topics.map((t) => t.name)).toEqual(["orders"]);
    expect(topics[0]!.partitionData.map((p) => p.index)).toEqual([0, 2]);
    const [first] = readBatches(topics[0]!.partitionData[0]!.records, 1 << 20);
    expect(first!.records).toEqual([
      {
        offsetDelta: 0,
        timestamp: 1_700_000_000_000,
        key: Buffer.from("k1"),
        value: Buffer.from("v1"),
        headers: [[Buffer.from("h"), Buffer.from("x")]],
      },
    ]);
    const [second] = readBatches(topics[0]!.partitionData[1]!.records, 1 << 20);
    expect(second!.records).toEqual([
      { offsetDelta: 0, timestamp: 1_700_000_000_005, key: null, value: Buffer.from("v2"), headers: [] },
    ]);
    expect(encodeBody(request, 9, value)).toEqual(writer.buffer);
  });

  it("encodes a response that platformatic parses", () => {
    const bytes = encodeBody(response, 9, {
      responses: [
        {
          name: "orders",
          partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 41n, logAppendTimeMs: -1n, logStartOffset: 0n }],
        },
      ],
      throttleTimeMs: 0,
    });
    expect(produceV9.parseResponse(0, 0, 9, Reader.from(bytes))).toEqual({
      responses: [
        {
          name: "orders",
          partitionResponses: [
            {
              index: 2,
              errorCode: 0,
              baseOffset: 41n,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
              recordErrors: [],
              errorMessage: null,
            },
          ],
        },
      ],
      throttleTimeMs: 0,
    });
  });
});

describe("Produce v3, against kafkajs", () => {
  const { request, response } = api("Produce");

  it("decodes kafkajs's request (int32-sized records) down to its records", async () => {
    const bytes = await kafkajsBody("produce/v3/request", {
      acks: 1,
      timeout: 5000,
      topicData: [
        {
          topic: "payments",
          partitions: [
            {
              partition: 1,
              messages: [{ key: "k", value: "hello", timestamp: 1_700_000_000_000, headers: { a: "1" } }],
            },
          ],
        },
      ],
    });
    const value = decodeBody(request, 3, bytes);
    expect(value).toMatchObject({ transactionalId: null, acks: 1, timeoutMs: 5000 });
    const partition = (value.topicData as { partitionData: { index: number; records: Buffer }[] }[])[0]!
      .partitionData[0]!;
    expect(partition.index).toBe(1);
    expect(readBatches(partition.records, 1 << 20)[0]!.records).toEqual([
      {
        offsetDelta: 0,
        timestamp: 1_700_000_000_000,
        key: Buffer.from("k"),
        value: Buffer.from("hello"),
        headers: [[Buffer.from("a"), Buffer.from("1")]],
      },
    ]);
    expect(encodeBody(request, 3, value)).toEqual(bytes);
  });

  it("encodes a response that kafkajs decodes", async () => {
    const bytes = encodeBody(response, 3, {
      responses: [
        {
          name: "payments",
          partitionResponses: [{ index: 1, errorCode: 0, baseOffset: 2n ** 40n, logAppendTimeMs: -1n }],
        },
      ],
      throttleTimeMs: 12,
    });
    const { decode: kafkajsDecode } = kafkajsRequest("produce/v3/response");
    expect(await kafkajsDecode(bytes)).toEqual({
      topics: [
        {
          topicName: "payments",
          partitions: [{ partition: 1, errorCode: 0, baseOffset: String(2n ** 40n), logAppendTime: "-1" }],
        },
      ],
      throttleTime: 12,
    });
  });
});

describe("a nullable struct (a definition of its own, as Kafka's generator writes one)", () => {
  const spec = parseDefinition(`// A comment line, as Kafka's definition files open with.
{
  "apiKey": 1000, "type": "request", "name": "TestRequest",
  "validVersions": "0-1", "flexibleVersions": "1+",
  "fields": [
    // A comment between fields.
    { "name": "Leader", "type": "Leader", "versions": "0+", "nullableVersions": "0+", "fields": [
      { "name": "Id", "type": "int32", "versions": "0+" }
    ]}
  ]
}`);

  it("marks null with -1 and a value with 1", () => {
    expect(encodeBody(spec, 0, { leader: null })).toEqual(hex("ff"));
    expect(encodeBody(spec, 0, { leader: { id: 5 } })).toEqual(hex("01 00000005"));
    expect(encodeBody(spec, 1, { leader: { id: 5 } })).toEqual(hex("01 00000005 00 00"));
    expect(decodeBody(spec, 0, hex("ff"))).toEqual({ leader: null });
    expect(decodeBody(spec, 1, hex("01 00000005 00 00"))).toEqual({ leader: { id: 5 } });
  });
});

describe("frames that lie", () => {
  const cases: [string, () => Promise<[MessageSpec, number, Buffer]>][] = [
    [
      "Metadata v1 (kafkajs)",
      async () => [api("Metadata").request, 1, await kafkajsBody("metadata/v1/request", { topics: ["a", "bb"] })],
    ],
    [
      "Metadata v12 (platformatic)",
      async () => [api("Metadata").request, 12, (metadataV12.createRequest(["a", "bb"]) as PlatformaticWriter).buffer],
    ],
    [
      "ApiVersions v3 (platformatic)",
      async () => [api("ApiVersions").request, 3, (apiVersionsV3.createRequest("x", "1") as PlatformaticWriter).buffer],
    ],
    [
      "Produce v9 (platformatic)",
      async () => [
        api("Produce").request,
        9,
        (
          produceV9.createRequest(1, 100, [
            { topic: "t", partition: 0, value: Buffer.from("v"), timestamp: 1n },
          ]) as PlatformaticWriter
        ).buffer,
      ],
    ],
  ];

  it.each(cases)("refuses every truncation of %s with MalformedRequest", async (_, make) => {
    const [spec, version, bytes] = await make();
    expect(decodeBody(spec, version, bytes)).toBeTypeOf("object");
    for (let cut = 0; cut < bytes.length; cut++) {
      const err = errorOf(() => decode(spec, version, Reader.from(bytes.subarray(0, cut))));
      expect(err, `cut at ${cut} of ${bytes.length}`).toBeInstanceOf(MalformedRequest);
    }
  });

  it("refuses an array count beyond the frame before reading an element", () => {
    const metadata = api("Metadata").request;
    expect(() => decode(metadata, 1, Reader.from(hex("7fffffff 0001 61")))).toThrow(
      new MalformedRequest("Topics (a count of 2147483647) says 2147483647 bytes, but only 3 are left in the frame"),
    );
    // Compact: 2^28 + 1, so a count of 2^28.
    expect(() => decode(metadata, 12, Reader.from(hex("8180808001 00")))).toThrow(/a count of 268435456\) says/);
  });

  it("refuses a string or bytes length beyond the frame", () => {
    const produce = api("Produce").request;
    const records = hex("ffff 0001 00000064 00000001 0001 74 00000001 00000000 40000000 000000");
    expect(() => decode(produce, 3, Reader.from(records))).toThrow(
      new MalformedRequest("Records says 1073741824 bytes, but only 3 are left in the frame"),
    );
    const metadata = api("Metadata").request;
    expect(() => decode(metadata, 1, Reader.from(hex("00000001 7fff 6162")))).toThrow(
      new MalformedRequest("Name says 32767 bytes, but only 2 are left in the frame"),
    );
  });

  it("refuses tagged fields that say more than the frame holds", () => {
    const apiVersions = api("ApiVersions").request;
    // "x", "1", then one tagged field (tag 0) of 100 bytes with 2 left.
    expect(() => decode(apiVersions, 3, Reader.from(hex("0278 0231 01 00 64 aabb")))).toThrow(
      new MalformedRequest("tagged field 0 says 100 bytes, but only 2 are left in the frame"),
    );
    expect(() => decode(apiVersions, 3, Reader.from(hex("0278 0231 ffffff7f")))).toThrow(
      new MalformedRequest("tagged fields says 268435455 bytes, but only 0 are left in the frame"),
    );
  });

  it("refuses a varint that runs off the end of the frame", () => {
    expect(() => decode(api("Metadata").request, 12, Reader.from(hex("808080")))).toThrow(MalformedRequest);
  });

  it("either decodes random bytes or refuses them with MalformedRequest, for every API and version", () => {
    // A fixed pseudo-random sequence (xorshift32), so that a failure can be replayed.
    let seed = 0x2545f491;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    let decoded = 0;
    let refused = 0;
    for (const spec of defs.apis.values()) {
      for (let version = spec.request.validVersions.from; version <= spec.request.validVersions.to; version++) {
        for (let i = 0; i < 20; i++) {
          const bytes = Buffer.alloc(next() % 64);
          for (let j = 0; j < bytes.length; j++) bytes[j] = next() & 0xff;
          try {
            decode(spec.request, version, Reader.from(bytes));
            decoded++;
          } catch (err) {
            expect(err).toBeInstanceOf(MalformedRequest);
            refused++;
          }
        }
      }
    }
    expect(refused).toBeGreaterThan(decoded);
  });
});

describe("null where the version does not allow it", () => {
  // Kafka's generated code refuses these ("non-nullable field … was serialized as null"); read
  // as null, a Produce to a topic named null goes to the topic "null".
  const metadata = api("Metadata").request;
  const produce = api("Produce").request;

  it.each([
    ["a Metadata v1 topic name (nullable from v10)", metadata, 1, "00000001 ffff"],
    ["a Produce v3 topic name", produce, 3, "ffff 0001 000003e8 00000001 ffff 00000000"],
    ["a Produce v9 topic name (compact)", produce, 9, "00 ffff 000003e8 02 00 01 00 00"],
    ["a Produce v3 topic array", produce, 3, "ffff 0001 000003e8 ffffffff"],
  ])("refuses %s of null with MalformedRequest", (_, spec, version, bytes) => {
    expect(() => decode(spec, version, Reader.from(hex(bytes)))).toThrow(MalformedRequest);
  });

  it("still reads null where the version allows it", () => {
    expect(decodeBody(metadata, 1, hex("ffffffff"))).toEqual({ topics: null });
    expect(decodeBody(produce, 3, hex("ffff 0001 000003e8 00000001 0001 74 00000001 00000000 ffffffff"))).toEqual({
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: "t", partitionData: [{ index: 0, records: null }] }],
    });
  });
});
