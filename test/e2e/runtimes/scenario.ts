// What every runtime the SDK claims must do with scoped tokens, written once and run on Node,
// Deno, Bun (test/e2e/runtimes.test.ts) and inside a Worker (sdk-worker/worker.ts); the browser
// does the same through the browser example (test/e2e/browser.test.ts). It uses the SDK only,
// so it runs wherever the SDK does, and throws on the first thing that is not as expected.
import { createClient, TributaryError, type WebSocketConstructor } from "../../../sdk/index.ts";

export interface ScenarioInput {
  url: string;
  /** A topic of at least two partitions, empty, made by the test. */
  topic: string;
  /** A group no one else uses. */
  group: string;
  /** A token that may only write the topic. */
  writeToken: string;
  /** A token that may read the topic and the group. */
  readToken: string;
  /** The runtime's WebSocket, when it has no global one (Node 20). */
  webSocket?: WebSocketConstructor;
}

export interface ScenarioSummary {
  produced: number;
  /** The write-only token's attempt to read: Kafka's 403 code. */
  refused: string;
  read: number;
  consumed: number;
  /** Whether each consumed record is the one produced there (same key, value and place). */
  matches: boolean;
  partitions: number[];
  /** The consumer's fetches of records: none when every record came over its WebSockets. */
  consumerFetches: number;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

export async function runScenario(input: ScenarioInput): Promise<ScenarioSummary> {
  const retry = { retries: 3, initialRetryTime: 10, maxRetryTime: 100 };
  const writer = createClient({ url: input.url, token: input.writeToken, retry });
  const reader = createClient({ url: input.url, token: input.readToken, retry });

  // An idempotent producer (the default): its producer id needs write on some topic only.
  const messages = Array.from({ length: 6 }, (_, i) => ({
    key: `user-${i % 3}`,
    value: { i },
    headers: { n: String(i) },
  }));
  const sent = await writer.producer().send({ topic: input.topic, messages });
  check(sent.length === messages.length, `sent ${sent.length} of ${messages.length}`);

  let refused = "read";
  try {
    await writer.fetch({ topic: input.topic, partition: sent[0]!.partition, offset: 0 });
  } catch (err) {
    refused = err instanceof TributaryError ? err.code : String(err);
  }

  const read: { partition: number; offset: number; i: number }[] = [];
  for (const { partition, high } of await reader.admin().fetchTopicOffsets(input.topic)) {
    if (high === 0) continue;
    const page = await reader.fetch({ topic: input.topic, partition, offset: 0 });
    for (const r of page.records) read.push({ partition, offset: r.offset, i: (r.value as { i: number }).i });
  }

  // The consumer's own client counts its record fetches: push delivery makes none.
  let consumerFetches = 0;
  const counting = (address: string, init: RequestInit) => {
    if ((init.method ?? "GET") === "GET" && new URL(address).pathname.endsWith("/records")) consumerFetches++;
    return fetch(address, init);
  };
  const pushed = createClient({ url: input.url, token: input.readToken, retry, fetch: counting });
  const consumer = pushed.consumer({
    groupId: input.group,
    push: "websocket",
    ...(input.webSocket ? { webSocket: input.webSocket } : {}),
    heartbeatIntervalMs: 200,
    maxWaitMs: 1_000,
    sessionTimeoutMs: 10_000,
  });
  const consumed: { partition: number; offset: number; key: unknown; i: number }[] = [];
  await consumer.subscribe({ topic: input.topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      consumed.push({ partition, offset: message.offset, key: message.key, i: (message.value as { i: number }).i });
    },
  });
  const deadline = Date.now() + 20_000;
  while (consumed.length < messages.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await consumer.disconnect();

  const matches = consumed.every((c) => {
    const at = sent[c.i];
    return at?.partition === c.partition && at.offset === c.offset && c.key === messages[c.i]!.key;
  });
  return {
    produced: sent.length,
    refused,
    read: read.length,
    consumed: consumed.length,
    matches,
    partitions: [...new Set(consumed.map((c) => c.partition))].sort((a, b) => a - b),
    consumerFetches,
  };
}
