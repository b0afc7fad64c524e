/**
 * The bench worker: the real Tributary app and Durable Objects, plus /bench/* routes and the
 * BenchProbe object that measure the references of `npm run bench` in the same process.
 * Runs only under bench/wrangler.toml, never in production.
 */
import { Hono } from "hono";
import { app } from "../worker/app.ts";
import { appendFor, type BatchShape, BenchProbe } from "./bench-probe.ts";

export { Controller, GroupCoordinator, PartitionLog } from "../worker/index.ts";
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

bench.post("/bench/raw/insert-loop", async (c) => {
  const { name, shape, maxBatches, maxMs } = await c.req.json<{
    name: string;
    shape: BatchShape;
    maxBatches: number;
    maxMs: number;
  }>();
  const stub = probe(c.env, name);
  await stub.ping(); // creates the object and its schema outside the timed call
  const ping = await timed(() => stub.ping());
  const { value, ms } = await timed(() => stub.insertLoop(shape, { maxBatches, maxMs }));
  return c.json({ ...value, outerMs: ms, pingMs: ping.ms });
});

bench.post("/bench/raw/insert-loop-committed", async (c) => {
  const { name, shape, maxBatches, maxMs } = await c.req.json<{
    name: string;
    shape: BatchShape;
    maxBatches: number;
    maxMs: number;
  }>();
  const stub = probe(c.env, name);
  await stub.ping();
  const ping = await timed(() => stub.ping());
  const { value, ms } = await timed(() => stub.insertLoopCommitted(shape, { maxBatches, maxMs }));
  return c.json({ ...value, outerMs: ms, pingMs: ping.ms });
});

bench.post("/bench/raw/read-loop", async (c) => {
  const { name, maxRecords, maxBatches, maxMs } = await c.req.json<{
    name: string;
    maxRecords: number;
    maxBatches: number;
    maxMs: number;
  }>();
  const stub = probe(c.env, name);
  const ping = await timed(() => stub.ping());
  const { value, ms } = await timed(() => stub.readLoop(maxRecords, { maxBatches, maxMs }));
  return c.json({ ...value, outerMs: ms, pingMs: ping.ms });
});

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

export default {
  fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    return path.startsWith("/bench/") ? bench.fetch(request, env, ctx) : app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<BenchEnv>;
