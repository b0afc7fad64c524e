// Test topologies, registered at run time: the tests run in the worker's isolate, so the
// list they push to (worker.ts) is the one the StreamTasks read.
import { env } from "cloudflare:workers";
import { z } from "zod";
import type { FaultPoint, TaskStatus } from "../../cluster/rpc/stream-task.ts";
import { streamTaskStub } from "../../cluster/stubs.ts";
import type { Result } from "../../sdk/protocol/errors.ts";
import { type StreamsApp, streamsApp } from "../../sdk/streams/index.ts";
import { call, uniqueName, waitFor } from "../helpers/http.ts";
import { testApps } from "./worker.ts";

export const Click = z.object({ ad: z.string(), id: z.string(), campaign: z.string().default("none") });

export interface Fixture {
  app: StreamsApp;
  source: string;
  output: string;
}

/** Builds and registers an app reading a new topic of `partitions` partitions. */
export async function registerApp(
  partitions: number,
  build: (app: StreamsApp, source: string, output: string) => void,
  replicationFactor = 1,
): Promise<Fixture> {
  const source = uniqueName();
  const created = await call("POST", "/v1/topics", { name: source, partitions, replicationFactor });
  if (created.status !== 201) throw new Error(`creating ${source} failed: ${JSON.stringify(created.json)}`);
  const output = uniqueName("out");
  const app = streamsApp(uniqueName("app"));
  build(app, source, output);
  testApps.push(app);
  return { app, source, output };
}

export async function startApp(name: string): Promise<{ status: number; json: any }> {
  return call("POST", `/v1/apps/${name}/start`);
}

export async function produce(topic: string, records: unknown[]): Promise<void> {
  const res = await call("POST", `/v1/topics/${topic}/records`, { records });
  if (res.status !== 200) throw new Error(`produce failed: ${JSON.stringify(res.json)}`);
}

/** Every record of every partition of a topic. */
export async function readAll(topic: string): Promise<any[]> {
  const meta = await call("GET", `/v1/topics/${topic}`);
  if (meta.status !== 200) return [];
  const out: any[] = [];
  for (const p of meta.json.partitions) {
    const res = await call("GET", `/v1/topics/${topic}/partitions/${p.partition}/records?offset=0&maxRecords=10000`);
    out.push(...res.json.records);
  }
  return out;
}

/** Waits until a topic holds exactly `n` records (and fails if it ever holds more). */
export async function waitForRecords(topic: string, n: number, timeoutMs = 20_000): Promise<any[]> {
  return waitFor(
    async () => {
      const records = await readAll(topic);
      if (records.length > n) throw new Error(`${topic} holds ${records.length} records, more than ${n}`);
      return records.length === n ? records : undefined;
    },
    timeoutMs,
    `${n} records in ${topic}`,
  );
}

export async function queryStore(app: string, store: string, query = ""): Promise<any[]> {
  const res = await call("GET", `/v1/apps/${app}/stores/${store}${query}`);
  if (res.status !== 200) throw new Error(`query failed: ${JSON.stringify(res.json)}`);
  return res.json.entries;
}

export function task(app: string, subTopology: number, partition: number) {
  return streamTaskStub(env, { app, subTopology, partition });
}

export async function injectFault(app: string, subTopology: number, partition: number, point: FaultPoint) {
  const answer = (await task(app, subTopology, partition).injectFault(point)) as Result<object>;
  if (!answer.ok) throw new Error(answer.message);
}

/**
 * Waits until a task has processed `n` records of its sources (a status call that fails while
 * the task is crashing by a test's fault is made again).
 */
export async function waitProcessed(
  app: string,
  subTopology: number,
  partition: number,
  n: number,
): Promise<TaskStatus> {
  return waitFor(
    async () => {
      const s = await taskStatus(app, subTopology, partition).catch(() => undefined);
      if (!s) return undefined;
      if (s.counters.processed > n) throw new Error(`task processed ${s.counters.processed} records, more than ${n}`);
      return s.counters.processed === n ? s : undefined;
    },
    20_000,
    `task ${app}/${subTopology}/${partition} to process ${n} records`,
  );
}

export async function taskStatus(app: string, subTopology: number, partition: number): Promise<TaskStatus> {
  return (await task(app, subTopology, partition).status()) as TaskStatus;
}
