// Shared by the consumer and queue end-to-end tests: unique names, polling with a deadline,
// and plain HTTP reads of a group's state (what the tests check the SDK against).
import { inject } from "vitest";
import { type ConsumerOptions, createClient, type TributaryClient } from "../../sdk/index.ts";

export const url = inject("baseUrl");
export const token = inject("token");

/** Retries on, with tiny delays, as a caller would set them for a local worker. */
export const retry = { retries: 3, initialRetryTime: 5, maxRetryTime: 50 };

export const client = createClient({ url, token, retry });

/**
 * Consumer options that notice rebalances quickly and never wait long, for tests: frequent
 * heartbeats and commits, short long polls.
 */
export const fast: Omit<ConsumerOptions, "groupId"> = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 200,
  autoCommitIntervalMs: 300,
  maxWaitMs: 1_000,
};

let n = 0;
/** A name no other test uses. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** A new topic with `partitions` partitions. */
export async function newTopic(partitions: number, c: TributaryClient = client): Promise<string> {
  const topic = unique("ct");
  await c.admin().createTopic({ topic, partitions, replicationFactor: 1 });
  return topic;
}

/** Sends `count` records to each partition of `topic` (values `{ p, i }`), `first` the first i. */
export async function fill(topic: string, partitions: number, count: number, first = 0): Promise<void> {
  const messages = [];
  for (let p = 0; p < partitions; p++) {
    for (let i = first; i < first + count; i++) messages.push({ partition: p, value: { p, i } });
  }
  await client.producer().send({ topic, messages });
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function get(path: string): Promise<any> {
  const res = await fetch(new URL(path, url), { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json();
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** The group as GET /v1/groups/:group describes it. */
export function describeGroup(group: string): Promise<{
  state: string;
  generation: number;
  members: { memberId: string; assignments: { topic: string; partition: number }[] }[];
}> {
  return get(`/v1/groups/${group}`);
}

/** The group's committed offset of each partition of `topic` (null where it has none). */
export async function committed(group: string, topic: string): Promise<(number | null)[]> {
  const { offsets } = await get(`/v1/groups/${group}/offsets?topic=${topic}`);
  return (offsets as { partition: number; committed: number | null }[])
    .sort((a, b) => a.partition - b.partition)
    .map((o) => o.committed);
}

/** Every record of a partition, from its start. */
export async function readAll(topic: string, partition: number) {
  const out = [];
  let offset = 0;
  for (let pages = 0; pages < 100; pages++) {
    const page = await client.fetch({ topic, partition, offset });
    out.push(...page.records);
    if (page.nextOffset >= page.highWatermark) return out;
    offset = page.nextOffset;
  }
  throw new Error("more than 100 pages");
}

/**
 * Records which member handles which partition, and fails the test if two members ever
 * handle one partition at the same time.
 */
export function overlapGuard() {
  const busy = new Map<string, string>();
  const overlaps: string[] = [];
  return {
    overlaps,
    async around<T>(member: string, topic: string, partition: number, work: () => Promise<T>): Promise<T> {
      const k = `${topic}/${partition}`;
      const other = busy.get(k);
      if (other !== undefined && other !== member) overlaps.push(`${k}: ${other} and ${member}`);
      busy.set(k, member);
      try {
        return await work();
      } finally {
        if (busy.get(k) === member) busy.delete(k);
      }
    },
  };
}
