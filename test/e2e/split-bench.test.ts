// The split bench's deployment (npm run bench -- --split; bench/split/): the front worker and the
// Durable Objects in two wrangler dev processes, the objects bound by script_name through a dev
// registry of their own. It must start, keep the two apart, answer produce and fetch through the
// front with the records stored in the objects' process, and leave no workerd behind.
import { afterAll, describe, expect, it } from "vitest";
import { alive, checkSplit, startSplitWorkers, workerdUnder } from "../../bench/split/start.mjs";

describe("the split bench's two workerd processes", () => {
  let split: Awaited<ReturnType<typeof startSplitWorkers>> | undefined;
  afterAll(async () => {
    await split?.stop();
  });

  it("runs the front and the objects in separate workerd processes that answer produce and fetch", async () => {
    split = await startSplitWorkers();
    expect(split.processes.front.length).toBeGreaterThan(0);
    expect(split.processes.objects.length).toBeGreaterThan(0);
    expect(split.processes.front.filter((p) => split?.processes.objects.includes(p))).toEqual([]);

    // startSplitWorkers checked one produce and fetch; a keyed produce to a 2-partition topic
    // goes through the front's routing to both partition objects.
    const auth = { authorization: `Bearer ${split.token}`, "content-type": "application/json" };
    const name = `split-e2e-${Date.now().toString(36)}`;
    const created = await fetch(`${split.url}/v1/topics`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ name, partitions: 2, replicationFactor: 1 }),
    });
    expect(created.status).toBe(201);
    const records = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: { i } }));
    const produced = await fetch(`${split.url}/v1/topics/${name}/records`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ records }),
    });
    expect(produced.status).toBe(200);
    const seen: number[] = [];
    for (const p of [0, 1]) {
      const r = await fetch(`${split.url}/v1/topics/${name}/partitions/${p}/records?offset=0`, { headers: auth });
      const body = (await r.json()) as { records: { value: { i: number } }[] };
      seen.push(...body.records.map((x) => x.value.i));
    }
    expect(seen.sort((a, b) => a - b)).toEqual(records.map((r) => r.value.i));
    // And the objects' own port sees what the front stored.
    await expect(checkSplit(split.url, split.objectsUrl, split.token)).resolves.toMatch(/objects' process/);

    const all = [...split.processes.front, ...split.processes.objects];
    await split.stop();
    split = undefined;
    expect(all.filter(alive)).toEqual([]);
    expect(workerdUnder(process.pid)).toEqual([]);
  });
});
