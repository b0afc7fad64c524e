// A smoke test of the SDK on Deno, run by test/e2e/deno.test.ts: it imports the SDK's source
// directly (zod comes from the project's node_modules), creates a topic, produces keyed records,
// reads them back with a partition reader, and exits non-zero on any mismatch or error. On
// success it prints one JSON summary line.
//
//   TRIBUTARY_URL=http://127.0.0.1:8787 TRIBUTARY_TOKEN=dev-token \
//     deno run --no-lock --allow-net --allow-env --allow-read test/e2e/deno/sdk-smoke.ts
import { createClient, type ReaderRecord, TributaryError } from "../../../sdk/index.ts";
import { partitionForKey } from "../../../sdk/protocol/partitioner.ts";

interface DenoLike {
  env: { get(name: string): string | undefined };
  exit(code: number): never;
  version: { deno: string };
}
const deno: DenoLike = (globalThis as unknown as { Deno: DenoLike }).Deno;

function fail(message: string): never {
  console.error(`deno smoke test failed: ${message}`);
  deno.exit(1);
}

function check(ok: boolean, message: string): void {
  if (!ok) fail(message);
}

const PARTITIONS = 3;

interface SentMessage {
  key: string;
  value: unknown;
  headers: { seq: string };
}

async function main(url: string, token: string): Promise<Record<string, unknown>> {
  const topic = `deno-smoke-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const client = createClient({ url, token, retry: { retries: 3, initialRetryTime: 10, maxRetryTime: 100 } });
  const admin = client.admin();
  await admin.createTopic({ topic, partitions: PARTITIONS, replicationFactor: 1 });

  const messages: SentMessage[] = Array.from({ length: 12 }, (_, i) => ({
    key: `user-${i % 4}`,
    value: { i, runtime: "deno" },
    headers: { seq: String(i) },
  }));
  messages.push({ key: "binary", value: new Uint8Array([0, 1, 254, 255]), headers: { seq: "12" } });
  const results = await client.producer().send({ topic, messages });

  results.forEach((r, i) => {
    const expected = partitionForKey(messages[i]!.key, PARTITIONS);
    check(r.partition === expected, `message ${i} went to partition ${r.partition}, not ${expected}`);
  });

  // Read every partition back with the reader, up to its high watermark.
  const read: ReaderRecord[] = [];
  for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
    if (high === 0) continue;
    for await (const record of client.reader({ topic, partition, fromOffset: "earliest" })) {
      read.push(record);
      if (record.offset === high - 1) break;
    }
  }

  check(read.length === messages.length, `read ${read.length} records, sent ${messages.length}`);
  for (const record of read) {
    const seq = Number(record.headers.seq);
    const sent = messages[seq] ?? fail(`record ${record.partition}/${record.offset} has seq ${record.headers.seq}`);
    const at = results[seq]!;
    check(record.key === sent.key, `record ${seq} has key ${String(record.key)}, sent ${sent.key}`);
    check(
      at.partition === record.partition && at.offset === record.offset,
      `record ${seq} was read at ${record.partition}/${record.offset}, sent to ${at.partition}/${at.offset}`,
    );
    const same =
      sent.value instanceof Uint8Array
        ? record.value instanceof Uint8Array && record.value.join() === sent.value.join()
        : JSON.stringify(record.value) === JSON.stringify(sent.value);
    check(same, `record ${seq} has value ${JSON.stringify(record.value)}, sent ${JSON.stringify(sent.value)}`);
  }

  await admin.deleteTopic(topic);
  return {
    ok: true,
    runtime: "deno",
    deno: deno.version.deno,
    topic,
    produced: results.length,
    read: read.length,
    partitions: [...new Set(read.map((r) => r.partition))].sort((a, b) => a - b),
  };
}

const url = deno.env.get("TRIBUTARY_URL") ?? fail("set TRIBUTARY_URL");
const token = deno.env.get("TRIBUTARY_TOKEN") ?? fail("set TRIBUTARY_TOKEN");
try {
  console.log(JSON.stringify(await main(url, token)));
} catch (err) {
  fail(err instanceof TributaryError ? `${err.code}: ${err.message}` : String(err));
}
