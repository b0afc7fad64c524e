// The billable-unit meter (cluster/meter.ts) on workloads whose counts are known,
// and what an idle stream app costs. TRIBUTARY_METER=1 in this suite's config; each test reads
// the counters of its own objects only (other tests' objects share the isolate).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { meterOf, type ObjectUsage } from "../../cluster/meter.ts";
import { call, createTopic, waitFor } from "../helpers/http.ts";
import { produce, registerApp, startApp, taskStatus, waitForRecords } from "./stream-apps-fixtures.ts";

async function partitionId(topic: string, partition = 0): Promise<DurableObjectId> {
  const meta = await call("GET", `/v1/topics/${topic}`);
  if (meta.status !== 200) throw new Error(JSON.stringify(meta.json));
  return env.PARTITION_LOG.idFromName(`${topic}/${meta.json.id}/${partition}`);
}

function usage(id: DurableObjectId): ObjectUsage {
  const u = meterOf(id);
  if (!u) throw new Error(`object ${id} was never metered`);
  return u;
}

function minus(a: ObjectUsage, b: ObjectUsage): ObjectUsage {
  const out = { ...a };
  for (const k of Object.keys(a) as (keyof ObjectUsage)[]) out[k] = a[k] - b[k];
  return out;
}

describe("billable-unit meter", () => {
  it("counts 10 appends of 100 records as 10 requests and the rows the schema writes", async () => {
    const topic = await createTopic(1);
    const id = await partitionId(topic);
    const records = Array.from({ length: 100 }, (_, i) => ({ value: { i, pad: "x".repeat(80) } }));
    // A first append configures the partition (its settings from the Controller, once).
    expect((await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records })).status).toBe(200);
    const before = usage(id);
    const worker = (await call("GET", "/v1/_test/meter")).json.workerRequests as number;
    for (let n = 0; n < 10; n++) {
      const res = await call("POST", `/v1/topics/${topic}/partitions/0/records`, { records });
      expect(res.status).toBe(200);
    }
    const spent = minus(usage(id), before);
    // One RPC (append) per produce request; nothing else reaches the partition.
    expect(spent.requests).toBe(10);
    expect(spent.rpc).toBe(10);
    expect(spent.alarm + spent.fetch + spent.webSocketMessages).toBe(0);
    // Each append: one `INSERT … SELECT … FROM json_each(?)` writing its 100 record rows, and
    // one row in `batches` (records(offset PRIMARY KEY) is the table itself: no index rows).
    expect(spent.rowsWritten).toBe(10 * (100 + 1));
    // As the cursors report them: the 100 json_each rows read, the 100 rows inserted, and one
    // for the batch row.
    expect(spent.rowsRead).toBe(10 * (2 * 100 + 1));
    expect(spent.storedBytes).toBeGreaterThan(100 * 1000);
    // Active time is not checked here: workerd's clock moves only across I/O, so ten appends that
    // wait for nothing may measure 0 ms (they did in one CI run). The long poll below is the check.
    // The worker: the meter read itself and the 10 produces (other tests add theirs in parallel).
    const after = (await call("GET", "/v1/_test/meter")).json.workerRequests as number;
    expect(after - worker).toBeGreaterThanOrEqual(11);
  });

  it("counts a long poll as one request and its wait as active time", async () => {
    const topic = await createTopic(1);
    const id = await partitionId(topic);
    const before = usage(id);
    const res = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&waitMs=300`);
    expect(res.status).toBe(200);
    const spent = minus(usage(id), before);
    expect(spent.requests).toBe(1);
    expect(spent.activeMs).toBeGreaterThanOrEqual(250);
  });

  it("an idle stream app makes no requests over a minute, and still picks up a record at once", {
    timeout: 120_000,
  }, async () => {
    const { app, source, output } = await registerApp(1, (app, source, output) => {
      app
        .stream(source, { key: z.string(), value: z.object({ n: z.number() }) })
        .groupByKey()
        .count({ name: "per-key" })
        .toStream()
        .to(output);
    });
    expect((await startApp(app.name)).status).toBe(200);
    await produce(source, [{ key: "a", value: { n: 1 } }]);
    await waitForRecords(output, 1);
    const objects = {
      task: env.STREAM_TASK.idFromName(`${app.name}/0/0`),
      source: await partitionId(source),
      output: await partitionId(output),
    };
    const total = () =>
      Object.values(objects).reduce((n, id) => n + (meterOf(id)?.requests ?? 0) + (meterOf(id)?.activeMs ?? 0), 0);
    // Settled: the task's last rounds and its registration for a wake are done.
    let last = -1;
    await waitFor(
      async () => {
        const now = total();
        const settled = now === last;
        last = now;
        if (!settled) await new Promise((r) => setTimeout(r, 500));
        return settled;
      },
      15_000,
      "the app's objects to go quiet",
    );
    const before = Object.fromEntries(Object.entries(objects).map(([k, id]) => [k, usage(id)]));
    // The window the issue names: a minute with the source quiet.
    await new Promise((r) => setTimeout(r, 60_000));
    for (const [k, id] of Object.entries(objects)) {
      const spent = minus(usage(id), before[k]!);
      expect({ object: k, requests: spent.requests, activeMs: spent.activeMs }).toEqual({
        object: k,
        requests: 0,
        activeMs: 0,
      });
    }
    const appended = Date.now();
    await produce(source, [{ key: "a", value: { n: 2 } }]);
    await waitFor(async () => (await taskStatus(app.name, 0, 0)).counters.processed === 2, 5_000, "the record");
    const pickedUpMs = Date.now() - appended;
    console.log(`idle stream app: a record appended after a quiet minute was processed in ${pickedUpMs} ms`);
    expect(pickedUpMs).toBeLessThan(1_000);
    await waitForRecords(output, 2);
  });
});
