// A work queue with a failing handler: jobs go to a topic, two workers of one group share them
// in queue mode, and the jobs the handler cannot do end, after 3 deliveries, in the topic's
// dead-letter topic with headers saying where they came from and why. See README.md.
//
//   node_modules/.bin/deno run --no-lock --allow-net --allow-env examples/work-queue/main.ts
import { createClient, type QueueMessage, type ReaderRecord, TributaryError } from "tributary/sdk";

interface DenoLike {
  env: { get(name: string): string | undefined };
  exit(code: number): never;
}
const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;

const url = deno.env.get("TRIBUTARY_URL") ?? "http://127.0.0.1:8787";
const token = deno.env.get("TRIBUTARY_TOKEN") ?? "dev-token";

/** One job: make a thumbnail of an image. Corrupt images can never be done. */
interface Job {
  id: number;
  image: string;
}

const JOBS = 12;
const MAX_DELIVERIES = 3;
const isCorrupt = (job: Job) => job.id % 4 === 0;
/** Job 6 fails once (a timeout, say) and works when it is delivered again. */
const isFlaky = (job: Job) => job.id === 6;

const client = createClient({ url, token });
const admin = client.admin();
const topic = `thumbnails-${Date.now().toString(36)}`;
const groupId = `${topic}-workers`;
const deadLetterTopic = `${topic}.dlq`;

/** Every record of the dead-letter topic so far (it is created with the first dead letter). */
async function deadLetters(): Promise<ReaderRecord[]> {
  try {
    const out: ReaderRecord[] = [];
    for (let offset = 0; ; ) {
      const page = await client.fetch({ topic: deadLetterTopic, partition: 0, offset });
      out.push(...page.records);
      if (page.nextOffset >= page.highWatermark) return out;
      offset = page.nextOffset;
    }
  } catch (err) {
    if (err instanceof TributaryError && err.code === "UNKNOWN_TOPIC_OR_PARTITION") return [];
    throw err;
  }
}

async function main(): Promise<void> {
  await admin.createTopic({ topic, partitions: 3, replicationFactor: 1 });
  console.log(`Topic ${topic} (3 partitions); failed jobs go to ${deadLetterTopic}`);

  const succeeded = new Map<number, string>();
  let deliveries = 0;
  const handler = (worker: string) => async (message: QueueMessage) => {
    const job = message.value as Job;
    deliveries++;
    const attempt = `delivery ${message.deliveryCount} of ${MAX_DELIVERIES}`;
    if (isCorrupt(job) || (isFlaky(job) && message.deliveryCount === 1)) {
      const reason = isCorrupt(job) ? `${job.image} is corrupt` : `timed out reading ${job.image}`;
      console.log(`[${worker}] job ${job.id}: failed (${attempt}): ${reason}`);
      throw new Error(reason); // the queue nacks it: delivered again, or dead-lettered
    }
    succeeded.set(job.id, worker);
    console.log(`[${worker}] job ${job.id}: thumbnail of ${job.image} done (${attempt})`);
  };

  // Two workers of one group share the jobs; each job goes to one of them at a time.
  const workers = ["worker-a", "worker-b"].map((name) => {
    const queue = client.queue({
      groupId,
      topic,
      maxRecords: 4,
      waitMs: 1_000,
      maxDeliveries: MAX_DELIVERIES,
      nackDelayMs: 200,
    });
    return { queue, running: queue.run({ handler: handler(name) }) };
  });

  const jobs: Job[] = Array.from({ length: JOBS }, (_, i) => ({ id: i + 1, image: `photo-${i + 1}.jpg` }));
  await client.producer().send({ topic, messages: jobs.map((job) => ({ key: job.image, value: job })) });
  console.log(`Produced ${jobs.length} jobs`);

  const expected = { succeeded: jobs.filter((j) => !isCorrupt(j)).length, dead: jobs.filter(isCorrupt).length };
  const deadline = Date.now() + 60_000;
  let dead: ReaderRecord[] = [];
  while (succeeded.size < expected.succeeded || dead.length < expected.dead) {
    if (Date.now() > deadline) throw new Error("the jobs did not finish within 60 s");
    await new Promise((r) => setTimeout(r, 200));
    dead = await deadLetters();
  }
  await Promise.all(workers.map((w) => w.queue.stop()));
  await Promise.all(workers.map((w) => w.running));

  console.log(`\nDead-lettered jobs (${deadLetterTopic}):`);
  for (const record of dead) {
    const h = record.headers;
    console.log(
      `  job ${(record.value as Job).id}: from ${h["x-dlq-source-topic"]}/${h["x-dlq-source-partition"]} offset ${h["x-dlq-source-offset"]}, ` +
        `group ${h["x-dlq-group"]}, ${h["x-dlq-delivery-count"]} deliveries, reason "${h["x-dlq-reason"]}"`,
    );
  }

  const summary = {
    topic,
    deadLetterTopic,
    jobs: jobs.length,
    succeeded: succeeded.size,
    deadLettered: dead.length,
    deadLetteredJobs: dead.map((r) => (r.value as Job).id).sort((a, b) => a - b),
    deliveries,
    byWorker: Object.fromEntries(
      ["worker-a", "worker-b"].map((w) => [w, [...succeeded.values()].filter((v) => v === w).length]),
    ),
  };
  await admin.deleteTopic(topic);
  await admin.deleteTopic(deadLetterTopic);
  console.log(`\nSummary: ${JSON.stringify(summary)}`);
}

try {
  await main();
} catch (err) {
  console.error(err instanceof TributaryError ? `${err.code}: ${err.message}` : String(err));
  deno.exit(1);
}
