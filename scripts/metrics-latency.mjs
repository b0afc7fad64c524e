#!/usr/bin/env node
// How long GET /metrics takes on a cluster of a given size: starts the platform locally
// (wrangler dev on a free loopback port, state in a temporary directory), creates `topics`
// topics of `partitions` partitions with a few records each and `groups` groups committed to
// two topics each (one of them also a queue), then times `runs` scrapes after one warm-up and
// prints the median. Usage: node scripts/metrics-latency.mjs [topics=10] [partitions=4] [groups=5] [runs=5]
import { startLocalWorker } from "../test/helpers/local-worker.mjs";

const [topics = 10, partitions = 4, groups = 5, runs = 5] = process.argv.slice(2).map(Number);
const worker = await startLocalWorker();
const headers = { authorization: `Bearer ${worker.token}`, "content-type": "application/json" };
const call = async (method, path, body) => {
  const res = await fetch(new URL(path, worker.url), { method, headers, body: body && JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
};

try {
  const names = Array.from({ length: topics }, (_, i) => `metrics-${i}`);
  for (const name of names) {
    await call("POST", "/v1/topics", { name, partitions, replicationFactor: 1 });
    const records = Array.from({ length: partitions * 5 }, (_, i) => ({ value: i, partition: i % partitions }));
    await call("POST", `/v1/topics/${name}/records`, { records });
  }
  for (let g = 0; g < groups; g++) {
    const mine = [names[g % topics], names[(g + 1) % topics]];
    const offsets = mine.flatMap((topic) =>
      Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 2 })),
    );
    await call("POST", `/v1/groups/metrics-group-${g}/offsets`, { offsets });
  }
  await call("PUT", "/v1/groups/metrics-queue/queue", { topic: names[0] });
  await call("POST", "/v1/groups/metrics-queue/receive", { topic: names[0], maxRecords: 5 });

  const times = [];
  let series = 0;
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const text = await (await call("GET", "/metrics")).text();
    const ms = performance.now() - started;
    series = text.split("\n").filter((l) => l && !l.startsWith("#")).length;
    if (i > 0) times.push(ms); // the first scrape warms the isolate and the objects up
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `GET /metrics, ${topics} topics x ${partitions} partitions, ${groups + 1} groups, ${series} samples: ` +
      `median ${median.toFixed(1)} ms of ${runs} (min ${times[0].toFixed(1)}, max ${times.at(-1).toFixed(1)})`,
  );
} finally {
  await worker.stop();
}
