// The SDK consumer on Deno, run by test/e2e/consumer-deno.test.ts: with Deno's global
// WebSocket and the default push "auto", records must come by push (no fetch of records), in
// order, and keep coming in order after the sockets drop. Exits non-zero on any mismatch or
// error; on success prints one JSON summary line.
//
//   TRIBUTARY_URL=http://127.0.0.1:8787 TRIBUTARY_TOKEN=dev-token \
//     deno run --no-lock --allow-net --allow-env test/e2e/deno/consumer-push.ts
import { createClient, TributaryError } from "../../../sdk/index.ts";

interface DenoLike {
  env: { get(name: string): string | undefined };
  exit(code: number): never;
}
const deno: DenoLike = (globalThis as unknown as { Deno: DenoLike }).Deno;

function fail(message: string): never {
  console.error(`deno consumer test failed: ${message}`);
  deno.exit(1);
}

function check(ok: boolean, message: string): void {
  if (!ok) fail(message);
}

// Deno's own WebSocket, remembering each socket so the script can drop them.
interface Closable {
  url: string;
  close(code?: number, reason?: string): void;
}
const NativeWebSocket = (globalThis as unknown as { WebSocket: new (url: string, init?: unknown) => Closable })
  .WebSocket;
const sockets: Closable[] = [];
class TrackedWebSocket extends NativeWebSocket {
  constructor(url: string, init?: unknown) {
    super(url, init);
    sockets.push(this);
  }
}
(globalThis as unknown as { WebSocket: unknown }).WebSocket = TrackedWebSocket;

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(url: string, token: string): Promise<Record<string, unknown>> {
  const fetched: string[] = [];
  const client = createClient({
    url,
    token,
    retry: { retries: 3, initialRetryTime: 10, maxRetryTime: 100 },
    fetch: (input, init) => {
      if ((init.method ?? "GET") === "GET" && new URL(input).pathname.endsWith("/records")) fetched.push(input);
      return fetch(input, init);
    },
  });
  const topic = `deno-consumer-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  await client.admin().createTopic({ topic, partitions: 2, replicationFactor: 1 });
  const send = (from: number, to: number) =>
    client.producer().send({
      topic,
      messages: Array.from({ length: to - from }, (_, k) =>
        [0, 1].map((partition) => ({ partition, value: from + k })),
      ).flat(),
    });
  await send(0, 10);

  const consumer = client.consumer({ groupId: `g-${topic}`, heartbeatIntervalMs: 200, maxWaitMs: 1_000 });
  const seen: [number, unknown][][] = [[], []];
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen[partition]!.push([message.offset, message.value]);
    },
  });
  await waitFor(() => seen[0]!.length === 10 && seen[1]!.length === 10, "the first 20 records");
  const firstSockets = sockets.length;
  check(firstSockets === 2, `expected 2 sockets, saw ${firstSockets}`);
  check(
    sockets.every((s) => !new URL(s.url).searchParams.has("token")),
    "the token went in the URL, not in the Authorization header",
  );

  for (const socket of sockets) socket.close(1000, "test");
  await send(10, 15);
  await waitFor(() => seen[0]!.length >= 15 && seen[1]!.length >= 15, "the records after the reconnect");
  for (const partition of [0, 1]) {
    const got = JSON.stringify(seen[partition]);
    const want = JSON.stringify(Array.from({ length: 15 }, (_, i) => [i, i]));
    check(got === want, `partition ${partition}: read ${got}, expected ${want}`);
  }
  check(fetched.length === 0, `records were fetched (${fetched.length} times) instead of pushed`);
  await consumer.disconnect();
  await client.admin().deleteTopic(topic);
  return { ok: true, runtime: "deno", read: seen.flat().length, sockets: sockets.length };
}

const url = deno.env.get("TRIBUTARY_URL") ?? fail("set TRIBUTARY_URL");
const token = deno.env.get("TRIBUTARY_TOKEN") ?? fail("set TRIBUTARY_TOKEN");
try {
  console.log(JSON.stringify(await main(url, token)));
} catch (err) {
  fail(err instanceof TributaryError ? `${err.code}: ${err.message}` : String(err));
}
