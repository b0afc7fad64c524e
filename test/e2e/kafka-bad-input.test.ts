// The gateway under bad input: SASL/PLAIN with a wrong password, clients that do not
// authenticate, frames over the limit, truncated frames, unknown API keys and versions, garbage
// bytes and a corrupt record batch. Each closes its connection (or is answered with Kafka's
// error), stores nothing, and the gateway goes on serving everyone else.

import { Reader } from "@platformatic/kafka";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { decode } from "../../gateway/protocol/codec.ts";
import { loadDefinitions } from "../../gateway/protocol/schema.ts";
import { connectWire } from "../helpers/kafka-wire.ts";
import { startLocalGateway } from "../helpers/local-gateway.mjs";

const url = inject("baseUrl");
const token = inject("token");
const broker = inject("kafkaBroker");
const defs = loadDefinitions();
let strict: Awaited<ReturnType<typeof startLocalGateway>>;

beforeAll(async () => {
  // A gateway without a token of its own: every client must authenticate.
  strict = await startLocalGateway({ url });
});
afterAll(async () => {
  await strict?.stop();
});

const kafka = (brokers: string[], sasl?: { username: string; password: string }) =>
  new Kafka({
    clientId: "bad-input",
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    ...(sasl ? { sasl: { mechanism: "plain" as const, ...sasl } } : {}),
  });

/** The gateway still serves: a new connection's ApiVersions is answered. */
async function stillServing(at = broker) {
  const wire = await connectWire(at);
  const answer = await wire.request(18, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
  wire.close();
  expect(answer.errorCode).toBe(0);
}

async function closedAfter(bytes: Buffer) {
  const wire = await connectWire(broker);
  wire.raw(bytes);
  await wire.closed;
  await stillServing();
}

function sized(n: number): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(n);
  return size;
}

function frame(apiKey: number, version: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8 + 2);
  head.writeInt16BE(apiKey, 0);
  head.writeInt16BE(version, 2);
  head.writeInt32BE(7, 4);
  head.writeInt16BE(-1, 8); // null client id
  return Buffer.concat([sized(head.length + body.length), head, body]);
}

describe("authentication", () => {
  it("accepts SASL/PLAIN with a Tributary token as the password, any username", async () => {
    const admin = kafka([strict.broker], { username: "anyone", password: token }).admin();
    await admin.connect();
    expect(Array.isArray(await admin.listTopics())).toBe(true);
    await admin.disconnect();
  });

  it("refuses a wrong password, and a client that does not authenticate when the gateway has no token", async () => {
    const wrong = kafka([strict.broker], { username: "anyone", password: "not-a-token" }).admin();
    await expect(wrong.connect()).rejects.toThrow(/SASL|authentication/i);
    const anonymous = kafka([strict.broker]).admin();
    await expect(anonymous.connect().then(() => anonymous.listTopics())).rejects.toThrow();
    await anonymous.disconnect().catch(() => {});
    await stillServing(strict.broker);
  });
});

describe("SaslHandshake v0 (the SASL token in a frame of its own)", () => {
  const plain = (password: string) => Buffer.from(`\u0000anyone\u0000${password}`);

  it("answers the token with an empty frame, then serves the connection", async () => {
    const wire = await connectWire(strict.broker);
    const handshake = await wire.request(17, 0, { mechanism: "PLAIN" });
    expect(handshake).toMatchObject({ errorCode: 0, mechanisms: ["PLAIN"] });
    const answer = new Promise<Buffer>((resolve) => wire.onRaw(resolve));
    wire.raw(Buffer.concat([sized(plain(token).length), plain(token)]));
    expect((await answer).equals(Buffer.alloc(4))).toBe(true);
    const metadata = await wire.request(3, 1, { topics: null });
    expect(metadata.brokers).toHaveLength(1);
    wire.close();
  });

  it("closes the connection on a wrong token", async () => {
    const wire = await connectWire(strict.broker);
    await wire.request(17, 0, { mechanism: "PLAIN" });
    wire.raw(Buffer.concat([sized(plain("wrong").length), plain("wrong")]));
    await wire.closed;
    await stillServing(strict.broker);
  });
});

describe("bad frames", () => {
  it("closes a connection whose frame is over the size limit, before reading it", async () => {
    await closedAfter(sized(0x7fffffff));
  });

  it("closes a connection on a truncated request, an unknown API key, garbage, or a version it does not serve", async () => {
    await closedAfter(Buffer.from([0, 0, 0, 3, 1, 2, 3]));
    await closedAfter(frame(999, 0));
    // Garbage in a frame of the right size: its API key reads as -27463.
    const garbage = Buffer.from(Array.from({ length: 508 }, (_, i) => (i * 37 + 148) % 256));
    await closedAfter(Buffer.concat([sized(garbage.length), garbage]));
    await closedAfter(frame(3, 60)); // Metadata v60
    // A Metadata request cut off inside its body.
    await closedAfter(frame(3, 1, Buffer.from([0, 0, 0, 5, 0, 3])));
  });

  it("answers ApiVersions of a version past its own with v0 and UNSUPPORTED_VERSION, as Kafka does", async () => {
    const wire = await connectWire(broker);
    const answer = wire.frame(7);
    wire.raw(frame(18, 99));
    const reader = Reader.from(await answer);
    const header = decode(defs.responseHeader, 0, reader);
    const body = decode(defs.apis.get(18)!.response, 0, reader);
    wire.close();
    expect(header.correlationId).toBe(7);
    expect(body.errorCode).toBe(35);
    // The answer names the versions served, so the client can try again.
    const versions = (body.apiKeys as Array<{ apiKey: number; maxVersion: number }>).find((k) => k.apiKey === 18);
    expect(versions?.maxVersion).toBeGreaterThanOrEqual(3);
    await stillServing();
  });

  it("refuses a record batch whose CRC does not match with CORRUPT_MESSAGE, storing nothing", async () => {
    const topic = `bad-crc-${Date.now().toString(36)}`;
    const created = await fetch(`${url}/v1/topics`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: topic, partitions: 1, replicationFactor: 1 }),
    });
    expect(created.status).toBe(201);
    const { writeBatch } = await import("../../gateway/protocol/records.ts");
    const batch = writeBatch([{ offset: 0, timestamp: Date.now(), key: null, value: Buffer.from("x"), headers: [] }]);
    batch[batch.length - 1] ^= 0xff; // the CRC no longer matches
    const wire = await connectWire(broker);
    const answer = await wire.request(0, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
    });
    wire.close();
    const partition = (answer.responses as any[])[0].partitionResponses[0];
    expect(partition.errorCode).toBe(2);
    const page = await (
      await fetch(`${url}/v1/topics/${topic}/partitions/0/records?offset=0`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json();
    expect(page.highWatermark).toBe(0);
  });

  it("stores a retried idempotent batch once, answering the first offsets", async () => {
    const topic = `retry-${Date.now().toString(36)}`;
    await fetch(`${url}/v1/topics`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: topic, partitions: 1, replicationFactor: 1 }),
    });
    const wire = await connectWire(broker);
    const init = await wire.request(22, 3, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    expect(init.errorCode).toBe(0);
    const { createRecordsBatch } = await import("@platformatic/kafka");
    const batch = createRecordsBatch(
      [{ topic, partition: 0, key: Buffer.from("k"), value: Buffer.from("once"), timestamp: BigInt(Date.now()) }],
      { producerId: init.producerId as bigint, producerEpoch: init.producerEpoch as number, firstSequence: 0 },
    ).buffer;
    const produce = () =>
      wire.request(0, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5_000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
      });
    const first = (await produce()).responses as any[];
    const again = (await produce()).responses as any[];
    wire.close();
    expect(first[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(again[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const page = await (
      await fetch(`${url}/v1/topics/${topic}/partitions/0/records?offset=0`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json();
    expect(page.records).toHaveLength(1);
  });
});
