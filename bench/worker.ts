/**
 * The bench worker: the real Tributary app and Durable Objects, plus /bench/* routes and the
 * BenchProbe object that measure the references of `npm run bench` in the same process.
 * Runs only under bench/wrangler.toml, never in production.
 */
import { Hono } from "hono";
import { controllerStub, partitionStub } from "../cluster/stubs.ts";
import { createTributary } from "../worker/tributary.ts";
import { appendFor, type BatchShape, BenchProbe } from "./bench-probe.ts";

export { BenchProbe };

type BenchEnv = Env & { BENCH_PROBE: DurableObjectNamespace<BenchProbe> };

const probe = (env: BenchEnv, name: string) => env.BENCH_PROBE.get(env.BENCH_PROBE.idFromName(name));

/** Milliseconds of a call as seen from the worker, whose clock moves on at each I/O. */
async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await call();
  return { value, ms: performance.now() - start };
}

const bench = new Hono<{ Bindings: BenchEnv }>();

// The HTTP floor: the cheapest answer the same process can give.
bench.get("/bench/noop", (c) => c.json({ ok: true }));

bench.post("/bench/clock", async (c) => {
  const { name, statements } = await c.req.json<{ name: string; statements: number }>();
  const stub = probe(c.env, name);
  await stub.ping();
  const { value, ms } = await timed(() => stub.clockCheck(Math.min(statements, 1_000_000)));
  return c.json({ ...value, outerMs: ms });
});

interface LoopRequest {
  name: string;
  shape: BatchShape;
  maxRecords: number;
  maxBatches: number;
  maxMs: number;
}

type Probe = ReturnType<typeof probe>;

/**
 * A raw loop route: the probe object is created (and its schema migrated) outside the timed
 * call; the answer carries the loop's own result, its time seen from here, and an empty call's.
 */
function loopRoute(path: string, run: (stub: Probe, r: LoopRequest) => Promise<object>) {
  bench.post(path, async (c) => {
    const request = await c.req.json<LoopRequest>();
    const stub = probe(c.env, request.name);
    await stub.ping();
    const ping = await timed(() => stub.ping());
    const { value, ms } = await timed(() => run(stub, request));
    return c.json({ ...value, outerMs: ms, pingMs: ping.ms });
  });
}

loopRoute("/bench/raw/insert-loop", (stub, { shape, maxBatches, maxMs }) =>
  stub.insertLoop(shape, { maxBatches, maxMs }),
);
loopRoute("/bench/raw/insert-loop-committed", (stub, { shape, maxBatches, maxMs }) =>
  stub.insertLoopCommitted(shape, { maxBatches, maxMs }),
);
loopRoute("/bench/raw/read-loop", (stub, { maxRecords, maxBatches, maxMs }) =>
  stub.readLoop(maxRecords, { maxBatches, maxMs }),
);

// One RPC per append, one after the other: each append is its own call and its own commit.
bench.post("/bench/raw/calls", async (c) => {
  const { name, shape, maxCalls, maxMs } = await c.req.json<{
    name: string;
    shape: BatchShape;
    maxCalls: number;
    maxMs: number;
  }>();
  const stub = probe(c.env, name);
  await stub.ping();
  const append = appendFor(shape);
  const start = performance.now();
  let calls = 0;
  while (calls < maxCalls && performance.now() - start < maxMs) {
    await stub.appendOnce(append);
    calls++;
  }
  const ms = performance.now() - start;
  return c.json({ batches: calls, records: calls * append.count, bytes: calls * append.bytes, outerMs: ms });
});

// Runs the alarm's work of a topic's partition 0 now (or as if at `now`): the storage rows use it
// to move records to R2 before reading them, and to time compaction.
bench.post("/bench/maintain", async (c) => {
  const { topic, now } = await c.req.json<{ topic: string; now?: number }>();
  const found = await controllerStub(c.env).getTopic(topic);
  if (!found.ok) return c.json(found, 404);
  const ref = { topic, topicId: found.topic.id, partition: 0 };
  const { value, ms } = await timed(() => partitionStub(c.env, ref).maintain(now));
  return c.json({ ...value, outerMs: ms });
});

const tributary = createTributary({ routes: bench });
export const { Controller, PartitionLog, GroupCoordinator, StreamTask, DurableStream, TokenQuota } = tributary;
export default tributary.worker;
